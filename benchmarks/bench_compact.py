"""Compact vectors on real vectors of the default model: recall@10 against exact float32 scores, latency, size.

Run: .venv/bin/python benchmarks/bench_compact.py [--workdir /tmp/wenku-dev]
The dev index of bench_fusion.py (10,164 passages of news and Wikipedia, ~29k window vectors of the bundled
multilingual-e5-small; built, or its vectors read from its cache) is searched with every distinct dev question,
encoded by the same model. Each storage is an HNSW graph over all the vectors (the threshold forced down), searched
through the product's VectorIndex at the product's depth; exact is the same passage scoring over float32 vectors.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_fusion import open_index
from common import emit, percentiles
from real_vectors import questions

from indexer.index.vectors import VectorIndex, build_vector_index
from indexer.ingest.context import ContextSettings
from indexer.settings import DEFAULT_SEARCH, VectorSettings

STORAGES = {"float32": VectorSettings(exact_max=0),
            "fp16": VectorSettings(exact_max=0, compact_above=0, compact="fp16"),
            "sq8": VectorSettings(exact_max=0, compact_above=0, compact="sq8")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wenku-dev"))
    args = parser.parse_args()
    searcher, _ = open_index(args.workdir, "dev", ContextSettings(keyword=True, semantic=False), None)
    assert searcher.encoder is not None and len(searcher.view.segments) == 1
    source = searcher.view.segments[0].vectors
    assert source is not None
    vectors, owners = source.rows(), source.owners
    asked = questions()
    started = time.perf_counter()
    queries = searcher.encoder.encode(asked, "query")
    print(f"encoded {len(asked)} questions in {time.perf_counter() - started:.0f} s", flush=True)
    depth = DEFAULT_SEARCH.min_depth
    exact = [np.argsort(-source.scores(np.arange(source.passages), q), kind="stable")[:10] for q in queries]
    for name, settings in STORAGES.items():
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            VectorIndex(build_vector_index(vectors, settings), owners, source.passages).save(Path(folder))
            built = time.perf_counter() - started
            size = (Path(folder) / "vectors.faiss").stat().st_size
            index = VectorIndex.load(Path(folder), source.passages)
            samples, recall = [], []
            for query, truth in zip(queries, exact):
                begin = time.perf_counter()
                hits = index.search(query.reshape(1, -1), depth, None, settings)
                samples.append((time.perf_counter() - begin) * 1000)
                recall.append(len(set(hits.ids[:10].tolist()) & set(truth.tolist())) / 10)
            emit("compact_vectors", {
                "storage": name, "kind": index.kind, "passages": source.passages, "vectors": index.count,
                "model": searcher.manifest.model.name if searcher.manifest.model else None,
                "queries": len(queries), "depth": depth, "recall@10": round(float(np.mean(recall)), 4),
                "search_ms": percentiles(samples), "file_bytes": size,
                "bytes_per_vector": round(size / index.count, 1), "build_s": round(built, 1)})


if __name__ == "__main__":
    main()
