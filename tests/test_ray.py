"""Embedding on a Ray cluster (a local one on this machine): same vectors, killed actors, progress, bad addresses."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import ray
from conftest import SEED, quiet

from indexer.embed.encoders import DEFAULT_MODEL, load_encoder
from indexer.embed.encoders.ray_pool import RayEncoder, connect
from indexer.search.searcher import Searcher
from indexer.settings import RaySettings, WriterSettings
from indexer.update.build import build_index

pytestmark = pytest.mark.slow  # a Ray cluster and its actor processes

WENKU = str(Path(sys.executable).with_name("wenku"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A local Ray cluster for this module (the writer would start one itself; started here to stop it after)."""
    connect(None)
    yield
    ray.shutdown()


def vectors_of(index: Path) -> tuple[list[str], np.ndarray]:
    """Passage ids and the stored vectors of a one-segment index."""
    segment = Searcher.open(index, load_model=False).view.segments[0]
    assert segment.vectors is not None
    ids = [p.id for p in segment.store.full_passages(list(range(segment.size)))]
    return ids, np.array(segment.vectors.rows())


def test_a_build_on_the_cluster_stores_the_vectors_the_in_process_build_does(
        cluster: None, corpus_dir: Path, hybrid_index: Path, tmp_path: Path) -> None:
    settings = WriterSettings(ray=RaySettings(actors=2, batch_size=16))
    report = build_index(corpus_dir, tmp_path / "index", log=quiet, settings=settings)
    assert report.embedded > 100 and report.reused_vectors == 0  # every text went through the cluster
    ids, vectors = vectors_of(tmp_path / "index")
    local_ids, local_vectors = vectors_of(hybrid_index)
    assert ids == local_ids
    np.testing.assert_array_equal(vectors, local_vectors)
    manifest = Searcher.open(tmp_path / "index", load_model=False).manifest
    assert manifest.model and manifest.model.fingerprint == Searcher.open(hybrid_index).manifest.model.fingerprint


def _actor_pids() -> list[int]:
    """Processes of the pool's actors (Ray titles each after its class)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"PassageActor" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_killed_actors_batch_is_retried_without_loss_or_duplicates(cluster: None) -> None:
    texts = [line for line in SEED.read_text(encoding="utf-8").splitlines() if len(line) > 20][:60]
    local = load_encoder(DEFAULT_MODEL)
    pool = RayEncoder(local, DEFAULT_MODEL, "cpu", RaySettings(actors=2, batch_size=4))
    blocks: list[np.ndarray] = []
    killed: list[int] = []
    for block in pool.passage_blocks(texts):
        blocks.append(block)
        if not killed:  # the pool is running: kill one of its actors mid-way
            victims = _actor_pids()
            assert victims, "no actor process found"
            os.kill(victims[0], signal.SIGKILL)
            killed.append(victims[0])
    vectors = np.concatenate(blocks)
    assert killed and len(vectors) == len(texts)
    np.testing.assert_array_equal(vectors, local.encode_passages(texts))


def test_the_command_joins_the_running_cluster_shows_progress_and_refuses_an_unreachable_one(
        cluster: None, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    # `auto` only joins (it never starts a cluster): this module's cluster is the one that embeds.
    built = subprocess.run([WENKU, "build", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--ray",
                            "auto", "--ray-actors", "2"], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    embedded = int(re.search(r"embedded (\d+) texts", built.stdout).group(1))
    totals = {int(t) for t in re.findall(r"embedding: .*?\d+/(\d+)", built.stderr)}
    assert embedded > 0 and totals == {embedded}  # a progress bar over exactly the texts sent to the cluster
    for address in ("127.0.0.1:9", "ray://127.0.0.1:9"):
        refused = subprocess.run([WENKU, "build", "--corpus", str(corpus), "--index", str(tmp_path / "other"),
                                  "--ray", address], capture_output=True, text=True, timeout=60)
        assert refused.returncode == 1
        last = refused.stderr.strip().splitlines()[-1]
        assert last == f"Error: cannot reach the Ray cluster at {address}: Connection refused", refused.stderr
        assert not (tmp_path / "other" / "CURRENT").exists()
    extra = tmp_path / "extra.txt"
    extra.write_text("补充\n\n补充一篇文章。", encoding="utf-8")
    refused = subprocess.run([WENKU, "add", str(extra), "--corpus", str(corpus), "--index", str(tmp_path / "index")],
                             capture_output=True, text=True, timeout=60,
                             env={**os.environ, "WENKU_RAY_ADDRESS": "127.0.0.1:9"})
    assert refused.returncode == 1 and "cannot reach the Ray cluster at 127.0.0.1:9" in refused.stderr
    assert Searcher.open(tmp_path / "index", load_model=False).manifest.counts.articles == 1  # nothing added
    assert not (corpus / "extra.txt").exists()  # refused before the file was stored
