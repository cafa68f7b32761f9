"""`wenku check`: verify a published index completely — every file's checksum, every store, every segment."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import IndexCorrupt
from ..formats import STORE_FILE
from .integrity import verify_files
from .layout import IndexLayout
from .manifest import Manifest, Tombstones
from .segment import Segment


@dataclass
class CheckReport:
    """What was verified, and every problem found (none: the index is sound)."""

    generation: int
    segments: int = 0
    files: int = 0
    bytes_hashed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.problems


def check_index(index_dir: Path) -> CheckReport:
    """Verify the published generation; problems are collected, not raised (a missing index still raises)."""
    layout = IndexLayout(index_dir)
    directory = layout.current_dir()
    manifest = Manifest.read(directory)
    report = CheckReport(generation=manifest.generation)
    for ref in manifest.segments:
        segment_dir = layout.segment_dir(ref.id)
        try:
            if not ref.files:
                raise IndexCorrupt(f"segment {ref.id} has no recorded checksums")
            report.bytes_hashed += verify_files(segment_dir, ref.files, full=True)
            report.files += len(ref.files)
            _integrity(segment_dir / STORE_FILE)
            segment = Segment(segment_dir)
            if segment.size != ref.passages:
                raise IndexCorrupt(f"segment {ref.id} holds {segment.size} passages, the manifest says {ref.passages}")
            Tombstones.read(layout.tombstones_file(ref.tombstones), ref.tombstones_sha256)
            report.segments += 1
        except IndexCorrupt as exc:
            report.problems.append(str(exc))
    if manifest.semantic_floor is not None and manifest.model is not None:
        from ..embed.floor import FloorScorer

        try:
            FloorScorer.load(directory, manifest.semantic_floor, manifest.model.dimension)
        except (IndexCorrupt, OSError, ValueError) as exc:
            report.problems.append(f"semantic floor unreadable: {str(exc).splitlines()[0]}")
    return report


def _integrity(path: Path) -> None:
    """SQLite's own page-level check of a store."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise IndexCorrupt(f"{path.parent.name}/{path.name}: {exc}") from exc
    if verdict != "ok":
        raise IndexCorrupt(f"{path.parent.name}/{path.name}: {verdict}")
