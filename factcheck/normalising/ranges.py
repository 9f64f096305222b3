"""Ranges: a figure joined to a larger second one ("35-45 million", "4到5", "between 35 and 45
million") is one quantity with a lower and an upper end, not two figures.

A step of the reader chain (`quantities`); kept apart from `readers` as the one reader that
consumes a second numeral.
"""

from __future__ import annotations

import re

from factcheck.domain import Bound
from factcheck.normalising.numbers import ARABIC, arabic_value
from factcheck.normalising.readers import Draft, _scale_after

_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|~|〜|到|至)\s*")
_RANGE_TO = re.compile(r"(?i)\s+to\s+")
_BETWEEN = re.compile(r"(?i)(?:\bbetween|介于)\s*$")
_BETWEEN_AND = re.compile(r"(?i)\s*(?:and|和|与)\s*")
_LOOKBACK = 12  # "between" stands just before the first figure


def read_range(norm: str, d: Draft) -> Draft:
    """A second figure after a dash, "to", 到 or 至, or after "and" when "between" (介于) stands
    before the first, makes a RANGE when it is larger; a scale after the second figure alone
    applies to both ("35-45 million", "between 35 and 45 million").

    >>> from decimal import Decimal
    >>> from factcheck.normalising.numbers import Numeral
    >>> d = read_range("35-45 million", Draft.of(Numeral(0, 2, Decimal(35), arabic=True)))
    >>> d.bound.value, d.lower, d.upper, d.end
    ('range', Decimal('3.5E+7'), Decimal('4.5E+7'), 13)
    >>> text = "between 35 and 45 million"
    >>> read_range(text, Draft.of(Numeral(8, 10, Decimal(35), arabic=True))).upper
    Decimal('4.5E+7')
    >>> read_range("2024-2023", Draft.of(Numeral(0, 4, Decimal(2024), arabic=True))).bound.value
    'exact'
    """
    join = _RANGE_JOIN.match(norm, d.end) or (None if d.power else _RANGE_TO.match(norm, d.end))
    if join is None and _BETWEEN.search(norm, max(0, d.start - _LOOKBACK), d.start):
        join = _BETWEEN_AND.match(norm, d.end)
    second = join and ARABIC.match(norm, join.end())
    if not (join and second):
        return d
    power, end, abbr = _scale_after(norm, second.end(), currency=d.currency)
    high = arabic_value(second[0]).scaleb(power)
    low = d.lower if d.power else d.lower.scaleb(power)
    if not ((power or not d.power) and low < high):
        return d
    abbr = abbr or d.abbr
    return d._replace(lower=low, upper=high, bound=Bound.RANGE, end=end, abbr=abbr, scaled=True)
