"""The `wenku` command line end to end: build, search (text and JSON), info, errors, environment variables."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from click.testing import CliRunner

from indexer.cli import main
from indexer.embed.encoders import load_encoder
from indexer.embed.encoders.base import CPU_BATCH_SIZE
from indexer.schema import SearchResponse
from indexer.search.searcher import Searcher

CONTRACT_KEYS = {"query", "mode", "semantic_ratio", "total", "took_ms", "warnings", "results"}
HIT_KEYS = {"id", "article_id", "article_title", "date", "speaker", "role", "region", "section", "paragraph",
            "page", "format", "author", "original_url", "text", "highlight", "score", "scores", "source", "url",
            "citation", "copies_total", "copies"}


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_build_search_info_with_a_model(corpus_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    index = str(tmp_path / "index")
    built = run("build", "--corpus", str(corpus_dir), "--index", index, "--model", str(tiny_model))
    assert built.exit_code == 0, built.output
    assert "+8 -0 articles" in built.stdout and ": 8 articles" in built.stdout
    assert "skipped binary.txt: binary file" in built.stderr
    result = run("search", "新能源 产业园", "--index", index, "--json", "-k", "3")
    data = json.loads(result.stdout)
    assert set(data) == CONTRACT_KEYS and data["mode"] == "hybrid" and len(data["results"]) == 3
    assert set(data["results"][0]) == HIT_KEYS and set(data["results"][0]["scores"]) == {"keyword", "semantic"}
    SearchResponse.model_validate({**data, "facets": {"speaker": [], "region": [], "source": [], "year": []}})
    assert "新能源" in result.stdout  # Chinese is not \\u-escaped
    text = run("search", "哪个区要打造食品工业基地", "--index", index, "--mode", "keyword", "-k", "1")
    assert "劳茂昌（蓬江区委书记，蓬江区）" in text.stdout and "【食品工业基地】" in text.stdout
    info = json.loads(run("info", "--index", index, "--json").stdout)
    assert info["articles"] == 8 and info["dimension"] == 32 and info["modes"] == ["hybrid", "semantic", "keyword"]
    assert info["model"] == str(tiny_model.resolve()) and len(info["failed"]) == 3 and info["pending"] == []


def test_keyword_only_build_and_filters_via_environment(corpus_dir: Path, tmp_path: Path) -> None:
    env = {"WENKU_CORPUS": str(corpus_dir), "WENKU_INDEX": str(tmp_path / "idx")}
    built = run("build", "--keyword-only", env=env)
    assert built.exit_code == 0 and "keyword only" in built.stdout
    result = run("search", "发展", "--speaker", "黎沛荣", "--json", "-k", "100", env=env)
    data = json.loads(result.stdout)
    assert data["mode"] == "keyword" and data["warnings"] and {r["speaker"] for r in data["results"]} == {"黎沛荣"}
    assert "semantic search unavailable" in run("search", "发展", env=env).stderr
    assert "keyword" in run("info", env=env).stdout


def test_errors_are_one_line_messages_with_exit_codes(tmp_path: Path) -> None:
    missing = run("search", "发展", "--index", str(tmp_path / "none"))
    assert missing.exit_code == 1 and "no index at" in missing.stderr and "Traceback" not in missing.output
    for args in (["search", ""], ["search", "x", "-k", "0"], ["search", "x", "--mode", "fuzzy"],
                 ["search", "字" * 10_001]):
        bad = run(*args, "--index", str(tmp_path / "none"))
        assert bad.exit_code == 2, args
    no_corpus = run("build", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"), "--keyword-only")
    assert no_corpus.exit_code == 1 and "does not exist" in no_corpus.stderr


def test_search_takes_a_semantic_ratio(hybrid_index: Path) -> None:
    index = str(hybrid_index)
    weighted = json.loads(run("search", "新能源 产业园", "--index", index, "--json", "--semantic-ratio", "0.2").stdout)
    assert weighted["mode"] == "hybrid" and weighted["semantic_ratio"] == 0.2
    default = json.loads(run("search", "新能源 产业园", "--index", index, "--json").stdout)
    assert default["semantic_ratio"] == 0.7
    text = run("search", "新能源 产业园", "--index", index, "--semantic-ratio", "0.2", "-k", "1").stdout
    assert "(hybrid, semantic ratio 0.2," in text
    assert run("search", "x", "--index", index, "--semantic-ratio", "2").exit_code == 2


def test_serve_on_a_taken_port_says_so_in_one_line(keyword_index: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--index", str(keyword_index), "--port", str(port))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use (another server running? choose "
        "another port with --port)"]
    assert "serving" not in result.stdout + result.stderr


def test_the_device_option_is_checked_and_leaves_the_index_as_any_device_would(
        corpus_dir: Path, tiny_model: Path, tmp_path: Path) -> None:
    def build(index: str, *options: str):
        return run("build", "--corpus", str(corpus_dir), "--index", str(tmp_path / index), *options)

    for options, reason in (((), "the bundled engine runs on the CPU only"),
                            (("--model", str(tiny_model)), "torch sees no CUDA GPU")):
        refused = build("gpu", *options, "--device", "cuda")  # this machine has no GPU
        assert refused.exit_code == 1 and reason in refused.output
        assert not (tmp_path / "gpu" / "CURRENT").exists()  # an error, not a quiet keyword-only index
    assert build("cpu", "--model", str(tiny_model), "--device", "cpu").exit_code == 0
    assert build("auto", "--model", str(tiny_model)).exit_code == 0
    cpu, auto = (Searcher.open(tmp_path / name, load_model=False).manifest.model for name in ("cpu", "auto"))
    assert cpu is not None and cpu == auto  # fingerprint, dimension, prompts: nothing records the device
    encoder = load_encoder(str(tiny_model), "auto")
    assert str(encoder.model.device) == "cpu" and encoder.batch_size == CPU_BATCH_SIZE


def test_documents_through_the_cli(tmp_path: Path) -> None:
    from documents import PARAGRAPHS, TITLE, gongwen_pdf

    corpus, index = tmp_path / "corpus", str(tmp_path / "index")
    corpus.mkdir()
    gongwen_pdf(corpus / "notice.pdf", TITLE, PARAGRAPHS, lines_per_page=5)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    built = run("build", "--corpus", str(corpus), "--index", index, "--keyword-only")
    assert built.exit_code == 0 and "+1 -0 articles" in built.stdout
    assert "skipped broken.pdf: not a readable PDF" in built.stderr
    gongwen_pdf(tmp_path / "added.pdf", "另一份通知", PARAGRAPHS[:2])
    added = run("add", str(tmp_path / "added.pdf"), "--corpus", str(corpus), "--index", index)
    assert added.exit_code == 0 and (corpus / "added.pdf").exists()
    text = run("search", "清洁能源装机容量", "--index", index, "-k", "1").stdout
    assert "第3页" in text
    csv = run("search", "清洁能源装机容量", "--index", index, "--format", "csv").stdout.splitlines()
    header = csv[0].split(",")
    row = dict(zip(header, csv[1].split(",")))
    assert (row["page"], row["format"], row["original_url"]) == ("3", "pdf", "/api/articles/notice/original#page=3")
    info = run("info", "--index", index).stdout
    assert "formats: 2 pdf" in info and "broken.pdf: not a readable PDF" in info
    refused = run("add", str(corpus / "broken.pdf"), "--corpus", str(tmp_path / "other"), "--index", index)
    assert refused.exit_code == 1 and "broken.pdf: not a readable PDF" in refused.stderr
