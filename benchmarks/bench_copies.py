"""Syndicated copies: what finding them costs at index time and at first search, and what they catch.

Run: .venv/bin/python benchmarks/bench_copies.py [--items 3000 24102] [--scale 1000000]

For each size: CCTV paragraphs of the first N news items; MinHash signatures per passage (ms), the grouping of the
whole set (s), how many groups; then 200 of the paragraphs planted again as reprints with the edits reprints
have — an outlet's dateline in front, commas turned to 、 — and, separately, with three characters replaced
(a heavier edit), and how many of each are found as copies of their original.
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
from common import cctv_items, emit

from indexer.analysis.copies import SETTINGS, CopyGroups, signatures

PLANTED = 200


def reprint(text: str) -> str:
    return "（南方日报讯）" + text.replace("，", "、")


def retyped(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(3):
        chars[rng.randrange(len(chars))] = "新"
    return "".join(chars)


def run(items: int) -> None:
    paragraphs = [p for _, _, ps in cctv_items(items) for p in ps]
    started = time.perf_counter()
    sigs = signatures(paragraphs)
    per_passage = (time.perf_counter() - started) / len(paragraphs) * 1000
    n = len(paragraphs)
    articles = np.arange(n)
    started = time.perf_counter()
    groups = CopyGroups.find(sigs, np.ones(n, bool), np.zeros(n, np.int32), articles)
    find_s = time.perf_counter() - started
    rng = random.Random(0)
    picked = rng.sample([i for i, p in enumerate(paragraphs) if len(p) >= 40], PLANTED)
    found = {}
    for name, edit in (("reprint", reprint), ("three_characters_replaced", lambda t: retyped(t, rng))):
        planted = [edit(paragraphs[i]) for i in picked]
        all_sigs = np.concatenate([sigs, signatures(planted)])
        grouped = CopyGroups.find(all_sigs, np.ones(len(all_sigs), bool), np.zeros(len(all_sigs), np.int32),
                                  np.arange(len(all_sigs)))
        found[name] = sum(1 for k, i in enumerate(picked)
                          if grouped.group[i] >= 0 and grouped.group[i] == grouped.group[n + k])
    emit("copies", {"settings": SETTINGS, "items": items, "passages": n,
                    "signature_ms_per_passage": round(per_passage, 4), "find_groups_s": round(find_s, 3),
                    "groups": int(len(groups.indptr) - 1), "passages_in_groups": int(len(groups.members)),
                    "planted": PLANTED, "found": found})


def scaled(items: int, size: int) -> None:
    """Grouping cost at `size` passages: the real signatures tiled, each tile's values scrambled by its own
    constants so tiles are distinct texts to each other while each keeps its own copies."""
    sigs = signatures([p for _, _, ps in cctv_items(items) for p in ps])
    rng = np.random.default_rng(0)
    tiles = []
    for tile in range(-(-size // len(sigs))):
        scramble = rng.integers(0, 2**32 - 1, sigs.shape[1], dtype=np.uint32) if tile else np.zeros(sigs.shape[1],
                                                                                                     np.uint32)
        tiles.append(np.where(sigs == np.iinfo(np.uint32).max, sigs, sigs ^ scramble))
    tiled = np.concatenate(tiles)[:size]
    started = time.perf_counter()
    groups = CopyGroups.find(tiled, np.ones(size, bool), np.zeros(size, np.int32), np.arange(size))
    emit("copies", {"settings": SETTINGS, "passages": size, "tiled_from_items": items,
                    "find_groups_s": round(time.perf_counter() - started, 3),
                    "groups": int(len(groups.indptr) - 1)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, nargs="*", default=[3000, 24102])
    parser.add_argument("--scale", type=int, nargs="*", default=[1_000_000],
                        help="also time the grouping at these sizes (tiled real signatures)")
    args = parser.parse_args()
    for items in args.items:
        run(items)
    for size in args.scale:
        scaled(max(args.items), size)


if __name__ == "__main__":
    main()
