"""An extraction worker: `python -m indexer.ingest.extract.worker SETTINGS_JSON` reads one JSON task per line on
stdin ({"task", "path", "suffix"}) and answers JSON lines on stdout ({"kind", "task", "body"}): "started" when it
begins a file, "pages" as it reads them, then "done" or "failed". Its address space is capped, so a file that needs
too much memory fails alone."""

from __future__ import annotations

import json
import os
import resource
import sys
from typing import IO

from ...errors import ArticleError
from ...settings import ExtractSettings
from . import extract_file
from .ocr import Ocr


def serve(settings: ExtractSettings, tasks: IO[str], answers: IO[str]) -> None:
    """Read the documents named on `tasks` until it ends, answering on `answers`."""
    threads = int(os.environ.get("WENKU_EXTRACT_THREADS", "1"))
    engine: list[Ocr] = []

    def ocr() -> Ocr:
        if not engine:  # loaded on the first page that needs it (about a second), then kept
            engine.append(Ocr(threads))
        return engine[0]

    def answer(kind: str, task: int, body: object) -> None:
        answers.write(json.dumps({"kind": kind, "task": task, "body": body}, ensure_ascii=False) + "\n")
        answers.flush()

    for line in tasks:
        request = json.loads(line)
        number = int(request["task"])
        answer("started", number, None)  # the file's time starts now, not while the worker was starting up
        try:
            result = extract_file(request["path"], request["suffix"], settings, ocr,
                                  lambda pages, number=number: answer("pages", number, pages))  # type: ignore[misc]
            answer("done", number, result.model_dump())
        except ArticleError as exc:
            answer("failed", number, str(exc))
        except MemoryError:
            answer("failed", number, f"needed more than {settings.max_memory_mb} MB of memory to read")
        except Exception as exc:  # noqa: BLE001 - a library's failure on a hostile file is that file's problem
            answer("failed", number, f"extractor error ({type(exc).__name__}: {str(exc)[:200]})")


def main() -> None:
    settings = ExtractSettings.model_validate_json(sys.argv[1])
    limit = settings.max_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    serve(settings, sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
