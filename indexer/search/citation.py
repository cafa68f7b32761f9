"""Citations: one line to cite a passage by."""

from __future__ import annotations

from ..index.store import PassageRecord


def citation(record: PassageRecord) -> str:
    """One line to cite a passage by: 《title》, source, date, speaker (role), paragraph, URL."""
    who = f"{record.speaker}（{record.role}）" if record.speaker and record.role else record.speaker
    url = record.url if record.url and record.url.startswith(("http://", "https://")) else None
    parts = [f"《{record.article_title}》", record.source, record.date, who, f"第{record.paragraph}段", url]
    return "，".join(p for p in parts if p)
