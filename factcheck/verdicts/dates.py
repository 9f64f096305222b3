"""How a found date stands to a claimed one, at a precision.

Reading dates from text is normalising's job (`factcheck.normalising.dates`); its public
names are re-exported here, where they used to live. A coarser date can agree without
confirming.
"""

from __future__ import annotations

from datetime import date

from factcheck.normalising.dates import PRECISIONS, FoundDate, parse_dates

__all__ = ["PRECISIONS", "FoundDate", "compare_dates", "parse_dates", "show_date"]


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
