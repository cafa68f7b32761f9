"""Commands that read: search, articles, facets, eval."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..requests import MAX_EXPORT, MAX_K, MODES, SORTS, ExportRequest, Filters, ListRequest, SearchRequest
from ..schema import SearchResponse
from ..search.export import FORMATS
from .common import (
    filter_options,
    filter_values,
    handle_errors,
    index_option,
    main,
    model_option,
)


@main.command()
@click.argument("query")
@index_option
@model_option(None, "Model to embed the query with (default: the one the index was built with).")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("-k", "k", type=click.IntRange(1, MAX_EXPORT), default=None,
              help=f"Results per page [default: 10; {MAX_EXPORT} for csv and jsonl; at most {MAX_K} otherwise].")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Results to skip.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="By relevance, or by article date.")
@click.option("--collapse/--no-collapse", default=True, show_default=True,
              help="Show each group of syndicated copies once, at its earliest article.")
@filter_options
@click.option("--semantic-ratio", type=click.FloatRange(0, 1), default=None,
              help="Hybrid weighting: 0 = keyword only, 1 = semantic only [default: the tuned default].")
@click.option("--format", "fmt", type=click.Choice(["text", "json", *FORMATS]), default="text", show_default=True,
              help="text for reading; json: the response object; csv or jsonl: the results, for export.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@handle_errors
def search(query: str, index_dir: Path, model: str | None, fmt: str, as_json: bool, **params: Any) -> None:
    """Search the index and print ranked passages.

    QUERY may say who and how: speaker:王海洋 (also region:, source:), "an exact phrase" in quotes, -word to leave
    passages out. A QUERY of filters only (or '' with --speaker) lists their passages, newest first."""
    from ..search.export import export
    from ..search.searcher import Searcher

    fmt = "json" if as_json else fmt
    model_type = ExportRequest if fmt in FORMATS else SearchRequest
    request = model_type.parse(q=query, **filter_values(params))
    response = Searcher.open(index_dir, model).search(request, with_facets=False)
    if fmt in FORMATS:
        click.echo(export(response, fmt, request.offset).removeprefix("\ufeff"), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(response.contract(), ensure_ascii=False, indent=2))
    else:
        _print_response(response)


@main.command()
@index_option
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=20, show_default=True, help="Articles per page.")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Articles to skip.")
@click.option("--sort", type=click.Choice(["newest", "oldest"]), default="newest", show_default=True)
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the JSON listing (as GET /api/articles).")
@handle_errors
def articles(index_dir: Path, as_json: bool, **params: Any) -> None:
    """List articles by date, without a query (the same filters as search)."""
    from ..search.searcher import Searcher

    listing = Searcher.open(index_dir, load_model=False).articles(ListRequest.parse(**filter_values(params)),
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
@index_option
@filter_options
@handle_errors
def facets(index_dir: Path, **params: Any) -> None:
    """Speakers, regions, sources and years with article counts, as JSON (as GET /api/facets)."""
    from ..search.searcher import Searcher

    found = Searcher.open(index_dir, load_model=False).facets(Filters.parse(**filter_values(params)))
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
                   f"{hit.section or ''} · 第{hit.paragraph}段{f' · 第{hit.page}页' if hit.page else ''} · {hit.id}")
        click.echo("        " + _terminal_highlight(hit.highlight))
        parts = [f"{name} #{s.rank} ({s.score:.3f})" for name, s in
                 (("keyword", hit.scores.keyword), ("semantic", hit.scores.semantic)) if s is not None]
        click.secho("        " + "  ".join(parts), dim=True)


def _terminal_highlight(highlight_html: str) -> str:
    """Turn the HTML highlight into terminal emphasis (plain brackets when not a TTY)."""
    import html

    open_mark, close_mark = ("\x1b[1;33m", "\x1b[0m") if sys.stdout.isatty() else ("【", "】")
    return html.unescape(highlight_html.replace("<mark>", open_mark).replace("</mark>", close_mark))


@main.command(name="eval")
@click.argument("qrels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@index_option
@model_option(None, "Model to embed queries with (default: the index's).")
@click.option("--mode", "modes", type=click.Choice(MODES), multiple=True,
              help="Mode to evaluate (repeatable) [default: every mode the index can serve].")
@click.option("-k", "k", type=click.IntRange(10, MAX_K), default=10, show_default=True, help="Ranking depth.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON instead of a table.")
@handle_errors
def evaluate(qrels: Path, index_dir: Path, model: str | None, modes: tuple[str, ...], k: int, as_json: bool) -> None:
    """Recall@1/5/10, MRR@10 and nDCG@10 of each mode on QRELS (JSONL, or SQuAD-style JSON such as CMRC 2018)."""
    from ..search.evaluate import Retrieved, load_qrels
    from ..search.evaluate import evaluate as run_evaluation
    from ..search.searcher import Searcher

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
