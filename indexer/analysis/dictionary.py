"""Words jieba must keep whole: a user dictionary, plus the speakers and regions the chunker finds.

An index keeps its word list in `dictionaries/<sha256>.txt` (content-addressed, so generations that share one
share the file) and names it in the manifest's tokenizer settings; a different list means the keyword side is
analysed again (vectors come from the embedding cache: nothing is embedded again).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ..errors import IndexCorrupt, WenkuError
from ..formats import DICTIONARY_DIR
from .analyzer import fold

MAX_WORD_CHARS = 30
MAX_WORDS = 200_000
_HAS_HAN = re.compile(r"[\u3400-\u9fff]")

Entry = tuple[str, int | None]  # a word and its frequency (None: enough to keep it whole)


class DictionaryError(WenkuError):
    """A user dictionary that cannot be read."""

    code = "bad_dictionary"


def parse_dictionary(text: str, source: str = "dictionary") -> list[Entry]:
    """Entries of a dictionary file: one word per line, optionally a frequency after a space; # comments."""
    entries: dict[str, int | None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) > 3 or (len(fields) >= 2 and not fields[1].isdigit()):
            raise DictionaryError(f"{source}, line {number}: expected `word` or `word frequency`, got {line!r}")
        word = fold(fields[0])
        if len(word) > MAX_WORD_CHARS:
            raise DictionaryError(f"{source}, line {number}: a word of more than {MAX_WORD_CHARS} characters")
        entries[word] = int(fields[1]) if len(fields) >= 2 else None
    if len(entries) > MAX_WORDS:
        raise DictionaryError(f"{source}: {len(entries)} words; the limit is {MAX_WORDS}")
    return sorted(entries.items())


def read_dictionary(path: Path) -> list[Entry]:
    """A user dictionary file's entries (UTF-8)."""
    try:
        return parse_dictionary(path.read_text(encoding="utf-8-sig"), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise DictionaryError(f"cannot read dictionary {path}: {exc}") from exc


def names(found: Iterable[str | None]) -> list[Entry]:
    """Speaker and region names as entries: folded, Chinese, 2 to 8 characters."""
    kept = {fold(n) for n in found if n and 2 <= len(n) <= 8 and _HAS_HAN.search(n)}
    return [(n, None) for n in sorted(kept)]


def merge(user: Sequence[Entry], found: Sequence[Entry]) -> list[Entry]:
    """The user's entries, plus found names the user did not list."""
    listed = {word for word, _ in user}
    return sorted([*user, *(e for e in found if e[0] not in listed)])


def digest(entries: Sequence[Entry]) -> str:
    """A short content hash of a list of entries."""
    return hashlib.sha256(_serialise(entries)).hexdigest()[:16]


def _serialise(entries: Sequence[Entry]) -> bytes:
    return "".join(f"{w} {f}\n" if f is not None else f"{w}\n" for w, f in entries).encode("utf-8")


def words_file(root: Path, sha: str) -> Path:
    """Where an index keeps the word list with this hash."""
    return root / DICTIONARY_DIR / f"{sha}.txt"


def save_words(root: Path, entries: Sequence[Entry], write_durably: Callable[[Path, bytes], None]) -> str:
    """Store a word list in the index (durably, before a manifest names it); return its hash."""
    sha = digest(entries)
    path = words_file(root, sha)
    if not path.is_file():
        write_durably(path, _serialise(entries))
    return sha


def load_words(root: Path, sha: str) -> list[Entry]:
    """The index's word list with this hash; IndexCorrupt if it is missing or altered."""
    path = words_file(root, sha)
    try:
        entries = parse_dictionary(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, DictionaryError) as exc:
        raise IndexCorrupt(f"the index's word list {path} is missing or unreadable: {exc}") from exc
    if digest(entries) != sha:
        raise IndexCorrupt(f"the index's word list {path} does not match its hash")
    return entries
