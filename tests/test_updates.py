"""Incremental updates: what changes, what it costs, no ghosts, bounded growth, one writer, the watcher."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
from conftest import quiet
from documents import gongwen_pdf

from indexer.errors import ArticleError, NotFound
from indexer.index.layout import IndexLayout
from indexer.index.manifest import Manifest
from indexer.requests import SearchRequest
from indexer.search.searcher import Searcher
from indexer.settings import DEFAULT_WRITER, VectorSettings, WriterSettings
from indexer.update.articles import add_files, remove_articles
from indexer.update.build import build_index
from indexer.update.watch import watch_corpus

NEW = "新增文章\n\n江门推进并发测试专用的海上风电装备产业园建设，首期投资二十亿元。\n"
MODES = ("hybrid", "semantic", "keyword")


@pytest.fixture()
def corpus(corpus_dir: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the fixture corpus."""
    return Path(shutil.copytree(corpus_dir, tmp_path / "corpus"))


def ids_found(searcher: Searcher, q: str, mode: str) -> set[str]:
    return {h.article_id for h in searcher.search(SearchRequest.parse(q=q, mode=mode, k=100)).results}


def segment_files(index: Path) -> dict[str, tuple[int, int, int]]:
    return {str(p.relative_to(index)): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
            for p in (index / "segments").rglob("*") if p.is_file()}


def test_incremental_build_takes_new_changed_and_deleted_files(corpus: Path, tiny_model: Path,
                                                                tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, str(tiny_model), log=quiet)
    (corpus / "new.txt").write_text(NEW, encoding="utf-8")
    (corpus / "utf8-bom.txt").write_text("温泉旅游节开幕\n\n改写后的段落：温泉节改在冬季举办。\n", encoding="utf-8")
    (corpus / "gbk.txt").unlink()
    report = build_index(corpus, index, log=quiet)
    assert sorted(report.added) == ["new", "utf8-bom"] and report.replaced == ["utf8-bom"]
    assert report.removed == ["gbk"] and report.unchanged == 6
    searcher = Searcher.open(index)
    for mode in MODES:  # no ghosts of the old or deleted text, in either retriever
        assert "gbk" not in ids_found(searcher, "侨乡博物馆举办华侨文物特展", mode)
        assert "utf8-bom" not in ids_found(searcher, "酒店入住率明显上升", mode)
        assert "new" in ids_found(searcher, "海上风电装备产业园", mode) or mode == "semantic"
    top = searcher.search(SearchRequest.parse(q="江门推进并发测试专用的海上风电装备产业园建设，首期投资二十亿元。",
                                              mode="semantic", k=1)).results[0]
    assert top.article_id == "new"
    assert searcher.manifest.counts.articles == 8


def test_adding_one_article_touches_only_that_article(corpus: Path, tiny_model: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, str(tiny_model), log=quiet)
    before = segment_files(index)
    report = add_files(corpus, index, [("new.txt", NEW.encode())], log=quiet)
    after = segment_files(index)
    assert all(after[name] == stat for name, stat in before.items())  # existing segment files untouched
    assert report.added == ["new"] and report.embedded == report.passages_added["new"] == 1
    new_files = set(after) - set(before)
    assert {Path(n).name for n in new_files} >= {"store.sqlite", "vectors.faiss", "keyword-postings.npz"}
    assert (corpus / "new.txt").read_text(encoding="utf-8") == NEW  # stored in the corpus too


def test_updates_and_deletes_leave_no_ghosts_and_growth_stays_bounded(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, keyword_only=True, log=quiet)
    for round_ in range(24):
        text = f"第{round_}版\n\n版本标记甲{round_}乙。海上风电装备产业园第{round_}次更新。\n"
        add_files(corpus, index, [("churn.txt", text.encode())], log=quiet)
        if round_ == 20:
            assert ids_found(Searcher.open(index), "版本标记甲20乙", "keyword") >= {"churn"}
        if round_ % 3 == 2:
            remove_articles(corpus, index, ["churn"], log=quiet)
        manifest = Manifest.read(IndexLayout(index).current_dir())
        assert len(manifest.segments) <= DEFAULT_WRITER.max_segments
    searcher = Searcher.open(index)
    stored = sum(ref.passages for ref in manifest.segments)
    assert manifest.counts.articles == 8 and stored <= 2 * manifest.counts.passages
    assert "churn" not in ids_found(searcher, "版本标记甲23乙", "keyword")  # removed in the last round
    assert "churn" not in ids_found(searcher, "海上风电装备产业园第21次更新", "keyword")
    assert not (corpus / "churn.txt").exists()
    with pytest.raises(NotFound):
        remove_articles(corpus, index, ["churn"], log=quiet)


def test_a_bad_file_is_rejected_before_anything_is_written(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, keyword_only=True, log=quiet)
    with pytest.raises(ArticleError, match="bad.txt: binary"):
        add_files(corpus, index, [("good.txt", NEW.encode()), ("bad.txt", b"\x00\x01binary")], log=quiet)
    assert not (corpus / "good.txt").exists() and IndexLayout(index).current_generation() == 1


def test_a_second_writer_can_wait_for_the_first(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, keyword_only=True, log=quiet)
    held = threading.Event()

    def hold() -> None:
        with IndexLayout(index).writer_lock():
            held.set()
            time.sleep(0.5)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    started = time.monotonic()
    report = add_files(corpus, index, [("new.txt", NEW.encode())], log=quiet, wait=10)
    assert report.added == ["new"] and time.monotonic() - started >= 0.3
    thread.join()


def test_watch_indexes_files_once_written_and_drops_deleted_ones(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, keyword_only=True, log=quiet)
    stop, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch_corpus, args=(corpus, index, None),
                               kwargs={"settle": 0.5, "log": quiet, "stop": stop, "ready": ready})
    watcher.start()
    try:
        assert ready.wait(60)  # caught up and watching
        with open(corpus / "slow.txt", "w", encoding="utf-8") as handle:  # written in two parts
            handle.write("慢慢写入的文章\n\n第一部分，")
            handle.flush()
            time.sleep(0.3)
            handle.write("第二部分写完了海上风电装备。\n")
        assert wait_for(lambda: "slow" in ids_found(Searcher.open(index), "海上风电装备", "keyword"))
        article = Searcher.open(index).article("slow")
        assert article.passages[0].text == "第一部分，第二部分写完了海上风电装备。"  # never the half-written file
        (corpus / "slow.txt").unlink()
        assert wait_for(lambda: "slow" not in ids_found(Searcher.open(index), "海上风电装备", "keyword"))
        (corpus / "broken.txt").write_bytes(b"\x00\x00binary")
        assert wait_for(lambda: any(f.path == "broken.txt" for f in Searcher.open(index).info().failed))
        # Documents too: a PDF dropped in is extracted and indexed with its pages, a broken one listed
        paragraph = "海上风电装备产业园二期今天开工建设，总投资四十亿元。"
        gongwen_pdf(corpus / "notice.pdf", "关于海上风电的通知", [paragraph] * 3)
        assert wait_for(lambda: "notice" in ids_found(Searcher.open(index), "海上风电装备产业园二期", "keyword"))
        assert Searcher.open(index).article("notice").format == "pdf"
        (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
        assert wait_for(lambda: any(f.path == "broken.pdf" and "not a readable PDF" in f.reason
                                    for f in Searcher.open(index).info().failed))
    finally:
        stop.set()
        watcher.join(timeout=30)


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_an_impossible_date_skips_that_file_and_indexes_the_rest(corpus: Path, tmp_path: Path) -> None:
    (corpus / "bad-date.md").write_text("---\ndate: 2022-13-45\n---\n标题\n\n正文。\n", encoding="utf-8")
    report = build_index(corpus, tmp_path / "index", keyword_only=True, log=quiet)
    failed = {f.path: f.reason for f in report.manifest.failed}
    assert "malformed front matter" in failed["bad-date.md"] and report.manifest.counts.articles == 8


def test_a_generation_committed_but_never_published_does_not_block_writers(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, keyword_only=True, log=quiet)
    layout = IndexLayout(index)
    current = layout.current_generation()
    # What a writer killed between committing its generation and replacing CURRENT leaves behind.
    shutil.copytree(layout.generation_dir(current), layout.generation_dir(current + 1))
    lines: list[str] = []
    report = add_files(corpus, index, [("new.txt", NEW.encode())], log=lines.append)
    assert report.manifest.generation == current + 1 and layout.current_generation() == current + 1
    assert any("never" in line or "stopped before publishing" in line for line in lines)
    assert "new" in ids_found(Searcher.open(index), "海上风电装备产业园", "keyword")


def test_compact_segments_are_written_merged_and_searched(corpus: Path, tiny_model: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    compact = WriterSettings(vectors=VectorSettings(exact_max=20, compact_above=50), max_segments=1)
    build_index(corpus, index, str(tiny_model), log=quiet, settings=compact)
    kinds = {s.info.vector_index for s in Searcher.open(index).view.segments}
    assert kinds == {"hnsw32-sq8-ip"}
    add_files(corpus, index, [("compact-add.txt", "紧凑向量\n\n紧凑存储的向量也能合并。".encode())], log=quiet,
              settings=compact)
    searcher = Searcher.open(index)
    assert [s.info.vector_index for s in searcher.view.segments] == ["hnsw32-sq8-ip"]  # merged, re-encoded
    assert searcher.manifest.counts.articles == 9
    found = searcher.search(SearchRequest(q="紧凑存储的向量也能合并", mode="semantic", k=3)).results
    assert found and found[0].article_id == "compact-add"
    assert searcher.similar(found[0].id).results
