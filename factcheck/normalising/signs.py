"""The reader of a figure's sign: "-40%", "−40%", "minus 40%", "负40%", "down 40%".

A sign counts only right before the figure (or before its currency or 百分之): "-40%",
"(−$5 billion)", "同比-40%", "负百分之四十". A hyphen joined to a letter or digit on its left
is a join, not a sign ("Llama-3.1-8B", "35-45", "gpt-4o-2024"), and so is one after "/", "+"
or "±" ("+/-5%", "±5"); a hyphen with a space after it ("- 40%") is a list bullet; "正负5%"
is plus-or-minus. Words that say a fall ("down 40%", "down by 40%", "下降40%", "减少了40%",
"下跌", "降低") sign a percentage only: a percentage after them is a rate of change, while
"down 3 models" or "减少3个步骤" counts the things that went.

Negating flips a bound: "down more than 40%" is at most -40%, and a range turns over
("down 35-45%" is -45..-35). A hedge before the sign bounds the signed figure as written
("over -5" is at least -5), which is why `quantities` reads the sign both before the hedge
and, for words of falling, after it.
"""

from __future__ import annotations

import re

from factcheck.domain import Bound
from factcheck.normalising.readers import Draft

_SIGN_REACH = 12  # characters: the longest sign word with its spaces ("negative  ", "下降了 ")
_SIGN_BEFORE = re.compile(
    r"(?:(?<![A-Za-z0-9_/+±\-‐‑–—.~])[-−]"
    r"|(?i:(?<![A-Za-z])(?:minus|negative)\s+)"
    r"|(?<!正)负\s*"
    r"|(?P<fall>(?i:(?<![A-Za-z])down(?:\s+by)?\s+)|(?:下降|减少|下跌|降低)了?\s*))$"
)
_FLIPPED = {Bound.AT_LEAST: Bound.AT_MOST, Bound.AT_MOST: Bound.AT_LEAST}


def read_sign(norm: str, d: Draft) -> Draft:
    """A minus sign or word right before the figure makes it negative.

    >>> from decimal import Decimal
    >>> from factcheck.normalising.numbers import Numeral
    >>> d = read_sign("-40%", Draft.of(Numeral(1, 3, Decimal(40)))._replace(unit="%"))
    >>> d.lower, d.start
    (Decimal('-40'), 0)
    >>> read_sign("Llama-3", Draft.of(Numeral(6, 7, Decimal(3)))).lower
    Decimal('3')
    >>> read_sign("down 3", Draft.of(Numeral(5, 6, Decimal(3)))).lower  # a count, not a rate
    Decimal('3')
    """
    if d.negative:
        return d
    low = max(d.floor, d.start - _SIGN_REACH)
    m = _SIGN_BEFORE.search(norm, low, d.start)
    if m is None or (m["fall"] and d.unit != "%"):
        return d
    return negated(d)._replace(start=m.start())


def negated(d: Draft) -> Draft:
    """The draft with its sign turned and its bound flipped to match.

    >>> from decimal import Decimal
    >>> from factcheck.normalising.numbers import Numeral
    >>> d = Draft.of(Numeral(0, 2, Decimal(40)))._replace(bound=Bound.AT_LEAST)
    >>> negated(d).bound.value, negated(d).lower
    ('at_most', Decimal('-40'))
    >>> r = Draft.of(Numeral(0, 5, Decimal(35), upper=Decimal(45), bound=Bound.RANGE))
    >>> negated(r).lower, negated(r).upper
    (Decimal('-45'), Decimal('-35'))
    """
    if d.bound is Bound.RANGE and d.upper is not None:
        return d._replace(lower=-d.upper, upper=-d.lower, negative=True)
    return d._replace(lower=-d.lower, bound=_FLIPPED.get(d.bound, d.bound), negative=True)
