"""ISO dates, including partial ones (YYYY, YYYY-MM) used in the packs."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from graphflow.errors import GraphflowError

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_date(text: object, *, end: bool = False, where: str | None = None) -> dt.date:
    """Parse YYYY, YYYY-MM or YYYY-MM-DD. A partial date is the first day of the period,
    or the last day when ``end`` is true."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    s = str(text).strip()
    m = _DATE.match(s)
    if not m:
        raise GraphflowError(
            f"{s!r} is not a date", where=where, hint="use YYYY-MM-DD, e.g. 2017-03-01"
        )
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if month is None:
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        mo = int(month)
        if day is None:
            last = calendar.monthrange(year, mo)[1]
            return dt.date(year, mo, last) if end else dt.date(year, mo, 1)
        return dt.date(year, mo, int(day))
    except ValueError as exc:
        raise GraphflowError(
            f"{s!r} is not a valid date ({exc})", where=where, hint="use YYYY-MM-DD"
        ) from None


def parse_optional(text: object, *, end: bool = False, where: str | None = None) -> dt.date | None:
    """Like parse_date, but None and empty stay None."""
    if text is None or text == "":
        return None
    return parse_date(text, end=end, where=where)


def in_window(day: dt.date, start: dt.date | None, stop: dt.date | None) -> bool:
    """True if start <= day <= stop (open ends allowed)."""
    return (start is None or start <= day) and (stop is None or day <= stop)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus (or minus) whole months, clamped to the month's last day."""
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    d = day.day
    while True:
        try:
            return dt.date(y, m + 1, d)
        except ValueError:
            d -= 1
