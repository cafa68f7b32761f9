"""Query latency per mode at several index sizes — search alone and end to end with the real query encoder —,
semantic recall against exact search, and the memory of a server after real use.

Run: .venv-bench/bin/python benchmarks/bench_query.py [--sizes 10000 100000 1000000] [--vectors real|random]
Passages are real CCTV paragraphs (cycled past the data set). Each passage has the vectors the product gives it:
its whole text and, when it is longer than a window (60 characters), one per window of whole sentences, so a
passage has 1 to n vectors like in a real index (3.4 a passage on the dev corpus). Vectors, 384-d like the
default model's:
- real (default): all-MiniLM-L6-v2 embeddings of the paragraphs and of the dev-set questions used as queries
  (real_vectors.py); past the 133k real ones, jittered copies (cosine ~0.9 to their source). Window vectors are
  jittered copies of their passage's vector.
- random: random unit vectors for everything, the worst case for approximate search (no structure).
End to end: each semantic or hybrid query is also encoded by the bundled model (its real cost, one query at a
time, never from the cache: every timed query is distinct), then searched with the stand-in vector of the same
question. Queries: the 1,236 distinct dev-set questions (CMRC 2018 and CCTV) and, for common words, 1,200
distinct queries made of the corpus's 60 most frequent terms (alone and in pairs); none is used to warm up.
Memory: `wenku serve` (2 workers) on the index, after 600 requests mixing keyword, semantic and hybrid queries,
per worker (private and shared) and for the whole server (master + both workers, shared pages counted once).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import re
import shutil
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import quote, urlparse

import numpy as np
from common import (
    ROOT,
    RandomEncoder,
    analyse,
    bundled_floor,
    cctv_paragraphs,
    emit,
    percentiles,
    random_unit_vectors,
    synthetic_index,
    timed,
)

from indexer.embed.encoders import DEFAULT_MODEL, Encoder, load_encoder
from indexer.ingest.chunk import ChunkerSettings, split_windows
from indexer.requests import SearchRequest
from indexer.search.searcher import Searcher
from indexer.settings import DEFAULT_SEARCH, DEFAULT_VECTORS, VectorSettings

# The product asks HNSW for ~1.5 x depth x vectors-per-passage vectors with efSearch that many times this factor
# (VectorSettings.ef_factor), so the sweep varies the factor.
EF_FACTOR_SWEEP = (1.0, 1.5, 2.0, 3.0)
WINDOW_JITTER = 0.6  # cosine of a window's stand-in to its passage's vector ~0.85


class StandIn(RandomEncoder):
    """The bundled model's identity and, when `real_cost`, its real encoding cost; vectors from a lookup table."""

    def __init__(self, engine: Encoder, queries: Sequence[str], vectors: np.ndarray, real_cost: bool) -> None:
        super().__init__(vectors.shape[1])
        self.info = engine.info
        self.engine = engine
        self.real_cost = real_cost
        self.table = dict(zip(queries, vectors))

    def encode_query(self, text: str) -> np.ndarray:
        if self.real_cost:
            self.engine.encode([text], "query")  # the model's work, uncached, as for a question never seen
        found = self.table.get(text)
        return super().encode_query(text) if found is None else found.reshape(1, -1)


def jittered(source: np.ndarray, scale: float, seed: int) -> np.ndarray:
    """Unit vectors near `source` rows (Gaussian noise of the given overall scale, renormalised)."""
    rng = np.random.default_rng(seed)
    out = source + rng.standard_normal(source.shape, dtype=np.float32) * np.float32(scale / np.sqrt(source.shape[1]))
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def with_windows(passage_vectors: np.ndarray, paragraphs: Sequence[str], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Each passage's vector, then one stand-in per window of its text when it has more than one; and the owners."""
    counts = np.array([len(split_windows(p, window)) for p in paragraphs])
    extra = np.where(counts > 1, counts, 0)[np.arange(len(passage_vectors)) % len(paragraphs)]
    owners = np.repeat(np.arange(len(passage_vectors), dtype=np.int32), 1 + extra)
    first = np.concatenate([[0], np.cumsum(1 + extra)[:-1]])
    vectors = np.empty((len(owners), passage_vectors.shape[1]), np.float32)
    vectors[first] = passage_vectors
    windows = np.ones(len(owners), bool)
    windows[first] = False
    rows = np.flatnonzero(windows)
    for begin in range(0, len(rows), 200_000):  # in blocks: at 1M passages the windows alone are 3.6 GB
        block = rows[begin:begin + 200_000]
        vectors[block] = jittered(passage_vectors[owners[block]], WINDOW_JITTER, seed=begin)
    return vectors, owners


def exact_top10(vectors: np.ndarray, owners: np.ndarray, queries: np.ndarray, block: int = 8) -> np.ndarray:
    """Each query's 10 best passages by the product's passage score, by brute force (blocks bound memory)."""
    starts = np.searchsorted(owners, np.arange(owners[-1] + 1))
    out = []
    for begin in range(0, len(queries), block):
        similarity = vectors @ queries[begin:begin + block].T
        scores = (similarity[starts] + np.maximum.reduceat(similarity, starts, axis=0)) / 2
        top = np.argpartition(-scores, 9, axis=0)[:10].T
        out.extend(row[np.argsort(-scores[row, i])] for i, row in enumerate(top))
    return np.vstack(out)


def common_word_queries(unique: Sequence[list[str]], count: int, terms: int = 60) -> list[str]:
    """`count` distinct queries of the corpus's most frequent terms: each alone, then pairs of them."""
    frequency = Counter(t for doc in unique for t in set(doc) if len(t) >= 2)
    top = [t for t, _ in frequency.most_common(terms)]
    pairs = (f"{a} {b}" for a, b in itertools.combinations(top, 2))
    return list(itertools.islice(itertools.chain(top, pairs), count))


def server_memory(index: Path, questions: Sequence[str], requests: int = 600) -> dict[str, object]:
    """`wenku serve` with 2 workers on the index: memory after `requests` mixed queries from 4 client threads."""
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from bench_http import worker_memory
    from conftest import running_server

    modes = ("keyword", "semantic", "hybrid")
    failures: list[str] = []
    with running_server(index, workers=2, threads=4) as base:
        def client(start: int) -> None:
            for i in range(start, requests, 4):
                q = questions[i % len(questions)]
                try:
                    with urllib.request.urlopen(f"{base}/api/search?q={quote(q)}&mode={modes[i % 3]}",
                                                timeout=120) as response:
                        json.loads(response.read())
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    failures.append(repr(exc))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        port = urlparse(base).port or 0
        workers = worker_memory(port)
        master = master_memory(port)
    whole = master["rss_mib"] + sum(w["private_mib"] for w in workers) + max(w["shared_mib"] for w in workers)
    return {"requests": requests, "failed": len(failures), "workers": workers, "master": master,
            "server_mib": round(whole, 1)}


def master_memory(port: int) -> dict[str, float]:
    """Resident MiB of the gunicorn master serving on `port`."""
    master = next(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and
                  f"--port\0{port}\0" in (p / "cmdline").read_bytes().decode(errors="replace"))
    kib = int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{master}/status").read_text()).group(1))  # type: ignore
    return {"rss_mib": round(kib / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--vectors", choices=["real", "random"], default="real")
    args = parser.parse_args()
    from real_vectors import load, questions, structured_vectors

    texts = questions()
    if args.vectors == "real":
        real, query_vectors = load()
        paragraphs = cctv_paragraphs(len(real))
    else:
        query_vectors = random_unit_vectors(len(texts), seed=99)
        paragraphs = cctv_paragraphs(133_150)
    unique = analyse(paragraphs)
    common = common_word_queries(unique, 1200)
    warmup = [p[:12] for p in paragraphs[-30:]]  # never timed
    engine = load_encoder(DEFAULT_MODEL)
    floor = bundled_floor(engine)
    window = ChunkerSettings().window_chars
    for size in args.sizes:
        root = Path(tempfile.mkdtemp(prefix=f"wenku-query-{size}-"))
        try:
            passage_vectors = structured_vectors(size) if args.vectors == "real" else random_unit_vectors(size)
            vectors, owners = with_windows(passage_vectors, paragraphs, window)
            del passage_vectors
            started = time.perf_counter()
            synthetic_index(root / "index", size, paragraphs, unique, vectors, owners=owners, model=engine.info,
                            floor=floor)
            built = time.perf_counter() - started
            exact = exact_top10(vectors, owners, query_vectors)
            vector_count = len(vectors)
            del vectors, owners
            gc.collect()
            search_only = StandIn(engine, texts, query_vectors, real_cost=False)
            end_to_end = StandIn(engine, texts, query_vectors, real_cost=True)
            searchers = {name: Searcher.open(root / "index", encoder=enc)  # type: ignore[arg-type]
                         for name, enc in (("search", search_only), ("end_to_end", end_to_end))}

            def run(mode: str, which: str = "search",
                    searchers: dict[str, Searcher] = searchers) -> Callable[[str], object]:
                searcher = searchers[which]
                return lambda q: searcher.search(SearchRequest.parse(q=q, mode=mode), with_facets=True)

            for question in warmup:
                for mode in ("keyword", "semantic", "hybrid"):
                    run(mode)(question)
                    run(mode, "end_to_end")(question)
            figures: dict[str, object] = {
                "keyword_ms": percentiles(timed(run("keyword"), texts)),
                "keyword_common_words_ms": percentiles(timed(run("keyword"), common)),
                "semantic_search_ms": percentiles(timed(run("semantic"), texts)),
                "semantic_end_to_end_ms": percentiles(timed(run("semantic", "end_to_end"), texts)),
                "hybrid_search_ms": percentiles(timed(run("hybrid"), texts)),
                "hybrid_end_to_end_ms": percentiles(timed(run("hybrid", "end_to_end"), texts)),
            }
            searcher = searchers["search"]
            sweep = {}
            product_factor = DEFAULT_VECTORS.ef_factor
            kind = searcher.view.segments[0].info.vector_index
            for factor in (EF_FACTOR_SWEEP if kind and kind.startswith("hnsw") else (product_factor,)):
                tuned = VectorSettings(ef_factor=factor)
                samples, recall, recall_text = [], [], []
                for row, truth in zip(query_vectors, exact):
                    started = time.perf_counter()
                    hits = searcher.view.vector_search(row.reshape(1, -1), DEFAULT_SEARCH.min_depth, None, tuned)
                    samples.append((time.perf_counter() - started) * 1000)
                    recall.append(len(set(hits.ids[:10].tolist()) & set(truth.tolist())) / 10)
                    # The news data repeats paragraphs word for word (and past 133k the passages cycle): an exact
                    # top 10 of copies is matched as well by other copies of the same text, which recall by id
                    # counts as misses. Recall by text counts a distinct text of the exact top 10 found if any
                    # copy of it is in the approximate top 10.
                    wanted_texts = {paragraphs[int(i) % len(paragraphs)] for i in truth}
                    got_texts = {paragraphs[int(i) % len(paragraphs)] for i in hits.ids[:10]}
                    recall_text.append(len(wanted_texts & got_texts) / len(wanted_texts))
                sweep[f"efSearch x{factor}" if kind != "flat-ip" else "exact"] = {
                    "ms": percentiles(samples), "recall@10": round(float(np.mean(recall)), 4),
                    "recall@10_by_text": round(float(np.mean(recall_text)), 4)}
            del searchers, searcher
            gc.collect()
            emit("query_latency", {
                "passages": size, "vectors": vector_count, "stand_in": args.vectors, "faiss_index": kind,
                "product_ef_factor": product_factor, "base_index_write_s": round(built, 1),
                "timed_questions": len(texts), "timed_common_word_queries": len(common), **figures,
                "vector_search_depth_100": sweep, "server_memory": server_memory(root / "index", texts),
            })
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
