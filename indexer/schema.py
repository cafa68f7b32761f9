"""Search request and response shapes: the JSON contract shared by the CLI and the web API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from .dates import bound
from .errors import QueryError
from .ingest import MAX_FIELD_CHARS

Mode = Literal["hybrid", "semantic", "keyword"]
MODES: tuple[str, ...] = ("hybrid", "semantic", "keyword")
Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
FILTER_NAMES = ("speaker", "region", "source", "year", "article")
MAX_QUERY_CHARS = 10_000
MAX_K = 100
MAX_EXPORT = 1_000
MAX_OFFSET = 10_000
MAX_FILTER_VALUES = 50
MAX_COPIES_LISTED = 20


class Filters(BaseModel):
    """Which passages a search or listing may return: OR within a facet's values, AND across facets and dates."""

    speaker: list[str] = Field([], description="Speaker names (repeat the parameter for several)")
    region: list[str] = Field([], description="Regions (repeat for several)")
    source: list[str] = Field([], description="Article sources, e.g. 央视网 (repeat for several)")
    year: list[str] = Field([], description="Article years, e.g. 2024 (repeat for several)")
    article: list[str] = Field([], description="Article ids (repeat for several)")
    date_from: str | None = Field(None, description="Articles dated on or after: 2024, 2024-05 or 2024-05-31")
    date_to: str | None = Field(None, description="Articles dated on or before: 2024 (all of it), 2024-05 or "
                                                  "2024-05-31")

    @field_validator(*FILTER_NAMES, mode="before")
    @classmethod
    def _values(cls, value: object) -> object:
        if value is None:
            return []
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list):
            return values  # pydantic reports the wrong type
        cleaned = list(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))
        if len(cleaned) > MAX_FILTER_VALUES:
            raise ValueError(f"at most {MAX_FILTER_VALUES} values")
        return cleaned + [v for v in values if not isinstance(v, str)]

    @field_validator("date_from", "date_to")
    @classmethod
    def _date(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            bound(info.field_name or "date", value, upper=info.field_name == "date_to")
        except QueryError as exc:
            raise ValueError(str(exc).split(": ", 1)[1]) from None
        return value.strip()

    @model_validator(mode="after")
    def _ordered(self) -> Filters:
        low, high = self.date_bounds()
        if low is not None and high is not None and low > high:
            raise ValueError("date_from is after date_to")
        return self

    def date_bounds(self) -> tuple[int | None, int | None]:
        """The date bounds as day keys (see indexer.dates)."""
        return bound("date_from", self.date_from, upper=False), bound("date_to", self.date_to, upper=True)

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return any(getattr(self, name) for name in FILTER_NAMES) or bool(self.date_from or self.date_to)

    def without(self, name: str) -> Filters:
        """These filters minus one facet's values (for multi-select facet counts)."""
        return Filters.model_validate({**self.filter_values(), name: []})

    def filter_values(self) -> dict[str, Any]:
        """Just the filter fields."""
        return self.model_dump(include={*FILTER_NAMES, "date_from", "date_to"})

    @classmethod
    def parse(cls, **values: object) -> Self:
        """Validate raw values, turning validation failures into one readable QueryError."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"] if not isinstance(p, int)) or "request"
            message = first["msg"].removeprefix("Value error, ")
            if first["type"] == "literal_error":
                expected = str(first.get("ctx", {}).get("expected", ""))
                message = "must be one of " + expected.replace("'", "").replace(" or ", ", ")
            raise QueryError(f"{field}: {message}") from exc


class SearchRequest(Filters):
    """A validated search: query, mode, paging, order, filters."""

    model_config = ConfigDict(extra="forbid")

    q: str
    mode: Mode = "hybrid"
    k: int = Field(10, ge=1, le=MAX_K, description="Results per page")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    sort: Sort = Field("relevance", description="relevance, or by article date: newest or oldest first")
    collapse: bool = Field(True, description="Show each group of syndicated copies once, at its earliest article")
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


class ExportRequest(SearchRequest):
    """A search whose results are taken away as CSV or JSON Lines: longer pages."""

    k: int = Field(MAX_EXPORT, ge=1, le=MAX_EXPORT, description=f"Results to export (at most {MAX_EXPORT})")


class ListRequest(Filters):
    """A page of articles without a query: the browse view."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(20, ge=1, le=MAX_K)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    sort: Literal["newest", "oldest"] = "newest"


class RankScore(BaseModel):
    """A passage's rank (1-based) and score in one retriever's list."""

    rank: int
    score: float


class Scores(BaseModel):
    """Per-retriever ranks; null where the passage was not in that retriever's list."""

    keyword: RankScore | None
    semantic: RankScore | None


class CopyRef(BaseModel):
    """Another article's copy of a passage (a syndicated release printed again)."""

    passage_id: str
    article_id: str
    article_title: str
    date: str | None
    source: str | None


class Hit(BaseModel):
    """One ranked passage."""

    id: str
    article_id: str
    article_title: str
    date: str | None
    source: str | None
    url: str | None
    speaker: str | None
    role: str | None
    region: str | None
    section: str | None
    paragraph: int
    text: str
    highlight: str
    citation: str = Field(description="Title, source, date, speaker and role, paragraph and URL, as one line")
    score: float
    scores: Scores
    copies_total: int = Field(0, description="How many other articles carry a near-identical passage "
                                             "(matching the filters)")
    copies: list[CopyRef] = Field([], description=f"Those copies, earliest first (at most {MAX_COPIES_LISTED})")


class FacetValue(BaseModel):
    """How many passages of the result list have this speaker or region."""

    value: str
    count: int


class Facets(BaseModel):
    """Counts by speaker, region, source and year over the whole ranked list (not just the page).

    A facet with values selected is counted as if its own selection were not made (the other filters apply),
    so the values that could be added to the selection keep their counts.
    """

    speaker: list[FacetValue]
    region: list[FacetValue]
    source: list[FacetValue]
    year: list[FacetValue]


class ArticleSummary(BaseModel):
    """An article in a listing."""

    id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    passages: int
    speakers: list[str] = Field(description="Speakers in the article, most passages first")


class ArticleList(BaseModel):
    """A page of articles (GET /api/articles), newest or oldest first, with facets over every listed article."""

    total: int
    offset: int
    sort: Literal["newest", "oldest"]
    articles: list[ArticleSummary]
    facets: Facets | None = Field(None, description="Counts of articles (not passages) by each facet")


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
    dek: str | None = Field(None, description="The subtitle: lines between the title and the first passage")
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
