"""Encoders behind one interface: the bundled model (the default) and any sentence-transformers model."""

from __future__ import annotations

from ...settings import Device
from .base import Encoder, ModelInfo, first_line
from .bundled import PREFIX as BUNDLED_PREFIX
from .bundled import BundledEncoder, is_bundled

# multilingual-e5-small: retrieval-trained (query/passage asymmetric), strong on Chinese, 384-d; bundled with the
# package at 4 bits, so a fresh offline machine has semantic search with nothing to download.
DEFAULT_MODEL = BUNDLED_PREFIX + "multilingual-e5-small"

__all__ = ["DEFAULT_MODEL", "Encoder", "ModelInfo", "first_line", "is_bundled", "load_encoder"]


def load_encoder(name: str, device: Device = "auto", threads: int | None = None) -> Encoder:
    """`bundled:<model>`, or a sentence-transformers hub name or local directory, on `device` (`auto`: a GPU when
    there is one; the bundled engine is CPU-only) with at most `threads` CPU threads (None: every core); raise
    ModelUnavailable why not."""
    if is_bundled(name):
        return BundledEncoder(name, device, threads)
    from .sbert import load_sentence_transformer

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    return load_sentence_transformer(name, device)
