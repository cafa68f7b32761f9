"""Search response shapes and the API's other bodies: the JSON contract shared by the CLI and the web API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .requests import Mode

MAX_COPIES_LISTED = 20
# Article metadata is a few short fields: bounded so a hostile file cannot grow the index or its responses.
MAX_FIELD_CHARS = {"title": 300, "date": 40, "source": 200, "author": 200, "url": 2000}


class FileProblem(BaseModel):
    """A corpus file not (yet) in the index, and why: skipped by a build, failed, or pending in the watcher."""

    model_config = ConfigDict(frozen=True)

    path: str
    reason: str


def original_url(article_id: str, fmt: str, page: int | None = None) -> str:
    """Where the server serves an article's original file; a PDF opens at the page (#page=N, as PDF viewers read)."""
    return f"/api/articles/{quote(article_id, safe='')}/original" + (f"#page={page}" if page and fmt == "pdf" else "")


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
    page: int | None = Field(description="1-based page of a paged document (PDF, multi-page scan); null otherwise")
    format: str = Field(description="The article's file format: txt, md, pdf, docx, html, epub, image, doc, …")
    author: str | None
    original_url: str = Field(description="Path on the server of the original file, as it came (PDFs at the page)")
    text: str
    highlight: str
    citation: str = Field(description="Title, source, date, speaker and role, paragraph, page and URL, as one line")
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
    format: str
    author: str | None
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
    page: int | None
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
    author: str | None
    url: str | None
    path: str
    format: str
    pages: int = Field(description="Pages of a paged document (0 for formats without pages)")
    original_url: str
    text: str
    passages: list[PassageView]


class SimilarResponse(BaseModel):
    """Nearest passages to one passage, from other speakers or other articles."""

    passage_id: str
    mode: Mode
    warnings: list[str]
    results: list[Hit]


class IndexInfo(BaseModel):
    """What an index holds and how it searches: `wenku info` prints it, /api/health serves part of it."""

    index: str
    generation: int
    published_at: str
    corpus: str
    articles: int
    formats: dict[str, int] = Field(description="Articles by file format (txt, md, pdf, docx, html, image, …)")
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
    formats: dict[str, int]
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
