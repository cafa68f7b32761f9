"""Side by side with txtai on the same passages, the same vectors and the same k: build, latency, keyword quality.

Run: .venv-bench/bin/python benchmarks/bench_txtai.py [--workdir DIR] [--queries 500]   (make bench-setup first)
Corpus and qrels are bench_quality.py's (CMRC 2018 trial + CCTV news, ~113k passages). txtai indexes wenku's own
passages (same text, same ids), so chunking is not compared; both get identical vectors from one deterministic
random-vector stand-in (the same for a text wherever it is encoded), so embedding cost is equal and left out, and
semantic quality is not compared (random vectors carry none). txtai runs with its defaults otherwise: Unicode word
segmentation (single Han characters), BM25, FAISS IVF with its own nprobe, content stored in SQLite.
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from bench_quality import CMRC, write_corpus
from common import RandomEncoder, emit, percentiles, timed
from txtai import Embeddings

from indexer.build import build_index
from indexer.evaluate import Retrieved, evaluate, load_qrels
from indexer.schema import SearchRequest
from indexer.searcher import Searcher

K = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wenku-txtai"))
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    corpus, index = args.workdir / "corpus", args.workdir / "index"
    if not corpus.is_dir():
        write_corpus(corpus)
    shutil.rmtree(index, ignore_errors=True)
    encoder = RandomEncoder()
    started = time.perf_counter()
    build_index(corpus, index, encoder=encoder, rebuild=True, log=lambda _: None)  # type: ignore[arg-type]
    wenku_build = time.perf_counter() - started
    searcher = Searcher.open(index, encoder=encoder)  # type: ignore[arg-type]
    n = searcher.view.n_docs
    records = searcher.view.passages(list(range(n)))
    rows = [(i, records[i].text, None) for i in range(n)]
    article_of = [records[i].article_id for i in range(n)]

    def transform(texts: Sequence[str]) -> np.ndarray:
        return encoder.encode_passages(list(texts))

    built: dict[str, float] = {}
    engines: dict[str, Embeddings] = {}
    for name, config in (("hybrid", {"method": "external", "transform": transform, "content": True, "hybrid": True}),
                         ("keyword", {"keyword": True, "content": True})):
        started = time.perf_counter()
        engines[name] = Embeddings(**config)
        engines[name].index(rows)
        built[name] = time.perf_counter() - started

    qrels = load_qrels(CMRC)
    questions = [q.q for q in qrels][:args.queries]

    def txtai_run(mode: str) -> Callable[[str], list[Retrieved]]:
        def run(q: str) -> list[Retrieved]:
            return [Retrieved(article_of[int(h["id"])], h["text"]) for h in engines[mode].search(q, K)]
        return run

    def wenku_run(mode: str) -> Callable[[str], list[Retrieved]]:
        def run(q: str) -> list[Retrieved]:
            found = searcher.search(SearchRequest.parse(q=q, mode=mode, k=K))
            return [Retrieved(h.article_id, h.text) for h in found.results]
        return run

    latency = {f"{system} {mode}": percentiles(timed(run(mode), questions, warmup=20))
               for system, run in (("wenku", wenku_run), ("txtai", txtai_run)) for mode in ("keyword", "hybrid")}
    quality = {"wenku keyword": evaluate(qrels, wenku_run("keyword")),
               "txtai keyword": evaluate(qrels, txtai_run("keyword"))}
    ratios = {f"{mode} p50 (txtai / wenku)": round(latency[f"txtai {mode}"]["p50"] / latency[f"wenku {mode}"]["p50"],
                                                   2) for mode in ("keyword", "hybrid")}
    ratios["build (txtai hybrid / wenku)"] = round(built["hybrid"] / wenku_build, 2)
    ratios["keyword MRR@10 (wenku / txtai)"] = round(quality["wenku keyword"]["mrr@10"]
                                                     / quality["txtai keyword"]["mrr@10"], 3)
    emit("txtai_side_by_side", {
        "passages": n, "queries": len(questions), "k": K,
        "build_s": {"wenku (from files: decode, chunk, jieba, SQLite, FAISS HNSW)": round(wenku_build, 1),
                    "txtai hybrid (from wenku's passages: BM25, FAISS IVF, SQLite)": round(built["hybrid"], 1),
                    "txtai keyword (BM25 + SQLite content)": round(built["keyword"], 1)},
        "faiss": {"wenku": sorted({s.info.vector_index for s in searcher.view.segments}),
                  "txtai": engines["hybrid"].config["build"]["settings"]["components"]},
        "latency_ms_excluding_encoding": latency, "keyword_quality": quality, "ratios": ratios,
    })


if __name__ == "__main__":
    main()
