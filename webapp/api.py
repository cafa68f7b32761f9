"""The JSON API under /api: search, articles, similar passages, health, OpenAPI; errors in one JSON shape."""

from __future__ import annotations

import hmac
import json
import logging
import mimetypes
from pathlib import Path

from flask import Blueprint, Response, current_app, g, jsonify, request, send_file
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from indexer.errors import (
    NotFound,
    QueryError,
    Unauthorized,
    WritesDisabled,
)
from indexer.ingest.files import article_id_for
from indexer.requests import FILTER_NAMES, ExportRequest, Filters, ListRequest, SearchRequest
from indexer.schema import ArticleInput, ArticleRemoved, ArticleWritten, Health
from indexer.search.export import FORMATS, export
from indexer.settings import WriterSettings
from indexer.update.articles import add_files, markdown_file, remove_articles

from .holder import current_holder, current_searcher
from .openapi import openapi_document
from .params import SINGLE, search_values, unknown_parameters

api = Blueprint("api", __name__)
log = logging.getLogger(__name__)

WRITE_WAIT = 30.0  # seconds a write request waits for another writer before answering 503


def _int_arg(name: str, default: int) -> int:
    """An integer query parameter, or a 400 naming it."""
    raw = request.args.get(name, "")
    try:
        return int(raw) if raw else default
    except ValueError:
        raise QueryError(f"{name}: must be a number, got {raw[:40]!r}") from None


SEARCH_PARAMETERS = (*SINGLE, *FILTER_NAMES)


def _search(values: dict[str, object], fmt: str | None, warnings: list[str] | None = None) -> Response:
    """Run a search from raw values: JSON with facets, or the results exported as CSV or JSON Lines."""
    if fmt in (None, "", "json"):
        response = current_searcher().search(SearchRequest.parse(**{"q": "", **values}))
        response.warnings.extend(warnings or [])
        return jsonify(response.model_dump())
    if fmt not in FORMATS:
        raise QueryError(f"format: must be one of json, {', '.join(FORMATS)}")
    search_request = ExportRequest.parse(**{"q": "", **values})
    response = current_searcher().search(search_request, with_facets=False)
    body = export(response, fmt, search_request.offset)
    mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="wenku-search.{fmt}"',
        "X-Wenku-Total": str(response.total)})


@api.get("/search")
def search() -> Response:
    """Ranked passages for a query: the CLI's JSON contract plus facets (or an export, with `format`)."""
    return _search(search_values(request.args), request.args.get("format"),
                   unknown_parameters(request.args, (*SEARCH_PARAMETERS, "format")))


@api.post("/search")
def search_by_body() -> Response:
    """The same search with its parameters in a JSON body: for queries too long for a URL."""
    body = _json_body()
    if not isinstance(body, dict):
        raise QueryError("send a JSON object such as {\"q\": \"...\", \"mode\": \"hybrid\"}")
    unknown = sorted(set(body) - set(SEARCH_PARAMETERS) - {"format"})
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0]!r} (expected {', '.join(SEARCH_PARAMETERS)}, format)")
    fmt = body.pop("format", None)
    if fmt is not None and not isinstance(fmt, str):
        raise QueryError("format: must be a string")
    return _search({name: value for name, value in body.items() if value is not None}, fmt)


@api.get("/articles")
def list_articles() -> Response:
    """Articles by date (no query), under the same filters as search, with facets counting articles."""
    values = search_values(request.args, single=("k", "offset", "sort", "date_from", "date_to"))
    return jsonify(current_searcher().articles(ListRequest.parse(**values)).model_dump())


@api.get("/facets")
def facets() -> Response:
    """Speakers, regions, sources and years with article counts, over the archive or the filtered part."""
    values = search_values(request.args, single=("date_from", "date_to"))
    return jsonify(current_searcher().facets(Filters.parse(**values)).model_dump())


def _json_body() -> object:
    """The request's JSON body, or a 400 (malformed, nested too deeply) or 413 (over the size limit)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    data = request.get_data(cache=True)
    # A chunked body has no Content-Length to check up front: the read stops at the limit, so reaching it means
    # the body was cut there (without this check it reads as truncated JSON: a misleading 400).
    if limit is not None and request.content_length is None and len(data) >= limit:
        raise RequestEntityTooLarge(f"the body exceeds the limit of {limit} bytes")
    if not request.is_json:
        raise QueryError("send a JSON body (Content-Type: application/json)")
    try:
        return json.loads(data)
    except RecursionError:
        raise QueryError("the body is nested too deeply") from None
    except ValueError as exc:
        raise QueryError(f"the body is not valid JSON: {exc}") from None


@api.get("/articles/<article_id>")
def article(article_id: str) -> Response:
    """A whole article with its passages."""
    return jsonify(current_searcher().article(article_id).model_dump())


# Originals are served as they came, but never as part of this site: an HTML or SVG original runs no script and
# reaches nothing here (a sandboxed, opaque origin); a PDF is left to the browser's viewer, which a sandbox blocks.
ORIGINAL_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
PDF_POLICY = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
MIMETYPES = {".md": "text/markdown", ".txt": "text/plain", ".docx": "application/vnd.openxmlformats-officedocument."
             "wordprocessingml.document", ".epub": "application/epub+zip", ".wps": "application/vnd.ms-works",
             ".webp": "image/webp"}


@api.get("/articles/<article_id>/original")
def original(article_id: str) -> Response:
    """The article's file as it came (the bytes in the corpus), with its media type; PDFs open at #page=N."""
    relative, fmt, encoding = current_searcher().original(article_id)
    corpus = _corpus().resolve()
    path = (corpus / relative).resolve()
    if not path.is_relative_to(corpus) or not path.is_file():
        raise NotFound(f"the original file of {article_id!r} is no longer in the corpus")
    suffix = path.suffix.lower()
    mimetype = MIMETYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = send_file(path, mimetype=mimetype, download_name=path.name, conditional=True, max_age=0)
    if fmt in ("txt", "md"):  # the encoding the file was read in (Werkzeug would claim UTF-8)
        response.headers["Content-Type"] = f"{mimetype}; charset={encoding.removesuffix('-sig')}"
    elif mimetype.startswith("text/"):  # a web page declares its own charset
        response.headers["Content-Type"] = mimetype
    response.headers["Content-Security-Policy"] = PDF_POLICY if suffix == ".pdf" else ORIGINAL_POLICY
    return response


@api.get("/passages/<passage_id>/similar")
def similar(passage_id: str) -> Response:
    """Nearest passages from other speakers or articles."""
    return jsonify(current_searcher().similar(passage_id, _int_arg("k", 5)).model_dump())


def _require_token() -> None:
    """Write routes: 403 when no token is configured, 401 unless the bearer token matches (constant time)."""
    expected = current_app.config.get("WENKU_API_TOKEN") or ""
    if not expected:
        raise WritesDisabled("write routes are off: start the server with WENKU_API_TOKEN set to enable them")
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise Unauthorized("missing or wrong bearer token (Authorization: Bearer <WENKU_API_TOKEN>)")


def _corpus() -> Path:
    """Where written articles go: the configured corpus, else the one the index was built from."""
    configured = current_app.config.get("WENKU_CORPUS")
    return Path(configured) if configured else Path(current_searcher().manifest.corpus)


def _article_file() -> tuple[str, bytes]:
    """The posted article as (file name, bytes): a multipart `file`, or JSON turned into Markdown."""
    upload = request.files.get("file")
    if upload is not None:
        return upload.filename or "upload.txt", upload.read()
    if not request.is_json:
        raise QueryError("send JSON {title, text, ...} or a multipart form with a `file` field")
    try:
        article = ArticleInput.model_validate(_json_body())
    except ValidationError as exc:
        first = exc.errors()[0]
        raise QueryError(f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}") from exc
    return markdown_file(article)


@api.post("/articles")
def create_article() -> tuple[Response, int]:
    """Store an article in the corpus and index it; 201 once it is published (200 if it replaced one)."""
    _require_token()
    name, raw = _article_file()
    holder = current_holder()
    report = add_files(_corpus(), holder.layout.root, [(name, raw)], encoder=holder.get().encoder, log=log.info,
                       wait=WRITE_WAIT, settings=WriterSettings(extract=current_app.config["WENKU_EXTRACT"]))
    holder.refresh()
    assert report.manifest is not None
    g.wenku_generation = report.manifest.generation
    article_id = article_id_for(Path(name).name)
    created = article_id in report.added and article_id not in report.replaced
    passages = (report.passages_added[article_id] if article_id in report.added
                else len(holder.get().article(article_id).passages))  # identical content: already indexed
    body = ArticleWritten(id=article_id, passages=passages, replaced=not created,
                          generation=report.manifest.generation)
    return jsonify(body.model_dump()), 201 if created else 200


@api.delete("/articles/<article_id>")
def delete_article(article_id: str) -> Response:
    """Delete an article from the corpus and the index."""
    _require_token()
    holder = current_holder()
    report = remove_articles(_corpus(), holder.layout.root, [article_id], encoder=holder.get().encoder,
                             log=log.info, wait=WRITE_WAIT)
    holder.refresh()
    assert report.manifest is not None
    g.wenku_generation = report.manifest.generation
    return jsonify(ArticleRemoved(id=article_id, generation=report.manifest.generation).model_dump())


@api.after_request
def generation_header(response: Response) -> Response:
    """Tell clients which index generation answered (for consistency checks and caching)."""
    generation = g.get("wenku_generation")
    if generation is not None:
        response.headers["X-Wenku-Generation"] = str(generation)
    return response


@api.get("/health")
def health() -> Response:
    """Index status: counts, model, modes, generation."""
    return jsonify(Health.of(current_searcher().info()).model_dump())


@api.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi_document())
