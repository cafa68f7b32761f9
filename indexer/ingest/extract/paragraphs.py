"""Lines on pages back into paragraphs: hard line breaks rejoined, real paragraph breaks kept, running headers,
footers and page numbers dropped. Shared by the PDF text layer and OCR, which both give lines with boxes."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence

from .document import Line, PageLines, TextBuilder, join_lines

# A page number on its own line: "3", "- 3 -", "— 3 —", "·3·", "第3页", "第 3 页 共 10 页", "3/10", "Page 3 of 10".
_PAGE_NUMBER = re.compile(
    r"^[-—–－~～·•.\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4})?(?:\s*[，,]?\s*共\s*\d{1,4}\s*页)?[-—–－~～·•.\s]*$"
    r"|^共\s*\d{1,4}\s*页\s*[，,]?\s*第\s*\d{1,4}\s*页$|^page\s*\d{1,4}(?:\s*of\s*\d{1,4})?$", re.I)
_DIGITS = re.compile(r"\d+")
# Sentence-final marks (with closing quotes or brackets): a line ending so may end its paragraph.
_TERMINAL = re.compile(r"[。！？；…!?;：:][”’」』）)】》\"']*$")
# Items of a list that start at the margin without an indent: 一、 （一） 1. 1、 (1) 第一条
_ITEM = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．](?!\d)"
                   r"|第[一二三四五六七八九十百]+[条章节])")
# Margins where running headers and footers sit: this share of the page's height at the top and the bottom.
MARGIN = 0.1


def is_page_number(text: str) -> bool:
    """True for a line that is only a page number in one of its usual dresses."""
    return bool(_PAGE_NUMBER.match(text.strip()))


def _in_margin(line: Line, page: PageLines) -> bool:
    return line.y1 <= page.height * MARGIN or line.y0 >= page.height * (1 - MARGIN)


def _furniture_key(text: str) -> str:
    """A header or footer line with its numbers blanked, so `第3版` and `第4版` count as one running line."""
    return _DIGITS.sub("#", "".join(text.split()))


def _isolated(lines: Sequence[Line], index: int) -> bool:
    """Whether a line stands apart from the text block: its gap to the neighbouring line (below a header, above a
    footer) is wider than the page's usual line gap, as running headers and footers are set."""
    gaps = sorted(b.y0 - a.y1 for a, b in zip(lines, lines[1:]))
    usual = gaps[len(gaps) // 2] if gaps else 0.0
    height = lines[index].y1 - lines[index].y0
    if index + 1 < len(lines) and lines[index].y0 < lines[index + 1].y0:  # a header: the gap below it
        return lines[index + 1].y0 - lines[index].y1 > usual + 0.5 * height
    if index > 0:  # a footer: the gap above it
        return lines[index].y0 - lines[index - 1].y1 > usual + 0.5 * height
    return True


def drop_furniture(pages: Sequence[PageLines]) -> list[list[Line]]:
    """Each page's lines without page numbers and running headers or footers: lines in the top or bottom margin,
    set apart from the text, that repeat (numbers aside) on at least half the pages, and at least on two."""
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_furniture_key(line.text) for line in page.lines if _in_margin(line, page)})
    repeated = {key for key, count in seen.items() if count >= max(2, len(pages) / 2)}

    def furniture(page: PageLines, index: int) -> bool:
        line = page.lines[index]
        if not _in_margin(line, page):
            return False
        return is_page_number(line.text) or (_furniture_key(line.text) in repeated and _isolated(page.lines, index))

    return [[line for index, line in enumerate(page.lines) if not furniture(page, index)] for page in pages]


class _Geometry:
    """A page's text column: its left and right edges and the size of a character, from the lines' boxes."""

    def __init__(self, lines: Sequence[Line], width: float) -> None:
        heights = [line.y1 - line.y0 for line in lines if line.y1 > line.y0] or [width / 40]
        self.char = statistics.median(heights)
        self.size = statistics.median([line.size for line in lines])  # the text's font size (0: not known)
        lefts = sorted(line.x0 for line in lines)
        rights = sorted(line.x1 for line in lines if line.x1 <= width) or sorted(line.x1 for line in lines)
        # Most lines start at the left edge and run to the right one; indented first lines and short last ones
        # are the exceptions, so the edges are taken from the bulk, not the extremes.
        self.left = lefts[len(lefts) // 4] if lefts else 0.0
        self.right = rights[len(rights) * 3 // 4] if rights else width
        # Line pitch from bottom to bottom: a line of small glyphs (a lone 。) sits low, so the space between boxes
        # would look like a blank line.
        pitches = [b.y1 - a.y1 for a, b in zip(lines, lines[1:]) if b.y1 > a.y1]
        self.pitch = statistics.median(pitches) if pitches else 1.5 * self.char

    def indented(self, line: Line) -> bool:
        return line.text[:1] in ("\u3000", "\t") or line.text.startswith("  ") or line.x0 - self.left > 1.2 * self.char

    def short(self, line: Line) -> bool:
        return self.right - line.x1 > 1.5 * self.char

    def much_shorter(self, line: Line) -> bool:
        return line.x1 - self.left < 0.7 * (self.right - self.left)

    def centred(self, line: Line) -> bool:
        middle = (self.left + self.right) / 2
        return (abs((line.x0 + line.x1) / 2 - middle) < self.char and line.x0 - self.left > 2 * self.char
                and self.short(line))


def _breaks_before(previous: Line, line: Line, page: _Geometry) -> bool:
    """Whether `line` starts a new paragraph after `previous` on the same page."""
    text = line.text.strip()
    blank_line = line.y1 - previous.y1 > page.pitch + 0.6 * page.char
    if bool(line.size) and line.size == previous.size and line.size > 1.1 * page.size:
        return blank_line  # a title set larger than the text runs on over its (centred) lines
    if page.indented(line) or page.centred(line) or page.centred(previous):  # a centred line is a heading
        return True
    if page.short(previous) and (_TERMINAL.search(previous.text.strip()) or page.much_shorter(previous)):
        # The previous line stopped before the margin at a sentence's end, or well before it (a heading): its
        # paragraph ended. A line a little short without an end is one of narrow characters (digits, Latin).
        return True
    if blank_line:  # a blank line's worth of space
        return True
    size, before = line.size, previous.size
    if size and before and abs(size - before) > 0.1 * max(size, before):  # another font size (2号 22 pt, 3号 16)
        return True
    return bool(_ITEM.match(text)) and bool(_TERMINAL.search(previous.text.strip()))


def _page_paragraphs(lines: Sequence[Line], width: float) -> tuple[list[str], bool, bool]:
    """A page's paragraphs, whether the first continues one from the page before (it is not indented), and whether
    the last runs on (it reaches the margin without ending a sentence)."""
    if not lines:
        return [], False, False
    geometry = _Geometry(lines, width)
    paragraphs = [lines[0].text.strip()]
    for previous, line in zip(lines, lines[1:]):
        if _breaks_before(previous, line, geometry):
            paragraphs.append(line.text.strip())
        else:
            paragraphs[-1] = join_lines(paragraphs[-1], line.text.strip())
    first, last = lines[0], lines[-1]
    continues = not geometry.indented(first) and not geometry.centred(first) and not _ITEM.match(first.text.strip())
    runs_on = not geometry.short(last) and not _TERMINAL.search(last.text.strip())
    return paragraphs, continues, runs_on


def write_pages(pages: Sequence[PageLines], builder: TextBuilder) -> None:
    """Write pages of lines into the builder as paragraphs, one page after another; a paragraph cut by a page break
    (it runs to the margin unfinished and the next page's first line is not indented) is joined back together."""
    running_on = False
    for page, lines in zip(pages, drop_furniture(pages)):
        builder.page()
        paragraphs, continues, runs_on = _page_paragraphs(lines, page.width)
        for number, paragraph in enumerate(paragraphs):
            if number == 0 and running_on and continues:
                builder.continue_paragraph(paragraph)
            else:
                builder.paragraph(paragraph)
        running_on = runs_on if paragraphs else running_on
