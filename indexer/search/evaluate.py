"""Retrieval evaluation: qrels (JSONL, or SQuAD-style such as CMRC 2018), and Recall@k, MRR@10, nDCG@10."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

from ..errors import QueryError
from ..ingest.files import article_id_for

CUTOFFS = (1, 5, 10)


class Relevant(BaseModel):
    """A relevant unit: every passage of an article, or any passage containing a string."""

    article_id: str | None = None
    contains: str | None = None
    grade: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _one_key(self) -> Relevant:
        if (self.article_id is None) == (self.contains is None):
            raise ValueError("give exactly one of article_id or contains")
        return self

    @property
    def key(self) -> str:
        """Identity of the unit, so one relevant unit counts once however many passages match it."""
        return f"article:{self.article_id}" if self.article_id is not None else f"contains:{self.contains}"

    def matches(self, article_id: str, text: str) -> bool:
        """Whether a retrieved passage belongs to this unit."""
        if self.article_id is not None:
            return article_id == self.article_id
        return self.contains is not None and self.contains in text


class Qrel(BaseModel):
    """One query and what is relevant for it."""

    q: str = Field(min_length=1, max_length=10_000, pattern=r"\S")
    relevant: list[Relevant] = Field(min_length=1)


@dataclass(frozen=True)
class Retrieved:
    """One ranked passage as the evaluator sees it."""

    article_id: str
    text: str


def squad_article_id(paragraph_id: str, prefix: str = "cmrc-") -> str:
    """The article id a SQuAD paragraph gets when written to the corpus as `<prefix><id>.txt`."""
    return article_id_for(f"{prefix}{paragraph_id}.txt")


def load_qrels(path: Path, squad_prefix: str = "cmrc-") -> list[Qrel]:
    """Read JSONL qrels, or turn a SQuAD-style JSON file into qrels (a question's relevant unit: its paragraph)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"cannot read qrels {path}: {exc}") from exc
    stripped = text.lstrip()
    if stripped.startswith("{") and '"data"' in stripped[:2000] and not stripped.startswith('{"q"'):
        try:
            squad = json.loads(text)
        except ValueError as exc:
            raise QueryError(f"{path}: not valid JSON ({exc})") from exc
        # The CMRC trial set has a question that is empty; it cannot be asked, so it is left out.
        return [Qrel(q=qa["question"].strip(),
                     relevant=[Relevant(article_id=squad_article_id(paragraph["id"], squad_prefix))])
                for entry in squad["data"] for paragraph in entry["paragraphs"] for qa in paragraph["qas"]
                if qa["question"].strip()]
    qrels: list[Qrel] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            qrels.append(Qrel.model_validate_json(line))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise QueryError(f"{path}:{number}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
    if not qrels:
        raise QueryError(f"{path}: no queries")
    return qrels


def judge(qrel: Qrel, ranked: Sequence[Retrieved]) -> list[tuple[int, str | None]]:
    """Per rank: (grade, unit key) of the first not-yet-seen relevant unit the passage belongs to, else (0, None)."""
    seen: set[str] = set()
    judged: list[tuple[int, str | None]] = []
    for hit in ranked:
        unit = next((r for r in qrel.relevant if r.key not in seen and r.matches(hit.article_id, hit.text)), None)
        if unit is None:
            judged.append((0, None))
        else:
            seen.add(unit.key)
            judged.append((unit.grade, unit.key))
    return judged


def metrics_for(qrel: Qrel, ranked: Sequence[Retrieved], cutoffs: Sequence[int] = CUTOFFS) -> dict[str, float]:
    """Recall at each cutoff (1/5/10 by default), MRR@10 and nDCG@10 of one ranking."""
    judged = judge(qrel, ranked[:max(10, *cutoffs)])
    found = [grade > 0 for grade, _ in judged]
    scores = {f"recall@{k}": sum(found[:k]) / len(qrel.relevant) for k in cutoffs}
    first = next((i for i, hit in enumerate(found[:10]) if hit), None)
    scores["mrr@10"] = 0.0 if first is None else 1.0 / (first + 1)
    dcg = sum((2 ** grade - 1) / math.log2(i + 2) for i, (grade, _) in enumerate(judged[:10]))
    ideal = sorted((r.grade for r in qrel.relevant), reverse=True)[:10]
    idcg = sum((2 ** grade - 1) / math.log2(i + 2) for i, grade in enumerate(ideal))
    scores["ndcg@10"] = dcg / idcg if idcg else 0.0
    return scores


def evaluate(qrels: Sequence[Qrel], run: Callable[[str], Sequence[Retrieved]],
             cutoffs: Sequence[int] = CUTOFFS) -> dict[str, float]:
    """Mean metrics of `run` (query → ranking at least as deep as the largest cutoff, and 10) over all qrels."""
    totals: dict[str, float] = {}
    for qrel in qrels:
        for name, value in metrics_for(qrel, run(qrel.q), cutoffs).items():
            totals[name] = totals.get(name, 0.0) + value
    return {name: round(value / len(qrels), 4) for name, value in totals.items()} | {"queries": len(qrels)}
