"""The vector index: the type chosen by size, exact answers under selective filters, HNSW recall, round trips."""

from __future__ import annotations

import threading

import faiss
import numpy as np
import pytest

import indexer.index.vectors as vectors
from indexer.errors import IndexCorrupt
from indexer.index.vectors import VectorIndex, build_vector_index, faiss_threads
from indexer.settings import DEFAULT_VECTORS, VectorSettings


def unit_vectors(n: int, seed: int, dimension: int = 64) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def exact(matrix: np.ndarray, query: np.ndarray, depth: int, allowed: np.ndarray | None = None) -> list[int]:
    scores = matrix @ query
    if allowed is not None:
        scores[~allowed] = -np.inf
    return np.argsort(-scores, kind="stable")[:depth].tolist()


@pytest.fixture(scope="module")
def hnsw(tmp_path_factory: pytest.TempPathFactory) -> tuple[VectorIndex, np.ndarray]:
    """An HNSW index over 3,000 vectors (the size threshold lowered so the graph stays quick to build)."""
    matrix = unit_vectors(3000, seed=1)
    index = VectorIndex(build_vector_index(matrix, VectorSettings(exact_max=1000)))
    directory = tmp_path_factory.mktemp("hnsw")
    index.save(directory)
    return VectorIndex.load(directory, 3000), matrix


def test_the_index_type_follows_the_size() -> None:
    assert VectorIndex(build_vector_index(unit_vectors(50, seed=0))).kind == "flat-ip"
    assert vectors.index_kind(DEFAULT_VECTORS.exact_max) == "flat-ip"
    assert vectors.index_kind(DEFAULT_VECTORS.exact_max + 1) == "hnsw32-ip"
    small = VectorSettings(exact_max=10, hnsw_m=8)
    assert VectorIndex(build_vector_index(unit_vectors(50, seed=0), small)).kind == "hnsw8-ip"


def test_hnsw_round_trips_and_finds_the_exact_neighbours(hnsw: tuple[VectorIndex, np.ndarray]) -> None:
    index, matrix = hnsw
    assert index.kind.startswith("hnsw") and index.count == 3000
    np.testing.assert_array_equal(index.passage_vectors(np.array([5, 7]))[0], matrix[[5, 7]])
    recall = []
    for query in unit_vectors(20, seed=2):
        hits = index.search(query.reshape(1, -1), 10, None, VectorSettings(exact_max=1000))  # through the graph
        recall.append(len(set(hits.ids.tolist()) & set(exact(matrix, query, 10))) / 10)
        assert list(hits.scores) == sorted(hits.scores, reverse=True)
    assert np.mean(recall) >= 0.9


def test_a_selective_filter_is_answered_exactly_and_in_full(hnsw: tuple[VectorIndex, np.ndarray]) -> None:
    index, matrix = hnsw
    allowed = np.zeros(index.count, bool)
    allowed[::300] = True  # ten passages: a graph walk would find few of them
    query = unit_vectors(1, seed=3)[0]
    hits = index.search(query.reshape(1, -1), 10, allowed)
    assert hits.ids.tolist() == exact(matrix, query, 10, allowed)
    np.testing.assert_allclose(hits.scores, (matrix @ query)[hits.ids], rtol=1e-5)


def test_a_broad_filter_goes_through_the_graph_and_respects_the_mask(hnsw: tuple[VectorIndex, np.ndarray]) -> None:
    index, matrix = hnsw
    allowed = np.arange(index.count) % 2 == 0
    query = unit_vectors(1, seed=4)[0]
    hits = index.search(query.reshape(1, -1), 10, allowed, VectorSettings(subset_exact_max=100))
    assert len(hits.ids) == 10 and allowed[hits.ids].all()
    assert len(set(hits.ids.tolist()) & set(exact(matrix, query, 10, allowed))) >= 8


def test_stored_vectors_are_read_only_and_copies_are_returned(hnsw: tuple[VectorIndex, np.ndarray]) -> None:
    index, _ = hnsw
    with pytest.raises(ValueError):
        index.matrix[0, 0] = 1.0
    copy = index.vector(0)
    copy[0, 0] = 5.0
    kept, _ = index.passage_vectors(np.array([0]))
    kept[0, 0] = 5.0
    assert index.matrix[0, 0] != 5.0


def test_thread_settings_for_faiss_are_per_thread_and_restored() -> None:
    def in_a_new_thread() -> int:
        seen: list[int] = []
        other = threading.Thread(target=lambda: seen.append(faiss.omp_get_max_threads()))
        other.start()
        other.join()
        return seen[0]

    before, fresh = faiss.omp_get_max_threads(), in_a_new_thread()
    with faiss_threads(1):
        assert faiss.omp_get_max_threads() == 1
        assert in_a_new_thread() == fresh  # the setting is this thread's alone
    assert faiss.omp_get_max_threads() == before


def test_loaded_vectors_are_memory_mapped_from_the_segment_file(tmp_path) -> None:
    matrix = unit_vectors(5000, seed=6)
    VectorIndex(build_vector_index(matrix)).save(tmp_path)
    loaded = VectorIndex.load(tmp_path, 5000)
    np.testing.assert_array_equal(loaded.matrix, matrix)
    mapped = [line for line in open("/proc/self/maps", encoding="utf-8") if str(tmp_path) in line]
    assert vectors.MMAP_FLAG == 0 or mapped, "the vector file should be mapped, not copied"


def windowed(passages: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors for passages of 1 to 4 vectors each (the whole text first, then windows), and their owners."""
    owners = np.repeat(np.arange(passages), np.random.default_rng(seed).integers(1, 5, passages)).astype(np.int32)
    return unit_vectors(len(owners), seed), owners


def passage_scores(matrix: np.ndarray, owners: np.ndarray, query: np.ndarray, passages: int) -> np.ndarray:
    """Each passage's score, written out: the mean of its first (whole-text) vector's and its best vector's."""
    scores = []
    for p in range(passages):
        rows = matrix[owners == p] @ query
        scores.append((rows[0] + rows.max()) / 2)
    return np.array(scores)


@pytest.mark.parametrize("threshold", [100_000, 500])  # exact, then HNSW over the windows
def test_a_passage_scores_its_whole_text_and_best_window(threshold: int, tmp_path) -> None:
    settings = VectorSettings(exact_max=threshold)
    matrix, owners = windowed(600, seed=7)
    index = VectorIndex(build_vector_index(matrix, settings), owners, 600)
    index.save(tmp_path)
    index = VectorIndex.load(tmp_path, 600)
    for query in unit_vectors(10, seed=8):
        best = passage_scores(matrix, owners, query, 600)
        hits = index.search(query.reshape(1, -1), 20, None, settings)
        assert len(set(hits.ids.tolist())) == len(hits.ids) == 20  # passages, each once
        np.testing.assert_allclose(hits.scores, best[hits.ids], rtol=1e-5)
        expected = np.argsort(-best, kind="stable")[:20].tolist()
        overlap = len(set(hits.ids.tolist()) & set(expected)) / 20
        assert overlap == 1.0 if threshold > 600 * 4 else overlap >= 0.9
        np.testing.assert_allclose(index.scores(np.array([3, 0, 599]), query), best[[3, 0, 599]], rtol=1e-5)
        allowed = np.zeros(600, bool)
        allowed[::50] = True
        filtered = index.search(query.reshape(1, -1), 5, allowed, settings)
        masked = np.where(allowed, best, -np.inf)
        assert filtered.ids.tolist() == np.argsort(-masked, kind="stable")[:5].tolist()


def test_merging_reads_back_every_window_with_renumbered_owners() -> None:
    matrix, owners = windowed(50, seed=9)
    index = VectorIndex(build_vector_index(matrix), owners, 50)
    kept, new_owners = index.passage_vectors(np.array([4, 9, 10]))
    expected = [v for p in (4, 9, 10) for v in np.flatnonzero(owners == p)]
    np.testing.assert_array_equal(kept, matrix[expected])
    assert new_owners.tolist() == [i for i, p in enumerate((4, 9, 10)) for _ in range(int((owners == p).sum()))]
    np.testing.assert_array_equal(index.vector(4)[0], matrix[np.flatnonzero(owners == 4)[0]])  # its whole text


def test_owners_that_disagree_with_the_vectors_are_corruption() -> None:
    matrix = unit_vectors(10, seed=10)
    for owners, passages in ((np.arange(9), 10), (np.array([0, 1, 0, 2, 3, 4, 5, 6, 7, 8]), 10),
                             (np.arange(10), 5)):
        with pytest.raises(IndexCorrupt):
            VectorIndex(build_vector_index(matrix), owners, passages)


@pytest.mark.parametrize("compact", ["sq8", "fp16"])
def test_past_the_threshold_vectors_are_stored_compactly_and_still_found(compact: str, tmp_path) -> None:
    settings = VectorSettings(exact_max=100, compact_above=1000, compact=compact)
    assert vectors.index_kind(1000, settings) == "hnsw32-ip"
    assert vectors.index_kind(1001, settings) == f"hnsw32-{compact}-ip"
    matrix, owners = windowed(600, seed=11)  # about 1,500 vectors
    VectorIndex(build_vector_index(matrix, settings), owners, 600).save(tmp_path)
    full = tmp_path / "full"
    full.mkdir()
    VectorIndex(build_vector_index(matrix, VectorSettings(exact_max=100)), owners, 600).save(full)
    index = VectorIndex.load(tmp_path, 600)
    assert index.kind == f"hnsw32-{compact}-ip" and index.matrix is None
    per_dimension = {"sq8": 1, "fp16": 2}[compact]
    stored = (tmp_path / "vectors.faiss").stat().st_size
    assert stored < (full / "vectors.faiss").stat().st_size - (4 - per_dimension) * matrix.size * 0.9
    np.testing.assert_allclose(index.rows(np.array([0, 7])), matrix[[0, 7]], atol=0.01)
    overlaps = []
    for query in unit_vectors(20, seed=12):
        best = passage_scores(matrix, owners, query, 600)
        hits = index.search(query.reshape(1, -1), 10, None, settings)
        np.testing.assert_allclose(hits.scores, best[hits.ids], atol=0.01)  # scored from the codes
        overlaps.append(len(set(hits.ids.tolist()) & set(np.argsort(-best)[:10].tolist())) / 10)
    assert np.mean(overlaps) >= 0.9
    kept, kept_owners = index.passage_vectors(np.array([3, 4]))
    np.testing.assert_allclose(kept, matrix[(owners == 3) | (owners == 4)], atol=0.01)  # merges decode
