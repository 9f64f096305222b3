"""Units as a registry: every way a claim names a unit, its canonical unit and dimension.

A declared unit ("USD/M tokens", "B parameters", "月活") and a figure read from a source
("$3.50 per million tokens" -> USD/token) must meet in one canonical unit, or be told apart
with a reason. Each canonical unit is its own dimension; an alias differs from it by a
power-of-ten `factor` only (value_in_canonical = value * factor). What never converts:
  users/week, users/month, users/day   active users are not additive over time
  tokens/minute, tokens/day, ...       a per-minute limit is not a per-day one
  USD, EUR, CNY, GBP                   no exchange rates (they move; a claim is dated)
  users, people, organisations, ...    count nouns count different things

Why a hand-written table, not pint (benchmarks/units_eval.py, over units_golden.tsv):
`import pint` takes 0.27-0.38 s, the whole CLI start-up budget, against 0.06 s for this
module; with a project unit file (our units as base dimensions, Decimal magnitudes) pint read
38 of the 125 golden units, this table all 125, and converted 3x slower on the 38. pint parses
"USD/M tokens" as USD/(M * tokens) and reads no "$/1K tokens", "B parameters", "RMB", "十亿参数"
or "月活", so a parser of scale words and aliases is needed in front of it anyway; behind that
parser every conversion is one Decimal multiplication by a power of ten, and pint's algebra
(compound units, offsets, non-decimal factors) would go unused. Its one refusal we need
(users/week is not users/month) is the `dimension` comparison here.

Grammar (case-insensitive, full-width forms allowed):
  unit        = numerator [("/" | "per" | "每") denominator]
  numerator   = [scale] [measure word: 个 名 位 家 ...] noun     "B parameters", "亿个参数"
  denominator = period | [number] [scale] token                   "1M tokens", "MTok", "month"
A currency takes a per-token or a per-period denominator; tokens, users, people and downloads
take a period; MAU/月活 already carry theirs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, localcontext

CURRENCIES = ("USD", "EUR", "CNY", "GBP")
PERIODS = ("second", "minute", "hour", "day", "week", "month", "year")
COUNT_NOUNS = (
    "parameters",
    "tokens",
    "users",
    "people",
    "organisations",
    "downloads",
    "creators",
    "developers",
    "companies",
    "customers",
    "models",
    "languages",
    "countries",
    "GPUs",
    "points",
    "stars",
)
_PER_PERIOD = ("tokens", "users", "people", "downloads", *CURRENCIES)
_PRECISION = 80  # digits: a factor times a figure never rounds

# Noun aliases, lower case -> canonical. Several already carry their period (MAU, 月活).
_NOUNS: dict[str, str] = {
    **{c.casefold(): c for c in (*COUNT_NOUNS, *CURRENCIES)},
    **dict.fromkeys(("parameter", "params", "param", "参数", "参数量"), "parameters"),
    **dict.fromkeys(("token", "tok", "词元"), "tokens"),
    **dict.fromkeys(("user", "用户"), "users"),
    **dict.fromkeys(("persons", "person", "individuals", "人"), "people"),
    **dict.fromkeys(("organizations", "organisation", "organization", "orgs"), "organisations"),
    **dict.fromkeys(("组织", "机构"), "organisations"),
    **dict.fromkeys(("download", "下载", "下载量"), "downloads"),
    **dict.fromkeys(("creator", "创作者"), "creators"),
    **dict.fromkeys(("developer", "devs", "开发者"), "developers"),
    **dict.fromkeys(("company", "公司", "企业"), "companies"),
    **dict.fromkeys(("customer", "客户"), "customers"),
    **dict.fromkeys(("model", "模型"), "models"),
    **dict.fromkeys(("language", "语言"), "languages"),
    **dict.fromkeys(("country", "国家"), "countries"),
    **dict.fromkeys(("gpu", "显卡"), "GPUs"),
    **dict.fromkeys(("point", "pts", "分"), "points"),
    **dict.fromkeys(("star", "github stars", "星"), "stars"),
    **dict.fromkeys(("percent", "per cent", "pct", "percentage", "百分比", "％"), "%"),
    "%": "%",
    **dict.fromkeys(("$", "us$", "dollar", "dollars", "us dollars", "美元", "美金"), "USD"),
    **dict.fromkeys(("€", "euro", "euros", "欧元"), "EUR"),
    **dict.fromkeys(("¥", "￥", "rmb", "yuan", "元", "人民币"), "CNY"),
    **dict.fromkeys(("£", "pound sterling", "英镑"), "GBP"),
}
_ACTIVE: dict[str, tuple[str, ...]] = {
    "month": ("mau", "月活", "月活跃用户", "月活用户", "月度活跃用户"),
    "week": ("wau", "周活", "周活跃用户", "周活用户"),
    "day": ("dau", "日活", "日活跃用户", "日活用户"),
}
for _period, _words in _ACTIVE.items():
    _adjective = {"month": "monthly", "week": "weekly", "day": "daily"}[_period]
    _NOUNS |= dict.fromkeys(_words, f"users/{_period}")
    _NOUNS |= {f"{w}s": f"users/{_period}" for w in _words if w.isascii()}
    _NOUNS |= dict.fromkeys(
        (f"{_adjective} active users", f"{_adjective} users"), f"users/{_period}"
    )

_PERIOD_WORDS: dict[str, str] = {
    **{p: p for p in PERIODS},
    **{"sec": "second", "min": "minute", "hr": "hour", "yr": "year", "mo": "month"},
    **{"秒": "second", "分钟": "minute", "小时": "hour", "天": "day", "日": "day"},
    **{"周": "week", "星期": "week", "月": "month", "年": "year"},
}
_PERIOD_ADJECTIVES = {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"}
_PERIOD_ADJECTIVES |= {"yearly": "year", "annual": "year"}

# Scale words -> power of ten. "m" is a million here: no claim counts in thousandths.
_SCALES: dict[str, int] = {
    **dict.fromkeys(("k", "thousand", "千"), 3),
    "万": 4,
    **dict.fromkeys(("m", "mm", "mn", "million", "百万"), 6),
    "千万": 7,
    "亿": 8,
    **dict.fromkeys(("b", "bn", "billion", "十亿"), 9),
    "百亿": 10,
    "千亿": 11,
    **dict.fromkeys(("t", "tn", "trillion", "万亿"), 12),
}
_SCALE = "|".join(sorted(map(re.escape, _SCALES), key=len, reverse=True))
_SCALED = re.compile(rf"(?P<scale>{_SCALE})\s*(?P<rest>.+)")
_MEASURE_WORD = re.compile(r"[个名位家次种块张颗款]")
_SPLIT = re.compile(r"\s*(?:/|\bper\b|每)\s*")
_NUMBER = re.compile(r"(?P<n>[0-9][0-9,]*(?:\.[0-9]+)?)\s*(?P<rest>.*)")
_FULL_WIDTH = str.maketrans({"／": "/", "％": "%", "＄": "$", "　": " "})

# Spellings offered when a unit is unknown (difflib picks the nearest).
_SUGGESTED = (
    "USD/token",
    "USD/K tokens",
    "USD/M tokens",
    "$/M tokens",
    "USD per million tokens",
    "CNY/M tokens",
    "元/百万tokens",
    "B parameters",
    "billion parameters",
    "亿参数",
    "K tokens",
    "M tokens",
    "B tokens",
    "T tokens",
    "tokens/minute",
    "monthly active users",
    "weekly active users",
    "daily active users",
    "MAU",
    "WAU",
    "DAU",
    "percent",
)


class UnknownUnit(ValueError):
    """A unit the registry does not know; the message names the nearest known ones."""


@dataclass(frozen=True)
class Unit:
    """A unit as written, read: value_in_canonical = value * factor."""

    text: str
    canonical: str
    dimension: str
    factor: Decimal


def _build_known() -> dict[str, str]:
    """Every canonical unit -> its dimension, in the order `known_units` lists them."""
    known = {noun: f"count of {noun}" for noun in COUNT_NOUNS}
    known |= {c: f"money in {c}" for c in CURRENCIES}
    known |= {f"{c}/token": f"price in {c} per token" for c in CURRENCIES}
    known["%"] = "percentage"
    for base in _PER_PERIOD:
        what = f"money in {base}" if base in CURRENCIES else base
        known |= {f"{base}/{p}": f"{what} per {p}" for p in PERIODS}
    return known


_KNOWN = _build_known()


def known_units() -> tuple[str, ...]:
    """The canonical unit names, for documentation and help.

    >>> {"USD/token", "users/month", "parameters", "%"} <= set(known_units())
    True
    """
    return tuple(_KNOWN)


def _noun(text: str) -> tuple[str, int] | None:
    """A noun with an optional scale and measure word before it: ("parameters", 9).

    >>> _noun("b parameters"), _noun("亿个参数"), _noun("mau"), _noun("mtok")
    (('parameters', 9), ('parameters', 8), ('users/month', 0), ('tokens', 6))
    """
    if _MEASURE_WORD.match(text) and text[1:] in _NOUNS:
        text = text[1:]
    if text in _NOUNS:
        return _NOUNS[text], 0
    if (m := _SCALED.fullmatch(text)) and (rest := _noun(m["rest"])) and rest[1] == 0:
        return (rest[0], _SCALES[m["scale"]]) if rest[0] != "%" else None
    for adjective, period in _PERIOD_ADJECTIVES.items():
        rest_text = text.removeprefix(f"{adjective} ")
        if rest_text != text and (rest := _noun(rest_text)) and "/" not in rest[0]:
            return f"{rest[0]}/{period}", rest[1]
    return None


def _denominator(text: str) -> tuple[str, Decimal] | None:
    """What a unit is per, and how many of it: ("token", 1000000) for "1m tokens".

    >>> _denominator("month"), _denominator("1,000 tokens"), _denominator("百万tokens")
    (('month', Decimal('1')), ('token', Decimal('1000')), ('token', Decimal('1000000')))
    """
    if text in _PERIOD_WORDS:
        return _PERIOD_WORDS[text], Decimal(1)
    count = Decimal(1)
    if m := _NUMBER.fullmatch(text):
        count, text = Decimal(m["n"].replace(",", "")), m["rest"]
    noun = _noun(text)
    if noun is None or noun[0] != "tokens" or count <= 0:
        return None
    return "token", _plain(count.scaleb(noun[1]))


def _clean(text: str) -> str:
    return " ".join(text.translate(_FULL_WIDTH).split()).casefold()


def _read(clean: str) -> tuple[str, Decimal] | None:
    """(canonical, factor) for a cleaned unit text, or None when it is not a known unit."""
    whole = _noun(clean)
    if whole is not None:
        return whole[0], _plain(Decimal(1).scaleb(whole[1]))
    parts = _SPLIT.split(clean, maxsplit=1)
    if len(parts) != 2 or (top := _noun(parts[0])) is None:
        return None
    if (per := _denominator(parts[1])) is None or "/" in top[0]:
        return None
    canonical = f"{top[0]}/{per[0]}"
    if canonical not in _KNOWN:
        return None
    with localcontext(prec=_PRECISION):
        return canonical, _plain(Decimal(1).scaleb(top[1]) / per[1])


def lookup_unit(text: str) -> Unit:
    """The unit `text` names, or UnknownUnit naming the nearest known spellings.

    >>> lookup_unit("USD/M tokens").factor, lookup_unit("USD/M tokens").canonical
    (Decimal('0.000001'), 'USD/token')
    >>> lookup_unit("十亿参数").factor
    Decimal('1000000000')
    >>> try:
    ...     lookup_unit("USD/M tokns")
    ... except UnknownUnit as unknown:
    ...     print(unknown)
    unknown unit 'USD/M tokns'; did you mean 'USD/M tokens'?
    """
    found = _read(_clean(text))
    if found is None:
        raise UnknownUnit(_unknown_message(text))
    canonical, factor = found
    return Unit(text, canonical, _KNOWN[canonical], factor)


def _unknown_message(text: str) -> str:
    """One line: the unit as written and the nearest known spellings."""
    spellings = {s.casefold(): s for s in (*_SUGGESTED, *_KNOWN)}
    clean = _clean(text)
    near = difflib.get_close_matches(clean, list(spellings), n=3, cutoff=0.6)
    best = difflib.SequenceMatcher(None, clean, near[0]).ratio() if near else 0.0
    near = [n for n in near if difflib.SequenceMatcher(None, clean, n).ratio() >= best - 0.05]
    if not near:
        listed = ", ".join((*COUNT_NOUNS[:4], *CURRENCIES, "USD/token", "%", "users/month"))
        return f"unknown unit {text!r}; known units include {listed}"
    names = " or ".join(repr(spellings[n]) for n in near)
    return f"unknown unit {text!r}; did you mean {names}?"


def to_canonical(amount: Decimal, unit_text: str) -> tuple[Decimal, str]:
    """`amount` in `unit_text` as (amount, unit) in the canonical unit, without an exponent.

    >>> to_canonical(Decimal(10), "$/M tokens")
    (Decimal('0.00001'), 'USD/token')
    >>> to_canonical(Decimal(405), "B parameters")
    (Decimal('405000000000'), 'parameters')
    """
    unit = lookup_unit(unit_text)
    with localcontext(prec=_PRECISION):
        return _plain(amount * unit.factor), unit.canonical


def _plain(value: Decimal) -> Decimal:
    """One form per value, without an exponent: 1E+9 -> 1000000000, 3.50 -> 3.5.

    >>> _plain(Decimal("1E+9")), _plain(Decimal("3.50")), _plain(Decimal("1E-6"))
    (Decimal('1000000000'), Decimal('3.5'), Decimal('0.000001'))
    """
    with localcontext(prec=_PRECISION):
        value = value.normalize()
        return value.quantize(Decimal(1)) if int(value.as_tuple().exponent) > 0 else value


def _canonical_or_none(text: str | None) -> str | None:
    if text is None:
        return None
    found = _read(_clean(text))
    return found[0] if found else None


def convertible(a: str | None, b: str | None) -> bool:
    """Whether figures in `a` and `b` can be compared once converted; None is a bare number,
    which compares with a bare number only; an unknown unit only with itself.

    >>> convertible("USD/M tokens", "USD/token"), convertible("MAU", "users/week")
    (True, False)
    >>> convertible(None, None), convertible(None, "%"), convertible("furlongs", "furlongs")
    (True, False, True)
    """
    if a == b:
        return True
    ca, cb = _canonical_or_none(a), _canonical_or_none(b)
    return ca is not None and ca == cb


def describe_difference(a: str | None, b: str | None) -> str:
    """Why `a` and `b` do (or do not) compare, as a phrase for a reason.

    >>> describe_difference("WAU", "users/month")
    'users/week and users/month are different periods, never converted'
    >>> describe_difference("USD", "CNY")
    'USD and CNY are different currencies'
    >>> describe_difference("B parameters", "tokens")
    'parameters and tokens measure different things'
    """
    names = []
    for text in (a, b):
        if text is None:
            names.append("a bare number")
        elif (canonical := _canonical_or_none(text)) is None:
            return f"{text!r} is not a known unit"
        else:
            names.append(canonical)
    first, second = names
    if first == second:
        return f"{a} and {b} are both {first}" if a != b else f"both are {first}"
    top_a, _, per_a = first.partition("/")
    top_b, _, per_b = second.partition("/")
    if "a bare number" in names:
        return f"{first} and {second} cannot be compared: one has no unit"
    if top_a == top_b and per_a and per_b and "token" not in (per_a, per_b):
        return f"{first} and {second} are different periods, never converted"
    if top_a == top_b and "token" not in (per_a, per_b):
        return f"{first} and {second} are never converted: one is per {per_a or per_b}"
    if top_a in CURRENCIES and top_b in CURRENCIES and per_a == per_b:
        return f"{first} and {second} are different currencies"
    return f"{first} and {second} measure different things"
