"""Retrieval: filter masks, each retriever's ranked list, their fusion (Plan, Listing), date order, phrases."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..analysis.analyzer import fold
from ..embed.floor import FloorScorer
from ..index.keyword import top_k
from ..index.ranking import Ranking
from ..index.view import IndexView
from ..requests import FILTER_NAMES, Filters, Mode, SearchRequest
from ..settings import SearchSettings
from .fusion import Candidates, Fusion, fuse, union

_WHITESPACE = re.compile(r"\s+")
_QUOTED = re.compile(r"[\"“”「」『』]([^\"“”「」『』]+)[\"“”「」『』]")


@dataclass(frozen=True)
class KeywordResult:
    """The keyword ranking (exact-phrase passages first), every passage's BM25 score, and which passages matched."""

    ranking: Ranking
    scores: np.ndarray
    matched: np.ndarray
    exact: frozenset[int]


@dataclass(frozen=True)
class Plan:
    """How one search runs: the mode served, fusion, the query vector, and the query's BM25 scores (computed once)."""

    mode: Mode
    ratio: float | None
    fusion: Fusion
    query: np.ndarray | None
    keyword_scores: Callable[[], np.ndarray]


@dataclass(frozen=True)
class Listing:
    """One retrieval: the ranked list, the pool it walks, and each retriever's own list."""

    ranked: Ranking
    pool: np.ndarray
    keyword: KeywordResult | None
    semantic: Ranking | None


def by_date(listing: Listing, dates: np.ndarray, newest: bool, every_match: bool) -> Ranking:
    """The list ordered by article date (undated last), ties in relevance order; keyword lists take every match."""
    if every_match and listing.keyword is not None:
        ids = np.flatnonzero(listing.pool)
        scores = listing.keyword.scores[ids]
        relevance = np.lexsort((ids, -scores))
        ids, scores = ids[relevance], scores[relevance]
    else:
        ids, scores = listing.ranked.ids, listing.ranked.scores
    keys = dates[ids].astype(np.int64)
    keys = np.where(keys > 0, -keys if newest else keys, np.iinfo(np.int64).max)
    order = np.lexsort((np.arange(len(ids)), keys))
    return Ranking(ids[order], scores[order])


def fold_phrase(text: str) -> str:
    """Text folded for phrase containment: the analyzer's folding, without whitespace."""
    return _WHITESPACE.sub("", fold(text))


def phrases(query: str) -> list[str]:
    """Quoted segments of the query, or the whole query when it is one unbroken string."""
    quoted = [fold_phrase(m) for m in _QUOTED.findall(query)]
    if quoted:
        return [p for p in quoted if p]
    return [fold_phrase(query)] if not re.search(r"\s", query) and len(query) >= 2 else []


class Retriever:
    """Ranked lists from one index view: BM25 (exact phrases first), vectors (above the semantic floor), fused."""

    def __init__(self, view: IndexView, floor: FloorScorer | None, settings: SearchSettings) -> None:
        self.view = view
        self.floor = floor
        self.settings = settings

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Mask of live passages passing the filters (OR within a facet, AND across); None when that is all."""
        if not filters.active and self.view.all_live:
            return None  # saves a pass over every passage on each unfiltered query
        mask = self.view.live.copy()
        for name in FILTER_NAMES:
            values = getattr(filters, name)
            if values:
                labels, codes = self.view.filters[name]
                positions = np.searchsorted(labels, values)
                known = [int(p) for p, v in zip(positions, values) if p < len(labels) and labels[p] == v]
                mask &= np.isin(codes, known)
        low, high = filters.date_bounds()
        if low is not None:
            mask &= self.view.dates >= low
        if high is not None:
            mask &= (self.view.dates <= high) & (self.view.dates > 0)
        return mask

    def keyword(self, request: SearchRequest, scores: np.ndarray, depth: int,
                 allowed: np.ndarray | None) -> KeywordResult:
        """BM25 ranking, with passages containing the query's exact phrase(s) moved to the front."""
        ranking, matched = top_k(scores, depth, allowed, self.settings.keyword)
        wanted = phrases(request.q)
        exact: frozenset[int] = frozenset()
        if wanted and len(ranking):
            texts = self.view.texts(ranking.ids.tolist())
            found = np.array([all(p in fold_phrase(texts[int(n)]) for p in wanted) for n in ranking.ids])
            exact = frozenset(ranking.ids[found].tolist())
            order = np.argsort(~found, kind="stable")
            ranking = Ranking(ranking.ids[order], ranking.scores[order])
        return KeywordResult(ranking, scores, matched, exact)

    def semantic(self, query: np.ndarray, depth: int, allowed: np.ndarray | None) -> Ranking:
        """The nearest passages that clear the semantic floor (all of the nearest when the index has none)."""
        nearest = self.view.vector_search(query, depth, allowed, self.settings.vectors)
        if self.floor is None:
            return nearest
        return nearest.where(nearest.scores >= self.floor.threshold(query))

    def candidates(self, keyword: KeywordResult, semantic: Ranking, query: np.ndarray) -> Candidates:
        """Both retrievers' scores for every passage either returned (exact-phrase passages lifted above the rest)."""
        ids = union(keyword.ranking, semantic)
        bm25 = keyword.scores[ids].astype(np.float64)
        if keyword.exact:
            lifted = np.fromiter((n in keyword.exact for n in ids.tolist()), bool, len(ids))
            bm25 = bm25 + lifted * (bm25.max() + 1e-6)
        return Candidates(ids, bm25, self.view.vector_scores(ids, query))

    def retrieve(self, request: SearchRequest, plan: Plan, allowed: np.ndarray | None, depth: int) -> Listing:
        """Each retriever's list, their fusion, and the pool of every passage the list walks."""
        keyword: KeywordResult | None = None
        semantic: Ranking | None = None
        if plan.mode in ("keyword", "hybrid"):
            scores = plan.keyword_scores()  # cached per search; top_k zeroes what a mask leaves out, so copy then
            keyword = self.keyword(request, scores if allowed is None else scores.copy(), depth, allowed)
        if plan.query is not None:
            semantic = self.semantic(plan.query, depth, allowed)
        if keyword is not None and semantic is not None and plan.query is not None and plan.ratio is not None:
            candidates = self.candidates(keyword, semantic, plan.query) if plan.fusion.method != "rrf" else None
            ranked = fuse(keyword.ranking, semantic, plan.fusion, candidates)
        else:
            ranked = keyword.ranking if keyword is not None else semantic  # type: ignore[assignment]
        assert ranked is not None
        # The pool is every passage in the list that paging walks: the basis of `total` and the facets. Keyword
        # lists walk every match; semantic and hybrid lists are exactly what was ranked (and cleared the floor).
        if keyword is not None and plan.mode == "keyword":
            pool = keyword.matched
        else:
            pool = np.zeros(self.view.n_docs, bool)
            pool[ranked.ids] = True
        return Listing(ranked, pool, keyword, semantic)
