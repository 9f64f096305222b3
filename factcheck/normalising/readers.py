"""The small readers of `quantities`: each reads one thing right next to a figure.

A reader takes the text and a `Draft` (the quantity as read so far around one numeral) and
returns the draft grown by what it read, unchanged when nothing is there, or None when what
it found shows the figure is no quantity at all ("16GB", "Llama 3.1"). `quantities` chains
them in order; each one is small enough to test on its own edge cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal, localcontext
from typing import NamedTuple

from factcheck.domain import Bound
from factcheck.normalising import units as u
from factcheck.normalising.numbers import (
    SCALE_WORDS,
    Numeral,
    alternatives,
    arabic_value,
    zh_power,
)


def any_of(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str]:
    """One pattern that matches wherever one of `patterns` does: a single quick "no" for the
    common case, before the patterns are tried one by one for which of them it is.

    >>> pattern = any_of([re.compile(r"(?i)mau"), re.compile(r"月活")])
    >>> [bool(pattern.match(text)) for text in ("mAu", "月活", "日活")]
    [True, True, False]
    """
    parts = []
    for p in patterns:
        flag = "i" if p.flags & re.IGNORECASE else ""
        parts.append(f"(?{flag}:{p.pattern.removeprefix('(?i)')})")
    return re.compile("|".join(parts))


PRECISION = 80  # digits: enough that no scale or per-token division here ever rounds
_LOOK_BACK = 40  # characters: how far before a figure its currency, hedge or unit may start

_ZH_SCALE = r"[十百千](?:万亿|万|亿)?|万亿|万|亿|兆"
_SCALE_AFTER = re.compile(
    rf"\s*(?P<word>(?i:{alternatives(SCALE_WORDS)}))s?(?![A-Za-z])"
    rf"|[ \u00a0]?(?P<abbr>{alternatives(u.SCALE_ABBREVIATIONS)})(?![A-Za-z0-9])"
    rf"|\s*(?P<zh>{_ZH_SCALE})"
)
_CURRENCY_SCALE = re.compile(r"[ \u00a0]?m(?![A-Za-z0-9])")
_GLUED_OK = re.compile(r"[xX×](?![A-Za-z])")
_PERCENT = re.compile(r"\s*(?:%|(?i:percent|per\s+cent)(?![A-Za-z]))")
_CURRENCY_AFTER = re.compile(rf"\s*(?P<c>(?i:{alternatives(u.CURRENCY_SUFFIXES)}))(?![A-Za-z])")
_CURRENCY_BEFORE = re.compile(rf"(?<![A-Za-z])(?P<c>{alternatives(u.CURRENCY_PREFIXES)})\s*$")
_PER_TOKEN = re.compile(
    r"\s*(?:(?i:per)|/|每)\s*(?:(?P<n>[0-9][0-9,]*(?:\.[0-9]+)?)\s*)?"
    r"(?:(?P<mtok>MTok)s?(?![A-Za-z])"
    r"|(?P<s>(?i:thousand|million|billion)|[kKMm]|百万|千|万|亿)?\s*"
    r"(?:(?i:input|output|prompt|completion|cached\s+input)\s+)?个?(?:(?i:tokens?)|词元)"
    r"(?![A-Za-z]))"
)
_PERIOD = rf"(?P<p>(?i:{alternatives(u.PERIODS)}))s?(?![A-Za-z])"
_PER_PERIOD = re.compile(rf"\s*(?:(?i:per|an?|each|every)\s+|/\s*){_PERIOD}")
_EN_UNITS = tuple(
    (name, re.compile(rf"(?i)\s*(?:-\s*|of\s+)?(?:{alts})(?![A-Za-z])"))
    for name, alts in u.EN_UNITS
)
_ZH_UNITS = tuple((name, re.compile(rf"\s*(?:{alts})")) for name, alts in u.ZH_UNITS_AFTER)
_UNITS_AFTER = _EN_UNITS + _ZH_UNITS  # English first, in table order
_ZH_UNITS_BEFORE = tuple(
    (name, re.compile(rf"(?:{alts}){u.ZH_VERBS_BEFORE}\s*$")) for name, alts in u.ZH_UNITS_BEFORE
)
_BOUND_BEFORE = tuple(
    (bound, re.compile(rf"(?i)(?<![A-Za-z])(?:{alts})\s*$")) for bound, alts in u.BOUND_PREFIXES
) + tuple((bound, re.compile(rf"(?:{alts})\s*$")) for bound, alts in u.ZH_BOUND_PREFIXES)
_BOUND_AFTER_NUMBER = re.compile(r"\+|多|余")
_BOUND_AFTER_UNIT = tuple(
    (bound, re.compile(rf"\s*(?:{alts})")) for bound, alts in u.ZH_BOUND_SUFFIXES
) + tuple((bound, re.compile(alts)) for bound, alts in u.EN_BOUND_SUFFIXES)
_VERSIONED = re.compile(
    rf"(?i)(?<![A-Za-z])(?:{alternatives(u.VERSIONED_NAMES)})[\s\-‐‑–]*$|[A-Za-z0-9][\-‐‑]$"
)
_ANY_UNIT_AFTER = any_of(p for _, p in _UNITS_AFTER)
_ANY_UNIT_BEFORE = any_of(p for _, p in _ZH_UNITS_BEFORE)
_ANY_BOUND_BEFORE = any_of(p for _, p in _BOUND_BEFORE)
_ANY_BOUND_AFTER_UNIT = any_of(p for _, p in _BOUND_AFTER_UNIT)
# (?i) also matches "ſ" and "K" (Kelvin); casefold() maps them back onto the table keys.
_CURRENCY_BY_FOLDED = {k.casefold(): v for k, v in u.CURRENCY_SUFFIXES.items()}


class Draft(NamedTuple):
    """A quantity as read so far around one numeral: [start, end) grows as words are read.

    A named tuple rather than a frozen dataclass for speed: a draft is remade at every step
    that reads something, and `_replace` costs a fraction of `dataclasses.replace`.
    """

    num: Numeral
    start: int
    end: int
    lower: Decimal
    upper: Decimal | None = None
    bound: Bound = Bound.EXACT
    unit: str | None = None
    currency: str | None = None  # named before or after the figure; becomes the unit
    power: int = 0  # the scale read right after the digits (already applied to lower)
    abbr: str = ""  # the scale abbreviation used: a bare "B" is a model size
    scaled: bool = False  # carries a scale or is a range: may share a unit named later
    floor: int = 0  # the end of the previous quantity: nothing before it is read again
    negative: bool = False  # a sign was read ("-40%", "down 40%"): lower is already negated

    @classmethod
    def of(cls, num: Numeral, floor: int = 0) -> Draft:
        start, end, value, _, scaled, bound, upper = num
        return cls(num, start, end, value, upper, bound, None, None, 0, "", scaled, floor)


Step = Callable[[str, Draft], "Draft | None"]  # None: not a quantity after all


def read_currency_before(norm: str, d: Draft) -> Draft:
    """A currency symbol or code right before the figure ("$", "US$ ", "人民币").

    >>> d = read_currency_before("cost US$ 5", Draft.of(Numeral(9, 10, Decimal(5))))
    >>> d.currency, d.start
    ('USD', 5)
    >>> read_currency_before("PLUS$5", Draft.of(Numeral(5, 6, Decimal(5)))).currency is None
    True
    """
    if m := _search_before(_CURRENCY_BEFORE, norm, d.start, d.floor):
        return d._replace(currency=u.CURRENCY_PREFIXES[m["c"]], start=m.start())
    return d


def read_scale(norm: str, d: Draft) -> Draft | None:
    """Digits take a scale ("405B", "3.5 million", "16.4亿", "£5m"); without one, digits glued
    to letters are an identifier ("16GB", "4o"; "10x" is fine) and digits after a product name
    a version ("Llama 3.1", "gpt-4o-2024").

    >>> read_scale("16.4亿", Draft.of(Numeral(0, 4, Decimal("16.4"), arabic=True))).lower
    Decimal('1.64E+9')
    >>> read_scale("16GB", Draft.of(Numeral(0, 2, Decimal(16), arabic=True))) is None
    True
    >>> read_scale("Llama 3", Draft.of(Numeral(6, 7, Decimal(3), arabic=True))) is None
    True
    """
    power, end, abbr = _scale_after(norm, d.end, currency=d.currency)
    if power:
        return d._replace(lower=d.lower.scaleb(power), end=end, abbr=abbr, power=power, scaled=True)
    glued = d.end < len(norm) and norm[d.end].isascii() and norm[d.end].isalpha()
    if glued and not _GLUED_OK.match(norm, d.end):
        return None
    if _search_before(_VERSIONED, norm, d.num.start, d.floor):
        return None
    return d


def read_bound_after_number(norm: str, d: Draft) -> Draft:
    """ "20B+", "2亿多", "两千余": at least the figure.

    >>> read_bound_after_number("20+", Draft.of(Numeral(0, 2, Decimal(20)))).bound.value
    'at_least'
    >>> read_bound_after_number("20 +", Draft.of(Numeral(0, 2, Decimal(20)))).bound.value
    'exact'
    """
    if m := _BOUND_AFTER_NUMBER.match(norm, d.end):
        return d._replace(bound=Bound.AT_LEAST, end=m.end())
    return d


def read_percent(norm: str, d: Draft) -> Draft:
    """ "%", "percent" or "per cent" after the figure, or 百分之 before it.

    >>> read_percent("50 per cent", Draft.of(Numeral(0, 2, Decimal(50)))).end
    11
    >>> d = read_percent("百分之五十", Draft.of(Numeral(3, 5, Decimal(50))))
    >>> d.unit, d.start
    ('%', 0)
    >>> read_percent("50 percentile", Draft.of(Numeral(0, 2, Decimal(50)))).unit is None
    True
    """
    if m := _PERCENT.match(norm, d.end):
        return d._replace(unit="%", end=m.end())
    if d.start - 3 >= d.floor and norm[d.start - 3 : d.start] == "百分之":
        return d._replace(unit="%", start=d.start - 3)
    return d


def read_currency_after(norm: str, d: Draft) -> Draft:
    """A currency word after the figure ("5 dollars", "5亿元"); one named before too must
    agree ("人民币5亿元" names it twice; "$5 euros" keeps the dollar sign's reading).

    >>> read_currency_after("5亿元", Draft.of(Numeral(0, 2, Decimal("5E8")))).currency
    'CNY'
    >>> d = Draft.of(Numeral(1, 2, Decimal(5)))
    >>> read_currency_after("$5 euros", d._replace(currency="USD")).end
    2
    """
    if d.unit is None and (m := _CURRENCY_AFTER.match(norm, d.end)):
        named = _CURRENCY_BY_FOLDED[m["c"].casefold()]
        if d.currency in (None, named):
            return d._replace(currency=named, end=m.end())
    return d


def read_money(norm: str, d: Draft) -> Draft | None:
    """A currency is the unit, per token ("$3.50 per million tokens" -> USD/token 0.0000035)
    or per period ("$20 a month" -> USD/month). Per zero tokens is no price.

    >>> d = Draft.of(Numeral(1, 4, Decimal("3.5")))
    >>> d = read_money("$3.5 per million tokens", d._replace(currency="USD"))
    >>> d.unit, d.lower
    ('USD/token', Decimal('0.0000035'))
    >>> d = Draft.of(Numeral(1, 3, Decimal(20)))._replace(currency="USD")
    >>> read_money("$20 a month", d).unit, read_money("$20 per 0 tokens", d)
    ('USD/month', None)
    """
    if d.currency is None:
        return d
    if m := _PER_TOKEN.match(norm, d.end):
        count = arabic_value(m["n"]) if m["n"] else Decimal(1)
        count = count.scaleb(_per_power(m["s"] or ("M" if m["mtok"] else "")))
        if count == 0:
            return None
        with localcontext(prec=PRECISION):
            lower = d.lower / count
            upper = d.upper / count if d.upper is not None else None
        return d._replace(unit=f"{d.currency}/token", lower=lower, upper=upper, end=m.end())
    if m := _PER_PERIOD.match(norm, d.end):
        return d._replace(unit=f"{d.currency}/{u.PERIODS[m['p'].casefold()]}", end=m.end())
    return d._replace(unit=d.currency)


def read_unit_after(norm: str, d: Draft) -> Draft:
    """A unit word after the figure, with a period when it has none ("tokens per minute").

    >>> read_unit_after("5亿月活", Draft.of(Numeral(0, 2, Decimal("5E8")))).unit
    'users/month'
    >>> d = Draft.of(Numeral(0, 10, Decimal("19E9")))
    >>> read_unit_after("19 billion tokens per minute", d).unit
    'tokens/minute'
    >>> read_unit_after("5人民", Draft.of(Numeral(0, 1, Decimal(5)))).unit is None
    True
    """
    if d.unit is not None or d.currency is not None:
        return d
    if not _ANY_UNIT_AFTER.match(norm, d.end):
        return d
    for name, pattern in _UNITS_AFTER:
        if m := pattern.match(norm, d.end):
            unit, end = name, m.end()
            if "/" not in unit and (p := _PER_PERIOD.match(norm, end)):
                unit, end = f"{unit}/{u.PERIODS[p['p'].casefold()]}", p.end()
            return d._replace(unit=unit, end=end)
    return d


def read_bound_after_unit(norm: str, d: Draft) -> Draft:
    """ "2亿人以上", "100 or more", "5 or so": a hedge after the unit.

    >>> d = Draft.of(Numeral(0, 2, Decimal("2E8")))._replace(unit="people", end=3)
    >>> read_bound_after_unit("2亿人左右", d).bound
    <Bound.APPROXIMATE: 'approximate'>
    >>> read_bound_after_unit("100 or more", Draft.of(Numeral(0, 3, Decimal(100)))).end
    11
    """
    if not _ANY_BOUND_AFTER_UNIT.match(norm, d.end):
        return d
    for bound, pattern in _BOUND_AFTER_UNIT:
        if m := pattern.match(norm, d.end):
            return d._replace(bound=bound, end=m.end())
    return d


def read_hedge(norm: str, d: Draft) -> Draft:
    """A hedge before the figure ("more than", "约", "不到"); the longest wins ("no more
    than"), and "about" leaves a written range a range.

    >>> read_hedge("no more than 5", Draft.of(Numeral(13, 14, Decimal(5)))).bound.value
    'at_most'
    >>> d = Draft.of(Numeral(6, 8, Decimal(35)))._replace(bound=Bound.RANGE)
    >>> read_hedge("about 35-45", d).bound.value, read_hedge("about 35-45", d).start
    ('range', 0)
    """
    low = max(d.floor, d.start - _LOOK_BACK)
    if not _ANY_BOUND_BEFORE.search(norm, low, d.start):
        return d
    found = [
        (m.start(), b) for b, pattern in _BOUND_BEFORE if (m := pattern.search(norm, low, d.start))
    ]
    if not found:
        return d
    start, bound = min(found)
    if d.bound is Bound.RANGE and bound is Bound.APPROXIMATE:
        return d._replace(start=start)
    return d._replace(bound=bound, start=start)


def read_model_size(norm: str, d: Draft) -> Draft:
    """A bare "B" ("405B", "8 b") is a model size when nothing else names a unit.

    >>> d = Draft.of(Numeral(0, 3, Decimal(405)))
    >>> read_model_size("405B", d._replace(abbr="B")).unit
    'parameters'
    >>> read_model_size("405M", d._replace(abbr="M")).unit is None
    True
    """
    if d.unit is None and d.abbr in ("B", "b"):
        return d._replace(unit="parameters")
    return d


def read_unit_before(norm: str, d: Draft) -> Draft:
    """Chinese names the unit first too: "月活跃用户超过5亿", "参数规模达到4050亿".

    >>> num = Numeral(6, 11, Decimal("405E9"))
    >>> d = read_unit_before("参数规模达到4050亿", Draft.of(num))
    >>> d.unit, d.start
    ('parameters', 0)
    >>> read_unit_before("参数规模达到4050亿", Draft.of(num, floor=1)).unit is None  # taken
    True
    """
    if d.unit is not None:
        return d
    low = max(d.floor, d.start - _LOOK_BACK)
    if not _ANY_UNIT_BEFORE.search(norm, low, d.start):
        return d
    for name, pattern in _ZH_UNITS_BEFORE:
        if m := pattern.search(norm, low, d.start):
            return d._replace(unit=name, start=m.start())
    return d


def _search_before(
    pattern: re.Pattern[str], norm: str, end: int, floor: int
) -> re.Match[str] | None:
    """`pattern` (anchored with $) ending at `end`, not reaching back before `floor`."""
    return pattern.search(norm, max(floor, end - _LOOK_BACK), end)


def _scale_after(norm: str, pos: int, *, currency: str | None) -> tuple[int, int, str]:
    """(power of ten, end, abbreviation used) of a scale word right after `pos`; "m" is a
    million only after a currency.

    >>> _scale_after("405B", 3, currency=None), _scale_after("3 million", 1, currency=None)
    ((9, 4, 'B'), (6, 9, ''))
    >>> _scale_after("5m", 1, currency=None), _scale_after("5m", 1, currency="GBP")
    ((0, 1, ''), (6, 2, 'm'))
    """
    m = _SCALE_AFTER.match(norm, pos)
    if m and m["word"]:
        return SCALE_WORDS[m["word"].casefold()], m.end(), ""
    if m and m["abbr"]:
        return u.SCALE_ABBREVIATIONS[m["abbr"]], m.end(), m["abbr"]
    if m and m["zh"]:
        return zh_power(None, m["zh"]), m.end(), ""
    if currency and (m := _CURRENCY_SCALE.match(norm, pos)):
        return u.CURRENCY_ONLY_ABBREVIATIONS["m"], m.end(), "m"
    return 0, pos, ""


def _per_power(scale: str) -> int:
    """Power of ten of the "million" in "per million tokens" ("1M", "百万", "K", "").

    >>> _per_power("百万"), _per_power("m"), _per_power("Thousand"), _per_power("")
    (6, 6, 3, 0)
    """
    if scale and scale[0] in u.ZH_UNITS:
        return zh_power(None, scale)
    if scale in ("k", "K", "m", "M"):
        return 3 if scale in "kK" else 6
    return SCALE_WORDS[scale.casefold()] if scale else 0
