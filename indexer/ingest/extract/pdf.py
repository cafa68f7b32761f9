"""PDFs with PDFium: text layers (CJK fonts that are not embedded, through GBK-EUC-H and UniGB CMaps, come out as
the right characters), pages without one or with garbled text OCR'd, paragraphs rebuilt from the lines' boxes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from ...dates import iso_date
from ...errors import ArticleError
from ...settings import ExtractSettings
from .document import Extracted, Line, PageLines, TextBuilder
from .ocr import Ocr, engine_version
from .paragraphs import write_pages

VERSION = "2"  # 2: paragraph ends need a sentence end or a clearly short line
# A text layer is garbled when more than this share of its characters is replacement, private-use or control
# characters, or when it reads as Latin-1 mojibake (accented letters, hardly any Chinese).
GARBLED_SHARE = 0.05
# Fewer visible characters than this on a page with an image: a scan with a stamp or a page number on it.
SCAN_MAX_CHARS = 20
_BAD = re.compile(r"[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f]|\(cid:\d+\)")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ACCENTED = re.compile(r"[\u00c0-\u024f]")
_PRINTED_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
# Lines above a 公文's title that are not it: the issuing office's banner (…文件) and the document number (〔2023〕5号).
_NOT_TITLE = re.compile(r"文件$|〔\d{4}〕|\[\d{4}\]\s*\d+\s*号|^\d+$")

Progress = Callable[[int], None]


def garbled(text: str) -> bool:
    """True when a text layer's characters are not the document's (broken font encodings, mojibake)."""
    visible = "".join(text.split())
    if not visible:
        return False
    if len(_BAD.findall(visible)) > GARBLED_SHARE * len(visible):
        return True
    return len(_CJK.findall(visible)) < 0.1 * len(visible) and len(_ACCENTED.findall(visible)) > 0.2 * len(visible)


def _text_lines(page: object) -> tuple[PageLines, str]:
    """A page's text layer as lines with boxes (top-down coordinates, in points) and font sizes, and its raw text."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()  # type: ignore[attr-defined]
    count = textpage.count_chars()
    text = textpage.get_text_range() if count else ""
    width, height = page.get_size()  # type: ignore[attr-defined]
    lines: list[Line] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    sizes: list[float] = []

    def flush() -> None:
        if boxes:
            size = sorted(sizes)[len(sizes) // 2] if sizes else 0.0  # the line's usual font size
            lines.append(Line("".join(chars), min(b[0] for b in boxes), height - max(b[3] for b in boxes),
                              max(b[2] for b in boxes), height - min(b[1] for b in boxes), size))
        chars.clear()
        boxes.clear()
        sizes.clear()

    for index in range(min(count, len(text))):
        char = text[index]
        if char in "\r\n":
            flush()
            continue
        box = textpage.get_charbox(index)
        if boxes and not char.isspace() and box[3] < min(b[1] for b in boxes):  # below the line so far: a new one
            flush()
        chars.append(char)
        if not char.isspace() and box[2] > box[0]:
            boxes.append(box)
            sizes.append(float(pdfium_c.FPDFText_GetFontSize(textpage.raw, index)))
    flush()
    textpage.close()
    return PageLines(lines, float(width), float(height)), text


def _has_image(page: object) -> bool:
    import pypdfium2.raw as pdfium_c

    return any(True for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))  # type: ignore


def _title(first: PageLines) -> str | None:
    """The title of page one: its largest lines (a 公文's title is set bigger than its text), when clearly larger."""
    lines = [line for line in first.lines if len("".join(line.text.split())) >= 4 and not _NOT_TITLE.search(
        line.text.strip()) and first.height * 0.08 < line.y1]
    if len(lines) < 2:
        return None
    by_characters: Counter[float] = Counter()
    for line in lines:
        by_characters[line.size] += len(line.text)
    text_size, largest = by_characters.most_common(1)[0][0], max(by_characters)  # the size most text is set in
    if largest < 1.15 * text_size:
        return None
    chosen: list[str] = []
    for line in lines:
        if line.size >= 0.95 * largest:
            chosen.append(line.text.strip())
        elif chosen:
            break
    title = "".join(chosen)
    return title[:300] or None


def _metadata_date(value: str | None) -> str | None:
    """A PDF date (D:20230301120000+08'00') as ISO 2023-03-01."""
    match = re.match(r"D?:?(\d{4})(\d{2})(\d{2})", value or "")
    return f"{match[1]}-{match[2]}-{match[3]}" if match and 1 <= int(match[2]) <= 12 else None


def _printed_date(pages: list[PageLines]) -> str | None:
    """The date printed on its own line near the end (a 公文's 成文日期: 2023年3月1日)."""
    for page in reversed(pages[-2:]):
        for line in reversed(page.lines[-12:]):
            printed = "".join(line.text.split())
            if _PRINTED_DATE.match(printed) and iso_date(printed):
                return iso_date(printed)
    return None


def extract_pdf(path: str, settings: ExtractSettings, ocr: Callable[[], Ocr], progress: Progress) -> Extracted:
    """Read a PDF: each page's text layer, or OCR where it is missing or garbled (and OCR is on)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise ArticleError("encrypted PDF: it needs a password to open") from exc
        raise ArticleError(f"not a readable PDF ({message.split('(')[-1].rstrip(')') or message})") from exc
    try:
        if len(document) > settings.max_pages:
            raise ArticleError(f"PDF has {len(document)} pages, over the limit of {settings.max_pages} "
                               "(raise it with --max-pages)")
        pages: list[PageLines] = []
        read_by_ocr: list[bool] = []  # per page
        needed_ocr = False
        scale = settings.ocr_dpi / 72
        for number in range(len(document)):
            page = document[number]
            lines, text = _text_lines(page)
            scanned = garbled(text) or (len("".join(text.split())) < SCAN_MAX_CHARS and _has_image(page))
            needed_ocr = needed_ocr or scanned
            if scanned and settings.ocr:
                width, height = page.get_size()
                if width * height * scale * scale > settings.max_pixels:
                    raise ArticleError(f"page {number + 1} would be {round(width * scale)}×{round(height * scale)} "
                                       f"pixels to OCR, over the limit of {settings.max_pixels:,}")
                lines = ocr().read(page.render(scale=scale, grayscale=True).to_pil())
            elif scanned and garbled(text):
                lines = PageLines([], lines.width, lines.height)  # its characters are not the page's
            pages.append(lines)
            read_by_ocr.append(scanned and settings.ocr)
            page.close()
            progress(1)
        meta = document.get_metadata_dict()
    finally:
        document.close()
    builder = TextBuilder()
    write_pages(pages, builder)
    if builder.empty:
        reason = "no text: scanned pages need OCR, which is off" if needed_ocr and not settings.ocr else \
            "no text on any page (blank, or images without legible text)"
        raise ArticleError(f"PDF has {reason}")
    engines = {"pdf": VERSION}
    if needed_ocr:
        engines["ocr"] = engine_version(settings) if settings.ocr else "off"
    title = _meaningful(meta.get("Title"))
    if title and re.search(r"\.\w{2,4}$", title):
        title = None  # a file name (文件1.doc), not a title
    # Font sizes tell a title only in a text layer (OCR boxes vary with the characters in them).
    heading = None if read_by_ocr[0] else _title(pages[0])
    return Extracted(format="pdf", text=builder.text(), pages=builder.pages, title=heading or title,
                     date=_printed_date(pages) or _metadata_date(meta.get("CreationDate")),
                     author=_meaningful(meta.get("Author")), ocr_pages=sum(read_by_ocr), engines=engines)


def _meaningful(value: str | None) -> str | None:
    """A metadata field, unless it is a producer's placeholder."""
    value = (value or "").strip()
    return None if value.lower() in ("", "untitled", "anonymous", "unknown", "administrator", "无标题") else value
