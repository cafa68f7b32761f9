"""A passage's context: the article title, speaker and section headline, indexed with its text.

A paragraph rarely repeats who is speaking or what the article is about ("抓好以康师傅为龙头的健康食品产业" never
names 劳茂昌 or 蓬江区); with its context, a question naming the official or the issuing body still finds it.

Measured on the dev sets (benchmarks/README.md, "Passage context"): context in the keyword index helps three of four
sets; context in the embedded text helps only the news set and costs the others (it pulls every passage of one
speaker towards the same vector), so by default it is indexed, not embedded. Both stay settings.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict

from .chunk import Passage, split_windows

# Context longer than this is cut, and never more than a fifth of the model's input: it must not crowd out the text.
MAX_CONTEXT_CHARS = 96


class ContextSettings(BaseModel):
    """Where passage context is used, recorded in the manifest: a change means a rebuild."""

    model_config = ConfigDict(frozen=True)

    version: int = 1
    keyword: bool = True
    semantic: bool = False
    max_chars: int = MAX_CONTEXT_CHARS  # of the embedded context line; the keyword side always takes it whole

    @classmethod
    def for_model(cls, max_passage_chars: int | None, keyword: bool = True, semantic: bool = False) -> ContextSettings:
        """Settings whose context budget fits a model taking `max_passage_chars` (None: no model)."""
        budget = MAX_CONTEXT_CHARS if max_passage_chars is None else min(MAX_CONTEXT_CHARS, max_passage_chars // 5)
        return cls(keyword=keyword, semantic=semantic, max_chars=budget)


def passage_context(title: str, passage: Passage, max_chars: int = MAX_CONTEXT_CHARS) -> str:
    """`title role+speaker section` with repeats and empty parts left out, e.g. `开局即决战… 蓬江区委书记劳茂昌 以…`."""
    speaker = f"{passage.role or ''}{passage.speaker}" if passage.speaker else ""
    parts: list[str] = []
    for part in (title, speaker, passage.section or ""):
        part = " ".join(part.split())
        if part and all(part not in seen for seen in parts):
            parts.append(part)
    return " ".join(parts)[:max_chars]


def embedding_inputs(titles: dict[str, str], passages: Sequence[Passage], settings: ContextSettings,
                     window_chars: int) -> tuple[list[str], np.ndarray]:
    """What is embedded for the passages, and for each text the position of its passage: each passage's whole text,
    then, when it is longer than one window, its windows of whole sentences (all preceded by the context line when
    the settings say so). `window_chars` 0 embeds whole texts only."""
    texts: list[str] = []
    owners: list[int] = []
    for position, passage in enumerate(passages):
        prefix = f"{passage_context(titles[passage.article_id], passage, settings.max_chars)}\n" \
            if settings.semantic else ""
        windows = split_windows(passage.text, window_chars) if window_chars else []
        pieces = [passage.text] + ([passage.text[b:e].strip() for b, e in windows] if len(windows) > 1 else [])
        for piece in pieces:
            if piece:
                texts.append(prefix + piece)
                owners.append(position)
    return texts, np.asarray(owners, np.int32)
