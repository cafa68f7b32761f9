"""The dev sets that ranking is tuned and judged on, and the corpus they are asked over.

Corpora: `dev` (`write_dev_corpus`): the seed article, the 256 CMRC 2018 trial paragraphs (`cmrc-<id>`) and every
12th CCTV news item (2,009 items, `news-<date>-<n>`), so that each set's answers sit among distractors of two other
kinds; `seed`: the seed article alone, for the seed's graded set (its judgements cover the seed's passages only,
and the news holds many other good answers to questions such as 光伏 or 核电).

Dev sets (qrels, see indexer/search/evaluate.py):
- seed-graded   32 graded queries over the seed's passages, keyword-like and paraphrased (tests/data/, also a test)
- cmrc          the 1,000 non-empty CMRC 2018 trial questions; relevant: the question's paragraph
- cctv          196 questions written over CCTV items, mostly in the item's own words
- cctv-para     60 questions written over CCTV items in other words than the item's (paraphrases)
The CCTV questions were written by reading each item's title and opening, before any retrieval was run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from common import ROOT, SHARED, write_news

from indexer.search.evaluate import Qrel, load_qrels

CMRC = SHARED / "cmrc2018" / "cmrc2018_trial.json"
SEED = ROOT / "corpus" / "jiangmen-high-quality-development.txt"
DEVSETS = {
    "seed-graded": ROOT / "tests" / "data" / "seed-graded.jsonl",
    "cmrc": CMRC,
    "cctv": ROOT / "benchmarks" / "devsets" / "cctv-questions.jsonl",
    "cctv-para": ROOT / "benchmarks" / "devsets" / "cctv-paraphrases.jsonl",
}
CORPUS_OF = {"seed-graded": "seed", "cmrc": "dev", "cctv": "dev", "cctv-para": "dev"}
NEWS_EVERY = 12


def write_cmrc(folder: Path) -> int:
    """Every CMRC trial paragraph as an article `cmrc-<id>.txt` (its Wikipedia title, then the paragraph)."""
    folder.mkdir(parents=True, exist_ok=True)
    squad = json.loads(CMRC.read_text(encoding="utf-8"))
    count = 0
    for entry in squad["data"]:
        for paragraph in entry["paragraphs"]:
            (folder / f"cmrc-{paragraph['id']}.txt").write_text(f"{entry['title']}\n\n{paragraph['context']}\n",
                                                                encoding="utf-8")
            count += 1
    return count


def write_dev_corpus(folder: Path) -> int:
    """The dev corpus (see the module docstring); returns how many articles were written."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    return 1 + write_cmrc(folder) + write_news(folder, every=NEWS_EVERY)


def write_corpus(kind: str, folder: Path) -> int:
    """The `dev` or `seed` corpus into folder; returns how many articles were written."""
    if kind == "dev":
        return write_dev_corpus(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    return 1


def dev_sets(names: list[str] | None = None) -> dict[str, list[Qrel]]:
    """The named dev sets (all by default) as qrels."""
    return {name: load_qrels(DEVSETS[name]) for name in (names or list(DEVSETS))}
