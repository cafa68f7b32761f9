"""Reading article files: discovery, decoding (UTF-8, UTF-16, GB18030, Big5), front matter, stable ids."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer
import yaml
from pydantic import BaseModel, ConfigDict

from .errors import ArticleError

ARTICLE_SUFFIXES = (".txt", ".md")
MAX_ARTICLE_BYTES = 20 * 1024 * 1024
# Front matter is a few short fields: bounded so a hostile file cannot grow the index or its responses.
MAX_FRONT_MATTER_CHARS = 8 * 1024
MAX_FIELD_CHARS = {"title": 300, "date": 40, "source": 200, "url": 2000}
# A file name's UTF-8 bytes: room for the writer's temporary name within the usual 255-byte limit.
MAX_NAME_BYTES = 200
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
# Text a human would call readable: Latin, Greek, Cyrillic, CJK (with kana, Hangul, bopomofo), punctuation,
# full-width forms. Only the permissive GB18030 fallback is held to it; it decodes most byte soup.
_PLAUSIBLE = re.compile(r"[\u0020-\u007e\u00a0-\u052f\u2000-\u206f\u2100-\u27bf\u2e80-\u2fdf\u3000-\u33ff"
                        r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
                        r"\U00020000-\U0003134f\n\t\r]")
# UTF-16 without a BOM is a guess any even-length bytes can pass: its text must be Chinese as written (CJK,
# ASCII, CJK and general punctuation, full-width forms) to count.
_PLAUSIBLE_UTF16 = re.compile(r"[\u0020-\u007e\n\t\r\u2000-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff"
                              r"\uff00-\uffef]")
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


class FileProblem(BaseModel):
    """A corpus file not (yet) in the index, and why: skipped by a build, failed, or pending in the watcher."""

    model_config = ConfigDict(frozen=True)

    path: str
    reason: str


def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode article bytes, returning (text, encoding); raise ArticleError when impossible.

    A BOM decides; then strict UTF-8; then charset-normalizer chooses among the legacy Chinese encodings (GB18030,
    Big5), or among UTF-16 LE/BE when the bytes hold NULs (UTF-16 without a BOM), each result checked for being text.
    """
    if not raw.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ArticleError("empty file")
    if raw.startswith(b"\xef\xbb\xbf"):
        return _checked(raw, "utf-8-sig", strict=True)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _checked(raw, "utf-16", strict=True)
    if b"\x00" not in raw:
        try:
            return _checked(raw, "utf-8", strict=True)
        except ArticleError:
            pass
    legacy = ["utf_16_le", "utf_16_be"] if b"\x00" in raw else ["gb18030", "big5"]
    guesses = [match.encoding for match in charset_normalizer.from_bytes(raw, cp_isolation=legacy)]
    for encoding in dict.fromkeys(guesses + legacy):
        try:
            text, name = _checked(raw, encoding, strict=False)  # a guess: its text must also look plausible
        except ArticleError:
            continue
        if not name.startswith("utf-16") or len(_PLAUSIBLE_UTF16.findall(text)) >= 0.95 * len(text):
            return text, name
    if b"\x00" in raw:
        raise ArticleError("binary file (contains NUL bytes and is not UTF-16 text)")
    raise ArticleError("undecodable: not UTF-8, UTF-16, GB18030 or Big5 text")


def _checked(raw: bytes, encoding: str, strict: bool) -> tuple[str, str]:
    """(text, encoding) if the bytes decode to something that looks like text, else ArticleError."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ArticleError(f"undecodable: not valid {encoding} text") from exc
    if not _looks_like_text(text, strict_decode=strict):
        raise ArticleError(f"undecodable: not text in {encoding}")
    return text.lstrip("\ufeff"), encoding.replace("_", "-")


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


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: an alias bomb of a few hundred bytes expands to gigabytes."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if getattr(self.peek_event(), "anchor", None):  # type: ignore[no-untyped-call]  # an anchor (&a) or an alias (*a)
            raise yaml.YAMLError("anchors and aliases (&name, *name) are not allowed in front matter")
        return super().compose_node(parent, index)  # type: ignore[arg-type]


def _front_matter(block: str) -> dict[str, object]:
    """Parse a front-matter block into its fields; raise ArticleError for anything malformed or oversized."""
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise ArticleError(f"front matter too long ({len(block)} characters > {MAX_FRONT_MATTER_CHARS})")
    try:
        loaded = yaml.load(block, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # PyYAML builds dates itself: `date: 2022-13-45` is valid YAML that raises ValueError in datetime.
        message = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArticleError(f"malformed front matter: {message}") from exc
    if loaded is not None and not isinstance(loaded, dict):
        raise ArticleError("malformed front matter: expected key: value pairs")
    meta: dict[str, object] = loaded or {}
    for name, limit in MAX_FIELD_CHARS.items():
        value = meta.get(name)
        if value is not None and not isinstance(value, (str, int, float, dt.date)):
            raise ArticleError(f"front matter {name}: expected a single value, got a {type(value).__name__}")
        if value is not None and len(str(value)) > limit:
            raise ArticleError(f"front matter {name} too long ({len(str(value))} characters > {limit})")
    return meta


def check_file_name(name: str) -> str:
    """The base name an uploaded or added file is stored under; raise ArticleError if it cannot be one."""
    if any(unicodedata.category(c) == "Cc" for c in name):  # NUL, newlines, escapes
        raise ArticleError("file name contains control characters")
    base = Path(name.replace("\\", "/")).name
    if not base or base.startswith("."):
        raise ArticleError(f"{name!r}: hidden file names (starting with '.') are not articles; "
                           "build and watch ignore them")
    if len(base.encode("utf-8")) > MAX_NAME_BYTES:
        raise ArticleError(f"file name too long ({len(base.encode('utf-8'))} bytes > {MAX_NAME_BYTES})")
    if Path(base).suffix.lower() not in ARTICLE_SUFFIXES:
        raise ArticleError(f"{name}: not an article file (expected {' or '.join(ARTICLE_SUFFIXES)})")
    return base


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
        meta = _front_matter(match.group(1))
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


def files_with_id(corpus: Path, article_id: str) -> list[Path]:
    """Article files of the corpus whose id is `article_id` (several when they differ only in case or width)."""
    if not corpus.is_dir():
        return []
    return [p for p in iter_article_files(corpus) if article_id_for(p.relative_to(corpus).as_posix()) == article_id]


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
