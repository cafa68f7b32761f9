"""Browsing without a query: articles listed by date under the same filters, and facets over the archive."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..index.view import IndexView
from ..requests import ListRequest
from ..schema import ArticleList, ArticleSummary, Facets
from .facets import count_facets

SPEAKERS_LISTED = 5


def list_articles(view: IndexView, allowed: np.ndarray | None, request: ListRequest,
                  facet_pools: dict[str, np.ndarray] | None = None) -> ArticleList:
    """Articles with at least one passage the filters allow, by date (undated last), then by id; with facets
    counting articles over the given pools."""
    mask = view.live if allowed is None else allowed
    labels, codes = view.filters["article"]
    numbers = np.flatnonzero(mask)
    article_codes, first = np.unique(codes[numbers], return_index=True)
    dates = view.dates[numbers[first]].astype(np.int64)
    keys = np.where(dates > 0, -dates if request.sort == "newest" else dates, np.iinfo(np.int64).max)
    order = np.lexsort((labels[article_codes], keys))  # labels sort by id: a stable tie order
    page = article_codes[order][request.offset:request.offset + request.k]
    ids = [str(labels[c]) for c in page]
    fields = view.article_fields(ids)
    speakers = _speakers(view, mask, page)
    articles = [ArticleSummary.model_validate({**fields[i], "speakers": speakers.get(int(c), [])})
                for i, c in zip(ids, page.tolist()) if i in fields]
    facets = count_facets(view, facet_pools, articles=True) if facet_pools is not None else None
    return ArticleList(total=len(article_codes), offset=request.offset, sort=request.sort, articles=articles,
                       facets=facets)


def _speakers(view: IndexView, mask: np.ndarray, page: np.ndarray) -> dict[int, list[str]]:
    """Each listed article's speakers, most passages first."""
    labels, codes = view.filters["speaker"]
    articles = view.filters["article"][1]
    numbers = np.flatnonzero(mask & np.isin(articles, page))
    counted: dict[int, Counter[str]] = {}
    for article, speaker in zip(articles[numbers].tolist(), codes[numbers].tolist()):
        if labels[speaker]:
            counted.setdefault(article, Counter())[str(labels[speaker])] += 1
    return {a: [name for name, _ in c.most_common(SPEAKERS_LISTED)] for a, c in counted.items()}


def archive_facets(view: IndexView, pools: dict[str, np.ndarray]) -> Facets:
    """Speakers, regions, sources and years with how many articles have each, over each facet's passages."""
    return count_facets(view, pools, articles=True)
