"""Working with an archive: date filters and sorting, multi-select facets, browsing, export, citations and
syndicated copies, through the searcher, the JSON API and the CLI (the page's parts are in test_browser)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest

from indexer.analysis.copies import CopyGroups, signatures
from indexer.errors import QueryError
from indexer.requests import SearchRequest
from indexer.search.searcher import Searcher
from webapp import create_app


def search(searcher: Searcher, q: str, **params: object):
    return searcher.search(SearchRequest.parse(q=q, **params))


@pytest.fixture(scope="module")
def archive_client(archive: dict):
    app = create_app({"WENKU_INDEX": str(archive["index"]), "TESTING": True})
    return app.test_client()


def test_date_bounds_filter_and_accept_year_or_month(archive: dict) -> None:
    searcher = archive["searcher"]
    everything = search(searcher, "中国", mode="keyword", k=100)
    years = {h.date[:4] for h in everything.results if h.date}
    assert {"2022", "2023", "2024"} <= years
    only_2023 = search(searcher, "中国", mode="keyword", k=100, date_from="2023", date_to="2023")
    assert only_2023.results and {h.date[:4] for h in only_2023.results} == {"2023"}
    january = search(searcher, "中国", mode="keyword", k=100, date_from="2023-01", date_to="2023-01-01")
    assert january.results and {h.date for h in january.results} == {"2023-01-01"}
    assert all(h.date for h in search(searcher, "发展", mode="keyword", k=100, date_from="2000").results)
    for bad in ({"date_from": "2023-13"}, {"date_to": "next year"}, {"date_from": "2024", "date_to": "2023"}):
        with pytest.raises(QueryError, match="date"):
            SearchRequest.parse(q="中国", **bad)


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_sorting_by_date_walks_the_same_list(archive: dict, mode: str) -> None:
    searcher = archive["tiny_searcher"]
    relevance = search(searcher, "人民", mode=mode, k=100)
    newest = search(searcher, "人民", mode=mode, k=100, sort="newest")
    oldest = search(searcher, "人民", mode=mode, k=100, sort="oldest")
    assert newest.total == oldest.total == relevance.total <= 100
    assert {h.id for h in newest.results} == {h.id for h in relevance.results} == {h.id for h in oldest.results}
    dated = [h.date for h in newest.results if h.date]
    assert dated == sorted(dated, reverse=True) and len(set(dated)) > 2
    assert [h.date for h in oldest.results if h.date] == sorted(dated)
    undated = [i for i, h in enumerate(newest.results) if not h.date]
    assert undated and undated == list(range(len(newest.results) - len(undated), len(newest.results)))


def test_facets_are_multi_select_or_within_and_across(archive: dict) -> None:
    searcher = archive["searcher"]
    both = search(searcher, "中国", mode="keyword", k=100, source=["央视网", "新华网"])
    assert {h.source for h in both.results} == {"央视网", "新华网"}
    one = search(searcher, "中国", mode="keyword", k=100, source=["央视网"])
    assert one.total < both.total
    across = search(searcher, "中国", mode="keyword", k=100, source=["央视网", "新华网"], year=["2024"])
    assert across.results and {(h.source, h.date[:4]) for h in across.results} == {("新华网", "2024")}
    # Each facet counts as if its own selection were not made: the other sources stay tickable.
    assert {f.value for f in one.facets.source} >= {"央视网", "新华网", "南方日报"}
    assert {f.value for f in one.facets.year} == {"2022", "2023"}
    assert [f.value for f in both.facets.year] == sorted((f.value for f in both.facets.year), reverse=True)
    speakers = search(searcher, "发展", mode="keyword", k=100, speaker=["劳茂昌", "刘志刚"])
    assert {h.speaker for h in speakers.results} == {"劳茂昌", "刘志刚"}


def test_syndicated_copies_collapse_to_the_earliest(archive: dict) -> None:
    ids = archive["ids"]
    copies = {ids["南方日报"], ids["江门日报"]}
    for searcher in (archive["searcher"], archive["tiny_searcher"]):
        for mode in (["keyword"] if searcher is archive["searcher"] else ["semantic", "hybrid"]):
            collapsed = search(searcher, "经济日报 创刊40周年 贺信", mode=mode, k=100)
            shown = [h for h in collapsed.results if {h.article_id} & ({ids["original"]} | copies)]
            assert shown and all(h.article_id == ids["original"] for h in shown), mode
            assert {c.article_id for c in shown[0].copies} == copies and shown[0].copies_total == 2
            everything = search(searcher, "经济日报 创刊40周年 贺信", mode=mode, k=100, collapse=False)
            assert copies <= {h.article_id for h in everything.results}
            assert everything.total > collapsed.total
    # Filtered to one reprinting outlet, its own copy is the earliest that qualifies.
    only = search(archive["searcher"], "经济日报 创刊40周年", mode="keyword", k=100, source=["南方日报"])
    assert {h.article_id for h in only.results} == {ids["南方日报"]}
    assert all(h.copies_total == 0 for h in only.results)
    # Only the reprinted article has copies: ordinary passages, and short lines elsewhere, have none.
    common = search(archive["searcher"], "发展", mode="keyword", k=100).results
    assert {h.article_id for h in common if h.copies} == {ids["original"]}


def test_citations_and_sources_in_results(archive: dict) -> None:
    hit = search(archive["searcher"], "经济日报 创刊40周年", mode="keyword", k=1).results[0]
    assert hit.source == "央视网" and hit.date == "2023-01-01"
    assert hit.citation.startswith(f"《{hit.article_title}》，央视网，2023-01-01，")
    assert f"第{hit.paragraph}段" in hit.citation
    seed = search(archive["searcher"], "食品工业基地", mode="keyword", k=1).results[0]
    assert f"{seed.speaker}（{seed.role}）" in seed.citation and seed.date is None


def test_export_csv_and_jsonl_match_the_json_results(archive_client) -> None:
    query = "/api/search?q=经济&mode=keyword&source=央视网&source=新华网"
    listed = archive_client.get(query + "&k=100").get_json()
    exported = archive_client.get(query + "&format=csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    text = exported.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["id"] for r in rows] == [h["id"] for h in listed["results"]]
    assert len(rows) == int(exported.headers["X-Wenku-Total"]) == listed["total"]
    assert rows[0]["rank"] == "1" and rows[0]["citation"] == listed["results"][0]["citation"]
    lines = archive_client.get(query + "&format=jsonl&k=5&offset=2")
    assert lines.mimetype == "application/x-ndjson"
    objects = [json.loads(line) for line in lines.get_data(as_text=True).splitlines()]
    assert [o["id"] for o in objects] == [h["id"] for h in listed["results"][2:7]]
    assert [o["rank"] for o in objects] == [3, 4, 5, 6, 7] and "highlight" not in objects[0]
    assert archive_client.get(query + "&format=xml").status_code == 400
    assert archive_client.get(query + "&format=csv&k=1001").status_code == 400
    assert archive_client.get(query + "&k=101").status_code == 400  # a JSON page stays at most 100


def test_export_keeps_formula_like_text_as_text(archive_client) -> None:
    text = archive_client.get("/api/search?q=HYPERLINK 等号开头&mode=keyword&format=csv").get_data(as_text=True)
    row = next(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert row["text"].startswith("'=HYPERLINK(")


def test_browse_articles_and_facets(archive_client, archive: dict) -> None:
    listing = archive_client.get("/api/articles?k=5").get_json()
    assert listing["total"] == 22 and len(listing["articles"]) == 5 and listing["sort"] == "newest"
    dates = [a["date"] for a in listing["articles"]]
    assert dates == sorted(dates, reverse=True) and dates[0].startswith("2024")
    oldest = archive_client.get("/api/articles?sort=oldest&k=100").get_json()["articles"]
    assert oldest[0]["date"].startswith("2022") and oldest[-1]["date"] is None  # the undated seed last
    seed = archive_client.get("/api/articles?speaker=劳茂昌").get_json()
    assert [a["id"] for a in seed["articles"]] == ["jiangmen-high-quality-development"]
    assert "劳茂昌" in seed["articles"][0]["speakers"]
    paged = archive_client.get("/api/articles?k=5&offset=5").get_json()["articles"]
    assert not {a["id"] for a in paged} & {a["id"] for a in listing["articles"]}
    facets = archive_client.get("/api/facets").get_json()
    years = {f["value"]: f["count"] for f in facets["year"]}
    assert years == {"2024": 7, "2023": 8, "2022": 6}  # articles, not passages
    assert {f["value"]: f["count"] for f in facets["source"]}["南方日报"] == 1
    filtered = archive_client.get("/api/facets?year=2023").get_json()
    assert {f["value"]: f["count"] for f in filtered["year"]} == years  # the chosen facet: as if not chosen
    assert {f["value"] for f in filtered["source"]} == {"央视网", "南方日报", "江门日报"}  # the others: within 2023
    browsed = archive_client.get("/api/articles?year=2023&k=100").get_json()
    assert browsed["total"] == 8 and {a["date"][:4] for a in browsed["articles"]} == {"2023"}
    assert browsed["facets"]["year"] == facets["year"]
    assert archive_client.get("/api/articles?sort=relevance").status_code == 400
    assert archive_client.get("/api/facets?date_from=soon").status_code == 400


def test_post_search_takes_lists_and_new_parameters(archive_client) -> None:
    body = archive_client.post("/api/search", json={"q": "中国", "mode": "keyword", "source": ["新华网"],
                                                      "sort": "oldest", "date_to": "2024-12", "collapse": False})
    assert body.status_code == 200
    results = body.get_json()["results"]
    assert results and {r["source"] for r in results} == {"新华网"}
    assert archive_client.post("/api/search", json={"q": "中国", "source": [1]}).status_code == 400


def wenku(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "indexer", *args], capture_output=True, text=True, timeout=120)


def test_cli_filters_sort_export_and_browse(archive: dict) -> None:
    index = str(archive["index"])
    out = wenku("search", "中国", "--index", index, "--mode", "keyword", "--source", "央视网", "--source", "新华网",
                "--from", "2023", "--to", "2024-01", "--sort", "newest", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows and all(r["date"] >= "2023" for r in rows)
    assert [r["date"] for r in rows] == sorted((r["date"] for r in rows), reverse=True)
    lines = wenku("search", "中国", "--index", index, "--mode", "keyword", "--format", "jsonl", "-k", "3").stdout
    assert len(lines.splitlines()) == 3
    assert wenku("search", "中国", "--index", index, "-k", "200").returncode == 2
    assert wenku("search", "中国", "--index", index, "--from", "yesterday").returncode == 2
    listing = wenku("articles", "--index", index, "--year", "2022", "--sort", "oldest")
    assert listing.returncode == 0 and listing.stdout.startswith("6 articles")
    facets = json.loads(wenku("facets", "--index", index, "--source", "央视网").stdout)
    assert {f["value"] for f in facets["year"]} == {"2022", "2023"}


def test_paging_a_collapsed_keyword_list_walks_every_group_once(archive: dict) -> None:
    searcher = archive["searcher"]
    query = "习近平 人民 中国 发展 经济"
    first = search(searcher, query, mode="keyword", k=10)
    # More matches than the first ranking depth (100), copies among them: the last pages need a deeper ranking.
    every = search(searcher, query, mode="keyword", collapse=False).total
    assert every > 100 and every > first.total
    seen: list[str] = []
    for offset in range(0, first.total, 10):
        seen += [h.id for h in search(searcher, query, mode="keyword", k=10, offset=offset).results]
    assert len(seen) == len(set(seen)) == first.total


def test_copy_groups_of_plain_lists() -> None:
    long_text = "江门市推进海上风电装备产业园建设，首期投资二十亿元，引进整机和叶片制造项目共十二个。"
    other = "恩平市举办温泉旅游节，吸引游客超过十万人次，带动酒店和餐饮消费明显增长，节期延至月底。"
    short = "会上代表发言热烈"
    sigs = signatures([long_text, "（南方日报讯）" + long_text, other, short, short])
    groups = CopyGroups.find(sigs, np.ones(5, bool), np.array([20240102, 20240101, 20240101, 0, 0], np.int32),
                             np.array([0, 1, 2, 3, 4]))
    assert groups.of(0).tolist() == [1, 0]  # the earlier article first
    assert groups.group[2] == groups.group[3] == groups.group[4] == -1  # short lines of unlinked articles: alone
    assert len(CopyGroups.find(sigs[2:], np.ones(3, bool), np.zeros(3, np.int32), np.arange(3)).members) == 0
