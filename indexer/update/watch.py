"""`wenku watch`: keep the index in step with the corpus folder, indexing files once they stop changing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..errors import WenkuError
from ..index.layout import IndexLayout
from ..ingest.article import Article
from ..ingest.files import ARTICLE_SUFFIXES, article_id_for
from ..ingest.reader import ArticleReader, Source
from ..schema import FileProblem
from ..settings import DEFAULT_WRITER, WriterSettings
from .build import build_index, open_writer

Log = Callable[[str], None]
WRITER_WAIT = 60.0


class _Changes(FileSystemEventHandler):
    """Collects touched article paths with the time of their last event."""

    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        self.lock = threading.Lock()
        self.touched: dict[str, float] = {}

    def note(self, path: str | bytes | Path) -> None:
        """Record that a path changed now (ignored unless it is an article file inside the corpus)."""
        relative = Path(path.decode() if isinstance(path, bytes) else path).resolve()
        try:
            name = relative.relative_to(self.corpus).as_posix()
        except ValueError:
            return
        if Path(name).suffix.lower() in ARTICLE_SUFFIXES and not any(p.startswith(".") for p in Path(name).parts):
            with self.lock:
                self.touched[name] = time.monotonic()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.note(event.src_path)
            if getattr(event, "dest_path", None):
                self.note(event.dest_path)

    def settled(self, settle: float) -> tuple[list[str], list[str]]:
        """(paths quiet for `settle` seconds, paths still changing)."""
        now = time.monotonic()
        with self.lock:
            ready = [p for p, t in self.touched.items() if now - t >= settle]
            for path in ready:
                del self.touched[path]
            return ready, list(self.touched)


def _stable(path: Path, settle: float) -> bool:
    """True if size and mtime stay the same across a short look (a writer may not emit events while writing)."""
    try:
        before = path.stat()
        time.sleep(min(settle, 0.2))
        after = path.stat()
    except FileNotFoundError:
        return True
    return (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns)


def sync_paths(corpus: Path, index_dir: Path, paths: list[str], model: str | None, log: Log,
               settings: WriterSettings = DEFAULT_WRITER) -> None:
    """Index the current state of some corpus paths: new or changed files in, vanished ones out."""
    layout = IndexLayout(index_dir)
    upserts: list[Article] = []
    failures: list[FileProblem] = []
    present = [relative for relative in paths if (corpus / relative).exists()]
    deletes = [article_id_for(relative) for relative in paths if relative not in present]
    reader = ArticleReader(layout.cache_dir, settings.extract)
    for result in reader.read([Source(relative, path=corpus / relative) for relative in present]):
        if isinstance(result, Article):
            upserts.append(result)
        else:
            failures.append(result)
            log(f"skipped {result.path}: {result.reason}")
    with layout.writer_lock(WRITER_WAIT):
        writer = open_writer(layout, model, log=log, settings=settings)
        live = writer.live_articles(deletes)
        known = [f for f in (writer.base.failed if writer.base else []) if f.path not in paths]
        failed = [*known, *failures]
        report = writer.apply(corpus, upserts, [d for d in deletes if d in live], failed=failed)
    if report.added or report.removed:
        log(f"generation {report.manifest.generation if report.manifest else '?'}: "
            f"+{len(report.added)} -{len(report.removed)} articles")


def watch_corpus(corpus: Path, index_dir: Path, model: str | None, *, settle: float = 1.0, log: Log = print,
                 stop: threading.Event | None = None, ready: threading.Event | None = None,
                 settings: WriterSettings = DEFAULT_WRITER) -> None:
    """Catch up with a build, then index changes as they settle, until interrupted or `stop` is set.

    `ready` is set once the catch-up build is done and the corpus is being watched: changes from then on are seen.
    """
    corpus = corpus.resolve()
    build_index(corpus, index_dir, model, log=log, wait=WRITER_WAIT, settings=settings)
    layout = IndexLayout(index_dir)
    changes = _Changes(corpus)
    observer = Observer()
    observer.schedule(changes, str(corpus), recursive=True)
    observer.start()
    if ready is not None:
        ready.set()
    log(f"watching {corpus} (Ctrl-C to stop)")
    stop = stop or threading.Event()
    shown: list[str] = []
    try:
        while not stop.wait(0.2):
            settled, waiting = changes.settled(settle)
            unstable = [p for p in settled if not _stable(corpus / p, settle)]
            for path in unstable:
                changes.note(corpus / path)
            settled = [p for p in settled if p not in unstable]
            if sorted(waiting + unstable) != shown:
                shown = sorted(waiting + unstable)
                layout.write_pending([FileProblem(path=p, reason="waiting for the file to stop changing")
                                      for p in shown])
            if settled:
                try:
                    sync_paths(corpus, index_dir, settled, model, log, settings)
                except WenkuError as exc:
                    log(f"could not index {', '.join(settled)} yet: {exc}")
                    for path in settled:  # retried on the next round
                        changes.note(corpus / path)
    except KeyboardInterrupt:
        pass
    finally:
        observer.stop()
        observer.join()
        layout.write_pending([])
