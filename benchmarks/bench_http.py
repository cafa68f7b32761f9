"""HTTP throughput and tail latency of GET /api/search under concurrent clients, with the production server.

Run: .venv/bin/python benchmarks/bench_http.py [--index DIR] [--mode keyword] [--connections 8] [--seconds 20]
     .venv/bin/python benchmarks/bench_http.py --mode hybrid --e5-shaped-items 150
Needs `wrk` (Debian package `wrk`). Serves the index with `wenku serve` (gunicorn, 2 workers x 4 threads) on
localhost and drives it with wrk, cycling through real CMRC questions. Client and server share the machine's
2 cores, so the figures are a floor. Hybrid and semantic need a model in the server: with --e5-shaped-items N,
N CCTV news items are indexed with a random-weight model of multilingual-e5-small's architecture (bench_embed.py),
which costs what the real one does to encode each query.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from common import ROOT, SHARED, emit, write_news

sys.path.insert(0, str(ROOT / "tests"))
from conftest import running_server  # noqa: E402

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", type=Path, default=Path("/tmp/wenku-quality/index"),
                        help="an index (default: the one bench_quality.py builds)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--mode", default="keyword")
    parser.add_argument("--e5-shaped-items", type=int, help="index this many news items with an e5-small-shaped model")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="wenku-http-"))
    try:
        if args.e5_shaped_items:
            args.index = e5_shaped_index(workdir, args.e5_shaped_items)
        run(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def e5_shaped_index(workdir: Path, items: int) -> Path:
    """An index of `items` CCTV news items embedded by a random-weight e5-small-shaped model."""
    from bench_embed import e5_small_shaped_model

    from indexer.build import build_index

    model = e5_small_shaped_model(workdir / "model")
    corpus = workdir / "corpus"
    write_news(corpus, items)
    build_index(corpus, workdir / "index", str(model), log=lambda _: None)
    return workdir / "index"


def run(args: argparse.Namespace) -> None:
    """Serve the index and drive it with wrk."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    squad = json.loads((SHARED / "cmrc2018" / "cmrc2018_trial.json").read_text(encoding="utf-8"))
    questions = [qa["question"] for e in squad["data"] for p in e["paragraphs"] for qa in p["qas"]
                 if qa["question"].strip()][:200]
    paths = ", ".join(f'"/api/search?q={quote(q)}&mode={args.mode}&k=10"' for q in questions)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script, \
            running_server(args.index, workers=2, threads=4) as base:
        script.write(LUA % paths)
        script.flush()
        for path in (f"/api/search?q={quote(q)}&mode={args.mode}" for q in questions[:20]):  # warm-up
            served = json.loads(urllib.request.urlopen(base + path).read())["mode"]
            if served != args.mode:
                sys.exit(f"the server answered in {served} mode, not {args.mode} (no model for this index?)")
        time.sleep(1)
        out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                              "-s", script.name, base], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    emit("http_search", {"index": str(args.index), "e5_shaped_items": args.e5_shaped_items, "mode": args.mode,
                         "connections": args.connections,
                         "seconds": args.seconds, "requests_per_s": rps, "latency": latency,
                         "errors": errors.group(0) if errors else None})


if __name__ == "__main__":
    main()
