"""Citations: one line to cite a passage by."""

from __future__ import annotations

from ..index.store import PassageRecord


def citation(record: PassageRecord) -> str:
    """One line to cite a passage by: 《title》, author, source, date, speaker (role), paragraph, page, URL."""
    who = f"{record.speaker}（{record.role}）" if record.speaker and record.role else record.speaker
    url = record.url if record.url and record.url.startswith(("http://", "https://")) else None
    page = f"第{record.page}页" if record.page else None
    parts = [f"《{record.article_title}》", record.author, record.source, record.date, who, f"第{record.paragraph}段",
             page, url]
    return "，".join(p for p in parts if p)
