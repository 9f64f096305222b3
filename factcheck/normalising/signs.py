"""The reader of a figure's sign: "-40%", "−40%", "minus 40%", "负40%", "down 40%".

A sign counts only right before the figure (or before its currency or 百分之): "-40%",
"(−$5 billion)", "同比-40%", "负百分之四十". A hyphen joined to a letter or digit on its left
is a join, not a sign ("Llama-3.1-8B", "35-45", "gpt-4o-2024"), and so is one after "/", "+"
or "±" ("+/-5%", "±5"), or after a figure's end ("5%-10%", "100元-200元", "三亿-五亿",
"3倍-5倍": `quantities` reads such pairs as a range); a hyphen with a space after it ("- 40%")
is a list bullet; "正负5%" is plus-or-minus. Words that say a fall ("down 40%", "down by 40%",
"下降40%", "减少了40%", "下跌", "降低") sign a percentage only: a percentage after them is a
rate of change, while "down 3 models" or "减少3个步骤" counts the things that went.

Negating flips a bound: "down more than 40%" is at most -40%, and a range turns over
("down 35-45%" is -45..-35); a minus sign signs only the end it stands before ("-3 to 5" is
-3..5, "growth of -2 to 4%" is -2..4%). A hedge before the sign bounds the signed figure as written
("over -5" is at least -5), which is why `quantities` reads the sign both before the hedge
and, for words of falling, after it.
"""

from __future__ import annotations

import re

from factcheck.domain import Bound, Quantity
from factcheck.normalising.readers import Draft

_ZH_NUMERALS = "零〇一二两三四五六七八九十百千万亿兆"  # "三亿-五亿": the end of a figure
_SIGN_REACH = 12  # characters: the longest sign word with its spaces ("negative  ", "下降了 ")
_SIGN_BEFORE = re.compile(
    rf"(?:(?<![A-Za-z0-9_/+±\-‐‑–—.~%元倍{_ZH_NUMERALS}])[-−]"
    r"|(?i:(?<![A-Za-z])(?:minus|negative)\s+)"
    r"|(?<!正)负\s*"
    r"|(?P<fall>(?i:(?<![A-Za-z])down(?:\s+by)?\s+)|(?:下降|减少|下跌|降低)了?\s*))$"
)
_FLIPPED = {Bound.AT_LEAST: Bound.AT_MOST, Bound.AT_MOST: Bound.AT_LEAST}
_FALL = re.compile(r"(?i:(?<![A-Za-z])down(?![A-Za-z]))|下降|减少|下跌|降低")


def is_fall(figure: Quantity) -> bool:
    """Whether the figure is negative because words said a fall ("down 40%", "下降超过40%"):
    then hedge words around it measure the fall ("down more than 40%" is below -40%), while
    after a minus sign they bound the signed figure ("over -5" is above -5).

    >>> from factcheck.normalising.quantities import parse_quantity
    >>> [is_fall(parse_quantity(t)) for t in ("down more than 40%", "over -5", "down to 40%")]
    [True, False, False]
    """
    return figure.amount < 0 and _FALL.search(figure.text) is not None


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
    >>> r = Draft.of(Numeral(1, 2, Decimal(3)))._replace(upper=Decimal(5), bound=Bound.RANGE)
    >>> r = read_sign("-3 to 5", r._replace(end=7))  # a range read_range made
    >>> r.lower, r.upper
    (Decimal('-3'), Decimal('5'))
    >>> read_sign("5%-10%", Draft.of(Numeral(3, 5, Decimal(10)), floor=2)).lower
    Decimal('10')
    """
    if d.negative:
        return d
    low = max(d.floor, d.start - _SIGN_REACH)
    m = _SIGN_BEFORE.search(norm, low, d.start)
    if m is None or (m["fall"] and d.unit != "%"):
        return d
    if m[0] == "-" and m.start() == d.floor > 0:
        return d  # right after the previous figure: a join ("5%-10%", "2亿人-3亿人")
    if not m["fall"] and d.bound is Bound.RANGE and d.num.bound is not Bound.RANGE:
        return d._replace(lower=-d.lower, negative=True, start=m.start())  # "-3 to 5"
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
