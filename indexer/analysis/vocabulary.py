"""A writer's analysis settings: the index's own while its dictionary is unchanged, else a word list made anew."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..ingest.chunk import Passage
from .analyzer import TRADITIONAL_TO_SIMPLIFIED, Analyzer, TokenizerSettings
from .dictionary import Entry, digest, load_words, merge, names, save_words


class Vocabulary:
    """The tokenizer settings and analyzer a writer indexes with.

    Kept from the index (`kept`) when the user dictionary is unchanged (`dictionary` None keeps it); otherwise new
    settings whose word list is made at the next full build (see settle).
    """

    def __init__(self, root: Path, write: Callable[[Path, bytes], None], kept: TokenizerSettings | None,
                 dictionary: Sequence[Entry] | None) -> None:
        self.root, self.write = root, write  # the index directory, and how to write a file there durably
        self.user_words = list(dictionary) if dictionary is not None else None
        if dictionary is not None:
            wanted = digest(dictionary) if dictionary else None
        else:
            wanted = kept.dictionary if kept else None
        self.tokenizer = TokenizerSettings(script=TRADITIONAL_TO_SIMPLIFIED, dictionary=wanted)
        if kept is not None and kept.words is not None and kept.model_copy(update={"words": None}) == self.tokenizer:
            self.tokenizer = kept
            self.analyzer = Analyzer(kept, load_words(root, kept.words))
        else:
            self.analyzer = Analyzer(self.tokenizer)  # replaced once the word list is made

    def settle(self, passages: Sequence[Passage]) -> None:
        """On a full build: the word list is the user's words plus the speakers and regions of these passages."""
        if self.tokenizer.words is not None:
            return
        root, write = self.root, self.write
        user = self.user_words
        if user is None:
            user = load_words(root, self.tokenizer.dictionary) if self.tokenizer.dictionary else []
        if user:
            save_words(root, user, write)  # kept for rebuilds that keep it
        entries = merge(user, names([n for p in passages for n in (p.speaker, p.region)]))
        sha = save_words(root, entries, write)
        self.tokenizer = self.tokenizer.model_copy(update={"words": sha})
        self.analyzer = Analyzer(self.tokenizer, entries)
