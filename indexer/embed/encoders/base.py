"""What every encoder is: a model that turns queries and passages into L2-normalised vectors, and its identity."""

from __future__ import annotations

import functools
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

Backend = Literal["bundled", "sentence-transformers"]
Kind = Literal["query", "passage"]
QUERY_CACHE_SIZE = 4096
CPU_BATCH_SIZE = 32
GPU_BATCH_SIZE = 128
# Texts per block of passage_blocks: the embedding cache stores each block as it arrives (a crash loses one).
BLOCK_SIZE = 256


class ModelInfo(BaseModel):
    """What the manifest records about the encoder that produced the vectors."""

    model_config = ConfigDict(frozen=True)

    backend: Backend = "sentence-transformers"
    name: str
    fingerprint: str
    dimension: int
    max_seq_length: int
    query_prompt: str
    passage_prompt: str
    engine: str | None = None


class Encoder(ABC):
    """A loaded model: `encode_passages` for indexing, `encode_query` (LRU-cached) for searching.

    Calls are serialised per encoder: one call already uses every core (the bundled engine's OpenMP, torch's
    intra-op threads), and Hugging Face fast tokenizers fail ("Already borrowed") when shared by two threads.
    """

    def __init__(self, info: ModelInfo, query_cache_size: int = QUERY_CACHE_SIZE) -> None:
        self.info = info
        self.batch_size = CPU_BATCH_SIZE
        self._lock = threading.Lock()
        # Query vectors repeat (paging, facet clicks, popular questions); a cached one costs microseconds.
        self._query_vector = functools.lru_cache(maxsize=query_cache_size)(self._uncached_query)

    @abstractmethod
    def _encode(self, texts: Sequence[str], kind: Kind, batch_size: int) -> np.ndarray:
        """Vectors of texts (prompt applied by the backend), shape (len(texts), dimension); called under the lock."""

    @abstractmethod
    def max_passage_chars(self) -> int:
        """Longest passage in characters that fits the model input (CJK text is at most one token per character)."""

    def encode(self, texts: Sequence[str], kind: Kind, batch_size: int | None = None) -> np.ndarray:
        """Normalised float32 vectors of texts as queries or passages."""
        if not texts:
            return np.zeros((0, self.info.dimension), np.float32)
        with self._lock:
            vectors = self._encode(list(texts), kind, batch_size or self.batch_size)
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.info.dimension)

    def _uncached_query(self, text: str) -> np.ndarray:
        vector = self.encode([text], "query")
        vector.flags.writeable = False  # shared by every caller of the cache
        return vector

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector, shape (1, dimension), read-only (it may be shared through the cache)."""
        return self._query_vector(text)

    def encode_passages(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Passage vectors, shape (len(texts), dimension)."""
        return self.encode(texts, "passage", batch_size)

    def passage_blocks(self, texts: Sequence[str]) -> Iterator[np.ndarray]:
        """Passage vectors of texts, in order, as consecutive blocks (a pool of remote workers streams them)."""
        for begin in range(0, len(texts), BLOCK_SIZE):
            yield self.encode_passages(texts[begin:begin + BLOCK_SIZE])

    def query_cache_info(self) -> functools._CacheInfo:
        """Hits, misses and size of the query-vector cache."""
        return self._query_vector.cache_info()

    def clear_query_cache(self) -> None:
        """Forget every cached query vector (benchmarks time encoding from cold)."""
        self._query_vector.cache_clear()


def first_line(exc: BaseException) -> str:
    """The first line of an exception message, for one-line reports."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
