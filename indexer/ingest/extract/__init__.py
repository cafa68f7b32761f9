"""Documents in: PDF (text layers and scans), images, Word, web pages, EPUB and legacy word-processor files, each
read into an `Extracted` (text, page offsets, metadata) by the extractor for its suffix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...errors import ArticleError
from ...settings import ExtractSettings
from .document import Extracted
from .images import IMAGE_SUFFIXES
from .legacy import LEGACY_SUFFIXES
from .ocr import Ocr
from .web import HTML_SUFFIXES

DOCUMENT_SUFFIXES = (".pdf", ".docx", ".epub", *HTML_SUFFIXES, *IMAGE_SUFFIXES, *LEGACY_SUFFIXES)


def kind_of(suffix: str) -> str:
    """The extractor a file suffix goes to (its key in `versions`)."""
    suffix = suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in LEGACY_SUFFIXES:
        return "legacy"
    return suffix.lstrip(".")


def versions(settings: ExtractSettings) -> dict[str, str]:
    """Every extractor's version as the cache compares it (OCR's includes its engine and resolution, or "off")."""
    from . import epub, images, legacy, pdf, web, word
    from .ocr import engine_version

    return {"pdf": pdf.VERSION, "image": images.VERSION, "docx": word.VERSION, "html": web.VERSION,
            "epub": epub.VERSION, "legacy": legacy.VERSION, "ocr": engine_version(settings) if settings.ocr else "off"}


def extract_file(path: str, suffix: str, settings: ExtractSettings, ocr: Callable[[], Ocr],
                 progress: Callable[[int], None]) -> Extracted:
    """Read one document file with the extractor for its suffix; raise ArticleError when it cannot be read."""
    size = Path(path).stat().st_size
    if size > settings.max_bytes:
        raise ArticleError(f"file too large ({size:,} bytes > {settings.max_bytes:,})")
    if size == 0:
        raise ArticleError("empty file")
    kind = kind_of(suffix)
    if kind == "pdf":
        from .pdf import extract_pdf

        return extract_pdf(path, settings, ocr, progress)
    if kind == "image":
        from .images import extract_image

        return extract_image(path, settings, ocr, progress)
    if kind == "docx":
        from .word import extract_docx

        return extract_docx(path, settings)
    if kind == "html":
        from .web import extract_html

        return extract_html(Path(path).read_bytes())
    if kind == "epub":
        from .epub import extract_epub

        return extract_epub(path, settings)
    if kind == "legacy":
        from .legacy import extract_legacy

        return extract_legacy(path, suffix.lower(), settings)
    raise ArticleError(f"not a document format Wenku reads ({suffix})")
