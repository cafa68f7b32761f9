"""The JSON API under /api: search, articles, similar passages, health, OpenAPI; errors in one JSON shape."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from indexer.errors import (IndexBusy, IndexCorrupt, IndexNotFound, ModelMismatch, ModelUnavailable, NotFound,
                            QueryError, WenkuError)
from indexer.schema import ErrorDetail, ErrorResponse, Health, SearchRequest

from .holder import current_searcher
from .openapi import openapi_document
from .pages import render_error

api = Blueprint("api", __name__)
log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[WenkuError], tuple[int, str]] = {
    QueryError: (400, "bad_request"),
    NotFound: (404, "not_found"),
    IndexNotFound: (503, "index_unavailable"),
    IndexCorrupt: (503, "index_unavailable"),
    ModelMismatch: (503, "index_unavailable"),
    ModelUnavailable: (503, "index_unavailable"),
    IndexBusy: (503, "index_busy"),
}


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    """The one error shape of the API."""
    return jsonify(ErrorResponse(error=ErrorDetail(code=code, message=message)).model_dump()), status


def _int_arg(name: str, default: int) -> int:
    """An integer query parameter, or a 400 naming it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise QueryError(f"{name}: must be an integer, got {raw[:40]!r}") from None


@api.get("/search")
def search() -> Response:
    """Ranked passages for a query: the CLI's JSON contract plus facets."""
    params = {name: request.args.get(name) for name in ("mode", "speaker", "region", "article")}
    search_request = SearchRequest.parse(q=request.args.get("q", ""), k=_int_arg("k", 10),
                                         offset=_int_arg("offset", 0),
                                         **{name: value for name, value in params.items() if value is not None})
    return jsonify(current_searcher().search(search_request).model_dump())


@api.get("/articles/<article_id>")
def article(article_id: str) -> Response:
    """A whole article with its passages."""
    return jsonify(current_searcher().article(article_id).model_dump())


@api.get("/passages/<passage_id>/similar")
def similar(passage_id: str) -> Response:
    """Nearest passages from other speakers or articles."""
    return jsonify(current_searcher().similar(passage_id, _int_arg("k", 5)).model_dump())


@api.get("/health")
def health() -> Response:
    """Index status: counts, model, modes, generation."""
    searcher = current_searcher()
    manifest = searcher.manifest
    details = searcher.info()
    return jsonify(Health(
        status="ok",
        articles=manifest.counts.articles,
        passages=manifest.counts.passages,
        model=manifest.model.name if manifest.model else None,
        dimension=manifest.model.dimension if manifest.model else None,
        modes=searcher.modes,
        semantic_unavailable=searcher.semantic_unavailable,
        generation=manifest.generation,
        published_at=manifest.created_at,
        pending=details["pending"],
        failed=details["failed"],
    ).model_dump())


@api.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi_document())


def register_api_errors(app: Flask) -> None:
    """Answer every error under /api as JSON; other paths keep Flask's pages."""

    @app.errorhandler(WenkuError)
    def wenku_error(exc: WenkuError):  # type: ignore[no-untyped-def]
        status, code = next((v for k, v in STATUS_BY_ERROR.items() if isinstance(exc, k)), (500, "internal"))
        if request.path.startswith("/api"):
            return error_response(status, code, str(exc))
        return render_error(status, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if request.path.startswith("/api"):
            code = (exc.name or "error").lower().replace(" ", "_")
            return error_response(exc.code or 500, code, exc.description or exc.name)
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s", request.path)
        if request.path.startswith("/api"):
            return error_response(500, "internal", "internal error; see the server log")
        return render_error(500, "服务器内部错误，请查看服务器日志。")
