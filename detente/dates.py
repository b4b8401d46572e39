"""Dates and durations as detente reads them from people: one parser for every command-line
option, spec and scenario field, and API parameter.

* A **date** is a UTC day written ``YYYY-MM-DD``. Nothing else is read as a date: ``20180226``,
  ``2018-W09-1`` or ``2018-02-26T00:00`` (which Python's ``fromisoformat`` would take) are refused,
  so a typo never becomes another day.
* A **range** is ``FROM:TO``, two dates, both included, FROM <= TO.
* A **duration** in days is a number (``30``), or a number with ``d`` (days) or ``w`` (weeks):
  ``7d``, ``2w``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from detente.errors import ParameterError

DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DAYS_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([dw]?)\s*$")


def date_from_text(text: str) -> dt.date:
    """``YYYY-MM-DD`` as a date; ``ValueError`` (saying what is expected) otherwise."""
    if not DATE_RE.match(text):
        raise ValueError("expected a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"expected a date YYYY-MM-DD: {exc}") from None


def is_date_text(value: Any) -> bool:
    """Whether ``value`` is text of a real date ``YYYY-MM-DD``."""
    try:
        return isinstance(value, str) and bool(date_from_text(value))
    except ValueError:
        return False


def parse_date(value: Any, field: str) -> dt.date | None:
    """``value`` (a date, a datetime, ``YYYY-MM-DD`` text, or None/empty) as a date;
    ``ParameterError`` naming ``field`` (an option or parameter) otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return date_from_text(str(value).strip())
    except ValueError as exc:
        raise ParameterError.single(str(exc), field=field, value=value) from None


def required_date(value: Any, field: str) -> dt.date:
    """``parse_date`` of a date that must be given: None or empty is refused too."""
    day = parse_date(value, field)
    if day is None:
        raise ParameterError.single("a date is required: YYYY-MM-DD", field=field, value=value)
    return day


def parse_range(text: str, field: str) -> tuple[dt.date, dt.date]:
    """``FROM:TO`` as two dates (both included), FROM <= TO."""
    start, sep, end = str(text).partition(":")
    try:
        if not sep:
            raise ValueError
        a, b = date_from_text(start.strip()), date_from_text(end.strip())
    except ValueError:
        raise ParameterError.single("expected FROM:TO as YYYY-MM-DD:YYYY-MM-DD", field=field,
                                    value=text) from None
    if b < a:
        raise ParameterError.single("TO is before FROM", field=field, value=text)
    return a, b


def parse_days(value: Any, field: str, *, whole: bool = False) -> float:
    """A positive duration in days: a number, or ``7d`` / ``2w``. ``whole``: a whole number of
    days (a step between dates)."""
    if isinstance(value, bool):
        raise ParameterError.single("expected a number of days, e.g. 7d or 2w", field=field,
                                    value=value)
    if isinstance(value, int | float):
        days = float(value)
    else:
        match = _DAYS_RE.match(str(value))
        if not match:
            raise ParameterError.single("expected a number of days or weeks, e.g. 7d or 2w",
                                        field=field, value=value)
        days = float(match[1]) * (7 if match[2] == "w" else 1)
    if not days > 0 or math.isinf(days):  # also NaN
        raise ParameterError.single("must be a positive number of days", field=field,
                                    value=value)
    if whole and days != int(days):
        raise ParameterError.single("must be a whole number of days", field=field, value=value)
    return days
