"""The named steps of the writer's commit protocol, and a test-only switch that kills the writer at one of them.

Setting WENKU_CRASH_AT to a step's name makes the process SIGKILL itself when it reaches that step, so tests can
stop a writer at every point of the protocol deterministically instead of hoping a random kill lands there.
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "WENKU_CRASH_AT"

# In the order a write reaches them; "merge-*" only when the update merges segments.
STEPS = (
    "article-stored",        # an uploaded file is durable in corpus/, nothing indexed yet
    "segment-staged",        # the new segment's files are written in a staging directory
    "segment-committed",     # ... and renamed into segments/
    "merge-staged",          # a merged segment is written in staging
    "merge-committed",       # ... and renamed into segments/
    "tombstones-written",    # deletions of the new generation are on disk
    "manifest-staged",       # the new generation's manifest (and floor) are written in staging
    "generation-committed",  # generations/N+1 is in place, CURRENT still names N
    "current-replaced",      # CURRENT names N+1: the update is published
    "generations-pruned",    # superseded generations are deleted
    "files-swept",           # segments and tombstones nothing references are deleted
)


def reached(step: str) -> None:
    """Mark a step of the protocol; die on the spot if the test switch names it."""
    assert step in STEPS, step
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
