"""Documents in, measured: text-layer PDF speed, OCR speed and character accuracy (against tesseract where installed),
and what each format does to retrieval against the same corpus delivered as text.

Run: .venv/bin/python benchmarks/bench_documents.py [speed] [ocr] [retrieval] [--workdir DIR] [--items N]

- speed: CCTV items set as 公文 PDFs (reportlab, STSong-Light through GBK-EUC-H, not embedded: as many 公文 are),
  read through the product's worker pool (2 workers, nothing cached): pages/s.
- pdflibs: the same PDFs read by PDFium, pypdf and pdfminer.six in one process, one core: pages/s, and characters
  that came out wrong ((cid:N), U+FFFD, private-use) against the text set in them.
- ocr: CCTV text rendered as 150-dpi A4 pages (WenQuanYi Zen Hei, 14 pt = 29 px), clean and worn (turned up to 1°,
  blurred, speckled, JPEG 60), OCR'd through the pool: seconds a page on 2 cores, and character accuracy
  1 − edit distance / length over all pages (whitespace and character width folded); tesseract 5 (chi_sim, `--psm
  6`, one thread, two at a time) on the same pages when it is installed.
- html: CCTV items in three page layouts (a government site, a news portal in GB2312 with share bars and
  recommendations, a WeChat-style article of <section>s), main text found by wenku's reader, trafilatura alone,
  readability-lxml and jusText (.venv-bench has readability): character precision and recall against the body, and
  paragraphs kept apart.
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
from indexer.settings import ExtractSettings, WriterSettings
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
        elif fmt == "pdf":  # GBK-EUC-H as 公文 are set; UniGB for the few items with characters GBK lacks
            try:
                gongwen_pdf(folder / f"{article_id}.pdf", title, paragraphs)
            except UnicodeEncodeError:
                gongwen_pdf(folder / f"{article_id}.pdf", title, paragraphs, encoding="UniGB-UCS2-H")
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


def bench_pdf_libraries(work: Path, items: list[tuple[str, str, str, list[str]]]) -> None:
    import pypdfium2
    from pdfminer.high_level import extract_text
    from pypdf import PdfReader

    folder = work / "speed"
    if not folder.exists():
        write_format(folder, "pdf", items)
    paths = sorted(folder.glob("*.pdf"))
    truth = {f"{article_id}.pdf": squeezed(title + "".join(paragraphs)) for article_id, _, title, paragraphs in items}

    def pdfium(path: Path) -> tuple[int, str]:
        document = pypdfium2.PdfDocument(str(path))
        text = "".join(page.get_textpage().get_text_range() for page in document)
        return len(document), text

    def pypdf(path: Path) -> tuple[int, str]:
        reader = PdfReader(str(path))
        return len(reader.pages), "".join(page.extract_text() for page in reader.pages)

    def pdfminer(path: Path) -> tuple[int, str]:
        return len(PdfReader(str(path)).pages), extract_text(str(path))

    for name, read in (("pypdfium2 (PDFium)", pdfium), ("pypdf", pypdf), ("pdfminer.six", pdfminer)):
        read(paths[0])  # imports and first-use set-up, not timed
        started = time.perf_counter()
        texts = {path.name: read(path) for path in paths}
        seconds = time.perf_counter() - started
        pages = sum(count for count, _ in texts.values())
        wrong = sum(len(re.findall(r"\(cid:\d+\)|[\ufffd\ue000-\uf8ff]", text)) for _, text in texts.values())
        found = 0.0
        for file, (_, text) in texts.items():
            got = set(squeezed(text))
            found += sum(1 for c in set(truth[file]) if c in got) / len(set(truth[file]))
        emit("documents", {"bench": "pdf_libraries", "library": name, "files": len(paths), "pages": pages,
                           "pages_per_s": round(pages / seconds, 1), "wrong_characters": wrong,
                           "distinct_characters_found": round(found / len(paths), 4), "cores": 1})


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


PORTAL_NAV = "".join(f'<li><a href="/{i}">{w}</a></li>' for i, w in enumerate("首页 新闻 财经 体育 视频 评论".split()))


def portal_page(title: str, paragraphs: list[str], date: str, related: list[str]) -> bytes:
    """A news portal's article page in GB2312: login bar, share bar, hot list and further reading beside it."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    links = "".join(f'<li><a href="/n/{i}.html">{t}</a></li>' for i, t in enumerate(related))
    page = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>{title}-新闻频道
</title><meta property="og:title" content="{title}">
<meta property="article:published_time" content="{date}T08:00:00+08:00">
<meta name="author" content="记者 王强"><meta property="og:site_name" content="南方网"></head>
<body><header><nav>{PORTAL_NAV}
</nav><div class="login"><a>登录</a> <a>注册</a></div></header>
<main><article><h1>{title}</h1><div class="meta"><span>{date}
</span> <span>来源：南方日报</span></div>
<div class="article-content">{body}<div class="ad">广告</div></div></article>
<aside><div class="share-bar">分享：<a>微信</a> <a>朋友圈</a> <a>微博</a></div><section class="hot"><h2>热门推荐</h2>
<ol>{links}</ol></section></aside></main>
<footer>南方网版权所有 未经授权禁止复制 <a>关于我们</a> 粤ICP备09174648号</footer>
</body></html>"""
    return page.encode("gb18030")


def wechat_page(title: str, paragraphs: list[str], date: str, related: list[str]) -> bytes:
    """A WeChat-style article: paragraphs as <section><span>, a follow prompt and reading counters after it."""
    body = "".join(f'<section><span style="font-size:16px">{p}</span></section>' for p in paragraphs)
    links = "".join(f"<li><a>{t}</a></li>" for t in related[:2])
    return f"""<html><head><meta charset="utf-8"><title>{title}</title><meta property="og:title" content="{title}">
</head><body><div id="js_content"><h2 class="rich_media_title">{title}</h2><div class="rich_media_meta_list">
<span>江门发布</span> <em>{date}</em></div>{body}</div><div class="qr">长按识别二维码关注我们</div>
<div class="reward">喜欢此内容的人还喜欢</div><ul>{links}</ul>
<div>阅读原文 阅读 10万+ 在看 赞</div></body></html>""".encode()


def bench_html(items: list[tuple[str, str, str, list[str]]]) -> None:
    import trafilatura

    from indexer.ingest.extract.web import decode_html, extract_html

    def readability(raw: bytes) -> str:
        import lxml.html
        from readability import Document

        return lxml.html.fromstring(Document(decode_html(raw)).summary()).text_content()

    def justext(raw: bytes) -> str:
        import justext as jt

        paragraphs = jt.justext(decode_html(raw), jt.get_stoplist("English"), stopwords_low=0, stopwords_high=0,
                                length_low=10, length_high=30)
        return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)

    readers = {"wenku": lambda raw: extract_html(raw).text,
               "trafilatura": lambda raw: trafilatura.extract(decode_html(raw), favor_precision=True,
                                                              include_tables=True) or "",
               "readability-lxml": readability, "justext": justext}
    layouts = {"government": lambda t, p, d, r: web_page(t, p, date=d, related=r),
               "portal (gb2312)": portal_page, "wechat": wechat_page}
    titles = [title for _, _, title, _ in items]
    for reader, read in readers.items():
        for layout, make in layouts.items():
            precision = recall = apart = 0.0
            for number, (_, date, title, paragraphs) in enumerate(items):
                day = f"{date[:4]}-{date[4:6]}-{date[6:]}"
                try:
                    got = read(make(title, paragraphs, day, titles[number + 1:number + 6]))
                except ImportError:
                    got = None
                if got is None:
                    break
                want = squeezed("".join(paragraphs))
                found = squeezed(got)
                same = sum(b.size for b in Levenshtein.opcodes(want, found).as_matching_blocks()) if found else 0
                precision += same / len(found) if found else 0.0
                recall += same / len(want)
                pieces = [squeezed(piece) for piece in re.split(r"\n\s*\n|\n", got) if piece.strip()]
                apart += sum(squeezed(p) in pieces for p in paragraphs) / len(paragraphs)
            else:
                n = len(items)
                emit("documents", {"bench": "html_main_text", "reader": reader, "layout": layout, "pages": n,
                                   "precision": round(precision / n, 3), "recall": round(recall / n, 3),
                                   "paragraphs_apart": round(apart / n, 3)})


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
        report = build_index(corpus, index, log=lambda _: None,
                             settings=WriterSettings(extract=ExtractSettings(workers=2)))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", default=["speed", "pdflibs", "ocr", "html", "retrieval"])
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
    if "pdflibs" in args.parts:
        bench_pdf_libraries(work, items[:args.speed_items])
    if "ocr" in args.parts:
        bench_ocr(work, items[200:], args.ocr_pages)  # items not among the speed run's
    if "html" in args.parts:
        bench_html(items[100:140])
    if "retrieval" in args.parts:
        bench_retrieval(work, items, args.formats.split(","))


if __name__ == "__main__":
    main()
