"""The one jieba analysis chain used for indexing, querying and highlighting."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jieba
import opencc
from pydantic import BaseModel, ConfigDict

# Function words and query-syntax words that carry no topic; kept small so recall stays high.
STOPWORDS = frozenset(
    "的 了 和 与 及 或 是 在 将 把 被 对 为 以 于 从 向 等 之 其 这 那 也 都 而 并 就 还 又 及其 以及 "
    "一个 我们 你们 他们 她们 它们 一些 这个 那个 这些 那些 "
    "a an and or not the of to in on for is are was be by with as at from".split()
)
_HAS_WORD = re.compile(r"\w")
_JIEBA_BLOCK = jieba.re_han_default
_init_lock = threading.Lock()
_initialised = False


class TokenizerSettings(BaseModel):
    """How text becomes terms, recorded in the manifest: a change means a rebuild."""

    model_config = ConfigDict(frozen=True)

    name: str = "jieba"
    version: str = jieba.__version__
    mode: str = "search"
    hmm: bool = False
    normalize: str = "NFKC+lower"
    stopwords_sha1: str = hashlib.sha1(" ".join(sorted(STOPWORDS)).encode()).hexdigest()[:12]
    # Traditional characters folded to simplified (OpenCC t2s); None in indexes made before it, which keep
    # their analysis until rebuilt (a writer with the new default sees different settings and rebuilds).
    script: str | None = None
    # Hash of the user dictionary's entries (None: none), and of the word list analysis uses: the user's words
    # plus the speakers and regions found at the last full build (indexer.dictionary); None before word lists.
    dictionary: str | None = None
    words: str | None = None


TRADITIONAL_TO_SIMPLIFIED = f"opencc-t2s-{opencc.__version__}"


@dataclass(frozen=True)
class Token:
    """A term and its [start, end) span in the original text."""

    term: str
    start: int
    end: int


def _cache_dir() -> Path:
    """A writable directory for jieba's dictionary cache (it crashes without one)."""
    candidates = [os.environ.get("WENKU_CACHE"), os.environ.get("XDG_CACHE_HOME") and
                  os.path.join(os.environ["XDG_CACHE_HOME"], "wenku"),
                  os.path.expanduser("~/.cache/wenku"), os.path.join(tempfile.gettempdir(), "wenku"), os.getcwd()]
    for candidate in filter(None, candidates):
        path = Path(candidate)
        try:
            path.mkdir(parents=True, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            continue
    raise OSError("no writable cache directory for jieba; set WENKU_CACHE")


def _ensure_jieba() -> None:
    """Initialise jieba once per process with a writable cache and quiet logging."""
    global _initialised
    if _initialised:
        return
    with _init_lock:
        if not _initialised:
            jieba.setLogLevel(logging.WARNING)
            jieba.dt.tmp_dir = str(_cache_dir())
            jieba.initialize()
            _initialised = True


def _fold_table() -> dict[int, str]:
    """str.translate table of every BMP (and CJK compatibility) character that NFKC + lowercasing changes.

    Built once at import (about 65k look-ups); folding is then one C-speed translate instead of a Python loop.
    """
    table: dict[int, str] = {}
    for code in list(range(0x10000)) + list(range(0x2F800, 0x2FA20)):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        piece = unicodedata.normalize("NFKC", char).lower()
        if piece != char and piece:
            table[code] = piece
    return table


_FOLD_TABLE = _fold_table()


_converters = threading.local()


def to_simplified(text: str) -> str:
    """Traditional characters as simplified (OpenCC t2s), character for character so spans keep their places.

    OpenCC converts by phrase; in the rare case a phrase changes length, that text is converted one character
    at a time instead, so every position still maps to the original.
    """
    converter = getattr(_converters, "t2s", None)
    if converter is None:
        converter = _converters.t2s = opencc.OpenCC("t2s")
    converted = converter.convert(text)
    if len(converted) == len(text):
        return str(converted)
    return "".join(c if len(c) == 1 else char for char, c in ((ch, converter.convert(ch)) for ch in text))


def fold(text: str) -> str:
    """Text NFKC-folded, lowercased and simplified character by character, as the analyzer sees it."""
    return to_simplified(text.translate(_FOLD_TABLE))


def _normalise(text: str, simplify: bool) -> tuple[str, list[int]]:
    """Fold text, with a map from folded index to original index."""
    folded = text.translate(_FOLD_TABLE)
    if len(folded) == len(text):  # nothing expanded (nothing folds to nothing): positions line up
        origin = list(range(len(text)))
    else:
        origin = [index for index, char in enumerate(text) for _ in _FOLD_TABLE.get(ord(char), char)]
    return (to_simplified(folded) if simplify else folded), origin


_tokenizers: dict[str, jieba.Tokenizer] = {}


def _tokenizer_with(key: str, words: Sequence[tuple[str, int | None]]) -> jieba.Tokenizer:
    """jieba's default dictionary plus these words, in a tokenizer of its own (cached per word list).

    A separate instance, so two indexes with different words in one process never see each other's; it starts
    from a copy of the default dictionary rather than loading it again.
    """
    with _init_lock:
        found = _tokenizers.get(key)
        if found is None:
            found = jieba.Tokenizer()
            found.tmp_dir = jieba.dt.tmp_dir
            found.FREQ, found.total, found.initialized = dict(jieba.dt.FREQ), jieba.dt.total, True
            for word, freq in words:
                found.add_word(word, freq)
            _tokenizers[key] = found
        return found


class Analyzer:
    """jieba search-mode tokenisation over NFKC-folded, lowercased, simplified text, minus stopwords."""

    def __init__(self, settings: TokenizerSettings | None = None,
                 words: Sequence[tuple[str, int | None]] | None = None) -> None:
        self.settings = settings or TokenizerSettings(script=TRADITIONAL_TO_SIMPLIFIED)
        self.simplify = self.settings.script is not None
        _ensure_jieba()
        self.jieba = _tokenizer_with(self.settings.words or "", words) if words else jieba.dt

    def tokens(self, text: str) -> list[Token]:
        """Terms with their spans in the original text (search mode: overlapping sub-words included)."""
        folded, origin = _normalise(text, self.simplify)
        result: list[Token] = []
        for term, start, end in self.jieba.tokenize(folded, mode="search", HMM=self.settings.hmm):
            term = term.strip()
            if term and _HAS_WORD.search(term) and term not in STOPWORDS:
                result.append(Token(term, origin[start], origin[end - 1] + 1))
        return result

    def terms(self, text: str) -> list[str]:
        """Just the terms, in order, with repeats (for term frequencies)."""
        return [token.term for token in self.tokens(text)]

    def match_spans(self, text: str, terms: set[str]) -> list[tuple[int, int]]:
        """Merged [start, end) spans of text whose analysed terms are in `terms`.

        jieba segments each run of word characters (its `re_han_default` blocks) on its own, so analysing only
        the runs that contain a query term as a substring yields exactly the tokens a full analysis would there.
        Outside those runs jieba emits single characters, which match only single-character terms.
        """
        if not terms:
            return []
        folded, origin = _normalise(text, self.simplify)
        spans: list[tuple[int, int]] = []
        position = 0
        for block in _JIEBA_BLOCK.finditer(folded):
            spans.extend((origin[i], origin[i] + 1) for i in range(position, block.start()) if folded[i] in terms)
            position = block.end()
            piece = block.group()
            if not any(term in piece for term in terms):
                continue
            for term, start, end in self.jieba.tokenize(piece, mode="search", HMM=self.settings.hmm):
                if term.strip() in terms:
                    spans.append((origin[block.start() + start], origin[block.start() + end - 1] + 1))
        spans.extend((origin[i], origin[i] + 1) for i in range(position, len(folded)) if folded[i] in terms)
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged
