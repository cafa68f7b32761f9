"""On-disk layout of an index directory: generations, the CURRENT pointer, segments, tombstones, the writer lock."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import TypeAdapter

from ..errors import IndexBusy, IndexNotFound, IndexReadOnly
from ..formats import CACHE_DIR, CURRENT_FILE, GENERATIONS_DIR, LOCK_FILE, PENDING_FILE, SEGMENTS_DIR, TOMBSTONES_DIR
from ..schema import FileProblem
from .crash import reached

_PENDING = TypeAdapter(list[FileProblem])
STAGING_PREFIX = ".staging-"


class IndexLayout:
    """Paths inside an index directory. Readers follow CURRENT; writers publish by replacing it atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def cache_dir(self) -> Path:
        """Where caches that outlive generations (embeddings) live."""
        return self.root / CACHE_DIR

    def generation_dir(self, generation: int) -> Path:
        """Directory of one published generation (its manifest)."""
        return self.root / GENERATIONS_DIR / f"{generation:06d}"

    def segment_dir(self, segment_id: str) -> Path:
        """Directory of one immutable segment."""
        return self.root / SEGMENTS_DIR / segment_id

    def tombstones_file(self, name: str | None) -> Path | None:
        """A tombstones file, by the name a manifest records (None when the segment has none)."""
        return None if name is None else self.root / TOMBSTONES_DIR / name

    def read_pending(self) -> list[FileProblem]:
        """Files a watcher has seen but not indexed yet, with why ([] when none or unreadable)."""
        try:
            return _PENDING.validate_json((self.root / PENDING_FILE).read_bytes())
        except (OSError, ValueError):
            return []

    def write_pending(self, pending: list[FileProblem]) -> None:
        """Record the watcher's queue for `wenku info` and /api/health."""
        self.write_durably(self.root / PENDING_FILE, _PENDING.dump_json(pending))

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

    def next_generation(self) -> int:
        """The number the next published generation gets (call with the writer lock held).

        Past every generation directory on disk, not only the published one: a writer killed between committing
        its generation and replacing CURRENT leaves a directory numbered past CURRENT.
        """
        return max([self.current_generation() or 0, *self.generations()]) + 1

    def remove_orphans(self) -> list[int]:
        """Delete generations committed but never published (numbered past CURRENT); call with the writer lock."""
        current = self.current_generation() or 0
        orphans = [g for g in self.generations() if g > current]
        for generation in orphans:
            shutil.rmtree(self.generation_dir(generation), ignore_errors=True)
        return orphans

    @contextmanager
    def staging(self, parent: str) -> Iterator[Path]:
        """A fresh directory under `parent` to write into, then commit_dir into place; removed if the block fails.

        Made with the process umask like every other file (mkdtemp's 0700 would hide the index from a server
        running as another user). A crash that skips the clean-up leaves it for sweep.
        """
        (self.root / parent).mkdir(parents=True, exist_ok=True)
        path = self.root / parent / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        path.mkdir()
        try:
            yield path
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise

    def commit_dir(self, staging: Path, final: Path) -> None:
        """Flush a finished staging directory and rename it to its final name."""
        for path in staging.iterdir():
            fsync(path)
        os.replace(staging, final)
        fsync(final.parent)

    def write_durably(self, path: Path, data: bytes) -> None:
        """Write a small file so that it is either absent or complete after a crash."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        temporary.write_bytes(data)
        fsync(temporary)
        os.replace(temporary, path)
        fsync(path.parent)

    def publish(self, staging: Path, generation: int) -> None:
        """Move a finished generation into place and point CURRENT at it: the one atomic step of every update."""
        self.commit_dir(staging, self.generation_dir(generation))
        reached("generation-committed")
        self.write_durably(self.root / CURRENT_FILE, f"{generation}\n".encode())
        reached("current-replaced")

    def generations(self) -> list[int]:
        """Numbers of the generation directories on disk (published, or orphaned past CURRENT), oldest first."""
        folder = self.root / GENERATIONS_DIR
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.is_dir() else []

    def prune(self, current: int, keep: int, grace_seconds: float) -> list[int]:
        """Drop generations older than the last `keep` and past the grace period; return the kept ones."""
        now = time.time()
        kept: list[int] = []
        for generation in self.generations():
            directory = self.generation_dir(generation)
            recent = now - directory.stat().st_mtime < grace_seconds
            if generation > current - keep or recent:
                kept.append(generation)
            else:
                shutil.rmtree(directory, ignore_errors=True)
        return kept

    def sweep(self, referenced: set[str]) -> None:
        """Delete segments, tombstones and staging leftovers that no kept generation references."""
        for parent in (SEGMENTS_DIR, TOMBSTONES_DIR, GENERATIONS_DIR):
            folder = self.root / parent
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name.startswith((STAGING_PREFIX, ".")) or (parent != GENERATIONS_DIR and
                                                                     path.name not in referenced):
                    if path.is_dir():
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        path.unlink(missing_ok=True)

    @contextmanager
    def writer_lock(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the single-writer lock; wait up to `wait` seconds for it, then raise IndexBusy."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            # Opening an existing lock file succeeds on a read-only mount: only creating a file proves writes work.
            probe = self.root / f".write-probe-{os.getpid()}"
            probe.touch()
            probe.unlink()
            handle = open(self.root / LOCK_FILE, "a+")
        except OSError as exc:  # permissions, a read-only mount, a full disk
            raise IndexReadOnly(f"cannot write to the index at {self.root} ({exc.strerror}); it can be searched "
                                "but not updated by this process") from exc
        with handle:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError as exc:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(f"another wenku process is writing {self.root}; "
                                        "try again when it finishes") from exc
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def fsync(path: Path) -> None:
    """Flush a file or directory to disk so a crash cannot publish a half-written one."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
