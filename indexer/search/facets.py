"""Facet counts: speakers, regions, sources and years over a result list or the archive, counted disjunctively."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..index.view import IndexView
from ..requests import Filters
from ..schema import Facets, FacetValue

FACETS = ("speaker", "region", "source", "year")
FACET_TOP = 20
FACET_YEARS = 50
JOINT = ("source", "year")  # facets of the article, labelling (nearly) every passage: counted together


def facet_pools(filters: Filters, pool: np.ndarray,
                pool_of: Callable[[Filters], np.ndarray]) -> dict[str, np.ndarray]:
    """Each facet's passages: `pool`, but for a facet with values chosen, the pool without that choice (the other
    filters still apply), so more of its values can be ticked."""
    return {name: pool_of(filters.without(name)) if getattr(filters, name) else pool for name in FACETS}


def _counts(view: IndexView, name: str, pool: np.ndarray, members: np.ndarray | None) -> np.ndarray:
    """How many passages of the pool have each value of a facet (index 0: none, when some passages lack one)."""
    labels = view.filters[name][0]
    numbers, codes = view.labelled[name]
    if members is not None:  # a short list (semantic, hybrid): look its passages up, not a pass over all
        position = np.minimum(np.searchsorted(numbers, members), max(len(numbers) - 1, 0))
        found = position[numbers[position] == members] if len(numbers) else position[:0]
        return np.bincount(codes[found], minlength=len(labels))
    return np.bincount(codes[pool[numbers]], minlength=len(labels))


def _article_counts(view: IndexView, name: str, pool: np.ndarray) -> np.ndarray:
    """How many articles of the pool have each value of a facet (one count per article and value)."""
    labels = view.filters[name][0]
    numbers, codes = view.labelled[name]
    chosen = pool[numbers]
    pairs = np.unique(view.filters["article"][1][numbers[chosen]].astype(np.int64) * len(labels) + codes[chosen])
    return np.bincount(pairs % max(len(labels), 1), minlength=len(labels))


def _joint_counts(view: IndexView, names: tuple[str, ...], pool: np.ndarray) -> dict[str, np.ndarray]:
    """Counts of several facets over one large pool in a single pass (their joint codes), then each one's."""
    joint, sizes = view.joint_codes(names)
    table = np.bincount(joint[pool], minlength=int(np.prod(sizes))).reshape(sizes)
    return {name: table.sum(axis=tuple(a for a in range(len(names)) if a != axis))
            for axis, name in enumerate(names)}


def count_facets(view: IndexView, pools: dict[str, np.ndarray], articles: bool = False) -> Facets:
    """Counts of each facet over its pool (passages, or with `articles` distinct articles), passages without a
    value left out; most frequent first, years newest first."""
    counted: dict[str, list[FacetValue]] = {}
    members: dict[int, np.ndarray | None] = {}
    joint: dict[str, np.ndarray] = {}
    for name in FACETS:
        pool = pools[name]
        if id(pool) not in members:  # a short list is looked up passage by passage, a long one passed over
            short = not articles and np.count_nonzero(pool) * 64 < len(pool)
            members[id(pool)] = np.flatnonzero(pool) if short else None
        if not articles and members[id(pool)] is None and name in JOINT and not joint:
            shared = [n for n in JOINT if pools[n] is pool]
            if len(shared) > 1:
                joint = _joint_counts(view, tuple(shared), pool)
        if name in joint:
            counts = joint[name]
        elif articles:
            counts = _article_counts(view, name, pool)
        else:
            counts = _counts(view, name, pool, members[id(pool)])
        labels = view.filters[name][0]
        present = [int(c) for c in np.flatnonzero(counts) if labels[c]]
        if name == "year":
            order = sorted(present, key=lambda c: labels[c], reverse=True)[:FACET_YEARS]
        else:
            order = sorted(present, key=lambda c: (-counts[c], labels[c]))[:FACET_TOP]
        counted[name] = [FacetValue(value=labels[c], count=int(counts[c])) for c in order]
    return Facets(**counted)
