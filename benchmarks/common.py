"""Shared pieces of the benchmarks: real CCTV text, synthetic large indexes, random stand-in vectors."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cctv import cctv_items  # noqa: E402

from indexer.analysis.analyzer import Analyzer  # noqa: E402
from indexer.embed.encoders import Encoder, ModelInfo  # noqa: E402
from indexer.embed.floor import FloorScorer, calibrate  # noqa: E402
from indexer.index.keyword import KeywordIndex  # noqa: E402
from indexer.index.layout import IndexLayout  # noqa: E402
from indexer.index.manifest import Manifest  # noqa: E402
from indexer.index.segment import PreparedSegment  # noqa: E402
from indexer.index.writer import IndexWriter  # noqa: E402
from indexer.ingest.article import Article  # noqa: E402
from indexer.ingest.chunk import ChunkerSettings, Passage  # noqa: E402
from indexer.settings import VectorSettings, WriterSettings  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
DIMENSION = 384  # intfloat/multilingual-e5-small
SOURCES = ("央视网", "新华网", "人民网")


def write_news(folder: Path, limit: int | None = None, every: int = 1) -> int:
    """CCTV news items as article files `news-<date>-<n>.txt` (n: the item's number in the whole set), every
    `every`-th item up to `limit` items written; returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for number, (date, title, paragraphs) in enumerate(cctv_items() if limit != 0 else []):
        if number % every:
            continue
        (folder / f"news-{date}-{number}.txt").write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n",
                                                          encoding="utf-8")
        written += 1
        if limit is not None and written >= limit:
            break
    return written


def cctv_paragraphs(limit: int) -> list[str]:
    """Up to `limit` CCTV news paragraphs."""
    out: list[str] = []
    for _, _, paragraphs in cctv_items():
        out.extend(paragraphs)
        if len(out) >= limit:
            break
    return out[:limit]


def random_unit_vectors(n: int, dimension: int = DIMENSION, seed: int = 0) -> np.ndarray:
    """Random L2-normalised float32 vectors: the stand-in for embeddings past what we can embed here."""
    vectors = np.random.default_rng(seed).standard_normal((n, dimension), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


class RandomEncoder(Encoder):
    """Encoder stand-in (benchmarks only): random unit vectors, deterministic per text, default model's shape."""

    def __init__(self, dimension: int = DIMENSION, info: ModelInfo | None = None) -> None:
        super().__init__(info or ModelInfo(name="random-unit-vectors", fingerprint="random", dimension=dimension,
                                           max_seq_length=512, query_prompt="", passage_prompt=""))

    def max_passage_chars(self) -> int:
        return ChunkerSettings().max_chars

    def _encode(self, texts: Sequence[str], kind: str, batch_size: int) -> np.ndarray:
        seeds = [int.from_bytes(hashlib.sha1(t.encode()).digest()[:4], "little") for t in texts]
        return np.vstack([random_unit_vectors(1, self.info.dimension, s) for s in seeds]) if texts else \
            np.zeros((0, self.info.dimension), np.float32)


def bundled_floor(encoder: Encoder) -> FloorScorer:
    """The bundled model's semantic floor, calibrated as a build does (about 180 short texts embedded)."""
    floor, background = calibrate(lambda t: encoder.encode(t, "query"), encoder.encode_passages)
    return FloorScorer(floor, background)


def analyse(paragraphs: Sequence[str]) -> list[list[str]]:
    """Terms of each paragraph, with the product's analyzer."""
    analyzer = Analyzer()
    return [analyzer.terms(p) for p in paragraphs]


def synthetic_index(index_dir: Path, size: int, paragraphs: Sequence[str], unique: Sequence[list[str]],
                    vectors: np.ndarray | None, articles_per: int = 20, flat: bool = False,
                    owners: np.ndarray | None = None, model: ModelInfo | None = None,
                    floor: FloorScorer | None = None) -> Manifest:
    """Publish a one-segment index of `size` passages cycling through real paragraphs (tokenised once each).

    `vectors` (one row per passage, or per `owners` entry: whole texts and windows) go into the product's FAISS
    index for their number, or a flat one with `flat`. `model` is what the manifest says made them (default: the
    random stand-in), `floor` its calibrated semantic floor. Real text keeps BM25 statistics realistic; cycling lets
    us reach sizes beyond the data set.
    """
    n_articles = (size + articles_per - 1) // articles_per
    # Dated and sourced as a news archive is, so the year and source facets and date filters do real work.
    articles = [Article(id=f"syn-{a}", path=f"syn-{a}.txt", title=f"合成文章{a}", text="", body_start=0,
                        date=(dt.date(2022, 1, 1) + dt.timedelta(days=a % 1700)).isoformat(),
                        source=SOURCES[a % len(SOURCES)], url=None, sha256=f"{a:064x}", encoding="utf-8")
                for a in range(n_articles)]
    passages = [Passage(article_id=f"syn-{i // articles_per}", seq=i % articles_per,
                        text=paragraphs[i % len(paragraphs)], start=0, end=0, paragraph=i % articles_per + 1)
                for i in range(size)]
    keyword = KeywordIndex.build(unique[i % len(unique)] for i in range(size))
    vector_count = len(vectors) if vectors is not None else 0
    # An HNSW graph of 1M vectors takes tens of minutes to build on 2 cores; flat is a memcpy.
    settings = WriterSettings(vectors=VectorSettings(exact_max=vector_count)) if flat else WriterSettings()
    encoder = RandomEncoder(info=model) if vectors is not None else None
    layout = IndexLayout(index_dir)
    (index_dir / "corpus").mkdir(parents=True, exist_ok=True)
    with layout.writer_lock():
        writer = IndexWriter(layout, None, encoder, log=lambda _: None, settings=settings)
        return writer.publish_prepared(index_dir / "corpus", PreparedSegment(articles, passages, keyword, vectors,
                                                                              owners), floor)


def machine() -> str:
    """One line describing where a figure was measured."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def timed(function: Callable[[str], object], items: Sequence[str]) -> list[float]:
    """Milliseconds per call of `function` on each item (warm up beforehand, on items not timed)."""
    samples = []
    for item in items:
        started = time.perf_counter()
        function(item)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 of latencies in milliseconds."""
    values = np.asarray(samples_ms)
    return {f"p{q}": round(float(np.percentile(values, q)), 3) for q in (50, 95, 99)}


def emit(name: str, result: dict) -> None:
    """Print a result as one JSON line and append it to benchmarks/results/<name>.jsonl (committed: each figure in
    benchmarks/README.md can be traced to the run that produced it)."""
    result = {"benchmark": name, "date": time.strftime("%Y-%m-%d"), "machine": machine(), **result}
    print(json.dumps(result, ensure_ascii=False), flush=True)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    with open(out / f"{name}.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(result, ensure_ascii=False) + "\n")
