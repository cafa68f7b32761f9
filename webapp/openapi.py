"""The OpenAPI 3.1 document, its schemas generated from the same pydantic models the routes return."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel

from indexer.ingest.extract import DOCUMENT_SUFFIXES
from indexer.requests import FILTER_NAMES, MAX_EXPORT, MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, MODES, SORTS, Filters
from indexer.schema import (
    ArticleInput,
    ArticleList,
    ArticleRemoved,
    ArticleView,
    ArticleWritten,
    ErrorResponse,
    Facets,
    Health,
    SearchResponse,
    SimilarResponse,
)
from indexer.search.export import FORMATS

_REF = "#/components/schemas/{model}"


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _query_param(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": schema.pop("description", "")}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=ref)}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    meaning = {400: "Bad parameter or article", 401: "Missing or wrong bearer token",
               403: "Write routes are off (no WENKU_API_TOKEN configured)", 404: "Unknown id",
               413: "Request body over the size limit", 503: "No index loaded, or another writer is busy"}
    return {str(s): _json("ErrorResponse", meaning[s]) for s in statuses}


def _body_property(param: dict[str, Any]) -> dict[str, Any]:
    """A query parameter as a JSON body property (a facet takes one string or a list)."""
    schema = {**param["schema"], "description": param["description"]}
    if schema.get("type") == "array":
        schema = {"description": schema.pop("description"), "oneOf": [{"type": "string"}, schema]}
    return schema


@functools.cache
def openapi_document() -> dict[str, Any]:
    """Every /api route, its parameters, and its response and error schemas."""
    schemas: dict[str, Any] = {}
    models: list[type[BaseModel]] = [SearchResponse, ArticleList, Facets, ArticleView, SimilarResponse, Health,
                                     ErrorResponse, ArticleInput, ArticleWritten, ArticleRemoved]
    for model in models:
        schema = model.model_json_schema(ref_template=_REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    k_param = _query_param("k", {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10,
                                 "description": "Results per page."})
    filter_params = [
        _query_param(name, {"type": "array", "items": {"type": "string"}, "description":
                            f"{field.description}. Several values: OR; several filters: AND."})
        for name, field in Filters.model_fields.items() if name in FILTER_NAMES
    ] + [_query_param(name, _string(str(Filters.model_fields[name].description)))
         for name in ("date_from", "date_to")]
    for param in filter_params:
        param.update(style="form", explode=True) if param["schema"].get("type") == "array" else None
    paging = [_query_param("k", {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 20,
                                 "description": "Articles per page."}),
              _query_param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0,
                                      "description": "Articles to skip."}),
              _query_param("sort", _string("By article date.", enum=["newest", "oldest"], default="newest"))]
    search_params = [
        _query_param("q", _string("The query, as typed; no operator syntax.", minLength=1,
                                  maxLength=MAX_QUERY_CHARS), required=True),
        k_param,
        _query_param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0,
                                "description": "Results to skip."}),
        _query_param("mode", _string("Retrieval mode; falls back to keyword with a warning when no model is "
                                     "loaded.", enum=list(MODES), default="hybrid")),
        _query_param("semantic_ratio", {"type": "number", "minimum": 0, "maximum": 1, "description":
                                        "Hybrid mode's weighting of the two retrievers: 0 = keyword only, 1 = "
                                        "semantic only (default: the tuned default, echoed in the response)."}),
        _query_param("sort", _string("Order: by relevance, or by article date.", enum=list(SORTS),
                                     default="relevance")),
        _query_param("collapse", {"type": "boolean", "default": True, "description":
                                  "Show each group of syndicated copies once, at its earliest article "
                                  "(false: every copy)."}),
        *filter_params,
        _query_param("format", _string(f"json, or an export of up to {MAX_EXPORT} results (`k` defaults to "
                                       f"{MAX_EXPORT} then) as csv (UTF-8 with BOM) or jsonl.",
                                       enum=["json", *FORMATS], default="json")),
    ]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Wenku API", "version": "1", "description":
                 "Search Chinese articles by speaker and paragraph, by keyword and by meaning. Responses are "
                 "UTF-8 JSON; errors are {\"error\": {\"code\", \"message\"}}."},
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Ranked passages for a query (the `wenku search --json` object plus facets)",
                    "operationId": "search", "parameters": search_params,
                    "responses": {"200": _json("SearchResponse", "Ranked passages"), **_errors(400, 503)}},
                "post": {
                    "summary": "The same search with the parameters as a JSON object (for queries too long for "
                               "a URL)",
                    "operationId": "searchByBody",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["q"], "additionalProperties": False,
                        "properties": {p["name"]: _body_property(p) for p in search_params}}}}},
                    "responses": {"200": _json("SearchResponse", "Ranked passages"), **_errors(400, 413, 503)}}},
            "/api/articles": {"get": {
                "summary": "Articles by date without a query, under the same filters as search",
                "operationId": "listArticles", "parameters": [*paging, *filter_params],
                "responses": {"200": _json("ArticleList", "A page of articles"), **_errors(400, 503)}},
                "post": {
                "summary": "Store an article in the corpus and index it (answers once it is searchable)",
                "operationId": "createArticle", "security": [{"bearer": []}],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"$ref": _REF.format(model="ArticleInput")}},
                    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary",
                                 "description": "An article file: .txt or .md (UTF-8, UTF-16, GB18030 or Big5), or a "
                                                f"document ({', '.join(DOCUMENT_SUFFIXES)}); name not starting "
                                                "with a dot, at most 200 bytes"}}}}}},
                "responses": {"201": _json("ArticleWritten", "Created and indexed"),
                              "200": _json("ArticleWritten", "Replaced an article with the same id (or identical)"),
                              **_errors(400, 401, 403, 413, 503)}}},
            "/api/facets": {"get": {
                "summary": "Speakers, regions, sources and years with article counts over the archive (or the "
                           "filtered part)", "operationId": "facets", "parameters": filter_params,
                "responses": {"200": _json("Facets", "Article counts per value"), **_errors(400, 503)}}},
            "/api/articles/{article_id}": {
                "get": {
                    "summary": "A whole article with its passages", "operationId": "getArticle",
                    "parameters": [_path_param("article_id", "Article id")],
                    "responses": {"200": _json("ArticleView", "The article"), **_errors(404, 503)}},
                "delete": {
                    "summary": "Delete an article from the corpus and the index", "operationId": "deleteArticle",
                    "security": [{"bearer": []}], "parameters": [_path_param("article_id", "Article id")],
                    "responses": {"200": _json("ArticleRemoved", "Deleted"), **_errors(401, 403, 404, 503)}}},
            "/api/articles/{article_id}/original": {"get": {
                "summary": "The article's original file as it came, with its media type (link PDFs with #page=N)",
                "operationId": "getOriginal", "parameters": [_path_param("article_id", "Article id")],
                "responses": {"200": {"description": "The file's bytes", "content": {
                    "*/*": {"schema": {"type": "string", "format": "binary"}}}}, **_errors(404, 503)}}},
            "/api/passages/{passage_id}/similar": {"get": {
                "summary": "Nearest passages from other speakers or articles", "operationId": "similarPassages",
                "parameters": [_path_param("passage_id", "Passage id, e.g. `article-id:3`"),
                               _query_param("k", {"type": "integer", "minimum": 1, "maximum": MAX_K,
                                                  "default": 5, "description": "How many."})],
                "responses": {"200": _json("SimilarResponse", "Similar passages"), **_errors(400, 404, 503)}}},
            "/api/health": {"get": {
                "summary": "Index status", "operationId": "health",
                "responses": {"200": _json("Health", "Index loaded"), **_errors(503)}}},
            "/api/openapi.json": {"get": {
                "summary": "This document", "operationId": "openapi",
                "responses": {"200": {"description": "OpenAPI 3.1 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        },
        "components": {"schemas": schemas, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "The server's WENKU_API_TOKEN"}}},
    }
