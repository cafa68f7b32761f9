"""Builds: the index brought in step with the corpus folder (incremental or full), and the writer each update opens."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..analysis.dictionary import Entry
from ..embed.encoders import DEFAULT_MODEL, Encoder, load_encoder
from ..embed.encoders.ray_pool import RayEncoder
from ..errors import IndexNotFound, IndexOutdated, ModelUnavailable
from ..index.layout import IndexLayout
from ..index.manifest import Manifest
from ..index.writer import IndexWriter, UpdateReport
from ..ingest.context import ContextSettings
from ..ingest.files import article_id_for
from ..ingest.reader import ArticleReader
from ..settings import DEFAULT_WRITER, WriterSettings

Log = Callable[[str], None]


def open_writer(layout: IndexLayout, model: str | None, *, keyword_only: bool = False, rebuild: bool = False,
                retry_default: bool = False, encoder: Encoder | None = None, log: Log = print,
                progress: bool = False, context: ContextSettings | None = None,
                window_chars: int | None = None, dictionary: Sequence[Entry] | None = None,
                settings: WriterSettings = DEFAULT_WRITER) -> IndexWriter:
    """A writer with the right encoder: the one given, `model`, the index's own, or the default (call under lock).

    `retry_default` (builds only) tries the default model again on an index that lacked one. An index with vectors
    is never silently downgraded: if its model cannot be loaded, updating it is an error.
    """
    generation = layout.current_generation()
    for orphan in layout.remove_orphans():
        log(f"removed generation {orphan}, committed by a writer that stopped before publishing it")
    try:
        base = Manifest.read(layout.generation_dir(generation)) if generation is not None else None
    except IndexOutdated:
        if not rebuild:
            raise
        base = None  # an index of an older format: rebuilt from the corpus, its files swept after publishing
    unavailable: str | None = None
    if encoder is None and not keyword_only:
        wanted = model or (base.model.name if base and base.model else None)
        if wanted is None and (base is None or (retry_default and base.model_unavailable_reason is not None)):
            wanted = DEFAULT_MODEL  # a fresh index, or one that fell back to keyword-only for lack of a model
        if wanted is not None:
            try:
                encoder = load_encoder(wanted, settings.device)
            except ModelUnavailable as exc:
                if settings.device == "cuda":
                    raise  # asked for a GPU: an error, not a quiet keyword-only index
                if base and base.model and not rebuild:
                    raise ModelUnavailable(f"cannot update the index: {exc}. To drop semantic search, run "
                                           "`wenku build --rebuild --keyword-only`") from exc
                unavailable = str(exc)
                log(f"semantic search unavailable: {exc}; building the keyword index only")
    if encoder is not None and settings.ray is not None:
        encoder = RayEncoder(encoder, encoder.info.name, settings.device, settings.ray)
    writer = IndexWriter(layout, base, encoder, unavailable=unavailable, log=log, progress=progress,
                         context=context, window_chars=window_chars, dictionary=dictionary, settings=settings)
    if not rebuild:
        writer.verify_base()  # a rebuild needs nothing from the old segments
    return writer


def build_index(corpus: Path, index_dir: Path, model: str | None = None, *, rebuild: bool = False,
                keyword_only: bool = False, encoder: Encoder | None = None, log: Log = print,
                progress: bool = False, wait: float = 0.0, context: ContextSettings | None = None,
                window_chars: int | None = None, dictionary: Sequence[Entry] | None = None,
                settings: WriterSettings = DEFAULT_WRITER) -> UpdateReport:
    """Bring the index in step with the corpus folder: new, changed and deleted files (all of it with rebuild).

    `dictionary` replaces the index's user dictionary ([] removes it; None keeps it); a change re-analyses
    every article (vectors come from the embedding cache).

    `context` (where passage context is used) and `window_chars` (embedding windows, 0 for whole passages only)
    override the defaults, which were measured best; benchmarks compare the choices. `settings` tunes segment
    merging, generation retention and the vector index type.
    """
    if not corpus.is_dir():
        raise IndexNotFound(f"corpus folder {corpus} does not exist")
    layout = IndexLayout(index_dir)
    reader = ArticleReader(layout.cache_dir, settings.extract, progress=progress)
    # Documents are extracted (and OCR'd) into the cache before the writer lock is taken, so writes through the API
    # are not kept waiting for it; under the lock the corpus is read again, from the cache.
    reader.warm(corpus)
    with layout.writer_lock(wait):
        try:
            writer = open_writer(layout, model, keyword_only=keyword_only, rebuild=rebuild, retry_default=True,
                                 encoder=encoder, log=log, progress=progress, context=context,
                                 window_chars=window_chars, dictionary=dictionary, settings=settings)
        except IndexOutdated as exc:
            log(f"{exc}; rebuilding everything")
            rebuild = True
            writer = open_writer(layout, model, keyword_only=keyword_only, rebuild=True, retry_default=True,
                                 encoder=encoder, log=log, progress=progress, context=context,
                                 window_chars=window_chars, dictionary=dictionary, settings=settings)
        if writer.base is not None and not writer.incremental and not rebuild:
            log("index settings changed (model, dictionary, tokenizer or chunker): rebuilding everything")
            rebuild = True
        articles, skipped = reader.read_corpus(corpus)
        for entry in skipped:
            log(f"skipped {entry.path}: {entry.reason}")
        present = {a.id for a in articles} | {article_id_for(s.path) for s in skipped}
        # A file that exists but cannot be read now keeps its last good version in the index.
        deletes = [] if rebuild else [i for i in writer.live_articles() if i not in present]
        return writer.apply(corpus, articles, deletes, rebuild=rebuild, failed=skipped)
