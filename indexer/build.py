"""Building an index generation from a corpus: read, chunk, analyse, embed, write, publish."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .analyzer import Analyzer
from .chunk import ChunkerSettings, Passage, chunk_article
from .embed import Encoder, load_encoder
from .embedding_cache import EmbeddingCache
from .errors import IndexNotFound, ModelUnavailable
from .ingest import read_corpus
from .keyword import KeywordIndex
from .layout import IndexLayout
from .manifest import Counts, Manifest, SkippedEntry
from .store import STORE_FILE, write_store
from .vectors import VectorIndex, build_vector_index, index_kind

Log = Callable[[str], None]


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    index_dir: Path
    manifest: Manifest
    embedded: int
    reused_vectors: int


def build_index(corpus: Path, index_dir: Path, model: str | None, *, encoder: Encoder | None = None,
                log: Log = print, progress: bool = True) -> BuildReport:
    """Index every article in corpus into a new generation of index_dir; `model=None` means keyword-only."""
    if not corpus.is_dir():
        raise IndexNotFound(f"corpus folder {corpus} does not exist")
    layout = IndexLayout(index_dir)
    with layout.writer_lock():
        unavailable: str | None = None
        if encoder is None and model is not None:
            try:
                encoder = load_encoder(model)
            except ModelUnavailable as exc:
                unavailable = str(exc)
                log(f"semantic search unavailable: {exc}; building the keyword index only")
        articles, skipped = read_corpus(corpus)
        for entry in skipped:
            log(f"skipped {entry.path}: {entry.reason}")
        chunker = ChunkerSettings(max_chars=min(ChunkerSettings().max_chars, encoder.max_passage_chars())) \
            if encoder else ChunkerSettings()
        passages: list[Passage] = [p for a in articles for p in chunk_article(a, chunker)]
        analyzer = Analyzer()
        term_lists = [analyzer.terms(p.text) for p in
                      tqdm(passages, desc="analysing", unit="passage", disable=not progress, leave=False)]
        keyword = KeywordIndex.build(term_lists)
        staging = layout.staging_dir()
        try:
            write_store(staging / STORE_FILE, articles, passages)
            keyword.save(staging)
            embedded = reused = 0
            if encoder is not None:
                vectors, embedded, reused = _embed(encoder, passages, layout, progress)
                VectorIndex(build_vector_index(vectors)).save(staging)
            manifest = Manifest(
                generation=layout.next_generation(),
                created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                corpus=str(corpus.resolve()),
                counts=Counts(articles=len(articles), passages=len(passages),
                              vectors=len(passages) if encoder else 0, terms=len(keyword.vocab)),
                tokenizer=analyzer.settings,
                chunker=chunker,
                model=encoder.info if encoder else None,
                model_unavailable_reason=unavailable,
                vector_index=index_kind(len(passages)) if encoder else None,
                skipped=[SkippedEntry(path=s.path, reason=s.reason) for s in skipped],
            )
            manifest.write(staging)
            layout.publish(staging, manifest.generation)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return BuildReport(index_dir, manifest, embedded, reused)


def _embed(encoder: Encoder, passages: list[Passage], layout: IndexLayout, progress: bool) -> tuple[np.ndarray, int, int]:
    """Passage vectors via the cache; returns (vectors, newly embedded, reused)."""
    cache = EmbeddingCache(layout.cache_dir, encoder.info.fingerprint, encoder.info.passage_prompt,
                           encoder.info.dimension)
    try:
        with tqdm(total=len(passages), desc="embedding", unit="passage", disable=not progress, leave=False) as bar:
            vectors = cache.embed([p.text for p in passages], encoder.encode_passages, progress=bar.update)
        return vectors, cache.misses, cache.hits
    finally:
        cache.close()
