"""FAISS inner-product index over normalised passage vectors; the index type is chosen by size."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from .errors import IndexCorrupt

VECTORS_FILE = "vectors.faiss"
# Up to this many vectors an exact scan costs about a millisecond (3 ms at 20k, measured); above it HNSW.
EXACT_MAX = 10_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
FLAT_KIND = "flat-ip"
HNSW_KIND = f"hnsw{HNSW_M}-ip"
# A filter leaving at most this many passages is answered exactly from the stored vectors: cheaper than
# walking a graph whose neighbours are mostly filtered out, and never short of results.
SUBSET_EXACT_MAX = 20_000
# Memory-map flat vector storage (flat and HNSW indexes) where this FAISS can; older ones read into memory.
MMAP_FLAG = getattr(faiss, "IO_FLAG_MMAP_IFC", 0)


@dataclass(frozen=True)
class VectorHits:
    """Nearest passages (by number) and their cosine similarities."""

    ids: np.ndarray
    scores: np.ndarray


def index_kind(count: int) -> str:
    """The FAISS index type used for `count` vectors."""
    return FLAT_KIND if count <= EXACT_MAX else HNSW_KIND


@contextmanager
def faiss_threads(count: int) -> Iterator[None]:
    """Run FAISS with `count` OpenMP threads in this thread (the setting is per calling thread)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def build_vector_index(vectors: np.ndarray) -> faiss.Index:
    """A FAISS index whose ids are row numbers of `vectors` (assumed L2-normalised)."""
    dimension = vectors.shape[1]
    if index_kind(len(vectors)) == FLAT_KIND:
        index: faiss.Index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    # A server thread may have pinned FAISS to one thread for queries; building wants every core.
    with faiss_threads(os.cpu_count() or 1):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _stored_matrix(index: faiss.Index) -> np.ndarray:
    """The index's raw vectors as a read-only numpy view (no copy): flat storage of flat and HNSW indexes."""
    flat = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSW) else index
    if not isinstance(flat, faiss.IndexFlat):
        raise IndexCorrupt(f"unexpected vector index type {type(flat).__name__}")
    count, dimension = int(flat.ntotal), int(flat.d)
    if count == 0:
        return np.zeros((0, dimension), np.float32)
    matrix = faiss.rev_swig_ptr(flat.get_xb(), count * dimension).reshape(count, dimension)
    matrix.flags.writeable = False
    return matrix


def _best(ids: np.ndarray, scores: np.ndarray, depth: int) -> VectorHits:
    """The `depth` highest scores, best first, ties by passage number."""
    if len(ids) > depth:
        keep = np.argpartition(-scores, depth - 1)[:depth]
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))
    return VectorHits(ids[order], scores[order])


class VectorIndex:
    """Search and reconstruct over a loaded FAISS index."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index
        self.matrix = _stored_matrix(index)

    @property
    def count(self) -> int:
        """Number of vectors."""
        return int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return int(self.index.d)

    @property
    def kind(self) -> str:
        """The index type, as index_kind names it."""
        return HNSW_KIND if isinstance(self.index, faiss.IndexHNSW) else FLAT_KIND

    def save(self, directory: Path) -> None:
        """Write the index in FAISS's own format."""
        faiss.write_index(self.index, str(directory / VECTORS_FILE))

    @classmethod
    def load(cls, directory: Path) -> VectorIndex:
        """Read an index written by save, its vectors memory-mapped rather than copied.

        Mapped pages live in the page cache, so every server worker shares one copy of the vectors (1.5 GiB at
        1M passages) instead of holding its own; segments never change, so the mapping never goes stale.
        """
        try:
            return cls(faiss.read_index(str(directory / VECTORS_FILE), MMAP_FLAG))
        except RuntimeError as exc:
            raise IndexCorrupt(f"vector index unreadable: {str(exc).splitlines()[0]}") from exc

    def search(self, query: np.ndarray, depth: int, allowed: np.ndarray | None = None) -> VectorHits:
        """Top `depth` passages by cosine similarity, restricted to the `allowed` mask when given."""
        depth = min(depth, self.count)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        subset = np.flatnonzero(allowed) if allowed is not None else None
        if subset is not None and len(subset) == self.count:
            allowed = subset = None  # everything allowed: search without a selector
        if depth <= 0 or (subset is not None and len(subset) == 0):
            return VectorHits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        if subset is not None and len(subset) <= SUBSET_EXACT_MAX:
            return _best(subset, self.matrix[subset] @ query[0], depth)
        params: faiss.SearchParameters | None = None
        if isinstance(self.index, faiss.IndexHNSW):
            params = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, depth))
        if subset is not None:
            # A bitmap selector costs n/8 bytes per query, whatever the number of allowed passages.
            bitmap = np.packbits(allowed, bitorder="little")
            params = params or faiss.SearchParameters()
            params.sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        # One query gains nothing from OpenMP's fork and join; a server's parallelism is its request threads.
        with faiss_threads(1):
            scores, ids = self.index.search(query, depth, params=params)
        keep = ids[0] >= 0
        return VectorHits(ids[0][keep], scores[0][keep])

    def vectors(self, passages: np.ndarray) -> np.ndarray:
        """Stored vectors of several passages, shape (len(passages), dimension)."""
        return self.matrix[np.asarray(passages, dtype=np.int64)].copy()

    def vector(self, passage: int) -> np.ndarray:
        """The stored vector of one passage, shape (1, dimension)."""
        return self.matrix[int(passage)].reshape(1, -1).copy()
