"""Stage 3, embedding: encoders behind one interface, the embedding cache, and the semantic floor with its
calibration texts."""
