"""Wenku indexer: ingest, chunk, embed, index, search, CLI."""
