"""The searcher: opens a published index once, then answers keyword, semantic and hybrid queries."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analyzer import Analyzer, fold, highlight_html
from .embed import Encoder, load_encoder
from .errors import IndexCorrupt, ModelMismatch, ModelUnavailable, NotFound, QueryError
from .keyword import top_k
from .layout import IndexLayout
from .manifest import Manifest
from .segment import FILTERS
from .schema import (MAX_K, ArticleView, Facets, FacetValue, Hit, PassageView, RankScore, Scores, SearchRequest,
                     SearchResponse, SimilarResponse)
from .view import IndexView

RRF_K = 60
MIN_DEPTH = 100
HYBRID_WINDOW = 100
_WHITESPACE = re.compile(r"\s+")
_QUOTED = re.compile(r"[\"“”「」『』]([^\"“”「」『』]+)[\"“”「」『』]")


@dataclass(frozen=True)
class Ranking:
    """One retriever's ranked passage numbers and scores."""

    ids: np.ndarray
    scores: np.ndarray

    def rank_of(self, numbers: list[int]) -> dict[int, RankScore]:
        """1-based rank and score of those passage numbers that are in this ranking."""
        positions = {n: i for i, n in enumerate(self.ids.tolist())}
        return {n: RankScore(rank=positions[n] + 1, score=float(self.scores[positions[n]]))
                for n in numbers if n in positions}


def _fold(text: str) -> str:
    """Text folded for phrase containment: the analyzer's folding, without whitespace."""
    return _WHITESPACE.sub("", fold(text))


def _phrases(query: str) -> list[str]:
    """Quoted segments of the query, or the whole query when it is one unbroken string."""
    quoted = [_fold(m) for m in _QUOTED.findall(query)]
    if quoted:
        return [p for p in quoted if p]
    return [_fold(query)] if not re.search(r"\s", query) and len(query) >= 2 else []


class Searcher:
    """A loaded index generation plus, when available, the encoder it was built with."""

    def __init__(self, directory: Path, view: IndexView, encoder: Encoder | None,
                 semantic_unavailable: str | None) -> None:
        self.directory = directory
        self.view = view
        self.manifest = view.manifest
        self.encoder = encoder
        self.semantic_unavailable = semantic_unavailable
        self.analyzer = Analyzer(self.manifest.tokenizer)

    @classmethod
    def open(cls, index_dir: Path, model: str | None = None, encoder: Encoder | None = None,
             previous: Searcher | None = None) -> Searcher:
        """Open the published generation; load the encoder (or reuse one) if the index has vectors.

        With `previous`, segments it already loaded are reused, so opening a new generation costs only what changed.
        """
        layout = IndexLayout(index_dir)
        directory = layout.current_dir()
        manifest = Manifest.read(directory)
        view = IndexView.open(layout, manifest, previous.view if previous else None)
        if int(np.count_nonzero(view.live)) != manifest.counts.passages:
            raise IndexCorrupt(f"{directory}: live passage count disagrees with the manifest")
        if manifest.model is None:
            unavailable = "the index was built without an embedding model"
            if manifest.model_unavailable_reason:
                unavailable += f" ({manifest.model_unavailable_reason})"
            return cls(directory, view, None, unavailable)
        if view.segments and not view.has_vectors:
            raise IndexCorrupt(f"{directory}: the manifest names a model but a segment has no vectors")
        unavailable = None
        if encoder is None:
            try:
                encoder = load_encoder(model or manifest.model.name)
            except ModelUnavailable as exc:
                unavailable = str(exc)
        if encoder is not None and (encoder.info.fingerprint != manifest.model.fingerprint
                                    or encoder.info.dimension != manifest.model.dimension):
            raise ModelMismatch(
                f"the index was built with {manifest.model.name} ({manifest.model.dimension}-d, weights "
                f"{manifest.model.fingerprint}), not {encoder.info.name} ({encoder.info.dimension}-d, weights "
                f"{encoder.info.fingerprint}); search with that model or rebuild with `wenku build --rebuild`")
        return cls(directory, view, encoder, unavailable)

    @property
    def modes(self) -> list[str]:
        """Search modes this searcher can serve."""
        return ["hybrid", "semantic", "keyword"] if self.encoder is not None else ["keyword"]

    def allowed(self, request: SearchRequest) -> np.ndarray | None:
        """Mask of live passages passing the request's filters; None when that is every passage."""
        active = [name for name in FILTERS if getattr(request, name) is not None]
        if not active and self.view.all_live:
            return None  # saves a pass over every passage on each unfiltered query
        mask = self.view.live.copy()
        for name in active:
            value = getattr(request, name)
            labels, codes = self.view.filters[name]
            position = int(np.searchsorted(labels, value))
            if position < len(labels) and labels[position] == value:
                mask &= codes == position
            else:
                mask[:] = False
        return mask

    def _keyword_ranking(self, request: SearchRequest, terms: list[str], depth: int,
                         allowed: np.ndarray | None) -> tuple[Ranking, np.ndarray]:
        """BM25 ranking, with passages containing the query's exact phrase(s) moved to the front."""
        hits = top_k(self.view.keyword_scores(terms), depth, allowed)
        phrases = _phrases(request.q)
        ids, scores = hits.ids, hits.scores
        if phrases and len(ids):
            texts = self.view.texts(ids.tolist())
            exact = np.array([all(p in _fold(texts[int(n)]) for p in phrases) for n in ids])
            order = np.argsort(~exact, kind="stable")
            ids, scores = ids[order], scores[order]
        return Ranking(ids, scores), hits.matched

    def search(self, request: SearchRequest) -> SearchResponse:
        """Run one search and return the response object (page, score breakdowns, facets)."""
        started = time.perf_counter()
        warnings: list[str] = []
        mode = request.mode
        if mode != "keyword" and self.encoder is None:
            warnings.append(f"semantic search unavailable: {self.semantic_unavailable}; showing keyword results")
            mode = "keyword"
        terms = self.analyzer.terms(request.q)
        if mode != "semantic" and not terms:
            warnings.append("the query has no searchable words for keyword matching")
        # Fusion reads a fixed window of each list (as Elasticsearch's rank_window_size does): were it to deepen
        # with the offset, the fused order would shift between pages and paging would repeat or skip passages.
        depth = HYBRID_WINDOW if mode == "hybrid" else max(MIN_DEPTH, request.offset + request.k)
        allowed = self.allowed(request)
        keyword = semantic = None
        matched = np.zeros(0, bool)
        if mode in ("keyword", "hybrid"):
            keyword, matched = self._keyword_ranking(request, terms, depth, allowed)
        if mode in ("semantic", "hybrid"):
            assert self.encoder is not None
            hits = self.view.vector_search(self.encoder.encode_query(request.q), depth, allowed)
            semantic = Ranking(hits.ids, hits.scores)
        ranked = self._fuse(keyword, semantic)
        # The mask of every passage in the list that paging walks: the basis of `total` and the facets. Keyword
        # lists walk every match; semantic and hybrid lists are exactly what was ranked.
        pool = matched
        if mode != "keyword":
            pool = np.zeros(self.view.n_docs, bool)
            pool[[n for n, _ in ranked]] = True
        page = ranked[request.offset:request.offset + request.k]
        results = self._hits(page, keyword, semantic, set(terms))
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(query=request.q, mode=mode, total=int(np.count_nonzero(pool)), took_ms=round(took, 3),
                              warnings=warnings, results=results, facets=self._facets(pool))

    def _facets(self, pool: np.ndarray, top: int = 20) -> Facets:
        """Speaker and region counts over the pool, most frequent first, passages without one left out."""
        counted: dict[str, list[FacetValue]] = {}
        for name in ("speaker", "region"):
            labels = self.view.filters[name][0]
            numbers, codes = self.view.labelled[name]
            counts = np.bincount(codes[pool[numbers]], minlength=len(labels))
            order = sorted((c for c in np.flatnonzero(counts) if labels[c]), key=lambda c: (-counts[c], labels[c]))
            counted[name] = [FacetValue(value=labels[c], count=int(counts[c])) for c in order[:top]]
        return Facets(**counted)

    def article(self, article_id: str) -> ArticleView:
        """A whole article with its passages; raise NotFound for an unknown id."""
        found = self.view.article(article_id)
        if found is None:
            raise NotFound(f"no article with id {article_id!r}")
        fields, records = found
        passages = [PassageView(id=r.id, paragraph=r.paragraph, start=r.start, end=r.end, text=r.text,
                                speaker=r.speaker, role=r.role, region=r.region, section=r.section,
                                reporters=list(r.reporters)) for r in records]
        return ArticleView(**fields, passages=passages)

    def similar(self, passage_id: str, k: int = 5) -> SimilarResponse:
        """Nearest passages by another speaker or in another article (by vector; by keywords if none)."""
        num = self.view.num_of(passage_id)
        if num is None:
            raise NotFound(f"no passage with id {passage_id!r}")
        if not 1 <= k <= MAX_K:
            raise QueryError(f"k: must be between 1 and {MAX_K}")
        articles, speakers = self.view.filters["article"][1], self.view.filters["speaker"][1]
        # Same article and same speaker (or both without one) counts as the same voice: left out.
        allowed = self.view.live & ((articles != articles[num]) | (speakers != speakers[num]))
        warnings: list[str] = []
        if self.view.has_vectors:
            hits = self.view.vector_search(self.view.vector(num), k, allowed)
            ranking, mode = Ranking(hits.ids, hits.scores), "semantic"
        else:
            warnings.append(f"semantic search unavailable: {self.semantic_unavailable}; "
                            "similar by shared keywords instead")
            text = self.view.texts([num])[num]
            found = top_k(self.view.keyword_scores(self.analyzer.terms(text)), k, allowed)
            ranking, mode = Ranking(found.ids, found.scores), "keyword"
        page = [(int(n), float(s)) for n, s in zip(ranking.ids, ranking.scores)]
        results = self._hits(page, ranking if mode == "keyword" else None, ranking if mode == "semantic" else None,
                             set())
        return SimilarResponse(passage_id=passage_id, mode=mode, warnings=warnings, results=results)

    @staticmethod
    def _fuse(keyword: Ranking | None, semantic: Ranking | None) -> list[tuple[int, float]]:
        """One ranked list: a single retriever's own order, or reciprocal rank fusion of both."""
        if keyword is None or semantic is None:
            only = keyword or semantic
            assert only is not None
            return [(int(n), float(s)) for n, s in zip(only.ids, only.scores)]
        fused: dict[int, float] = {}
        for ranking in (keyword, semantic):
            for rank, n in enumerate(ranking.ids.tolist(), 1):
                fused[n] = fused.get(n, 0.0) + 1.0 / (RRF_K + rank)
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    def _hits(self, page: list[tuple[int, float]], keyword: Ranking | None, semantic: Ranking | None,
              terms: set[str]) -> list[Hit]:
        """Hydrate ranked passage numbers into result objects with highlights and score breakdowns."""
        numbers = [n for n, _ in page]
        records = self.view.passages(numbers)
        keyword_ranks = keyword.rank_of(numbers) if keyword else {}
        semantic_ranks = semantic.rank_of(numbers) if semantic else {}
        hits: list[Hit] = []
        for n, score in page:
            record = records[n]
            hits.append(Hit(
                id=record.id, article_id=record.article_id, article_title=record.article_title, date=record.date,
                speaker=record.speaker, role=record.role, region=record.region, section=record.section,
                paragraph=record.paragraph, text=record.text,
                highlight=highlight_html(record.text, self.analyzer.match_spans(record.text, terms)),
                score=round(score, 6),
                scores=Scores(keyword=keyword_ranks.get(n), semantic=semantic_ranks.get(n)),
            ))
        return hits

    def info(self) -> dict[str, object]:
        """What the index holds, which modes are available, and the state of updates."""
        m = self.manifest
        return {
            "index": str(self.directory.parent.parent),
            "generation": m.generation,
            "published_at": m.created_at,
            "corpus": m.corpus,
            "articles": m.counts.articles,
            "passages": m.counts.passages,
            "segments": len(m.segments),
            "model": m.model.name if m.model else None,
            "dimension": m.model.dimension if m.model else None,
            "prompts": {"query": m.model.query_prompt, "passage": m.model.passage_prompt} if m.model else None,
            "modes": self.modes,
            "semantic_unavailable": self.semantic_unavailable,
            "tokenizer": m.tokenizer.model_dump(),
            "chunker": m.chunker.model_dump(),
            "failed": [f.model_dump() for f in m.failed],
            "pending": IndexLayout(self.directory.parent.parent).read_pending(),
        }
