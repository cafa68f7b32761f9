"""Side by side with txtai, like for like: the same article files, the same model's vectors, the same questions.

Run: .venv-bench/bin/python benchmarks/bench_txtai.py [--workdir /tmp/wenku-txtai]   (make bench-setup first)
Corpus: the dev corpus (devsets.py: seed, CMRC 2018 paragraphs, 2,009 CCTV news items). Questions: the cmrc, cctv
and cctv-para dev sets (1,256 questions), so hybrid quality is measured for both systems.
- Build, from the article files for both: wenku's `build_index`; for txtai, reading and chunking the files with
  wenku's chunker (txtai has no speaker-aware chunker; it gets the same passages), then `Embeddings.index`.
  Embedding is left out of both: both take the bundled model's passage vectors from the same embedding cache
  (filled beforehand), so the figure is each system's own indexing cost.
- Vectors: the bundled model for both. txtai indexes each passage's whole-text vector (its transform has no
  windows); wenku indexes whole texts and windows, as it does by default. Queries are encoded by the same bundled
  encoder for both, inside the timed call.
- Vector search at comparable recall: txtai on an exact FAISS index (`Flat`, recall 1 by construction); wenku with
  its own choice for the size (HNSW above 10k vectors), its recall@10 against its own exact scoring reported.
- Hybrid: wenku's default (min-max, semantic ratio 0.7); txtai's default (weights 0.5) and at 0.7 dense.
Every ranked list of both systems is written to benchmarks/results/txtai-runs/<system>-<mode>.jsonl, so each
figure can be traced to the run; the summary goes to benchmarks/results/txtai_side_by_side.jsonl.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from common import ROOT, emit, percentiles
from devsets import dev_sets, write_dev_corpus
from txtai import Embeddings

from indexer.embed.cache import EmbeddingCache
from indexer.embed.encoders import DEFAULT_MODEL, load_encoder
from indexer.index.layout import IndexLayout
from indexer.index.manifest import Manifest
from indexer.ingest.chunk import chunk_article
from indexer.ingest.reader import read_corpus
from indexer.requests import SearchRequest
from indexer.search.evaluate import Qrel, Retrieved, evaluate
from indexer.search.searcher import Searcher
from indexer.settings import DEFAULT_SEARCH
from indexer.update.build import build_index

K = 10
RUNS = ROOT / "benchmarks" / "results" / "txtai-runs"


def timed_run(run: Callable[[str], list[Retrieved]], questions: Sequence[str]) -> tuple[list[float], dict]:
    """Latencies (ms) of `run` over the questions, and every ranked list it returned."""
    samples, ranked = [], {}
    for q in questions:
        started = time.perf_counter()
        ranked[q] = run(q)
        samples.append((time.perf_counter() - started) * 1000)
    return samples, ranked


def save_runs(name: str, ranked: dict[str, list[Retrieved]]) -> None:
    """One system's ranked lists as JSONL: question, then (article id, passage text start) per rank."""
    RUNS.mkdir(parents=True, exist_ok=True)
    with open(RUNS / f"{name}.jsonl", "w", encoding="utf-8") as handle:
        for q, hits in ranked.items():
            handle.write(json.dumps({"q": q, "ranked": [[h.article_id, h.text[:40]] for h in hits]},
                                    ensure_ascii=False) + "\n")


def quality(qrels: dict[str, list[Qrel]], ranked: dict[str, list[Retrieved]]) -> dict[str, dict[str, float]]:
    """Each dev set's metrics from already ranked lists."""
    return {name: evaluate(set_qrels, lambda q: ranked[q]) for name, set_qrels in qrels.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wenku-txtai"))
    args = parser.parse_args()
    corpus, index = args.workdir / "corpus", args.workdir / "index"
    if not corpus.is_dir():
        write_dev_corpus(corpus)
    encoder = load_encoder(DEFAULT_MODEL)
    # Fill the embedding cache first (a build that is thrown away), so both timed builds only read vectors.
    build_index(corpus, index, encoder=encoder, log=lambda _: None)
    shutil.rmtree(index / "generations")
    shutil.rmtree(index / "segments")
    (index / "CURRENT").unlink()
    started = time.perf_counter()
    build_index(corpus, index, encoder=encoder, log=lambda _: None)
    wenku_build = time.perf_counter() - started
    searcher = Searcher.open(index, encoder=encoder)
    cache = EmbeddingCache(index / "cache", encoder.info.fingerprint, encoder.info.passage_prompt,
                           encoder.info.dimension)

    started = time.perf_counter()
    manifest = Manifest.read(IndexLayout(index).current_dir())
    articles, _ = read_corpus(corpus)
    passages = [p for a in articles for p in chunk_article(a, manifest.chunker)]
    texts = [p.text for p in passages]
    vectors = cache.embed(texts, lambda _: (_ for _ in ()).throw(AssertionError("cache miss")))
    table = dict(zip(texts, vectors))

    def transform(inputs: Sequence[str]) -> np.ndarray:
        # txtai calls one transform for passages and queries alike: passages come from the cache, anything else
        # is a query, encoded with the query prompt (e5 is asymmetric).
        return np.vstack([table[t] if t in table else encoder.encode([t], "query")[0] for t in inputs])

    txtai = Embeddings(method="external", transform=transform, content=True, hybrid=True, backend="faiss",
                       faiss={"components": "IDMap,Flat"})  # exact; IDMap for txtai's ids
    txtai.index([(i, t, None) for i, t in enumerate(texts)])
    txtai_build = time.perf_counter() - started
    article_of = [p.article_id for p in passages]

    qrels = dev_sets(["cmrc", "cctv", "cctv-para"])
    questions = list(dict.fromkeys(q.q for set_qrels in qrels.values() for q in set_qrels))
    warmup = [t[:12] for t in texts[-20:]]

    def wenku(mode: str) -> Callable[[str], list[Retrieved]]:
        def run(q: str) -> list[Retrieved]:
            found = searcher.search(SearchRequest.parse(q=q, mode=mode, k=K))
            return [Retrieved(h.article_id, h.text) for h in found.results]
        return run

    def txtai_run(weights: float | None) -> Callable[[str], list[Retrieved]]:
        def run(q: str) -> list[Retrieved]:
            hits = txtai.search(q, K) if weights is None else txtai.search(q, K, weights=weights)
            return [Retrieved(article_of[int(h["id"])], h["text"]) for h in hits]
        return run

    systems = {"wenku-keyword": wenku("keyword"), "wenku-hybrid": wenku("hybrid"),
               "txtai-hybrid-default": txtai_run(None), "txtai-hybrid-0.7-dense": txtai_run(0.7)}
    latency, figures = {}, {}
    for name, run in systems.items():
        for q in warmup:
            run(q)
        encoder.clear_query_cache()
        samples, ranked = timed_run(run, questions)
        save_runs(name, ranked)
        latency[name] = percentiles(samples)
        figures[name] = quality(qrels, ranked)

    # wenku's vector search recall@10 against its own exact scoring of every passage.
    recall = []
    segment = searcher.view.segments[0]
    assert segment.vectors is not None
    for q in questions[:300]:
        query = encoder.encode_query(q)
        hits = searcher.view.vector_search(query, DEFAULT_SEARCH.min_depth, None)
        exact = np.argsort(-segment.vectors.scores(np.arange(segment.size), query))[:10]
        recall.append(len(set(hits.ids[:10].tolist()) & set(exact.tolist())) / 10)
    emit("txtai_side_by_side", {
        "passages": len(passages), "questions": len(questions), "k": K, "model": DEFAULT_MODEL,
        "build_s_embedding_excluded": {"wenku (files: decode, chunk, jieba, SQLite, FAISS)": round(wenku_build, 1),
                                       "txtai (files: decode, wenku's chunker; BM25, FAISS Flat, SQLite)":
                                           round(txtai_build, 1)},
        "vector_index": {"wenku": sorted({s.info.vector_index or "" for s in searcher.view.segments}),
                         "wenku_vectors": sum(s.vectors.count for s in searcher.view.segments if s.vectors),
                         "wenku_recall@10_vs_exact": round(float(np.mean(recall)), 4),
                         "txtai": "Flat (exact)", "txtai_vectors": len(texts)},
        "latency_ms_with_query_encoding": latency, "quality": figures,
    })


if __name__ == "__main__":
    main()
