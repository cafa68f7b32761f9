"""SQLite store of articles and passages; a passage's row number is its number in every other index."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..dates import year_of
from ..errors import IndexCorrupt
from ..ingest.article import Article
from ..ingest.chunk import Passage

_SCHEMA = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL, date TEXT, source TEXT, url TEXT,
    sha256 TEXT NOT NULL, encoding TEXT NOT NULL, text TEXT NOT NULL, body_start INTEGER NOT NULL,
    passages INTEGER NOT NULL, format TEXT NOT NULL, pages TEXT NOT NULL, author TEXT);
CREATE TABLE passages (
    num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL REFERENCES articles(id),
    seq INTEGER NOT NULL, paragraph INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    speaker TEXT, role TEXT, region TEXT, section TEXT, reporters TEXT NOT NULL, text TEXT NOT NULL, page INTEGER);
CREATE INDEX passages_article ON passages(article_id, seq);
"""
_PASSAGE_COLUMNS = ("p.article_id, p.seq, p.text, p.start, p.\"end\", p.paragraph, p.speaker, p.role, p.region, "
                    "p.section, p.reporters, p.page, p.num, a.title, a.date, a.source, a.url, a.format, a.author")
_ARTICLE_COLUMNS = "id, path, title, text, body_start, date, source, url, sha256, encoding, format, pages, author"


@dataclass(frozen=True, kw_only=True)
class PassageRecord(Passage):
    """A stored passage: the chunker's passage plus its number (in the segment, or the index) and its article's
    title, date, source and URL."""

    num: int
    article_title: str
    date: str | None = None
    source: str | None = None
    url: str | None = None
    format: str = "txt"
    author: str | None = None


def _record(row: tuple[Any, ...]) -> PassageRecord:
    """A row of _PASSAGE_COLUMNS: Passage's fields in order (reporters as JSON), then the number and article's."""
    (article_id, seq, text, start, end, paragraph, speaker, role, region, section, reporters, page,
     num, title, date, source, url, fmt, author) = row
    return PassageRecord(article_id, seq, text, start, end, paragraph, speaker, role, region, section,
                         tuple(json.loads(reporters)), page, num=num, article_title=title, date=date, source=source,
                         url=url, format=fmt, author=author)


def _article(row: tuple[Any, ...]) -> Article:
    """A row of _ARTICLE_COLUMNS as an Article (pages as JSON)."""
    (article_id, path, title, text, body_start, date, source, url, sha256, encoding, fmt, pages, author) = row
    return Article(article_id, path, title, text, body_start, date, source, url, sha256, encoding, format=fmt,
                   pages=tuple(json.loads(pages)), author=author)


def write_store(path: Path, articles: Sequence[Article], passages: Sequence[Passage]) -> None:
    """Create the store file with the articles and passages (numbered by position)."""
    counts = Counter(p.article_id for p in passages)
    db = sqlite3.connect(path)
    try:
        with db:
            db.executescript(_SCHEMA)
            db.executemany(
                "INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                ((num, p.id, p.article_id, p.seq, p.paragraph, p.start, p.end, p.speaker, p.role, p.region,
                  p.section, json.dumps(p.reporters, ensure_ascii=False), p.text, p.page)
                 for num, p in enumerate(passages)))
            db.executemany(
                "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                ((a.id, a.path, a.title, a.date, a.source, a.url, a.sha256, a.encoding, a.text, a.body_start,
                  counts.get(a.id, 0), a.format, json.dumps(list(a.pages)), a.author) for a in articles))
    finally:
        db.close()


class Store:
    """Read-only access with one connection per thread (sqlite3 connections are not shared across threads)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise IndexCorrupt(f"missing store file {path}")
        self.uri = f"file:{path}?mode=ro"
        self._local = threading.local()

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection."""
        connection = getattr(self._local, "db", None)
        if connection is None:
            connection = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
            self._local.db = connection
        return connection

    def count(self, table: str) -> int:
        """Rows in 'articles' or 'passages'."""
        assert table in ("articles", "passages")
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def passages(self, nums: Sequence[int]) -> dict[int, PassageRecord]:
        """Passages by number."""
        found: dict[int, PassageRecord] = {}
        for begin in range(0, len(nums), 500):
            chunk = [int(n) for n in nums[begin:begin + 500]]
            rows = self.db.execute(
                f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN articles a ON a.id = p.article_id "
                f"WHERE p.num IN ({','.join('?' * len(chunk))})", chunk)
            found.update((record.num, record) for record in map(_record, rows))
        return found

    def num_of(self, passage_id: str) -> int | None:
        """Passage number for a passage id, or None."""
        row = self.db.execute("SELECT num FROM passages WHERE id = ?", (passage_id,)).fetchone()
        return None if row is None else int(row[0])

    def article(self, article_id: str) -> tuple[dict[str, object], list[PassageRecord]] | None:
        """An article's fields and its passages in reading order, or None."""
        cursor = self.db.execute("SELECT id, title, date, source, url, path, text, body_start, format, author, "
                                 "pages FROM articles WHERE id = ?", (article_id,))
        row = cursor.fetchone()
        if row is None:
            return None
        fields = dict(zip((c[0] for c in cursor.description), row))
        rows = self.db.execute(f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN articles a ON a.id = p.article_id "
                               "WHERE p.article_id = ? ORDER BY p.seq", (article_id,))
        return fields, [_record(r) for r in rows]

    def articles_by_id(self, ids: Sequence[str] | None = None) -> dict[str, tuple[str, str]]:
        """Article id → (sha256, path), for the given ids or all."""
        if ids is None:
            return {row[0]: (row[1], row[2]) for row in self.db.execute("SELECT id, sha256, path FROM articles")}
        found: dict[str, tuple[str, str]] = {}
        for begin in range(0, len(ids), 500):
            chunk = list(ids[begin:begin + 500])
            rows = self.db.execute(f"SELECT id, sha256, path FROM articles WHERE id IN ({','.join('?' * len(chunk))})",
                                   chunk)
            found.update((row[0], (row[1], row[2])) for row in rows)
        return found

    def article_formats(self) -> list[tuple[str, str]]:
        """(article id, format) of every article."""
        return [(row[0], row[1]) for row in self.db.execute("SELECT id, format FROM articles")]

    def passage_nums(self, article_id: str) -> list[int]:
        """Numbers of an article's passages."""
        return [row[0] for row in self.db.execute("SELECT num FROM passages WHERE article_id = ?", (article_id,))]

    def full_articles(self, exclude: set[str]) -> list[Article]:
        """Every article not in `exclude`, as Article objects (for merging segments)."""
        rows = self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles")
        return [_article(row) for row in rows if row[0] not in exclude]

    def full_passages(self, nums: Sequence[int]) -> list[PassageRecord]:
        """Passages by number, in the given order (for merging segments)."""
        records = self.passages(nums)
        return [records[int(n)] for n in nums]

    def texts(self, nums: Sequence[int]) -> dict[int, str]:
        """Passage texts by number."""
        chunk = [int(n) for n in nums]
        rows = self.db.execute(f"SELECT num, text FROM passages WHERE num IN ({','.join('?' * len(chunk))})", chunk)
        return dict(rows)

    def filter_columns(self, names: Sequence[str]) -> dict[str, list[str | None]]:
        """Columns of every passage in passage-number order, by filter name, plus its article's 'date'."""
        columns = {"speaker": "p.speaker", "region": "p.region", "article": "p.article_id", "source": "a.source",
                   "date": "a.date"}
        wanted = [n for n in names if n != "year"] + ["date"]
        rows = list(self.db.execute(f"SELECT {', '.join(columns[n] for n in wanted)} FROM passages p "
                                    "JOIN articles a ON a.id = p.article_id ORDER BY p.num"))
        found = {name: [row[i] for row in rows] for i, name in enumerate(wanted)}
        if "year" in names:
            found["year"] = [year_of(d) for d in found["date"]]
        return found

    def article_fields(self, ids: Sequence[str]) -> dict[str, dict[str, object]]:
        """Listing fields (title, date, source, url, passages, format, author) and the file (path, encoding) of the
        given articles, by id."""
        found: dict[str, dict[str, object]] = {}
        for begin in range(0, len(ids), 500):
            chunk = list(ids[begin:begin + 500])
            cursor = self.db.execute("SELECT id, title, date, source, url, passages, format, author, path, encoding "
                                     "FROM articles "
                                     f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            names = [c[0] for c in cursor.description]
            found.update((row[0], dict(zip(names, row))) for row in cursor)
        return found
