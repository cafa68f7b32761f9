"""Search request and response shapes: the JSON contract shared by the CLI and the web API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from .errors import QueryError
from .ingest import MAX_FIELD_CHARS

Mode = Literal["hybrid", "semantic", "keyword"]
MODES: tuple[str, ...] = ("hybrid", "semantic", "keyword")
MAX_QUERY_CHARS = 10_000
MAX_K = 100
MAX_OFFSET = 10_000


class SearchRequest(BaseModel):
    """A validated search: query, mode, paging and exact-match filters."""

    q: str
    mode: Mode = "hybrid"
    k: int = Field(10, ge=1, le=MAX_K)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    speaker: str | None = None
    region: str | None = None
    article: str | None = None
    semantic_ratio: float | None = Field(None, ge=0, le=1, allow_inf_nan=False,
                                         description="Hybrid weighting: 0 = keyword only, 1 = semantic only")

    @field_validator("q")
    @classmethod
    def _query_text(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("query is empty")
        if len(value) > MAX_QUERY_CHARS:
            raise ValueError(f"query is {len(value)} characters; the limit is {MAX_QUERY_CHARS}")
        return value

    @field_validator("speaker", "region", "article")
    @classmethod
    def _filter_text(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @classmethod
    def parse(cls, **values: object) -> SearchRequest:
        """Validate raw values, turning validation failures into one readable QueryError."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "request"
            message = first["msg"].removeprefix("Value error, ")
            if first["type"] == "literal_error":
                message = f"must be one of {', '.join(MODES)}"
            raise QueryError(f"{field}: {message}") from exc


class RankScore(BaseModel):
    """A passage's rank (1-based) and score in one retriever's list."""

    rank: int
    score: float


class Scores(BaseModel):
    """Per-retriever ranks; null where the passage was not in that retriever's list."""

    keyword: RankScore | None
    semantic: RankScore | None


class Hit(BaseModel):
    """One ranked passage."""

    id: str
    article_id: str
    article_title: str
    date: str | None
    speaker: str | None
    role: str | None
    region: str | None
    section: str | None
    paragraph: int
    text: str
    highlight: str
    score: float
    scores: Scores


class FacetValue(BaseModel):
    """How many passages of the result list have this speaker or region."""

    value: str
    count: int


class Facets(BaseModel):
    """Counts by speaker and region over the whole ranked list (not just the page)."""

    speaker: list[FacetValue]
    region: list[FacetValue]


class SearchResponse(BaseModel):
    """The result of a search: `wenku search --json` prints all but `facets`; the web API adds them."""

    query: str
    mode: Mode
    semantic_ratio: float | None = Field(description="The weighting hybrid fusion used (null unless hybrid was "
                                                     "asked for)")
    total: int
    took_ms: float
    warnings: list[str]
    results: list[Hit]
    facets: Facets | None = None

    def contract(self) -> dict[str, object]:
        """The CLI's JSON object (the API's, minus facets)."""
        return self.model_dump(exclude={"facets"})


class PassageView(BaseModel):
    """A passage as shown in its article."""

    id: str
    paragraph: int
    start: int
    end: int
    text: str
    speaker: str | None
    role: str | None
    region: str | None
    section: str | None
    reporters: list[str]


class ArticleView(BaseModel):
    """A whole article with its passages in reading order."""

    id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    path: str
    text: str
    passages: list[PassageView]


class SimilarResponse(BaseModel):
    """Nearest passages to one passage, from other speakers or other articles."""

    passage_id: str
    mode: Mode
    warnings: list[str]
    results: list[Hit]


class FileProblem(BaseModel):
    """A corpus file not (yet) in the index, and why."""

    path: str
    reason: str


class IndexInfo(BaseModel):
    """What an index holds and how it searches: `wenku info` prints it, /api/health serves part of it."""

    index: str
    generation: int
    published_at: str
    corpus: str
    articles: int
    passages: int
    segments: int
    vectors: int | None
    model: str | None
    backend: str | None
    engine: str | None
    fingerprint: str | None
    dimension: int | None
    prompts: dict[str, str] | None
    modes: list[Mode]
    semantic_unavailable: str | None
    semantic_floor: dict[str, Any] | None
    fusion: dict[str, Any]
    context: dict[str, Any]
    tokenizer: dict[str, Any]
    chunker: dict[str, Any]
    failed: list[FileProblem]
    pending: list[FileProblem]


class Health(BaseModel):
    """Index status as served by /api/health."""

    status: Literal["ok"]
    articles: int
    passages: int
    model: str | None
    backend: str | None
    dimension: int | None
    modes: list[Mode]
    semantic_unavailable: str | None
    generation: int
    published_at: str
    pending: list[FileProblem]
    failed: list[FileProblem]

    @classmethod
    def of(cls, info: IndexInfo) -> Health:
        """The health report of an index."""
        return cls(status="ok", **info.model_dump(include=set(cls.model_fields) - {"status"}))


class ErrorDetail(BaseModel):
    """What went wrong: a stable code and a human message."""

    code: str
    message: str


class ErrorResponse(BaseModel):
    """The one error shape of the API."""

    error: ErrorDetail


class ArticleInput(BaseModel):
    """An article sent to POST /api/articles as JSON."""

    title: str = Field(min_length=1, max_length=MAX_FIELD_CHARS["title"])
    text: str = Field(min_length=1)
    date: str | None = Field(None, max_length=MAX_FIELD_CHARS["date"],
                             description="ISO date or date-time; a year (2024) or year-month (2024-05) also")
    source: str | None = Field(None, max_length=MAX_FIELD_CHARS["source"])
    url: str | None = Field(None, max_length=MAX_FIELD_CHARS["url"])
    id: str | None = Field(None, pattern=r"^[\w-]{1,100}$", description="Article id; reusing one replaces it")

    @field_validator("title", "text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str | None) -> str | None:
        if value is None or re.fullmatch(r"\d{4}(-\d{2})?", value) and int(value[5:7] or 1) in range(1, 13):
            return value
        try:
            dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not a real date (expected e.g. 2024-05-31 or 2024-05-31T09:30:00)") from None
        return value


class ArticleWritten(BaseModel):
    """The outcome of storing and indexing an article."""

    id: str
    passages: int
    replaced: bool
    generation: int


class ArticleRemoved(BaseModel):
    """The outcome of deleting an article."""

    id: str
    generation: int
