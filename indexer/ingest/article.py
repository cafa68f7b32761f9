"""Articles: a text file, or a document's extracted text, read into title, text and metadata."""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass

from ..dates import iso_date
from ..errors import ArticleError
from ..schema import MAX_FIELD_CHARS
from .decode import decode_bytes
from .extract.document import Extracted
from .files import article_id_for
from .frontmatter import FRONT_MATTER, front_matter, scalar

MAX_ARTICLE_BYTES = 20 * 1024 * 1024
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")


@dataclass(frozen=True)
class Article:
    """One decoded article; passage spans are offsets into `text`."""

    id: str
    path: str
    title: str
    text: str
    body_start: int
    date: str | None
    source: str | None
    url: str | None
    sha256: str
    encoding: str
    # "txt" or "md" for text files, else the document format ("pdf", "docx", "html", "image", …).
    format: str = "txt"
    # The offset in `text` where each page starts (paged formats); empty otherwise.
    pages: tuple[int, ...] = ()
    author: str | None = None

    @property
    def markdown(self) -> bool:
        """True when the text marks headings with `#` (Markdown files, and what Word, web and EPUB files become)."""
        return self.format not in PLAIN_FORMATS

    def page_of(self, offset: int) -> int | None:
        """The 1-based page an offset of the text is on (None for formats without pages)."""
        return bisect.bisect_right(self.pages, offset) or 1 if self.pages else None


# A document without a title whose first line is a sentence, or longer than a heading, has no title of its own: it
# is named by its start.
UNTITLED_LINE_CHARS = 40
UNTITLED_TITLE_CHARS = 30
# Formats whose text has no Markdown marks: plain text files, and text read off pages (PDF layers and OCR).
PLAIN_FORMATS = ("txt", "pdf", "image")


def _plain_line(line: str) -> str:
    """A title line without Markdown heading marks and emphasis."""
    return _MD_HEADING.sub("", line).replace("**", "").strip()


def parse_article(raw: bytes, relative_path: str) -> Article:
    """Decode one file's bytes into an Article, or raise ArticleError."""
    if len(raw) > MAX_ARTICLE_BYTES:
        raise ArticleError(f"file too large ({len(raw)} bytes > {MAX_ARTICLE_BYTES})")
    text, encoding = decode_bytes(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, object] = {}
    match = FRONT_MATTER.match(text)
    if match:
        meta = front_matter(match.group(1))
        text = text[match.end():]
    title, body_start = _title(text, scalar(meta.get("title")))
    return Article(
        id=article_id_for(relative_path),
        path=relative_path,
        title=title,
        text=text,
        body_start=body_start,
        date=scalar(meta.get("date")),
        source=scalar(meta.get("source")),
        url=scalar(meta.get("url")),
        sha256=hashlib.sha256(raw).hexdigest(),
        encoding=encoding,
        format="md" if relative_path.lower().endswith(".md") else "txt",
        author=scalar(meta.get("author")),
    )


def _title(text: str, given: str | None) -> tuple[str, int]:
    """The title (the given one, else the first line) and where the body starts (after that line, if it is the
    title)."""
    first = re.search(r"^[ \t]*(\S.*)$", text, re.M)
    if first is None:
        raise ArticleError("empty file (no text after front matter)")
    first_line = _plain_line(first.group(1))
    if given is None or "".join(first_line.split()) == "".join(given.split()):
        return given or first_line[:MAX_FIELD_CHARS["title"]], first.end()
    return given, 0


def _after_title_line(text: str, title: str, within: int = 5) -> int:
    """Where the body starts when the title is printed a few lines down (under a 公文's banner, 江门市人民政府文件):
    after that line, so the title is not a passage and the lines above it are the article's dek; else 0."""
    wanted = "".join(title.split())
    for number, line in enumerate(re.finditer(r"^[ \t]*(\S.*)$", text, re.M)):
        if number >= within:
            break
        if "".join(_plain_line(line.group(1)).split()) == wanted:
            return line.end()
    return 0


def _bounded(value: str | None, field: str) -> str | None:
    """A document's metadata field within the bounds front matter has (a document's are not refused, only cut)."""
    value = " ".join((value or "").split())
    return value[:MAX_FIELD_CHARS[field]] or None


def document_article(extracted: Extracted, raw_sha256: str, relative_path: str) -> Article:
    """An article from a document's extracted text and metadata. Without a title in its metadata, a short first line
    is the title; a first line that is a whole paragraph (a scan of a page from the middle of a report) stays text,
    and the title is its beginning."""
    given = _bounded(extracted.title, "title")
    first = _plain_line(extracted.text.lstrip().split("\n", 1)[0])
    if given is None and (len(first) > UNTITLED_LINE_CHARS or first.endswith(("。", "！", "？", "；"))):
        given = first[:UNTITLED_TITLE_CHARS] + "…"
    title, body_start = _title(extracted.text, given)
    if body_start == 0 and given is not None:
        body_start = _after_title_line(extracted.text, given)
    url = _bounded(extracted.url, "url")
    return Article(
        id=article_id_for(relative_path),
        path=relative_path,
        title=title,
        text=extracted.text,
        body_start=body_start,
        date=iso_date(extracted.date),
        source=_bounded(extracted.source, "source"),
        url=url if url and url.startswith(("http://", "https://")) else None,
        # What a build compares to see a change: the bytes and the extractors that read them, so a better extractor
        # reaches the index at the next build, not only at a rebuild.
        sha256=hashlib.sha256(f"{raw_sha256} {sorted(extracted.engines.items())}".encode()).hexdigest(),
        encoding="-",
        format=extracted.format,
        pages=tuple(extracted.pages),
        author=_bounded(extracted.author, "author"),
    )
