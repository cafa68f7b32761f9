"""YAML front matter of text articles: bounded, without anchors or aliases, fields checked against their limits."""

from __future__ import annotations

import datetime as dt
import re

import yaml

from ..errors import ArticleError
from ..schema import MAX_FIELD_CHARS

# Front matter is a few short fields: bounded so a hostile file cannot grow the index or its responses.
MAX_FRONT_MATTER_CHARS = 8 * 1024
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: an alias bomb of a few hundred bytes expands to gigabytes."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        if getattr(self.peek_event(), "anchor", None):  # type: ignore[no-untyped-call]  # an anchor (&a) or an alias (*a)
            raise yaml.YAMLError("anchors and aliases (&name, *name) are not allowed in front matter")
        return super().compose_node(parent, index)  # type: ignore[arg-type]


def front_matter(block: str) -> dict[str, object]:
    """Parse a front-matter block into its fields; raise ArticleError for anything malformed or oversized."""
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise ArticleError(f"front matter too long ({len(block)} characters > {MAX_FRONT_MATTER_CHARS})")
    try:
        loaded = yaml.load(block, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # PyYAML builds dates itself: `date: 2022-13-45` is valid YAML that raises ValueError in datetime.
        message = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArticleError(f"malformed front matter: {message}") from exc
    if loaded is not None and not isinstance(loaded, dict):
        raise ArticleError("malformed front matter: expected key: value pairs")
    meta: dict[str, object] = loaded or {}
    for name, limit in MAX_FIELD_CHARS.items():
        value = meta.get(name)
        if value is not None and not isinstance(value, (str, int, float, dt.date)):
            raise ArticleError(f"front matter {name}: expected a single value, got a {type(value).__name__}")
        if value is not None and len(str(value)) > limit:
            raise ArticleError(f"front matter {name} too long ({len(str(value))} characters > {limit})")
    return meta


def scalar(value: object) -> str | None:
    """A front-matter value as a string (dates as ISO), or None."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip() or None
