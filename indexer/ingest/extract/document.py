"""What an extractor gives back: the document's text as paragraphs (Markdown headings and table rows where the format
has them), where each page starts, and its metadata; and the builder extractors write it with."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from pydantic import BaseModel

# Two Latin letters meeting at a line break belong to two words; anything else joins without a space (Chinese, and
# digits: a figure broken across lines, 26|0亿元, is one number).
_LATIN_END = re.compile(r"[A-Za-z]$")
_LATIN_START = re.compile(r"^[A-Za-z]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")


class Extracted(BaseModel):
    """A document read into text: what the chunker reads, the page offsets that give each passage its page, and the
    metadata the document carries. It is cached by the file's content hash, so it is plain data."""

    format: str
    text: str
    # True when `text` marks headings with `#` and table rows with `|` (Word, web pages, EPUB).
    markdown: bool = False
    # The offset in `text` where each page (1, 2, …) starts; empty for formats without pages.
    pages: list[int] = []
    title: str | None = None
    date: str | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None
    ocr_pages: int = 0
    # What produced it (extractor name → version): a cached result is reused while these versions hold.
    engines: dict[str, str] = {}


class Line(NamedTuple):
    """A line of text on a page and its box (y grows downward; any unit, the same for every line of a page), and its
    font size when the page says (a PDF's text layer; 0 for OCR, whose boxes vary with the characters in them)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float = 0.0


class PageLines(NamedTuple):
    """A page's lines in reading order, with the page's size in the lines' unit."""

    lines: list[Line]
    width: float
    height: float


def join_lines(left: str, right: str) -> str:
    """Two pieces of one paragraph broken across lines: no space between Chinese characters, one between words."""
    left, right = left.rstrip(), right.lstrip()
    if _LATIN_END.search(left) and _LATIN_START.search(right):
        return f"{left} {right}"
    return left + right


def clean(text: str) -> str:
    """One line of extracted text: NFC, runs of spaces as one (none at the ends), no control characters."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if c in "\t" or unicodedata.category(c)[0] != "C" or c == "\u200d")
    return _SPACES.sub(" ", text).strip()


class TextBuilder:
    """Accumulates a document's blocks into its text: paragraphs one per line with a blank line between them,
    `#` headings and `|` table rows in Markdown documents, and the offset where each page starts."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.pages: list[int] = []
        self._page_open = False  # page() was called and nothing was added since

    def _add(self, block: str) -> None:
        if self._parts:
            self._parts.append("\n\n")
            self._length += 2
        if self._page_open:
            self.pages[-1], self._page_open = self._length, False
        self._parts.append(block)
        self._length += len(block)

    def page(self) -> None:
        """A new page starts here (an empty page starts where the next text does)."""
        self.pages.append(self._length + (2 if self._parts else 0))
        self._page_open = True

    def paragraph(self, text: str) -> None:
        """A paragraph (its lines already joined)."""
        text = clean(text)
        if text:
            self._add(text)

    def continue_paragraph(self, text: str) -> None:
        """More of the last paragraph (one cut by a page break): the page starts mid-paragraph."""
        text = clean(text)
        if not text:
            return
        if not self._parts:
            self.paragraph(text)
            return
        joined = join_lines(self._parts[-1], text)
        start = self._length + len(joined) - len(self._parts[-1]) - len(text)
        if self._page_open:  # the page's first character is inside this paragraph
            self.pages[-1], self._page_open = start, False
        self._length = start + len(text)
        self._parts[-1] = joined

    def heading(self, text: str, level: int = 1) -> None:
        """A heading (Markdown `#`)."""
        text = clean(text).lstrip("#").strip()
        if text:
            self._add(f"{'#' * min(max(level, 1), 6)} {text}")

    def table(self, rows: list[list[str]]) -> None:
        """A table: one `| cell | cell |` line per row, empty rows and repeated merged cells left out."""
        lines = []
        for row in rows:
            cells: list[str] = []
            for cell in (clean(c).replace("|", "｜") for c in row):
                if cell and (not cells or cells[-1] != cell):  # a merged cell repeats in every grid column
                    cells.append(cell)
            if cells:
                lines.append("| " + " | ".join(cells) + " |")
        if lines:
            self._add("\n".join(lines))

    def text(self) -> str:
        """The text so far, ending with a newline."""
        return "".join(self._parts) + "\n" if self._parts else ""

    @property
    def empty(self) -> bool:
        """True when no text was added."""
        return not self._parts
