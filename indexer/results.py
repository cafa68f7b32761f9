"""Turning ranked passage numbers into what users see: hydrated hits with highlights and score breakdowns, facets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from .analyzer import Analyzer, highlight_html
from .copies import CopyGroups
from .ranking import Ranking
from .schema import MAX_COPIES_LISTED, CopyRef, Facets, FacetValue, Hit, Scores
from .store import PassageRecord
from .view import IndexView

FACETS = ("speaker", "region", "source", "year")
FACET_TOP = 20
FACET_YEARS = 50
JOINT = ("source", "year")  # facets of the article, labelling (nearly) every passage: counted together


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
        results.append(Hit.model_validate({
            **view_fields(record, Hit),
            "highlight": highlight_html(record.text, analyzer.match_spans(record.text, terms)),
            "citation": citation(record), "score": round(score, 6),
            "scores": Scores(keyword=keyword_ranks.get(n), semantic=semantic_ranks.get(n)),
            "copies_total": len(others[n]),
            "copies": [CopyRef(passage_id=c.id, article_id=c.article_id, article_title=c.article_title, date=c.date,
                               source=c.source) for c in (records[m] for m in others[n][:MAX_COPIES_LISTED])],
        }))
    return results


def _counts(view: IndexView, name: str, pool: np.ndarray, members: np.ndarray | None) -> np.ndarray:
    """How many passages of the pool have each value of a facet (index 0: none, when some passages lack one)."""
    labels = view.filters[name][0]
    numbers, codes = view.labelled[name]
    if members is not None:  # a short list (semantic, hybrid): look its passages up, not a pass over all
        position = np.minimum(np.searchsorted(numbers, members), max(len(numbers) - 1, 0))
        found = position[numbers[position] == members] if len(numbers) else position[:0]
        return np.bincount(codes[found], minlength=len(labels))
    return np.bincount(codes[pool[numbers]], minlength=len(labels))


def _article_counts(view: IndexView, name: str, pool: np.ndarray) -> np.ndarray:
    """How many articles of the pool have each value of a facet (one count per article and value)."""
    labels = view.filters[name][0]
    numbers, codes = view.labelled[name]
    chosen = pool[numbers]
    pairs = np.unique(view.filters["article"][1][numbers[chosen]].astype(np.int64) * len(labels) + codes[chosen])
    return np.bincount(pairs % max(len(labels), 1), minlength=len(labels))


def _joint_counts(view: IndexView, names: tuple[str, ...], pool: np.ndarray) -> dict[str, np.ndarray]:
    """Counts of several facets over one large pool in a single pass (their joint codes), then each one's."""
    joint, sizes = view.joint_codes(names)
    table = np.bincount(joint[pool], minlength=int(np.prod(sizes))).reshape(sizes)
    return {name: table.sum(axis=tuple(a for a in range(len(names)) if a != axis))
            for axis, name in enumerate(names)}


def facets(view: IndexView, pools: dict[str, np.ndarray], articles: bool = False) -> Facets:
    """Counts of each facet over its pool (passages, or with `articles` distinct articles), passages without a
    value left out; most frequent first, years newest first."""
    counted: dict[str, list[FacetValue]] = {}
    members: dict[int, np.ndarray | None] = {}
    joint: dict[str, np.ndarray] = {}
    for name in FACETS:
        pool = pools[name]
        if id(pool) not in members:  # a short list is looked up passage by passage, a long one passed over
            short = not articles and np.count_nonzero(pool) * 64 < len(pool)
            members[id(pool)] = np.flatnonzero(pool) if short else None
        if not articles and members[id(pool)] is None and name in JOINT and not joint:
            shared = [n for n in JOINT if pools[n] is pool]
            if len(shared) > 1:
                joint = _joint_counts(view, tuple(shared), pool)
        if name in joint:
            counts = joint[name]
        elif articles:
            counts = _article_counts(view, name, pool)
        else:
            counts = _counts(view, name, pool, members[id(pool)])
        labels = view.filters[name][0]
        present = [int(c) for c in np.flatnonzero(counts) if labels[c]]
        if name == "year":
            order = sorted(present, key=lambda c: labels[c], reverse=True)[:FACET_YEARS]
        else:
            order = sorted(present, key=lambda c: (-counts[c], labels[c]))[:FACET_TOP]
        counted[name] = [FacetValue(value=labels[c], count=int(counts[c])) for c in order]
    return Facets(**counted)
