"""Live updates against real processes: SIGKILLed writers, queries during writes, freshness across workers."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import SEED, SHARED_DATA, quiet, running_server

from indexer.index.layout import IndexLayout
from indexer.ingest.reader import read_corpus
from indexer.requests import SearchRequest
from indexer.search.searcher import Searcher
from indexer.update.articles import add_files, remove_articles
from indexer.update.build import build_index

TOKEN = "test-token-0123456789abcdef"
NEWS = SHARED_DATA / "cctv_news"

pytestmark = pytest.mark.slow  # real processes: servers, browsers, kills; `-m 'not slow'` skips them


def news_corpus(folder: Path, days: int) -> Path:
    """The seed plus `days` daily CCTV news files as articles (real text, enough to keep a writer busy)."""
    folder.mkdir(parents=True)
    (folder / SEED.name).write_bytes(SEED.read_bytes())
    for path in sorted(NEWS.glob("*.md"))[:days]:
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


WRITER = textwrap.dedent("""
    import itertools, sys
    from pathlib import Path
    from indexer.update.build import build_index
    from indexer.update.articles import add_files, remove_articles
    corpus, index = Path(sys.argv[1]), Path(sys.argv[2])
    for i in itertools.count():
        if i % 3 == 2:
            build_index(corpus, index, rebuild=True, keyword_only=True, log=lambda _: None)
        else:
            name = f"kill-{sys.argv[3]}-{i}.txt"
            add_files(corpus, index, [(name, f"第{i}篇\\n\\n写入者{sys.argv[3]}的第{i}篇文章。".encode())],
                      log=lambda _: None)
            print("accepted", name[:-4], flush=True)
""")


@pytest.mark.skipif(not NEWS.is_dir(), reason="needs ../shared/data/cctv_news")
def test_sigkilled_writers_never_break_the_index(tmp_path: Path) -> None:
    corpus = news_corpus(tmp_path / "corpus", days=40)
    index = tmp_path / "index"
    build_index(corpus, index, keyword_only=True, log=quiet)
    layout = IndexLayout(index)
    rng = random.Random(7)
    accepted: list[str] = []
    for attempt in range(20):
        before = layout.current_generation()
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(corpus), str(index), str(attempt)],
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.8, 3.0))
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate()
        accepted += re.findall(r"accepted (\S+)", out)
        after = layout.current_generation()
        assert after is not None and after >= before  # the previous generation or a newer, whole one
        searcher = Searcher.open(index)
        assert searcher.search(SearchRequest.parse(q="发展", mode="keyword")).results
        live = {h.article_id for h in searcher.search(SearchRequest.parse(q="写入者 篇文章", mode="keyword",
                                                                           k=100)).results}
        # Acknowledged means published: every accepted article is in the index, whatever the kill interrupted.
        assert set(accepted) <= live
    final = build_index(corpus, index, log=quiet)  # completes after every kill
    articles, _ = read_corpus(corpus)
    assert final.manifest.counts.articles == len(articles)
    ids = {a.id for a in articles}
    assert set(accepted) <= ids  # every accepted article is in the corpus and, after the build, in the index
    assert not list((index / "generations").glob(".staging-*")) and not list((index / "segments").glob(".staging-*"))


def seed_index(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus holding only the seed article, and its keyword index."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    build_index(corpus, tmp_path / "index", keyword_only=True, log=quiet)
    return corpus, tmp_path / "index"


def get_json(url: str) -> tuple[int, dict, dict]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def write(base: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_queries_during_adds_and_removes_never_fail_and_see_one_generation(tmp_path: Path) -> None:
    corpus, index = seed_index(tmp_path)
    expected: dict[int, set[str]] = {1: set()}
    failures: list[str] = []
    checked = [0]
    stop = threading.Event()
    with running_server(index, workers=2, threads=4, env={"WENKU_API_TOKEN": TOKEN}, corpus=corpus) as base:
        def query() -> None:
            while not stop.is_set():
                try:
                    status, headers, body = get_json(f"{base}/api/search?q={quote('并发测试标记')}&mode=keyword&k=100")
                    generation = int(headers["X-Wenku-Generation"])
                    found = {r["article_id"] for r in body["results"] if r["article_id"].startswith("conc")}
                    if generation in expected and found != expected[generation]:
                        failures.append(f"generation {generation}: saw {found}, expected {expected[generation]}")
                    checked[0] += 1
                except Exception as exc:  # noqa: BLE001 - any failed query fails the test
                    failures.append(repr(exc))

        readers = [threading.Thread(target=query) for _ in range(3)]
        for thread in readers:
            thread.start()
        live: set[str] = set()
        try:
            for i in range(12):
                if i % 3 == 2:
                    victim = sorted(live)[0]
                    generation = write(base, "DELETE", f"/api/articles/{victim}")["generation"]
                    live.discard(victim)
                else:
                    result = write(base, "POST", "/api/articles",
                                   {"id": f"conc{i}", "title": f"并发{i}", "text": f"第{i}篇并发测试标记文章。"})
                    generation = result["generation"]
                    live.add(result["id"])
                expected[generation] = set(live)
                time.sleep(0.2)
        finally:  # a failed write must not leave the readers running forever
            stop.set()
            for thread in readers:
                thread.join()
    assert failures == [] and checked[0] > 50


def test_every_worker_serves_a_new_generation_within_a_second(tmp_path: Path) -> None:
    corpus, index = seed_index(tmp_path)
    with running_server(index, workers=2, threads=2) as base:
        for _ in range(20):  # both workers have loaded generation 1
            assert get_json(f"{base}/api/health")[2]["generation"] == 1
        report = add_files(corpus, index, [("fresh.txt", "新文章\n\n新鲜度测试。".encode())], log=quiet)
        published = time.monotonic()
        time.sleep(1.0)
        seen = [get_json(f"{base}/api/health")[2]["generation"] for _ in range(30)]
        waited = time.monotonic() - published
        assert set(seen) == {report.manifest.generation}, f"stale generations {seen} after {waited:.2f} s"


def test_serve_builds_a_missing_index_first(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    # As `make run` on a fresh offline machine: the bundled model is the default, so all three modes work.
    with running_server(tmp_path / "new-index", corpus=corpus) as base:
        health = get_json(f"{base}/api/health")[2]
        assert health["articles"] == 1 and health["passages"] == 35
        assert health["modes"] == ["hybrid", "semantic", "keyword"] and health["semantic_unavailable"] is None
        assert health["model"] == "bundled:multilingual-e5-small"
        question = quote("哪个区要打造食品工业基地")
        body = get_json(f"{base}/api/search?q={question}")[2]
        top = body["results"][0]
        assert body["mode"] == "hybrid" and body["warnings"] == [] and top["speaker"] == "劳茂昌"
        assert top["scores"]["keyword"]["rank"] == 1 and top["scores"]["semantic"]["rank"] >= 1
        with urllib.request.urlopen(f"{base}/?q={question}", timeout=30) as response:
            page = response.read().decode()
        assert 'id="semantic-unavailable"' not in page and "混合检索" in page
        assert page.count("<dt>语义</dt><dd>第 ") >= 1  # the breakdown shows a semantic rank


def raw_http(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no client-side limits) and read the whole answer."""
    import socket

    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length: *(\d+)", head)
                if length and len(body) >= int(length.group(1)):
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def test_serve_forwards_the_token_and_cors_origins_given_as_options(tmp_path: Path) -> None:
    corpus, index = seed_index(tmp_path)
    origin = "https://intranet.example"
    with running_server(index, corpus=corpus, env={"WENKU_API_TOKEN": "", "WENKU_CORS_ORIGINS": ""},
                        options=["--api-token", TOKEN, "--cors-origins", origin]) as base:
        request = urllib.request.Request(f"{base}/api/search?q=%E6%96%B0&mode=keyword", headers={"Origin": origin})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Access-Control-Allow-Origin"] == origin
        written = write(base, "POST", "/api/articles", {"title": "选项令牌", "text": "通过命令行选项开启写入。"})
        assert written["passages"] == 1 and [p.name for p in corpus.glob(f"{written['id']}.*")]


def test_the_server_takes_long_queries_and_answers_its_own_errors_as_json(tmp_path: Path) -> None:
    corpus, index = seed_index(tmp_path)
    limit = {"WENKU_MAX_UPLOAD_BYTES": str(5 << 20)}  # a 5 MiB limit, which the chunked body below passes
    with running_server(index, env={"WENKU_API_TOKEN": TOKEN, **limit}, corpus=corpus) as base:
        query = quote("蓬江区食品工业基地" * 1000)  # 9,000 characters, 81 KB: the documented limit fits
        status, headers, body = raw_http(base, f"GET /api/search?q={query}&mode=keyword HTTP/1.1\r\n"
                                               f"Host: x\r\nConnection: close\r\n\r\n".encode())
        assert status == 200 and json.loads(body)["results"]
        assert "server" not in headers  # no `Server: gunicorn`
        assert headers["x-content-type-options"] == "nosniff"
        status, headers, body = raw_http(base, b"GET /api/search?q=" + b"a" * (2 << 20) + b" HTTP/1.1\r\n"
                                               b"Host: x\r\nConnection: close\r\n\r\n")
        assert status == 414 and headers["content-type"].startswith("application/json"), body
        assert json.loads(body)["error"]["code"] == "uri_too_long"
        status, headers, body = raw_http(base, b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 +
                                               b"\r\nConnection: close\r\n\r\n")
        assert status == 431 and json.loads(body)["error"]["code"] == "request_header_fields_too_large"
        chunk = b"x" * 65536
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(90)) + b"0\r\n\r\n"  # 5.6 MiB
        status, headers, body = raw_http(base, b"POST /api/articles HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                               b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
                                               b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                                               b"\r\n" + chunked)
        assert status == 413 and json.loads(body)["error"]["code"] == "request_entity_too_large"


REPLICATE = Path(__file__).resolve().parent.parent / "scripts" / "replicate"


def test_a_replica_copied_by_the_script_is_consistent_while_servers_read_it(tmp_path: Path) -> None:
    corpus, primary = seed_index(tmp_path)
    replica = tmp_path / "replica"
    subprocess.run([str(REPLICATE), str(primary), str(replica)], check=True)
    expected: dict[int, set[str]] = {1: set()}
    failures: list[str] = []
    checked = [0, 0]
    stop = threading.Event()

    def seen(response_results: list) -> set[str]:
        return {r["article_id"] for r in response_results if r["article_id"].startswith("rep")}

    def open_directly() -> None:  # a reader opening the copy from scratch, as a new server process does
        while not stop.is_set():
            try:
                searcher = Searcher.open(replica, load_model=False)
                found = seen([h.model_dump() for h in searcher.search(
                    SearchRequest(q="副本测试标记", mode="keyword", k=100)).results])
                generation = searcher.manifest.generation
                if generation in expected and found != expected[generation]:
                    failures.append(f"opened generation {generation}: saw {found}, expected {expected[generation]}")
                checked[0] += 1
            except Exception as exc:  # noqa: BLE001 - a half-copied generation fails here
                failures.append(f"open: {exc!r}")

    with running_server(replica, workers=1, threads=2) as base:
        def query_server() -> None:
            while not stop.is_set():
                try:
                    _, headers, body = get_json(f"{base}/api/search?q={quote('副本测试标记')}&mode=keyword&k=100")
                    generation = int(headers["X-Wenku-Generation"])
                    if generation in expected and seen(body["results"]) != expected[generation]:
                        failures.append(f"server generation {generation}: saw {seen(body['results'])}")
                    checked[1] += 1
                except Exception as exc:  # noqa: BLE001 - any failed query fails the test
                    failures.append(f"server: {exc!r}")

        readers = [threading.Thread(target=open_directly), threading.Thread(target=query_server)]
        for thread in readers:
            thread.start()
        live: set[str] = set()
        try:
            for i in range(8):
                if i % 4 == 3:
                    victim = sorted(live)[0]
                    report = remove_articles(corpus, primary, [victim], log=quiet)
                    live.discard(victim)
                else:
                    report = add_files(corpus, primary, [(f"rep{i}.txt", f"副本{i}\n\n第{i}篇副本测试标记。".encode())],
                                       log=quiet)
                    live.add(f"rep{i}")
                assert report.manifest is not None
                expected[report.manifest.generation] = set(live)
                subprocess.run([str(REPLICATE), str(primary), str(replica)], check=True)
                if i % 2:
                    subprocess.run([str(REPLICATE), "--prune", str(primary), str(replica)], check=True)
            last = max(expected)
            deadline = time.monotonic() + 30
            while get_json(f"{base}/api/health")[2]["generation"] != last and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            stop.set()
            for thread in readers:
                thread.join()
        assert get_json(f"{base}/api/health")[2]["generation"] == last
    assert failures == [] and min(checked) > 5, (failures[:5], checked)
    assert sorted(p.name for p in (replica / "segments").iterdir()) == \
        sorted(p.name for p in (primary / "segments").iterdir())  # pruned as the primary pruned
