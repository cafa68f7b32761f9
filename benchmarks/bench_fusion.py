"""Retrieval quality of every mode on the dev sets, the fusion methods compared, the semantic floor and passage
context measured: what the ranking defaults were chosen by.

Run: .venv/bin/python benchmarks/bench_fusion.py [--workdir /tmp/wenku-dev] [--context both|none|keyword|semantic]
                                                 [--windows 0|60|120] [--grid] [--floors 90 95 97.5 99]
The dev corpus and sets are described in devsets.py. The index is built with the default (bundled) model; vectors
are cached in the index directory, so re-running with another --context re-embeds only what changed. Every figure
goes through the product's own Searcher.search and indexer/search/evaluate.py.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from bench_quality import baseline, bigrams
from common import emit
from devsets import CORPUS_OF, dev_sets, write_corpus

from indexer.embed.cache import EmbeddingCache
from indexer.embed.floor import FloorScorer, calibrate
from indexer.ingest.context import ContextSettings
from indexer.requests import SearchRequest
from indexer.search.evaluate import Qrel, Retrieved, evaluate
from indexer.search.fusion import Fusion
from indexer.search.searcher import Searcher
from indexer.update.build import build_index

OFF_TOPIC = Path(__file__).parent / "devsets" / "off-topic.txt"
CONTEXTS = {"both": (True, True), "none": (False, False), "keyword": (True, False), "semantic": (False, True)}
GRID = ([Fusion("rrf", r, k) for k in (10, 60) for r in (0.3, 0.5, 0.7)]
        + [Fusion(m, r) for m in ("minmax", "zscore") for r in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)])


def runner(searcher: Searcher, mode: str, fusion: Fusion | None = None) -> Callable[[str], list[Retrieved]]:
    """A query → top-10 function through the product's search."""
    def run(q: str) -> list[Retrieved]:
        request = SearchRequest.parse(q=q, mode=mode, k=10,
                                      semantic_ratio=fusion.semantic_ratio if fusion and mode == "hybrid" else None)
        response = searcher.search(request, fusion=fusion, with_facets=False)
        return [Retrieved(h.article_id, h.text) for h in response.results]
    return run


def floor_scorers(searcher: Searcher, index: Path, percentiles: list[float]) -> dict[float, FloorScorer]:
    """The semantic floor calibrated at each percentile (embeddings from the index's cache)."""
    encoder = searcher.encoder
    assert encoder is not None
    info = encoder.info
    passages = EmbeddingCache(index / "cache", info.fingerprint, info.passage_prompt, info.dimension)
    queries = EmbeddingCache(index / "cache", info.fingerprint, info.query_prompt, info.dimension)
    scorers = {}
    for p in percentiles:
        floor, background = calibrate(lambda t: queries.embed(t, lambda q: [encoder.encode(q, "query")]),
                                      lambda t: passages.embed(t, encoder.passage_blocks), p)
        scorers[p] = FloorScorer(floor, background)
    return scorers


def open_index(workdir: Path, kind: str, context: ContextSettings, windows: int | None) -> tuple[Searcher, Path]:
    """The `dev` or `seed` corpus indexed with these context settings (vectors from the cache where it has them)."""
    corpus, index = workdir / "corpus" if kind == "dev" else workdir / "seed-corpus", workdir / f"{kind}-index"
    if kind == "dev" and not index.exists() and (workdir / "index").is_dir():
        (workdir / "index").rename(index)  # the first runs kept the dev index here
    if not corpus.is_dir():
        print(f"wrote {write_corpus(kind, corpus)} articles to {corpus}", flush=True)
    started = time.perf_counter()
    report = build_index(corpus, index, log=lambda line: print(line, flush=True), context=context,
                         window_chars=windows)
    print(f"{kind} index ready in {time.perf_counter() - started:.0f} s (embedded {report.embedded})", flush=True)
    return Searcher.open(index), index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wenku-dev"))
    parser.add_argument("--context", choices=list(CONTEXTS), default="keyword")
    parser.add_argument("--sets", nargs="*", help="dev sets to run (default: all)")
    parser.add_argument("--grid", action="store_true", help="compare fusion methods and weights")
    parser.add_argument("--floors", nargs="*", type=float, default=[], help="floor percentiles to compare")
    parser.add_argument("--windows", type=int, help="embedding window in characters (0: whole passages only)")
    args = parser.parse_args()
    keyword, semantic = CONTEXTS[args.context]
    sets = dev_sets(args.sets)
    searchers = {kind: open_index(args.workdir, kind, ContextSettings(keyword=keyword, semantic=semantic),
                                  args.windows) for kind in sorted({CORPUS_OF[name] for name in sets})}
    for name, qrels in sets.items():
        searcher, index = searchers[CORPUS_OF[name]]
        results: dict[str, dict[str, float]] = {}
        results["keyword"] = evaluate(qrels, runner(searcher, "keyword"))
        results["semantic"] = evaluate(qrels, runner(searcher, "semantic"))
        results[f"hybrid {searcher.fusion}"] = evaluate(qrels, runner(searcher, "hybrid"))
        results["BM25 Han bigrams"] = evaluate(qrels, baseline(searcher, bigrams))
        if args.grid:
            for fusion in GRID:
                results[f"hybrid {fusion}"] = evaluate(qrels, runner(searcher, "hybrid", fusion))
        emit("fusion", {"devset": name, "queries": len(qrels), "context": args.context,
                        "window_chars": searcher.manifest.chunker.window_chars,
                        "vectors": sum(s.vectors.count for s in searcher.view.segments if s.vectors),
                        "passages": searcher.manifest.counts.passages, "model": searcher.manifest.model.name,
                        "results": results})
        print_table(name, qrels, results)
        if args.floors:
            floors = floor_report(searcher, index, qrels, args.floors)
            emit("semantic_floor", {"devset": name, "queries": len(qrels), "context": args.context,
                                    "passages": searcher.manifest.counts.passages, "floors": floors})
            print_floors(name, floors)


def floor_report(searcher: Searcher, index: Path, qrels: list[Qrel],
                 percentiles: list[float]) -> dict[str, dict[str, float]]:
    """Per floor: semantic recall@10 and @100 (what the floor costs) and how many results off-topic queries get."""
    off_topic = [q for q in OFF_TOPIC.read_text(encoding="utf-8").splitlines() if q.strip()]
    default = searcher.floor
    scorers: dict[str, FloorScorer | None] = {"none": None}
    scorers |= {f"p{p:g}": s for p, s in floor_scorers(searcher, index, percentiles).items()}
    report: dict[str, dict[str, float]] = {}
    try:
        for label, scorer in scorers.items():
            searcher.floor = scorer
            deep = evaluate(qrels, lambda q: [Retrieved(h.article_id, h.text) for h in searcher.search(
                SearchRequest.parse(q=q, mode="semantic", k=100), with_facets=False).results], cutoffs=(10, 100))
            totals = [searcher.search(SearchRequest.parse(q=q, mode="semantic", k=10), with_facets=False).total
                      for q in off_topic]
            report[label] = {"z": scorer.floor.z if scorer else 0.0, "recall@10": deep["recall@10"],
                             "recall@100": deep["recall@100"], "off_topic_mean_results": sum(totals) / len(totals),
                             "off_topic_empty": sum(t == 0 for t in totals) / len(totals)}
    finally:
        searcher.floor = default
    return report


def print_floors(name: str, floors: dict[str, dict[str, float]]) -> None:
    """A markdown table of the floor comparison on one dev set."""
    print(f"\n#### semantic floor on {name}\n\n| floor | z | R@10 | R@100 | off-topic results (mean) | off-topic "
          "empty |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, f in floors.items():
        print(f"| {label} | {f['z']:.2f} | {f['recall@10']:.3f} | {f['recall@100']:.3f} | "
              f"{f['off_topic_mean_results']:.1f} | {f['off_topic_empty']:.2f} |")
    print(flush=True)


def print_table(name: str, qrels: list[Qrel], results: dict[str, dict[str, float]]) -> None:
    """A markdown table of one dev set's figures."""
    print(f"\n### {name} ({len(qrels)} queries)\n")
    print("| run | R@1 | R@10 | MRR@10 | nDCG@10 |\n| --- | ---: | ---: | ---: | ---: |")
    for run, m in results.items():
        print(f"| {run} | {m['recall@1']:.3f} | {m['recall@10']:.3f} | {m['mrr@10']:.3f} | {m['ndcg@10']:.3f} |")
    print(flush=True)


if __name__ == "__main__":
    main()
