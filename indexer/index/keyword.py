"""BM25 over analysed terms: per-segment postings as numpy arrays, scored with index-wide statistics.

Hand-written rather than SQLite FTS5 or bm25s: FTS5's IDF clamps terms found in over half the
passages to ~0 (fatal for a one-article archive) and Python cannot plug jieba into it; bm25s bakes
IDF into per-segment scores, which breaks once the index grows by segments.
"""

from __future__ import annotations

import json
import struct
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..errors import IndexCorrupt
from ..formats import POSTINGS_FILE, VOCAB_FILE
from ..settings import DEFAULT_KEYWORD, KeywordSettings
from .ranking import Ranking

K1 = 1.2
B = 0.75
# Cached length-normalised weights are reused while the index-wide average length moves less than this.
AVGDL_TOLERANCE = 0.02


def mapped_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an uncompressed .npz (what np.savez writes), memory-mapped where they lie in the file.

    np.load reads every member into each process (the postings are 330 MB at 1M passages, per server worker);
    mapped, the pages live in the page cache and every worker shares them, like the vectors. Segments never change,
    so a mapping never goes stale.
    """
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as handle:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"{info.filename} is compressed")
            handle.seek(info.header_offset)
            local = handle.read(30)
            if local[:4] != b"PK\x03\x04":
                raise ValueError(f"{info.filename}: no local file header")
            name_length, extra_length = struct.unpack("<HH", local[26:30])
            handle.seek(info.header_offset + 30 + name_length + extra_length)
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            if dtype.hasobject:
                raise ValueError(f"{info.filename} holds objects")
            name = info.filename.removesuffix(".npy")
            if int(np.prod(shape)) == 0:
                arrays[name] = np.zeros(shape, dtype)
                continue
            mapped = np.memmap(path, dtype=dtype, mode="r", offset=handle.tell(), shape=shape,
                               order="F" if fortran else "C")
            arrays[name] = mapped.view(np.ndarray)
    return arrays


def idf(doc_freq: np.ndarray | int, n_docs: int) -> np.ndarray:
    """Lucene's BM25 IDF: always positive, so a term in most passages still counts a little."""
    return np.log1p((n_docs - np.asarray(doc_freq) + 0.5) / (np.asarray(doc_freq) + 0.5)).astype(np.float32)


class KeywordIndex:
    """One segment's postings in CSR form: term t's passages are docs[indptr[t]:indptr[t+1]], with tfs."""

    def __init__(self, vocab: list[str], indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray,
                 doc_len: np.ndarray) -> None:
        self.vocab = vocab
        self.term_ids = {term: i for i, term in enumerate(vocab)}
        self.indptr, self.docs, self.tfs, self.doc_len = indptr, docs, tfs, doc_len
        self.n_docs = int(doc_len.shape[0])
        self.total_len = int(doc_len.sum())
        self._weights: tuple[float, np.ndarray] | None = None

    @classmethod
    def build(cls, term_lists: Iterable[Sequence[str]]) -> KeywordIndex:
        """Index passages given as lists of terms; passage numbers are list positions."""
        term_ids: dict[str, int] = {}
        rows: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        lengths: list[int] = []
        for doc, terms in enumerate(term_lists):
            tf = Counter(term_ids.setdefault(term, len(term_ids)) for term in terms)
            lengths.append(len(terms))
            rows.append(np.fromiter(tf.keys(), np.int64, len(tf)))
            counts.append(np.fromiter(tf.values(), np.int32, len(tf)))
            cols.append(np.full(len(tf), doc, np.int32))
        vocab = sorted(term_ids, key=term_ids.__getitem__)
        return cls.from_triples(vocab, concat(rows, np.int64), concat(cols, np.int32), concat(counts, np.int32),
                                np.asarray(lengths, np.int32))

    @classmethod
    def from_triples(cls, vocab: list[str], terms: np.ndarray, docs: np.ndarray, tfs: np.ndarray,
                     doc_len: np.ndarray) -> KeywordIndex:
        """Index from parallel (term id, passage, tf) arrays in any order."""
        order = np.lexsort((docs, terms))
        indptr = np.zeros(len(vocab) + 1, np.int64)
        np.cumsum(np.bincount(terms, minlength=len(vocab)), out=indptr[1:])
        return cls(vocab, indptr, docs[order].astype(np.int32), tfs[order].astype(np.int32), doc_len)

    @classmethod
    def merged(cls, parts: Sequence[tuple[KeywordIndex, np.ndarray]]) -> KeywordIndex:
        """One postings index from the kept passages of several, renumbering terms and passages."""
        vocab: dict[str, int] = {}
        terms_out, docs_out, tfs_out, lengths = [], [], [], []
        offset = 0
        for index, keep in parts:
            remap_terms = np.array([vocab.setdefault(t, len(vocab)) for t in index.vocab], np.int64)
            new_number = np.full(index.n_docs, -1, np.int64)
            new_number[keep] = np.arange(len(keep)) + offset
            terms, docs, tfs = index.triples()
            alive = new_number[docs] >= 0
            terms_out.append(remap_terms[terms[alive]])
            docs_out.append(new_number[docs[alive]])
            tfs_out.append(tfs[alive])
            lengths.append(index.doc_len[keep])
            offset += len(keep)
        ordered = sorted(vocab, key=vocab.__getitem__)
        # Keep only terms that still occur, so deleted passages leave nothing behind in the vocabulary.
        used, terms = np.unique(concat(terms_out, np.int64), return_inverse=True)
        return cls.from_triples([ordered[i] for i in used], terms.astype(np.int64), concat(docs_out, np.int64),
                                concat(tfs_out, np.int32), concat(lengths, np.int32))

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The postings as parallel (term id, passage, tf) arrays (for merging segments)."""
        terms = np.repeat(np.arange(len(self.vocab), dtype=np.int64), np.diff(self.indptr))
        return terms, self.docs, self.tfs

    def save(self, directory: Path) -> None:
        """Write the vocabulary as JSON and the arrays as an uncompressed npz (no pickle)."""
        (directory / VOCAB_FILE).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        np.savez(directory / POSTINGS_FILE, indptr=self.indptr, docs=self.docs, tfs=self.tfs, doc_len=self.doc_len)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        """Read an index written by save, its arrays memory-mapped (see mapped_npz), checking they agree."""
        try:
            vocab = json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8"))
            arrays = mapped_npz(directory / POSTINGS_FILE)
            indptr, docs, tfs, doc_len = (arrays[k] for k in ("indptr", "docs", "tfs", "doc_len"))
        except (OSError, ValueError, KeyError, EOFError, struct.error, zipfile.BadZipFile) as exc:
            raise IndexCorrupt(f"keyword index unreadable: {str(exc).splitlines()[0]}") from exc
        if len(indptr) != len(vocab) + 1 or indptr[-1] != len(docs) or len(docs) != len(tfs):
            raise IndexCorrupt("keyword index arrays disagree with its vocabulary")
        return cls(vocab, indptr, docs, tfs, doc_len)

    def doc_freq(self, term: str) -> int:
        """How many passages of this segment contain the term."""
        term_id = self.term_ids.get(term)
        return 0 if term_id is None else int(self.indptr[term_id + 1] - self.indptr[term_id])

    def weights(self, avgdl: float) -> np.ndarray:
        """BM25's length-normalised TF part of every posting, for the index-wide average length."""
        cached = self._weights
        if cached is None or abs(cached[0] - avgdl) > AVGDL_TOLERANCE * cached[0]:
            norm = K1 * (1 - B + B * self.doc_len[self.docs] / max(avgdl, 1e-9))
            cached = (avgdl, (self.tfs * (K1 + 1) / (self.tfs + norm)).astype(np.float32))
            self._weights = cached
        return cached[1]

    def accumulate(self, acc: np.ndarray, offset: int, term_weights: dict[str, float], avgdl: float) -> None:
        """Add this segment's BM25 contributions to acc[offset:offset + n_docs]."""
        weights = self.weights(avgdl)
        for term, weight in term_weights.items():
            term_id = self.term_ids.get(term)
            if term_id is not None:
                begin, end = self.indptr[term_id], self.indptr[term_id + 1]
                acc[offset + self.docs[begin:end]] += weight * weights[begin:end]


def bm25_scores(segments: Sequence[tuple[KeywordIndex, int]], n_docs: int, terms: Sequence[str]) -> np.ndarray:
    """BM25 of every passage across segments (given with their offsets), query term frequency counted."""
    acc = np.zeros(n_docs, np.float32)
    if not segments or not terms:
        return acc
    total_len = sum(index.total_len for index, _ in segments)
    avgdl = total_len / max(n_docs, 1)
    term_weights = {}
    for term, qtf in Counter(terms).items():
        df = sum(index.doc_freq(term) for index, _ in segments)
        if df:
            term_weights[term] = float(idf(df, n_docs)) * qtf
    for index, offset in segments:
        index.accumulate(acc, offset, term_weights, avgdl)
    return acc


def top_k(acc: np.ndarray, depth: int, allowed: np.ndarray | None = None,
          settings: KeywordSettings = DEFAULT_KEYWORD) -> tuple[Ranking, np.ndarray]:
    """The `depth` best-scoring passages among those with a positive score (and allowed), and the mask of every
    such passage; acc may be modified."""
    if allowed is not None:
        acc[~allowed] = 0.0
    matched = acc > 0
    total = int(np.count_nonzero(matched))
    if total > settings.sparse_max:
        candidates = _candidates(acc, depth, total, settings.sample_stride)
    else:
        candidates = np.flatnonzero(matched)
    if len(candidates) > depth:
        # Everything tied with the depth-th score stays, so ties are broken by passage number, not by chance.
        kth = np.partition(acc[candidates], len(candidates) - depth)[len(candidates) - depth]
        candidates = candidates[acc[candidates] >= kth]
    ranked = candidates[np.lexsort((candidates, -acc[candidates]))][:depth]
    return Ranking(ranked, acc[ranked]), matched


def _candidates(acc: np.ndarray, depth: int, total: int, stride: int) -> np.ndarray:
    """Passages scoring at least a threshold that a strided sample predicts leaves ~2·depth of them.

    Listing every match costs several milliseconds when a common word matches most of 1M passages.
    The result holds the true top `depth` whenever it holds at least `depth` passages (checked, else all).
    """
    sample = acc[::stride]
    wanted = min(len(sample), 2 * depth // stride + 1)
    threshold = np.partition(sample, len(sample) - wanted)[len(sample) - wanted]
    if threshold > 0:
        candidates = np.flatnonzero(acc >= threshold)
        if len(candidates) >= min(depth, total):
            return candidates
    return np.flatnonzero(acc)


def concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """The parts joined as one array of dtype (empty when there are none)."""
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
