"""Updates of named articles: files added (from the CLI or an upload), articles removed, JSON articles as files."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from ..embed.encoders import Encoder
from ..errors import ArticleError, NotFound
from ..index.crash import reached
from ..index.layout import IndexLayout
from ..index.writer import UpdateReport
from ..ingest.article import Article
from ..ingest.chunk import ChunkerSettings, chunk_article
from ..ingest.files import check_file_name, files_with_id
from ..ingest.reader import ArticleReader, Source
from ..schema import ArticleInput
from ..settings import DEFAULT_WRITER, WriterSettings
from .build import open_writer

Log = Callable[[str], None]


def add_files(corpus: Path, index_dir: Path, files: Sequence[tuple[str, bytes]], *, model: str | None = None,
              encoder: Encoder | None = None, log: Log = print, wait: float = 0.0,
              settings: WriterSettings = DEFAULT_WRITER) -> UpdateReport:
    """Store named file contents in the corpus (durably, before anything else) and index them in one update.

    Every file is checked first, so one bad file rejects the call before anything is written. A file whose id an
    existing file already has (ids ignore case and compatibility forms: `Dup`, `dup`, `ＤＵＰ`) replaces it: one
    file per article on disk.
    """
    layout = IndexLayout(index_dir)
    names = [check_file_name(name) for name, _ in files]
    read = ArticleReader(layout.cache_dir, settings.extract).read(
        [Source(base, data=raw) for base, (_, raw) in zip(names, files)])
    articles: list[tuple[Path, bytes, Article]] = []
    for base, (_, raw), article in zip(names, files, read):
        if not isinstance(article, Article):
            raise ArticleError(f"{base}: {article.reason}")
        if not chunk_article(article, ChunkerSettings()):
            raise ArticleError(f"{base}: nothing to index (no text besides headings and front matter)")
        if any(article.id == other.id for _, _, other in articles):
            raise ArticleError(f"{base}: two files of this request have the article id {article.id!r}")
        articles.append((corpus / base, raw, article))
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
