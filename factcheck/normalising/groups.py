"""The reader of a Chinese figure written in groups: "3亿5000万", "3 亿 5000 万", "1亿2千万".

Chinese counts in groups of four places: 亿 (10**8) holds 万s and 万 (10**4) holds units, so
"3亿5000万" is one figure, 350,000,000, however its digits and numerals mix ("三亿5000万",
"3亿五千万"). A figure that ends on a group's scale goes on with the group right below it,
and only that: 亿 takes 万s ("3亿5000万", "1亿2千万"), 万亿 takes 亿s, and 万 takes a 千
or exactly four digits written close ("1万2千", "1万2000"). "3亿5000" and "1万5" are left as
they are: people write them for 300,005,000 and 350,000,000 both.
"""

from __future__ import annotations

import re
from decimal import Decimal

from factcheck.domain import Bound
from factcheck.normalising.numbers import read_chinese_numeral, zh_power
from factcheck.normalising.readers import Draft

_TAIL = re.compile(
    r"(?P<gap>\s*)零?(?:(?P<digits>[0-9]+)(?![0-9]|[.,][0-9])\s*(?P<scale>[十百千]?万(?!亿)|[十百千]?亿|[十百千])?"
    r"|(?P<zh>[零〇一二两三四五六七八九十百千万]+)(?!亿))"
)
_PLACES = (("万亿", 12), ("兆", 12), ("亿", 8), ("万", 4))


def read_zh_groups(norm: str, d: Draft) -> Draft:
    """The group after a figure's 亿 or 万 joins it ("3亿5000万"), or the draft unchanged.

    >>> from factcheck.normalising.numbers import Numeral
    >>> d = Draft.of(Numeral(0, 1, Decimal(3), arabic=True))._replace(lower=Decimal("3E8"), end=2)
    >>> read_zh_groups("3亿5000万", d).lower == 350_000_000, read_zh_groups("3亿5000万", d).end
    (True, 7)
    >>> read_zh_groups("3亿5000", d).end  # 300,005,000 or 350,000,000: not joined
    2
    """
    place = _place(norm, d)
    m = _TAIL.match(norm, d.end) if place else None
    if m is None:
        return d
    tail = _tail_value(m, place)
    if tail is None or not 10 ** (place - 4) <= tail < 10**place:
        return d
    return d._replace(lower=d.lower + tail, end=m.end())


def _place(norm: str, d: Draft) -> int:
    """The power of the group scale a whole figure ends on: 8 for "3亿", 4 for "3千万", else 0.

    >>> from factcheck.normalising.numbers import Numeral
    >>> d = Draft.of(Numeral(0, 1, Decimal(3), arabic=True))._replace(lower=Decimal("3E12"))
    >>> _place("3万亿", d._replace(end=3)), _place("3.5万", d._replace(lower=Decimal(35000)))
    (12, 0)
    """
    if d.bound is not Bound.EXACT:
        return 0
    for scale, place in _PLACES:
        if norm.endswith(scale, 0, d.end):
            whole = d.lower.scaleb(-place)
            return place if whole == whole.to_integral_value() else 0
    return 0


def _tail_value(m: re.Match[str], place: int) -> Decimal | None:
    """What the group after the scale is worth; four bare digits only right after 万.

    >>> [_tail_value(_TAIL.match(t), 4) for t in ("2000", " 2000", "2千", "25")]
    [Decimal('2000'), None, Decimal('2E+3'), None]
    """
    if m["zh"]:
        return read_chinese_numeral(m["zh"])
    digits, scale = m["digits"], m["scale"]
    if not scale and (m["gap"] or len(digits) != place):
        return None
    return Decimal(digits).scaleb(zh_power(scale, None))
