"""The merge policy: which segments to rewrite, and their live contents gathered without re-embedding or re-tokenising.

Vectors are read back from FAISS, postings renumbered, copy signatures carried over, so merging costs I/O, not model
time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..analysis.copies import signatures
from ..ingest.article import Article
from ..ingest.chunk import Passage
from ..settings import WriterSettings
from .keyword import KeywordIndex
from .layout import IndexLayout
from .manifest import SegmentRef, Tombstones
from .segment import PreparedSegment, Segment


@dataclass
class SegmentState:
    """A segment in the generation being prepared, with its (possibly grown) tombstones."""

    ref: SegmentRef
    tombstones: Tombstones
    changed: bool = False

    @property
    def live(self) -> int:
        """Passages not deleted."""
        return self.ref.passages - len(self.tombstones.passages)


def victims(states: Sequence[SegmentState], settings: WriterSettings) -> list[SegmentState]:
    """Segments to rewrite: mostly-deleted ones, and the smallest while there are more than max_segments."""
    chosen = [s for s in states if len(s.tombstones.passages) > settings.max_deleted_share * max(s.ref.passages, 1)
              or s.ref.articles == len(s.tombstones.articles)]
    rest = sorted((s for s in states if s not in chosen), key=lambda s: s.live)
    excess = len(rest) + (1 if chosen else 0) - settings.max_segments
    if excess > 0:
        chosen += rest[:excess + 1]
    return chosen


def gather(layout: IndexLayout, states: Sequence[SegmentState], with_vectors: bool) -> PreparedSegment:
    """The live articles and passages of several segments as one new segment's contents."""
    articles: list[Article] = []
    passages: list[Passage] = []
    term_parts: list[tuple[KeywordIndex, np.ndarray]] = []
    vector_parts: list[np.ndarray] = []
    owner_parts: list[np.ndarray] = []
    signature_parts: list[np.ndarray] = []
    for state in states:
        segment = Segment(layout.segment_dir(state.ref.id))
        dead = np.zeros(segment.size, bool)
        dead[state.tombstones.passages] = True
        keep = np.flatnonzero(~dead)
        articles += segment.store.full_articles(set(state.tombstones.articles))
        kept = segment.store.full_passages(keep.tolist())
        term_parts.append((segment.keyword, keep))
        # Segments written before copies were detected have no signatures: computed now.
        signature_parts.append(segment.signatures[keep] if segment.signatures is not None
                               else signatures([p.text for p in kept]))
        if segment.vectors is not None:
            kept_vectors, kept_owners = segment.vectors.passage_vectors(keep)
            vector_parts.append(kept_vectors)
            owner_parts.append(kept_owners + len(passages))
        passages += kept
    return PreparedSegment(articles, passages, KeywordIndex.merged(term_parts),
                           np.concatenate(vector_parts) if with_vectors else None,
                           np.concatenate(owner_parts) if with_vectors else None,
                           np.concatenate(signature_parts))
