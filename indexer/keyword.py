"""BM25 inverted index over analysed terms, stored as plain numpy arrays and a JSON vocabulary.

Hand-written rather than SQLite FTS5 or bm25s: FTS5's IDF clamps terms found in over half the
passages to ~0 (fatal for a one-article archive) and Python cannot plug jieba into it; bm25s bakes
IDF into per-segment scores, which breaks once the index grows by segments.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import IndexCorrupt

K1 = 1.2
B = 0.75
VOCAB_FILE = "keyword-vocab.json"
POSTINGS_FILE = "keyword-postings.npz"


@dataclass(frozen=True)
class KeywordHits:
    """Ranked passage numbers with BM25 scores, how many passages matched, and the mask of those."""

    ids: np.ndarray
    scores: np.ndarray
    total: int
    matched: np.ndarray


def idf(doc_freq: np.ndarray, n_docs: int) -> np.ndarray:
    """Lucene's BM25 IDF: always positive, so a term in most passages still counts a little."""
    return np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5)).astype(np.float32)


class KeywordIndex:
    """Postings in CSR form: for term t, docs[indptr[t]:indptr[t+1]] with their term frequencies."""

    def __init__(self, vocab: list[str], indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray,
                 doc_len: np.ndarray) -> None:
        self.vocab = vocab
        self.term_ids = {term: i for i, term in enumerate(vocab)}
        self.indptr, self.docs, self.tfs, self.doc_len = indptr, docs, tfs, doc_len
        self.n_docs = int(doc_len.shape[0])
        avg = float(doc_len.mean()) if self.n_docs else 1.0
        # The length-normalised TF part depends only on the index, so it is computed once here.
        norm = K1 * (1 - B + B * doc_len[docs] / max(avg, 1e-9))
        self.weights = (tfs * (K1 + 1) / (tfs + norm)).astype(np.float32)
        self.idf = idf(np.diff(indptr), self.n_docs)

    @classmethod
    def build(cls, term_lists: Iterable[Sequence[str]]) -> KeywordIndex:
        """Index passages given as lists of terms; passage numbers are list positions."""
        term_ids: dict[str, int] = {}
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        lengths: list[int] = []
        for doc, terms in enumerate(term_lists):
            tf = Counter(term_ids.setdefault(term, len(term_ids)) for term in terms)
            lengths.append(len(terms))
            rows.append(np.fromiter(tf.keys(), np.int64, len(tf)))
            counts.append(np.fromiter(tf.values(), np.int32, len(tf)))
            cols.append(np.full(len(tf), doc, np.int32))
        term = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        doc = np.concatenate(cols) if cols else np.zeros(0, np.int32)
        tfs = np.concatenate(counts) if counts else np.zeros(0, np.int32)
        order = np.lexsort((doc, term))
        indptr = np.zeros(len(term_ids) + 1, np.int64)
        np.cumsum(np.bincount(term, minlength=len(term_ids)), out=indptr[1:])
        vocab = sorted(term_ids, key=term_ids.__getitem__)
        return cls(vocab, indptr, doc[order], tfs[order], np.asarray(lengths, np.int32))

    def save(self, directory: Path) -> None:
        """Write the vocabulary as JSON and the arrays as an uncompressed npz (no pickle)."""
        (directory / VOCAB_FILE).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        np.savez(directory / POSTINGS_FILE, indptr=self.indptr, docs=self.docs, tfs=self.tfs, doc_len=self.doc_len)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        """Read an index written by save, checking its arrays agree."""
        try:
            vocab = json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8"))
            with np.load(directory / POSTINGS_FILE, allow_pickle=False) as arrays:
                indptr, docs, tfs, doc_len = (arrays[k] for k in ("indptr", "docs", "tfs", "doc_len"))
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorrupt(f"keyword index unreadable: {exc}") from exc
        if len(indptr) != len(vocab) + 1 or indptr[-1] != len(docs) or len(docs) != len(tfs):
            raise IndexCorrupt("keyword index arrays disagree with its vocabulary")
        return cls(vocab, indptr, docs, tfs, doc_len)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for the query terms (query term frequency counts)."""
        acc = np.zeros(self.n_docs, np.float32)
        for term, qtf in Counter(terms).items():
            term_id = self.term_ids.get(term)
            if term_id is None:
                continue
            begin, end = self.indptr[term_id], self.indptr[term_id + 1]
            acc[self.docs[begin:end]] += (self.idf[term_id] * qtf) * self.weights[begin:end]
        return acc

    def search(self, terms: Sequence[str], depth: int, allowed: np.ndarray | None = None) -> KeywordHits:
        """Top `depth` passages by BM25, restricted to the `allowed` mask when given."""
        acc = self.scores(terms)
        if allowed is not None:
            acc[~allowed] = 0.0
        mask = acc > 0
        matched = np.flatnonzero(mask)
        total = len(matched)
        if total > depth:
            matched = matched[np.argpartition(-acc[matched], depth - 1)[:depth]]
        # Ties broken by passage number so results are deterministic.
        order = np.lexsort((matched, -acc[matched]))
        ranked = matched[order]
        return KeywordHits(ranked, acc[ranked], total, mask)
