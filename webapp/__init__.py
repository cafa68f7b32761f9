"""Wenku web application: the search page and the JSON API, built by `create_app(config)`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_cors import CORS

from indexer.settings import extract_settings_from

from .api import api
from .errors import register_error_handlers
from .headers import register_security_headers
from .holder import SearcherHolder
from .pages import pages


def _default_config() -> dict[str, Any]:
    """Settings from the environment, overridable by create_app's argument."""
    return {
        "WENKU_INDEX": os.environ.get("WENKU_INDEX", "index"),
        "WENKU_MODEL": os.environ.get("WENKU_MODEL") or None,
        # Comma-separated origins allowed to call GET /api/* from a browser; empty means none.
        "WENKU_CORS_ORIGINS": os.environ.get("WENKU_CORS_ORIGINS", ""),
        "WENKU_RELOAD_INTERVAL": 0.5,
        # Write routes (POST/DELETE /api/articles) are off unless a bearer token is configured.
        "WENKU_API_TOKEN": os.environ.get("WENKU_API_TOKEN", ""),
        "WENKU_CORPUS": os.environ.get("WENKU_CORPUS") or None,
        # Limits and OCR for uploaded documents (WENKU_MAX_PAGES, WENKU_MAX_SECONDS, WENKU_OCR).
        "WENKU_EXTRACT": extract_settings_from(os.environ),
        # Uploads are documents too (a scanned PDF runs to tens of megabytes).
        "MAX_CONTENT_LENGTH": int(os.environ.get("WENKU_MAX_UPLOAD_BYTES", 64 * 1024 * 1024)),
    }


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; the index and model are loaded once here and shared by every request."""
    app = Flask(__name__)
    app.config.update(_default_config())
    app.config.update(config or {})
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.mimetype = "application/json; charset=utf-8"  # type: ignore[attr-defined]
    app.extensions["wenku"] = SearcherHolder(Path(app.config["WENKU_INDEX"]), app.config["WENKU_MODEL"],
                                             reload_interval=float(app.config["WENKU_RELOAD_INTERVAL"]))
    origins = [o.strip() for o in str(app.config["WENKU_CORS_ORIGINS"]).split(",") if o.strip()]
    if origins:
        CORS(app, resources={r"/api/*": {"origins": origins, "methods": ["GET"]}})
    app.register_blueprint(pages)
    app.register_blueprint(api, url_prefix="/api")
    register_error_handlers(app)
    register_security_headers(app)
    return app
