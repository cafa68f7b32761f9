"""One retrieval's pieces: how a search runs (Plan), what it found (Listing, KeywordResult), date order, phrases."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .analyzer import fold
from .fusion import Fusion
from .ranking import Ranking
from .requests import Mode

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
