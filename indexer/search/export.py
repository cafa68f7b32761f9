"""Search results taken away: CSV (for spreadsheets) and JSON Lines (for programs), for the API and the CLI."""

from __future__ import annotations

import csv
import io
import json

from ..schema import Hit, SearchResponse

FORMATS = ("csv", "jsonl")
CSV_COLUMNS = ("rank", "score", "id", "article_id", "article_title", "date", "source", "speaker", "role", "region",
               "section", "paragraph", "page", "text", "citation", "url", "format", "original_url", "copies_total")
# A cell starting with one of these is a formula to Excel and LibreOffice: exported text is quoted so it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _row(rank: int, hit: Hit) -> list[object]:
    values = hit.model_dump()
    values["rank"] = rank
    return [_cell(values[column]) for column in CSV_COLUMNS]


def to_csv(response: SearchResponse, offset: int = 0) -> str:
    """The results as CSV with a header row, UTF-8 with a byte-order mark so spreadsheets read the Chinese."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_row(offset + i + 1, hit) for i, hit in enumerate(response.results))
    return out.getvalue()


def to_jsonl(response: SearchResponse, offset: int = 0) -> str:
    """The results as JSON Lines: one result object per line, with its rank (highlight markup left out)."""
    return "".join(json.dumps({"rank": offset + i + 1, **hit.model_dump(exclude={"highlight"})}, ensure_ascii=False)
                   + "\n" for i, hit in enumerate(response.results))


def export(response: SearchResponse, fmt: str, offset: int = 0) -> str:
    """The results in one of FORMATS."""
    return to_csv(response, offset) if fmt == "csv" else to_jsonl(response, offset)
