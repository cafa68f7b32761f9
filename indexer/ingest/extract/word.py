"""Word documents (.docx) with python-docx: body paragraphs in order, headings as Markdown headings (sections),
tables as rows, headers, footers and footnotes left out, core properties (title, author, created) as metadata."""

from __future__ import annotations

import re
import zipfile

from ...errors import ArticleError
from ...settings import ExtractSettings
from .document import Extracted, TextBuilder, join_lines
from .packages import check_zip

VERSION = "1"
_HEADING = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)


def _paragraph_text(text: str) -> str:
    """A paragraph's text with its manual line breaks joined as a PDF's are (no space between Chinese characters)."""
    pieces = [piece.strip() for piece in text.replace("\t", " ").split("\n") if piece.strip()]
    joined = ""
    for piece in pieces:
        joined = join_lines(joined, piece) if joined else piece
    return joined


def extract_docx(path: str, settings: ExtractSettings) -> Extracted:
    """Read a .docx file's body in document order."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_zip(path, settings, "Word document").close()
    try:
        document = docx.Document(path)
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ArticleError(f"not a readable Word document ({type(exc).__name__}: {str(exc)[:80]})") from exc
    except Exception as exc:  # lxml's XMLSyntaxError and kin from a damaged part
        if type(exc).__module__.startswith("lxml"):
            raise ArticleError(f"not a readable Word document (damaged XML: {str(exc)[:80]})") from exc
        raise
    builder = TextBuilder()
    first_title: str | None = None
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            text = _paragraph_text(paragraph.text)
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            heading = _HEADING.match(style.strip())
            if style.strip().lower() in ("title", "标题") and text:
                first_title = first_title or text
                builder.heading(text, 1)
            elif heading and text:
                builder.heading(text, int(heading.group(1)))
            else:
                builder.paragraph(text)
        elif tag == "tbl":
            table = Table(child, document)
            builder.table([[_paragraph_text(cell.text) for cell in row.cells] for row in table.rows])
    if builder.empty:
        raise ArticleError("Word document has no text")
    core = document.core_properties
    created = core.created.date().isoformat() if core.created else None
    return Extracted(format="docx", text=builder.text(), markdown=True, title=(core.title or "").strip() or first_title,
                     date=created, author=(core.author or "").strip() or None, engines={"docx": VERSION})
