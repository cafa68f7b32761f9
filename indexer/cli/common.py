"""The `wenku` command group and what its commands share: options, error translation, log lines."""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click

from ..errors import QueryError, WenkuError
from ..settings import EXTRACT_ENVIRONMENT, Device, ExtractSettings

if TYPE_CHECKING:
    from ..index.writer import UpdateReport

F = Callable[..., Any]
LOCAL = "local"  # --ray given without an address: start a local cluster


def handle_errors(command: F) -> F:
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


def index_option(command: F) -> F:
    return click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), default="index",
                        envvar="WENKU_INDEX", show_default=True, show_envvar=True,
                        help="Index directory.")(command)


def corpus_option(command: F) -> F:
    return click.option("--corpus", type=click.Path(file_okay=False, path_type=Path), default="corpus",
                        envvar="WENKU_CORPUS", show_default=True, show_envvar=True,
                        help="Folder of article files (.txt, .md).")(command)


def model_option(default: str | None, help_text: str) -> Callable[[F], F]:
    return click.option("--model", default=default, envvar="WENKU_MODEL", show_default=bool(default),
                        show_envvar=True, help=help_text)


def writer_options(command: F) -> F:
    """--corpus, --index and --model, as every command that changes the index takes them."""
    return corpus_option(index_option(model_option(None, "Model (default: the index's).")(command)))


def embedding_options(command: F) -> F:
    """--device, the --ray options and the document limits, handed to the command as one `settings`
    (WriterSettings)."""
    @functools.wraps(command)
    def wrapper(*args: Any, device: str, ray: str | None, ray_actors: int | None, ray_batch_size: int,
                ray_threads: int, max_pages: int, max_seconds: float, ocr: bool, **kwargs: Any) -> Any:
        from ..settings import ExtractSettings, RaySettings, WriterSettings

        cluster = RaySettings(address=None if ray == LOCAL else ray, actors=ray_actors, batch_size=ray_batch_size,
                              threads=ray_threads) if ray else None
        extract = ExtractSettings(max_pages=max_pages, max_seconds=max_seconds, ocr=ocr)
        return command(*args, settings=WriterSettings(device=device, ray=cluster, extract=extract), **kwargs)

    defaults = ExtractSettings()
    options = [
        click.option("--device", type=click.Choice(get_args(Device)), default="auto", show_default=True,
                     envvar="WENKU_DEVICE", show_envvar=True,
                     help="Where the model runs: auto is a GPU when there is one (sentence-transformers models; "
                          "the bundled engine is CPU-only). The index does not depend on it."),
        click.option("--ray", is_flag=False, flag_value=LOCAL, default=None, metavar="[ADDRESS]",
                     envvar="WENKU_RAY_ADDRESS", show_envvar=True,
                     help="Embed on a Ray cluster (needs wenku[ray]): --ray alone starts a local one, --ray auto "
                          "joins the one running here, --ray HOST:PORT or ray://HOST:PORT a remote one."),
        click.option("--ray-actors", type=click.IntRange(1, 4096), default=None,
                     help="Encoder actors in the pool [default: one per GPU, else the cluster's CPUs / threads]."),
        click.option("--ray-batch-size", type=click.IntRange(1, 4096), default=32, show_default=True,
                     help="Texts per batch an actor encodes."),
        click.option("--ray-threads", type=click.IntRange(1, 256), default=1, show_default=True,
                     help="CPU threads per actor."),
        click.option("--max-pages", type=click.IntRange(1), default=defaults.max_pages, show_default=True,
                     envvar=EXTRACT_ENVIRONMENT["max_pages"], show_envvar=True,
                     help="Pages of one document (PDF, TIFF, EPUB chapters); a longer one is skipped and listed."),
        click.option("--max-seconds", type=click.FloatRange(1), default=defaults.max_seconds, show_default=True,
                     envvar=EXTRACT_ENVIRONMENT["max_seconds"], show_envvar=True,
                     help="Seconds one document may take to read (OCR included); past it, it is skipped and listed."),
        click.option("--ocr/--no-ocr", default=defaults.ocr, show_default=True, envvar=EXTRACT_ENVIRONMENT["ocr"],
                     show_envvar=True, help="Read scans, photos and pages without a usable text layer by OCR."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wenku")
def main() -> None:
    """Wenku (文库): search Chinese articles by speaker and paragraph, by keyword and by meaning."""


def log_line(line: str) -> None:
    click.echo(line, err=True)


def summary_line(report: UpdateReport, index_dir: Path, started: float) -> str:
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


def filter_options(command: F) -> F:
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


def filter_values(params: dict[str, Any]) -> dict[str, Any]:
    """Click's values as request values (tuples as lists, unset options left out)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items() if v not in (None, ())}
