"""Builds a tiny random-weight sentence-transformers model with a CJK character vocabulary (no download)."""

from __future__ import annotations

from pathlib import Path

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
CJK_PUNCTUATION = "，。、：；！？“”‘’（）《》【】「」…—·％"


def vocabulary() -> list[str]:
    """WordPiece vocab: specials, ASCII (whole and ## pieces), CJK punctuation, the basic CJK block."""
    ascii_chars = [chr(c) for c in range(33, 127)]
    pieces = [f"##{c}" for c in ascii_chars if c.isalnum()]
    cjk = [chr(c) for c in range(0x4E00, 0x9FA6)]
    return SPECIALS + ascii_chars + pieces + list(CJK_PUNCTUATION) + cjk


def build_tiny_model(out: Path, seed: int = 0, max_seq_length: int = 64, hidden: int = 32) -> Path:
    """Write a SentenceTransformer (BERT → mean pooling → normalise) to out/ and return out."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    hf_dir = out.parent / f"{out.name}-hf"
    hf_dir.mkdir(parents=True, exist_ok=True)
    vocab = vocabulary()
    (hf_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # from_pretrained(dir) reads vocab.txt; BertTokenizerFast(vocab_file=...) would silently ignore it.
    tokenizer = BertTokenizerFast.from_pretrained(str(hf_dir))
    assert tokenizer.vocab_size == len(vocab), "tokenizer did not load the CJK vocabulary"
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=2 * hidden, max_position_embeddings=max(128, max_seq_length))
    BertModel(config).save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
    transformer = Transformer(str(hf_dir), max_seq_length=max_seq_length)
    SentenceTransformer(modules=[transformer, Pooling(hidden, "mean"), Normalize()], device="cpu").save(str(out))
    return out
