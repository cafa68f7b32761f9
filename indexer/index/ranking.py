"""A ranked list of passage numbers with their scores: what every retriever returns and fusion combines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema import RankScore


@dataclass(frozen=True)
class Ranking:
    """Passage numbers, best first, and their scores."""

    ids: np.ndarray
    scores: np.ndarray

    @classmethod
    def empty(cls) -> Ranking:
        """A ranking with nothing in it."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def pairs(self) -> list[tuple[int, float]]:
        """(passage number, score) in rank order."""
        return [(int(n), float(s)) for n, s in zip(self.ids.tolist(), self.scores.tolist())]

    def rank_of(self, numbers: list[int]) -> dict[int, RankScore]:
        """1-based rank and score of those passage numbers that are in this ranking."""
        positions = {n: i for i, n in enumerate(self.ids.tolist())}
        return {n: RankScore(rank=positions[n] + 1, score=float(self.scores[positions[n]]))
                for n in numbers if n in positions}

    def where(self, keep: np.ndarray) -> Ranking:
        """The entries where `keep` is true, in the same order."""
        return Ranking(self.ids[keep], self.scores[keep])
