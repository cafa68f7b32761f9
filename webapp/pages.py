"""The HTML pages: search with facets and paging, the browse view, and the article view with similar passages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from indexer.errors import QueryError, WenkuError
from indexer.requests import FILTER_NAMES, MODES, ListRequest, SearchRequest
from indexer.schema import SearchResponse

from . import messages
from .errors import page_message
from .holder import current_holder
from .params import SINGLE, search_values, unknown_parameters

pages = Blueprint("pages", __name__)

PAGE_SIZE = 10
LIST_SIZE = 20
MODE_LABELS = {"hybrid": "混合", "semantic": "语义", "keyword": "关键词"}
SORT_LABELS = {"relevance": "相关度", "newest": "最新在前", "oldest": "最早在前"}
# Choices offered for hybrid mode's semantic ratio (0 = keyword only, 1 = semantic only); "" is the tuned default.
RATIO_CHOICES = ["0.1", "0.3", "0.5", "0.7", "0.9"]
FORMAT_LABELS = {"txt": "文本", "md": "Markdown", "pdf": "PDF", "docx": "Word", "doc": "Word", "wps": "WPS",
                 "rtf": "RTF", "odt": "ODT", "html": "网页", "epub": "EPUB", "image": "图片"}
FILTER_LABELS = {"speaker": "发言人", "region": "地区", "source": "来源", "year": "年份", "article": "文章"}
FACET_NAMES = ("speaker", "region", "source", "year")
DATE_LABELS = {"date_from": "起始日期", "date_to": "截止日期"}
EXAMPLES = ["新能源 产业园", "哪个区要打造食品工业基地", "招商引资", "乡村振兴示范带"]
# Parameters a URL change keeps; a change to anything but the page number starts again at page 1.
KEPT = ("q", "mode", "semantic_ratio", "sort", "collapse", "date_from", "date_to", "page", *FILTER_NAMES)


def page_url(endpoint: str | None = None, remove: tuple[str, str] | None = None, **changes: Any) -> str:
    """The current URL with parameters changed (None removes one) or one facet value removed; filter, query and
    order changes reset paging."""
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in KEPT])
    if remove is not None:
        args.setlist(remove[0], [v for v in args.getlist(remove[0]) if v != remove[1]])
    if remove is not None or any(k != "page" for k in changes):
        args.pop("page", None)
    for name, value in changes.items():
        args.setlist(name, [] if value in (None, "") else value if isinstance(value, list) else [value])
    values: dict[str, Any] = args.to_dict(flat=False)
    return url_for(endpoint or request.endpoint or "pages.search", **values)


def export_url(fmt: str) -> str:
    """The current search as an export (the API's first MAX_EXPORT results from the start of the list)."""
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in KEPT and k != "page"])
    args["format"] = fmt
    values: dict[str, Any] = args.to_dict(flat=False)
    return url_for("api.search", **values)


def anchor(passage_id: str) -> str:
    """HTML id of a passage in its article page."""
    return "p-" + passage_id.rsplit(":", 1)[-1]


@pages.app_context_processor
def helpers() -> dict[str, Any]:
    return {"page_url": page_url, "anchor": anchor, "MODE_LABELS": MODE_LABELS, "FILTER_LABELS": FILTER_LABELS,
            "SORT_LABELS": SORT_LABELS, "RATIO_CHOICES": RATIO_CHOICES, "FACET_NAMES": FACET_NAMES,
            "DATE_LABELS": DATE_LABELS, "warning_zh": messages.warning, "reason_zh": messages.reason,
            "export_url": export_url, "FORMAT_LABELS": FORMAT_LABELS}


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _chosen() -> dict[str, Any]:
    """The facet values and dates the URL selects, for the form, the chips and the facet ticks."""
    values = search_values(request.args, single=("date_from", "date_to"))
    return {"filters": {name: values.get(name, []) for name in FILTER_NAMES},
            "dates": {name: values.get(name, "") for name in DATE_LABELS}}


@pages.get("/")
def search() -> tuple[str, int] | str:
    """The search page; without a query, a short introduction and examples."""
    values = search_values(request.args)
    q = str(values.get("q", ""))
    page = _page_number()
    context: dict[str, Any] = {"q": q, "mode": values.get("mode", "hybrid"), "page": page,
                               "semantic_ratio": values.get("semantic_ratio", ""), "page_size": PAGE_SIZE,
                               "sort": values.get("sort", "relevance"), "collapse": values.get("collapse", "true"),
                               "examples": EXAMPLES, "response": None, "error": None, **_chosen()}
    try:
        searcher = current_holder().get()
    except WenkuError as exc:
        context["error"] = page_message(exc)
        return render_template("search.html", searcher=None, **context), 503
    context["searcher"] = searcher
    context["default_ratio"] = searcher.fusion.semantic_ratio
    if context["mode"] not in MODES:
        context["mode"] = "hybrid"
    if not q.strip() and not any(context["filters"].values()):
        return render_template("search.html", **context)
    try:
        response: SearchResponse = searcher.search(SearchRequest.parse(
            **{"q": "", **values, "k": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}))
    except QueryError as exc:
        context["error"] = messages.query_error(str(exc))
        return render_template("search.html", **context), 400
    response.warnings.extend(unknown_parameters(request.args, (*SINGLE, *FILTER_NAMES, "page")))
    context["response"] = response
    context["mode"] = response.mode  # the mode actually used: keyword when semantic search is unavailable
    context["pages"] = max(1, -(-min(response.total, 10_000) // PAGE_SIZE))
    return render_template("search.html", **context)


@pages.get("/articles")
def browse() -> tuple[str, int] | str:
    """Articles by date without a query (文章列表), filtered by speaker, region, source, year or dates."""
    values = search_values(request.args, single=("sort", "date_from", "date_to"))
    page = _page_number()
    context: dict[str, Any] = {"sort": values.get("sort", "newest"), "page": page, "page_size": LIST_SIZE,
                               "listing": None, "error": None, **_chosen()}
    try:
        context["listing"] = current_holder().get().articles(ListRequest.parse(
            **{**values, "k": LIST_SIZE, "offset": (page - 1) * LIST_SIZE}))
    except QueryError as exc:
        context["error"] = messages.query_error(str(exc))
        return render_template("browse.html", **context), 400
    total = context["listing"].total
    context["pages"] = max(1, -(-min(total, 10_000) // LIST_SIZE))
    return render_template("browse.html", **context)


@pages.get("/articles/<article_id>")
def article(article_id: str) -> str:
    """The whole article sectioned by speaker, the chosen passage marked with its similar passages right after it,
    and the search's words highlighted."""
    searcher = current_holder().get()
    view = searcher.article(article_id)
    chosen = request.args.get("p")
    if chosen not in {p.id for p in view.passages}:
        chosen = None
    similar = searcher.similar(chosen, 5) if chosen else None
    q = request.args.get("q", "")
    marked = searcher.highlighter(q)
    sections: list[dict[str, Any]] = []
    for passage in view.passages:
        key = (passage.speaker, passage.section)
        if not sections or sections[-1]["key"] != key:
            sections.append({"key": key, "speaker": passage.speaker, "role": passage.role,
                             "region": passage.region, "section": passage.section,
                             "reporters": passage.reporters, "passages": []})
        sections[-1]["passages"].append({"passage": passage, "html": marked(passage.text)})
    safe_url = view.url if view.url and view.url.startswith(("http://", "https://")) else None
    return render_template("article.html", article=view, sections=sections, chosen=chosen, similar=similar,
                           safe_url=safe_url, q=q)
