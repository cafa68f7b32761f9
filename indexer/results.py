"""Turning ranked passage numbers into what users see: hydrated hits with highlights and score breakdowns, facets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .analyzer import Analyzer, highlight_html
from .copies import CopyGroups
from .ranking import Ranking
from .schema import MAX_COPIES_LISTED, CopyRef, Facets, FacetValue, Hit, Scores
from .store import PassageRecord
from .view import IndexView

FACETS = ("speaker", "region", "source", "year")
FACET_TOP = 20
FACET_YEARS = 50


def highlight_terms(terms: list[str]) -> set[str]:
    """The query terms worth marking: its words, not the single characters a longer question also yields.

    jieba cuts 哪个区要打造食品工业基地 into 哪个, 区, 要, 打造, 食品, 工业, 基地; marking 区 and 要 wherever they occur
    buries the words that matched. A query of single characters only (区) still marks them.
    """
    words = {t for t in terms if len(t) > 1}
    return words or set(terms)


@dataclass(frozen=True)
class Copies:
    """How a result list treats syndicated copies: the groups, the filter mask, and whether groups collapse."""

    groups: CopyGroups
    allowed: np.ndarray | None
    collapse: bool

    def members(self, num: int) -> list[int]:
        """num's group (num alone if none) among passages the filters allow, earliest first."""
        members = self.groups.of(num)
        return [int(m) for m in (members if self.allowed is None else members[self.allowed[members]])] or [num]


def citation(record: PassageRecord) -> str:
    """One line to cite a passage by: 《title》, source, date, speaker (role), paragraph, URL."""
    who = f"{record.speaker}（{record.role}）" if record.speaker and record.role else record.speaker
    url = record.url if record.url and record.url.startswith(("http://", "https://")) else None
    parts = [f"《{record.article_title}》", record.source, record.date, who, f"第{record.paragraph}段", url]
    return "，".join(p for p in parts if p)


def hits(view: IndexView, analyzer: Analyzer, page: list[tuple[int, float]], keyword: Ranking | None,
         semantic: Ranking | None, terms: set[str], copies: Copies | None = None) -> list[Hit]:
    """Ranked (passage number, score) pairs as result objects, read from the store in one pass.

    A collapsed group shows its earliest article's passage, with the ranks and score of the copy that ranked.
    """
    numbers = [n for n, _ in page]
    groups = {n: copies.members(n) if copies else [n] for n in numbers}
    shown = {n: members[0] if copies and copies.collapse else n for n, members in groups.items()}
    others = {n: [m for m in members if m != shown[n]] for n, members in groups.items()}
    wanted = set(shown.values()) | {m for rest in others.values() for m in rest[:MAX_COPIES_LISTED]}
    records = view.passages(sorted(wanted))
    keyword_ranks = keyword.rank_of(numbers) if keyword is not None else {}
    semantic_ranks = semantic.rank_of(numbers) if semantic is not None else {}
    results: list[Hit] = []
    for n, score in page:
        record = records[shown[n]]
        results.append(Hit(
            id=record.id, article_id=record.article_id, article_title=record.article_title, date=record.date,
            source=record.source, url=record.url, speaker=record.speaker, role=record.role, region=record.region,
            section=record.section, paragraph=record.paragraph, text=record.text,
            highlight=highlight_html(record.text, analyzer.match_spans(record.text, terms)),
            citation=citation(record), score=round(score, 6),
            scores=Scores(keyword=keyword_ranks.get(n), semantic=semantic_ranks.get(n)),
            copies_total=len(others[n]),
            copies=[CopyRef(passage_id=c.id, article_id=c.article_id, article_title=c.article_title, date=c.date,
                            source=c.source) for c in (records[m] for m in others[n][:MAX_COPIES_LISTED])],
        ))
    return results


def facets(view: IndexView, pools: dict[str, np.ndarray], articles: bool = False) -> Facets:
    """Counts of each facet over its pool (passages, or with `articles` distinct articles), passages without a
    value left out; most frequent first, years newest first."""
    counted: dict[str, list[FacetValue]] = {}
    article_codes = view.filters["article"][1]
    for name in FACETS:
        labels = view.filters[name][0]
        numbers, codes = view.labelled[name]
        chosen = pools[name][numbers]
        if articles:  # one count per (article, value) pair
            pairs = np.unique(article_codes[numbers[chosen]].astype(np.int64) * len(labels) + codes[chosen])
            counts = np.bincount(pairs % max(len(labels), 1), minlength=len(labels))
        else:
            counts = np.bincount(codes[chosen], minlength=len(labels))
        present = [int(c) for c in np.flatnonzero(counts) if labels[c]]
        if name == "year":
            order = sorted(present, key=lambda c: labels[c], reverse=True)[:FACET_YEARS]
        else:
            order = sorted(present, key=lambda c: (-counts[c], labels[c]))[:FACET_TOP]
        counted[name] = [FacetValue(value=labels[c], count=int(counts[c])) for c in order]
    return Facets(**counted)
