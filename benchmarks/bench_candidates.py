"""Semantic recall@10 against exact scoring as the vector search asks FAISS for more candidates.

Run: .venv-bench/bin/python benchmarks/bench_candidates.py [--size 100000] [--queries 400]
The index and vectors are bench_query.py's (real CCTV paragraphs, MiniLM stand-in vectors with windows). The
product asks HNSW for ~CANDIDATE_FACTOR x depth x vectors-per-passage nearest vectors and scores their passages
exactly; this raises the factor to see whether the misses come from too few candidates.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_query import StandIn, exact_top10, with_windows
from common import analyse, bundled_floor, cctv_paragraphs, emit, percentiles, synthetic_index
from real_vectors import load, questions, structured_vectors

from indexer.embed.encoders import DEFAULT_MODEL, load_encoder
from indexer.ingest.chunk import ChunkerSettings
from indexer.search.searcher import Searcher
from indexer.settings import DEFAULT_SEARCH, DEFAULT_VECTORS, VectorSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--factors", type=float, nargs="+", default=[1.5, 3, 5, 8])
    args = parser.parse_args()
    real, query_vectors = load()
    query_vectors = query_vectors[:args.queries]
    paragraphs = cctv_paragraphs(len(real))
    engine = load_encoder(DEFAULT_MODEL)
    vectors, owners = with_windows(structured_vectors(args.size), paragraphs, ChunkerSettings().window_chars)
    root = Path(tempfile.mkdtemp(prefix="wenku-candidates-"))
    try:
        synthetic_index(root / "index", args.size, paragraphs, analyse(paragraphs), vectors, owners=owners,
                        model=engine.info, floor=bundled_floor(engine))
        exact = exact_top10(vectors, owners, query_vectors)
        stand_in = StandIn(engine, questions()[:args.queries], query_vectors, real_cost=False)
        searcher = Searcher.open(root / "index", encoder=stand_in)  # type: ignore[arg-type]
        product = DEFAULT_VECTORS.candidate_factor
        for factor in args.factors:
            tuned = VectorSettings(candidate_factor=factor)
            samples, recall = [], []
            for row, truth in zip(query_vectors, exact):
                started = time.perf_counter()
                hits = searcher.view.vector_search(row.reshape(1, -1), DEFAULT_SEARCH.min_depth, None, tuned)
                samples.append((time.perf_counter() - started) * 1000)
                recall.append(len(set(hits.ids[:10].tolist()) & set(truth.tolist())) / 10)
            emit("candidates", {"passages": args.size, "vectors": len(vectors), "queries": len(query_vectors),
                                "candidate_factor": factor, "product_factor": product,
                                "vector_search_ms": percentiles(samples),
                                "recall@10": round(float(np.mean(recall)), 4)})
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
