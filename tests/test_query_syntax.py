"""The query language (speaker:/region:/source:, "exact phrases", -exclusions) on the API, the page and the CLI,
on a real keyword index of articles whose speakers are found in reported speech."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import quiet

from indexer.requests import SearchRequest
from indexer.search.searcher import Searcher
from indexer.syntax import parse_query
from indexer.update.build import build_index

ARTICLES = {
    "ocean-2024.md": ("---\ntitle: 海洋牧场建设提速\ndate: 2024-03-01\nsource: 江门日报\n---\n"
                      "市海洋局局长王海洋说：“今年我们将新建三个海洋牧场示范区，投放人工鱼礁两万立方米。”\n\n"
                      "市文化广电旅游局局长陈旅说，海洋旅游线路将与牧场同步规划。\n"),
    "ocean-2025.md": ("---\ntitle: 海洋牧场一期投用\ndate: 2025-06-01\nsource: 南方日报\n---\n"
                      "王海洋表示，一期海洋牧场已经投入使用，渔民增收明显。\n\n"
                      "据介绍，海洋牧场二期将于明年开工。\n"),
    "ocean-2023.md": ("---\ntitle: 海洋经济推进会召开\ndate: 2023-01-05\nsource: 江门日报\n---\n"
                      "市海洋局局长王海洋指出，要加快海洋牧场规划编制，发展休闲渔业和海洋旅游。\n"),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("syntax")
    (root / "corpus").mkdir()
    for name, text in ARTICLES.items():
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    build_index(root / "corpus", root / "index", keyword_only=True, log=quiet)
    return root / "index"


@pytest.fixture(scope="module")
def searcher(index: Path) -> Searcher:
    return Searcher.open(index)


def ask(searcher: Searcher, q: str, **values: object):
    return searcher.search(SearchRequest.parse(q=q, mode="keyword", **values))


def test_parse_query_parts() -> None:
    parsed = parse_query('speaker:王海洋 海洋牧场 "人工 鱼礁" -旅游 source：“江门 日报”')
    assert parsed.text == "海洋牧场"
    assert parsed.phrases == ("人工 鱼礁",) and parsed.excluded == ("旅游",)
    assert parsed.filters == {"speaker": ["王海洋"], "source": ["江门 日报"]}
    assert parse_query("a-b 2-3 -").text == "a-b 2-3 -"  # a hyphen inside a word or alone is text


def test_speaker_operator_filters_like_the_parameter(searcher: Searcher) -> None:
    by_operator = ask(searcher, "speaker:王海洋 海洋牧场")
    by_parameter = ask(searcher, "海洋牧场", speaker=["王海洋"])
    assert by_operator.total == by_parameter.total == 3
    assert [h.id for h in by_operator.results] == [h.id for h in by_parameter.results]
    assert {h.speaker for h in by_operator.results} == {"王海洋"}
    assert by_operator.query == "speaker:王海洋 海洋牧场"  # the response echoes what was asked
    assert ask(searcher, "source:南方日报 海洋牧场").total == 2  # 王海洋's passage and the narration


def test_a_quoted_phrase_must_appear_as_written_across_word_boundaries(searcher: Searcher) -> None:
    # jieba cuts 海洋牧场 as one word; the phrase 洋牧 lies across it and still matches the text as it reads
    found = ask(searcher, '"洋牧"')
    assert found.total == 4 and all("洋牧" in h.text for h in found.results)
    assert ask(searcher, '"人工鱼礁两万"').total == 1
    assert ask(searcher, '海洋 "牧场示范区"').results[0].text.count("牧场示范区") == 1
    assert ask(searcher, '"示范区两万"').total == 0  # words all present, not in that order


def test_an_excluded_word_leaves_passages_out(searcher: Searcher) -> None:
    every = ask(searcher, "海洋牧场")
    without = ask(searcher, "海洋牧场 -旅游")
    assert without.total == every.total - 2  # 陈旅's passage and the 2023 one mention 旅游
    assert all("旅游" not in h.text for h in without.results)


def test_filters_alone_list_a_speakers_passages_newest_first(searcher: Searcher) -> None:
    for response in (ask(searcher, "speaker:王海洋"), ask(searcher, "", speaker=["王海洋"])):
        assert [h.date for h in response.results] == ["2025-06-01", "2024-03-01", "2023-01-05"]
        assert response.total == 3 and {h.speaker for h in response.results} == {"王海洋"}
    oldest = ask(searcher, "", speaker=["王海洋"], sort="oldest")
    assert oldest.results[0].date == "2023-01-05"


def test_api_reports_unknown_parameters_and_takes_the_syntax(index: Path) -> None:
    from webapp import create_app

    client = create_app({"WENKU_INDEX": str(index), "TESTING": True}).test_client()
    body = client.get("/api/search", query_string={"q": "海洋牧场", "spekaer": "王海洋", "mode": "keyword"}).get_json()
    assert "unknown parameter ignored: spekaer (did you mean speaker?)" in body["warnings"]
    assert body["total"] == 5  # the typo did not filter: that is what the warning is for
    body = client.get("/api/search", query_string={"q": "speaker:王海洋 -旅游", "mode": "keyword"}).get_json()
    assert body["total"] == 2 and "warnings" in body and not any("unknown" in w for w in body["warnings"])
    body = client.get("/api/search", query_string={"speaker": "王海洋"}).get_json()
    assert [h["date"] for h in body["results"]] == ["2025-06-01", "2024-03-01", "2023-01-05"]
    page = client.get("/", query_string={"q": "海洋牧场", "spekaer": "王"}).get_data(as_text=True)
    assert "网址中的参数“spekaer”无法识别" in page


def test_page_speaker_link_leads_to_what_they_said(index: Path) -> None:
    from webapp import create_app

    client = create_app({"WENKU_INDEX": str(index), "TESTING": True}).test_client()
    page = client.get("/", query_string={"q": "海洋牧场", "mode": "keyword"}).get_data(as_text=True)
    assert '/?speaker=%E7%8E%8B%E6%B5%B7%E6%B4%8B&amp;sort=newest' in page  # not the article list
    listing = client.get("/?speaker=%E7%8E%8B%E6%B5%B7%E6%B4%8B&sort=newest").get_data(as_text=True)
    assert "王海洋的全部发言" in listing and "共 3 条结果" in listing
    assert listing.index("一期海洋牧场已经投入使用") < listing.index("新建三个海洋牧场示范区")


def test_cli_takes_the_syntax(index: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "indexer", "search", "speaker:王海洋 海洋牧场 -旅游", "--index",
                          str(index), "--json", "--mode", "keyword"], capture_output=True, text=True, check=True)
    body = json.loads(out.stdout)
    assert body["total"] == 2 and {h["speaker"] for h in body["results"]} == {"王海洋"}
