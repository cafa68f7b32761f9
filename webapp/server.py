"""Running the app under gunicorn, a production WSGI server (not Flask's debug server)."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication
from threadpoolctl import threadpool_limits

from . import create_app


class WenkuServer(BaseApplication):
    """Gunicorn application whose workers each build the app (and load the index and model) once."""

    def __init__(self, config: dict[str, Any], options: dict[str, Any]) -> None:
        self.app_config = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app(self.app_config)


def cores_per_worker(workers: int) -> int:
    """The CPU threads each worker's numeric libraries may use: the cores shared out, at least one."""
    return max(1, (os.cpu_count() or 1) // workers)


def _limit_threads(server: Any, worker: Any) -> None:
    """gunicorn post_fork hook: cap the thread pools this worker inherited (numpy's OpenBLAS, FAISS's OpenMP).

    Left at one thread per core in every worker, the pools outnumber the cores and their threads spin against each
    other between calls: on 2 cores with 2 workers, hybrid search went from 32 to 94 requests/s when capped
    (benchmarks/README.md, HTTP). Libraries a worker loads later (the bundled engine) read OMP_NUM_THREADS instead.
    """
    threadpool_limits(limits=int(os.environ["OMP_NUM_THREADS"]))


def share_cores(workers: int) -> None:
    """Give each of `workers` processes its share of the cores (a setting the user made is kept)."""
    os.environ.setdefault("OMP_NUM_THREADS", str(cores_per_worker(workers)))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ["OMP_NUM_THREADS"])


def serve(config: dict[str, Any], host: str, port: int, workers: int, threads: int) -> None:
    """Serve until interrupted."""
    share_cores(workers)
    WenkuServer(config, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,  # a worker's first request may wait for the model to load
        "accesslog": "-",
        "post_fork": _limit_threads,
    }).run()
