"""Words kept whole: a user dictionary in the index settings, and the speakers and regions the chunker finds."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import quiet

from indexer.analysis.dictionary import DictionaryError, load_words, parse_dictionary
from indexer.cli import main
from indexer.index.layout import IndexLayout
from indexer.index.manifest import Manifest
from indexer.requests import SearchRequest
from indexer.search.searcher import Searcher
from indexer.update.articles import add_files
from indexer.update.build import build_index

LASER = "华南激光谷项目落户江门\n\n华南激光谷首期用地五百亩，海目星公司将在园区建设激光设备生产基地。\n"
OTHER = "江门推进重点项目\n\n华南地区的激光产业与海上风电产业链加快集聚，进度表上每个节点标一颗星。\n"


def manifest_of(index: Path) -> Manifest:
    layout = IndexLayout(index)
    return Manifest.read(layout.current_dir())


def ids(searcher: Searcher, q: str) -> list[str]:
    return [h.article_id for h in searcher.search(SearchRequest.parse(q=q, mode="keyword", k=100)).results]


@pytest.fixture
def laser_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "laser.txt").write_text(LASER, encoding="utf-8")
    (corpus / "other.txt").write_text(OTHER, encoding="utf-8")
    return corpus


def test_dictionary_files_parse_fold_and_refuse_bad_lines() -> None:
    entries = parse_dictionary("# 新词\n華南激光谷 500\n\n海目星\n海目星 # again\n劳茂昌 nr\n".replace(" nr", ""))
    assert entries == [("劳茂昌", None), ("华南激光谷", 500), ("海目星", None)]  # traditional folded, once each
    with pytest.raises(DictionaryError, match="line 1"):
        parse_dictionary("海目星 many\n")
    with pytest.raises(DictionaryError, match="more than"):
        parse_dictionary("字" * 31)


def test_user_words_are_kept_whole_and_narrow_the_matches(laser_corpus: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    build_index(laser_corpus, plain, None, keyword_only=True, log=quiet)
    before = Searcher.open(plain)
    assert "海目星" not in before.analyzer.terms("海目星")
    assert set(ids(before, "海目星")) == {"laser", "other"}  # 海, 目 and 星 each match alone: 星 of 一颗星

    words = tmp_path / "words.txt"
    words.write_text("华南激光谷\n海目星 20\n", encoding="utf-8")
    shaped = tmp_path / "shaped"
    build_index(laser_corpus, shaped, None, keyword_only=True, log=quiet, dictionary=parse_dictionary(
        words.read_text(encoding="utf-8")))
    after = Searcher.open(shaped)
    assert "海目星" in after.analyzer.terms("海目星") and "华南激光谷" in after.analyzer.terms("华南激光谷")
    assert ids(after, "海目星") == ["laser"]
    hit = after.search(SearchRequest.parse(q="华南激光谷", mode="keyword", k=1)).results[0]
    assert hit.article_id == "laser" and "<mark>华南激光谷</mark>" in hit.highlight
    m = manifest_of(shaped)
    assert m.tokenizer.dictionary and m.tokenizer.words
    assert ("海目星", 20) in load_words(shaped, m.tokenizer.words)


def test_speakers_and_regions_join_the_analysis(keyword_index: Path) -> None:
    words = dict(load_words(keyword_index, manifest_of(keyword_index).tokenizer.words or ""))
    assert {"劳茂昌", "蓬江区", "聂加伟"} <= set(words)
    assert "劳茂昌" in Searcher.open(keyword_index).analyzer.terms("劳茂昌说了什么")


def test_a_changed_dictionary_reanalyses_without_embedding_again(laser_corpus: Path, tmp_path: Path,
                                                                 tiny_model: Path) -> None:
    index = tmp_path / "index"
    first = build_index(laser_corpus, index, str(tiny_model), log=quiet)
    assert first.embedded > 0
    changed = build_index(laser_corpus, index, str(tiny_model), log=quiet, dictionary=[("海目星", None)])
    assert changed.embedded == 0 and changed.reused_vectors == first.embedded and len(changed.added) == 2
    m = manifest_of(index)
    assert m.tokenizer.dictionary is not None and m.generation == 2
    # Kept while unchanged: builds and adds are incremental with the same word list.
    kept = build_index(laser_corpus, index, str(tiny_model), log=quiet)
    assert kept.added == [] and manifest_of(index).tokenizer == m.tokenizer
    added = add_files(laser_corpus, index, [("third.txt", "海目星再投资\n\n海目星追加投资十亿元。\n".encode())],
                      model=str(tiny_model), log=quiet)
    assert added.added == ["third"] and manifest_of(index).tokenizer == m.tokenizer
    assert set(ids(Searcher.open(index), "海目星")) == {"laser", "third"}
    dropped = build_index(laser_corpus, index, str(tiny_model), log=quiet, dictionary=[])
    assert dropped.embedded == 0 and manifest_of(index).tokenizer.dictionary is None


def test_cli_dictionary_option(laser_corpus: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("海目星 lots\n", encoding="utf-8")
    runner = CliRunner()
    index = str(tmp_path / "index")
    result = runner.invoke(main, ["build", "--corpus", str(laser_corpus), "--index", index, "--keyword-only",
                                  "--dictionary", str(bad)])
    assert result.exit_code == 1 and "line 1: expected `word` or `word frequency`" in result.output
    good = tmp_path / "good.txt"
    good.write_text("海目星\n", encoding="utf-8")
    result = runner.invoke(main, ["build", "--corpus", str(laser_corpus), "--index", index, "--keyword-only",
                                  "--dictionary", str(good)])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["search", "海目星", "--index", index, "--mode", "keyword", "--json"])
    assert '"article_id": "laser"' in listed.output and '"article_id": "other"' not in listed.output
