"""Reading article files: every decoding case, front matter, ids, and skipping without aborting."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GB18030_TEXT, GBK_TEXT, READABLE_ARTICLES, SKIPPED_FILES, UTF8_BOM_TEXT, UTF16_TEXT

from indexer.errors import ArticleError
from indexer.ingest.article import parse_article
from indexer.ingest.decode import decode_bytes
from indexer.ingest.files import article_id_for
from indexer.ingest.reader import read_corpus

TRADITIONAL = ("臺灣新竹科學園區的半導體產業持續成長，政府宣布將投資新的研發中心。\n\n記者會上，經濟部長表示，"
               "這項計畫將帶動上下游廠商進駐，創造數千個就業機會。")


@pytest.mark.parametrize(("raw", "text", "encoding"), [
    ("纯文本".encode(), "纯文本", "utf-8"),
    (UTF8_BOM_TEXT.encode("utf-8-sig"), UTF8_BOM_TEXT, "utf-8-sig"),
    (b"\xff\xfe" + UTF16_TEXT.encode("utf-16-le"), UTF16_TEXT, "utf-16"),
    (b"\xfe\xff" + UTF16_TEXT.encode("utf-16-be"), UTF16_TEXT, "utf-16"),
    (GBK_TEXT.encode("gbk"), GBK_TEXT, "gb18030"),
    (GB18030_TEXT.encode("gb18030"), GB18030_TEXT, "gb18030"),
    ("日文「ガンダム」と韓文한국어、俄文Москва。".encode(), "日文「ガンダム」と韓文한국어、俄文Москва。", "utf-8"),
    ("日文「ガンダム」の資料。".encode("gb18030"), "日文「ガンダム」の資料。", "gb18030"),
    # Without a BOM, and in Big5: found by charset-normalizer (issue 10), misread or refused before.
    (UTF16_TEXT.encode("utf-16-le"), UTF16_TEXT, "utf-16-le"),
    (UTF16_TEXT.encode("utf-16-be"), UTF16_TEXT, "utf-16-be"),
    (TRADITIONAL.encode("big5"), TRADITIONAL, "big5"),
    ("臺北市召開會議。".encode("big5"), "臺北市召開會議。", "big5"),
    ("江门市蓬江区召开会议。".encode("gbk"), "江门市蓬江区召开会议。", "gb18030"),
])
def test_decodes_every_supported_encoding(raw: bytes, text: str, encoding: str) -> None:
    assert decode_bytes(raw) == (text, encoding)


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty"),
    (b"  \n\r\n\t ", "empty"),
    (b"\xef\xbb\xbf\n", "empty"),
    (b"PK\x03\x04\x00\x00binary", "binary"),
    (bytes(range(0x80, 0x100)) * 4, "undecodable"),
    (b"\xff\xfe" + b"\x00\xd8" * 10, "undecodable"),  # UTF-16 BOM followed by lone surrogates
])
def test_rejects_unreadable_bytes_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(ArticleError, match=reason):
        decode_bytes(raw)


def test_front_matter_sets_title_date_source_url_and_skips_repeated_title() -> None:
    raw = "---\ntitle: 标题一\ndate: 2026-03-01\nsource: 江门日报\nurl: https://e.org/1\n---\n# 标题一\n\n正文。\n"
    article = parse_article(raw.encode(), "a/标题.md")
    assert (article.title, article.date, article.source, article.url) == ("标题一", "2026-03-01", "江门日报",
                                                                          "https://e.org/1")
    assert article.text[article.body_start:].strip() == "正文。"


def test_without_front_matter_the_first_line_is_the_title() -> None:
    article = parse_article("\n\n  开局即决战 起步即冲刺\n\n正文第一段。\n".encode(), "seed.txt")
    assert article.title == "开局即决战 起步即冲刺"
    assert article.date is None
    assert "开局" not in article.text[article.body_start:]


def test_front_matter_title_differing_from_first_line_keeps_that_line_as_body() -> None:
    article = parse_article("---\ntitle: 另一个标题\n---\n第一段正文。\n".encode(), "x.md")
    assert article.title == "另一个标题"
    assert article.text[article.body_start:].strip() == "第一段正文。"


@pytest.mark.parametrize("raw", [b"---\ntitle: [unclosed\n---\nbody\n", b"---\n- a\n- b\n---\nbody\n",
                                 b"---\ndate: 2022-13-45\n---\nbody\n", b"---\ndate: 2022-01-01T25:61:00\n---\nbody\n"])
def test_malformed_front_matter_is_a_clear_error(raw: bytes) -> None:
    with pytest.raises(ArticleError, match="front matter"):
        parse_article(raw, "bad.md")


def test_article_ids_are_stable_and_derived_from_the_path() -> None:
    assert article_id_for("jiangmen-high-quality-development.txt") == "jiangmen-high-quality-development"
    assert article_id_for("news/新能源汽车.md") == "news--新能源汽车"
    assert article_id_for("Weird Name (1).TXT") == "weird-name-1"
    assert article_id_for("2023/03/01.md") == article_id_for("2023/03/01.md") == "2023--03--01"


def test_read_corpus_skips_bad_files_by_name_and_keeps_the_rest(corpus_dir: Path) -> None:
    articles, skipped = read_corpus(corpus_dir)
    assert len(articles) == READABLE_ARTICLES
    assert {s.path for s in skipped} == SKIPPED_FILES
    assert all(s.reason for s in skipped)
    by_id = {a.id: a for a in articles}
    assert by_id["gbk"].title == "侨乡博物馆举办华侨文物特展"
    assert "𠮷" in by_id["gb18030"].text
    assert by_id["news--新能源汽车"].date == "2026-03-01"


def test_duplicate_ids_are_skipped_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("甲\n\n甲文。", encoding="utf-8")
    (tmp_path / "a.md").write_text("乙\n\n乙文。", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("隐藏\n\n不应读取。", encoding="utf-8")
    articles, skipped = read_corpus(tmp_path)
    assert [a.path for a in articles] == ["a.md"]
    assert skipped[0].path == "a.txt" and "duplicate" in skipped[0].reason


@pytest.mark.parametrize(("front", "reason"), [
    ("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]", "aliases"),  # the start of an alias bomb
    ("a: &anchor x", "anchors"),
    (f"title: {'长' * 301}", "title too long"),
    (f"source: {'源' * 201}", "source too long"),
    ("title: [a, b]", "expected a single value"),
    ("notes: " + "x" * 9000, "front matter too long"),
    ("date: 2022-13-45", "month must be in 1..12"),
    ("date: 2022-01-01T25:61:00", "malformed front matter"),
])
def test_front_matter_is_bounded_and_refuses_aliases(front: str, reason: str) -> None:
    with pytest.raises(ArticleError, match=reason):
        parse_article(f"---\n{front}\n---\n标题\n\n正文。".encode(), "a.md")


def test_an_alias_bomb_is_refused_at_once() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)]
    raw = ("---\n" + "\n".join(lines) + "\n---\n标题\n\n正文。").encode()
    assert len(raw) < 1000  # nine levels: 9^9 strings once expanded
    with pytest.raises(ArticleError, match="aliases"):
        parse_article(raw, "bomb.md")


@pytest.mark.parametrize(("name", "reason"), [
    (".hidden.txt", "hidden"), ("sub/.x.md", "hidden"), ("a\x00b.txt", "control"), ("长" * 70 + ".txt", "too long"),
    ("x.exe", "not an article"), ("notes.csv", "not an article"),
])
def test_file_names_that_cannot_be_articles_are_refused(name: str, reason: str) -> None:
    from indexer.ingest.files import check_file_name

    with pytest.raises(ArticleError, match=reason):
        check_file_name(name)
