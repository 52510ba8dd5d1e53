"""Schedule expressions shared by rules that judge how often something runs (AWS Backup plan
rules, Secrets Manager rotation schedules).

Both services take EventBridge-style expressions (Amazon EventBridge User Guide, "Schedule
expressions": ``rate(value unit)`` and six-field ``cron(minutes hours day-of-month month
day-of-week year)``; AWS Backup Developer Guide, "Cron expressions"; AWS Secrets Manager User
Guide, "Rotation schedules"). Only what the rules need is read: the longest possible interval of
a ``rate`` expression, and whether a ``cron`` expression runs every day / every month, or in
which months.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RATE = re.compile(r"^\s*rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)\s*$",
                   re.IGNORECASE)
_CRON = re.compile(r"^\s*cron\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)
_MONTHS = {name: i for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)}
_UNIT_HOURS = {"minute": 1 / 60, "hour": 1, "day": 24}


def rate_hours(expression: str) -> float | None:
    """Interval in hours of a ``rate(N unit)`` expression (``rate(7 days)`` -> 168.0), None when
    ``expression`` is not one."""
    m = _RATE.match(expression)
    if not m:
        return None
    unit = m.group(2).lower().rstrip("s")
    return int(m.group(1)) * _UNIT_HOURS[unit]


@dataclass(frozen=True)
class Cron:
    """The six fields of a ``cron(...)`` expression, as written."""

    minutes: str
    hours: str
    day_of_month: str
    month: str
    day_of_week: str
    year: str


def parse_cron(expression: str) -> Cron | None | str:
    """:class:`Cron` for a ``cron(...)`` expression; None when ``expression`` is not a cron
    expression at all; a message (str) when it is one with the wrong number of fields."""
    m = _CRON.match(expression)
    if not m:
        return None
    fields = m.group(1).split()
    if len(fields) != 6:
        return f"cron expression {expression!r} has {len(fields)} fields, not 6"
    return Cron(*fields)


_EVERY = {"*", "?", "*/1", "1/1"}


def every_day(cron: Cron) -> bool:
    """Whether the expression fires on every day of every month of every year (day-of-month
    and day-of-week ``*``/``?``, month ``*`` or ``1-12``/``JAN-DEC``, year ``*``)."""
    month = cron.month.upper()
    return (cron.day_of_month in _EVERY and cron.day_of_week in _EVERY
            and (month in _EVERY or month in ("1-12", "JAN-DEC"))
            and cron.year in ("*", "?"))


def _month_number(text: str) -> int | None:
    text = text.strip().upper()
    if text.isdigit():
        n = int(text)
        return n if 1 <= n <= 12 else None
    return _MONTHS.get(text)


def cron_months(cron: Cron) -> set[int] | None:
    """The months (1..12) the month field selects: ``*``, ``?``, numbers, ``JAN``..``DEC``,
    ranges ``a-b``, steps ``a/n`` and ``*/n``, lists; None when the field cannot be read."""
    months: set[int] = set()
    for part in cron.month.split(","):
        part = part.strip()
        step = 1
        if "/" in part:
            part, _, step_text = part.partition("/")
            if not step_text.isdigit() or int(step_text) < 1:
                return None
            step = int(step_text)
        if part in ("*", "?"):
            start, end = 1, 12
        elif "-" in part:
            a, _, b = part.partition("-")
            start, end = _month_number(a), _month_number(b)     # type: ignore[assignment]
            if start is None or end is None or end < start:
                return None
        else:
            start = _month_number(part)                         # type: ignore[assignment]
            if start is None:
                return None
            end = 12 if step > 1 else start
        months.update(range(start, end + 1, step))
    return months or None


_SIMPLE_DAYS = re.compile(r"^(\*|\?|L|LW|([1-9]|1\d|2[0-8])(W)?([-/,]([1-9]|1\d|2[0-8]))*)$")
_SIMPLE_DOW = re.compile(r"^(\*|\?|[1-7A-Za-z,\-/]+|[1-7A-Za-z]+#[1-4]|[1-7A-Za-z]*L)$")


def fires_every_selected_month(cron: Cron) -> bool:
    """Whether the day fields make the expression fire at least once in every month its month
    field selects: day-of-month ``*``/``?``/``L``/``LW`` or days 1..28 (which every month has),
    day-of-week ``*``/``?``, weekday names or numbers, ``#1``..``#4``, or ``L`` (``#5`` is
    missing from some months)."""
    return bool(_SIMPLE_DAYS.match(cron.day_of_month.upper())
                and _SIMPLE_DOW.match(cron.day_of_week)
                and cron.year in ("*", "?"))


def longest_month_gap(months: set[int]) -> int:
    """Longest gap, in months, between consecutive selected months, wrapping over the year
    (``{1, 7}`` -> 6, ``{1..12}`` -> 1, ``{3}`` -> 12)."""
    ordered = sorted(months)
    gaps = [(b - a) for a, b in zip(ordered, ordered[1:])]
    gaps.append(ordered[0] + 12 - ordered[-1])
    return max(gaps)
