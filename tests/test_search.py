"""Searching real indexes (FAISS + BM25 + SQLite, tiny real model) in every mode."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from indexer.embed.encoders import load_encoder
from indexer.errors import IndexBusy, IndexCorrupt, IndexNotFound, ModelMismatch, ModelUnavailable, QueryError
from indexer.formats import VECTORS_FILE
from indexer.index.layout import IndexLayout
from indexer.index.manifest import Manifest
from indexer.requests import MAX_QUERY_CHARS, SearchRequest
from indexer.search.fusion import Fusion
from indexer.search.searcher import Searcher
from indexer.settings import WriterSettings
from indexer.update.build import build_index

MODES = ("hybrid", "semantic", "keyword")
HOSTILE = ['"', '""', '"新能源', "新能源 AND 产业园 OR NOT 食品", "(((", ")", "*", "产业*", "a:b", "-发展",
           "NEAR(新能源 产业园)", "😀🚀", "\\", "%_", "'; DROP TABLE passages; --", "<script>alert(1)</script>",
           "\x00\x1f", "﻿", "發展", "ＡＮＤ", "发展" * 5000, "新能源 " * 1400]


def passages_of(index: Path) -> list[tuple[str, str]]:
    """(id, text) of every stored passage, read straight from the segments' SQLite files."""
    layout = IndexLayout(index)
    rows: list[tuple[str, str]] = []
    for ref in Manifest.read(layout.current_dir()).segments:
        with sqlite3.connect(layout.segment_dir(ref.id) / "store.sqlite") as db:
            rows += db.execute("SELECT id, text FROM passages ORDER BY num")
    return rows


def search(searcher: Searcher, q: str, **params: object):
    return searcher.search(SearchRequest.parse(q=q, **params))


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_reports_its_scores(searcher: Searcher, mode: str) -> None:
    response = search(searcher, "新能源 产业园", mode=mode, k=5)
    assert response.mode == mode and response.warnings == []
    assert response.semantic_ratio == (searcher.fusion.semantic_ratio if mode == "hybrid" else None)
    assert len(response.results) == 5 and response.total >= 5
    scores = [hit.score for hit in response.results]
    assert scores == sorted(scores, reverse=True)
    for hit in response.results:
        if mode == "keyword":
            assert hit.scores.semantic is None and hit.score == pytest.approx(hit.scores.keyword.score, abs=1e-5)
        elif mode == "semantic":
            assert hit.scores.keyword is None and hit.score == pytest.approx(hit.scores.semantic.score, abs=1e-5)
        else:
            assert 0 <= hit.score <= 1  # the default fusion is a convex combination of min-max scaled scores
    if mode == "hybrid":
        assert any(h.scores.keyword and h.scores.semantic for h in response.results)


def test_reciprocal_rank_fusion_scores_are_the_weighted_sum_over_both_lists(searcher: Searcher) -> None:
    for ratio in (0.5, 0.3):
        request = SearchRequest.parse(q="新能源 产业园", k=10, semantic_ratio=ratio)
        response = searcher.search(request, fusion=Fusion(method="rrf", rrf_k=60))
        for hit in response.results:
            fused = sum(weight / (60 + s.rank) for s, weight in ((hit.scores.keyword, 2 * (1 - ratio)),
                                                                 (hit.scores.semantic, 2 * ratio)) if s is not None)
            assert hit.score == pytest.approx(fused, abs=1e-6)


@pytest.mark.parametrize("mode", MODES)
def test_a_passage_searched_by_its_own_text_comes_first(searcher: Searcher, hybrid_index: Path, mode: str) -> None:
    for passage_id, text in passages_of(hybrid_index):
        response = search(searcher, text, mode=mode, k=1)
        assert response.results[0].id == passage_id, (mode, text)


def test_keyword_only_index_also_finds_each_passage_by_its_text(keyword_searcher: Searcher,
                                                                 keyword_index: Path) -> None:
    for passage_id, text in passages_of(keyword_index):
        assert search(keyword_searcher, text, mode="keyword", k=1).results[0].id == passage_id


def test_natural_questions_find_the_right_speaker(keyword_searcher: Searcher) -> None:
    top = search(keyword_searcher, "哪个区要打造食品工业基地", mode="keyword").results[0]
    assert (top.speaker, top.region) == ("劳茂昌", "蓬江区") and "<mark>食品工业基地</mark>" in top.highlight
    top = search(keyword_searcher, "汽车", mode="keyword", article="news--新能源汽车").results[0]
    assert "<mark>汽车</mark>" in top.highlight  # found inside 新能源汽车 (search-mode sub-word)


@pytest.mark.parametrize("mode", MODES)
def test_hostile_queries_never_break_the_engine(searcher: Searcher, mode: str) -> None:
    for q in HOSTILE:
        if not q.strip():
            continue
        response = search(searcher, q, mode=mode, k=3)
        assert response.total >= len(response.results)
        for hit in response.results:
            assert "<script" not in hit.highlight


@pytest.mark.parametrize(("params", "message"), [
    ({"q": ""}, "empty"), ({"q": "  \n "}, "empty"), ({"q": "字" * (MAX_QUERY_CHARS + 1)}, "limit"),
    ({"q": "x", "mode": "fuzzy"}, "mode"), ({"q": "x", "k": 0}, "k"), ({"q": "x", "k": 101}, "k"),
    ({"q": "x", "offset": -1}, "offset"), ({"q": "x", "k": "ten"}, "k"),
])
def test_bad_requests_are_clear_errors(params: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        SearchRequest.parse(**params)


def test_a_query_at_the_length_limit_is_served(searcher: Searcher) -> None:
    assert search(searcher, "发展" * (MAX_QUERY_CHARS // 2), k=3).results


def test_filters_by_speaker_region_and_article(searcher: Searcher) -> None:
    by_speaker = search(searcher, "发展", speaker="劳茂昌", k=100)
    assert by_speaker.results and {h.speaker for h in by_speaker.results} == {"劳茂昌"}
    by_region = search(searcher, "项目", mode="keyword", region="台山市", k=100)
    assert {h.region for h in by_region.results} == {"台山市"} and by_region.total == len(by_region.results)
    by_article = search(searcher, "产业园", article="news--新能源汽车", k=100)
    assert {h.article_id for h in by_article.results} == {"news--新能源汽车"}
    assert search(searcher, "发展", speaker="无此人").results == []


def test_pagination_walks_one_ranking(searcher: Searcher) -> None:
    for mode in MODES:
        whole = [h.id for h in search(searcher, "高质量发展", mode=mode, k=30).results]
        pages = [h.id for offset in (0, 10, 20) for h in
                 search(searcher, "高质量发展", mode=mode, k=10, offset=offset).results]
        assert pages == whole and len(set(whole)) == 30


def test_highlights_escape_article_html(searcher: Searcher) -> None:
    hit = search(searcher, "恶意文章 脚本标签", mode="keyword").results[0]
    assert hit.article_id == "hostile"
    assert "<script>" in hit.text and "<script>" not in hit.highlight and "&lt;script&gt;" in hit.highlight
    assert "<img" not in hit.highlight


def test_searching_with_a_different_model_is_a_clear_error(hybrid_index: Path, other_tiny_model: Path) -> None:
    with pytest.raises(ModelMismatch, match="built with"):
        Searcher.open(hybrid_index, str(other_tiny_model))


def test_no_loadable_model_builds_keyword_only_and_searches_with_a_warning(corpus_dir: Path, tmp_path: Path) -> None:
    lines: list[str] = []
    report = build_index(corpus_dir, tmp_path / "index", str(tmp_path / "no-such-model"), log=lines.append)
    unavailable = [line for line in lines if "semantic search unavailable" in line]
    assert len(unavailable) == 1 and "no-such-model" in unavailable[0]
    assert report.manifest.model is None and report.manifest.model_unavailable_reason
    assert not list((tmp_path / "index").rglob(VECTORS_FILE))  # no fake vectors
    searcher = Searcher.open(tmp_path / "index")
    assert searcher.modes == ["keyword"]
    for mode in ("hybrid", "semantic"):
        response = search(searcher, "新能源 产业园", mode=mode)
        assert response.mode == "keyword" and response.results
        assert any("semantic search unavailable" in w for w in response.warnings)
        assert all(h.scores.semantic is None for h in response.results)


def test_a_hub_model_not_cached_fails_fast_when_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE"):
        load_encoder("intfloat/multilingual-e5-small")
    assert time.monotonic() - started < 30


def test_an_index_whose_model_is_gone_serves_keyword_with_a_warning(corpus_dir: Path, tmp_path: Path,
                                                                     tiny_model: Path) -> None:
    moved = tmp_path / "moved-model"
    shutil.copytree(tiny_model, moved)
    report = build_index(corpus_dir, tmp_path / "index", str(moved),
                         log=lambda _: None)
    assert report.manifest.model is not None
    shutil.rmtree(moved)
    response = search(Searcher.open(tmp_path / "index"), "新能源", mode="hybrid")
    assert response.mode == "keyword" and "semantic search unavailable" in response.warnings[0]


def test_rebuilding_reuses_cached_embeddings(corpus_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    first = build_index(corpus_dir, tmp_path / "index", str(tiny_model), log=lambda _: None)
    assert first.embedded == first.manifest.counts.passages and first.reused_vectors == 0
    second = build_index(corpus_dir, tmp_path / "index", str(tiny_model), rebuild=True, log=lambda _: None)
    assert second.embedded == 0 and second.reused_vectors == second.manifest.counts.passages
    assert second.manifest.generation == first.manifest.generation + 1


def test_generations_are_published_atomically_and_pruned(corpus_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    no_grace = WriterSettings(grace_seconds=0.0)
    for _ in range(4):
        build_index(corpus_dir, index, keyword_only=True, rebuild=True, log=lambda _: None, settings=no_grace)
    layout = IndexLayout(index)
    assert layout.current_generation() == 4
    assert sorted(p.name for p in (index / "generations").iterdir()) == ["000003", "000004"]
    assert len(list((index / "segments").iterdir())) == 2  # the superseded full builds' segments are gone
    unchanged = build_index(corpus_dir, index, keyword_only=True, log=lambda _: None)
    assert unchanged.manifest.generation == 4 and not unchanged.added  # nothing changed, nothing published


def test_a_second_writer_fails_clearly(corpus_dir: Path, tmp_path: Path) -> None:
    layout = IndexLayout(tmp_path / "index")
    with layout.writer_lock(), pytest.raises(IndexBusy, match="another wenku process"):
        build_index(corpus_dir, tmp_path / "index", keyword_only=True, log=lambda _: None)


def test_missing_and_corrupt_indexes_are_clear_errors(keyword_index: Path, tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match="wenku build"):
        Searcher.open(tmp_path / "nothing")
    broken = tmp_path / "broken"
    shutil.copytree(keyword_index, broken)
    manifest = IndexLayout(broken).current_dir() / "manifest.json"
    original = manifest.read_text()
    manifest.write_text(original.replace('"passages": ', '"passages": 1', 1), encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="disagrees with the manifest"):
        Searcher.open(broken)
    manifest.write_text(original, encoding="utf-8")
    for info in (broken / "segments").glob("*/segment.json"):
        info.unlink()
    with pytest.raises(IndexCorrupt, match="segment.json is missing"):
        Searcher.open(broken)
    manifest.write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorrupt):
        Searcher.open(broken)


def test_concurrent_semantic_queries_from_many_threads(searcher: Searcher) -> None:
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            for i in range(15):
                search(searcher, f"新能源产业园第{seed}-{i}号项目的建设进展如何", mode="hybrid", k=5)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("filters", [{}, {"region": "台山市"}])
def test_total_and_facets_describe_exactly_the_list_paging_walks(searcher: Searcher, mode: str,
                                                                 filters: dict[str, str]) -> None:
    first = search(searcher, "发展 产业", mode=mode, k=50, **filters)
    walked = list(first.results)
    while len(walked) < first.total:
        page = search(searcher, "发展 产业", mode=mode, k=50, offset=len(walked), **filters)
        assert page.results, "paging stopped before total"
        walked += page.results
    assert len({h.id for h in walked}) == len(walked) == first.total > 0
    if mode == "keyword":  # semantic lists go as deep as paging asks (depth max(100, offset + k))
        assert search(searcher, "发展 产业", mode=mode, k=50, offset=first.total, **filters).results == []
    speakers: dict[str, int] = {}
    for hit in walked:
        if hit.speaker:
            speakers[hit.speaker] = speakers.get(hit.speaker, 0) + 1
    assert {f.value: f.count for f in first.facets.speaker} == speakers


def test_a_query_in_traditional_characters_finds_what_simplified_finds(keyword_searcher: Searcher) -> None:
    simplified = search(keyword_searcher, "新能源 产业园", mode="keyword", k=50)
    traditional = search(keyword_searcher, "新能源 產業園", mode="keyword", k=50)
    assert simplified.total > 4 and traditional.total == simplified.total
    assert [h.id for h in traditional.results] == [h.id for h in simplified.results]


def test_an_article_in_traditional_characters_is_found_and_shown_as_written(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "big5.txt").write_bytes("臺灣科學園區\n\n新竹科學園區的半導體產業持續成長。".encode("big5"))
    build_index(corpus, tmp_path / "index", keyword_only=True, log=lambda _: None)
    hit = search(Searcher.open(tmp_path / "index"), "半导体产业", mode="keyword").results[0]
    assert hit.text == "新竹科學園區的半導體產業持續成長。"
    assert "<mark>半導體產業</mark>" in hit.highlight  # the original characters, marked


def test_single_characters_of_a_longer_question_are_not_highlighted(keyword_searcher: Searcher) -> None:
    response = search(keyword_searcher, "哪个区要打造食品工业基地", mode="keyword", k=10)
    marks = {m for hit in response.results for m in re.findall(r"<mark>(.*?)</mark>", hit.highlight)}
    assert "食品" in "".join(marks) and not marks & {"区", "要"}
    alone = search(keyword_searcher, "区", mode="keyword", k=3)
    assert all("<mark>区</mark>" in hit.highlight for hit in alone.results)
