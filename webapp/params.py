"""The one reading of a search's query string, shared by the page and the API."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

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


def unknown_parameters(args: MultiDict[str, str], known: Iterable[str]) -> list[str]:
    """A warning for each query parameter the request does not know (a typo such as spekaer= would silently widen
    the search), naming the parameter it most resembles."""
    names = sorted(set(known))
    warnings = []
    for name in dict.fromkeys(args.keys()):
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(f"unknown parameter ignored: {name[:40]}{hint}")
    return warnings
