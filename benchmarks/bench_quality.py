"""Keyword retrieval quality on CMRC 2018 (trial) mixed with CCTV news distractors, against two classical baselines.

Run: .venv/bin/python benchmarks/bench_quality.py [--workdir DIR] [--model NAME_OR_PATH] [--news N]
Corpus: every CMRC trial paragraph as an article (`cmrc-<id>.txt`) plus every CCTV news item as an article; qrels:
each CMRC question's relevant unit is its paragraph. Baselines use the same passages, the same BM25 (Lucene IDF,
k1 1.2, b 0.75) and the same harness; only the tokenisation differs: single Han characters (txtai's tokenizer)
and overlapping Han bigrams (Elasticsearch's `cjk` analyzer). With --model, hybrid and semantic are measured too.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from common import SHARED, emit, write_news
from devsets import write_cmrc

from indexer.index.keyword import KeywordIndex, bm25_scores, top_k
from indexer.requests import SearchRequest
from indexer.search.evaluate import Retrieved, evaluate, load_qrels
from indexer.search.searcher import Searcher
from indexer.update.build import build_index

CMRC = SHARED / "cmrc2018" / "cmrc2018_trial.json"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]|[A-Za-z0-9]+")


def unigrams(text: str) -> list[str]:
    """Single Han characters plus lowercased ASCII words."""
    return [t.lower() for t in _WORD.findall(text)]


def bigrams(text: str) -> list[str]:
    """Overlapping bigrams over runs of Han characters (a lone character stays a unigram), ASCII words whole."""
    out: list[str] = []
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[A-Za-z0-9]+", text):
        if not _HAN.match(run):
            out.append(run.lower())
        elif len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def write_corpus(folder: Path, news: int | None = None) -> int:
    """CMRC paragraphs and (up to `news`) CCTV news items as article files; returns how many were written."""
    return write_cmrc(folder) + write_news(folder, news)


def baseline(searcher: Searcher, tokenize: Callable[[str], list[str]]) -> Callable[[str], list[Retrieved]]:
    """A BM25 run over the index's own passages with another tokenisation."""
    n = searcher.view.n_docs
    texts = searcher.view.texts(list(range(n)))
    records = searcher.view.passages(list(range(n)))
    article_of = [records[i].article_id for i in range(n)]
    index = KeywordIndex.build(tokenize(texts[i]) for i in range(n))

    def run(q: str) -> list[Retrieved]:
        ranking, _ = top_k(bm25_scores([(index, 0)], n, tokenize(q)), 10, searcher.view.live.copy())
        return [Retrieved(article_of[i], texts[i]) for i in ranking.ids.tolist()]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wenku-quality"))
    parser.add_argument("--model", help="a sentence-transformers model to measure hybrid and semantic as well")
    parser.add_argument("--news", type=int, help="how many CCTV news items to mix in as distractors (default: all)")
    args = parser.parse_args()
    corpus, index = args.workdir / "corpus", args.workdir / "index"
    if not corpus.is_dir():
        print(f"wrote {write_corpus(corpus, args.news)} articles to {corpus}", flush=True)
    started = time.perf_counter()
    build_index(corpus, index, args.model, keyword_only=args.model is None, rebuild=True, log=lambda _: None)
    build_s = time.perf_counter() - started
    searcher = Searcher.open(index, args.model)
    qrels = load_qrels(CMRC)
    results: dict[str, dict] = {}
    for mode in searcher.modes:
        results[f"wenku {mode}"] = evaluate(qrels, lambda q, mode=mode: [
            Retrieved(h.article_id, h.text) for h in searcher.search(SearchRequest.parse(q=q, mode=mode)).results])
    results["BM25 Han unigrams (txtai-style)"] = evaluate(qrels, baseline(searcher, unigrams))
    results["BM25 Han bigrams (ES cjk)"] = evaluate(qrels, baseline(searcher, bigrams))
    passages = int(np.count_nonzero(searcher.view.live))
    emit("quality_cmrc", {"news_distractors": args.news, "passages": passages,
                          "articles": searcher.manifest.counts.articles,
                          "failed_files": len(searcher.manifest.failed), "build_s": round(build_s, 1),
                          "build_passages_per_s": round(passages / build_s),
                          "model": args.model, "results": results})


if __name__ == "__main__":
    main()
