"""E-books (.epub): the chapters in reading order (the package's spine), each read as a web page is but whole,
with the book's title, author and date from its package metadata."""

from __future__ import annotations

import posixpath
import zipfile

from ...errors import ArticleError
from ...settings import ExtractSettings
from .document import Extracted, TextBuilder, clean
from .packages import check_zip
from .web import page_blocks, write_blocks

VERSION = "1"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"


def extract_epub(path: str, settings: ExtractSettings) -> Extracted:
    """Read an EPUB's chapters in spine order."""
    import lxml.etree
    import lxml.html

    with check_zip(path, settings, "EPUB") as archive:
        try:
            container = lxml.etree.fromstring(archive.read("META-INF/container.xml"))
            rootfile = container.find(f".//{_CONTAINER}rootfile")
            opf_path = rootfile.get("full-path") if rootfile is not None else None
            if not opf_path:
                raise ArticleError("EPUB without a package file (META-INF/container.xml names none)")
            package = lxml.etree.fromstring(archive.read(opf_path))
        except (KeyError, lxml.etree.XMLSyntaxError, zipfile.BadZipFile) as exc:
            raise ArticleError(f"not a readable EPUB ({exc})") from exc
        base = posixpath.dirname(opf_path)
        items = {item.get("id"): item for item in package.iter(f"{_OPF}item")}
        spine = [items[ref.get("idref")] for ref in package.iter(f"{_OPF}itemref") if ref.get("idref") in items]
        if len(spine) > settings.max_pages:
            raise ArticleError(f"EPUB has {len(spine)} chapters, over the limit of {settings.max_pages}")
        builder = TextBuilder()
        for item in spine:
            if "html" not in (item.get("media-type") or ""):
                continue
            name = posixpath.normpath(posixpath.join(base, item.get("href") or ""))
            try:
                chapter = lxml.html.document_fromstring(archive.read(name))
            except (KeyError, lxml.etree.ParserError, ValueError):
                continue  # a chapter the package names but does not hold: the rest is still the book
            body = chapter.body if chapter.body is not None else chapter
            write_blocks(page_blocks(body), builder, None, None)

    def first(tag: str) -> str | None:
        found = package.find(f".//{_DC}{tag}")
        return clean(found.text or "") or None if found is not None else None

    if builder.empty:
        raise ArticleError("EPUB has no text")
    date = first("date")
    return Extracted(format="epub", text=builder.text(), markdown=True, title=first("title"), author=first("creator"),
                     date=date[:10] if date else None, engines={"epub": VERSION})
