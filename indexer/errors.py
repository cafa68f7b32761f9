"""Wenku's error hierarchy; edges (CLI, HTTP) translate these into messages and status codes."""

from __future__ import annotations


class WenkuError(Exception):
    """Base class of every error Wenku raises on purpose."""

    code = "wenku_error"


class QueryError(WenkuError):
    """A search request is malformed: empty or over-long query, unknown mode, bad paging or filter."""

    code = "bad_request"


class IndexNotFound(WenkuError):
    """No published index exists at the given directory."""

    code = "index_not_found"


class IndexCorrupt(WenkuError):
    """The index exists but its manifest or files fail the consistency check."""

    code = "index_corrupt"


class IndexOutdated(IndexCorrupt):
    """The index was written by another version of Wenku's format; a build rebuilds it."""


class ModelMismatch(WenkuError):
    """The requested embedding model differs from the one the index was built with."""

    code = "model_mismatch"


class ModelUnavailable(WenkuError):
    """No embedding model could be loaded (offline, no local copy, broken files)."""

    code = "model_unavailable"


class IndexReadOnly(WenkuError):
    """The index directory cannot be written by this process (readers still work)."""

    code = "index_read_only"


class IndexBusy(WenkuError):
    """Another writer holds the index lock."""

    code = "index_busy"


class ArticleError(WenkuError):
    """An article file cannot be read (binary, empty, undecodable, malformed front matter)."""

    code = "bad_article"


class Unauthorized(WenkuError):
    """A write request's bearer token is missing or wrong."""

    code = "unauthorized"


class WritesDisabled(WenkuError):
    """Write routes are off because no API token is configured."""

    code = "writes_disabled"


class NotFound(WenkuError):
    """An article or passage id does not exist in the index."""

    code = "not_found"


class AddressInUse(WenkuError):
    """The address `wenku serve` was asked to listen on is taken."""

    code = "address_in_use"


class RayUnavailable(WenkuError):
    """Ray is not installed, or its cluster cannot be reached or started."""

    code = "ray_unavailable"
