"""Commands that change or inspect the index: build, add, remove, watch, info, check, serve."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from ..embed.encoders import DEFAULT_MODEL
from ..settings import WriterSettings
from .common import (
    corpus_option,
    embedding_options,
    handle_errors,
    index_option,
    log_line,
    main,
    model_option,
    summary_line,
    writer_options,
)


@main.command()
@corpus_option
@index_option
@model_option(None, f"Model: {DEFAULT_MODEL} (bundled), or a sentence-transformers hub name or local "
                     f"directory [default: the index's model, or {DEFAULT_MODEL}].")
@click.option("--keyword-only", is_flag=True, help="Build without an embedding model, on purpose.")
@click.option("--rebuild", is_flag=True, help="Re-index everything instead of only new, changed and deleted files.")
@click.option("--dictionary", type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="WENKU_DICTIONARY",
              show_envvar=True, help="User dictionary: one word per line, optionally `word frequency`. A changed "
                                     "dictionary re-analyses every article (nothing is embedded again). "
                                     "[default: the index's]")
@click.option("--no-dictionary", is_flag=True, help="Drop the index's user dictionary.")
@embedding_options
@handle_errors
def build(corpus: Path, index_dir: Path, model: str | None, keyword_only: bool, rebuild: bool,
          dictionary: Path | None, no_dictionary: bool, settings: WriterSettings) -> None:
    """Bring the index in step with the corpus folder (incremental unless --rebuild)."""
    from ..analysis.dictionary import read_dictionary
    from ..update.build import build_index

    if dictionary is not None and no_dictionary:
        raise click.UsageError("--dictionary and --no-dictionary exclude each other")
    words = [] if no_dictionary else read_dictionary(dictionary) if dictionary is not None else None
    started = time.perf_counter()
    report = build_index(corpus, index_dir, model, rebuild=rebuild, keyword_only=keyword_only, log=log_line,
                         progress=sys.stderr.isatty() or settings.ray is not None, dictionary=words,
                         settings=settings)
    click.echo(summary_line(report, index_dir, started))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@writer_options
@embedding_options
@handle_errors
def add(files: tuple[Path, ...], corpus: Path, index_dir: Path, model: str | None, settings: WriterSettings) -> None:
    """Copy article files into the corpus and index them (one update for all)."""
    from ..update.articles import add_files

    started = time.perf_counter()
    report = add_files(corpus, index_dir, [(f.name, f.read_bytes()) for f in files], model=model, log=log_line,
                       settings=settings)
    click.echo(summary_line(report, index_dir, started))


@main.command()
@click.argument("article_ids", nargs=-1, required=True)
@writer_options
@handle_errors
def remove(article_ids: tuple[str, ...], corpus: Path, index_dir: Path, model: str | None) -> None:
    """Delete articles (by id) from the corpus folder and the index."""
    from ..update.articles import remove_articles

    started = time.perf_counter()
    report = remove_articles(corpus, index_dir, list(article_ids), model=model, log=log_line)
    click.echo(summary_line(report, index_dir, started))


@main.command()
@writer_options
@click.option("--settle", type=click.FloatRange(0.1, 60), default=1.0, show_default=True,
              help="Seconds a file must stay unchanged before it is indexed.")
@embedding_options
@handle_errors
def watch(corpus: Path, index_dir: Path, model: str | None, settle: float, settings: WriterSettings) -> None:
    """Keep the index in step with the corpus folder as files appear, change or disappear."""
    from ..update.watch import watch_corpus

    watch_corpus(corpus, index_dir, model, settle=settle, log=log_line, settings=settings)


@main.command()
@index_option
@model_option(None, "Model to check against the index (default: the one it was built with).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@handle_errors
def info(index_dir: Path, model: str | None, as_json: bool) -> None:
    """Show what the index holds: articles, passages, model, dimension, modes available."""
    from ..search.searcher import Searcher

    details = Searcher.open(index_dir, model).info()
    if as_json:
        click.echo(details.model_dump_json(indent=2))
        return
    for key, value in details.model_dump().items():
        if key == "formats":
            click.echo(f"{key:>20}: {', '.join(f'{count} {fmt}' for fmt, count in value.items()) or 'none'}")
        elif key in ("failed", "pending"):
            click.echo(f"{key:>20}: {len(value)} files")
            for entry in value:
                click.echo(f"{'':>22}{entry['path']}: {entry['reason']}")
        else:
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
            click.echo(f"{key:>20}: {shown}")


@main.command()
@index_option
@handle_errors
def check(index_dir: Path) -> None:
    """Verify the index completely: every file's checksum, every SQLite store, every segment (exit 1 if damaged)."""
    from ..index.check import check_index

    report = check_index(index_dir)
    for problem in report.problems:
        click.echo(f"damaged: {problem}", err=True)
    summary = (f"generation {report.generation}: {report.segments} segments, {report.files} files, "
               f"{report.bytes_hashed / 2**20:.1f} MiB verified")
    if not report.ok:
        raise click.ClickException(f"{len(report.problems)} problem(s) found; {summary}. "
                                   "Rebuild with `wenku build --rebuild`")
    click.echo(f"ok: {summary}")


@main.command()
@corpus_option
@index_option
@model_option(None, "Model (default: the index's; when building a missing index: " + DEFAULT_MODEL + ").")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Threads per worker.")
@click.option("--cors-origins", envvar="WENKU_CORS_ORIGINS", default="", metavar="ORIGINS",
              help="Comma-separated origins whose pages may call GET /api/* (env WENKU_CORS_ORIGINS) [default: none].")
@click.option("--api-token", envvar="WENKU_API_TOKEN", default="", metavar="TOKEN",
              help="Bearer token that turns on the write routes; prefer the env WENKU_API_TOKEN, which `ps` does "
                   "not show [default: writes off].")
@handle_errors
def serve(corpus: Path, index_dir: Path, model: str | None, host: str, port: int, workers: int,
          threads: int, cors_origins: str, api_token: str) -> None:
    """Serve the search page and JSON API with gunicorn; builds the index first if there is none."""
    from webapp.server import check_address
    from webapp.server import serve as run_server

    from ..index.layout import IndexLayout

    check_address(host, port)
    if IndexLayout(index_dir).current_generation() is None:
        click.echo(f"no index at {index_dir}; building it from {corpus} first", err=True)
        from ..update.build import build_index

        build_index(corpus, index_dir, model, log=log_line, progress=True)
    check_address(host, port)  # again: a build can take minutes
    click.echo(f"serving http://{host}:{port}/ (index {index_dir}, {workers} workers × {threads} threads)", err=True)
    # Writes through the API go to the corpus given here, else to the one the index was built from.
    given = click.get_current_context().get_parameter_source("corpus") != click.core.ParameterSource.DEFAULT
    run_server({"WENKU_INDEX": str(index_dir), "WENKU_MODEL": model, "WENKU_CORPUS": str(corpus) if given else None,
                "WENKU_CORS_ORIGINS": cors_origins, "WENKU_API_TOKEN": api_token}, host, port, workers, threads)
