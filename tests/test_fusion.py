"""Fusion of two rankings: weighted reciprocal rank fusion and convex combinations, on hand-made rankings."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.index.ranking import Ranking
from indexer.search.fusion import Candidates, Fusion, convex, fuse, reciprocal_rank, union


def ranking(ids: list[int], scores: list[float]) -> Ranking:
    return Ranking(np.array(ids, np.int64), np.array(scores, np.float32))


KEYWORD = ranking([7, 3, 5], [9.0, 4.0, 1.0])
SEMANTIC = ranking([3, 8, 7], [0.9, 0.85, 0.80])


def test_rrf_at_even_weight_is_plain_rrf_and_ties_go_to_the_lower_number() -> None:
    fused = reciprocal_rank(KEYWORD, SEMANTIC, 0.5, k=60)
    expected = {7: 1 / 61 + 1 / 63, 3: 1 / 62 + 1 / 61, 5: 1 / 63, 8: 1 / 62}
    assert fused.ids.tolist() == sorted(expected, key=lambda n: (-expected[n], n))
    assert fused.scores.tolist() == pytest.approx([expected[n] for n in fused.ids.tolist()])
    tie = reciprocal_rank(ranking([4], [1.0]), ranking([2], [1.0]), 0.5)
    assert tie.ids.tolist() == [2, 4]


def test_semantic_ratio_moves_rrf_between_the_two_lists() -> None:
    assert reciprocal_rank(KEYWORD, SEMANTIC, 0.0).ids.tolist()[:3] == [7, 3, 5]
    assert reciprocal_rank(KEYWORD, SEMANTIC, 1.0).ids.tolist()[:3] == [3, 8, 7]
    assert reciprocal_rank(KEYWORD, SEMANTIC, 0.2).ids[0] == 7 and reciprocal_rank(KEYWORD, SEMANTIC, 0.8).ids[0] == 3


def candidates() -> Candidates:
    ids = union(KEYWORD, SEMANTIC)
    keyword = {7: 9.0, 3: 4.0, 5: 1.0, 8: 0.0}
    semantic = {3: 0.9, 8: 0.85, 7: 0.80, 5: 0.70}
    return Candidates(ids, np.array([keyword[n] for n in ids.tolist()]), np.array([semantic[n] for n in ids.tolist()]))


def test_minmax_is_the_weighted_sum_of_scores_scaled_to_0_1() -> None:
    both = candidates()
    fused = convex(both, 0.3, "minmax")
    kw = (both.keyword - 0.0) / 9.0
    sem = (both.semantic - 0.70) / 0.20
    expected = dict(zip(both.ids.tolist(), (0.7 * kw + 0.3 * sem).tolist()))
    assert dict(zip(fused.ids.tolist(), fused.scores.tolist())) == pytest.approx(expected)
    assert fused.scores.tolist() == sorted(fused.scores.tolist(), reverse=True)


def test_zscore_uses_standard_scores_and_the_extremes_are_single_retrievers() -> None:
    both = candidates()
    fused = convex(both, 0.5, "zscore")
    kw = (both.keyword - both.keyword.mean()) / both.keyword.std()
    sem = (both.semantic - both.semantic.mean()) / both.semantic.std()
    assert dict(zip(fused.ids.tolist(), fused.scores.tolist())) == pytest.approx(
        dict(zip(both.ids.tolist(), (0.5 * kw + 0.5 * sem).tolist())))
    assert convex(both, 0.0, "minmax").ids.tolist() == [7, 3, 5, 8]
    assert convex(both, 1.0, "minmax").ids.tolist() == [3, 8, 7, 5]


def test_constant_scores_and_empty_lists_do_not_divide_by_zero() -> None:
    flat = Candidates(np.array([1, 2]), np.array([2.0, 2.0]), np.array([0.5, 0.5]))
    assert convex(flat, 0.5, "minmax").ids.tolist() == [1, 2]
    assert convex(flat, 0.5, "zscore").scores.tolist() == [0.0, 0.0]
    empty = Candidates(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
    assert len(convex(empty, 0.5, "minmax")) == 0
    assert len(fuse(Ranking.empty(), Ranking.empty(), Fusion("rrf"))) == 0


def test_rank_of_reports_one_based_ranks_of_listed_passages_only() -> None:
    ranks = KEYWORD.rank_of([5, 8, 7])
    assert {n: (r.rank, r.score) for n, r in ranks.items()} == {5: (3, 1.0), 7: (1, 9.0)}
