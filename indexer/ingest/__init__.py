"""Stage 1, files in: corpus files read into articles (decoding, front matter, ids), then chunked into passages
by speaker and paragraph, each with the context it is indexed with."""
