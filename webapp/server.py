"""Running the app under gunicorn, a production WSGI server (not Flask's debug server)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

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


def serve(config: dict[str, Any], host: str, port: int, workers: int, threads: int) -> None:
    """Serve until interrupted."""
    WenkuServer(config, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,  # a worker's first request may wait for the model to load
        "accesslog": "-",
    }).run()
