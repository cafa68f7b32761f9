"""The semantic floor: below it a passage is not a semantic match, however near it is among the rest.

Cosine similarities of one model are not comparable across queries (multilingual-e5 puts almost everything between
0.78 and 0.90, and some queries sit higher against every text), so no single cosine works as a cut-off. Instead each
query is scored against a fixed background of everyday passages (floor_texts.json, data in the package) that are
unrelated to almost any query, and a passage must beat that background by `z` standard deviations:
floor(q) = mean(q·B) + z · std(q·B).

`z` is calibrated per model when an index is built: it is the `percentile`-th percentile of the same standard score
over the calibration set's unrelated (cross-topic) question/passage pairs. The background vectors are stored with
every generation (`semantic-floor.npy`), so searching never re-embeds them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from ..errors import IndexCorrupt
from ..formats import FLOOR_FILE

# Percentile of unrelated pairs' standard scores that the floor sits at; chosen on the dev sets (benchmarks/README).
DEFAULT_PERCENTILE = 97.5
Embed = Callable[[Sequence[str]], np.ndarray]


def _topics() -> dict[str, tuple[list[str], list[str]]]:
    """The calibration texts: topic → (questions, passages), passage i answering question i."""
    data = json.loads(resources.files(__package__).joinpath("floor_texts.json").read_text(encoding="utf-8"))
    return {topic: (texts["questions"], texts["passages"]) for topic, texts in data["topics"].items()}


TOPICS = _topics()


def texts_digest() -> str:
    """Identity of the calibration texts, so a change to them recalibrates."""
    return hashlib.sha1(repr(sorted(TOPICS.items())).encode()).hexdigest()[:12]


class SemanticFloor(BaseModel):
    """What the manifest records about the floor: how it was calibrated and its threshold."""

    model_config = ConfigDict(frozen=True)

    method: Literal["background-z"] = "background-z"
    percentile: float
    z: float
    background: int
    texts: str


def _background() -> tuple[list[str], list[str], list[str]]:
    """Passages, their topics, and the topic order."""
    topics = list(TOPICS)
    passages = [p for topic in topics for p in TOPICS[topic][1]]
    labels = [topic for topic in topics for _ in TOPICS[topic][1]]
    return passages, labels, topics


def calibrate(embed_queries: Embed, embed_passages: Embed,
              percentile: float = DEFAULT_PERCENTILE) -> tuple[SemanticFloor, np.ndarray]:
    """The floor for a model, and the background vectors it is measured against.

    Each unrelated pair (question of topic t, passage of topic u ≠ t) gets its standard score against a background
    that leaves both t and u out, as a real query's background holds nothing about it.
    """
    passages, labels, topics = _background()
    background = np.asarray(embed_passages(passages), np.float32)
    topic_of = np.array(labels)
    unrelated: list[np.ndarray] = []
    for topic in topics:
        vectors = np.asarray(embed_queries(TOPICS[topic][0]), np.float64)
        for other in topics:
            if other == topic:
                continue
            rest = (topic_of != topic) & (topic_of != other)
            scores = background[rest] @ vectors.T
            judged = background[topic_of == other] @ vectors.T
            unrelated.append(((judged - scores.mean(0)) / scores.std(0)).ravel())
    z = float(np.percentile(np.concatenate(unrelated), percentile))
    floor = SemanticFloor(percentile=percentile, z=round(z, 4), background=len(passages), texts=texts_digest())
    return floor, background


class FloorScorer:
    """The calibrated floor of one index, applied per query."""

    def __init__(self, floor: SemanticFloor, background: np.ndarray) -> None:
        self.floor = floor
        self.background = background

    def threshold(self, query: np.ndarray) -> float:
        """The lowest cosine similarity that counts as a semantic match for this query vector."""
        scores = self.background @ np.asarray(query, np.float32).reshape(-1)
        return float(scores.mean() + self.floor.z * scores.std())

    def save(self, directory: Path) -> None:
        """Write the background vectors into a generation directory."""
        np.save(directory / FLOOR_FILE, self.background, allow_pickle=False)

    @classmethod
    def load(cls, directory: Path, floor: SemanticFloor, dimension: int) -> FloorScorer:
        """Read the background vectors of a generation; raise IndexCorrupt if missing or of the wrong shape."""
        try:
            background = np.load(directory / FLOOR_FILE, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"{directory}: semantic floor unreadable: {exc}") from exc
        if background.shape != (floor.background, dimension) or background.dtype != np.float32:
            raise IndexCorrupt(f"{directory}: semantic floor holds {background.shape} {background.dtype}, "
                               f"expected ({floor.background}, {dimension}) float32")
        return cls(floor, background)
