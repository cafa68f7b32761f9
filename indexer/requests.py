"""What a search or a listing asks for: modes, orders, filters and paging, validated once for CLI, API and page."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from .dates import bound
from .errors import QueryError

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
    def _query_text(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        # No words but a filter (speaker=王海洋, or q=speaker:王海洋): that filter's passages, newest first.
        filtered = any(info.data.get(name) for name in (*FILTER_NAMES, "date_from", "date_to"))
        if not value and not filtered:
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
