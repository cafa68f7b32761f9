"""Reading article files: discovery, decoding (UTF-8/UTF-16/GB18030), front matter, stable ids."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ArticleError

ARTICLE_SUFFIXES = (".txt", ".md")
MAX_ARTICLE_BYTES = 20 * 1024 * 1024
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
# Text a human would call readable: Latin, Greek, Cyrillic, CJK (with kana, Hangul, bopomofo), punctuation,
# full-width forms. Only the permissive GB18030 fallback is held to it; it decodes most byte soup.
_PLAUSIBLE = re.compile(r"[\u0020-\u007e\u00a0-\u052f\u2000-\u206f\u2100-\u27bf\u2e80-\u2fdf\u3000-\u33ff"
                        r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
                        r"\U00020000-\U0003134f\n\t\r]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


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


@dataclass(frozen=True)
class SkippedFile:
    """A corpus file that was not indexed, and why."""

    path: str
    reason: str


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode article bytes, returning (text, encoding); raise ArticleError when impossible."""
    if not raw.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ArticleError("empty file")
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif b"\x00" in raw:
        raise ArticleError("binary file (contains NUL bytes)")
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text, strict_decode=encoding != "gb18030"):
            return text.lstrip("\ufeff"), encoding
    raise ArticleError(f"undecodable: not valid {' or '.join(candidates)} text")


def _looks_like_text(text: str, strict_decode: bool) -> bool:
    """Reject binary data: many control characters, or (after a permissive decode) mostly unlikely code points."""
    sample = text[:20000]
    if not sample.strip() or len(_CONTROL.findall(sample)) > 0.01 * len(sample):
        return False
    return strict_decode or len(_PLAUSIBLE.findall(sample)) >= 0.95 * len(sample)


def article_id_for(relative_path: str) -> str:
    """Stable id from a corpus-relative path: folders joined by '--', extension dropped."""
    stem = relative_path.rsplit(".", 1)[0] if "." in Path(relative_path).name else relative_path
    slug = unicodedata.normalize("NFKC", stem).lower().replace("/", "--")
    slug = re.sub(r"[^\w-]+", "-", slug).strip("-_")
    return slug[:120] or hashlib.sha1(relative_path.encode()).hexdigest()[:12]


def _plain_line(line: str) -> str:
    """A title line without Markdown heading marks and emphasis."""
    return _MD_HEADING.sub("", line).replace("**", "").strip()


def _scalar(value: object) -> str | None:
    """A front-matter value as a string (dates as ISO), or None."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip() or None


def parse_article(raw: bytes, relative_path: str) -> Article:
    """Decode one file's bytes into an Article, or raise ArticleError."""
    if len(raw) > MAX_ARTICLE_BYTES:
        raise ArticleError(f"file too large ({len(raw)} bytes > {MAX_ARTICLE_BYTES})")
    text, encoding = decode_bytes(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, object] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # PyYAML builds dates itself: `date: 2022-13-45` is valid YAML that raises ValueError in datetime.
            message = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ArticleError(f"malformed front matter: {message}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ArticleError("malformed front matter: expected key: value pairs")
        meta = loaded or {}
        text = text[match.end():]
    body_start = 0
    title = _scalar(meta.get("title"))
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
        date=_scalar(meta.get("date")),
        source=_scalar(meta.get("source")),
        url=_scalar(meta.get("url")),
        sha256=hashlib.sha256(raw).hexdigest(),
        encoding=encoding,
    )


def iter_article_files(corpus: Path) -> Iterator[Path]:
    """Article files under corpus in a stable order, skipping hidden files and folders."""
    for path in sorted(corpus.rglob("*")):
        relative = path.relative_to(corpus)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES:
            yield path


def read_corpus(corpus: Path) -> tuple[list[Article], list[SkippedFile]]:
    """Every readable article under corpus, plus the files skipped with their reasons."""
    articles: list[Article] = []
    skipped: list[SkippedFile] = []
    seen: dict[str, str] = {}
    for path in iter_article_files(corpus):
        relative = path.relative_to(corpus).as_posix()
        try:
            article = parse_article(path.read_bytes(), relative)
        except ArticleError as exc:
            skipped.append(SkippedFile(relative, str(exc)))
            continue
        except OSError as exc:
            skipped.append(SkippedFile(relative, f"unreadable: {exc.strerror or exc}"))
            continue
        if article.id in seen:
            skipped.append(SkippedFile(relative, f"duplicate article id {article.id!r} (also {seen[article.id]})"))
            continue
        seen[article.id] = relative
        articles.append(article)
    return articles, skipped
