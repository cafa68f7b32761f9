"""One generation's segments seen as a single index: global passage numbers, deletions masked out."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..analysis.copies import CopyGroups, no_signatures
from ..errors import IndexCorrupt
from ..settings import DEFAULT_VECTORS, VectorSettings
from .keyword import bm25_scores
from .layout import IndexLayout
from .manifest import Manifest, Tombstones
from .ranking import Ranking
from .segment import FILTERS, Segment
from .store import PassageRecord


class IndexView:
    """Segments laid end to end: passage number n lives in the segment whose offset range holds it."""

    def __init__(self, manifest: Manifest, segments: Sequence[Segment], tombstones: Sequence[Tombstones]) -> None:
        self.manifest = manifest
        self.segments = list(segments)
        sizes = [segment.size for segment in self.segments]
        self.offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]) if sizes else np.zeros(1, np.int64)
        self.n_docs = int(self.offsets[-1])
        self.live = np.ones(self.n_docs, bool)
        self.dead_articles: list[set[str]] = []
        for offset, dead in zip(self.offsets, tombstones):
            self.live[offset + np.asarray(dead.passages, np.int64)] = False
            self.dead_articles.append(set(dead.articles))
        self.all_live = bool(self.live.all())
        # Filter columns as global category codes, so a filter or facet is one vectorised pass.
        self.filters: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in FILTERS:
            parts = [segment.filters[name] for segment in self.segments]
            labels: np.ndarray = (np.unique(np.concatenate([p[0] for p in parts])) if parts
                                  else np.array([], dtype=object))
            per_segment = [np.searchsorted(labels, p[0]).astype(np.int32)[p[1]] for p in parts]
            self.filters[name] = (labels, np.concatenate(per_segment) if per_segment else np.zeros(0, np.int32))
        self.dates = (np.concatenate([segment.dates for segment in self.segments]) if self.segments
                      else np.zeros(0, np.int32))
        self._copies: CopyGroups | None = None
        self._cache: dict[tuple[str, ...], tuple[np.ndarray, tuple[int, ...]]] = {}
        self._copies_lock = threading.Lock()
        self._formats: dict[str, int] | None = None
        # Passages that have a label, with its code: facets count only these (news has few speakers).
        self.labelled: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, (known, codes) in self.filters.items():
            numbers = np.flatnonzero(codes != 0) if len(known) and known[0] == "" else np.arange(len(codes))
            self.labelled[name] = (numbers, codes[numbers])

    @classmethod
    def open(cls, layout: IndexLayout, manifest: Manifest, previous: IndexView | None = None) -> IndexView:
        """Load the manifest's segments, reusing those `previous` already holds (segments never change)."""
        loaded = {segment.id: segment for segment in (previous.segments if previous else [])}
        segments: list[Segment] = []
        tombstones: list[Tombstones] = []
        for ref in manifest.segments:
            segment = loaded.get(ref.id) or Segment(layout.segment_dir(ref.id), ref.files)
            if segment.size != ref.passages:
                raise IndexCorrupt(f"segment {ref.id} holds {segment.size} passages, the manifest says {ref.passages}")
            segments.append(segment)
            tombstones.append(Tombstones.read(layout.tombstones_file(ref.tombstones), ref.tombstones_sha256))
        return cls(manifest, segments, tombstones)

    def joint_codes(self, names: tuple[str, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
        """One code per passage for several filters at once (and the number of labels of each), so facets that
        label most passages (year, source) are counted in one pass over a large result pool, not one each."""
        key = ("joint", *names)
        found = self._cache.get(key)
        if found is None:
            sizes = tuple(len(self.filters[name][0]) for name in names)
            joint = np.zeros(self.n_docs, np.int64)
            for name, size in zip(names, sizes):
                joint = joint * size + self.filters[name][1]
            # The narrowest type that holds every code: less memory to walk on each count.
            narrow = np.min_scalar_type(max(int(np.prod(sizes)) - 1, 0))
            found = self._cache[key] = (joint.astype(narrow), sizes)
        return found

    def copies(self) -> CopyGroups:
        """Groups of syndicated copies among live passages, found on first use (segments without signatures: none)."""
        if self._copies is None:
            with self._copies_lock:
                if self._copies is None:
                    parts = [segment.signatures for segment in self.segments]
                    if any(p is not None for p in parts):
                        signatures = np.concatenate([p if p is not None else no_signatures(segment.size)
                                                     for p, segment in zip(parts, self.segments)])
                        self._copies = CopyGroups.find(signatures, self.live, self.dates, self.filters["article"][1])
                    else:
                        self._copies = CopyGroups.none(self.n_docs)
        return self._copies

    @property
    def has_vectors(self) -> bool:
        """True when every segment carries vectors (and there is at least one)."""
        return bool(self.segments) and all(segment.vectors is not None for segment in self.segments)

    def _groups(self, nums: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
        """Segment index → [(global, local)] for passage numbers."""
        found = np.searchsorted(self.offsets, np.asarray(nums, np.int64), side="right") - 1
        groups: dict[int, list[tuple[int, int]]] = {}
        for num, index in zip(nums, found.tolist()):
            groups.setdefault(index, []).append((int(num), int(num) - int(self.offsets[index])))
        return groups

    def passages(self, nums: Sequence[int]) -> dict[int, PassageRecord]:
        """Passages by global number."""
        records: dict[int, PassageRecord] = {}
        for index, pairs in self._groups(nums).items():
            local = self.segments[index].store.passages([lo for _, lo in pairs])
            records.update((g, dataclasses.replace(local[lo], num=g)) for g, lo in pairs)
        return records

    def texts(self, nums: Sequence[int]) -> dict[int, str]:
        """Passage texts by global number."""
        texts: dict[int, str] = {}
        for index, pairs in self._groups(nums).items():
            local = self.segments[index].store.texts([lo for _, lo in pairs])
            texts.update((g, local[lo]) for g, lo in pairs)
        return texts

    def num_of(self, passage_id: str) -> int | None:
        """Global number of a live passage id, or None."""
        for segment, offset in zip(self.segments, self.offsets):
            local = segment.store.num_of(passage_id)
            if local is not None and self.live[offset + local]:
                return int(offset + local)
        return None

    def article(self, article_id: str) -> tuple[dict[str, object], list[PassageRecord]] | None:
        """A live article's fields and passages, or None."""
        for segment, dead in zip(self.segments, self.dead_articles):
            if article_id not in dead:
                found = segment.store.article(article_id)
                if found is not None:
                    return found
        return None

    def article_fields(self, ids: Sequence[str]) -> dict[str, dict[str, object]]:
        """Listing fields of live articles by id (see Store.article_fields)."""
        found: dict[str, dict[str, object]] = {}
        for segment, dead in zip(self.segments, self.dead_articles):
            wanted = [i for i in ids if i not in found and i not in dead]
            if wanted:
                found.update(segment.store.article_fields(wanted))
        return found

    def format_counts(self) -> dict[str, int]:
        """Live articles by file format, most first (counted once per generation: health checks ask often)."""
        if self._formats is None:
            counts: Counter[str] = Counter()
            for segment, dead in zip(self.segments, self.dead_articles):
                counts.update(fmt for article_id, fmt in segment.store.article_formats() if article_id not in dead)
            self._formats = dict(counts.most_common())
        return self._formats

    def phrase_terms(self, phrase: str, limit: int = 5_000) -> tuple[list[str], list[str]]:
        """Indexed terms that can cover a phrase's first character, and those that can cover its last.

        A passage holding the phrase has a term over each end: one whose end is the phrase's beginning, or that holds
        the phrase whole (洋牧 in 海洋|牧场 or in 海洋牧场), and likewise at the other end. At most `limit` each."""
        first: dict[str, None] = {}
        last: dict[str, None] = {}
        for segment in self.segments:
            for term in segment.keyword.vocab:
                if phrase[0] in term and (phrase in term or any(phrase.startswith(term[j:])
                                                                for j in range(len(term)) if term[j] == phrase[0])):
                    first[term] = None
                if phrase[-1] in term and (phrase in term or any(phrase.endswith(term[:j + 1])
                                                                 for j in range(len(term)) if term[j] == phrase[-1])):
                    last[term] = None
                if len(first) >= limit or len(last) >= limit:
                    return list(first), list(last)
        return list(first), list(last)

    def having(self, terms: Sequence[str]) -> np.ndarray:
        """Mask of passages holding any of the terms (deleted ones included)."""
        mask = np.zeros(self.n_docs, bool)
        for segment, offset in zip(self.segments, self.offsets):
            index = segment.keyword
            for term in terms:
                found = index.term_ids.get(term)
                if found is not None:
                    mask[index.docs[index.indptr[found]:index.indptr[found + 1]] + int(offset)] = True
        return mask

    def keyword_scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of every passage number (deleted ones included; callers mask with `live`)."""
        return bm25_scores([(s.keyword, int(o)) for s, o in zip(self.segments, self.offsets)], self.n_docs, terms)

    def vector_search(self, query: np.ndarray, depth: int, allowed: np.ndarray | None,
                      settings: VectorSettings = DEFAULT_VECTORS) -> Ranking:
        """The `depth` nearest allowed passages (all when `allowed` is None) over all segments."""
        ids: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for segment, begin, end in zip(self.segments, self.offsets[:-1], self.offsets[1:]):
            assert segment.vectors is not None
            hits = segment.vectors.search(query, depth, None if allowed is None else allowed[begin:end], settings)
            ids.append(hits.ids + begin)
            scores.append(hits.scores)
        all_ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        all_scores = np.concatenate(scores) if scores else np.zeros(0, np.float32)
        order = np.lexsort((all_ids, -all_scores))[:depth]
        return Ranking(all_ids[order], all_scores[order])

    def vector_scores(self, nums: np.ndarray, query: np.ndarray) -> np.ndarray:
        """Each given passage's similarity to the query (its best window's), in the given order."""
        scores = np.zeros(len(nums), np.float32)
        segment_of = np.searchsorted(self.offsets, nums, side="right") - 1
        for index in np.unique(segment_of).tolist():
            vectors = self.segments[index].vectors
            assert vectors is not None
            rows = np.flatnonzero(segment_of == index)
            scores[rows] = vectors.scores(nums[rows] - self.offsets[index], query)
        return scores

    def vector(self, num: int) -> np.ndarray:
        """The stored vector of one passage."""
        index = int(np.searchsorted(self.offsets, num, side="right") - 1)
        vectors = self.segments[index].vectors
        assert vectors is not None
        return vectors.vector(num - int(self.offsets[index]))
