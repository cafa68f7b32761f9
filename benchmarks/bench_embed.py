"""Embedding-path build throughput and query-encoding latency with a random-weight model of e5-small's shape.

Run: .venv/bin/python benchmarks/bench_embed.py [--items 300]
multilingual-e5-small is a 12-layer BERT (hidden 384, 12 heads, FFN 1536, 250,037-token vocabulary, 512
positions). A random-weight model of that architecture costs the same to run, so it measures the embedding path
without the real weights (which this machine cannot download). Its tokenizer is the tests' CJK-character
WordPiece vocabulary (the real one is SentencePiece; tokenising is a small share of the cost).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, emit, percentiles, write_news

sys.path.insert(0, str(ROOT / "tests"))
from tiny_model import vocabulary  # noqa: E402

from indexer.build import build_index  # noqa: E402
from indexer.embed import load_encoder  # noqa: E402
from indexer.layout import IndexLayout  # noqa: E402


def e5_small_shaped_model(out: Path) -> Path:
    """Save a random-weight SentenceTransformer with multilingual-e5-small's architecture."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    hf = out.parent / "hf"
    hf.mkdir(parents=True)
    (hf / "vocab.txt").write_text("\n".join(vocabulary()) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast.from_pretrained(str(hf))
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=250_037, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
                         intermediate_size=1536, max_position_embeddings=512)).save_pretrained(hf)
    tokenizer.save_pretrained(hf)
    SentenceTransformer(modules=[Transformer(str(hf), max_seq_length=512), Pooling(384, "mean"), Normalize()],
                        device="cpu").save(str(out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=300, help="CCTV news items to index")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wenku-embed-"))
    try:
        model_dir = e5_small_shaped_model(root / "model")
        corpus = root / "corpus"
        write_news(corpus, args.items)
        encoder = load_encoder(str(model_dir))  # loaded once, outside both timings
        encoder.encode_passages(["预热一下模型。" * 20] * 64)  # warm-up, so neither timing pays first-call costs
        started = time.perf_counter()
        report = build_index(corpus, root / "index", str(model_dir), encoder=encoder, log=lambda _: None)
        pipeline_s = time.perf_counter() - started
        assert report.manifest is not None
        passages = report.manifest.counts.passages
        segment = IndexLayout(root / "index").segment_dir(report.manifest.segments[0].id)
        import sqlite3
        with sqlite3.connect(segment / "store.sqlite") as db:
            texts = [t for (t,) in db.execute("SELECT text FROM passages ORDER BY num")]
        started = time.perf_counter()
        encoder.encode_passages(texts)
        bare_s = time.perf_counter() - started
        queries = [t[:30] for t in texts[:100]]
        encode_ms = []
        for q in queries:
            t0 = time.perf_counter()
            encoder.encode_query(q)
            encode_ms.append((time.perf_counter() - t0) * 1000)
        emit("embedding_path", {
            "model": "random-weight multilingual-e5-small architecture (12x384, vocab 250037)",
            "articles": report.manifest.counts.articles, "passages": passages,
            "mean_passage_chars": round(float(np.mean([len(t) for t in texts])), 1),
            "pipeline_build_s": round(pipeline_s, 1), "pipeline_passages_per_s": round(passages / pipeline_s, 1),
            "bare_encode_s": round(bare_s, 1), "bare_passages_per_s": round(passages / bare_s, 1),
            "pipeline_overhead_pct": round(100 * (pipeline_s - bare_s) / bare_s, 1),
            "query_encode_ms": percentiles(encode_ms),
        })
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
