"""On-disk layout of an index directory: published generations, the CURRENT pointer, the writer lock."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import IndexBusy, IndexNotFound

CURRENT_FILE = "CURRENT"
GENERATIONS_DIR = "generations"
CACHE_DIR = "cache"
LOCK_FILE = ".lock"
KEEP_GENERATIONS = 2


class IndexLayout:
    """Paths inside an index directory. Readers follow CURRENT; writers publish by replacing it atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def cache_dir(self) -> Path:
        """Where caches that outlive generations (embeddings) live."""
        return self.root / CACHE_DIR

    def generation_dir(self, generation: int) -> Path:
        """Directory of one published generation."""
        return self.root / GENERATIONS_DIR / f"{generation:06d}"

    def current_generation(self) -> int | None:
        """The published generation number, or None if nothing was ever published."""
        try:
            return int((self.root / CURRENT_FILE).read_text().strip())
        except (OSError, ValueError):
            return None

    def current_dir(self) -> Path:
        """Directory of the published generation; raise IndexNotFound if there is none."""
        generation = self.current_generation()
        if generation is None or not self.generation_dir(generation).is_dir():
            raise IndexNotFound(f"no index at {self.root} (run `wenku build`)")
        return self.generation_dir(generation)

    def staging_dir(self) -> Path:
        """A fresh private directory to write the next generation into."""
        (self.root / GENERATIONS_DIR).mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root / GENERATIONS_DIR))

    def next_generation(self) -> int:
        """The number the next published generation gets (call with the writer lock held)."""
        return (self.current_generation() or 0) + 1

    def publish(self, staging: Path, generation: int) -> None:
        """Move a finished staging directory into place as `generation` and point CURRENT at it."""
        for path in staging.iterdir():
            _fsync(path)
        final = self.generation_dir(generation)
        os.replace(staging, final)
        _fsync(final.parent)
        pointer = self.root / f".{CURRENT_FILE}.tmp"
        pointer.write_text(f"{generation}\n")
        _fsync(pointer)
        os.replace(pointer, self.root / CURRENT_FILE)
        _fsync(self.root)
        self._prune(generation)

    def _prune(self, current: int) -> None:
        """Delete generations older than the last few, and abandoned staging directories."""
        for path in (self.root / GENERATIONS_DIR).iterdir():
            if path.name.startswith(".staging-") or (path.name.isdigit() and int(path.name) <= current - KEEP_GENERATIONS):
                shutil.rmtree(path, ignore_errors=True)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Hold the single-writer lock; raise IndexBusy at once if another writer has it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_FILE, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusy(f"another wenku process is writing {self.root}; try again when it finishes") from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    """Flush a file or directory to disk so a crash cannot publish a half-written generation."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
