"""Extraction in worker processes: each document is read in a process with a memory cap, and a file that takes
longer than the limit, or crashes its extractor, costs that file only: its worker is stopped, a new one takes the
next file, and the file is reported with the reason.

concurrent.futures cannot stop one task of a pool, so the pool is a few processes with pipes: the parent hands out
one file at a time and waits on the pipes until the deadline of the longest-running file. Workers are started as
`python -m indexer.ingest.extract.worker` and speak JSON lines: unlike multiprocessing's spawn, that never runs the
parent's main module again (a `python -m indexer` command would start itself), and nothing is pickled.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ...settings import ExtractSettings
from .document import Extracted

Progress = Callable[[int], None]
# How long a new worker may take to start (Python, the extractors' imports) before its first file's time begins.
STARTUP_SECONDS = 120.0


@dataclass(frozen=True)
class Task:
    """One document to read: its path and its suffix (which extractor)."""

    path: str
    suffix: str


class _Worker:
    """A worker process and its pipes."""

    def __init__(self, settings: ExtractSettings, threads: int) -> None:
        environment = {**os.environ, "OMP_NUM_THREADS": str(threads), "WENKU_EXTRACT_THREADS": str(threads)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "indexer.ingest.extract.worker", settings.model_dump_json()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.input, self.output = self.process.stdin, self.process.stdout
        self.pending = bytearray()  # what was read of a message not yet complete
        self.task: int | None = None
        self.deadline = 0.0  # when the current file's time is up

    def send(self, number: int, task: Task, seconds: float) -> None:
        # Until the worker says it has started the file, the time that runs is its start-up's (see `start`).
        self.task, self.deadline = number, time.monotonic() + STARTUP_SECONDS + seconds
        try:
            self.input.write(json.dumps({"task": number, "path": task.path, "suffix": task.suffix}).encode() + b"\n")
            self.input.flush()
        except OSError:
            pass  # it died before taking the task: receive() reports it

    def start(self, seconds: float) -> None:
        """The worker began the file: it has `seconds` from now."""
        self.deadline = time.monotonic() + seconds

    def receive(self) -> list[tuple[str, int, object]] | None:
        """The messages the worker has written, or None when it has gone (crashed or killed).

        Read straight from the pipe, not through a buffered reader: a reader could hold a second message that
        select() then never reports, and the pool would wait for it forever.
        """
        chunk = os.read(self.output.fileno(), 1 << 20)
        if not chunk:
            return None
        self.pending += chunk
        *lines, rest = self.pending.split(b"\n")
        self.pending = bytearray(rest)
        return [(str(m["kind"]), int(m["task"]), m["body"]) for m in map(json.loads, lines)]

    def stop(self, kill: bool = False) -> None:
        """End the worker (its input closed, or killed when it is busy) and close the pipes."""
        if kill:
            self.process.kill()
        for stream in (self.input, self.output):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def extract_all(tasks: Sequence[Task], settings: ExtractSettings, pages: Progress | None = None
                ) -> Iterator[tuple[int, Extracted | str]]:
    """(index of the task, its result or the reason it failed) as each file finishes, in any order."""
    cores = os.cpu_count() or 1
    count = min(len(tasks), settings.workers or cores)
    if count == 0:
        return
    threads = max(1, cores // count)
    waiting = list(range(len(tasks)))[::-1]
    workers = [_Worker(settings, threads) for _ in range(count)]
    try:
        for worker in workers:
            number = waiting.pop()
            worker.send(number, tasks[number], settings.max_seconds)
        while any(w.task is not None for w in workers):
            busy = [w for w in workers if w.task is not None]
            deadline = min(w.deadline for w in busy)
            ready, _, _ = select.select([w.output for w in busy], [], [], max(0.0, deadline - time.monotonic()))
            for worker in busy:
                task = worker.task
                assert task is not None
                finished: tuple[int, Extracted | str] | None = None
                if worker.output in ready:
                    messages = worker.receive()
                    if messages is None:
                        worker.process.wait()
                        finished = (task, _crashed(worker.process.returncode, settings))
                        worker = _replace(workers, worker, settings, threads)
                    for kind, number, body in messages or []:
                        if kind == "started":
                            worker.start(settings.max_seconds)
                        elif kind == "pages":
                            if pages is not None:
                                pages(int(str(body)))
                        else:  # a worker holds one task at a time: its answer is the last message
                            finished = (number, Extracted.model_validate(body) if kind == "done" else str(body))
                elif time.monotonic() >= worker.deadline:
                    finished = (task, f"took longer than {settings.max_seconds:g} s to read (the limit; raise it "
                                      "with --max-seconds)")
                    worker = _replace(workers, worker, settings, threads, kill=True)
                if finished is None:
                    continue
                worker.task = None
                if waiting:
                    number = waiting.pop()
                    worker.send(number, tasks[number], settings.max_seconds)
                yield finished
    finally:
        for worker in workers:
            worker.stop(kill=worker.task is not None)


def _replace(workers: list[_Worker], worker: _Worker, settings: ExtractSettings, threads: int,
             kill: bool = False) -> _Worker:
    """A fresh worker in place of one that crashed or ran out of time."""
    worker.stop(kill=kill)
    fresh = _Worker(settings, threads)
    workers[workers.index(worker)] = fresh
    return fresh


def _crashed(returncode: int | None, settings: ExtractSettings) -> str:
    if returncode is not None and returncode < 0:
        return (f"the extractor crashed on it (signal {-returncode}: a damaged file, or one needing more than "
                f"{settings.max_memory_mb} MB)")
    return f"the extractor stopped on it (exit code {returncode})"
