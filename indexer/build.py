"""Index updates as users see them: build (incremental or full), add files, remove articles."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from .chunk import ChunkerSettings, chunk_article
from .context import ContextSettings
from .crash import reached
from .dictionary import Entry
from .encoders import DEFAULT_MODEL, Encoder, load_encoder
from .encoders.ray_pool import RayEncoder
from .errors import ArticleError, IndexNotFound, IndexOutdated, ModelUnavailable, NotFound
from .ingest import Article, article_id_for, check_file_name, files_with_id, parse_article, read_corpus
from .layout import IndexLayout
from .manifest import Manifest
from .schema import ArticleInput
from .settings import DEFAULT_WRITER, WriterSettings
from .writer import IndexWriter, UpdateReport

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
        articles, skipped = read_corpus(corpus)
        for entry in skipped:
            log(f"skipped {entry.path}: {entry.reason}")
        present = {a.id for a in articles} | {article_id_for(s.path) for s in skipped}
        # A file that exists but cannot be read now keeps its last good version in the index.
        deletes = [] if rebuild else [i for i in writer.live_articles() if i not in present]
        return writer.apply(corpus, articles, deletes, rebuild=rebuild, failed=skipped)


def add_files(corpus: Path, index_dir: Path, files: Sequence[tuple[str, bytes]], *, model: str | None = None,
              encoder: Encoder | None = None, log: Log = print, wait: float = 0.0,
              settings: WriterSettings = DEFAULT_WRITER) -> UpdateReport:
    """Store named file contents in the corpus (durably, before anything else) and index them in one update.

    Every file is checked first, so one bad file rejects the call before anything is written. A file whose id an
    existing file already has (ids ignore case and compatibility forms: `Dup`, `dup`, `ＤＵＰ`) replaces it: one
    file per article on disk.
    """
    articles: list[tuple[Path, bytes, Article]] = []
    for name, raw in files:
        base = check_file_name(name)
        try:
            article = parse_article(raw, base)
        except ArticleError as exc:
            raise ArticleError(f"{base}: {exc}") from exc
        if not chunk_article(article, ChunkerSettings()):
            raise ArticleError(f"{base}: nothing to index (no text besides headings and front matter)")
        if any(article.id == other.id for _, _, other in articles):
            raise ArticleError(f"{base}: two files of this request have the article id {article.id!r}")
        articles.append((corpus / base, raw, article))
    layout = IndexLayout(index_dir)
    with layout.writer_lock(wait):
        writer = open_writer(layout, model, encoder=encoder, log=log, settings=settings)
        live = writer.live_articles([article.id for _, _, article in articles])
        for target, raw, article in articles:
            layout.write_durably(target, raw)
            # The indexed file of the same id (found by the index, not by listing the corpus) goes once the new
            # one is durable: a crash in between leaves one or the other.
            if article.id in live and corpus / live[article.id][2] != target:
                (corpus / live[article.id][2]).unlink(missing_ok=True)
        reached("article-stored")
        return writer.apply(corpus, [article for _, _, article in articles], [])


def remove_articles(corpus: Path, index_dir: Path, article_ids: Sequence[str], *, model: str | None = None,
                    encoder: Encoder | None = None, log: Log = print, wait: float = 0.0) -> UpdateReport:
    """Delete articles from the corpus folder, then from the index; raise NotFound for an unknown id."""
    layout = IndexLayout(index_dir)
    with layout.writer_lock(wait):
        writer = open_writer(layout, model, encoder=encoder, log=log)
        live = writer.live_articles(list(article_ids))
        missing = [i for i in article_ids if i not in live]
        if missing:
            raise NotFound(f"no article with id {', '.join(map(repr, missing))}")
        # The files go first: a crash in between leaves an index the next build corrects, never a resurrection.
        # Every file with the id goes, not only the indexed one, or a later build would bring the article back.
        for article_id, (_, _, path) in live.items():
            for other in {corpus / path, *files_with_id(corpus, article_id)}:
                other.unlink(missing_ok=True)
        return writer.apply(corpus, [], list(article_ids))


def markdown_file(article: ArticleInput) -> tuple[str, bytes]:
    """An article sent as fields (the write API's JSON), as the Markdown file the corpus keeps: (name, bytes).

    The name is the given id, else the day and a hash of the content (the same article sent twice in a day is one
    file).
    """
    meta = {k: v for k, v in article.model_dump(include={"title", "date", "source", "url"}).items() if v}
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    text = f"---\n{front}---\n{article.text.strip()}\n"
    name = article.id or f"{dt.date.today().isoformat()}-{hashlib.sha1(text.encode()).hexdigest()[:10]}"
    return f"{name}.md", text.encode()
