"""Session fixtures: a fixture corpus (the seed plus small made-up articles), real indexes (the bundled model, a
tiny random sentence-transformers model, keyword only), apps and servers on them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

# No test may reach the network; jieba and Hugging Face caches go to a private temp dir.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("WENKU_CACHE", tempfile.mkdtemp(prefix="wenku-test-cache-"))

from cctv import cctv_items  # noqa: E402
from documents import write_documents  # noqa: E402
from tiny_model import build_tiny_model  # noqa: E402

from indexer.ingest.reader import ArticleReader  # noqa: E402
from indexer.search.searcher import Searcher  # noqa: E402
from indexer.update.build import build_index  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "jiangmen-high-quality-development.txt"
SHARED_DATA = ROOT.parent / "shared" / "data"

NEWS_MD = """---
title: 江门新能源汽车产业园开工
date: 2026-03-01
source: 江门日报
url: https://example.org/news/1
---
# 江门新能源汽车产业园开工

**本报讯** 江门新能源汽车产业园今天正式开工，首期投资八十亿元，重点引进动力电池和整车制造项目。<!--repaste.body.begin-->

园区负责人介绍，项目建成后预计年产值超过三百亿元，将带动上下游配套企业集聚发展。
"""
GBK_TEXT = "侨乡博物馆举办华侨文物特展\n\n本次特展展出华侨书信、银信和老照片三百余件，讲述侨乡百年奋斗故事。\n"
GB18030_TEXT = "生僻字𠮷的整理工作\n\n古籍整理中心完成生僻字𠮷等四百个字形的数字化录入工作。\n"
UTF16_TEXT = "陈皮产业带动乡村振兴\n\n新会陈皮产业综合产值突破二百亿元，带动数万农户增收致富。\n"
UTF8_BOM_TEXT = "温泉旅游节开幕\n\n恩平温泉旅游节吸引大批游客，温泉小镇酒店入住率明显上升。\n"
HOSTILE_MD = """---
title: <script>alert('title')</script> 测试标题"><img src=x onerror=alert(2)>
source: <b>来源</b>
url: javascript:alert(3)
---
恶意文章测试段落，包含<script>alert("xss")</script>脚本标签，以及"><img src=x onerror=alert(1)>图片注入。
"""
LONG_SENTENCE = "数字经济企业持续发展壮大，"
LONG_TEXT = "数字经济报告\n\n" + "".join(
    f"第{i}项举措是推动{LONG_SENTENCE * 2}带动就业增长。" for i in range(1, 13)) + "\n"


def write_fixture_corpus(folder: Path) -> Path:
    """The seed article plus small articles covering every encoding case and article shape."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    (folder / "news").mkdir()
    (folder / "news" / "新能源汽车.md").write_text(NEWS_MD, encoding="utf-8")
    (folder / "gbk.txt").write_bytes(GBK_TEXT.encode("gbk"))
    (folder / "gb18030.txt").write_bytes(GB18030_TEXT.encode("gb18030"))
    (folder / "utf16.txt").write_bytes(UTF16_TEXT.encode("utf-16"))
    (folder / "utf8-bom.txt").write_bytes(UTF8_BOM_TEXT.encode("utf-8-sig"))
    (folder / "hostile.md").write_text(HOSTILE_MD, encoding="utf-8")
    (folder / "long.txt").write_text(LONG_TEXT, encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "garbage.txt").write_bytes(bytes(range(0x80, 0x100)) * 8)
    (folder / "empty.md").write_bytes(b"")
    (folder / "notes.csv").write_text("not,an,article\n", encoding="utf-8")
    return folder


def _article(title: str, date: str, source: str, paragraphs: list[str]) -> str:
    front = yaml.safe_dump({"title": title, "date": date, "source": source}, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n" + "\n\n".join(paragraphs) + "\n"


SYNDICATED = ("南方日报", "江门日报")  # sources reprinting one CCTV item, a day and two days later


def write_archive_corpus(folder: Path) -> dict[str, str]:
    """The seed (speakers, undated) plus dated CCTV items of 2022-2024 from two sources, one item reprinted by
    two more outlets with light edits, and an article whose paragraph starts like a spreadsheet formula.

    Returns the ids of interest: the reprinted original, its copies, the formula article.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    ids: dict[str, str] = {}
    for year, source in (("2022", "央视网"), ("2023", "央视网"), ("2024", "新华网")):
        for number, (day, title, paragraphs) in enumerate(cctv_items(6, pattern=f"{year}01*.md")):
            name = f"cctv-{day}-{number}"
            date = f"{day[:4]}-{day[4:6]}-{day[6:]}"
            (folder / f"{name}.md").write_text(_article(title, date, source, paragraphs), encoding="utf-8")
            if year == "2023" and number == 1:
                ids["original"] = name
                for later, outlet in enumerate(SYNDICATED, start=1):
                    edited = [p.replace("，", "、", 1) for p in paragraphs]  # light edits, as reprints have
                    edited[0] = f"（{outlet}讯）" + edited[0]
                    copy_date = f"{date[:-2]}{int(date[-2:]) + later:02d}"
                    (folder / f"copy-{later}.md").write_text(_article(title, copy_date, outlet, edited),
                                                             encoding="utf-8")
                    ids[outlet] = f"copy-{later}"
    (folder / "formula.md").write_text(_article("导出测试", "2024-02-01", "测试来源", [
        "=HYPERLINK(\"http://example.org\",\"点击\") 以等号开头的段落用来检查导出是否把它当作文字。"]),
        encoding="utf-8")
    ids["formula"] = "formula"
    return ids


def quiet(_: str) -> None:
    """A log callback that drops the lines."""


READABLE_ARTICLES = 8  # seed, news, gbk, gb18030, utf16, utf8-bom, hostile, long
SKIPPED_FILES = {"binary.txt", "garbage.txt", "empty.md"}


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fixture corpus shared (read-only) by the whole session."""
    return write_fixture_corpus(tmp_path_factory.mktemp("corpus") / "corpus")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight sentence-transformers model directory."""
    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="session")
def other_tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another tiny model with different weights (for the mismatch check)."""
    return build_tiny_model(tmp_path_factory.mktemp("models") / "other", seed=1)


@pytest.fixture(scope="session")
def hybrid_index(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index (FAISS + keyword + SQLite) of the fixture corpus with the default, bundled real model."""
    index = tmp_path_factory.mktemp("hybrid") / "index"
    build_index(corpus_dir, index, log=lambda _: None)
    return index


@pytest.fixture(scope="session")
def searcher(hybrid_index: Path) -> Searcher:
    """A searcher on the hybrid index, model loaded from the manifest."""
    return Searcher.open(hybrid_index)


@pytest.fixture(scope="session")
def tiny_index(corpus_dir: Path, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the fixture corpus made through the sentence-transformers path, with the tiny model."""
    index = tmp_path_factory.mktemp("tiny") / "index"
    build_index(corpus_dir, index, str(tiny_model), log=lambda _: None)
    return index


@pytest.fixture(scope="session")
def tiny_searcher(tiny_index: Path) -> Searcher:
    """A searcher on the tiny-model index."""
    return Searcher.open(tiny_index)


@pytest.fixture(scope="session")
def keyword_index(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A keyword-only index of the fixture corpus."""
    index = tmp_path_factory.mktemp("keyword") / "index"
    build_index(corpus_dir, index, keyword_only=True, log=lambda _: None)
    return index


@pytest.fixture(scope="session")
def keyword_searcher(keyword_index: Path) -> Searcher:
    """A searcher on the keyword-only index."""
    return Searcher.open(keyword_index)


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> dict[str, object]:
    """The archive corpus indexed twice: keyword only, and with the tiny model (for semantic and hybrid)."""
    root = tmp_path_factory.mktemp("archive")
    ids = write_archive_corpus(root / "corpus")
    build_index(root / "corpus", root / "index", None, keyword_only=True, log=quiet)
    build_index(root / "corpus", root / "index-tiny", str(tiny_model), log=quiet)
    return {"ids": ids, "corpus": root / "corpus", "index": root / "index", "tiny_index": root / "index-tiny",
            "searcher": Searcher.open(root / "index"), "tiny_searcher": Searcher.open(root / "index-tiny")}


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The documents corpus read once (the extraction cache of its index), and a keyword index of it."""
    root = tmp_path_factory.mktemp("documents")
    corpus = write_documents(root / "corpus")
    report = build_index(corpus, root / "index", keyword_only=True, log=lambda _: None)
    reader = ArticleReader(root / "index" / "cache")
    articles, problems = reader.read_corpus(corpus)  # all from the cache now
    return {"corpus": corpus, "index": root / "index", "report": report, "problems": problems,
            "articles": {Path(a.path).name: a for a in articles}, "searcher": Searcher.open(root / "index")}


@pytest.fixture(scope="session")
def app(hybrid_index: Path):
    """The Flask app on the hybrid index (index and model loaded once)."""
    from webapp import create_app

    return create_app({"WENKU_INDEX": str(hybrid_index), "TESTING": True})


@pytest.fixture()
def client(app):
    """A Flask test client."""
    return app.test_client()


def free_port() -> int:
    """An unused localhost port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(index: Path, workers: int = 1, threads: int = 2, env: dict[str, str] | None = None,
                   corpus: Path | None = None, options: Sequence[str] = ()) -> Iterator[str]:
    """`wenku serve` (gunicorn) on a free localhost port; yields its base URL and stops it afterwards."""
    port = free_port()
    wenku = Path(sys.executable).with_name("wenku")
    command = [str(wenku), "serve", "--index", str(index), "--port", str(port), "--workers", str(workers),
               "--threads", str(threads), *options] + (["--corpus", str(corpus)] if corpus else [])
    # A file, not a pipe: nobody drains a pipe while tests run, and a full one would block the server's log.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    log.seek(0)
                    raise RuntimeError(f"server did not start:\n{log.read()}") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
