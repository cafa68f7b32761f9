"""Articles: a corpus file read into title, text and metadata, and the whole corpus read with what was skipped."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArticleError
from ..schema import FileProblem
from .decode import decode_bytes
from .files import article_id_for, iter_article_files
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
    body_start = 0
    title = scalar(meta.get("title"))
    first = re.search(r"^[ \t]*(\S.*)$", text, re.M)
    if first is None:
        raise ArticleError("empty file (no text after front matter)")
    first_line = _plain_line(first.group(1))
    if title is None or first_line == title:
        title = title or first_line
        body_start = first.end()
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
    )


def read_corpus(corpus: Path) -> tuple[list[Article], list[FileProblem]]:
    """Every readable article under corpus, plus the files skipped with their reasons."""
    articles: list[Article] = []
    skipped: list[FileProblem] = []
    seen: dict[str, str] = {}
    for path in iter_article_files(corpus):
        relative = path.relative_to(corpus).as_posix()
        try:
            article = parse_article(path.read_bytes(), relative)
        except ArticleError as exc:
            skipped.append(FileProblem(path=relative, reason=str(exc)))
            continue
        except OSError as exc:
            skipped.append(FileProblem(path=relative, reason=f"unreadable: {exc.strerror or exc}"))
            continue
        if article.id in seen:
            skipped.append(FileProblem(path=relative,
                                       reason=f"duplicate article id {article.id!r} (also {seen[article.id]})"))
            continue
        seen[article.id] = relative
        articles.append(article)
    return articles, skipped
