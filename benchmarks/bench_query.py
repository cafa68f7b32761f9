"""Query latency per mode at several index sizes, semantic recall against exact search, resident memory.

Run: .venv/bin/python benchmarks/bench_query.py [--sizes 10000 100000] [--queries 300]
Passages are real CCTV paragraphs (cycled past the data set); random unit vectors (384-d) stand in for
embeddings, and query vectors are random too, so query encoding is excluded (measured separately). The FAISS
index type is the product's choice for the size (exact up to 50k passages, HNSW above).
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from common import SHARED, RandomEncoder, analyse, cctv_paragraphs, emit, percentiles, random_unit_vectors, \
    synthetic_index

from indexer.schema import SearchRequest
from indexer.searcher import Searcher


def rss_mb() -> float:
    """Resident memory of this process in MiB."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def timed(function, repeat: list) -> list[float]:
    samples = []
    for item in repeat:
        started = time.perf_counter()
        function(item)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    paragraphs = cctv_paragraphs(100_000)
    unique = analyse(paragraphs)
    squad = json.loads((SHARED / "cmrc2018" / "cmrc2018_trial.json").read_text(encoding="utf-8"))
    questions = [qa["question"] for e in squad["data"] for p in e["paragraphs"] for qa in p["qas"]
                 if qa["question"].strip()][:args.queries]
    common = ["发展", "建设", "发展 建设", "经济", "高质量发展"] * (args.queries // 5)
    encoder = RandomEncoder()
    for size in args.sizes:
        root = Path(tempfile.mkdtemp(prefix=f"wenku-query-{size}-"))
        try:
            started = time.perf_counter()
            synthetic_index(root / "index", size, paragraphs, unique, vectors=True)
            built = time.perf_counter() - started
            gc.collect()
            before = rss_mb()
            searcher = Searcher.open(root / "index", encoder=encoder)  # type: ignore[arg-type]
            loaded = rss_mb()
            for q in questions[:20]:  # warm-up
                searcher.search(SearchRequest.parse(q=q, mode="hybrid"))
            kw = timed(lambda q: searcher.search(SearchRequest.parse(q=q, mode="keyword")), questions)
            kw_common = timed(lambda q: searcher.search(SearchRequest.parse(q=q, mode="keyword")), common)
            hy = timed(lambda q: searcher.search(SearchRequest.parse(q=q, mode="hybrid")), questions)
            sem_full = timed(lambda q: searcher.search(SearchRequest.parse(q=q, mode="semantic")), questions)
            # Bare vector search and its recall@10 against exact search over the same vectors.
            vectors = searcher.view.segments[0].vectors
            assert vectors is not None
            stored = vectors.vectors(np.arange(size))
            queries = random_unit_vectors(len(questions), seed=99)
            allowed = searcher.view.live
            bare, recall = [], []
            for row in queries:
                q = row.reshape(1, -1)
                t0 = time.perf_counter()
                hits = searcher.view.vector_search(q, 10, allowed)
                bare.append((time.perf_counter() - t0) * 1000)
                exact = np.argsort(-(stored @ row))[:10]
                recall.append(len(set(hits.ids.tolist()) & set(exact.tolist())) / 10)
            del stored
            emit("query_latency", {
                "passages": size, "faiss_index": searcher.view.segments[0].info.vector_index,
                "base_index_write_s": round(built, 1), "queries": len(questions),
                "keyword_ms": percentiles(kw), "keyword_common_words_ms": percentiles(kw_common),
                "semantic_ms_excluding_encoding": percentiles(sem_full),
                "vector_search_only_ms": percentiles(bare), "semantic_recall@10_vs_exact": round(float(np.mean(recall)), 4),
                "hybrid_ms_excluding_encoding": percentiles(hy),
                "rss_mb_index_loaded": round(loaded - before, 1), "rss_mb_process": round(loaded, 1),
            })
            del searcher
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
