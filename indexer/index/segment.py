"""Segments: immutable slices of the index (store, postings, vectors), written once and shared by generations."""

from __future__ import annotations

import json
import sqlite3
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from ..analysis.copies import COLUMNS
from ..dates import date_key
from ..errors import IndexCorrupt
from ..formats import SEGMENT_FILE, SEGMENT_VERSION, SIGNATURES_FILE, STORE_FILE
from ..ingest.article import Article
from ..ingest.chunk import Passage
from ..settings import DEFAULT_VECTORS, VectorSettings
from .integrity import FileSum, verify_files
from .keyword import KeywordIndex
from .store import Store, write_store
from .vectors import VectorIndex, build_vector_index

FILTERS = ("speaker", "region", "article", "source", "year")


class SegmentInfo(BaseModel):
    """What a segment holds; written last, so a segment without it is incomplete."""

    version: int = 1  # segments written before the field are version 1
    id: str
    articles: int
    passages: int
    terms: int
    vector_index: str | None
    vectors: int | None = None


def new_segment_id() -> str:
    """A unique, sortable-enough segment name."""
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class PreparedSegment:
    """Everything a new segment holds, in memory: articles, passages (numbered by position), postings, and
    optionally window vectors with their owners (one vector per passage when None) and copy signatures."""

    articles: Sequence[Article]
    passages: Sequence[Passage]
    keyword: KeywordIndex
    vectors: np.ndarray | None = None
    owners: np.ndarray | None = None
    signatures: np.ndarray | None = None


def write_segment(directory: Path, segment_id: str, prepared: PreparedSegment,
                  vector_settings: VectorSettings = DEFAULT_VECTORS) -> SegmentInfo:
    """Write every file of a new segment into the empty `directory`; the info file goes last."""
    write_store(directory / STORE_FILE, prepared.articles, prepared.passages)
    prepared.keyword.save(directory)
    if prepared.signatures is not None:
        np.save(directory / SIGNATURES_FILE, prepared.signatures, allow_pickle=False)
    kind, count = None, None
    if prepared.vectors is not None:
        index = VectorIndex(build_vector_index(prepared.vectors, vector_settings), prepared.owners,
                            len(prepared.passages))
        index.save(directory)
        kind, count = index.kind, index.count
    info = SegmentInfo(version=SEGMENT_VERSION, id=segment_id, articles=len(prepared.articles),
                       passages=len(prepared.passages), terms=len(prepared.keyword.vocab), vector_index=kind,
                       vectors=count)
    (directory / SEGMENT_FILE).write_text(info.model_dump_json(), encoding="utf-8")
    return info


def read_segment_info(directory: Path) -> SegmentInfo:
    """A segment's info file; raise IndexCorrupt if the segment is incomplete."""
    try:
        info = SegmentInfo.model_validate(json.loads((directory / SEGMENT_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"segment {directory.name} is incomplete or unreadable: {exc}") from exc
    if not 1 <= info.version <= SEGMENT_VERSION:
        raise IndexCorrupt(f"segment {directory.name} has format version {info.version}; this wenku reads up to "
                           f"{SEGMENT_VERSION} (a newer wenku wrote it)")
    return info


# What a damaged file raises when it is read: each becomes IndexCorrupt at the place it is loaded.
DAMAGE = (OSError, ValueError, KeyError, EOFError, RuntimeError, sqlite3.DatabaseError, zipfile.BadZipFile)


class Segment:
    """A loaded segment: its store, postings, vectors and filter columns (labels and per-passage codes)."""

    def __init__(self, directory: Path, files: dict[str, FileSum] | None = None) -> None:
        if files:
            verify_files(directory, files)
        self.info = read_segment_info(directory)
        self.directory = directory
        try:
            self.store = Store(directory / STORE_FILE)
            self.keyword = KeywordIndex.load(directory)
            self.vectors = VectorIndex.load(directory, self.info.passages) if self.info.vector_index else None
            path = directory / SIGNATURES_FILE
            # Segments written before copies were detected have none: their passages count as having no copies.
            self.signatures = np.load(path, mmap_mode="r", allow_pickle=False) if path.is_file() else None
            stored = self.store.count("passages")
            columns = self.store.filter_columns(FILTERS)
        except DAMAGE as exc:
            raise IndexCorrupt(f"segment {directory.name} is damaged: {str(exc).splitlines()[0]}") from exc
        if not (stored == self.keyword.n_docs == self.info.passages
                and len(self.keyword.vocab) == self.info.terms
                and (self.vectors is None or self.vectors.count == self.info.vectors)
                and (self.signatures is None or self.signatures.shape == (stored, COLUMNS))):
            raise IndexCorrupt(f"segment {directory.name}: passage, term or vector counts disagree")
        # Day keys (YYYYMMDD, 0 when undated) of each passage's article: date bounds and date sorting.
        self.dates = np.fromiter((date_key(d) for d in columns.pop("date")), np.int32, self.info.passages)
        self.filters: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, values in columns.items():
            labels, codes = np.unique(np.array([v or "" for v in values], dtype=object), return_inverse=True)
            self.filters[name] = (labels, codes.astype(np.int32))

    @property
    def id(self) -> str:
        """Segment name."""
        return self.info.id

    @property
    def size(self) -> int:
        """Passages stored (live or deleted)."""
        return self.info.passages
