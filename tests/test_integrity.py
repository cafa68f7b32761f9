"""Crash windows and damage: a writer killed at every named step of its commit protocol, damaged files detected."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import quiet

from indexer.cli import main
from indexer.errors import IndexCorrupt, IndexReadOnly
from indexer.formats import POSTINGS_FILE, SEGMENT_FILE, SEGMENT_VERSION, STORE_FILE, VOCAB_FILE
from indexer.index.check import check_index
from indexer.index.crash import CRASH_ENV, STEPS
from indexer.index.layout import IndexLayout
from indexer.index.manifest import Manifest
from indexer.index.segment import Segment, read_segment_info
from indexer.requests import SearchRequest
from indexer.search.searcher import Searcher
from indexer.settings import DEFAULT_WRITER
from indexer.update.articles import add_files
from indexer.update.build import build_index

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED_AT = STEPS.index("current-replaced")  # a kill from this step on finds the update published

# One write as `wenku add` makes it, in a process of its own so the test switch can kill it: article a1 replaced
# (its old passages tombstoned) and a new article added.
WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from indexer.update.articles import add_files
    corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
    add_files(corpus, index, [("a1.txt", "改写\\n\\n替换后的第一篇写着雪山索道。".encode()),
                              ("fresh.txt", "新文\\n\\n崩溃窗口里写入的文章谈到沙漠驼队。".encode())],
              log=lambda _: None)
    print("acknowledged", flush=True)
""")


def article(i: int) -> bytes:
    return f"第{i}篇\n\n第{i}篇文章讲的是原有内容与测试标记{i}号。".encode()


def make_base(folder: Path, segments: int) -> tuple[Path, Path]:
    """A corpus and a keyword index of it with `segments` segments (one build, then one add per segment)."""
    corpus, index = folder / "corpus", folder / "index"
    corpus.mkdir(parents=True)
    for i in range(3):
        (corpus / f"a{i}.txt").write_bytes(article(i))
    build_index(corpus, index, keyword_only=True, log=quiet)
    for i in range(3, 3 + segments - 1):
        add_files(corpus, index, [(f"a{i}.txt", article(i))], log=quiet)
    assert len(Manifest.read(IndexLayout(index).current_dir()).segments) == segments
    return corpus, index


def found(index: Path, q: str) -> set[str]:
    searcher = Searcher.open(index)
    return {h.article_id for h in searcher.search(SearchRequest.parse(q=q, mode="keyword", k=100)).results}


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Two starting points: a fresh index (no merge on the next add), and one whose next add merges segments."""
    root = tmp_path_factory.mktemp("bases")
    return {"plain": make_base(root / "plain", 1), "merging": make_base(root / "merging", DEFAULT_WRITER.max_segments)}


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_a_writer_killed_at_any_step_leaves_an_index_that_serves_and_takes_the_next_write(
        step: str, bases: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    corpus, index = (Path(shutil.copytree(p, tmp_path / p.name))
                     for p in bases["merging" if step.startswith("merge") else "plain"])
    acknowledged = {p.stem for p in corpus.iterdir()}
    killed = subprocess.run([sys.executable, "-c", WRITER, str(corpus), str(index)], capture_output=True, text=True,
                            cwd=ROOT, env={**os.environ, CRASH_ENV: step}, timeout=120)
    assert killed.returncode == -9, killed.stderr  # the writer really reached this step and died there
    assert "acknowledged" not in killed.stdout

    published = STEPS.index(step) >= PUBLISHED_AT
    assert found(index, "原有内容") >= acknowledged - {"a1"}  # the index serves every earlier article
    assert ("fresh" in found(index, "沙漠驼队")) == published  # the update is all there, or not at all
    assert ("a1" in found(index, "雪山索道")) == published
    assert ("a1" in found(index, "原有内容")) != published

    add_files(corpus, index, [("next.txt", "后来\n\n下一个写入者写的是草原牧歌。".encode())], log=quiet)
    assert found(index, "草原牧歌") == {"next"}
    build_index(corpus, index, log=quiet)  # files stored before the kill are indexed by the next build
    assert found(index, "沙漠驼队") == {"fresh"} and "a1" in found(index, "雪山索道")
    assert check_index(index).ok
    layout = IndexLayout(index)
    assert max(layout.generations()) == layout.current_generation()  # no orphan left past CURRENT
    assert not [p for p in index.rglob(".staging-*")]


def segment_dirs(index: Path) -> list[Path]:
    manifest = Manifest.read(IndexLayout(index).current_dir())
    return [index / "segments" / ref.id for ref in manifest.segments]


@pytest.mark.parametrize("damage", ["segment-info-missing", "postings-truncated"])
def test_writers_refuse_to_build_on_a_damaged_index(damage: str, tmp_path: Path) -> None:
    corpus, index = make_base(tmp_path, 2)
    segment = segment_dirs(index)[0]
    if damage == "segment-info-missing":
        (segment / SEGMENT_FILE).unlink()
    else:
        data = (segment / POSTINGS_FILE).read_bytes()
        (segment / POSTINGS_FILE).write_bytes(data[: len(data) // 2])
    before = IndexLayout(index).current_generation()
    (corpus / "late.txt").write_bytes(article(99))
    result = CliRunner().invoke(main, ["add", str(corpus / "late.txt"), "--corpus", str(corpus),
                                       "--index", str(index)])
    assert result.exit_code == 1 and result.exception is not None and isinstance(result.exception, SystemExit)
    assert result.output.count("\n") == 1 and f"segment {segment.name}" in result.output
    assert IndexLayout(index).current_generation() == before  # nothing published on top of the damage
    with pytest.raises(IndexCorrupt):
        Searcher.open(index)
    rebuilt = build_index(corpus, index, rebuild=True, log=quiet)  # the way out the message names
    assert rebuilt.manifest is not None and rebuilt.manifest.counts.articles == 5
    assert check_index(index).ok


def test_a_renamed_vocabulary_term_or_a_flipped_byte_is_detected(tmp_path: Path) -> None:
    _, index = make_base(tmp_path, 1)
    segment = segment_dirs(index)[0]
    vocab = (segment / VOCAB_FILE).read_text(encoding="utf-8")
    assert "原有" in vocab
    (segment / VOCAB_FILE).write_text(vocab.replace("原有", "现有", 1), encoding="utf-8")  # same size
    with pytest.raises(IndexCorrupt, match=f"{VOCAB_FILE} does not match its checksum"):
        Searcher.open(index)
    (segment / VOCAB_FILE).write_text(vocab, encoding="utf-8")
    assert check_index(index).ok

    store = bytearray((segment / STORE_FILE).read_bytes())
    store[len(store) // 2] ^= 0xFF
    (segment / STORE_FILE).write_bytes(bytes(store))
    report = check_index(index)
    assert not report.ok and any(STORE_FILE in p for p in report.problems)
    result = CliRunner().invoke(main, ["check", "--index", str(index)])
    assert result.exit_code == 1 and "damaged:" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["search", "原有内容", "--index", str(index), "--mode", "keyword"])
    assert result.exit_code == 1 and "does not match its checksum" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", [STORE_FILE, POSTINGS_FILE, SEGMENT_FILE])
def test_a_damaged_file_is_one_index_corrupt_error_not_a_library_traceback(name: str, tmp_path: Path) -> None:
    _, index = make_base(tmp_path, 1)
    segment = segment_dirs(index)[0]
    (segment / name).write_bytes(b"\x00garbage" * 64)
    with pytest.raises(IndexCorrupt) as caught:  # loaded without checksums: each library's own error, translated
        Segment(segment)
    assert "\n" not in str(caught.value)
    assert not isinstance(caught.value.__cause__, IndexCorrupt)
    if name == STORE_FILE:
        assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_the_api_answers_503_index_corrupt_on_a_damaged_index(tmp_path: Path) -> None:
    from webapp import create_app

    _, index = make_base(tmp_path, 1)
    (segment_dirs(index)[0] / SEGMENT_FILE).unlink()
    client = create_app({"WENKU_INDEX": str(index), "TESTING": True}).test_client()
    response = client.get("/api/search?q=原有内容&mode=keyword")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "index_corrupt"


def test_directories_are_made_with_the_process_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        _, index = make_base(tmp_path, 2)
    finally:
        os.umask(previous)
    for directory in [*segment_dirs(index), IndexLayout(index).current_dir()]:
        assert directory.stat().st_mode & 0o777 == 0o755, directory  # mkdtemp made these 0700


def test_a_read_only_index_serves_readers_and_tells_writers_why(tmp_path: Path) -> None:
    corpus, index = make_base(tmp_path, 1)
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    if subprocess.run(["mount", "--bind", str(index), str(mounted)], capture_output=True).returncode != 0:
        pytest.skip("needs a read-only bind mount (root in a container that allows mount)")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mounted)], check=True)
        assert found(mounted, "原有内容") == {"a0", "a1", "a2"}
        with pytest.raises(IndexReadOnly, match="can be searched but not updated"):
            add_files(corpus, mounted, [("late.txt", article(9))], log=quiet)
        result = CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--index", str(mounted)])
        assert result.exit_code == 1 and "Read-only file system" in result.output
        assert "Traceback" not in result.output
    finally:
        subprocess.run(["umount", "-l", str(mounted)], check=True)  # lazily: this process still maps its files


def test_a_segment_from_a_newer_format_is_refused_in_one_line(keyword_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(keyword_index, index)
    segment = next((index / "segments").iterdir())
    info = json.loads((segment / SEGMENT_FILE).read_text(encoding="utf-8"))
    assert info["version"] == SEGMENT_VERSION  # new segments say which format they are
    (segment / SEGMENT_FILE).write_text(json.dumps({**info, "version": SEGMENT_VERSION + 1}), encoding="utf-8")
    expected = rf"format version {SEGMENT_VERSION + 1}; this wenku reads up to {SEGMENT_VERSION} \(a newer"
    with pytest.raises(IndexCorrupt, match=expected):
        read_segment_info(segment)
