"""The HTML pages: search with facets and paging, and the article view with similar passages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for

from indexer.errors import QueryError, WenkuError
from indexer.schema import MODES, SearchRequest, SearchResponse

from .holder import SearcherHolder, current_searcher

pages = Blueprint("pages", __name__)

PAGE_SIZE = 10
MODE_LABELS = {"hybrid": "混合", "semantic": "语义", "keyword": "关键词"}
# Choices offered for hybrid mode's semantic ratio (0 = keyword only, 1 = semantic only); "" is the tuned default.
RATIO_CHOICES = ["0.1", "0.3", "0.5", "0.7", "0.9"]
FILTER_LABELS = {"speaker": "发言人", "region": "地区", "article": "文章"}
EXAMPLES = ["新能源 产业园", "哪个区要打造食品工业基地", "招商引资", "乡村振兴示范带"]


def render_error(status: int, message: str) -> tuple[str, int]:
    """An error page in the site's layout."""
    return render_template("error.html", status=status, message=message), status


def search_url(**changes: Any) -> str:
    """The current search URL with some parameters changed (None removes one); filter changes reset paging."""
    args = {k: v for k, v in request.args.items() if k in ("q", "mode", "semantic_ratio", "page", *FILTER_LABELS)}
    if any(k in FILTER_LABELS or k in ("q", "mode", "semantic_ratio") for k in changes):
        args.pop("page", None)
    args.update(changes)
    kept: dict[str, Any] = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for("pages.search", **kept)


def anchor(passage_id: str) -> str:
    """HTML id of a passage in its article page."""
    return "p-" + passage_id.rsplit(":", 1)[-1]


@pages.app_context_processor
def helpers() -> dict[str, Any]:
    return {"search_url": search_url, "anchor": anchor, "MODE_LABELS": MODE_LABELS, "FILTER_LABELS": FILTER_LABELS,
            "RATIO_CHOICES": RATIO_CHOICES}


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@pages.get("/")
def search() -> tuple[str, int] | str:
    """The search page; without a query, a short introduction and examples."""
    holder: SearcherHolder = current_app.extensions["wenku"]
    q = request.args.get("q", "")
    mode = request.args.get("mode", "hybrid")
    ratio = request.args.get("semantic_ratio", "")
    filters = {name: request.args[name] for name in FILTER_LABELS if request.args.get(name)}
    page = _page_number()
    context: dict[str, Any] = {"q": q, "mode": mode if mode in MODES else "hybrid", "semantic_ratio": ratio,
                               "filters": filters, "page": page, "page_size": PAGE_SIZE, "examples": EXAMPLES,
                               "response": None, "error": None}
    try:
        searcher = holder.get()
    except WenkuError as exc:
        context["error"] = f"索引不可用：{exc}。请先运行 wenku build。"
        return render_template("search.html", searcher=None, **context), 503
    context["searcher"] = searcher
    context["default_ratio"] = searcher.fusion.semantic_ratio
    if not q.strip():
        return render_template("search.html", **context)
    try:
        response: SearchResponse = searcher.search(SearchRequest.parse(
            q=q, mode=mode, k=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, semantic_ratio=ratio or None, **filters))
    except QueryError as exc:
        context["error"] = f"查询有误：{exc}"
        return render_template("search.html", **context), 400
    context["response"] = response
    context["pages"] = max(1, -(-min(response.total, 10_000) // PAGE_SIZE))
    return render_template("search.html", **context)


@pages.get("/articles/<article_id>")
def article(article_id: str) -> str:
    """The whole article sectioned by speaker, the chosen passage marked, with its similar passages."""
    searcher = current_searcher()
    view = searcher.article(article_id)
    chosen = request.args.get("p")
    if chosen not in {p.id for p in view.passages}:
        chosen = None
    similar = searcher.similar(chosen, 5) if chosen else None
    sections: list[dict[str, Any]] = []
    for passage in view.passages:
        key = (passage.speaker, passage.section)
        if not sections or sections[-1]["key"] != key:
            sections.append({"key": key, "speaker": passage.speaker, "role": passage.role,
                             "region": passage.region, "section": passage.section,
                             "reporters": passage.reporters, "passages": []})
        sections[-1]["passages"].append(passage)
    safe_url = view.url if view.url and view.url.startswith(("http://", "https://")) else None
    return render_template("article.html", article=view, sections=sections, chosen=chosen, similar=similar,
                           safe_url=safe_url, q=request.args.get("q", ""))
