"""A writer's embedding side: passage vectors through the embedding cache, and the semantic floor's calibration."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from .cache import EmbeddingCache
from .encoders import Encoder
from .floor import FloorScorer, SemanticFloor, calibrate, texts_digest


class PublishedFloor(NamedTuple):
    """The floor a published generation carries: what its manifest says, for which model, and where it lies."""

    floor: SemanticFloor
    fingerprint: str
    directory: Path


class Embedder:
    """The index's encoder behind its embedding cache (texts already embedded by this model are never again)."""

    def __init__(self, cache_dir: Path, encoder: Encoder, progress: bool = False) -> None:
        self.cache_dir = cache_dir
        self.encoder = encoder
        self.progress = progress

    def _cache(self, prompt: str) -> EmbeddingCache:
        info = self.encoder.info
        return EmbeddingCache(self.cache_dir, info.fingerprint, prompt, info.dimension)

    def embed(self, texts: Sequence[str]) -> tuple[np.ndarray, int, int]:
        """Passage vectors; returns (vectors, newly embedded, reused from the cache)."""
        cache = self._cache(self.encoder.info.passage_prompt)
        try:
            with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not self.progress,
                      leave=False) as bar:
                vectors = cache.embed(texts, self.encoder.passage_blocks, progress=bar.update)
            return vectors, cache.misses, cache.hits
        finally:
            cache.close()

    def floor(self, published: PublishedFloor | None, percentile: float) -> FloorScorer:
        """The semantic floor: the published generation's when it was calibrated the same way, else calibrated now."""
        info = self.encoder.info
        if (published is not None and published.fingerprint == info.fingerprint
                and published.floor.texts == texts_digest() and published.floor.percentile == percentile):
            return FloorScorer.load(published.directory, published.floor, info.dimension)
        passages, queries = self._cache(info.passage_prompt), self._cache(info.query_prompt)
        encoder = self.encoder
        try:
            floor, background = calibrate(lambda t: queries.embed(t, lambda q: [encoder.encode(q, "query")]),
                                          lambda t: passages.embed(t, lambda p: [encoder.encode_passages(p)]),
                                          percentile)
        finally:
            passages.close()
            queries.close()
        return FloorScorer(floor, background)
