"""Saved web pages (.html, .htm): the main text only, with its headings, paragraphs and tables as the page has them,
and the title, date, author and source from the page's metadata; the charset from the page, else detected.

trafilatura decides what is main text (navigation, share bars, related links and footers are not); the page's own
elements give the structure, since trafilatura's output merges paragraphs laid out as <section>s and drops headings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ...dates import iso_date
from ...errors import ArticleError
from ..decode import decode_bytes
from .document import Extracted, TextBuilder, clean

VERSION = "2"  # 2: short blocks inside the article kept
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
# Elements that lay text out as blocks (anything else is inline, part of the block around it).
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dd", "dt", "blockquote", "pre",
           "section", "div", "article", "main", "header", "footer", "nav", "aside", "table", "tr", "td", "th",
           "caption", "figure", "figcaption", "center", "address", "hr"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIP = ("script", "style", "noscript", "template", "svg", "iframe", "form", "button", "select", "textarea")
_SOURCE = re.compile(r"来源[：:]\s*([^\s|｜/，,。]{2,30})")
# Short lines Chinese pages wrap around an article that a text-density extractor can keep: share and follow prompts,
# print and font controls, editor credits, previous/next links.
_BOILERPLATE = re.compile(r"长按(识别)?二维码|扫一?扫|关注我们|点击(上方|下方|蓝字)|喜欢此内容|阅读原文|在看|分享到|"
                          r"责任编辑|【字体|打印本页|关闭窗口|上一篇|下一篇|相关(阅读|新闻|链接)|返回顶部|版权所有")
BOILERPLATE_MAX_CHARS = 40
ANCHOR_CHARS = 15
_ISO_DAY = re.compile(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})")
_META_TITLE = ("articletitle", "og:title", "title")
_META_DATE = ("pubdate", "publishdate", "article:published_time", "firstpublishedtime", "publish_date", "date")
_META_SOURCE = ("contentsource", "source", "og:site_name", "sitename")
_META_AUTHOR = ("author", "article:author", "contentauthor")


def decode_html(raw: bytes) -> str:
    """A page's text: the charset it declares (GB2312 and GBK read as their superset GB18030), else detected."""
    declared = _CHARSET.search(raw[:4096])
    if declared:
        name = declared.group(1).decode("ascii", "replace").lower()
        name = "gb18030" if name in ("gb2312", "gbk", "gb18030", "x-gbk", "euc-cn") else name
        try:
            return raw.decode(name).lstrip("\ufeff")
        except (LookupError, UnicodeDecodeError):
            pass  # a page that lies about its charset: detect it like any text file
    return decode_bytes(raw)[0]


def _has_block(element: Any) -> bool:
    return any(isinstance(d.tag, str) and d.tag in _BLOCKS for d in element.iterdescendants())


def _walk(element: Any) -> Iterator[tuple[str, Any]]:
    """The blocks under an element in document order: ("table", element), (heading tag, text) or ("p", text), where
    a "p" is a block holding no other block, or the inline text between a container's blocks."""
    if element.tag == "table":
        yield "table", element
        return
    if element.tag in _HEADINGS:
        yield element.tag, element.text_content()
        return
    if not _has_block(element):
        yield "p", element.text_content()
        return
    inline = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and (child.tag in _BLOCKS or _has_block(child)):
            yield "p", "".join(inline)
            inline = []
            yield from _walk(child)
        elif isinstance(child.tag, str):
            inline.append(child.text_content())
        inline.append(child.tail or "")
    yield "p", "".join(inline)


def page_blocks(body: Any) -> list[tuple[str, Any]]:
    """A page body's blocks (see _walk), scripts, styles and forms left out, line breaks kept as newlines."""
    import lxml.etree

    lxml.etree.strip_elements(body, *_SKIP, with_tail=False)
    for br in body.iter("br"):  # line breaks inside a block separate its paragraphs
        br.tail = "\n" + (br.tail or "")
    return [(kind, value) for kind, value in _walk(body) if kind == "table" or _squeezed(value)]


def write_blocks(blocks: list[tuple[str, Any]], builder: TextBuilder, title: str | None, main: str | None) -> None:
    """Blocks into the builder: with `main` (the main text, squeezed) only the stretch from its first paragraph to its
    last, and in it only main text, its headings and tables mostly of main text; the title is not repeated."""
    if main is None:
        stretch = blocks
    else:
        # The article's stretch runs between blocks of main text long enough not to match it by accident (新闻, a
        # navigation link, is in any text that mentions 新闻联播).
        kept = [i for i, (kind, value) in enumerate(blocks)
                if kind == "p" and len(_squeezed(value)) >= ANCHOR_CHARS and _squeezed(value) in main]
        first, last = (kept[0], kept[-1]) if kept else (0, -1)

        def main_text(i: int) -> bool:  # a block of main text however short (a closing one-line paragraph)
            kind, value = blocks[i]
            return kind == "p" and _squeezed(value) in main and not _BOILERPLATE.search(value)

        while kept and first > 0 and main_text(first - 1):
            first -= 1
        while kept and last + 1 < len(blocks) and main_text(last + 1):
            last += 1
        stretch = blocks[first:last + 1]
    for kind, value in stretch:
        if kind == "table":
            rows = [[cell.text_content() for cell in row if cell.tag in ("td", "th")] for row in value.iter("tr")]
            cells = [_squeezed(cell) for row in rows for cell in row]
            if main is None or sum(len(c) for c in cells if c in main) >= 0.5 * sum(len(c) for c in cells):
                builder.table(rows)
        elif kind in _HEADINGS:
            if title is None or _squeezed(value) != _squeezed(title):
                builder.heading(value, _HEADINGS[kind])
        elif main is None or _squeezed(value) in main or len(value.strip()) <= BOILERPLATE_MAX_CHARS:
            # A short block between two pieces of main text is the article's (a subheading, a one-line paragraph
            # that a precision-minded extractor leaves out) unless it reads as page furniture.
            for line in value.split("\n"):
                if main is None or len(line.strip()) > BOILERPLATE_MAX_CHARS or not _BOILERPLATE.search(line):
                    builder.paragraph(line)


def _squeezed(text: str) -> str:
    return "".join(text.split())


def _meta(root: Any) -> dict[str, str]:
    """<meta name|property=… content=…> values by lower-cased key."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").strip().lower()
        value = clean(meta.get("content") or "")
        if key and value and key not in found:
            found[key] = value
    return found


def _iso_day(value: str | None) -> str | None:
    """The first day named in a metadata value (发布时间：2024-05-31 10:30), as ISO; None unless a real date."""
    match = _ISO_DAY.search(value or "")
    return iso_date(match.group(0)) if match else None


def extract_html(raw: bytes) -> Extracted:
    """The main text of a web page, with its structure and metadata."""
    import lxml.etree
    import lxml.html
    import trafilatura

    page = decode_html(raw)
    try:
        root = lxml.html.document_fromstring(page)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ArticleError(f"not a readable web page ({exc})") from exc
    found = trafilatura.bare_extraction(page, favor_precision=True, include_tables=True, include_comments=False,
                                        with_metadata=True)
    info: dict[str, Any] = {} if found is None else found.as_dict() if hasattr(found, "as_dict") else dict(found)
    main = _squeezed(info.get("text") or "")
    if not main:
        raise ArticleError("no main text found in the web page")
    meta = _meta(root)
    title = next((meta[k] for k in _META_TITLE if k in meta), None) or info.get("title")
    body = root.body if root.body is not None else root
    blocks = page_blocks(body)
    builder = TextBuilder()
    write_blocks(blocks, builder, title, main)
    if builder.empty:  # nothing of trafilatura's text found among the page's blocks: take its text as it is
        for paragraph in (info.get("text") or "").split("\n"):
            builder.paragraph(paragraph)
    source = next((meta[k] for k in _META_SOURCE if k in meta), None)
    if source is None:
        credited = next((m for _, v in blocks if isinstance(v, str) and (m := _SOURCE.search(v))), None)
        source = credited.group(1) if credited else info.get("sitename")
    url = next((link.get("href") for link in root.iter("link") if (link.get("rel") or "").lower() == "canonical"),
               None) or meta.get("og:url") or info.get("url")
    return Extracted(format="html", text=builder.text(), markdown=True, title=clean(title or "") or None,
                     date=_iso_day(next((meta[k] for k in _META_DATE if k in meta), None)) or _iso_day(
                         info.get("date")),
                     author=next((meta[k] for k in _META_AUTHOR if k in meta), None) or info.get("author"),
                     source=source, url=url if url and url.startswith(("http://", "https://")) else None,
                     engines={"html": VERSION})
