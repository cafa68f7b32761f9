"""The `wenku` command line: build, search, info."""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .encoders import DEFAULT_MODEL
from .errors import QueryError, WenkuError
from .export import FORMATS
from .schema import (MAX_EXPORT, MAX_K, MODES, SORTS, ExportRequest, Filters, ListRequest, SearchRequest,
                     SearchResponse)

if TYPE_CHECKING:
    from .writer import UpdateReport

F = Callable[..., Any]


def _handle_errors(command: F) -> F:
    """Translate Wenku errors into one-line messages and exit codes (2: bad request, 1: anything else)."""
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except QueryError as exc:
            raise click.UsageError(str(exc)) from exc
        except WenkuError as exc:
            raise click.ClickException(str(exc)) from exc
        except sqlite3.DatabaseError as exc:  # a store damaged after it was opened and checked
            raise click.ClickException(f"the index is damaged: {exc} (run `wenku check`)") from exc
        except OSError as exc:
            raise click.ClickException(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from exc
    return wrapper


def _index_option(command: F) -> F:
    return click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), default="index",
                        envvar="WENKU_INDEX", show_default=True, show_envvar=True,
                        help="Index directory.")(command)


def _corpus_option(command: F) -> F:
    return click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default="corpus",
                        envvar="WENKU_CORPUS", show_default=True, show_envvar=True,
                        help="Folder of article files (.txt, .md).")(command)


def _model_option(default: str | None, help_text: str) -> Callable[[F], F]:
    return click.option("--model", default=default, envvar="WENKU_MODEL", show_default=bool(default),
                        show_envvar=True, help=help_text)


def _writer_options(command: F) -> F:
    """--corpus, --index and --model, as every command that changes the index takes them."""
    return _corpus_option(_index_option(_model_option(None, "Model (default: the index's).")(command)))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wenku")
def main() -> None:
    """Wenku (文库): search Chinese articles by speaker and paragraph, by keyword and by meaning."""


def _log(line: str) -> None:
    click.echo(line, err=True)


def _summary(report: UpdateReport, index_dir: Path, started: float) -> str:
    """One line saying what an update did."""
    m = report.manifest
    assert m is not None
    changes = (f"+{len(report.added)} -{len(report.removed)} articles ({sum(report.passages_added.values())} "
               f"passages added, {report.unchanged} unchanged)")
    semantic = (f"model {m.model.name} ({m.model.dimension}-d), embedded {report.embedded} texts (passages and "
                f"their windows), reused {report.reused_vectors} cached" if m.model else "keyword only")
    merged = f" ({report.merged_segments} merged)" if report.merged_segments else ""
    return (f"{changes}; index {index_dir} generation {m.generation}: {m.counts.articles} articles, "
            f"{m.counts.passages} passages, {len(m.segments)} segments{merged}; {semantic}; "
            f"{time.perf_counter() - started:.1f} s")


@main.command()
@_corpus_option
@_index_option
@_model_option(None, f"Model: {DEFAULT_MODEL} (bundled), or a sentence-transformers hub name or local "
                     f"directory [default: the index's model, or {DEFAULT_MODEL}].")
@click.option("--keyword-only", is_flag=True, help="Build without an embedding model, on purpose.")
@click.option("--rebuild", is_flag=True, help="Re-index everything instead of only new, changed and deleted files.")
@_handle_errors
def build(corpus: Path, index_dir: Path, model: str | None, keyword_only: bool, rebuild: bool) -> None:
    """Bring the index in step with the corpus folder (incremental unless --rebuild)."""
    from .build import build_index

    started = time.perf_counter()
    report = build_index(corpus, index_dir, model, rebuild=rebuild, keyword_only=keyword_only, log=_log,
                         progress=sys.stderr.isatty())
    click.echo(_summary(report, index_dir, started))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_writer_options
@_handle_errors
def add(files: tuple[Path, ...], corpus: Path, index_dir: Path, model: str | None) -> None:
    """Copy article files into the corpus and index them (one update for all)."""
    from .build import add_files

    started = time.perf_counter()
    report = add_files(corpus, index_dir, [(f.name, f.read_bytes()) for f in files], model=model, log=_log)
    click.echo(_summary(report, index_dir, started))


@main.command()
@click.argument("article_ids", nargs=-1, required=True)
@_writer_options
@_handle_errors
def remove(article_ids: tuple[str, ...], corpus: Path, index_dir: Path, model: str | None) -> None:
    """Delete articles (by id) from the corpus folder and the index."""
    from .build import remove_articles

    started = time.perf_counter()
    report = remove_articles(corpus, index_dir, list(article_ids), model=model, log=_log)
    click.echo(_summary(report, index_dir, started))


@main.command()
@_writer_options
@click.option("--settle", type=click.FloatRange(0.1, 60), default=1.0, show_default=True,
              help="Seconds a file must stay unchanged before it is indexed.")
@_handle_errors
def watch(corpus: Path, index_dir: Path, model: str | None, settle: float) -> None:
    """Keep the index in step with the corpus folder as files appear, change or disappear."""
    from .watch import watch_corpus

    watch_corpus(corpus, index_dir, model, settle=settle, log=_log)


def _filter_options(command: F) -> F:
    """Facet and date filters, as search, articles and facets take them (repeat a facet option for OR)."""
    options = [
        click.option("--speaker", multiple=True, help="Only passages by this speaker (e.g. 劳茂昌); repeatable."),
        click.option("--region", multiple=True, help="Only passages from this region (e.g. 蓬江区); repeatable."),
        click.option("--source", multiple=True, help="Only articles from this source; repeatable."),
        click.option("--year", multiple=True, help="Only articles of this year (e.g. 2024); repeatable."),
        click.option("--article", multiple=True, help="Only this article id; repeatable."),
        click.option("--from", "date_from", help="Only articles dated on or after: 2024, 2024-05 or 2024-05-31."),
        click.option("--to", "date_to", help="Only articles dated on or before: 2024, 2024-05 or 2024-05-31."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _filters(params: dict[str, Any]) -> dict[str, Any]:
    """Click's values as request values (tuples as lists, unset options left out)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items() if v not in (None, ())}


@main.command()
@click.argument("query")
@_index_option
@_model_option(None, "Model to embed the query with (default: the one the index was built with).")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("-k", "k", type=click.IntRange(1, MAX_EXPORT), default=None,
              help=f"Results per page [default: 10; {MAX_EXPORT} for csv and jsonl; at most {MAX_K} otherwise].")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Results to skip.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="By relevance, or by article date.")
@click.option("--collapse/--no-collapse", default=True, show_default=True,
              help="Show each group of syndicated copies once, at its earliest article.")
@_filter_options
@click.option("--semantic-ratio", type=click.FloatRange(0, 1), default=None,
              help="Hybrid weighting: 0 = keyword only, 1 = semantic only [default: the tuned default].")
@click.option("--format", "fmt", type=click.Choice(["text", "json", *FORMATS]), default="text", show_default=True,
              help="text for reading; json: the response object; csv or jsonl: the results, for export.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@_handle_errors
def search(query: str, index_dir: Path, model: str | None, fmt: str, as_json: bool, **params: Any) -> None:
    """Search the index and print ranked passages."""
    from .export import export
    from .searcher import Searcher

    fmt = "json" if as_json else fmt
    model_type = ExportRequest if fmt in FORMATS else SearchRequest
    request = model_type.parse(q=query, **_filters(params))
    response = Searcher.open(index_dir, model).search(request, with_facets=False)
    if fmt in FORMATS:
        click.echo(export(response, fmt, request.offset).removeprefix("\ufeff"), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(response.contract(), ensure_ascii=False, indent=2))
    else:
        _print_response(response)


@main.command()
@_index_option
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=20, show_default=True, help="Articles per page.")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Articles to skip.")
@click.option("--sort", type=click.Choice(["newest", "oldest"]), default="newest", show_default=True)
@_filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the JSON listing (as GET /api/articles).")
@_handle_errors
def articles(index_dir: Path, as_json: bool, **params: Any) -> None:
    """List articles by date, without a query (the same filters as search)."""
    from .searcher import Searcher

    listing = Searcher.open(index_dir, load_model=False).articles(ListRequest.parse(**_filters(params)),
                                                                  with_facets=as_json)
    if as_json:
        click.echo(listing.model_dump_json(indent=2))
        return
    click.echo(f"{listing.total} articles, {listing.sort} first" +
               (f", showing {len(listing.articles)} from {listing.offset + 1}" if listing.total else ""))
    for a in listing.articles:
        speakers = f" · {'、'.join(a.speakers)}" if a.speakers else ""
        click.echo(f"{a.date or '（无日期）':<12} {a.id}  《{a.title}》{' · ' + a.source if a.source else ''}"
                   f"{speakers} · {a.passages} 段")


@main.command()
@_index_option
@_filter_options
@_handle_errors
def facets(index_dir: Path, **params: Any) -> None:
    """Speakers, regions, sources and years with article counts, as JSON (as GET /api/facets)."""
    from .searcher import Searcher

    found = Searcher.open(index_dir, load_model=False).facets(Filters.parse(**_filters(params)))
    click.echo(found.model_dump_json(indent=2))


def _print_response(response: SearchResponse) -> None:
    """Human-readable results: who said it, where, the passage with matches emphasised."""
    for warning in response.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    shown = len(response.results)
    mode = response.mode if response.semantic_ratio is None else f"{response.mode}, semantic ratio " \
        f"{response.semantic_ratio:g}"
    click.echo(f"{response.total} results for {response.query!r} ({mode}, {response.took_ms:.1f} ms)"
               + (f", showing {shown}" if shown < response.total else ""))
    for hit in response.results:
        who = hit.speaker or "—"
        if hit.role or hit.region:
            who += f"（{'，'.join(filter(None, (hit.role, hit.region)))}）"
        click.echo("")
        click.secho(f"{hit.score:.4f}  {who}", bold=True)
        click.echo(f"        《{hit.article_title}》{' ' + hit.date if hit.date else ''} · "
                   f"{hit.section or ''} · 第{hit.paragraph}段 · {hit.id}")
        click.echo("        " + _terminal_highlight(hit.highlight))
        parts = [f"{name} #{s.rank} ({s.score:.3f})" for name, s in
                 (("keyword", hit.scores.keyword), ("semantic", hit.scores.semantic)) if s is not None]
        click.secho("        " + "  ".join(parts), dim=True)


def _terminal_highlight(highlight_html: str) -> str:
    """Turn the HTML highlight into terminal emphasis (plain brackets when not a TTY)."""
    import html

    open_mark, close_mark = ("\x1b[1;33m", "\x1b[0m") if sys.stdout.isatty() else ("【", "】")
    return html.unescape(highlight_html.replace("<mark>", open_mark).replace("</mark>", close_mark))


@main.command()
@_index_option
@_model_option(None, "Model to check against the index (default: the one it was built with).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@_handle_errors
def info(index_dir: Path, model: str | None, as_json: bool) -> None:
    """Show what the index holds: articles, passages, model, dimension, modes available."""
    from .searcher import Searcher

    details = Searcher.open(index_dir, model).info()
    if as_json:
        click.echo(details.model_dump_json(indent=2))
        return
    for key, value in details.model_dump().items():
        if key in ("failed", "pending"):
            click.echo(f"{key:>20}: {len(value)} files")
            for entry in value:
                click.echo(f"{'':>22}{entry['path']}: {entry['reason']}")
        else:
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
            click.echo(f"{key:>20}: {shown}")


@main.command()
@_index_option
@_handle_errors
def check(index_dir: Path) -> None:
    """Verify the index completely: every file's checksum, every SQLite store, every segment (exit 1 if damaged)."""
    from .check import check_index

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
@_corpus_option
@_index_option
@_model_option(None, "Model (default: the index's; when building a missing index: " + DEFAULT_MODEL + ").")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True, help="Threads per worker.")
@_handle_errors
def serve(corpus: Path, index_dir: Path, model: str | None, host: str, port: int, workers: int,
          threads: int) -> None:
    """Serve the search page and JSON API with gunicorn; builds the index first if there is none."""
    from webapp.server import check_address, serve as run_server

    from .layout import IndexLayout

    check_address(host, port)
    if IndexLayout(index_dir).current_generation() is None:
        click.echo(f"no index at {index_dir}; building it from {corpus} first", err=True)
        from .build import build_index

        build_index(corpus, index_dir, model, log=_log, progress=True)
    check_address(host, port)  # again: a build can take minutes
    click.echo(f"serving http://{host}:{port}/ (index {index_dir}, {workers} workers × {threads} threads)", err=True)
    # Writes through the API go to the corpus given here, else to the one the index was built from.
    given = click.get_current_context().get_parameter_source("corpus") != click.core.ParameterSource.DEFAULT
    run_server({"WENKU_INDEX": str(index_dir), "WENKU_MODEL": model, "WENKU_CORPUS": str(corpus) if given else None},
               host, port, workers, threads)


@main.command(name="eval")
@click.argument("qrels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_index_option
@_model_option(None, "Model to embed queries with (default: the index's).")
@click.option("--mode", "modes", type=click.Choice(MODES), multiple=True,
              help="Mode to evaluate (repeatable) [default: every mode the index can serve].")
@click.option("-k", "k", type=click.IntRange(10, MAX_K), default=10, show_default=True, help="Ranking depth.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON instead of a table.")
@_handle_errors
def evaluate(qrels: Path, index_dir: Path, model: str | None, modes: tuple[str, ...], k: int, as_json: bool) -> None:
    """Recall@1/5/10, MRR@10 and nDCG@10 of each mode on QRELS (JSONL, or SQuAD-style JSON such as CMRC 2018)."""
    from .evaluate import Retrieved, evaluate as run_evaluation, load_qrels
    from .searcher import Searcher

    judgements = load_qrels(qrels)
    searcher = Searcher.open(index_dir, model)
    figures: dict[str, dict[str, float] | str] = {}
    for mode in modes or tuple(searcher.modes):
        if mode not in searcher.modes:
            figures[mode] = f"unavailable: {searcher.semantic_unavailable}"
            continue

        def run(q: str, mode: str = mode) -> list[Retrieved]:
            request = SearchRequest.parse(q=q, mode=mode, k=k)
            return [Retrieved(h.article_id, h.text) for h in searcher.search(request, with_facets=False).results]

        figures[mode] = run_evaluation(judgements, run)
    if as_json:
        click.echo(json.dumps({"qrels": str(qrels), "index": str(index_dir), "k": k, "modes": figures},
                              ensure_ascii=False, indent=2))
        return
    columns = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
    click.echo(f"{'mode':<10}" + "".join(f"{c:>11}" for c in columns) + f"{'queries':>9}")
    for mode, values in figures.items():
        if isinstance(values, str):
            click.echo(f"{mode:<10} {values}")
        else:
            click.echo(f"{mode:<10}" + "".join(f"{values[c]:>11.4f}" for c in columns) + f"{int(values['queries']):>9}")
