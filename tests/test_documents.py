"""Documents in: PDFs in non-embedded 公文 fonts, scans and photos (OCR), Word, web pages and EPUB made with the tools
users have, read into articles with their pages and metadata; broken ones skipped one line each, the rest indexed."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from documents import (
    BROKEN,
    GOOD,
    HEADER,
    PARAGRAPHS,
    SCAN_PAGES,
    TITLE,
    gongwen_pdf,
    render_page,
    scanned_pdf,
    web_page,
    word_document,
)
from rapidfuzz.distance import Levenshtein

from indexer.ingest import extract
from indexer.ingest.article import Article
from indexer.ingest.chunk import ChunkerSettings, chunk_article
from indexer.ingest.extract import legacy, pdf
from indexer.ingest.reader import ArticleReader, Source
from indexer.requests import SearchRequest
from indexer.schema import FileProblem
from indexer.search.searcher import Searcher
from indexer.settings import ExtractSettings, WriterSettings
from indexer.update.build import build_index


def squeezed(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def similarity(got: str, want: str) -> float:
    """Character accuracy of `got` against `want`: 1 − edit distance / length, whitespace and width folded."""
    got, want = squeezed(got), squeezed(want)
    return 1 - Levenshtein.distance(got, want) / len(want)


def paragraphs_of(article: Article) -> list[str]:
    return [p for p in article.text[article.body_start:].split("\n\n") if p.strip()]


def test_pdf_in_a_non_embedded_gbk_font_reads_as_its_characters(documents: dict) -> None:
    article = documents["articles"]["gongwen.pdf"]
    assert article.format == "pdf" and article.title == TITLE  # the larger line of page one
    assert not re.search(r"[\ufffd\ue000-\uf8ff]|\(cid:\d+\)", article.text)
    # Every paragraph whole (hard line breaks rejoined, no spaces between characters), in order, nothing else:
    # the running header and the "— N —" page numbers are gone.
    assert [squeezed(p) for p in paragraphs_of(article)] == [squeezed(p) for p in PARAGRAPHS]
    assert all(" " not in p for p in paragraphs_of(article))
    assert HEADER not in article.text and "—" not in article.text


def test_pdf_passages_carry_their_page_and_the_speaker_sections_of_the_text(documents: dict) -> None:
    article = documents["articles"]["gongwen.pdf"]
    assert len(article.pages) == 3
    passages = chunk_article(article, ChunkerSettings())
    pages = [p.page for p in passages]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] == 3
    for passage in passages:  # each passage's page is the page its first character is printed on
        assert article.pages[passage.page - 1] <= passage.start
    # 5 lines a page: the second paragraph runs from page 1 onto page 2 and is one passage
    assert any(squeezed(p.text) == squeezed(PARAGRAPHS[1]) for p in passages)
    spoken = [p for p in passages if p.speaker]
    # reported speech first (市发展改革局局长李晓明表示，…), then the speaker heading's section
    assert {p.speaker for p in spoken} == {"李晓明"}
    assert [spoken[0].role, spoken[-1].role] == ["市发展改革局局长", "江门市发展和改革局局长"]
    assert squeezed(spoken[0].text) == squeezed(PARAGRAPHS[1])
    assert squeezed(spoken[1].text) == squeezed(PARAGRAPHS[4])  # the heading's section starts after it


def test_pdf_in_a_unicode_cmap_reads_too(documents: dict) -> None:
    article = documents["articles"]["unigb.pdf"]
    assert [squeezed(p) for p in paragraphs_of(article)][-3:] == [squeezed(p) for p in PARAGRAPHS[:3]]


def test_scanned_pdf_pages_are_ocrd_in_reading_order(documents: dict) -> None:
    article = documents["articles"]["scan.pdf"]
    assert article.format == "pdf" and len(article.pages) == 2
    for number, paragraphs in enumerate(SCAN_PAGES):
        end = article.pages[number + 1] if number + 1 < len(article.pages) else len(article.text)
        assert similarity(article.text[article.pages[number]:end], "".join(paragraphs)) >= 0.97
    assert " " not in article.text.strip()  # lines joined without spaces between Chinese characters


def test_a_garbled_text_layer_is_ocrd(documents: dict) -> None:
    article = documents["articles"]["garbled.pdf"]
    assert pdf.garbled("\x01\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f")
    assert similarity(article.text, "江门市人民政府关于加快推进新能源汽车产业发展的实施意见") >= 0.9


@pytest.mark.parametrize("name", ["turned.png", "upside-down.jpg"])
def test_turned_photos_are_read_upright(documents: dict, name: str) -> None:
    article = documents["articles"][name]
    assert article.format == "image" and article.pages == ()
    assert similarity(article.text, "".join(PARAGRAPHS[:3])) >= 0.95
    assert article.text.startswith("江门市新能源")  # reading order, not the page read upside down


def test_word_document_headings_tables_and_properties(documents: dict) -> None:
    article = documents["articles"]["report.docx"]
    assert (article.title, article.author, article.date) == ("江门市产业发展报告", "江门市发展和改革局", "2023-03-01")
    assert "内部资料" not in article.text and "第 1 页" not in article.text  # header and footer left out
    passages = chunk_article(article, ChunkerSettings())
    by_section: dict[str | None, object] = {}
    for passage in passages:
        by_section.setdefault(passage.section, passage)  # each section's first passage
    assert squeezed(by_section["一、总体情况"].text) == squeezed(PARAGRAPHS[0])  # type: ignore[attr-defined]
    assert squeezed(by_section["二、下一步工作"].text) == squeezed(PARAGRAPHS[2])  # type: ignore[attr-defined]
    table = next(p for p in passages if "黄茅海" in p.text)
    assert table.text == "| 项目 | 投资 | 进度 |\n| 黄茅海跨海通道 | 80亿元 | 在建 |"
    assert table.section == "一、总体情况" and article.text[table.start:table.end] == table.text


@pytest.mark.parametrize(("name", "title", "source", "body"), [
    ("news.html", "江门新能源汽车产业园开工", "江门日报", PARAGRAPHS[:3]),
    ("gbk.htm", "台山清洁能源基地建设提速", "台山发布", PARAGRAPHS[4:6]),
])
def test_web_page_main_text_and_metadata(documents: dict, name: str, title: str, source: str, body: list) -> None:
    article = documents["articles"][name]
    assert (article.title, article.date, article.source) == (title, "2024-05-31", source)
    assert article.url == "https://www.jiangmen.gov.cn/news/1.html"
    assert [squeezed(p) for p in paragraphs_of(article)] == [squeezed(p) for p in body]  # nothing but the article
    for chrome in ("首页", "分享到", "相关新闻", "版权所有", "责任编辑", "当前位置"):
        assert chrome not in article.text


def test_epub_chapters_in_spine_order(documents: dict) -> None:
    article = documents["articles"]["book.epub"]
    assert (article.title, article.author, article.date) == ("江门地方志", "江门市地方志办公室", "2022-10-01")
    sections = [p.section for p in chunk_article(article, ChunkerSettings())]
    assert sections == ["第一章 建置沿革", "第一章 建置沿革", "第二章 经济"]


def test_bad_documents_get_one_clear_line_each_and_the_rest_is_indexed(documents: dict) -> None:
    failed = {Path(p.path).name: p.reason for p in documents["report"].manifest.failed}
    for name, reason in BROKEN.items():
        assert reason in failed[name], (name, failed[name])
    assert set(failed) == set(BROKEN)
    assert set(documents["articles"]) == GOOD
    assert documents["report"].manifest.counts.articles == len(GOOD)
    info = documents["searcher"].info()
    assert info.formats == {"pdf": 4, "image": 2, "html": 2, "docx": 1, "epub": 1, "txt": 1}


def test_search_hits_from_documents_carry_page_format_and_the_original(documents: dict) -> None:
    searcher: Searcher = documents["searcher"]
    # The same paragraph is in a web page and a scan too: copies are listed, not collapsed, to see each.
    response = searcher.search(SearchRequest.parse(q="清洁能源装机容量", mode="keyword", k=20, collapse=False))
    hit = next(h for h in response.results if h.article_id == "gongwen")
    assert (hit.format, hit.page) == ("pdf", 3)
    assert hit.original_url == "/api/articles/gongwen/original#page=3"
    assert hit.citation.endswith("第3页") and "李晓明（江门市发展和改革局局长）" in hit.citation
    web = next(h for h in response.results if h.article_id == "gbk")
    assert web.page is None and web.original_url == "/api/articles/gbk/original" and "第" not in web.citation[-3:]


def test_extracted_text_is_cached_and_each_extractor_version_re_extracts_only_its_files(
        documents: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus, cache = documents["corpus"], documents["index"] / "cache"
    # A limit no extraction can meet: whatever is read from the cache passes, whatever is extracted again fails.
    impossible = ExtractSettings(max_seconds=0.001)
    sources = [Source(name, path=corpus / name) for name in ("scan.pdf", "report.docx")]
    assert all(isinstance(r, Article) for r in ArticleReader(cache, impossible).read(sources))
    monkeypatch.setattr(pdf, "VERSION", pdf.VERSION + "-next")  # a new PDF extractor: PDFs read again, Word not
    scanned, word = ArticleReader(cache, impossible).read(sources)
    assert isinstance(scanned, FileProblem) and "took longer than" in scanned.reason
    assert isinstance(word, Article)


def test_a_file_that_takes_too_long_is_stopped_and_the_others_are_read(tmp_path: Path) -> None:
    scanned_pdf(tmp_path / "slow.pdf", SCAN_PAGES)
    (tmp_path / "quick.html").write_bytes(web_page("标题", PARAGRAPHS[:2]))
    settings = ExtractSettings(max_seconds=1.0, workers=1)  # OCR of a page takes seconds
    slow, quick = ArticleReader(None, settings).read([Source("slow.pdf", path=tmp_path / "slow.pdf"),
                                                      Source("quick.html", path=tmp_path / "quick.html")])
    assert isinstance(slow, FileProblem) and "took longer than 1 s" in slow.reason
    assert isinstance(quick, Article) and quick.title == "标题"


def test_ocr_off_skips_scans_with_the_reason(tmp_path: Path) -> None:
    scanned_pdf(tmp_path / "scan.pdf", SCAN_PAGES[:1])
    render_page(PARAGRAPHS[:1]).save(tmp_path / "photo.png")
    results = ArticleReader(None, ExtractSettings(ocr=False)).read(
        [Source("scan.pdf", path=tmp_path / "scan.pdf"), Source("photo.png", path=tmp_path / "photo.png")])
    assert [r.reason for r in results if isinstance(r, FileProblem)] == [
        "PDF has no text: scanned pages need OCR, which is off", "an image needs OCR, which is off"]


def test_legacy_word_files_need_libreoffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice on this PATH (the worker inherits it)
    result = ArticleReader(None).read([Source("old.doc", path=tmp_path / "old.doc")])[0]
    assert isinstance(result, FileProblem) and "need LibreOffice" in result.reason


@pytest.mark.skipif(legacy.converter() is None, reason="LibreOffice is not installed (apt-get install "
                    "libreoffice-writer-nogui); .ci/run installs it")
def test_legacy_doc_is_converted_by_libreoffice(tmp_path: Path) -> None:
    import subprocess

    word_document(tmp_path / "report.docx", "旧格式报告", [("一、情况", PARAGRAPHS[:1])], [["甲", "乙"]], "页眉")
    subprocess.run([legacy.converter(), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "doc", "--outdir", str(tmp_path / "out"), str(tmp_path / "report.docx")],
                   check=True, capture_output=True, timeout=120)
    result = ArticleReader(None).read([Source("old.doc", path=tmp_path / "out" / "report.doc")])[0]
    assert isinstance(result, Article) and result.format == "doc"
    assert squeezed(PARAGRAPHS[0]) in squeezed(result.text)


def test_every_document_suffix_has_an_extractor() -> None:
    assert {extract.kind_of(s) for s in extract.DOCUMENT_SUFFIXES} == set(extract.versions(ExtractSettings())) - {
        "ocr"}


def test_a_build_shows_progress_in_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "corpus").mkdir()
    gongwen_pdf(tmp_path / "corpus" / "a.pdf", TITLE, PARAGRAPHS, lines_per_page=9)
    build_index(tmp_path / "corpus", tmp_path / "index", keyword_only=True, log=lambda _: None, progress=True,
                settings=WriterSettings())
    shown = capsys.readouterr().err
    assert "extracting" in shown and "page/s" in shown and "failed=0" in shown and "files=1/1" in shown


def test_a_new_extractor_version_reaches_the_index_at_the_next_build() -> None:
    from indexer.ingest.article import document_article
    from indexer.ingest.extract.document import Extracted

    old = document_article(Extracted(format="pdf", text="正文。\n", engines={"pdf": "1"}), "ab" * 32, "a.pdf")
    new = document_article(Extracted(format="pdf", text="正文。\n", engines={"pdf": "2"}), "ab" * 32, "a.pdf")
    again = document_article(Extracted(format="pdf", text="正文。\n", engines={"pdf": "2"}), "ab" * 32, "a.pdf")
    # What a build compares: the same bytes read by another extractor version are a change (re-indexed), by the
    # same version not (unchanged, costs nothing).
    assert old.sha256 != new.sha256 and new.sha256 == again.sha256


def test_a_multi_page_tiff_is_ocrd_page_by_page(tmp_path: Path) -> None:
    first, second = render_page(SCAN_PAGES[0]), render_page(SCAN_PAGES[1])
    first.save(tmp_path / "fax.tif", save_all=True, append_images=[second], compression="tiff_deflate")
    article = ArticleReader(None).read([Source("fax.tif", path=tmp_path / "fax.tif")])[0]
    assert isinstance(article, Article) and article.format == "image" and len(article.pages) == 2
    second_page = article.text[article.pages[1]:]
    assert similarity(second_page, "".join(SCAN_PAGES[1])) >= 0.97
    passages = chunk_article(article, ChunkerSettings())
    assert [p.page for p in passages] == [1, 1, 1, 2, 2]
