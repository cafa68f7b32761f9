"""A real browser (Debian's headless Chromium via Playwright) against `wenku serve` on localhost, JavaScript off."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import running_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("chromium not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = pytest.mark.slow  # real processes: servers, browsers, kills; `-m 'not slow'` skips them


@pytest.fixture(scope="module")
def server(hybrid_index: Path) -> Iterator[str]:
    """`wenku serve` on the hybrid index (tiny model), stopped after the module."""
    with running_server(hybrid_index) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def test_search_facet_and_article_flow_without_javascript(server: str, browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page.goto(server + "/")
    page.fill("input[name=q]", "新能源 产业园")
    page.click("button[type=submit]")
    hits = page.locator("li.hit")
    assert hits.count() == 10
    assert page.locator("li.hit mark").count() > 0
    assert page.input_value("input[name=q]") == "新能源 产业园"
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)

    ticks = page.locator("fieldset.facet[data-facet=speaker] input[type=checkbox]")
    chosen_speakers = {ticks.nth(0).get_attribute("value"), ticks.nth(1).get_attribute("value")}
    ticks.nth(0).check()
    ticks.nth(1).check()
    page.click("details.facets button[type=submit]")
    page.locator("a.chip").first.wait_for()  # the filtered page has rendered
    names = set(page.locator("li.hit .who strong").all_inner_texts())
    assert names and names <= chosen_speakers
    chips = page.locator("a.chip").all_inner_texts()
    assert {c.removeprefix("发言人：").removesuffix(" ×") for c in chips} == chosen_speakers

    first = page.locator("li.hit .source a").first
    text = page.locator("li.hit .text").first.inner_text()
    first.click()
    assert "#p-" in page.url
    chosen = page.locator("p.passage.chosen")
    chosen.first.wait_for()  # the article page has rendered (count() does not wait)
    assert chosen.count() == 1 and text[:20] in chosen.inner_text()
    assert page.locator("aside.similar li").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "article.png"), full_page=True)
    page.close()


def test_page_fits_a_phone_screen(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(server + "/?q=" + "哪个区要打造食品工业基地")
    assert page.locator("li.hit").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    first = page.locator("li.hit").first.bounding_box()
    assert first and first["y"] < 844  # the first result is on the first screen, before notices and facets
    facets = page.locator("details.facets").bounding_box()
    assert facets and facets["y"] > first["y"]
    page.screenshot(path=str(ARTIFACTS / "search-phone.png"), full_page=False)
    page.close()


def test_a_long_query_typed_in_the_page_is_answered(server: str, browser) -> None:
    page = browser.new_page(java_script_enabled=False)
    page.goto(server + "/")
    query = "蓬江区要打造食品工业基地吗" * 200  # 2,600 characters: ~23 KB percent-encoded, past gunicorn's 4,094
    page.fill("input[name=q]", query)
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    assert navigation.value.status == 200
    assert page.input_value("input[name=q]") == query
    assert page.locator("li.hit").count() > 0


@pytest.fixture(scope="module")
def archive_server(archive: dict) -> Iterator[str]:
    """`wenku serve` on the archive index (dated CCTV items, a reprinted item), keyword only."""
    with running_server(archive["index"]) as base:
        yield base


@pytest.mark.parametrize("width", [1280, 390])
def test_archive_features_in_the_page(archive_server: str, archive: dict, browser, width: int) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(java_script_enabled=False, viewport={"width": width, "height": 900})
    page.goto(archive_server + "/")
    page.fill("input[name=q]", "经济日报 创刊40周年")
    page.click("details.options summary")  # 时间与排序 opens
    page.fill("input[name=date_from]", "2023")
    page.select_option("select[name=sort]", "newest")
    page.click("form.search button[type=submit]")
    page.locator("li.hit").first.wait_for()
    dates = [d for d in page.locator("li.hit .source").all_inner_texts()]
    assert dates and all("2023" in d or "2024" in d for d in dates)
    copies = page.locator("details.copies summary").first
    assert copies.inner_text() == "另有 2 篇相同报道"
    copies.click()
    assert page.locator("details.copies").first.locator("li a").count() == 2
    assert page.locator("p.citation").first.inner_text().startswith("引用：《")
    page.screenshot(path=str(ARTIFACTS / f"archive-search-{width}.png"), full_page=True)
    csv_link = page.locator("a.export", has_text="CSV").get_attribute("href")
    exported = page.request.get(archive_server + csv_link)
    assert exported.ok and exported.headers["content-type"].startswith("text/csv")
    assert exported.text().count("\n") >= 2

    page.goto(archive_server + "/articles?sort=oldest")
    assert page.locator("li.listed").first.locator(".meta").inner_text().startswith("2022")
    page.locator("fieldset.facet[data-facet=year] input[value='2024']").check()
    page.locator("fieldset.facet[data-facet=source] input[value='新华网']").check()
    page.click("details.facets button[type=submit]")
    page.locator("a.chip").first.wait_for()
    metas = page.locator("li.listed .meta").all_inner_texts()
    assert metas and all(m.startswith("2024") and "新华网" in m for m in metas)
    page.screenshot(path=str(ARTIFACTS / f"archive-browse-{width}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_article_view_keeps_the_speaker_in_sight(archive_server: str, browser, width: int) -> None:
    page = browser.new_page(java_script_enabled=False, viewport={"width": width, "height": 800})
    passage = "jiangmen-high-quality-development:5"
    page.goto(f"{archive_server}/articles/jiangmen-high-quality-development?p={passage}&q=食品工业#p-5")
    chosen = page.locator("p.passage.chosen")
    chosen.wait_for()
    assert page.locator("p.dek").inner_text().startswith("各县")
    head = page.locator("p.passage.chosen").locator("xpath=ancestor::section[1]/header")
    box, chosen_box = head.bounding_box(), chosen.bounding_box()
    assert box and chosen_box and 0 <= box["y"] < chosen_box["y"] < 800  # speaker and role on screen above it
    assert page.locator("p.passage mark").count() > 0  # the search's words are marked in the article
    similar = page.locator("aside.similar").bounding_box()
    assert similar and 0 <= similar["y"] - (chosen_box["y"] + chosen_box["height"]) < 50  # right after it
    page.screenshot(path=str(ARTIFACTS / f"article-{width}.png"), full_page=False)
    page.close()


def test_page_messages_are_chinese(archive_server: str, browser) -> None:
    page = browser.new_page(java_script_enabled=False)
    for path, expected in (("/articles/nope", "找不到所要的文章"), ("/?q=x&mode=fuzzy", "检索方式：只能是"),
                           ("/?q=x&date_from=soon", "起始日期：日期格式不对"), ("/no-such-page", "页面不存在")):
        page.goto(archive_server + path)
        text = page.locator("main").inner_text()
        assert expected in text, (path, text)
        assert not any(word in text for word in ("must be", "no article", "Not Found")), text
    page.close()


@pytest.fixture(scope="module")
def documents_server(documents: dict) -> Iterator[str]:
    """`wenku serve` on the documents index (PDFs, scans, Word, web pages), keyword only."""
    with running_server(documents["index"], corpus=documents["corpus"]) as base:
        yield base


def test_a_pdf_hit_opens_its_article_and_the_original_at_the_page(documents_server: str, documents: dict,
                                                                   browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page.goto(documents_server + "/?q=清洁能源装机容量&mode=keyword&collapse=false")
    hit = page.locator("li.hit", has=page.locator("a.original", has_text="原件（PDF）")).first
    assert "第3页" in hit.locator(".source").inner_text()
    assert hit.locator("a.page").get_attribute("href") == "/api/articles/gongwen/original#page=3"
    page.screenshot(path=str(ARTIFACTS / "documents-search.png"), full_page=True)
    hit.locator(".source a").first.click()
    chosen = page.locator("p.passage.chosen")
    chosen.wait_for()
    link = chosen.locator("a.page")
    assert link.inner_text() == "第3页" and link.get_attribute("href") == "/api/articles/gongwen/original#page=3"
    assert page.locator("p.meta a.original").inner_text() == "原件（PDF，3页）"
    page.screenshot(path=str(ARTIFACTS / "documents-article.png"), full_page=True)
    original = page.request.get(documents_server + link.get_attribute("href").split("#")[0])
    assert original.ok and original.headers["content-type"] == "application/pdf"
    assert original.body() == (documents["corpus"] / "gongwen.pdf").read_bytes()
    page.close()
