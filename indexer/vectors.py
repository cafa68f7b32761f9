"""FAISS inner-product index over normalised passage vectors; the index type is chosen by size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from .errors import IndexCorrupt

VECTORS_FILE = "vectors.faiss"
# Exact search stays fast up to this many vectors; above it HNSW keeps latency in milliseconds.
EXACT_MAX = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


@dataclass(frozen=True)
class VectorHits:
    """Nearest passages (by number) and their cosine similarities."""

    ids: np.ndarray
    scores: np.ndarray


def index_kind(count: int) -> str:
    """The FAISS index type used for `count` vectors."""
    return "flat-ip" if count <= EXACT_MAX else f"hnsw{HNSW_M}-ip"


def build_vector_index(vectors: np.ndarray) -> faiss.Index:
    """A FAISS index whose ids are row numbers of `vectors` (assumed L2-normalised)."""
    dimension = vectors.shape[1]
    if index_kind(len(vectors)) == "flat-ip":
        index: faiss.Index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


class VectorIndex:
    """Search and reconstruct over a loaded FAISS index."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @property
    def count(self) -> int:
        """Number of vectors."""
        return int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return int(self.index.d)

    def save(self, directory: Path) -> None:
        """Write the index in FAISS's own format."""
        faiss.write_index(self.index, str(directory / VECTORS_FILE))

    @classmethod
    def load(cls, directory: Path) -> VectorIndex:
        """Read an index written by save."""
        try:
            return cls(faiss.read_index(str(directory / VECTORS_FILE)))
        except RuntimeError as exc:
            raise IndexCorrupt(f"vector index unreadable: {str(exc).splitlines()[0]}") from exc

    def search(self, query: np.ndarray, depth: int, allowed: np.ndarray | None = None) -> VectorHits:
        """Top `depth` passages by cosine similarity, restricted to the `allowed` mask when given."""
        depth = min(depth, self.count)
        if depth <= 0 or (allowed is not None and not allowed.any()):
            return VectorHits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        hnsw = isinstance(self.index, faiss.IndexHNSW)
        params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, depth)) if hnsw else None
        if allowed is not None and not allowed.all():
            # A bitmap selector costs n/8 bytes per query, whatever the number of allowed passages.
            bitmap = np.packbits(allowed, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
            if params is None:
                params = faiss.SearchParameters()
            params.sel = selector
        scores, ids = self.index.search(np.ascontiguousarray(query, dtype=np.float32), depth, params=params)
        keep = ids[0] >= 0
        return VectorHits(ids[0][keep], scores[0][keep])

    def vectors(self, passages: np.ndarray) -> np.ndarray:
        """Stored vectors of several passages, shape (len(passages), dimension)."""
        if len(passages) == 0:
            return np.zeros((0, self.dimension), np.float32)
        return self.index.reconstruct_batch(np.asarray(passages, dtype=np.int64))

    def vector(self, passage: int) -> np.ndarray:
        """The stored vector of one passage, shape (1, dimension)."""
        return self.index.reconstruct(int(passage)).reshape(1, -1)
