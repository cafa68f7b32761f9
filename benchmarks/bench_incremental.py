"""Incremental add: one article into indexes of 10k, 100k and 1M passages (embedding excluded).

Run: .venv/bin/python benchmarks/bench_incremental.py [--sizes 10000 100000 1000000] [--runs 5]
The base index is one synthetic segment of real CCTV paragraphs with random unit vectors (384-d, in an exact
FAISS index) standing in for embeddings; the added article is embedded by a random-vector stand-in, so the
figure is the index's own cost: chunking, analysis, writing the new segment, tombstones, manifest, publish,
and a reader re-opening the index.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import RandomEncoder, analyse, cctv_items, cctv_paragraphs, emit, random_unit_vectors, synthetic_index

from indexer.build import add_files
from indexer.searcher import Searcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    paragraphs = cctv_paragraphs(100_000)
    unique = analyse(paragraphs)
    articles = [(f"新增{date}-{i}.txt", (title + "\n\n" + "\n\n".join(body)).encode())
                for i, (date, title, body) in enumerate(cctv_items(limit=args.runs + 1))]
    encoder = RandomEncoder()
    for size in args.sizes:
        root = Path(tempfile.mkdtemp(prefix=f"wenku-bench-{size}-"))
        try:
            started = time.perf_counter()
            # The base segment's vector index type does not enter the cost of an add; flat keeps set-up short.
            synthetic_index(root / "index", size, paragraphs, unique, random_unit_vectors(size), flat=True)
            built = time.perf_counter() - started
            searcher = Searcher.open(root / "index", encoder=encoder)  # type: ignore[arg-type]
            adds, reopens, passages = [], [], []
            for name, raw in articles[:args.runs]:
                started = time.perf_counter()
                report = add_files(root / "index" / "corpus", root / "index", [(name, raw)],
                                   encoder=encoder, log=lambda _: None)  # type: ignore[arg-type]
                adds.append((time.perf_counter() - started) * 1000)
                passages.append(sum(report.passages_added.values()))
                started = time.perf_counter()
                searcher = Searcher.open(root / "index", encoder=encoder, previous=searcher)  # type: ignore[arg-type]
                reopens.append((time.perf_counter() - started) * 1000)
            emit("incremental_add", {
                "passages_in_index": size, "base_index_write_s": round(built, 1), "runs": args.runs,
                "article_passages": passages,
                "add_ms_median": round(statistics.median(adds), 1), "add_ms_all": [round(a, 1) for a in adds],
                "reader_reopen_ms_median": round(statistics.median(reopens), 1),
            })
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
