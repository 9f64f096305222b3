"""Text -> Quantity: numbers with scales, units, currencies and hedges, in English and Chinese.

Claims and sources state figures in prose ("超过2亿人", "$3.50 per million tokens", "405B");
the judge can only compare them once each is one `Decimal` in one canonical unit. Every
figure is parsed from its digits straight to `Decimal` (never through float), and anything
that cannot be read with confidence is left out: `None` rather than a guess.

Canonical units (`Quantity.unit`); units compare by name only, so "users/month" never
equals "users" or "people":
  "parameters"      model size: "405B parameters", "4050亿个参数". A number with a bare "B"
                    ("8B", "405B", "450 B") is a model size when nothing else names a unit.
  "tokens"          "15 trillion tokens", "128K tokens"; a period adds "/minute", "/month"...
  "USD" "EUR" "CNY" "GBP"  money: $ US$ USD dollars 美元 | € EUR 欧元 | ¥ ￥ 元 人民币 RMB
                    (¥ is read as CNY: our sources quote yuan, not yen) | £ GBP.
  "USD/token"       a price per token: "$3.50 per million tokens" -> 0.0000035 (also
                    "/M tokens", "per 1M tokens", "/ 1K tokens", "/MTok", "元/百万tokens").
  "%"               "50%", "50 percent", "百分之五十"; "50% cheaper" keeps "%".
  "users/month" "users/week" "users/day"  monthly/weekly/daily active users, MAU, 月活, 周活.
  "users", "people" users without a period; people, 人 ("2亿人").
  None              a bare number ("2007" alone, "(2048)").

Bounds (`Quantity.bound`, with `lower`/`upper`):
  APPROXIMATE  about, around, roughly, approximately, some, ~, 约, 大约, 左右: no lower/upper,
               the judge applies its own tolerance.
  AT_LEAST     more than, over, at least, surpassed, "20B+", 超过, 逾, 突破, 以上, "2亿多":
               lower = amount.
  AT_MOST      less than, under, up to, nearly, almost, 不到, 不足, 近, 几乎: upper = amount.
               "nearly"/"almost" are AT_MOST: "almost 1 billion" says the figure is short of
               1 billion (as the curated disclosures record it), not that it may exceed it.
  RANGE        数亿, 几千万, 十几亿, "hundreds of millions", "several billion", "billions":
               2..9 (十几: 11..19) of the scale; "35-45 million", "4到5": as written.
               amount = lower.

Signs (`signs`): a minus right before the figure, its currency or 百分之 ("-40%", "−40%",
"(-$5 billion)", "同比-40%"), the words minus, negative and 负 ("负百分之四十"), and for a
percentage the words of a fall ("down 40%", "下降40%", "减少了40%"): amount -40. Negating
flips a bound ("down more than 40%" is at most -40%). No sign from a hyphen that joins
("Llama-3.1-8B", "35-45 million", "+/-5%"), a bullet ("- 40%"), 正负 or "down to 40%".

Chinese groups (`groups`): "3亿5000万", "3 亿 5000 万", "1亿2千万", "三亿5000万", "1万2000" are
one figure (350000000...) whose span covers all of it; "3亿5000" and "1万5" are not joined,
since people write them for two different figures.

Left unread on purpose: a version after a product name ("Llama 3.1", "GPT 4.0"); a number
glued to letters ("FP8", "GPT-4o", "16GB"); a number hyphen-joined to a word unless it has
a scale ("Llama-3.1-8B-Instruct" gives 8B only); clock times; every date `dates` reads
("2024-07-23", "7/23/2024", "Sept 25, 2024", "2024年9月25日", "二〇二四年"), and a year
(1800-2199) alone in running text ("released in 2007", "the 2023-2024 season"), unless a unit,
scale, currency, hedge or sign goes with it ("2000 users", "$2024 million", "over 2000") or it
is the whole text ("2007", as a table cell or an expected value gives it); a lone Chinese
digit ("一些", "三个") and a lone English "one", which are words far more often than figures.

How: `numbers` finds the numerals; around each, a chain of small readers (`readers`, `groups`,
`signs`, in the order of `_CHAIN_DIGITS`) reads outward one thing at a time; `wording` writes
a quantity back.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, localcontext
from typing import NamedTuple

from factcheck.domain import Bound, Quantity
from factcheck.normalising import units as u
from factcheck.normalising.dates import date_spans
from factcheck.normalising.groups import read_zh_groups
from factcheck.normalising.numbers import Numeral, find_numerals
from factcheck.normalising.ranges import read_range
from factcheck.normalising.readers import (
    PRECISION,
    Draft,
    Step,
    read_bound_after_number,
    read_bound_after_unit,
    read_currency_after,
    read_currency_before,
    read_hedge,
    read_model_size,
    read_money,
    read_percent,
    read_scale,
    read_unit_after,
    read_unit_before,
)
from factcheck.normalising.signs import read_sign
from factcheck.normalising.wording import describe, to_json

__all__ = ["describe", "parse_quantities", "parse_quantity", "same_unit", "to_json"]

_MAX_MAGNITUDE = 40  # a figure beyond 10**±40 is not a claim, it is noise
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|~|〜|到|至)\s*|(?i:\s+to\s+)")
_JOIN = re.compile(r"\s*(?:,|，|、|和|与|及|或|,?\s*(?i:and|or))\s*")
_SHARED_UNITS = frozenset({"parameters", "tokens", "people", "users"}) | {
    f"users/{p}" for p in ("day", "week", "month")
}

# The reader chain, in reading order: each step reads one thing next to the figure (see
# `readers`). Digits first take their scale and range; every figure then takes its unit, and
# last the hedges and units that stand before it, so that "about" can see a finished range.
_AROUND: tuple[Step, ...] = (
    read_bound_after_number,  # "20B+", "2亿多"
    read_percent,  # "50%", "百分之五十"
    read_currency_after,  # "5 dollars", "5亿元"
    read_money,  # a currency is the unit: "$3.50 per million tokens", "$20 a month"
    read_unit_after,  # "405B parameters", "5亿月活", "tokens per minute"
    read_bound_after_unit,  # "2亿人以上", "100 or more"
    read_sign,  # "-40%", "minus 40", "负百分之四十", "down 40%"
    read_hedge,  # "more than", "约", "不到"
    read_sign,  # a fall before the hedge: "down more than 40%", "下降超过40%"
    read_model_size,  # a bare "405B" is a model size
    read_unit_before,  # "月活跃用户超过5亿"
)
_CHAIN_DIGITS: tuple[Step, ...] = (
    read_currency_before,  # "$", "US$", "人民币"
    read_scale,  # "405B", "16.4亿", "£5m"; or not a quantity: "16GB", "Llama 3.1"
    read_zh_groups,  # "3亿5000万": the group below the scale is the same figure
    read_range,  # "35-45 million", "4到5"
    *_AROUND,
)
_CHAIN_WORDS: tuple[Step, ...] = (read_currency_before, read_zh_groups, *_AROUND)  # 三亿, 数亿


def _read(text: str, norm: str, num: Numeral, floor: int) -> _Found | None:
    """The quantity around one numeral, reading outward: scale, range, unit, then hedges."""
    draft = Draft.of(num, floor)
    for step in _CHAIN_DIGITS if num.arabic else _CHAIN_WORDS:
        read = step(norm, draft)
        if read is None:
            return None
        draft = read
    return _quantity(text, draft)


class _Found(NamedTuple):
    quantity: Quantity
    scaled: bool  # carries a scale or is a range: may share a unit named after the next one


def _quantity(text: str, d: Draft) -> _Found | None:
    """The finished quantity with its span into `text`; None for an absurd magnitude."""
    if any(abs(x.adjusted()) > _MAX_MAGNITUDE for x in (d.lower, d.upper) if x is not None and x):
        return None
    amount = _canonical(d.lower)
    low = amount if d.bound in (Bound.AT_LEAST, Bound.RANGE) else None
    high = amount if d.bound is Bound.AT_MOST else None
    if d.bound is Bound.RANGE:
        high = _canonical(d.upper) if d.upper is not None else None
    span = (d.start, d.end)
    q = Quantity(amount, d.unit, d.bound, low, high, span, text[d.start : d.end])
    return _Found(q, d.scaled)


def _canonical(d: Decimal) -> Decimal:
    """One form per value, without an exponent for whole numbers. Called under the context
    `parse_quantities` sets (PRECISION digits), so that normalising never rounds a figure.

    >>> _canonical(Decimal("405E+9")), _canonical(Decimal("3.500")), _canonical(Decimal("0E+3"))
    (Decimal('405000000000'), Decimal('3.5'), Decimal('0'))
    """
    if d.is_zero():
        return Decimal(0)  # "-0%" is 0: no signed zero reaches a reason or JSON
    d = d.normalize()
    return d.quantize(Decimal(1)) if int(d.as_tuple().exponent) > 0 else d


def parse_quantities(text: str) -> list[Quantity]:
    """Every quantity in `text`, in order, with spans into `text`.

    >>> [str(q.amount) for q in parse_quantities("700 亿和 80 亿个参数")]
    ['70000000000', '8000000000']
    >>> [q.unit for q in parse_quantities("700 亿和 80 亿个参数")]
    ['parameters', 'parameters']
    >>> parse_quantities("Llama 3.1 405B")[0].text
    '405B'
    """
    norm = text.translate(u.FULL_WIDTH)
    dates = date_spans(norm)
    found: list[_Found] = []
    floor = 0
    with localcontext(prec=PRECISION):
        for num in find_numerals(norm):
            if num.start < floor or (dates and _in_date(num.start, num.end, dates)):
                continue
            read = _read(text, norm, num, floor)
            if read is not None and dates and _a_year(norm, read.quantity, dates):
                floor = read.quantity.span[1]
            elif read is not None:
                found.append(read)
                floor = read.quantity.span[1]
    return [q.quantity for q in _share_units(norm, _join_ranges(text, norm, found))]


def _in_date(start: int, end: int, dates: list[tuple[int, int, bool]]) -> bool:
    """Whether [start, end) is part of a written date ("Sept 25, 2024", "2024年9月")."""
    return any(s < end and start < e for s, e, bare in dates if not bare)


_YEAR_JOINS = re.compile(r"(?i)[\s\-–—~〜到至]*|\s+to\s+")


def _a_year(norm: str, q: Quantity, dates: list[tuple[int, int, bool]]) -> bool:
    """Whether a figure is a year standing alone in running text ("released in 2007", "the
    2023-2024 season"): nothing but years in it (no unit, scale, hedge or sign) and other words
    around it. A text that is only the number ("2007", "(2048)") keeps it as a figure.

    >>> [q.text for q in parse_quantities("In 2024, 2000 users; over 2000; 2023-2024")]
    ['2000 users', 'over 2000']
    """
    start, end = q.span
    years = [(s, e) for s, e, bare in dates if bare and s < end and start < e]
    if not years or q.amount <= 0:
        return False
    residue, at = "", start
    for s, e in years:
        residue, at = residue + norm[at:s], e
    if not _YEAR_JOINS.fullmatch(residue + norm[at:end]):
        return False
    return any(ch.isalnum() for ch in norm[:start] + norm[end:])


def _join_ranges(text: str, norm: str, found: list[_Found]) -> list[_Found]:
    """Two figures in one unit joined by a dash, "to", 到 or 至 are one range when the first
    is smaller ("5%-10%", "100元-200元", "三亿-五亿"), as "5-10%" is; not when only the second
    has a scale ("$35 to $45 million": whether the first shares it is the reader's call).

    >>> [(q.lower, q.upper) for q in parse_quantities("增长5%-10%")]
    [(Decimal('5'), Decimal('10'))]
    >>> len(parse_quantities("$35 to $45 million"))
    2
    """
    out: list[_Found] = []
    for this in found:
        if (
            out
            and out[-1].scaled == this.scaled
            and _joinable(norm, out[-1].quantity, this.quantity)
        ):
            prev, q = out[-1].quantity, this.quantity
            span = (prev.span[0], q.span[1])
            joined = replace(prev, bound=Bound.RANGE, lower=prev.amount, upper=q.amount)
            joined = replace(joined, span=span, text=text[span[0] : span[1]])
            out[-1] = _Found(joined, True)
        else:
            out.append(this)
    return out


def _joinable(norm: str, first: Quantity, second: Quantity) -> bool:
    """Whether two neighbouring figures are the ends of one written range."""
    if first.bound not in (Bound.EXACT, Bound.APPROXIMATE) or second.bound is not Bound.EXACT:
        return False
    if first.unit != second.unit or first.amount >= second.amount:
        return False
    return _RANGE_GAP.fullmatch(norm, first.span[1], second.span[0]) is not None


def _share_units(norm: str, found: list[_Found]) -> list[_Found]:
    """Give "700 亿" in "700 亿和 80 亿个参数" the unit named once for both; a bare number
    does not borrow one ("10 年或 15 亿人")."""
    out = list(found)
    for i in range(len(out) - 2, -1, -1):
        this, nxt = out[i].quantity, out[i + 1].quantity
        joined = _JOIN.fullmatch(norm, this.span[1], nxt.span[0])
        if this.unit is None and out[i].scaled and nxt.unit in _SHARED_UNITS and joined:
            out[i] = _Found(replace(this, unit=nxt.unit), True)
    return out


def parse_quantity(text: str) -> Quantity | None:
    """The first quantity in `text`, or None when there is none.

    >>> parse_quantity("16.4亿").amount
    Decimal('1640000000')
    >>> parse_quantity("GPT 4.0") is None
    True
    """
    found = parse_quantities(text)
    return found[0] if found else None


def same_unit(a: Quantity, b: Quantity) -> bool:
    """Whether two quantities can be compared at all; None (a bare number) only matches None.

    >>> same_unit(parse_quantity("405B"), parse_quantity("4050亿个参数"))
    True
    >>> same_unit(parse_quantity("$5"), parse_quantity("5"))
    False
    """
    return a.unit == b.unit
