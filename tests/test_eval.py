"""The evaluation harness: metrics by hand, qrels loading (JSONL and SQuAD), and `wenku eval` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.errors import QueryError
from indexer.search.evaluate import Qrel, Relevant, Retrieved, load_qrels, metrics_for


def test_metrics_match_hand_computed_values() -> None:
    qrel = Qrel(q="x", relevant=[Relevant(article_id="a", grade=2), Relevant(contains="目标")])
    ranked = [Retrieved("z", "无关"), Retrieved("a", "甲"), Retrieved("a", "甲的第二段"), Retrieved("y", "含目标")]
    m = metrics_for(qrel, ranked)
    assert m["recall@1"] == 0 and m["recall@5"] == 1.0 and m["mrr@10"] == 0.5
    dcg = 3 / 1.5849625007211562 + 1 / 2.321928094887362  # a at rank 2 (grade 2), contains at rank 4
    idcg = 3 / 1 + 1 / 1.5849625007211562
    assert m["ndcg@10"] == pytest.approx(dcg / idcg)
    assert metrics_for(qrel, [Retrieved("z", "无")] * 10) == {"recall@1": 0, "recall@5": 0, "recall@10": 0,
                                                              "mrr@10": 0.0, "ndcg@10": 0.0}


def test_deeper_cutoffs_count_recall_but_not_rank_metrics() -> None:
    qrel = Qrel(q="x", relevant=[Relevant(article_id="a")])
    ranked = [Retrieved("z", "无关")] * 49 + [Retrieved("a", "甲")]
    m = metrics_for(qrel, ranked, cutoffs=(10, 100))
    assert (m["recall@10"], m["recall@100"], m["mrr@10"], m["ndcg@10"]) == (0, 1.0, 0.0, 0.0)


def test_squad_files_become_qrels_of_their_paragraph(tmp_path: Path) -> None:
    squad = {"version": "v1", "data": [{"id": "T1", "title": "t", "paragraphs": [
        {"id": "TRIAL_800", "context": "…", "qas": [{"question": "问一？", "id": "q1", "answers": []},
                                                    {"question": "问二？", "id": "q2", "answers": []}]}]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    qrels = load_qrels(path)
    assert [(q.q, q.relevant[0].article_id) for q in qrels] == [("问一？", "cmrc-trial_800"),
                                                               ("问二？", "cmrc-trial_800")]


@pytest.mark.parametrize("line", ['{"q": "x"}', '{"q": "x", "relevant": []}', '{"q": "x", "relevant": [{}]}',
                                  'not json', '{"q": "x", "relevant": [{"article_id": "a", "grade": 0}]}',
                                  '{"q": "  ", "relevant": [{"article_id": "a"}]}'])
def test_bad_qrels_are_clear_errors(tmp_path: Path, line: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(QueryError, match="bad.jsonl:1"):
        load_qrels(path)


def test_wenku_eval_reports_every_mode(hybrid_index: Path, tmp_path: Path) -> None:
    qrels = tmp_path / "qrels.jsonl"
    qrels.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in [
        {"q": "哪个区要打造食品工业基地", "relevant": [{"contains": "食品工业基地", "grade": 1}]},
        {"q": "侨乡博物馆 华侨文物", "relevant": [{"article_id": "gbk"}]},
    ]), encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(qrels), "--index", str(hybrid_index), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["modes"]
    assert set(figures) == {"hybrid", "semantic", "keyword"}
    assert all(figures[mode]["recall@10"] == 1.0 and figures[mode]["queries"] == 2 for mode in figures)
    table = CliRunner().invoke(main, ["eval", str(qrels), "--index", str(hybrid_index), "--mode", "keyword"])
    assert "recall@1" in table.stdout and table.stdout.splitlines()[1].startswith("keyword")


def test_eval_never_labels_keyword_figures_as_semantic(keyword_index: Path, tmp_path: Path) -> None:
    qrels = tmp_path / "q.jsonl"
    qrels.write_text('{"q": "发展", "relevant": [{"article_id": "gbk"}]}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(qrels), "--index", str(keyword_index), "--mode", "semantic",
                                       "--json"])
    assert json.loads(result.stdout)["modes"]["semantic"].startswith("unavailable")
