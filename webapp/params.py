"""The one reading of a search's query string, shared by the page and the API."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from indexer.requests import FILTER_NAMES

SINGLE = ("q", "mode", "k", "offset", "semantic_ratio", "sort", "collapse", "date_from", "date_to")


def search_values(args: MultiDict[str, str], single: tuple[str, ...] = SINGLE) -> dict[str, object]:
    """Raw values for a request model: repeated facet parameters as lists, empty values left out."""
    values: dict[str, object] = {name: args[name] for name in single if args.get(name, "") != ""}
    for name in FILTER_NAMES:
        chosen = [v for v in args.getlist(name) if v.strip()]
        if chosen:
            values[name] = chosen
    return values
