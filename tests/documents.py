"""Real documents made with the tools users have: PDFs that reportlab writes in non-embedded CJK fonts (GBK-EUC-H, as
公文 are set), scans rendered from text with a CJK font, Word files from python-docx, web pages with navigation and
footers, EPUBs; and broken ones of each."""

from __future__ import annotations

import io
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

HEADER = "江门市人民政府办公室文件"
LINE_CHARS = 28  # a 公文 line: 28 characters of 16-point 仿宋 on A4


def cjk_font() -> str:
    """A CJK TrueType font on this machine (Debian's fonts-wqy-zenhei, which .ci/run installs)."""
    found = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True).stdout
    if not found or not Path(found).is_file() or "wqy" not in found.lower() and "cjk" not in found.lower():
        raise RuntimeError("no CJK font installed (apt-get install fonts-wqy-zenhei)")
    return found


def gongwen_pdf(path: Path, title: str, paragraphs: Sequence[str], *, encoding: str = "GBK-EUC-H",
                lines_per_page: int = 22, password: str | None = None) -> Path:
    """A 公文-style PDF in reportlab's STSong-Light through a CMap (not embedded, no ToUnicode map): the title set
    larger, paragraphs indented two characters and broken every 28 characters, a running header and "— N —" page
    numbers."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import CIDFont, UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if encoding == "GBK-EUC-H":
        font = "STSong-Light-GBK-EUC-H"
        pdfmetrics.registerFont(CIDFont("STSong-Light", "GBK-EUC-H"))

        def encode(text: str) -> str:  # this CMap takes GBK bytes
            return text.encode("gbk").decode("latin-1")
    else:
        font = "STSong-Light"
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # UniGB-UCS2-H

        def encode(text: str) -> str:
            return text
    encrypt = StandardEncryption(password, canPrint=1) if password else None
    pdf = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    width, height = A4
    page, line = 1, 0

    def furniture() -> None:
        pdf.setFont(font, 10)
        pdf.drawString(72, height - 40, encode(HEADER))
        pdf.drawCentredString(width / 2, 36, encode(f"— {page} —"))

    def new_page() -> None:
        nonlocal page, line
        pdf.showPage()
        page, line = page + 1, 0
        furniture()

    furniture()
    pdf.setFont(font, 22)
    title_lines = [title[begin:begin + 20] for begin in range(0, len(title), 20)] or [""]
    for number, piece in enumerate(title_lines):  # a long title wraps, centred, as 公文 titles are set
        # (centred by hand: reportlab measures a GBK-encoded string byte by byte)
        pdf.drawString((width - 22 * len(piece)) / 2, height - 100 - number * 30, encode(piece))
    top = height - 150 - (len(title_lines) - 1) * 30
    for paragraph in paragraphs:
        text = "\u3000\u3000" + paragraph
        for begin in range(0, len(text), LINE_CHARS):
            if line >= lines_per_page:
                new_page()
                top = height - 90
            pdf.setFont(font, 16)
            pdf.drawString(72, top - line * 28, encode(text[begin:begin + LINE_CHARS]))
            line += 1
    pdf.save()
    return path


def render_pages(paragraphs: Sequence[str], *, width: int = 1240, height: int = 1754, size: int = 29,
                 title: str | None = None) -> list[tuple[object, str]]:
    """Text rendered as a 150-dpi A4 scan shows it (14-point characters are 29 pixels), page after page: each page's
    image (PIL) and the text printed on it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(cjk_font(), size)
    big = ImageFont.truetype(cjk_font(), int(size * 1.4))
    margin, step = 120, int(size * 1.6)
    pages: list[tuple[object, str]] = []
    image = draw = None
    y, printed = 0, ""

    def new_page() -> None:
        nonlocal image, draw, y, printed
        if image is not None:
            pages.append((image, printed))
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        y, printed = 130, ""

    new_page()
    if title:
        draw.text(((width - big.getlength(title)) / 2, y), title, font=big, fill=0)  # type: ignore[union-attr]
        y, printed = y + size * 3, title
    for paragraph in paragraphs:
        line = "\u3000\u3000"
        lines = []
        for char in paragraph:
            if font.getlength(line + char) > width - 2 * margin:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
        for text in lines:
            if y + size > height - 130:
                new_page()
            draw.text((margin, y), text, font=font, fill=0)  # type: ignore[union-attr]
            y, printed = y + step, printed + text
        y += size // 2
    pages.append((image, printed))
    return pages


def render_page(paragraphs: Sequence[str], **options: object):  # noqa: ANN201 - a PIL image
    """The first page of `render_pages`."""
    return render_pages(paragraphs, **options)[0][0]  # type: ignore[arg-type]


def scanned_pdf(path: Path, pages: Sequence[Sequence[str]], images: Sequence[object] | None = None) -> Path:
    """A PDF of page images only (no text layer), as a scanner writes one: each page's paragraphs rendered, or the
    images given."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for picture in images if images is not None else [render_page(paragraphs) for paragraphs in pages]:
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG" if images is not None else "PNG", quality=80)  # type: ignore[attr-defined]
        buffer.seek(0)
        pdf.drawImage(ImageReader(buffer), 0, 0, width=A4[0], height=A4[1])
        pdf.showPage()
    pdf.save()
    return path


def word_document(path: Path, title: str, sections: Sequence[tuple[str | None, Sequence[str]]],
                  table: Sequence[Sequence[str]], header: str, author: str = "江门市发展和改革局") -> Path:
    """A .docx with a title, sections of paragraphs (headed unless None), a table after the first section (when
    given), a page header and footer, and core properties (title, author, created)."""
    import datetime as dt

    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = header
    document.sections[0].footer.paragraphs[0].text = "第 1 页"
    document.add_heading(title, level=0)
    for number, (heading, paragraphs) in enumerate(sections):
        if heading:
            document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        if number == 0 and table:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for row, values in zip(grid.rows, table):
                for cell, value in zip(row.cells, values):
                    cell.text = value
    document.core_properties.title = title
    document.core_properties.author = author
    document.core_properties.created = dt.datetime(2023, 3, 1, 9, 30)
    document.save(str(path))
    return path


NAVIGATION = "".join(f'<li><a href="/{i}">{w}</a></li>' for i, w in enumerate(
    "首页 新闻中心 政务公开 政策解读 办事服务 互动交流".split()))


def web_page(title: str, paragraphs: Sequence[str], *, date: str = "2024-05-31", source: str = "江门日报",
             charset: str = "utf-8", related: Sequence[str] = ("另一条新闻的标题", "第三条新闻的标题")) -> bytes:
    """A government news page: navigation, breadcrumb, title, an info line, the article, a share bar, the editor,
    related links and a footer; encoded in `charset` (gbk pages declare gb2312, as many do)."""
    declared = "gb2312" if charset == "gbk" else charset
    body = "".join(f'<p style="text-indent:2em">{p}</p>' for p in paragraphs)
    links = "".join(f'<li><a href="/n/{i}.html">{t}</a></li>' for i, t in enumerate(related))
    page = f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={declared}">
<title>{title}_江门市人民政府门户网站</title><meta name="ArticleTitle" content="{title}">
<meta name="PubDate" content="{date} 10:30"><meta name="ContentSource" content="{source}">
<link rel="canonical" href="https://www.jiangmen.gov.cn/news/1.html"></head>
<body><div class="top"><ul class="nav">{NAVIGATION}</ul><form><input name="q"><button>搜索</button></form></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/xw">新闻中心</a> &gt; 本地要闻</div>
<div class="article"><h1>{title}</h1><div class="info">发布时间：{date} 10:30 来源：{source} 【字体：<a>大</a> <a>中</a>
<a>小</a>】</div><div class="content" id="zoom">{body}</div>
<div class="share">分享到：<a>微信</a><a>微博</a><a>QQ空间</a></div><p class="editor">责任编辑：李明</p></div>
<div class="related"><h3>相关新闻</h3><ul>{links}</ul></div>
<div class="footer"><p>主办：江门市人民政府办公室</p><p>版权所有 © 江门市人民政府 粤ICP备05020000号</p>
<p><a>联系我们</a> | <a>网站地图</a></p></div></body></html>"""
    return page.encode("gb18030" if charset == "gbk" else charset)


def epub_book(path: Path, title: str, chapters: Sequence[tuple[str, Sequence[str]]]) -> Path:
    """A minimal EPUB 3: container, package with Dublin Core metadata and a spine, one XHTML file per chapter."""
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:'
                      'names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/book.opf" '
                      'media-type="application/oebps-package+xml"/></rootfiles></container>')
        items = "".join(f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>'
                        for i in range(len(chapters)))
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
        book.writestr("OEBPS/book.opf", f'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                      f'version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}'
                      '</dc:title><dc:creator>江门市地方志办公室</dc:creator><dc:date>2022-10-01</dc:date>'
                      f'</metadata><manifest>{items}</manifest><spine>{spine}</spine></package>')
        for i, (heading, paragraphs) in enumerate(chapters):
            body = "".join(f"<p>{p}</p>" for p in paragraphs)
            book.writestr(f"OEBPS/c{i}.xhtml", f'<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.'
                          f'org/1999/xhtml"><head><title>{heading}</title></head><body><h2>{heading}</h2>{body}'
                          '</body></html>')
    return path


def degrade(image, seed: int = 0):  # noqa: ANN001, ANN201 - PIL images
    """A page as a worn scan or a phone photo shows it: turned a little, blurred, speckled, JPEG-compressed."""
    import random

    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    turned = image.rotate(rng.uniform(-1.0, 1.0), resample=Image.Resampling.BICUBIC, fillcolor=255)
    blurred = turned.filter(ImageFilter.GaussianBlur(radius=0.8))
    noise = Image.effect_noise(blurred.size, 18).point(lambda v: v - 128)
    speckled = Image.eval(Image.blend(blurred, Image.merge("L", [noise]).convert("L"), 0.12), lambda v: v)
    buffer = io.BytesIO()
    speckled.save(buffer, format="JPEG", quality=60)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def zip_bomb_docx(path: Path, unpacked: int) -> Path:
    """A .docx whose document part unpacks to `unpacked` bytes of zeros (a few KB on disk per 10 MB)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org'
                         '/package/2006/content-types"/>')
        with package.open("word/document.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1 << 20)
            for _ in range(unpacked >> 20):
                part.write(block)
    return path


def pixel_bomb_png(path: Path, width: int = 60_000, height: int = 60_000) -> Path:
    """A valid PNG of a few hundred bytes whose header claims width × height pixels (3.6 billion by default)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    data = zlib.compress(b"\0" * 1024)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def blank_pdf(path: Path, pages: int) -> Path:
    """A PDF of empty pages."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for _ in range(pages):
        pdf.showPage()
    pdf.save()
    return path


def long_pdf(path: Path, pages: int) -> Path:
    """A PDF of many short pages (for the page limit)."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for number in range(pages):
        pdf.drawString(72, 720, f"Page {number + 1}")
        pdf.showPage()
    pdf.save()
    return path


def garbled_pdf(path: Path, lines: Sequence[str]) -> Path:
    """A PDF whose font is embedded as a subset without its ToUnicode map: the text layer reads as control
    characters (as 公文 converted by some tools do), though the page shows the text."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("WenkuTestCJK", cjk_font(), subfontIndex=0))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=0)
    pdf.setFont("WenkuTestCJK", 16)
    for number, line in enumerate(lines):
        pdf.drawString(72, 740 - number * 30, line)
    pdf.save()
    raw = buffer.getvalue()
    assert raw.count(b"/ToUnicode") == 1
    path.write_bytes(raw.replace(b"/ToUnicode", b"/ToUnicodX"))  # same length: the cross-reference table holds
    return path


TITLE = "关于加快新能源汽车产业发展的通知"
PARAGRAPHS = [
    "江门市新能源汽车产业园今天正式开工，首期投资八十亿元，重点引进动力电池和整车制造项目，预计带动上下游配套企业集聚发展。",
    "市发展改革局局长李晓明表示，产业园建成后年产值将超过三百亿元，新增就业岗位一万个以上，成为全市经济增长的新引擎。",
    "下一步，全市将加大招商引资力度，完善产业配套政策，加快推进重点项目建设，确保今年完成固定资产投资目标任务。",
    "江门市发展和改革局局长李晓明：",
    "新会区将建设现代化的食品工业基地，引进龙头企业，打造百亿级产业集群，带动乡村振兴和农民增收，形成完整的产业链条。",
    "台山市将发挥核电和海上风电优势，建设清洁能源基地，力争到二〇二五年清洁能源装机容量突破一千万千瓦，助力实现双碳目标。",
]
SCAN_PAGES = [PARAGRAPHS[:3], PARAGRAPHS[4:6]]
BROKEN = {  # file: what the reason must say
    "encrypted.pdf": "encrypted PDF",
    "corrupt.pdf": "not a readable PDF",
    "corrupt.docx": "not a readable Word document",
    "bomb.docx": "zip bomb",
    "bomb.png": "too large to decode safely",
    "long.pdf": "2000 pages, over the limit of 1000",
    "blank.pdf": "no text on any page",
    "nomain.html": "no main text",
    "truncated.png": "not a readable image",
    "corrupt.epub": "not a readable EPUB",
    "empty-book.epub": "not a readable EPUB",
}
GOOD = {"gongwen.pdf", "unigb.pdf", "scan.pdf", "garbled.pdf", "turned.png", "upside-down.jpg", "report.docx",
        "news.html", "gbk.htm", "book.epub", "note.txt"}


def write_documents(folder: Path) -> Path:
    """The documents corpus: one good file of every format and one broken file of every kind."""
    folder.mkdir(parents=True, exist_ok=True)
    gongwen_pdf(folder / "gongwen.pdf", TITLE, PARAGRAPHS, lines_per_page=5)
    gongwen_pdf(folder / "unigb.pdf", TITLE, PARAGRAPHS[:3], encoding="UniGB-UCS2-H")
    scanned_pdf(folder / "scan.pdf", SCAN_PAGES)
    garbled_pdf(folder / "garbled.pdf", ["江门市人民政府关于加快推进新能源汽车", "产业发展的实施意见"])
    render_page(PARAGRAPHS[:3]).rotate(90, expand=True).save(folder / "turned.png")
    render_page(PARAGRAPHS[:3]).rotate(180).save(folder / "upside-down.jpg", quality=85)
    word_document(folder / "report.docx", "江门市产业发展报告", [("一、总体情况", PARAGRAPHS[:2]),
                                                            ("二、下一步工作", PARAGRAPHS[2:3])],
                  [["项目", "投资", "进度"], ["黄茅海跨海通道", "80亿元", "在建"]], header="内部资料 注意保存")
    (folder / "news.html").write_bytes(web_page("江门新能源汽车产业园开工", PARAGRAPHS[:3]))
    (folder / "gbk.htm").write_bytes(web_page("台山清洁能源基地建设提速", PARAGRAPHS[4:6], charset="gbk",
                                              source="台山发布"))
    epub_book(folder / "book.epub", "江门地方志", [("第一章 建置沿革", PARAGRAPHS[:2]),
                                                 ("第二章 经济", PARAGRAPHS[4:5])])
    (folder / "note.txt").write_text("备忘\n\n文本文件照常读取。\n", encoding="utf-8")
    gongwen_pdf(folder / "encrypted.pdf", TITLE, PARAGRAPHS[:2], password="secret")
    (folder / "corrupt.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20)
    (folder / "corrupt.docx").write_bytes(b"PK\x03\x04" + b"\x00garbage" * 200)
    zip_bomb_docx(folder / "bomb.docx", 600 << 20)
    pixel_bomb_png(folder / "bomb.png")
    (folder / "truncated.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (folder / "corrupt.epub").write_bytes(b"PK\x03\x04" + b"\x00not a book" * 50)
    with zipfile.ZipFile(folder / "empty-book.epub", "w") as book:  # a zip without the EPUB container file
        book.writestr("mimetype", "application/epub+zip")
    long_pdf(folder / "long.pdf", 2000)
    blank_pdf(folder / "blank.pdf", pages=2)
    (folder / "nomain.html").write_bytes("<html><body><ul><li><a href='/'>首页</a></li><li><a href='/x'>新闻</a></li>"
                                         "</ul><div class='footer'>版权所有</div></body></html>".encode())
    return folder
