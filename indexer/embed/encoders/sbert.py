"""Sentence-transformers encoders: any hub name or local model directory (offline-aware), prompts, fingerprints."""

from __future__ import annotations

import hashlib
import os
import re
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import numpy as np

from ...errors import ModelUnavailable
from ...settings import Device
from .base import GPU_BATCH_SIZE, Encoder, Kind, ModelInfo, first_line

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Model families that expect instruction prefixes; used when the model's own config names none.
KNOWN_PROMPTS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"(^|/)(multilingual-)?e5-(small|base|large)", re.I), "query: ", "passage: "),
    (re.compile(r"(^|/)bge-(small|base|large)-zh", re.I), "为这个句子生成表示以用于检索相关文章：", ""),
]
_TRUTHY = {"1", "true", "yes", "on"}


def hub_offline() -> bool:
    """True when the user asked Hugging Face libraries not to touch the network."""
    return any(os.environ.get(v, "").strip().lower() in _TRUTHY for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_reachable(timeout: float = 3.0) -> bool:
    """One quick TCP connect to the hub, so an offline machine fails in seconds rather than minutes of retries."""
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        with socket.create_connection((endpoint.hostname or "huggingface.co", endpoint.port or 443), timeout):
            return True
    except OSError:
        return False


def _prompts(name: str, model: SentenceTransformer) -> tuple[str, str]:
    """Query and passage prompts: the model's own config first, then known families, else none."""
    own = getattr(model, "prompts", None) or {}
    if own.get("query") or own.get("passage") or own.get("document"):
        return own.get("query", ""), own.get("passage", own.get("document", ""))
    for pattern, query, passage in KNOWN_PROMPTS:
        if pattern.search(name):
            return query, passage
    return "", ""


def _fingerprint(model: SentenceTransformer) -> str:
    """Hash of every weight tensor, so the same name with other weights is caught."""
    digest = hashlib.sha256()
    for key, tensor in model.state_dict().items():
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


class SentenceTransformerEncoder(Encoder):
    """A loaded sentence-transformers model with its prompts."""

    def __init__(self, model: SentenceTransformer, name: str) -> None:
        self.model = model
        query, passage = _prompts(name, model)
        super().__init__(ModelInfo(
            backend="sentence-transformers",
            name=name,
            fingerprint=_fingerprint(model),
            dimension=int(model.get_embedding_dimension() or 0),
            max_seq_length=int(model.max_seq_length or 512),
            query_prompt=query,
            passage_prompt=passage,
        ))
        # A GPU is fed large batches (it idles between small ones); on CPU cores, small ones pad less.
        if str(model.device).startswith("cuda"):
            self.batch_size = GPU_BATCH_SIZE

    def max_passage_chars(self) -> int:
        prompt_tokens = len(self.model.tokenizer.tokenize(self.info.passage_prompt)) if self.info.passage_prompt else 0
        return max(16, self.info.max_seq_length - prompt_tokens - 4)

    def _encode(self, texts: Sequence[str], kind: Kind, batch_size: int) -> np.ndarray:
        prompt = self.info.query_prompt if kind == "query" else self.info.passage_prompt
        return self.model.encode([prompt + t for t in texts], batch_size=batch_size, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)


def _quiet_transformers() -> None:
    """Silence per-load progress bars and info logs that would bury the product's own output."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]


def resolve_device(device: Device) -> str:
    """The torch device for `device`: `auto` is CUDA when torch sees a GPU, else the CPU; `cuda` without one fails."""
    import torch

    if device == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        raise ModelUnavailable("--device cuda: torch sees no CUDA GPU on this machine (use --device auto or cpu)")
    return "cpu"


def load_sentence_transformer(name_or_path: str, device: Device = "auto") -> SentenceTransformerEncoder:
    """Load a model from a local directory or the hub (cache first) onto `device`; raise ModelUnavailable why not.

    The weights' fingerprint does not depend on the device: an index built on a GPU is searched on a CPU.
    """
    try:
        _quiet_transformers()
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # pragma: no cover - only without the dependency installed
        raise ModelUnavailable(f"sentence-transformers is not installed ({exc})") from exc
    target = resolve_device(device)
    local = Path(name_or_path).expanduser()
    if local.is_dir():
        try:
            model = SentenceTransformer(str(local), device=target, local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any loader failure means "no usable model"
            raise ModelUnavailable(f"model directory {local} could not be loaded: {first_line(exc)}") from exc
        return SentenceTransformerEncoder(model, str(local.resolve()))
    if name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1:  # a path, not "org/name"
        raise ModelUnavailable(f"no model directory at {name_or_path}")
    try:
        model = SentenceTransformer(name_or_path, device=target, local_files_only=True)
        return SentenceTransformerEncoder(model, name_or_path)
    except Exception as exc:  # noqa: BLE001 - not in the local cache; maybe downloadable below
        cached_error = exc
    if hub_offline():
        raise ModelUnavailable(f"model {name_or_path!r} is not in the local Hugging Face cache and "
                               "HF_HUB_OFFLINE is set") from cached_error
    if not _hub_reachable():
        raise ModelUnavailable(f"model {name_or_path!r} is not in the local Hugging Face cache and the hub "
                               "is unreachable (pass a local model directory with --model)") from cached_error
    try:
        return SentenceTransformerEncoder(SentenceTransformer(name_or_path, device=target), name_or_path)
    except Exception as exc:  # noqa: BLE001
        raise ModelUnavailable(f"model {name_or_path!r} could not be downloaded: {first_line(exc)}") from exc
