"""Errors at the web edge: JSON in one shape under /api, a Chinese error page everywhere else."""

from __future__ import annotations

import logging
import sqlite3

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from indexer.errors import (
    ArticleError,
    IndexBusy,
    IndexCorrupt,
    IndexNotFound,
    IndexReadOnly,
    ModelMismatch,
    ModelUnavailable,
    NotFound,
    QueryError,
    Unauthorized,
    WenkuError,
    WritesDisabled,
)
from indexer.schema import ErrorDetail, ErrorResponse

from . import messages

log = logging.getLogger(__name__)


# HTTP status of each error; the JSON `code` is the error class's own.
STATUS_BY_ERROR: dict[type[WenkuError], int] = {
    QueryError: 400, ArticleError: 400, Unauthorized: 401, WritesDisabled: 403, NotFound: 404,
    IndexNotFound: 503, IndexCorrupt: 503, ModelMismatch: 503, ModelUnavailable: 503, IndexBusy: 503,
    IndexReadOnly: 503,
}


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    """The one error shape of the API."""
    return jsonify(ErrorResponse(error=ErrorDetail(code=code, message=message)).model_dump()), status


def render_error(status: int, message: str) -> tuple[str, int]:
    """An error page in the site's layout."""
    return render_template("error.html", status=status, message=message), status


def page_message(exc: WenkuError) -> str:
    """What the page says for an error."""
    return messages.query_error(str(exc)) if isinstance(exc, QueryError) else messages.error(exc)


def register_error_handlers(app: Flask) -> None:
    """Answer every error under /api as JSON, and on the pages with the site's error page in Chinese."""

    @app.errorhandler(WenkuError)
    def wenku_error(exc: WenkuError):  # type: ignore[no-untyped-def]
        status = next((v for k, v in STATUS_BY_ERROR.items() if isinstance(exc, k)), 500)
        if request.path.startswith("/api"):
            response, status = error_response(status, exc.code, str(exc))
            if isinstance(exc, Unauthorized):
                response.headers["WWW-Authenticate"] = 'Bearer realm="wenku"'
            return response, status
        return render_error(status, page_message(exc))

    @app.errorhandler(sqlite3.DatabaseError)
    def damaged_store(exc: sqlite3.DatabaseError):  # type: ignore[no-untyped-def]
        log.error("damaged store on %s: %s", request.path, exc)
        return wenku_error(IndexCorrupt(f"the index is damaged: {exc} (run `wenku check`)"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if request.path.startswith("/api"):
            code = (exc.name or "error").lower().replace(" ", "_")
            return error_response(exc.code or 500, code, exc.description or exc.name)
        status = exc.code or 500
        return render_error(status, messages.HTTP_ERRORS.get(status, "请求无法处理。"))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s", request.path)
        if request.path.startswith("/api"):
            return error_response(500, "internal", "internal error; see the server log")
        return render_error(500, messages.HTTP_ERRORS[500])
