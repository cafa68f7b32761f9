"""Syndicated copies (通稿): near-duplicate passages found by MinHash, grouped across the whole index.

Signatures come from datasketch's MinHash (its permutations and hashing) and are stored with each segment.
Grouping is LSH banding done here in numpy over the stored signatures, rather than datasketch's MinHashLSH:
that keeps a Python dict per band (slow to fill at a million passages) and persists only by pickling.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .analyzer import fold

NUM_PERM = 64
BANDS, ROWS = 16, 4  # a pair sharing any band is a candidate: likely from an estimated Jaccard of about 0.5 up
assert ROWS == 4  # _band_keys reads a band's four uint32 as two uint64
SHINGLE = 4  # characters per shingle
MIN_CHARS = 20  # shorter passages (greetings, datelines, 谢谢大家) are alike by nature, not syndicated
THRESHOLD = 0.75  # estimated Jaccard a candidate pair needs to count as copies
NUMBERS, SHORT_TEXT = NUM_PERM, NUM_PERM + 1
COLUMNS = NUM_PERM + 2  # the signature, a hash of the passage's numbers, and of a short passage's whole text
MIN_SHORT_CHARS = 6
SETTINGS = f"minhash-affine32-{NUM_PERM}x{SHINGLE}-j{THRESHOLD}-numbers-short{MIN_SHORT_CHARS}"
_NOT_WORD = re.compile(r"[\W_]+")
_NUMBERS = re.compile(r"[\d〇零一二两三四五六七八九十百千万亿]+")
_EMPTY = np.iinfo(np.uint32).max  # the signature of a passage too short to compare: never matches


def no_signatures(count: int) -> np.ndarray:
    """Signatures that match nothing (for passages stored before copies were detected)."""
    return np.full((count, COLUMNS), _EMPTY, np.uint32)


def signatures(texts: Sequence[str]) -> np.ndarray:
    """One MinHash signature per text (rows of uint32) from character shingles of the folded text, and a hash
    of its numbers last: templated news (the same press-conference notice on another day, the same epidemic
    bulletin with new counts) is textually near-identical, but a reprint keeps its dates and figures."""
    from datasketch import MinHash  # imported here: a server's master process never needs it (40 MB with scipy)

    rows = no_signatures(len(texts))
    template = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32")
    for row, text in enumerate(texts):
        clean = _NOT_WORD.sub("", fold(text))
        if len(clean) < MIN_CHARS:
            if len(clean) >= MIN_SHORT_CHARS:
                rows[row, SHORT_TEXT] = zlib.crc32(clean.encode())
            continue
        minhash = MinHash(num_perm=NUM_PERM, seed=1, permutations=template.permutations, scheme=template.scheme)
        minhash.update_batch([clean[i:i + SHINGLE].encode() for i in range(len(clean) - SHINGLE + 1)])
        rows[row, :NUM_PERM] = minhash.hashvalues.astype(np.uint32)
        rows[row, NUMBERS] = zlib.crc32(" ".join(_NUMBERS.findall(clean)).encode())
    return rows


def _band_keys(sigs: np.ndarray, members: np.ndarray, band: int) -> np.ndarray:
    """One band's ROWS values of each member mixed into a uint64 (sorting these is several times faster than
    sorting the raw rows as bytes)."""
    pairs = np.ascontiguousarray(sigs[members, band * ROWS:(band + 1) * ROWS]).view(np.uint64)  # 2 per row
    return pairs[:, 0] ^ (pairs[:, 1] * np.uint64(0x9E3779B97F4A7C15))  # mixing wraps modulo 2**64


def _same_key_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions with equal keys, as (first of its bucket, other member) pairs: every bucket linked as a star."""
    if len(keys) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(keys)
    ordered = keys[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first = order[np.flatnonzero(starts)[np.cumsum(starts) - 1]]
    linked = first != order
    return first[linked], order[linked]


def _candidate_pairs(sigs: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (as positions in `members`) that share a band."""
    pairs = []
    with np.errstate(over="ignore"):
        for band in range(BANDS):
            pairs.append(_same_key_pairs(_band_keys(sigs, members, band)))
    return np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])


def _short_edges(sigs: np.ndarray, live: np.ndarray, articles: np.ndarray, left: np.ndarray,
                 right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Short passages with the same text in articles linked by copied long passages (`left`, `right`): a
    reprint's short lines (会上，负责人代表发言。) are copies too, the same short line in unrelated articles is not.

    Linear in the short passages: they are keyed by (text, the component of copy-linked articles they are in).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_articles = int(articles.max()) + 1 if len(articles) else 0
    links = coo_matrix((np.ones(len(left), np.int8), (articles[left], articles[right])),
                       shape=(n_articles, n_articles))
    _, component = connected_components(links, directed=False)
    linked = np.zeros(n_articles, bool)
    linked[articles[left]] = linked[articles[right]] = True
    short = np.flatnonzero(live & linked[articles] & (sigs[:, 0] == _EMPTY) & (sigs[:, SHORT_TEXT] != _EMPTY))
    keys = (sigs[short, SHORT_TEXT].astype(np.uint64) << np.uint64(32)) | component[articles[short]].astype(np.uint64)
    first, other = _same_key_pairs(keys)
    return short[first], short[other]


@dataclass(frozen=True)
class CopyGroups:
    """Which passages are copies of each other: a group number per passage (-1 alone) and each group's members."""

    group: np.ndarray
    indptr: np.ndarray
    members: np.ndarray  # group g's passages are members[indptr[g]:indptr[g + 1]], earliest article first

    @classmethod
    def none(cls, n_docs: int) -> CopyGroups:
        """No passage has copies."""
        return cls(np.full(n_docs, -1, np.int32), np.zeros(1, np.int64), np.zeros(0, np.int64))

    @classmethod
    def find(cls, sigs: np.ndarray, live: np.ndarray, dates: np.ndarray, articles: np.ndarray) -> CopyGroups:
        """Group live passages whose signatures agree on at least THRESHOLD of their rows and whose numbers match;
        then short passages with the same text in articles already found to be copies of each other."""
        n_docs = len(live)
        long = np.flatnonzero(live & (sigs[:, 0] != _EMPTY))
        left, right = _candidate_pairs(sigs, long) if len(long) > 1 else (np.zeros(0, np.int64),) * 2
        a, b = sigs[long[left]], sigs[long[right]]
        agree = ((a[:, :NUM_PERM] == b[:, :NUM_PERM]).mean(axis=1) >= THRESHOLD) & (a[:, NUMBERS] == b[:, NUMBERS])
        long_left, long_right = long[left[agree]], long[right[agree]]
        if not len(long_left):
            return cls.none(n_docs)
        short_left, short_right = _short_edges(sigs, live, articles, long_left, long_right)
        sources, targets = np.concatenate([long_left, short_left]), np.concatenate([long_right, short_right])
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        graph = coo_matrix((np.ones(len(sources), np.int8), (sources, targets)), shape=(n_docs, n_docs))
        _, labels = connected_components(graph, directed=False)
        numbers = np.unique(np.concatenate([sources, targets]))
        _, labels = np.unique(labels[numbers], return_inverse=True)
        group = np.full(n_docs, -1, np.int32)
        group[numbers] = labels
        # Earliest article first; undated passages last; then by passage number (older segments first).
        when = np.where(dates[numbers] > 0, dates[numbers], np.iinfo(np.int32).max)
        order = np.lexsort((numbers, when, labels))
        indptr = np.zeros(int(labels.max()) + 2, np.int64)
        np.cumsum(np.bincount(labels, minlength=len(indptr) - 1), out=indptr[1:])
        return cls(group, indptr, numbers[order])

    def of(self, num: int) -> np.ndarray:
        """Every passage in num's group, earliest first (just num when it has no copies)."""
        g = int(self.group[num])
        return np.array([num]) if g < 0 else self.members[self.indptr[g]:self.indptr[g + 1]]

    def collapse(self, ids: np.ndarray) -> np.ndarray:
        """Positions in `ids` to keep: the first of each group, and every passage without copies."""
        groups = self.group[ids]
        alone = groups < 0
        _, first = np.unique(groups[~alone], return_index=True)
        keep = np.flatnonzero(alone)
        return np.sort(np.concatenate([keep, np.flatnonzero(~alone)[first]]))

    def distinct(self, pool: np.ndarray) -> int:
        """How many passages of a pool mask remain once copies are counted once (a pass over grouped passages
        only: a few percent of an archive)."""
        total = int(np.count_nonzero(pool))
        if not len(self.members):
            return total
        in_pool = np.add.reduceat(pool[self.members].astype(np.int64), self.indptr[:-1])
        return total - int(np.maximum(in_pool - 1, 0).sum())
