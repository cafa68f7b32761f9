"""Fusing the keyword and semantic rankings into one list: weighted reciprocal rank fusion or a convex combination.

`semantic_ratio` weighs the two (0 = keyword only, 1 = semantic only), as Meilisearch's `semanticRatio` does. The
default method and ratio were chosen by measurement on the dev sets (benchmarks/README.md, "Fusion").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..index.ranking import Ranking

FusionMethod = Literal["rrf", "minmax", "zscore"]
FUSION_METHODS: tuple[FusionMethod, ...] = ("rrf", "minmax", "zscore")
DEFAULT_METHOD: FusionMethod = "minmax"
DEFAULT_SEMANTIC_RATIO = 0.7
RRF_K = 60


@dataclass(frozen=True)
class Fusion:
    """How hybrid mode combines the two rankings."""

    method: FusionMethod = DEFAULT_METHOD
    semantic_ratio: float = DEFAULT_SEMANTIC_RATIO
    rrf_k: int = RRF_K

    def __str__(self) -> str:
        return f"{self.method}{f' k={self.rrf_k}' if self.method == 'rrf' else ''} ratio={self.semantic_ratio:g}"


@dataclass(frozen=True)
class Candidates:
    """Every passage either retriever returned, with both retrievers' scores for each (for convex fusion).

    `keyword` already carries the exact-phrase boost, so its order agrees with the keyword ranking's.
    """

    ids: np.ndarray
    keyword: np.ndarray
    semantic: np.ndarray


def _ordered(ids: np.ndarray, scores: np.ndarray) -> Ranking:
    """Best score first, ties by passage number (so every page of a query agrees)."""
    order = np.lexsort((ids, -scores))
    return Ranking(ids[order], scores[order])


def reciprocal_rank(keyword: Ranking, semantic: Ranking, ratio: float, k: int = RRF_K) -> Ranking:
    """Weighted RRF: Σ w/(k + rank), w = 1 − ratio for keyword and ratio for semantic, doubled (0.5 is plain RRF)."""
    fused: dict[int, float] = {}
    for ranking, weight in ((keyword, 2 * (1 - ratio)), (semantic, 2 * ratio)):
        for rank, n in enumerate(ranking.ids.tolist(), 1):
            fused[n] = fused.get(n, 0.0) + weight / (k + rank)
    ids = np.fromiter(fused.keys(), np.int64, len(fused))
    return _ordered(ids, np.fromiter(fused.values(), np.float64, len(fused)))


def _normalised(scores: np.ndarray, method: FusionMethod) -> np.ndarray:
    """Scores mapped to a common scale: [0, 1] by min and max, or standard scores."""
    scores = scores.astype(np.float64)
    if method == "minmax":
        spread = scores.max() - scores.min()
        return (scores - scores.min()) / spread if spread > 0 else np.zeros_like(scores)
    spread = scores.std()
    return (scores - scores.mean()) / spread if spread > 0 else np.zeros_like(scores)


def convex(candidates: Candidates, ratio: float, method: FusionMethod) -> Ranking:
    """(1 − ratio) · keyword + ratio · semantic, each normalised over the candidates."""
    if len(candidates.ids) == 0:
        return Ranking.empty()
    fused = ((1 - ratio) * _normalised(candidates.keyword, method)
             + ratio * _normalised(candidates.semantic, method))
    return _ordered(candidates.ids, fused)


def fuse(keyword: Ranking, semantic: Ranking, fusion: Fusion, candidates: Candidates | None = None) -> Ranking:
    """One ranked list from both rankings; convex methods need both retrievers' scores of every candidate."""
    if fusion.method == "rrf":
        return reciprocal_rank(keyword, semantic, fusion.semantic_ratio, fusion.rrf_k)
    assert candidates is not None, "convex fusion needs the candidates' scores"
    return convex(candidates, fusion.semantic_ratio, fusion.method)


def union(keyword: Ranking, semantic: Ranking) -> np.ndarray:
    """Passage numbers in either ranking, in ascending order."""
    return np.union1d(keyword.ids, semantic.ids).astype(np.int64)
