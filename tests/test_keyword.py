"""The analysis chain and the BM25 index on their own."""

from __future__ import annotations

import numpy as np
import pytest

import indexer.index.keyword as keyword
from indexer.analysis.analyzer import Analyzer
from indexer.errors import IndexCorrupt
from indexer.index.keyword import KeywordIndex, bm25_scores, idf, top_k
from indexer.index.ranking import Ranking
from indexer.search.highlight import highlight_html
from indexer.settings import KeywordSettings


def search(index: KeywordIndex, terms: list[str], depth: int,
           allowed: np.ndarray | None = None) -> tuple[Ranking, int]:
    """The ranking and how many passages matched."""
    ranking, matched = top_k(bm25_scores([(index, 0)], index.n_docs, terms), depth, allowed)
    return ranking, int(matched.sum())


def test_search_mode_finds_sub_words_and_folds_width_and_case() -> None:
    analyzer = Analyzer()
    assert {"新能源", "汽车"} <= set(analyzer.terms("新能源汽车"))
    assert "gdp" in analyzer.terms("ＧＤＰ增长")
    assert analyzer.terms("的 和 AND OR NOT") == []


def test_highlight_spans_use_the_same_chain_and_escape_html() -> None:
    analyzer = Analyzer()
    text = "<b>打造</b>新能源汽车产业园"
    spans = analyzer.match_spans(text, set(analyzer.terms("汽车 产业园")))
    assert highlight_html(text, spans) == "&lt;b&gt;打造&lt;/b&gt;新能源<mark>汽车产业园</mark>"


def test_idf_stays_positive_when_a_term_is_in_every_passage() -> None:
    assert (idf(np.array([1, 5, 10]), 10) > 0).all()
    index = KeywordIndex.build([["发展", "产业"], ["发展"], ["发展", "食品"]])
    hits, total = search(index, ["发展", "食品"], depth=10)
    assert total == 3 and hits.ids[0] == 2
    assert (hits.scores > 0).all()


def test_bm25_prefers_rarer_terms_and_respects_the_filter_mask() -> None:
    index = KeywordIndex.build([["产业", "产业", "产业"], ["产业", "食品工业"], ["食品工业"], []])
    assert search(index, ["食品工业", "产业"], depth=10)[0].ids.tolist()[0] == 1
    hits, total = search(index, ["产业"], depth=1, allowed=np.array([False, True, True, True]))
    assert hits.ids.tolist() == [1] and total == 1


def test_save_and_load_round_trip(tmp_path) -> None:
    index = KeywordIndex.build([["甲", "乙"], ["乙", "丙", "丙"]])
    index.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    assert loaded.vocab == index.vocab
    assert np.allclose(bm25_scores([(loaded, 0)], 2, ["丙", "甲"]), bm25_scores([(index, 0)], 2, ["丙", "甲"]))


def test_postings_are_memory_mapped_where_they_lie_in_the_file(tmp_path) -> None:
    rng = np.random.default_rng(3)
    index = KeywordIndex.build([[f"词{t}" for t in rng.integers(0, 500, 40)] for _ in range(3000)])
    index.save(tmp_path)
    loaded = KeywordIndex.load(tmp_path)
    for name in ("indptr", "docs", "tfs", "doc_len"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(index, name))
        assert not getattr(loaded, name).flags.writeable  # shared pages: nobody may write into them
    postings = str(tmp_path / "keyword-postings.npz")
    mapped = [line for line in open("/proc/self/maps", encoding="utf-8") if postings in line]
    assert mapped, "the postings should be mapped, not read into the process"
    empty = tmp_path / "empty"
    empty.mkdir()
    KeywordIndex.build([]).save(empty)
    assert KeywordIndex.load(empty).n_docs == 0
    (tmp_path / "keyword-postings.npz").write_bytes((tmp_path / "keyword-postings.npz").read_bytes()[:5000])
    with pytest.raises(IndexCorrupt):
        KeywordIndex.load(tmp_path)


def test_scores_across_segments_equal_one_segment_holding_everything() -> None:
    docs = [["甲", "乙"], ["乙", "丙", "丙"], ["丁"], ["甲", "丁", "丁"]]
    whole = bm25_scores([(KeywordIndex.build(docs), 0)], 4, ["丁", "甲"])
    split = bm25_scores([(KeywordIndex.build(docs[:1]), 0), (KeywordIndex.build(docs[1:]), 1)], 4, ["丁", "甲"])
    assert np.allclose(whole, split)


def test_highlighting_only_the_matching_runs_equals_a_full_analysis() -> None:
    import random

    from conftest import SEED

    analyzer = Analyzer()
    rng = random.Random(1)
    texts = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts.append("日文「ガンダム」と韓文한국어、ＧＤＰ增长8%，新能源汽车产业园")
    for text in texts:
        tokens = analyzer.tokens(text)
        for _ in range(4):
            terms = set(rng.sample([t.term for t in tokens], min(5, len(tokens))))
            full: list[tuple[int, int]] = []
            for start, end in sorted((t.start, t.end) for t in tokens if t.term in terms):
                if full and start <= full[-1][1]:
                    full[-1] = (full[-1][0], max(end, full[-1][1]))
                else:
                    full.append((start, end))
            assert analyzer.match_spans(text, terms) == full, (text, terms)


@pytest.mark.parametrize("layout", ["spread", "ties", "hidden_from_the_sample", "few"])
def test_top_k_by_sampled_threshold_equals_a_full_sort(layout: str) -> None:
    sampled = KeywordSettings(sparse_max=0)  # always take the sampled path
    rng = np.random.default_rng(7)
    acc = rng.random(50_000).astype(np.float32)
    acc[rng.random(50_000) < 0.3] = 0
    if layout == "ties":
        acc = np.round(acc * 4) / 4
    elif layout == "hidden_from_the_sample":
        acc[::16] = 0.001  # the sample sees only low scores: its threshold lets almost everything through
        acc[1::16] = 0
    elif layout == "few":
        acc[:] = 0
        acc[rng.choice(50_000, 30, replace=False)] = rng.random(30).astype(np.float32) + 0.1
    allowed = rng.random(50_000) < 0.9
    for mask in (None, allowed):
        expected = acc.copy()
        if mask is not None:
            expected[~mask] = 0
        positive = np.flatnonzero(expected > 0)
        reference = positive[np.lexsort((positive, -expected[positive]))][:100]
        hits, matched = keyword.top_k(acc.copy(), 100, mask, sampled)
        assert hits.ids.tolist() == reference.tolist()
        assert matched.sum() == len(positive)


def test_traditional_and_simplified_are_one_in_the_analysis_chain() -> None:
    analyzer = Analyzer()
    assert analyzer.settings.script is not None and analyzer.settings.script.startswith("opencc-t2s")
    assert analyzer.terms("新能源 產業園") == analyzer.terms("新能源 产业园")
    assert analyzer.terms("臺灣發展") == analyzer.terms("台湾发展")
    text = "江門市蓬江區打造食品工業基地。"  # highlighted in the characters it was written in
    spans = analyzer.match_spans(text, set(analyzer.terms("食品工业基地")))
    assert [text[s:e] for s, e in spans] == ["食品工業基地"]
    assert "<mark>食品工業基地</mark>" in highlight_html(text, spans)


def test_an_index_made_before_folding_keeps_its_own_analysis() -> None:
    from indexer.analysis.analyzer import TokenizerSettings

    old = Analyzer(TokenizerSettings())  # as a manifest without `script` reads
    assert old.terms("產業園") != old.terms("产业园")
    assert TokenizerSettings() != Analyzer().settings  # so a writer with the new default rebuilds such an index
