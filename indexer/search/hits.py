"""Hydration: ranked passage numbers as the hits users see (stored fields, highlight, citation, scores, copies)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from ..analysis.analyzer import Analyzer
from ..analysis.copies import CopyGroups
from ..index.ranking import Ranking
from ..index.store import PassageRecord
from ..index.view import IndexView
from ..schema import MAX_COPIES_LISTED, CopyRef, Hit, Scores, original_url
from .citation import citation
from .highlight import highlight_html


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


def view_fields(record: PassageRecord, model: type[BaseModel]) -> dict[str, object]:
    """The record's values of the response model's fields it has: one passage type, each view picks from it."""
    return {name: getattr(record, name) for name in model.model_fields if hasattr(record, name)}


def dek(text: str, body_start: int, records: list[PassageRecord]) -> str | None:
    """The article's subtitle: lines before its first passage that are neither speaker lines (ending in a colon)
    nor section headlines."""
    end = records[0].start if records else len(text)
    headlines = {r.section for r in records}
    lines = [line.strip() for line in text[body_start:end].splitlines()]
    kept = [line for line in lines if line and not line.endswith(("：", ":")) and line not in headlines]
    return "\n".join(kept) or None


def hydrate(view: IndexView, analyzer: Analyzer, page: list[tuple[int, float]], keyword: Ranking | None,
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
        results.append(Hit.model_validate({
            **view_fields(record, Hit),
            "highlight": highlight_html(record.text, analyzer.match_spans(record.text, terms)),
            "citation": citation(record), "score": round(score, 6),
            "original_url": original_url(record.article_id, record.format, record.page),
            "scores": Scores(keyword=keyword_ranks.get(n), semantic=semantic_ranks.get(n)),
            "copies_total": len(others[n]),
            "copies": [CopyRef(passage_id=c.id, article_id=c.article_id, article_title=c.article_title, date=c.date,
                               source=c.source) for c in (records[m] for m in others[n][:MAX_COPIES_LISTED])],
        }))
    return results
