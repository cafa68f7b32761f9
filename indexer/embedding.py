"""A writer's embedding side: passage vectors through the embedding cache, and the semantic floor's calibration."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from .embedding_cache import EmbeddingCache
from .encoders import Encoder
from .layout import IndexLayout
from .manifest import Manifest
from .semantic_floor import FloorScorer, calibrate, texts_digest


class Embedder:
    """The index's encoder behind its embedding cache (texts already embedded by this model are never again)."""

    def __init__(self, layout: IndexLayout, encoder: Encoder, progress: bool = False) -> None:
        self.layout = layout
        self.encoder = encoder
        self.progress = progress

    def _cache(self, prompt: str) -> EmbeddingCache:
        info = self.encoder.info
        return EmbeddingCache(self.layout.cache_dir, info.fingerprint, prompt, info.dimension)

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

    def floor(self, base: Manifest | None, percentile: float) -> FloorScorer:
        """The semantic floor: the base generation's when it was calibrated the same way, else calibrated now."""
        info = self.encoder.info
        if (base is not None and base.semantic_floor is not None and base.model is not None
                and base.model.fingerprint == info.fingerprint
                and base.semantic_floor.texts == texts_digest()
                and base.semantic_floor.percentile == percentile):
            return FloorScorer.load(self.layout.generation_dir(base.generation), base.semantic_floor, info.dimension)
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
