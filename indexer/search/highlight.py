"""Highlighting: which query terms are worth marking, and text as HTML with those terms in <mark>."""

from __future__ import annotations

import html


def highlight_terms(terms: list[str]) -> set[str]:
    """The query terms worth marking: its words, not the single characters a longer question also yields.

    jieba cuts 哪个区要打造食品工业基地 into 哪个, 区, 要, 打造, 食品, 工业, 基地; marking 区 and 要 wherever they occur
    buries the words that matched. A query of single characters only (区) still marks them.
    """
    words = {t for t in terms if len(t) > 1}
    return words or set(terms)


def highlight_html(text: str, spans: list[tuple[int, int]]) -> str:
    """HTML-escaped text with the given spans wrapped in <mark>."""
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(html.escape(text[position:start]))
        parts.append(f"<mark>{html.escape(text[start:end])}</mark>")
        position = end
    parts.append(html.escape(text[position:]))
    return "".join(parts)
