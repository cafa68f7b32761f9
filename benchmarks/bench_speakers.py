"""Who said what: speaker and role found by the chunker against paragraphs labelled by reading them.

Dev sets (benchmarks/devsets/):
- speakers-cctv.jsonl    330 CCTV news paragraphs (230 drawn among those with a verb of saying, 100 among the rest),
                         each with the people it reports speaking, labelled by reading the paragraph (a pronoun's
                         person from the paragraph before it); the text stays in ../shared/data, the set keeps its
                         reference and SHA-1. Half "tune" (rules were written against it), half "held-out".
- speakers-styles.jsonl  articles written for this set in the styles CCTV lacks: an ordinary news story with quotes
                         before and after their attribution, an interview, a forum transcript, narration traps.
- the seed article       every passage's speaker must be its section's.

A paragraph's found speakers are its passages' speakers. Speaker precision/recall count (paragraph, name) pairs;
role precision counts the found speakers whose role the paragraph states, against that role.

Run: .venv/bin/python benchmarks/bench_speakers.py [--split tune|held-out|all] [--show]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time

from common import ROOT, cctv_items, emit

from indexer.ingest.article import parse_article
from indexer.ingest.chunk import ChunkerSettings, chunk_article

DEVSETS = ROOT / "benchmarks" / "devsets"
SETTINGS = ChunkerSettings()


def _article(item_id: str, title: str, paragraphs: list[str]) -> tuple[object, list[tuple[int, int]]]:
    """The article as the corpus writes it, and each paragraph's [start, end) in its text."""
    text = title + "\n\n"
    spans = []
    for paragraph in paragraphs:
        spans.append((len(text), len(text) + len(paragraph)))
        text += paragraph + "\n\n"
    return parse_article(text.encode("utf-8"), f"{item_id}.txt"), spans


def found_speakers(article: object, spans: list[tuple[int, int]]) -> list[dict[str, str | None]]:
    """Per paragraph, the distinct (name, role) of the passages that start inside it."""
    passages = chunk_article(article, SETTINGS)  # type: ignore[arg-type]
    out: list[dict[str, str | None]] = [{} for _ in spans]
    for passage in passages:
        for index, (start, end) in enumerate(spans):
            if start <= passage.start < end and passage.speaker:
                out[index].setdefault(passage.speaker, passage.role)
    return out


def cctv_cases(split: str) -> list[tuple[str, str, dict[str, str | None], dict[str, str | None]]]:
    """(ref, text, gold name → role, found name → role) for the CCTV set."""
    records = [json.loads(line) for line in (DEVSETS / "speakers-cctv.jsonl").read_text(encoding="utf-8").splitlines()]
    records = [r for r in records if split == "all" or r["split"] == split]
    wanted = {int(r["ref"].split("#")[0].rsplit("-", 1)[1]) for r in records}
    items = {n: item for n, item in enumerate(cctv_items()) if n in wanted}
    found_cache: dict[int, list[dict[str, str | None]]] = {}
    cases = []
    for record in records:
        item_ref, para = record["ref"].split("#")
        number = int(item_ref.rsplit("-", 1)[1])
        date, title, paragraphs = items[number]
        text = paragraphs[int(para) - 1]
        if hashlib.sha1(text.encode()).hexdigest()[:12] != record["sha1"]:
            raise SystemExit(f"{record['ref']}: the paragraph in ../shared/data is not the one labelled")
        if number not in found_cache:
            found_cache[number] = found_speakers(*_article(item_ref, title, paragraphs))
        gold = {s["name"]: s["role"] for s in record["speakers"]}
        cases.append((record["ref"], text, gold, found_cache[number][int(para) - 1]))
    return cases


def styles_cases() -> list[tuple[str, str, dict[str, str | None], dict[str, str | None]]]:
    """The same for the written styles set: every body paragraph of every article is labelled."""
    cases = []
    for line in (DEVSETS / "speakers-styles.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        paragraphs = record["paragraphs"]
        found = found_speakers(*_article(record["id"], record["title"], [p["text"] for p in paragraphs]))
        for index, paragraph in enumerate(paragraphs):
            gold = {s["name"]: s["role"] for s in paragraph["speakers"]}
            cases.append((f"{record['id']}#{index + 1}", paragraph["text"], gold, found[index]))
    return cases


def score(cases: list[tuple[str, str, dict[str, str | None], dict[str, str | None]]]) -> dict[str, float | int]:
    """Speaker precision and recall over (paragraph, name) pairs; role precision where the paragraph states one."""
    tp = sum(len(set(gold) & set(found)) for _, _, gold, found in cases)
    predicted = sum(len(found) for *_, found in cases)
    relevant = sum(len(gold) for _, _, gold, _ in cases)
    roles = [(gold[n], found[n]) for _, _, gold, found in cases for n in set(gold) & set(found)
             if gold[n] and found[n]]
    return {"paragraphs": len(cases), "gold_speakers": relevant, "found": predicted,
            "precision": round(tp / predicted, 4) if predicted else 1.0,
            "recall": round(tp / relevant, 4) if relevant else 1.0,
            "role_checked": len(roles),
            "role_precision": round(sum(g == f for g, f in roles) / len(roles), 4) if roles else 1.0}


def seed_check() -> dict[str, int]:
    """The seed: passages whose speaker differs from their section's heading line."""
    path = ROOT / "corpus" / "jiangmen-high-quality-development.txt"
    article = parse_article(path.read_bytes(), path.name)
    passages = chunk_article(article, SETTINGS)
    headings = {m.start(): m.group(1) for m in re.finditer(r"^.*?([\u4e00-\u9fff]{2,3})：$", article.text, re.M)}
    wrong = 0
    for passage in passages:
        before = [start for start in headings if start < passage.start]
        expected = headings[max(before)] if before else None
        wrong += passage.speaker != expected
    return {"passages": len(passages), "speaker_not_its_section": wrong,
            "with_speaker": sum(p.speaker is not None for p in passages)}


def chunk_speed(items: int = 600) -> dict[str, float]:
    """Milliseconds a CCTV item takes to chunk (speakers found), over the first `items` items, after one warm-up."""
    articles = [_article(f"n{n}", title, paragraphs)[0]
                for n, (_, title, paragraphs) in zip(range(items), cctv_items())]
    chunk_article(articles[0], SETTINGS)  # type: ignore[arg-type]
    started = time.perf_counter()
    for article in articles:
        chunk_article(article, SETTINGS)  # type: ignore[arg-type]
    return {"items": len(articles), "ms_per_item": round((time.perf_counter() - started) * 1000 / len(articles), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="all", choices=["tune", "held-out", "fresh", "all"])
    parser.add_argument("--show", action="store_true", help="print every paragraph where found and labels differ")
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, object] = {}
    for name, cases in (("cctv-" + args.split, cctv_cases(args.split)), ("styles", styles_cases())):
        results[name] = score(cases)
        if args.show:
            for ref, text, gold, found in cases:
                if gold != found and (set(gold) != set(found) or any(gold[n] and found[n] != gold[n] for n in gold)):
                    print(f"{ref}\n  gold  {gold}\n  found {found}\n  {text[:160]}")
    results["seed"] = seed_check()
    results["chunking"] = chunk_speed()
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results, ensure_ascii=False, indent=1))
    emit("speakers", {"split": args.split, **results})


if __name__ == "__main__":
    main()
