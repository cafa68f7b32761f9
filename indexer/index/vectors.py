"""FAISS inner-product index over normalised passage vectors; the index type is chosen by size.

A passage has one vector for its whole text and, when it is longer than a window, one per window of whole sentences
(context.embedding_inputs). It scores the mean of its whole-text similarity and its best vector's: the best window
lets a long paragraph listing many projects be found by a question about any one of them; the whole text keeps
questions about the paragraph as a whole (measured on the dev sets: benchmarks/README.md, "Embedding windows").
`owners` maps each vector to its passage; a passage's vectors are consecutive, its whole-text vector first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from ..errors import IndexCorrupt
from ..formats import OWNERS_FILE, VECTORS_FILE
from ..settings import DEFAULT_VECTORS, VectorSettings
from .ranking import Ranking

FLAT_KIND = "flat-ip"
# Memory-map flat vector storage (flat and HNSW indexes) where this FAISS can; older ones read into memory.
MMAP_FLAG = getattr(faiss, "IO_FLAG_MMAP_IFC", 0)


_QUANTIZERS = {"sq8": faiss.ScalarQuantizer.QT_8bit, "fp16": faiss.ScalarQuantizer.QT_fp16}


def index_kind(count: int, settings: VectorSettings = DEFAULT_VECTORS) -> str:
    """The FAISS index type used for `count` vectors: exact, HNSW, or HNSW over compact codes past compact_above."""
    if count <= settings.exact_max:
        return FLAT_KIND
    return _hnsw_kind(settings.hnsw_m, settings.compact if count > settings.compact_above else None)


def _hnsw_kind(m: int, compact: str | None) -> str:
    return f"hnsw{m}-{compact}-ip" if compact else f"hnsw{m}-ip"


@contextmanager
def faiss_threads(count: int) -> Iterator[None]:
    """Run FAISS with `count` OpenMP threads in this thread (the setting is per calling thread)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def build_vector_index(vectors: np.ndarray, settings: VectorSettings = DEFAULT_VECTORS) -> faiss.Index:
    """A FAISS index whose ids are row numbers of `vectors` (assumed L2-normalised)."""
    dimension = vectors.shape[1]
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) <= settings.exact_max:
        index: faiss.Index = faiss.IndexFlatIP(dimension)
    else:
        if len(vectors) <= settings.compact_above:
            index = faiss.IndexHNSWFlat(dimension, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        else:
            quantizer = _QUANTIZERS[settings.compact]  # an int: the stubs call it a ScalarQuantizer
            index = faiss.IndexHNSWSQ(dimension, quantizer, settings.hnsw_m,  # type: ignore[arg-type]
                                      faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)  # each dimension's range (8-bit); nothing to learn for fp16
        index.hnsw.efConstruction = settings.ef_construction
        index.hnsw.efSearch = settings.ef_search
    # A server thread may have pinned FAISS to one thread for queries; building wants every core.
    with faiss_threads(os.cpu_count() or 1):
        index.add(vectors)
    return index


def _storage(index: faiss.Index) -> faiss.Index:
    """Where the vectors are kept: the index itself (flat) or an HNSW graph's storage (flat or scalar-quantised)."""
    storage = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSW) else index
    if not isinstance(storage, faiss.IndexFlat | faiss.IndexScalarQuantizer):
        raise IndexCorrupt(f"unexpected vector index type {type(storage).__name__}")
    return storage


def _stored_matrix(storage: faiss.Index) -> np.ndarray | None:
    """Float32 storage's vectors as a read-only numpy view (no copy); None for compact codes."""
    if not isinstance(storage, faiss.IndexFlat):
        return None
    count, dimension = int(storage.ntotal), int(storage.d)
    if count == 0:
        return np.zeros((0, dimension), np.float32)
    matrix = faiss.rev_swig_ptr(storage.get_xb(), count * dimension).reshape(count, dimension)
    matrix.flags.writeable = False
    return matrix


class VectorIndex:
    """Passage search over a loaded FAISS index of window vectors (`owners[v]`: the passage of vector v)."""

    def __init__(self, index: faiss.Index, owners: np.ndarray | None = None, passages: int | None = None) -> None:
        self.index = index
        self.storage = _storage(index)
        self.matrix = _stored_matrix(self.storage)
        self.owners = np.arange(index.ntotal, dtype=np.int32) if owners is None else owners.astype(np.int32)
        self.passages = int(self.owners[-1]) + 1 if passages is None and len(self.owners) else int(passages or 0)
        if (len(self.owners) != index.ntotal or (len(self.owners) and (self.owners[0] < 0 or self.owners[-1] >=
                                                                        self.passages))
                or np.any(np.diff(self.owners) < 0)):
            raise IndexCorrupt("vector owners disagree with the vectors or the passages")
        # starts[p]:starts[p + 1] are passage p's vectors (a passage without text has none).
        self.starts = np.searchsorted(self.owners, np.arange(self.passages + 1)).astype(np.int64)
        self.per_passage = len(self.owners) / max(self.passages, 1)

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
        if not isinstance(self.index, faiss.IndexHNSW):
            return FLAT_KIND
        compact = None
        if isinstance(self.storage, faiss.IndexScalarQuantizer):
            compact = next(name for name, q in _QUANTIZERS.items() if q == self.storage.sq.qtype)
        # Level 0 has twice M neighbours, the levels above M.
        return _hnsw_kind(int(self.index.hnsw.nb_neighbors(1)), compact)  # type: ignore[attr-defined]

    def rows(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Stored vectors by row (all with None) as float32: views of float32 storage, decoded compact codes."""
        if self.matrix is not None:
            return self.matrix if rows is None else self.matrix[rows]
        wanted = np.arange(self.count, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
        if len(wanted) == 0:
            return np.zeros((0, self.dimension), np.float32)
        return np.asarray(self.storage.reconstruct_batch(wanted), np.float32)

    def save(self, directory: Path) -> None:
        """Write the index in FAISS's own format, and the owners as a numpy array (no pickle)."""
        faiss.write_index(self.index, str(directory / VECTORS_FILE))
        np.save(directory / OWNERS_FILE, self.owners, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, passages: int) -> VectorIndex:
        """Read an index written by save, its vectors memory-mapped rather than copied.

        Mapped pages live in the page cache, so every server worker shares one copy of the vectors (1.5 GiB at
        1M passages) instead of holding its own; segments never change, so the mapping never goes stale.
        """
        try:
            index = faiss.read_index(str(directory / VECTORS_FILE), MMAP_FLAG)
            owners = np.load(directory / OWNERS_FILE, allow_pickle=False)
        except (RuntimeError, OSError, ValueError) as exc:
            raise IndexCorrupt(f"vector index unreadable: {str(exc).splitlines()[0]}") from exc
        return cls(index, owners, passages)

    def _scores(self, passages: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Passage scores: the mean of the whole-text similarity and the best of the passage's vectors."""
        if len(passages) == self.passages and (len(passages) == 0 or passages[-1] == self.passages - 1) and \
                np.array_equal(passages, np.arange(self.passages)):
            rows, firsts = None, self.starts[:-1]
            similarity = self.rows() @ query
        else:
            begin, end = self.starts[passages], self.starts[passages + 1]
            lengths = end - begin
            firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
            rows = np.repeat(begin - firsts, lengths) + np.arange(int(lengths.sum()))
            similarity = self.rows(rows) @ query
        if len(similarity) == 0:
            return np.zeros(0, np.float32)
        best = np.maximum.reduceat(similarity, firsts)
        return np.asarray((similarity[firsts] + best) / 2, np.float32)

    def _top(self, passages: np.ndarray, scores: np.ndarray, depth: int) -> Ranking:
        """The `depth` best of the given passages, best first, ties by passage number."""
        if len(passages) > depth:
            keep = np.argpartition(-scores, depth - 1)[:depth]
            passages, scores = passages[keep], scores[keep]
        order = np.lexsort((passages, -scores))
        return Ranking(passages[order].astype(np.int64), scores[order])

    def search(self, query: np.ndarray, depth: int, allowed: np.ndarray | None = None,
               settings: VectorSettings = DEFAULT_VECTORS) -> Ranking:
        """Top `depth` passages by score (see _scores), within the `allowed` passage mask."""
        depth = min(depth, self.passages)
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        subset = np.flatnonzero(allowed) if allowed is not None else np.arange(self.passages)
        if depth <= 0 or len(subset) == 0:
            return Ranking(np.zeros(0, np.int64), np.zeros(0, np.float32))
        if len(subset) * self.per_passage <= (settings.exact_max if allowed is None else settings.subset_exact_max):
            return self._top(subset, self._scores(subset, query[0]), depth)
        # Candidates from the nearest vectors (each passage counted once), then scored exactly.
        params: faiss.SearchParameters | None = None
        bitmap = None
        if allowed is not None and len(subset) < self.passages:
            # A bitmap selector costs n/8 bytes per query, whatever the number of allowed vectors.
            bitmap = np.packbits(allowed[self.owners], bitorder="little")
        wanted = min(self.count, int(depth * self.per_passage * settings.candidate_factor) + 10)
        while True:
            if isinstance(self.index, faiss.IndexHNSW):
                ef = max(settings.ef_search, int(wanted * settings.ef_factor))
                params = faiss.SearchParametersHNSW(efSearch=ef)  # type: ignore[attr-defined]
            if bitmap is not None:
                params = params or faiss.SearchParameters()
                params.sel = faiss.IDSelectorBitmap(self.count, faiss.swig_ptr(bitmap))
            # One query gains nothing from OpenMP's fork and join; a server's parallelism is its request threads.
            with faiss_threads(1):
                _, ids = self.index.search(query, wanted, params=params)
            found = ids[0][ids[0] >= 0]
            candidates = np.unique(self.owners[found]).astype(np.int64)
            # Enough distinct passages, or nothing more to find.
            if len(candidates) >= depth or wanted >= self.count or len(found) < wanted:
                return self._top(candidates, self._scores(candidates, query[0]), depth)
            wanted = min(self.count, wanted * 2)

    def scores(self, passages: np.ndarray, query: np.ndarray) -> np.ndarray:
        """The given passages' scores for the query, in the given order."""
        return self._scores(np.asarray(passages, np.int64), np.asarray(query, np.float32).reshape(-1))

    def passage_vectors(self, passages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The window vectors of several passages and their owners renumbered 0.. in the given order (merges)."""
        passages = np.asarray(passages, np.int64)
        begin, end = self.starts[passages], self.starts[passages + 1]
        rows = np.concatenate([np.arange(b, e) for b, e in zip(begin.tolist(), end.tolist())]) if len(passages) \
            else np.zeros(0, np.int64)
        return np.array(self.rows(rows)), np.repeat(np.arange(len(passages), dtype=np.int32), end - begin)

    def vector(self, passage: int) -> np.ndarray:
        """The passage's whole-text vector, shape (1, dimension)."""
        return np.array(self.rows(self.starts[passage:passage + 1]).reshape(1, -1))
