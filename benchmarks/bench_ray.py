"""Embedding throughput in process and on a local Ray cluster, and the driver's own rate (where adding actors stops
paying).

Run: .venv/bin/python benchmarks/bench_ray.py [--items 120] [--actors 2]
Each build indexes the same CCTV news items into a fresh index (no cached vectors) with the bundled model:
in process (the engine on every core), then through Ray Data with `--actors` single-threaded actors on a local
cluster (started before timing; the actors' start and model load are inside the time). The single-thread rate is
the engine on one thread (a fresh process) over the same texts: a pool's ceiling is that rate times the actors. The
driver's rate is a rebuild whose vectors all come from the embedding cache: reading, chunking, analysing and writing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, write_news

from indexer.embed.encoders import DEFAULT_MODEL
from indexer.embed.encoders.ray_pool import connect
from indexer.ingest.chunk import chunk_article
from indexer.ingest.context import embedding_inputs
from indexer.ingest.reader import read_corpus
from indexer.search.searcher import Searcher
from indexer.settings import RaySettings, WriterSettings
from indexer.update.build import build_index


def quiet(_: str) -> None:
    """Drop log lines."""


def timed_build(corpus: Path, index: Path, settings: WriterSettings, rebuild: bool = False) -> dict[str, float]:
    """One build's seconds, texts embedded and passages, as rates."""
    started = time.perf_counter()
    report = build_index(corpus, index, log=quiet, settings=settings, rebuild=rebuild)
    seconds = time.perf_counter() - started
    assert report.manifest is not None
    passages = report.manifest.counts.passages
    return {"seconds": round(seconds, 1), "texts_embedded": report.embedded, "passages": passages,
            "texts_per_s": round(report.embedded / seconds, 2), "passages_per_s": round(passages / seconds, 2)}


def single_thread_rate(texts: list[str], root: Path) -> float:
    """Texts per second of the engine on one thread, in a fresh process (OpenMP reads its thread count once)."""
    source = root / "texts.json"
    source.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    script = ("import json, sys, time\n"
              "from indexer.encoders import DEFAULT_MODEL, load_encoder\n"
              "texts = json.load(open(sys.argv[1], encoding='utf-8'))\n"
              "encoder = load_encoder(DEFAULT_MODEL, threads=1)\n"
              "started = time.perf_counter()\n"
              "encoder.encode_passages(texts)\n"
              "print(len(texts) / (time.perf_counter() - started))\n")
    done = subprocess.run([sys.executable, "-c", script, str(source)], capture_output=True, text=True, check=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=120)
    parser.add_argument("--actors", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wenku-ray-"))
    try:
        corpus = root / "corpus"
        write_news(corpus, args.items)
        in_process = timed_build(corpus, root / "local", WriterSettings())
        print("in process", in_process, flush=True)
        # The texts the build embedded, for the engine alone on one thread.
        searcher = Searcher.open(root / "local", load_model=False)
        articles, _ = read_corpus(corpus)
        titles = {a.id: a.title for a in articles}
        passages = [p for a in articles for p in chunk_article(a, searcher.manifest.chunker)]
        texts, _ = embedding_inputs(titles, passages, searcher.manifest.context, searcher.manifest.chunker.window_chars)
        one_thread = single_thread_rate(texts, root)
        print(f"one thread: {one_thread:.2f} texts/s over {len(texts)} texts", flush=True)
        started = time.perf_counter()
        connect(None)
        cluster_start = time.perf_counter() - started
        pool = WriterSettings(ray=RaySettings(actors=args.actors, threads=1))
        on_ray = timed_build(corpus, root / "ray", pool)
        print("ray", on_ray, flush=True)
        driver = timed_build(corpus, root / "local", WriterSettings(), rebuild=True)
        print("driver (all vectors cached)", driver, flush=True)
        assert driver["texts_embedded"] == 0
        emit("ray_embedding", {
            "items": args.items, "texts": len(texts), "model": DEFAULT_MODEL, "in_process": in_process,
            "one_thread_texts_per_s": round(one_thread, 2), "ray_actors": args.actors,
            "ray_cluster_start_s": round(cluster_start, 1), "ray": on_ray,
            "ray_ceiling_texts_per_s": round(one_thread * args.actors, 2),
            "driver_only": {k: driver[k] for k in ("seconds", "passages", "passages_per_s")}})
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
