"""Incremental add: articles of a realistic size into indexes of 10k, 100k and 1M passages, with the real encoder.

Run: .venv/bin/python benchmarks/bench_incremental.py [--sizes 10000 100000 1000000] [--runs 9]
The base index is one synthetic segment of real CCTV paragraphs whose vectors are random unit vectors standing in
for embeddings (whole texts and windows, 384-d, in an exact FAISS index: the base's index type does not enter the
cost of an add). Each added article is a real CCTV news item of the median size (its body within 10 % of the median
item's length), embedded by the bundled model: the add's total, and the embedding's share of it, are reported. The
adds run one after another, so each leaves a segment; the add that takes the index past 8 segments merges the
smallest, and its figure is reported apart. "Reader re-open" is what a running server pays to switch to the new
generation (it reuses the segments it has loaded).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from common import analyse, bundled_floor, cctv_items, cctv_paragraphs, emit, random_unit_vectors, synthetic_index

from indexer.embed.encoders import DEFAULT_MODEL, Encoder, load_encoder
from indexer.search.searcher import Searcher
from indexer.update.articles import add_files


class Timed:
    """An encoder wrapper that keeps the time its passage encodings took."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.info = encoder.info
        self.seconds = 0.0

    def max_passage_chars(self) -> int:
        return self.encoder.max_passage_chars()

    def encode_passages(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        started = time.perf_counter()
        try:
            return self.encoder.encode_passages(texts, batch_size)
        finally:
            self.seconds += time.perf_counter() - started

    def encode(self, texts: Sequence[str], kind: str, batch_size: int = 32) -> np.ndarray:
        return self.encoder.encode(texts, kind, batch_size)  # type: ignore[arg-type]

    def encode_query(self, text: str) -> np.ndarray:
        return self.encoder.encode_query(text)


def median_items(count: int) -> list[tuple[str, bytes]]:
    """`count` CCTV news items whose body is within 10 % of the median item's length, as article files."""
    items = list(cctv_items())
    lengths = sorted(sum(len(p) for p in body) for _, _, body in items)
    median = lengths[len(lengths) // 2]
    chosen = [(date, title, body) for date, title, body in items
              if abs(sum(len(p) for p in body) - median) <= median // 10][:count]
    return [(f"新增{date}-{i}.txt", (title + "\n\n" + "\n\n".join(body)).encode())
            for i, (date, title, body) in enumerate(chosen)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=9, help="adds per size; the 8th segment makes the 9th merge")
    args = parser.parse_args()
    paragraphs = cctv_paragraphs(100_000)
    unique = analyse(paragraphs)
    articles = median_items(args.runs)
    encoder = Timed(load_encoder(DEFAULT_MODEL))
    encoder.encode_passages(["预热。"] * 8)  # load pages of the model before timing
    floor = bundled_floor(encoder.encoder)
    for size in args.sizes:
        root = Path(tempfile.mkdtemp(prefix=f"wenku-bench-{size}-"))
        try:
            started = time.perf_counter()
            synthetic_index(root / "index", size, paragraphs, unique, random_unit_vectors(size), flat=True,
                            model=encoder.info, floor=floor)
            built = time.perf_counter() - started
            searcher = Searcher.open(root / "index", encoder=encoder)  # type: ignore[arg-type]
            runs = []
            for name, raw in articles:
                encoder.seconds = 0.0
                started = time.perf_counter()
                report = add_files(root / "index" / "corpus", root / "index", [(name, raw)],
                                   encoder=encoder, log=lambda _: None)  # type: ignore[arg-type]
                total = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                searcher = Searcher.open(root / "index", encoder=encoder, previous=searcher)  # type: ignore[arg-type]
                reopen = (time.perf_counter() - started) * 1000
                runs.append({"add_ms": round(total, 1), "embedding_ms": round(encoder.seconds * 1000, 1),
                             "index_ms": round(total - encoder.seconds * 1000, 1), "reopen_ms": round(reopen, 1),
                             "passages": sum(report.passages_added.values()), "texts_embedded": report.embedded,
                             "merged_segments": report.merged_segments})
            plain = [r for r in runs if not r["merged_segments"]]
            emit("incremental_add", {
                "passages_in_index": size, "base_index_write_s": round(built, 1), "model": DEFAULT_MODEL,
                "article_chars": [len(raw.decode()) for _, raw in articles], "runs": runs,
                "median_add_ms": statistics.median(r["add_ms"] for r in plain),
                "median_embedding_ms": statistics.median(r["embedding_ms"] for r in plain),
                "median_index_ms": statistics.median(r["index_ms"] for r in plain),
                "median_reopen_ms": statistics.median(r["reopen_ms"] for r in plain),
                "merge_runs": [r for r in runs if r["merged_segments"]],
            })
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
