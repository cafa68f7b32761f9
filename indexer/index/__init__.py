"""Stage 4, the index on disk: layout and manifest, immutable segments (store, keyword postings, vectors,
signatures), their integrity, the view of a generation, and the writer that publishes new ones."""
