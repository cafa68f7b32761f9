"""The query language: `speaker:王海洋 海洋牧场 "精确短语" -旅游`, read the same way by the page, the API and the CLI.

- `speaker:` `region:` `source:` (also with a full-width colon, the value quoted when it has spaces) add a filter
  value, exactly like the `speaker=` parameter;
- a quoted stretch ("…", “…”, 「…」) must appear in the passage as written (after the analyzer's folding), whatever
  words jieba cuts it into;
- `-词` (or `－词`) leaves out passages containing 词;
- the rest is the free text that ranks the passages. A query of filters only lists their passages, newest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OPERATORS = ("speaker", "region", "source")
QUOTES = {"\"": "\"", "“": "”", "「": "」", "『": "』"}
_OPERATOR = re.compile(r"(" + "|".join(OPERATORS) + r")[:：]", re.I)


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into free text, exact phrases, excluded words and filter values."""

    text: str
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    filters: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ranking_text(self) -> str:
        """What ranks the passages: the free text and the phrases' words."""
        return " ".join([self.text, *self.phrases]).strip()


def _value(query: str, at: int) -> tuple[str, int, bool]:
    """The value starting at `at`: a quoted stretch (to its closing quote) or a run without spaces; its end; quoted?"""
    close = QUOTES.get(query[at:at + 1])
    if close:
        end = query.find(close, at + 1)
        end = len(query) if end < 0 else end
        return query[at + 1:end], end + 1, True
    match = re.compile(r"[^\s" + "".join(QUOTES) + "]*").match(query, at)
    assert match is not None
    return match.group(0), match.end(), False


def parse_query(query: str) -> ParsedQuery:
    """Split a query into its parts (the free text keeps its words, spaces normalised)."""
    phrases: list[str] = []
    excluded: list[str] = []
    filters: dict[str, list[str]] = {}
    rest: list[str] = []
    at = 0
    while at < len(query):
        starts_word = at == 0 or query[at - 1].isspace()
        operator = _OPERATOR.match(query, at) if starts_word else None
        if operator:
            value, at, _ = _value(query, operator.end())
            if value.strip():
                filters.setdefault(operator.group(1).lower(), []).append(value.strip())
        elif starts_word and query[at] in "-－" and at + 1 < len(query) and not query[at + 1].isspace():
            value, at, _ = _value(query, at + 1)
            if value.strip():
                excluded.append(value.strip())
        elif query[at] in QUOTES:
            value, at, _ = _value(query, at)
            if value.strip():
                phrases.append(value.strip())
            rest.append(" ")
        else:
            rest.append(query[at])
            at += 1
    text = " ".join("".join(rest).split())
    return ParsedQuery(text, tuple(dict.fromkeys(phrases)), tuple(dict.fromkeys(excluded)), filters)
