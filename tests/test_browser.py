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

    facet = page.locator("ul.facet[data-facet=speaker] a").first
    speaker = facet.inner_text()
    facet.click()
    page.locator("a.chip").wait_for()  # the filtered page has rendered
    names = page.locator("li.hit .who strong").all_inner_texts()
    assert names and set(names) == {speaker}
    assert page.locator("a.chip").inner_text().startswith("发言人：" + speaker)

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
