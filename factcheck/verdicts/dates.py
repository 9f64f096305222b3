"""Dates in evidence text, and how a found date stands to a claimed one at a precision.

English month names ("June 29, 2007", "Sept 2024"), ISO ("2024-07-27", "2024-07"), Chinese
年月日, and bare years (1800-2199 only, so that a score of "1335" is not a year). A date
carries the precision the text gives it; a coarser date can agree without confirming.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class FoundDate:
    """A date read from text, at the precision the text gives it ("day", "month", "year")."""

    when: date  # month and year precision use day 1 (and month 1)
    precision: str
    text: str


PRECISIONS = ("year", "month", "day")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH = (
    r"(?P<name>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"(?P<year>[12]\d{3})(?![\d])"
# Most specific first: a span taken by an earlier form is not read again by a later one.
_DATE_FORMS = (
    (re.compile(r"(?<!\d)(?P<year>[12]\d{3})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)"), "day"),
    (re.compile(r"(?P<year>[12]\d{3})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]"),
     "day"),
    (re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}", re.I), "day"),
    (re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}", re.I),
     "day"),
    (re.compile(r"(?P<year>[12]\d{3})\s*年\s*(?P<month>\d{1,2})\s*月"), "month"),
    (re.compile(rf"\b{_MONTH},?\s+{_YEAR}", re.I), "month"),
    (re.compile(r"(?<!\d)(?P<year>[12]\d{3})-(?P<month>\d{2})(?![\d-])"), "month"),
    # A bare year must look like one (1800-2199): "1335 ±4" on a leaderboard is not a date.
    (re.compile(r"(?<![\d.,])(?P<year>(?:1[89]|2[01])\d{2})(?!\d|[.,]\d)(?:\s*年)?"), "year"),
)  # fmt: skip


def parse_dates(text: str) -> tuple[FoundDate, ...]:
    """Every date in `text`, in order: English month names, ISO, Chinese 年月日, bare years
    (1800-2199 only). A day that does not exist (February 30) is not read.

    >>> [(d.when.isoformat(), d.precision) for d in parse_dates("released June 29, 2007")]
    [('2007-06-29', 'day')]
    >>> [d.when.isoformat() for d in parse_dates("announced Jan. 9, 2007 and 2007年6月29日")]
    ['2007-01-09', '2007-06-29']
    >>> [(d.text, d.precision) for d in parse_dates("Sept 2024; 2024-07; in 2008.")]
    [('Sept 2024', 'month'), ('2024-07', 'month'), ('2008', 'year')]
    >>> parse_dates("February 30, 2024 costs $1,2005 or 3.2007")  # no such day; not years
    ()
    """
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, FoundDate]] = []
    for pattern, precision in _DATE_FORMS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))  # an invalid date still blocks its parts being re-read
            when = _make_date(match.groupdict(), precision)
            if when is not None:
                found.append((start, FoundDate(when, precision, match.group(0).strip())))
    return tuple(found_date for _, found_date in sorted(found, key=lambda pair: pair[0]))


def _make_date(groups: dict[str, str | None], precision: str) -> date | None:
    year = int(groups["year"] or 0)
    name = groups.get("name")
    month = _MONTHS[name[:3].lower()] if name else int(groups.get("month") or 1)
    day = int(groups.get("day") or 1)
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    if precision == "year":
        return date(year, 1, 1)
    return date(year, month, day)


def show_date(when: date, precision: str) -> str:
    """The date as far as `precision` goes.

    >>> show_date(date(2007, 6, 29), "month"), show_date(date(2007, 6, 29), "day")
    ('2007-06', '2007-06-29')
    """
    return when.isoformat()[: {"year": 4, "month": 7}.get(precision, 10)]


def compare_dates(found: FoundDate, expected: date, precision: str) -> str:
    """At the claimed precision: match, miss, or open when the found date is coarser than
    claimed and agrees as far as it goes ("2007" for June 29, 2007).

    >>> june_29 = date(2007, 6, 29)
    >>> [compare_dates(found, june_29, "day") for found in parse_dates("2007, 2008, 2007-06-29")]
    ['open', 'miss', 'match']
    >>> compare_dates(parse_dates("2007-06-30")[0], june_29, "month")  # finer agrees by month
    'match'
    """
    coarser = PRECISIONS.index(found.precision) < PRECISIONS.index(precision)
    at = found.precision if coarser else precision
    if show_date(found.when, at) != show_date(expected, at):
        return "miss"
    return "open" if coarser else "match"
