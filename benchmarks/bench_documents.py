"""Documents in, measured: text-layer PDF speed, OCR speed and character accuracy (against tesseract where installed),
and what each format does to retrieval against the same corpus delivered as text.

Run: .venv/bin/python benchmarks/bench_documents.py [speed] [ocr] [retrieval] [--workdir DIR] [--items N]

- speed: CCTV items set as 公文 PDFs (reportlab, STSong-Light through GBK-EUC-H, not embedded: as many 公文 are),
  read through the product's worker pool (2 workers, nothing cached): pages/s.
- ocr: CCTV text rendered as 150-dpi A4 pages (WenQuanYi Zen Hei, 14 pt = 29 px), clean and worn (turned up to 1°,
  blurred, speckled, JPEG 60), OCR'd through the pool: seconds a page on 2 cores, and character accuracy
  1 − edit distance / length over all pages (whitespace and character width folded); tesseract 5 (chi_sim, `--psm
  6`, one thread, two at a time) on the same pages when it is installed.
- retrieval: the 196 CCTV dev questions' items plus distractors (--items in all), as text, text-layer PDF, DOCX,
  web page and scanned PDF; each corpus indexed with the bundled model (the text corpus's embedding cache copied to
  the others, so only text that differs is embedded), keyword and hybrid R@1 and MRR@10 for each.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import unicodedata
from pathlib import Path

from common import cctv_items, emit
from devsets import DEVSETS
from documents import degrade, gongwen_pdf, render_pages, scanned_pdf, web_page, word_document
from rapidfuzz.distance import Levenshtein

from indexer.ingest.extract.pool import Task, extract_all
from indexer.requests import SearchRequest
from indexer.search.evaluate import Retrieved, evaluate, load_qrels
from indexer.search.searcher import Searcher
from indexer.settings import ExtractSettings
from indexer.update.build import build_index

FORMATS = ("txt", "pdf", "docx", "html", "scan")


def squeezed(text: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def news(count: int, seed: int = 0) -> list[tuple[str, str, str, list[str]]]:
    """(article id, date, title, paragraphs) of the dev questions' CCTV items, then other every-12th items."""
    wanted = {r["article_id"] for line in DEVSETS["cctv"].read_text(encoding="utf-8").splitlines()
              for r in json.loads(line)["relevant"]}
    chosen, others = [], []
    for number, (date, title, paragraphs) in enumerate(cctv_items()):
        if number % 12:
            continue
        item = (f"news-{date}-{number}", date, title, paragraphs)
        (chosen if item[0] in wanted else others).append(item)
    random.Random(seed).shuffle(others)
    return chosen + others[:max(0, count - len(chosen))]


def write_format(folder: Path, fmt: str, items: list[tuple[str, str, str, list[str]]]) -> None:
    """The items as files of one format, named by their article id (so ids are the same in every format)."""
    folder.mkdir(parents=True, exist_ok=True)
    for article_id, date, title, paragraphs in items:
        day = f"{date[:4]}-{date[4:6]}-{date[6:]}"
        if fmt == "txt":
            (folder / f"{article_id}.txt").write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n",
                                                      encoding="utf-8")
        elif fmt == "pdf":
            gongwen_pdf(folder / f"{article_id}.pdf", title, paragraphs)
        elif fmt == "docx":
            word_document(folder / f"{article_id}.docx", title, [(None, paragraphs)], [], header="新闻联播")
        elif fmt == "html":
            (folder / f"{article_id}.html").write_bytes(web_page(title, paragraphs, date=day, source="央视网"))
        elif fmt == "scan":
            images = [image for image, _ in render_pages(paragraphs, title=title)]
            scanned_pdf(folder / f"{article_id}.pdf", [], images=images)


def pool_rate(tasks: list[Task], settings: ExtractSettings) -> tuple[int, float, list[object]]:
    """(pages, seconds, results in task order) of reading the tasks through the worker pool."""
    pages = [0]
    started = time.perf_counter()
    results: list[object] = [None] * len(tasks)
    for number, result in extract_all(tasks, settings, lambda n: pages.__setitem__(0, pages[0] + n)):
        results[number] = result
    return pages[0], time.perf_counter() - started, results


def bench_speed(work: Path, items: list[tuple[str, str, str, list[str]]]) -> None:
    folder = work / "speed"
    if not folder.exists():
        write_format(folder, "pdf", items)
    tasks = [Task(str(path), ".pdf") for path in sorted(folder.glob("*.pdf"))]
    pages, seconds, results = pool_rate(tasks, ExtractSettings(workers=2))
    failed = sum(isinstance(r, str) for r in results)
    emit("documents", {"bench": "pdf_text_layer", "files": len(tasks), "pages": pages, "failed": failed,
                       "seconds": round(seconds, 2), "pages_per_s": round(pages / seconds, 1), "workers": 2})


def _tesseract(path: Path) -> str:
    return subprocess.run(["tesseract", str(path), "-", "-l", "chi_sim", "--psm", "6"], capture_output=True,
                          text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"}).stdout


def bench_ocr(work: Path, items: list[tuple[str, str, str, list[str]]], pages_wanted: int) -> None:
    rendered: list[tuple[object, str]] = []
    for _, _, title, paragraphs in items:
        rendered.extend(render_pages(paragraphs, title=title))
        if len(rendered) >= pages_wanted:
            break
    rendered = rendered[:pages_wanted]
    for condition in ("clean", "worn"):
        folder = work / f"ocr-{condition}"
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for number, (image, _) in enumerate(rendered):
            path = folder / f"page-{number:03d}.png"
            if not path.exists():
                (image if condition == "clean" else degrade(image, seed=number)).save(path)  # type: ignore
            paths.append(path)
        truth = [text for _, text in rendered]
        count, seconds, results = pool_rate([Task(str(p), ".png") for p in paths], ExtractSettings(workers=2))
        texts = [r.text if hasattr(r, "text") else "" for r in results]  # type: ignore[union-attr]
        emit("documents", {"bench": "ocr", "engine": "rapidocr (PP-OCRv4, wenku's pipeline)",
                           "condition": condition, "pages": count, "dpi": 150, "workers": 2,
                           "s_per_page": round(seconds / count, 2), "char_accuracy": accuracy(texts, truth)})
        if shutil.which("tesseract"):
            started = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                texts = list(pool.map(_tesseract, paths))
            seconds = time.perf_counter() - started
            emit("documents", {"bench": "ocr", "engine": "tesseract 5 chi_sim (--psm 6)", "condition": condition,
                               "pages": len(paths), "dpi": 150, "workers": 2,
                               "s_per_page": round(seconds / len(paths), 2),
                               "char_accuracy": accuracy(texts, truth)})


def accuracy(texts: list[str], truth: list[str]) -> float:
    errors = sum(Levenshtein.distance(squeezed(t), squeezed(w)) for t, w in zip(texts, truth))
    return round(1 - errors / sum(len(squeezed(w)) for w in truth), 4)


def bench_retrieval(work: Path, items: list[tuple[str, str, str, list[str]]], formats: list[str]) -> None:
    ids = {article_id for article_id, *_ in items}
    qrels = [q for q in load_qrels(DEVSETS["cctv"]) if all(r.article_id in ids for r in q.relevant)]
    baseline_cache = work / "index-txt" / "cache" / "embeddings.sqlite"
    for fmt in formats:
        corpus, index = work / f"corpus-{fmt}", work / f"index-{fmt}"
        if not corpus.exists():
            write_format(corpus, fmt, items)
        if fmt != "txt" and baseline_cache.exists() and not (index / "cache").exists():
            (index / "cache").mkdir(parents=True)
            shutil.copy(baseline_cache, index / "cache" / "embeddings.sqlite")
        started = time.perf_counter()
        report = build_index(corpus, index, log=lambda _: None, progress=False,
                             settings=build_settings())
        built = time.perf_counter() - started
        searcher = Searcher.open(index)
        for mode in ("keyword", "hybrid"):
            def run(q: str, mode: str = mode, searcher: Searcher = searcher) -> list[Retrieved]:
                response = searcher.search(SearchRequest.parse(q=q, mode=mode, k=10), with_facets=False)
                return [Retrieved(h.article_id, h.text) for h in response.results]

            figures = evaluate(qrels, run)
            emit("documents", {"bench": "retrieval", "format": fmt, "mode": mode, "articles": len(items),
                               "indexed": report.manifest.counts.articles if report.manifest else 0,
                               "passages": report.manifest.counts.passages if report.manifest else 0,
                               "questions": len(qrels), "recall@1": round(figures["recall@1"], 4),
                               "mrr@10": round(figures["mrr@10"], 4), "build_s": round(built, 1),
                               "embedded": report.embedded})


def build_settings():  # noqa: ANN201
    from indexer.settings import WriterSettings

    return WriterSettings(extract=ExtractSettings(workers=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", default=["speed", "ocr", "retrieval"])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--items", type=int, default=300, help="articles in the retrieval corpus")
    parser.add_argument("--speed-items", type=int, default=60, help="PDFs for the speed run")
    parser.add_argument("--ocr-pages", type=int, default=40)
    parser.add_argument("--formats", default=",".join(FORMATS))
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="wenku-bench-documents-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"workdir {work}", flush=True)
    items = news(args.items)
    if "speed" in args.parts:
        bench_speed(work, items[:args.speed_items])
    if "ocr" in args.parts:
        bench_ocr(work, items[200:], args.ocr_pages)  # items not among the speed run's
    if "retrieval" in args.parts:
        bench_retrieval(work, items, args.formats.split(","))


if __name__ == "__main__":
    main()
