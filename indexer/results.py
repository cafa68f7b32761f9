"""Turning ranked passage numbers into what users see: hydrated hits with highlights and score breakdowns, facets."""

from __future__ import annotations

import numpy as np

from .analyzer import Analyzer, highlight_html
from .ranking import Ranking
from .schema import Facets, FacetValue, Hit, Scores
from .view import IndexView

FACETS = ("speaker", "region")
FACET_TOP = 20


def highlight_terms(terms: list[str]) -> set[str]:
    """The query terms worth marking: its words, not the single characters a longer question also yields.

    jieba cuts 哪个区要打造食品工业基地 into 哪个, 区, 要, 打造, 食品, 工业, 基地; marking 区 and 要 wherever they occur
    buries the words that matched. A query of single characters only (区) still marks them.
    """
    words = {t for t in terms if len(t) > 1}
    return words or set(terms)


def hits(view: IndexView, analyzer: Analyzer, page: list[tuple[int, float]], keyword: Ranking | None,
         semantic: Ranking | None, terms: set[str]) -> list[Hit]:
    """Ranked (passage number, score) pairs as result objects, read from the store in one pass."""
    numbers = [n for n, _ in page]
    records = view.passages(numbers)
    keyword_ranks = keyword.rank_of(numbers) if keyword is not None else {}
    semantic_ranks = semantic.rank_of(numbers) if semantic is not None else {}
    results: list[Hit] = []
    for n, score in page:
        record = records[n]
        results.append(Hit(
            id=record.id, article_id=record.article_id, article_title=record.article_title, date=record.date,
            speaker=record.speaker, role=record.role, region=record.region, section=record.section,
            paragraph=record.paragraph, text=record.text,
            highlight=highlight_html(record.text, analyzer.match_spans(record.text, terms)),
            score=round(score, 6),
            scores=Scores(keyword=keyword_ranks.get(n), semantic=semantic_ranks.get(n)),
        ))
    return results


def facets(view: IndexView, pool: np.ndarray) -> Facets:
    """Speaker and region counts over the pool, most frequent first, passages without one left out."""
    counted: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        labels = view.filters[name][0]
        numbers, codes = view.labelled[name]
        counts = np.bincount(codes[pool[numbers]], minlength=len(labels))
        order = sorted((c for c in np.flatnonzero(counts) if labels[c]), key=lambda c: (-counts[c], labels[c]))
        counted[name] = [FacetValue(value=labels[c], count=int(counts[c])) for c in order[:FACET_TOP]]
    return Facets(**counted)
