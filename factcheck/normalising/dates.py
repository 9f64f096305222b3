"""Text -> dates, at the precision the text gives them ("day", "month", "year"); EN and ZH.

Forms read, most specific first (a span one form takes is not read again by a later one):
  year first     "2024-07-23", "2024/07/23", "2024.07.23" (day); "2024-07" (month).
  year last      "23.07.2024": dots are day.month.year, always (the European way; the US does
                 not write dots). "23/07/2024", "7/23/2024" (also with "-"): a first number
                 over 12 makes day/month, a middle one over 12 month/day; two equal numbers
                 are the same either way. Otherwise ("3/4/2024": March 4 or 3 April) the
                 date is read to the year only, and `read_date` refuses it as ambiguous.
  month names    "June 29, 2007", "Sept. 25 2024", "25 Sept 2024", "the 4th of July, 1776"
                 (day); "Sept 2024", "September, 2024" (month). Every English month name
                 and abbreviation, with or without a dot ("Sept", "Sep.", "Jun").
  Chinese        "2024年9月25日", "二〇〇七年六月二十九日" (day), "2024年9月" (month),
                 "二〇二四年" (year); Arabic and Chinese numerals mix freely.
  bare years     1800-2199 only, so that a score of "1335" or "$1,2005" is not a year.
Not read: a day and month without a year ("Sept 25"), two-digit years ("7/23/24"), and a
day that does not exist (February 30); such text is left out rather than guessed.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from factcheck.normalising.numbers import ZH_DIGITS

__all__ = ["PRECISIONS", "FoundDate", "date_spans", "parse_dates", "read_date"]


@dataclass(frozen=True)
class FoundDate:
    """A date read from text, at the precision the text gives it ("day", "month", "year")."""

    when: date  # month and year precision use day 1 (and month 1)
    precision: str
    text: str
    ambiguous: str = ""  # why only the year was read: "3/4/2024 may be March 4 or 3 April"


PRECISIONS = ("year", "month", "day")
MONTH_NAMES = tuple(calendar.month_name)  # "", "January", ... "December"
_MONTHS = {name[:3].casefold(): number for number, name in enumerate(MONTH_NAMES) if name}
_MONTH = (
    r"(?P<name>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"(?P<year>[12]\d{3})(?!\d)"
_ZH_SMALL = r"\d{1,2}|[一二三四五六七八九十]{1,3}"  # a month or a day: "9", "09", "二十九"
_ZH_YEAR = r"(?P<year>[12]\d{3}|[〇零一二三四五六七八九]{4})"
_YEAR_FIRST = r"(?<![\d.])(?P<year>[12]\d{3})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)"
_YEAR_LAST = r"(?<![A-Za-z0-9_./-])(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)"
_DATE_FORMS = (
    (re.compile(rf"{_YEAR_FIRST}(?P<day>\d{{1,2}})(?!\d|\.\d)"), "day"),
    (re.compile(rf"{_YEAR_LAST}{_YEAR}(?!\.\d)"), "year last"),
    (re.compile(rf"{_ZH_YEAR}\s*年\s*(?P<month>{_ZH_SMALL})\s*月\s*(?P<day>{_ZH_SMALL})\s*[日号]"),
     "day"),
    (re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}", re.I), "day"),
    (re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}", re.I),
     "day"),
    (re.compile(rf"{_ZH_YEAR}\s*年\s*(?P<month>{_ZH_SMALL})\s*月"), "month"),
    (re.compile(rf"\b{_MONTH},?\s+{_YEAR}", re.I), "month"),
    (re.compile(r"(?<!\d)(?P<year>[12]\d{3})-(?P<month>\d{2})(?![\d-])"), "month"),
    (re.compile(r"(?P<year>[〇零一二三四五六七八九]{4})年"), "year"),
    # A bare year must look like one (1800-2199): "1335 ±4" on a leaderboard is not a date.
    (re.compile(r"(?<![\d.,])(?P<year>(?:1[89]|2[01])\d{2})(?!\d|[.,]\d)(?:\s*年)?"), "year"),
)  # fmt: skip


_ANY_YEAR = re.compile(r"[12]\d{3}|[〇零一二三四五六七八九]{4}")


def parse_dates(text: str) -> tuple[FoundDate, ...]:
    """Every date in `text`, in order, each at the precision it is written to.

    >>> [(d.when.isoformat(), d.precision) for d in parse_dates("released June 29, 2007")]
    [('2007-06-29', 'day')]
    >>> [d.when.isoformat() for d in parse_dates("announced Jan. 9, 2007 and 2007年6月29日")]
    ['2007-01-09', '2007-06-29']
    >>> [(d.text, d.precision) for d in parse_dates("Sept 2024; 2024-07; in 2008.")]
    [('Sept 2024', 'month'), ('2024-07', 'month'), ('2008', 'year')]
    >>> parse_dates("February 30, 2024 costs $1,2005 or 3.2007")  # no such day; not years
    ()
    """
    found: list[tuple[int, FoundDate]] = []
    for match, form in _date_matches(text):
        read = _read_year_last(match) if form == "year last" else _read_fields(match, form)
        if read is not None:
            found.append((match.start(), read))
    return tuple(found_date for _, found_date in sorted(found, key=lambda pair: pair[0]))


def date_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, bare) of every date-shaped span in `text`, for the normaliser to leave
    out of the figures; `bare` marks a year standing alone ("in 2007"), which may still be a
    figure when a unit or scale goes with it ("2000 users"). A day that does not exist
    ("February 30, 2024") is date-shaped all the same.

    >>> date_spans("As of Sept 25, 2024, 89; in 2007"), date_spans("no year: 1335 points")
    ([(6, 19, False), (28, 32, True)], [])
    """
    bare_year = _DATE_FORMS[-1][0]
    spans = [(*m.span(), m.re is bare_year and "年" not in m[0]) for m, _ in _date_matches(text)]
    return sorted(spans)


def _date_matches(text: str) -> Iterator[tuple[re.Match[str], str]]:
    """Each date form's matches, most specific form first; a span one form takes is not
    read again by a later one (an invalid date still blocks its parts being re-read)."""
    if not _ANY_YEAR.search(text):
        return  # every form has a year: most texts are done here
    taken: list[tuple[int, int]] = []
    for pattern, form in _DATE_FORMS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            yield match, form


def _read_fields(match: re.Match[str], precision: str) -> FoundDate | None:
    """A date from named fields (year, month or month name, day), None when it cannot exist.

    >>> _read_fields(re.match(_DATE_FORMS[2][0], "二〇〇七年六月二十九日"), "day").when
    datetime.date(2007, 6, 29)
    """
    groups = match.groupdict()
    year = _small_number(groups["year"])
    name = groups.get("name")
    month = _MONTHS[name[:3].casefold()] if name else _small_number(groups.get("month") or "1")
    day = _small_number(groups.get("day") or "1")
    when = _valid_date(year, month, day)
    if when is None:
        return None
    shown = match.group(0).strip()
    if precision == "year":
        return FoundDate(date(when.year, 1, 1), precision, shown)
    return FoundDate(when if precision == "day" else when.replace(day=1), precision, shown)


def _read_year_last(match: re.Match[str]) -> FoundDate | None:
    """ "23.07.2024" (dots: day.month.year), "7/23/2024" or "23/07/2024" (the number over 12
    is the day); "3/4/2024" only to the year, with why.

    >>> [_read_year_last(re.match(_DATE_FORMS[1][0], t)).when.isoformat()
    ...  for t in ("23.07.2024", "7/23/2024", "23/07/2024", "3/3/2024")]
    ['2024-07-23', '2024-07-23', '2024-07-23', '2024-03-03']
    >>> found = _read_year_last(re.match(_DATE_FORMS[1][0], "3/4/2024"))
    >>> found.precision, found.ambiguous
    ('year', '3/4/2024 may be March 4 or 3 April')
    """
    a, b, year, shown = int(match["a"]), int(match["b"]), int(match["year"]), match.group(0)
    if match["sep"] == "." or a > 12 or a == b:
        when = _valid_date(year, b, a)
    elif b > 12:
        when = _valid_date(year, a, b)
    else:
        why = f"{shown} may be {MONTH_NAMES[a]} {b} or {a} {MONTH_NAMES[b]}"
        return FoundDate(date(year, 1, 1), "year", shown, ambiguous=why)
    return FoundDate(when, "day", shown) if when is not None else None


def _small_number(written: str) -> int:
    """A year, month or day in Arabic or Chinese numerals: "09", "二〇〇七", "二十九", "十".

    >>> [_small_number(s) for s in ("09", "二〇〇七", "二十九", "十", "十二", "六", "三十")]
    [9, 2007, 29, 10, 12, 6, 30]
    """
    if written.isascii():
        return int(written)
    if "十" not in written:
        return int("".join(str(ZH_DIGITS[ch]) for ch in written))
    tens, _, ones = written.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return 0  # "十十", "二十三十": no such month or day
    return ZH_DIGITS.get(tens, 1) * 10 + ZH_DIGITS.get(ones, 0)


def _valid_date(year: int, month: int, day: int) -> date | None:
    """The date, or None when there is no such day (February 30, month 13).

    >>> _valid_date(2024, 2, 29), _valid_date(2023, 2, 29), _valid_date(2024, 13, 1)
    (datetime.date(2024, 2, 29), None, None)
    """
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def read_date(text: str) -> FoundDate:
    """The one date a declared value states ("2024年9月25日", "on Sept 25, 2024"); words
    around it are fine. ValueError, in one line, when there is none, more than one, or the
    date could be read two ways.

    >>> found = read_date("on Sept. 25, 2024")
    >>> found.when.isoformat(), found.precision
    ('2024-09-25', 'day')
    >>> read_date("3/4/2024")
    Traceback (most recent call last):
    ValueError: ambiguous: 3/4/2024 may be March 4 or 3 April
    >>> read_date("2023 or 2024")
    Traceback (most recent call last):
    ValueError: two dates in '2023 or 2024'
    """
    found = parse_dates(text)
    shown = repr(text if len(text) <= 60 else text[:57] + "...")
    if not found:
        raise ValueError(f"no date in {shown}")
    if len(found) > 1:
        raise ValueError(f"{'two' if len(found) == 2 else len(found)} dates in {shown}")
    if found[0].ambiguous:
        raise ValueError(f"ambiguous: {found[0].ambiguous}")
    return found[0]
