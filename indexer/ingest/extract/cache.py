"""Extracted documents cached by content hash: a rebuild, a new model or a changed dictionary never extracts (or
OCRs) a file again; a new version of one extractor re-extracts only the files it read. Failures are kept too, with
the limits they failed under, so a file that timed out is not retried on every build until a limit changes."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from pydantic import ValidationError

from ...formats import EXTRACTED_CACHE_FILE
from ...settings import ExtractSettings
from .document import Extracted


def limits_digest(settings: ExtractSettings) -> str:
    """The settings a failure depends on (a file over a limit may pass a raised one)."""
    return hashlib.sha1(settings.model_dump_json(exclude={"workers"}).encode()).hexdigest()[:12]


class ExtractionCache:
    """SQLite table of extraction results and failures by the file's SHA-256; safe for several processes (WAL)."""

    def __init__(self, directory: Path, versions: dict[str, str], settings: ExtractSettings) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(directory / EXTRACTED_CACHE_FILE, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS extracted (sha256 TEXT PRIMARY KEY, engines TEXT NOT NULL, "
                        "result TEXT, failure TEXT)")
        self.versions = {**versions, "limits": limits_digest(settings)}

    def _current(self, engines: dict[str, str]) -> bool:
        return all(self.versions.get(name) == version for name, version in engines.items())

    def get(self, sha256: str) -> Extracted | str | None:
        """The cached result (or failure reason) for these bytes, if made by the extractors' current versions."""
        row = self.db.execute("SELECT engines, result, failure FROM extracted WHERE sha256 = ?", (sha256,)).fetchone()
        if row is None:
            return None
        try:
            engines = json.loads(row[0])
            if not self._current(engines):
                return None
            return row[2] if row[1] is None else Extracted.model_validate_json(row[1])
        except (ValueError, ValidationError):
            return None  # an entry this version cannot read: extract again

    def put(self, sha256: str, result: Extracted | str, kind: str) -> None:
        """Store a result, or a failure of the `kind` extractor (valid while it and the limits are unchanged)."""
        if isinstance(result, Extracted):
            engines, body, failure = result.engines, result.model_dump_json(), None
        else:
            engines = {kind: self.versions.get(kind, "?"), "limits": self.versions["limits"]}
            body, failure = None, result
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO extracted VALUES (?, ?, ?, ?)",
                            (sha256, json.dumps(engines, sort_keys=True), body, failure))

    def close(self) -> None:
        self.db.close()
