"""Article dates as sortable day keys, and the date bounds a search or listing may carry."""

from __future__ import annotations

import datetime as dt
import re

from .errors import QueryError

# 2024, 2024-05, 2024-05-31, 2024/5/31, 2024.05.31, 2024年5月31日, 2024-05-31T09:30:00 (the time is ignored).
_DATE = re.compile(r"\s*(\d{4})(?:\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?)?(?=$|[\sT年])")


def _parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) with 0 for an unknown month or day; None when the text is not a real date."""
    match = _DATE.match(text)
    if match is None:
        return None
    year, month, day = (int(part) if part else 0 for part in match.groups())
    if month and not 1 <= month <= 12:
        return None
    if day:
        try:
            dt.date(year, month, day)
        except ValueError:
            return None
    return year, month, day


def date_key(text: str | None) -> int:
    """An article date as YYYYMMDD (a year alone is YYYY0000, a month YYYYMM00); 0 when absent or unreadable.

    Partial dates sort before every full date of their year or month and pass a bound only when the bound
    covers the whole year or month they name.
    """
    parts = _parts(text) if text else None
    if parts is None:
        return 0
    year, month, day = parts
    return year * 10_000 + month * 100 + day


def iso_date(text: str | None) -> str | None:
    """A date as ISO 8601 at the precision it has (2024, 2024-05, 2024-05-31); None when it is not a real date."""
    parts = _parts(text.strip()) if text else None
    if parts is None:
        return None
    year, month, day = parts
    return f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")


def year_of(text: str | None) -> str | None:
    """The year of an article date, for the year facet."""
    key = date_key(text)
    return str(key // 10_000) if key else None


def bound(name: str, text: str | None, upper: bool) -> int | None:
    """A date_from (upper=False) or date_to (upper=True) bound as a day key: a year or month covers all of it."""
    if text is None or not text.strip():
        return None
    parts = _parts(text.strip())
    if parts is None:
        raise QueryError(f"{name}: not a date (expected 2024, 2024-05 or 2024-05-31), got {text[:40]!r}")
    year, month, day = parts
    if upper:
        return year * 10_000 + (month or 12) * 100 + (day or 99)
    return year * 10_000 + month * 100 + day
