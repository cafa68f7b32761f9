"""Query latency per mode at several index sizes, semantic recall against exact search, resident memory.

Run: .venv-bench/bin/python benchmarks/bench_query.py [--sizes 10000 100000 1000000] [--vectors real|random]
Passages are real CCTV paragraphs (cycled past the data set). Vectors, 384-d like the default model's:
- real (default): all-MiniLM-L6-v2 embeddings of those paragraphs and of the CMRC questions used as queries
  (real_vectors.py); past the 133k real ones, jittered copies of real vectors (cosine ~0.9 to their source).
- random: random unit vectors for passages and queries, the worst case for approximate search (no structure).
Query encoding is excluded (measured by bench_embed.py). The FAISS index type is the product's choice for the size;
recall@10 is measured for the product's efSearch and a sweep around it, against exact search over the same vectors.
"""

from __future__ import annotations

import argparse
import gc
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from common import (ROOT, RandomEncoder, analyse, cctv_paragraphs, emit, percentiles, random_unit_vectors,
                    synthetic_index, timed)

import indexer.vectors
from indexer.schema import SearchRequest
from indexer.searcher import MIN_DEPTH, Searcher

COMMON_WORDS = ["发展", "建设", "发展 建设", "经济", "高质量发展"]
EF_SWEEP = (100, 128, 192, 256)  # the product searches depth 100, so efSearch is at least 100


class LookupEncoder(RandomEncoder):
    """Query encoder stand-in returning precomputed vectors for known queries (encoding cost excluded)."""

    def __init__(self, queries: Sequence[str], vectors: np.ndarray) -> None:
        super().__init__(vectors.shape[1])
        self.table = dict(zip(queries, vectors))

    def encode_query(self, text: str) -> np.ndarray:
        found = self.table.get(text)
        return super().encode_query(text) if found is None else found.reshape(1, -1)


def rss_mb() -> float:
    """Resident memory of this process in MiB."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


SERVING_RSS = """
import re, sys
from pathlib import Path
from indexer.schema import SearchRequest
from indexer.searcher import Searcher
searcher = Searcher.open(Path(sys.argv[1]))
for q in ("发展", "建设 经济", "哪个区要打造食品工业基地"):
    searcher.search(SearchRequest.parse(q=q, mode="keyword"))
status = Path("/proc/self/status").read_text()
print(*(int(re.search(key + r":\\s+(\\d+)", status).group(1)) // 1024
        for key in ("VmRSS", "VmHWM", "RssAnon", "RssFile")))
"""


def serving_rss_mb(index: Path) -> dict[str, int]:
    """Resident memory of a fresh process that opens the index and answers a few queries, as a server does.

    The stand-in vectors' "model" cannot be loaded, so no encoder is in memory: add the model's own size.
    Private memory is each worker's own; file-backed memory (mapped vectors, libraries) is shared between workers.
    """
    out = subprocess.run([sys.executable, "-c", SERVING_RSS, str(index)], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout.split()
    rss, peak, private, shared = (int(v) for v in out[-4:])
    return {"rss_mb": rss, "peak_rss_mb": peak, "private_mb": private, "file_backed_mb": shared}


def exact_top10(vectors: np.ndarray, queries: np.ndarray, block: int = 64) -> np.ndarray:
    """Row numbers of each query's 10 most similar vectors, by brute force (blocks keep memory bounded)."""
    out = []
    for begin in range(0, len(queries), block):
        scores = vectors @ queries[begin:begin + block].T
        top = np.argpartition(-scores, 9, axis=0)[:10].T
        out.extend(row[np.argsort(-scores[row, i])] for i, row in enumerate(top))
    return np.vstack(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--vectors", choices=["real", "random"], default="real")
    args = parser.parse_args()
    if args.vectors == "real":
        from real_vectors import load, questions, structured_vectors
        real, query_vectors = load()
        texts = questions()[:args.queries]
        query_vectors = query_vectors[:args.queries]
        paragraphs = cctv_paragraphs(len(real))
    else:
        from real_vectors import questions
        texts = questions()[:args.queries]
        query_vectors = random_unit_vectors(len(texts), seed=99)
        paragraphs = cctv_paragraphs(100_000)
    unique = analyse(paragraphs)
    encoder = LookupEncoder(texts, query_vectors)
    common = COMMON_WORDS * (args.queries // len(COMMON_WORDS))
    for size in args.sizes:
        root = Path(tempfile.mkdtemp(prefix=f"wenku-query-{size}-"))
        try:
            vectors = structured_vectors(size) if args.vectors == "real" else random_unit_vectors(size)
            started = time.perf_counter()
            synthetic_index(root / "index", size, paragraphs, unique, vectors)
            built = time.perf_counter() - started
            # Exact top 10 of every query, for recall.
            exact = exact_top10(vectors, query_vectors)
            del vectors
            gc.collect()
            before = rss_mb()
            searcher = Searcher.open(root / "index", encoder=encoder)  # type: ignore[arg-type]
            loaded = rss_mb()

            def run(mode: str, searcher: Searcher = searcher) -> Callable[[str], object]:
                return lambda q: searcher.search(SearchRequest.parse(q=q, mode=mode))

            for q in texts[:20]:  # warm-up
                run("hybrid")(q)
            figures: dict[str, object] = {
                "keyword_ms": percentiles(timed(run("keyword"), texts)),
                "keyword_common_words_ms": percentiles(timed(run("keyword"), common)),
                "semantic_ms": percentiles(timed(run("semantic"), texts)),
                "hybrid_ms": percentiles(timed(run("hybrid"), texts)),
            }
            # The vector search alone, as the product runs it (depth 100), at several efSearch values.
            sweep = {}
            product_ef = indexer.vectors.HNSW_EF_SEARCH
            kind = searcher.view.segments[0].info.vector_index
            for ef in (EF_SWEEP if kind and kind.startswith("hnsw") else (product_ef,)):
                indexer.vectors.HNSW_EF_SEARCH = ef
                samples, recall = [], []
                for row, truth in zip(query_vectors, exact):
                    started = time.perf_counter()
                    hits = searcher.view.vector_search(row.reshape(1, -1), MIN_DEPTH, None)
                    samples.append((time.perf_counter() - started) * 1000)
                    recall.append(len(set(hits.ids[:10].tolist()) & set(truth.tolist())) / 10)
                sweep[f"efSearch {ef}" if kind != "flat-ip" else "exact"] = {
                    "ms": percentiles(samples), "recall@10": round(float(np.mean(recall)), 4)}
            indexer.vectors.HNSW_EF_SEARCH = product_ef
            emit("query_latency", {
                "passages": size, "vectors": args.vectors, "faiss_index": kind, "product_ef_search": product_ef,
                "base_index_write_s": round(built, 1), "queries": len(texts), **figures,
                "vector_search_depth_100": sweep,
                "rss_mb_index_loaded": round(loaded - before, 1), "rss_mb_process": round(loaded, 1),
                "serving_process_without_model": serving_rss_mb(root / "index"),
            })
            del searcher
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
