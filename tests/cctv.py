"""CCTV news items from ../shared/data (read in place, never copied into the repository): tests and benchmarks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

CCTV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "cctv_news"


def cctv_items(limit: int | None = None, pattern: str = "*.md") -> Iterator[tuple[str, str, list[str]]]:
    """(date, title, paragraphs) of every detailed news item, oldest first."""
    count = 0
    for path in sorted(CCTV.glob(pattern)):
        text = path.read_text(encoding="utf-8")
        detail = text.split("## 详细新闻", 1)[-1]
        for block in re.split(r"^### ", detail, flags=re.M)[1:]:
            title, _, body = block.partition("\n")
            body = re.sub(r"<!--.*?-->|\*\*|\[查看原文\]\([^)]*\)", "", body)
            paragraphs = [line.strip() for line in body.splitlines() if len(line.strip()) >= 10]
            if paragraphs:
                yield path.stem, title.strip(), paragraphs
                count += 1
                if limit is not None and count >= limit:
                    return
