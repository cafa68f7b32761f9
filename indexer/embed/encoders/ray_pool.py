"""Passage embedding on a Ray cluster: a Ray Data `map_batches` actor pool, each actor loading the encoder once.

The driver (the writer) still reads, chunks and consults the embedding cache; only texts without a vector come
here. Rows carry their position, so vectors are put back in order whatever order batches finish in, and a batch
whose actor died is retried by Ray Data on a new actor (its rows then arrive once: the position check below
refuses a duplicate or a gap). Queries and the semantic floor's few hundred texts stay in this process.
"""

from __future__ import annotations

import atexit
import logging
import socket
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ...errors import RayUnavailable
from ...settings import Device, RaySettings
from .base import Encoder, Kind, first_line

CONNECT_TIMEOUT = 5.0


class PassageActor:
    """One actor of the pool: loads the encoder when created, then encodes batches of rows (position, text)."""

    def __init__(self, model: str, device: Device, threads: int) -> None:
        from . import load_encoder

        self.encoder = load_encoder(model, device, threads)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Vectors for a batch of rows, with their positions."""
        return {"position": batch["position"], "vector": self.encoder.encode_passages([str(t) for t in batch["text"]])}


def _check_reachable(address: str) -> None:
    """Fail in seconds, in one line, when nothing listens at a cluster address (Ray itself retries for a minute)."""
    parsed = urlparse(address if "://" in address else f"ray://{address}")
    host, port = parsed.hostname, parsed.port
    if host is None or port is None:
        raise RayUnavailable(f"Ray address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise RayUnavailable(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from exc


def connect(address: str | None) -> Any:
    """The `ray` module, initialised: joined to the cluster at `address` (`auto`, HOST:PORT, ray://HOST:PORT; see
    _check_reachable for failing fast), or a local cluster started (None)."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise RayUnavailable("Ray is not installed: pip install 'wenku[ray]'") from exc
    if ray.is_initialized():
        return ray
    try:
        ray.init(address=address, include_dashboard=False,
                 log_to_driver=False, logging_level=logging.ERROR)
    except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, ValueError: all mean "no cluster"
        if address == "auto" and isinstance(exc, ConnectionError):
            raise RayUnavailable("--ray auto: no Ray cluster is running on this machine (start one with "
                                 "`ray start --head`, or give --ray alone for a local one)") from exc
        where = "start a local Ray cluster" if address is None else f"join the Ray cluster at {address}"
        raise RayUnavailable(f"cannot {where}: {first_line(exc)}") from exc
    atexit.register(ray.shutdown)
    # Ray's own notices (execution plans, progress bars off) would bury the writer's output.
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the writer shows its own
    context.execution_options.preserve_order = True
    return ray


class RayEncoder(Encoder):
    """The index's encoder for queries and small calls in this process; passages embedded by the cluster."""

    def __init__(self, local: Encoder, model: str, device: Device, settings: RaySettings) -> None:
        super().__init__(local.info)
        self.local = local
        self.model = model
        self.device = device
        self.settings = settings
        self.batch_size = settings.batch_size
        if settings.address not in (None, "auto"):
            _check_reachable(settings.address)  # before the writer reads a single file

    def max_passage_chars(self) -> int:
        return self.local.max_passage_chars()

    def _encode(self, texts: Sequence[str], kind: Kind, batch_size: int) -> np.ndarray:
        return self.local.encode(texts, kind, batch_size)

    def _pool(self, ray: Any) -> tuple[int, dict[str, Any]]:
        """Pool size and each actor's resources: one GPU per actor when the cluster has GPUs, else CPU threads."""
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        if gpus and self.device != "cpu":
            return self.settings.actors or gpus, {"num_gpus": 1, "num_cpus": self.settings.threads}
        cpus = int(resources.get("CPU", 1))
        return self.settings.actors or max(1, cpus // self.settings.threads), {"num_cpus": self.settings.threads}

    def passage_blocks(self, texts: Sequence[str]) -> Iterator[np.ndarray]:
        """Vectors of texts in order, block by block as the pool returns them."""
        if not texts:
            return
        ray = connect(self.settings.address)
        actors, resources = self._pool(ray)
        device: Device = "cuda" if "num_gpus" in resources else "cpu"
        dataset = ray.data.from_items([{"position": i, "text": t} for i, t in enumerate(texts)])
        dataset = dataset.map_batches(
            PassageActor, fn_constructor_kwargs={"model": self.model, "device": device,
                                                 "threads": self.settings.threads},
            batch_size=self.settings.batch_size, compute=ray.data.ActorPoolStrategy(size=actors),
            batch_format="numpy", **resources)
        waiting: dict[int, np.ndarray] = {}  # blocks that arrived before the ones in front of them
        expected = 0
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            positions = np.asarray(batch["position"], np.int64)
            if len(positions) == 0:
                continue
            if not np.array_equal(positions, np.arange(positions[0], positions[0] + len(positions))) \
                    or int(positions[0]) in waiting or int(positions[0]) < expected:
                raise RayUnavailable("the Ray pool returned rows twice or out of order; nothing was stored for them")
            waiting[int(positions[0])] = np.asarray(batch["vector"], np.float32)
            while expected in waiting:
                block = waiting.pop(expected)
                expected += len(block)
                yield block
        if expected != len(texts) or waiting:
            raise RayUnavailable(f"the Ray pool returned {expected} of {len(texts)} vectors")
