"""Running the app under gunicorn, a production WSGI server (not Flask's debug server)."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import gunicorn.http.message
import gunicorn.http.wsgi
import gunicorn.util
from gunicorn.app.base import BaseApplication
from threadpoolctl import threadpool_limits

from indexer.errors import AddressInUse
from indexer.schema import ErrorDetail, ErrorResponse

from . import create_app

# The longest request line gunicorn reads (it answers 414 past it): room for the longest query the API takes
# (10,000 characters, 90 KB percent-encoded) with its other parameters. Gunicorn's own cap (8,190) is far below.
REQUEST_LINE_BYTES = 1 << 20


class WenkuServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no type stubs
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


def _write_json_error(sock: Any, status: int, reason: str, message: str) -> None:
    """Gunicorn's own error answers (request line or headers too long, malformed requests) in the API's error shape.

    They happen before any request reaches Flask, so the app's handlers cannot shape them; the request's path is
    not known yet either, so every such answer is JSON.
    """
    code = reason.lower().replace(" ", "_")
    body = json.dumps(ErrorResponse(error=ErrorDetail(code=code, message=message or reason)).model_dump(),
                      ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n")
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


def _without_server_header(default_headers: Any) -> Any:
    """Response headers minus `Server: gunicorn`: nothing tells a scanner which software (and version) answers."""
    def headers(self: Any) -> list[str]:
        return [h for h in default_headers(self) if not h.startswith("Server:")]
    return headers


def _harden_gunicorn() -> None:
    """Install the changes above into gunicorn (idempotent), and let its request line reach REQUEST_LINE_BYTES.

    Gunicorn clamps `limit_request_line` to 8,190 bytes unless it is 0, which means no limit at all (a client could
    make a worker buffer gigabytes); raising the clamp is the one way to a large but finite limit.
    """
    gunicorn.http.message.MAX_REQUEST_LINE = max(gunicorn.http.message.MAX_REQUEST_LINE, REQUEST_LINE_BYTES)
    gunicorn.util.write_error = _write_json_error
    response = gunicorn.http.wsgi.Response
    if not getattr(response.default_headers, "wenku", False):
        response.default_headers = _without_server_header(response.default_headers)
        response.default_headers.wenku = True


def share_cores(workers: int) -> None:
    """Give each of `workers` processes its share of the cores (a setting the user made is kept)."""
    os.environ.setdefault("OMP_NUM_THREADS", str(cores_per_worker(workers)))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ["OMP_NUM_THREADS"])


def check_address(host: str, port: int) -> None:
    """Raise AddressInUse when host:port cannot be bound (gunicorn would retry five times, then exit)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise AddressInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise AddressInUse(f"cannot listen on {host}:{port}: {exc.strerror} (another server running? "
                               "choose another port with --port)") from None


def serve(config: dict[str, Any], host: str, port: int, workers: int, threads: int) -> None:
    """Serve until interrupted."""
    share_cores(workers)
    _harden_gunicorn()
    WenkuServer(config, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 120,  # a worker's first request may wait for the model to load
        "accesslog": "-",
        "post_fork": _limit_threads,
        "limit_request_line": REQUEST_LINE_BYTES,
    }).run()
