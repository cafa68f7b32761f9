"""Article files in the corpus folder: which files are articles, their stable ids, names an upload may have."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from ..errors import ArticleError
from .extract import DOCUMENT_SUFFIXES

TEXT_SUFFIXES = (".txt", ".md")
ARTICLE_SUFFIXES = TEXT_SUFFIXES + DOCUMENT_SUFFIXES
# A file name's UTF-8 bytes: room for the writer's temporary name within the usual 255-byte limit.
MAX_NAME_BYTES = 200


def article_id_for(relative_path: str) -> str:
    """Stable id from a corpus-relative path: folders joined by '--', extension dropped."""
    stem = relative_path.rsplit(".", 1)[0] if "." in Path(relative_path).name else relative_path
    slug = unicodedata.normalize("NFKC", stem).lower().replace("/", "--")
    slug = re.sub(r"[^\w-]+", "-", slug).strip("-_")
    return slug[:120] or hashlib.sha1(relative_path.encode()).hexdigest()[:12]


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
        raise ArticleError(f"{name}: not an article file (expected one of {', '.join(ARTICLE_SUFFIXES)})")
    return base


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
