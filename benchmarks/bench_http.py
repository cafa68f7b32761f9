"""HTTP throughput and tail latency of GET /api/search under concurrent clients, with the production server.

Run: .venv/bin/python benchmarks/bench_http.py [--index DIR] [--mode keyword] [--connections 8] [--seconds 20]
     .venv/bin/python benchmarks/bench_http.py --mode hybrid --items 150 [--queries cold|warm]
     .venv/bin/python benchmarks/bench_http.py --mode hybrid --items 150 --e5-shaped   # sentence-transformers
Needs `wrk` (Debian package `wrk`). Serves the index with `wenku serve` (gunicorn, 2 workers x 4 threads) on
localhost and drives it with wrk. Client and server share the machine's 2 cores, so the figures are a floor.
With --items N, N CCTV news items are indexed first: with the default (bundled) model, or with --e5-shaped by a
random-weight sentence-transformers model of multilingual-e5-small's architecture (the earlier encoder's cost).
Queries: `cold` cycles through all 1,256 distinct dev-set questions (CMRC and CCTV), more than a run sends, so
query vectors never come from the server's cache; `warm` repeats 20 of them, as paging and popular questions do.
After the run, each worker's memory is read from /proc (resident, private and shared), the model loaded and every
mode having been used.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlparse

from common import ROOT, emit, write_news
from devsets import dev_sets

sys.path.insert(0, str(ROOT / "tests"))
from conftest import running_server  # noqa: E402

# Each wrk thread starts half way round the list from the other, so no query is sent twice before the list is used up.
LUA = """
local paths = {%s}
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local i = 0
function init(args)
  i = id * math.floor(#paths / 2)
end
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
    parser.add_argument("--queries", choices=("cold", "warm"), default="cold")
    parser.add_argument("--items", type=int, help="index this many CCTV news items first")
    parser.add_argument("--e5-shaped", action="store_true", help="with --items: a random-weight e5-small-shaped "
                                                                 "sentence-transformers model, not the bundled one")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="wenku-http-"))
    try:
        if args.items:
            args.index = news_index(workdir, args.items, args.e5_shaped)
        run(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def news_index(workdir: Path, items: int, e5_shaped: bool) -> Path:
    """An index of `items` CCTV news items, with the bundled model or an e5-small-shaped random one."""
    from indexer.update.build import build_index

    model = None
    if e5_shaped:
        from bench_embed import e5_small_shaped_model

        model = str(e5_small_shaped_model(workdir / "model"))
    write_news(workdir / "corpus", items)
    build_index(workdir / "corpus", workdir / "index", model, log=lambda _: None)
    return workdir / "index"


def worker_memory(port: int) -> list[dict[str, float]]:
    """Resident, private and shared MiB of each gunicorn worker serving on `port` (from /proc)."""
    master = next(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and
                  f"--port\0{port}\0" in (p / "cmdline").read_bytes().decode(errors="replace"))
    children = [int(c) for task in Path(f"/proc/{master}/task").iterdir()
                for c in (task / "children").read_text().split()]
    memory = []
    for pid in children:
        fields = dict(re.findall(r"^(\w+):\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M))
        kib = {k: int(v) for k, v in fields.items()}
        memory.append({"rss_mib": round(kib["Rss"] / 1024, 1),
                       "private_mib": round((kib["Private_Clean"] + kib["Private_Dirty"]) / 1024, 1),
                       "shared_mib": round((kib["Shared_Clean"] + kib["Shared_Dirty"]) / 1024, 1)})
    return memory


def run(args: argparse.Namespace) -> None:
    """Serve the index and drive it with wrk."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    sets = dev_sets(["cmrc", "cctv", "cctv-para"])
    questions = list(dict.fromkeys(qrel.q for qrels in sets.values() for qrel in qrels))
    timed = questions[20:] if args.queries == "cold" else questions[:20]
    paths = ", ".join(f'"/api/search?q={quote(q)}&mode={args.mode}&k=10"' for q in timed)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script, \
            running_server(args.index, workers=2, threads=4) as base:
        script.write(LUA % paths)
        script.flush()
        for q in questions[:20]:  # warm-up (these 20 are the warm set, never part of a cold run)
            for mode in ("keyword", "semantic", "hybrid"):
                served = json.loads(urllib.request.urlopen(f"{base}/api/search?q={quote(q)}&mode={mode}").read())
                if mode == args.mode and served["mode"] != args.mode:
                    sys.exit(f"the server answered in {served['mode']} mode, not {args.mode} (no model?)")
        out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                              "-s", script.name, base], capture_output=True, text=True, check=True).stdout
        memory = worker_memory(urlparse(base).port or 0)
        health = json.loads(urllib.request.urlopen(f"{base}/api/health").read())
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    emit("http_search", {"index": str(args.index), "items": args.items, "model": health["model"],
                         "passages": health["passages"], "mode": args.mode, "queries": args.queries,
                         "distinct_queries": len(timed), "requests": requests, "connections": args.connections,
                         "seconds": args.seconds, "requests_per_s": rps, "latency": latency,
                         "errors": errors.group(0) if errors else None, "workers": memory})


if __name__ == "__main__":
    main()
