"""The searcher: opens a published index once, then answers keyword, semantic and hybrid queries."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from ..analysis.analyzer import Analyzer
from ..analysis.dictionary import load_words
from ..embed.encoders import Encoder, load_encoder
from ..embed.floor import FloorScorer
from ..errors import IndexCorrupt, ModelMismatch, ModelUnavailable, NotFound, QueryError
from ..index.keyword import top_k
from ..index.layout import IndexLayout
from ..index.manifest import Manifest
from ..index.ranking import Ranking
from ..index.view import IndexView
from ..requests import MAX_K, Filters, ListRequest, Mode, SearchRequest
from ..schema import (
    ArticleList,
    ArticleView,
    Facets,
    IndexInfo,
    PassageView,
    SearchResponse,
    SimilarResponse,
    original_url,
)
from ..settings import DEFAULT_SEARCH, SearchSettings
from ..syntax import ParsedQuery, parse_query
from . import browse
from .facets import count_facets, facet_pools
from .fusion import Fusion
from .highlight import highlight_html, highlight_terms
from .hits import Copies, dek, hydrate, view_fields
from .retrieval import Listing, Plan, Retriever, by_date, fold_phrase


def single_threaded_blas() -> None:
    """Keep numpy's BLAS to one thread in a process that encodes queries (process-wide; idempotent).

    A query's matrix products are small, and BLAS threads left spinning after one steal the cores from the query
    encoder's own threads: on 2 cores, hybrid search took 37 ms p50 and 124 ms p95 with the default pool, 23 and
    32 ms with one thread (benchmarks/README.md, "What a user waits for").
    """
    threadpool_limits(limits=1, user_api="blas")


# A quoted phrase is checked in at most this many passages sharing its words (each is read in full).
PHRASE_CHECKS = 20_000


class Searcher:
    """A loaded index generation plus, when available, the encoder it was built with."""

    def __init__(self, layout: IndexLayout, directory: Path, view: IndexView, encoder: Encoder | None,
                 semantic_unavailable: str | None, floor: FloorScorer | None = None,
                 analyzer: Analyzer | None = None, settings: SearchSettings = DEFAULT_SEARCH) -> None:
        self.layout = layout
        self.directory = directory
        self.view = view
        self.manifest = view.manifest
        self.encoder = encoder
        self.semantic_unavailable = semantic_unavailable
        self.floor = floor
        self.fusion = Fusion()
        self.analyzer = analyzer or Analyzer(self.manifest.tokenizer)
        self.settings = settings
        self.retriever = Retriever(view, floor, settings)

    @classmethod
    def open(cls, index_dir: Path, model: str | None = None, encoder: Encoder | None = None,
             previous: Searcher | None = None, load_model: bool = True,
             settings: SearchSettings = DEFAULT_SEARCH) -> Searcher:
        """Open the published generation; load the encoder (or reuse one) if the index has vectors.

        With `previous`, segments it already loaded are reused, so opening a new generation costs only what changed.
        """
        layout = IndexLayout(index_dir)
        directory = layout.current_dir()
        manifest = Manifest.read(directory)
        view = IndexView.open(layout, manifest, previous.view if previous else None)
        if int(np.count_nonzero(view.live)) != manifest.counts.passages:
            raise IndexCorrupt(f"{directory}: live passage count disagrees with the manifest")
        tokenizer = manifest.tokenizer
        if previous is not None and previous.manifest.tokenizer == tokenizer:
            analyzer = previous.analyzer
        else:
            analyzer = Analyzer(tokenizer, load_words(layout.root, tokenizer.words) if tokenizer.words else None)
        if manifest.model is None:
            reason = "the index was built without an embedding model"
            if manifest.model_unavailable_reason:
                reason += f" ({manifest.model_unavailable_reason})"
            return cls(layout, directory, view, None, reason, analyzer=analyzer, settings=settings)
        if view.segments and not view.has_vectors:
            raise IndexCorrupt(f"{directory}: the manifest names a model but a segment has no vectors")
        unavailable: str | None = None
        if encoder is None and not load_model:
            unavailable = "the model was not loaded (listing only)"
        elif encoder is None:
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
        floor = (FloorScorer.load(directory, manifest.semantic_floor, manifest.model.dimension)
                 if manifest.semantic_floor is not None else None)
        if encoder is not None:
            single_threaded_blas()
        return cls(layout, directory, view, encoder, unavailable, floor, analyzer, settings)

    @property
    def modes(self) -> list[Mode]:
        """Search modes this searcher can serve."""
        return ["hybrid", "semantic", "keyword"] if self.encoder is not None else ["keyword"]

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Mask of live passages passing the filters (see Retriever.allowed)."""
        return self.retriever.allowed(filters)

    def _mode(self, request: SearchRequest, warnings: list[str]) -> tuple[Mode, float | None]:
        """The mode actually served and the semantic ratio it uses (hybrid at ratio 0 or 1 is a single retriever)."""
        mode: Mode = request.mode
        if mode != "keyword" and self.encoder is None:
            warnings.append(f"semantic search unavailable: {self.semantic_unavailable}; showing keyword results")
            mode = "keyword"
        if mode != "hybrid":
            if request.semantic_ratio is not None:
                warnings.append(f"semantic_ratio applies to hybrid mode; ignored in {mode} mode")
            return mode, None
        ratio = self.fusion.semantic_ratio if request.semantic_ratio is None else request.semantic_ratio
        if ratio == 0:
            return "keyword", 0.0
        if ratio == 1:
            return "semantic", 1.0
        return mode, ratio

    def _text_mask(self, parsed: ParsedQuery, allowed: np.ndarray | None, warnings: list[str]) -> np.ndarray | None:
        """The allowed passages narrowed to those holding every quoted phrase as written and none of the -words.

        A phrase's candidates are the passages sharing any of its words (then read in full); past PHRASE_CHECKS of
        them only the best-scoring are read, and the warning says so."""
        if not parsed.phrases and not parsed.excluded:
            return allowed
        mask = (self.view.live if allowed is None else allowed).copy()
        for wanted, keep in [(p, True) for p in parsed.phrases] + [(w, False) for w in parsed.excluded]:
            folded = fold_phrase(wanted)
            terms = self.analyzer.terms(wanted)
            if folded:
                # jieba may cut the text elsewhere than the phrase: look where terms cover both of its ends.
                first, last = self.view.phrase_terms(folded)
                holding = self.view.having(first) & self.view.having(last) if first and last else None
                terms += first[:50] + last[:50]
            scores = self.view.keyword_scores(terms)
            candidates = np.flatnonzero(mask & ((scores > 0) if not folded or holding is None else holding))
            if keep and len(candidates) > PHRASE_CHECKS:
                warnings.append(f"the phrase “{wanted}” was checked in its {PHRASE_CHECKS} best keyword matches only")
                candidates = candidates[np.argsort(-scores[candidates], kind="stable")[:PHRASE_CHECKS]]
            texts = self.view.texts(candidates.tolist())
            holding = np.fromiter((folded in fold_phrase(texts[int(n)]) for n in candidates), bool, len(candidates))
            if keep:
                mask[:] = False
                mask[candidates[holding]] = True
            else:
                mask[candidates[holding]] = False
        return mask

    def _listing(self, request: SearchRequest, allowed: np.ndarray | None) -> SearchResponse:
        """A query of filters only (`speaker:王海洋`): every passage they allow, newest first (or oldest)."""
        started = time.perf_counter()
        pool = self.view.live.copy() if allowed is None else allowed
        ids = np.flatnonzero(pool)
        listing = Listing(Ranking(ids, np.zeros(len(ids), np.float32)), pool, None, None)
        ranked = by_date(listing, self.view.dates, request.sort != "oldest", False)
        page = ranked.pairs()[request.offset:request.offset + request.k]
        hits = hydrate(self.view, self.analyzer, page, None, None, set())
        facets = count_facets(self.view, self._archive_pools(
            request, lambda mask: self._text_mask(parse_query(request.q), mask, [])))
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(query=request.q, mode="keyword", semantic_ratio=None, total=len(ids),
                              took_ms=round(took, 3), warnings=[], results=hits, facets=facets)

    def search(self, request: SearchRequest, fusion: Fusion | None = None, with_facets: bool = True) -> SearchResponse:
        """Run one search and return the response object (page, score breakdowns, facets)."""
        parsed = parse_query(request.q)
        if parsed.filters:
            request = request.model_copy(update={name: list(dict.fromkeys([*getattr(request, name), *values]))
                                                 for name, values in parsed.filters.items()})
        text_query = " ".join([parsed.text, *(f'"{p}"' for p in parsed.phrases)]).strip()
        if not text_query:
            return self._listing(request, self._text_mask(parsed, self.allowed(request), []))
        started = time.perf_counter()
        warnings: list[str] = []
        mode, ratio = self._mode(request, warnings)
        original_query = request.q
        request = request.model_copy(update={"q": text_query})
        # A phrase across or inside words (洋牧 in 海洋|牧场) also ranks by the words over its ends.
        terms = self.analyzer.terms(request.q) + [
            term for phrase in parsed.phrases if fold_phrase(phrase)
            for ends in self.view.phrase_terms(fold_phrase(phrase), 50) for term in ends]
        if mode != "semantic" and not terms:
            warnings.append("the query has no searchable words for keyword matching")
        query = None
        if mode != "keyword":
            assert self.encoder is not None
            query = self.encoder.encode_query(parsed.ranking_text)
        chosen = replace(fusion or self.fusion, semantic_ratio=ratio) if ratio is not None else self.fusion
        plan = Plan(mode, ratio, chosen, query, functools.cache(lambda: self.view.keyword_scores(terms)))
        # Fusion reads a fixed window of each list (as Elasticsearch's rank_window_size does): were it to deepen
        # with the offset, the fused order would shift between pages and paging would repeat or skip passages.
        depth = (self.settings.hybrid_window if mode == "hybrid"
                 else max(self.settings.min_depth, request.offset + request.k))
        allowed = self._text_mask(parsed, self.allowed(request), warnings)
        listing = self.retriever.retrieve(request, plan, allowed, depth)
        copies = self.view.copies()
        collapse = request.collapse and bool(len(copies.members))
        total = copies.distinct(listing.pool) if collapse else int(np.count_nonzero(listing.pool))
        if mode == "keyword" and request.sort == "relevance" and collapse:
            # Copies drop out of the list: rank deeper, doubling, until the page fills or every match is ranked
            # (deepening by the number of copies at once could fetch tens of thousands of texts for phrase checks).
            matches = int(np.count_nonzero(listing.pool))
            while (len(listing.ranked) < matches
                   and len(copies.collapse(listing.ranked.ids)) < request.offset + request.k):
                depth *= 2
                listing = self.retriever.retrieve(request, plan, allowed, depth)
        ranked = listing.ranked
        if request.sort != "relevance":
            ranked = by_date(listing, self.view.dates, request.sort == "newest", mode == "keyword")
        if collapse:
            ranked = ranked.where(copies.collapse(ranked.ids))
        page = ranked.pairs()[request.offset:request.offset + request.k]
        hits = hydrate(self.view, self.analyzer, page, listing.keyword.ranking if listing.keyword else None,
                       listing.semantic, highlight_terms(terms), Copies(copies, allowed, collapse))
        facets = None
        if with_facets:
            def pool_of(chosen: Filters) -> np.ndarray:
                return self.retriever.retrieve(request, plan, self._text_mask(parsed, self.allowed(chosen), []),
                                               depth).pool

            pools = facet_pools(request, listing.pool, pool_of)
            facets = count_facets(self.view, pools)
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(query=original_query, mode=mode, semantic_ratio=ratio, total=total,
                              took_ms=round(took, 3), warnings=warnings, results=hits, facets=facets)

    def _archive_pools(self, filters: Filters,
                       narrow: Callable[[np.ndarray | None], np.ndarray | None] = lambda mask: mask,
                       ) -> dict[str, np.ndarray]:
        """Each facet's passages of the archive under the filters (see facet_pools), narrowed by `narrow`."""
        def mask(chosen: Filters) -> np.ndarray:
            allowed = narrow(self.allowed(chosen))
            return self.view.live if allowed is None else allowed

        return facet_pools(filters, mask(filters), mask)

    def articles(self, request: ListRequest, with_facets: bool = True) -> ArticleList:
        """A page of articles by date under the request's filters (the browse view)."""
        pools = self._archive_pools(request) if with_facets else None
        return browse.list_articles(self.view, self.allowed(request), request, pools)

    def facets(self, filters: Filters) -> Facets:
        """Article counts by speaker, region, source and year, over the archive or the filtered part of it."""
        return browse.archive_facets(self.view, self._archive_pools(filters))

    def article(self, article_id: str) -> ArticleView:
        """A whole article with its passages; raise NotFound for an unknown id."""
        found = self.view.article(article_id)
        if found is None:
            raise NotFound(f"no article with id {article_id!r}")
        fields, records = found
        fields["dek"] = dek(str(fields["text"]), int(str(fields.pop("body_start"))), records)
        fields["pages"] = len(json.loads(str(fields["pages"])))
        fields["original_url"] = original_url(article_id, str(fields["format"]))
        passages = [PassageView.model_validate(view_fields(r, PassageView)) for r in records]
        return ArticleView.model_validate({**fields, "passages": passages})

    def original(self, article_id: str) -> tuple[str, str, str]:
        """An article's file: its corpus-relative path, format and text encoding; raise NotFound for an unknown id."""
        fields = self.view.article_fields([article_id]).get(article_id)
        if fields is None:
            raise NotFound(f"no article with id {article_id!r}")
        return str(fields["path"]), str(fields["format"]), str(fields["encoding"])

    def highlighter(self, query: str) -> Callable[[str], str]:
        """A function giving HTML-escaped text with the query's words marked (nothing marked for no query)."""
        terms = highlight_terms(self.analyzer.terms(query)) if query.strip() else set()
        return lambda text: highlight_html(text, self.analyzer.match_spans(text, terms))

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
        mode: Mode
        if self.view.has_vectors:
            ranking = self.view.vector_search(self.view.vector(num), k, allowed, self.settings.vectors)
            mode = "semantic"
        else:
            warnings.append(f"semantic search unavailable: {self.semantic_unavailable}; "
                            "similar by shared keywords instead")
            text = self.view.texts([num])[num]
            scores = self.view.keyword_scores(self.analyzer.terms(text))
            ranking, mode = top_k(scores, k, allowed, self.settings.keyword)[0], "keyword"
        hits = hydrate(self.view, self.analyzer, ranking.pairs(), ranking if mode == "keyword" else None,
                       ranking if mode == "semantic" else None, set())
        return SimilarResponse(passage_id=passage_id, mode=mode, warnings=warnings, results=hits)

    def info(self) -> IndexInfo:
        """What the index holds, which modes are available, how it ranks, and the state of updates."""
        m = self.manifest
        model = m.model
        return IndexInfo(
            index=str(self.layout.root), generation=m.generation, published_at=m.created_at, corpus=m.corpus,
            articles=m.counts.articles, formats=self.view.format_counts(), passages=m.counts.passages,
            segments=len(m.segments),
            vectors=sum(s.vectors.count for s in self.view.segments if s.vectors) if model else None,
            model=model.name if model else None, backend=model.backend if model else None,
            engine=model.engine if model else None, fingerprint=model.fingerprint if model else None,
            dimension=model.dimension if model else None,
            prompts={"query": model.query_prompt, "passage": model.passage_prompt} if model else None,
            modes=self.modes, semantic_unavailable=self.semantic_unavailable,
            semantic_floor=m.semantic_floor.model_dump() if m.semantic_floor else None,
            fusion={"method": self.fusion.method, "semantic_ratio": self.fusion.semantic_ratio,
                    **({"rrf_k": self.fusion.rrf_k} if self.fusion.method == "rrf" else {})},
            context=m.context.model_dump(), tokenizer=m.tokenizer.model_dump(), chunker=m.chunker.model_dump(),
            failed=list(m.failed), pending=self.layout.read_pending(),
        )
