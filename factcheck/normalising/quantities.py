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
  None              a bare number. Years ("2007") and the pieces of a date stay bare numbers.

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

Left unread on purpose: a version after a product name ("Llama 3.1", "GPT 4.0"); a number
glued to letters ("FP8", "GPT-4o", "16GB"); a number hyphen-joined to a word unless it has
a scale ("Llama-3.1-8B-Instruct" gives 8B only); ISO dates and clock times; a lone Chinese
digit ("一些", "三个") and a lone English "one", which are words far more often than
figures; signs (the figures here are sizes, prices and counts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext

from factcheck.domain import Bound, Quantity
from factcheck.normalising import units as u

_PRECISION = 80  # digits: enough that no scale or per-token division here ever rounds
_MAX_MAGNITUDE = 40  # a figure beyond 10**±40 is not a claim, it is noise


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation, longest first so "billion" is not read as "b"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUM = r"[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+"
_ARABIC = re.compile(
    rf"(?<![A-Za-z0-9_.])(?:{_NUM})(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{{1,2}}(?![0-9]))?(?!\.[0-9])"
)
_ZH_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿兆]+")
_EN_WORD = rf"(?:{_alternatives(u.EN_NUMBER_WORDS)})(?![A-Za-z])"
_EN_RUN = re.compile(rf"(?i)(?<![A-Za-z])(?:an?\s+)?{_EN_WORD}(?:(?:\s+|-)(?:and\s+)?{_EN_WORD})*")
_HALF = re.compile(
    r"(?i)(?<![A-Za-z])half(?:\s+an?\s+(?P<scale>hundred|thousand|million|billion|trillion))?"
    r"(?![A-Za-z-])"
)
_VAGUE_EN = re.compile(
    r"(?i)(?<![A-Za-z])(?:(?:several|a\s+few)\s+(?P<s1>hundred|thousand|million|billion|trillion)"
    r"(?:\s+(?P<s2>thousand|million|billion|trillion))?"
    r"|(?P<p1>tens|hundreds|thousands|millions|billions|trillions)"
    r"(?:\s+of\s+(?P<p2>thousands|millions|billions|trillions))?)(?![A-Za-z])"
)
_VAGUE_ZH = re.compile(r"(?P<teen>十)?[数几](?P<small>[十百千]?)(?P<big>万亿|万|亿|兆)?")
_AT_LEAST_ZH = re.compile(r"(?<![以之线])上(?P<small>[十百千]?)(?P<big>万亿|万|亿)?")
_DATE_LIKE = re.compile(
    r"(?<![0-9])(?:[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)"
    r"(?![0-9])"
)

_ZH_SCALE = r"[十百千](?:万亿|万|亿)?|万亿|万|亿|兆"
_SCALE_AFTER = re.compile(
    rf"\s*(?P<word>(?i:{_alternatives(u.SCALE_WORDS)}))s?(?![A-Za-z])"
    rf"|[ \u00a0]?(?P<abbr>{_alternatives(u.SCALE_ABBREVIATIONS)})(?![A-Za-z0-9])"
    rf"|\s*(?P<zh>{_ZH_SCALE})"
)
_CURRENCY_SCALE = re.compile(r"[ \u00a0]?m(?![A-Za-z0-9])")
_RANGE_JOIN = re.compile(r"\s*(?:-|–|—|~|〜|到|至)\s*")
_RANGE_TO = re.compile(r"(?i)\s+to\s+")
_GLUED_OK = re.compile(r"[xX×](?![A-Za-z])")
_PERCENT = re.compile(r"\s*(?:%|(?i:percent|per\s+cent)(?![A-Za-z]))")
_CURRENCY_AFTER = re.compile(rf"\s*(?P<c>(?i:{_alternatives(u.CURRENCY_SUFFIXES)}))(?![A-Za-z])")
_CURRENCY_BEFORE = re.compile(rf"(?<![A-Za-z])(?P<c>{_alternatives(u.CURRENCY_PREFIXES)})\s*$")
_PER_TOKEN = re.compile(
    r"\s*(?:(?i:per)|/|每)\s*(?:(?P<n>[0-9][0-9,]*(?:\.[0-9]+)?)\s*)?"
    r"(?:(?P<mtok>MTok)s?(?![A-Za-z])"
    r"|(?P<s>(?i:thousand|million|billion)|[kKMm]|百万|千|万|亿)?\s*"
    r"(?:(?i:input|output|prompt|completion|cached\s+input)\s+)?个?(?:(?i:tokens?)|词元)"
    r"(?![A-Za-z]))"
)
_PERIOD = rf"(?P<p>(?i:{_alternatives(u.PERIODS)}))s?(?![A-Za-z])"
_PER_PERIOD = re.compile(rf"\s*(?:(?i:per|an?|each|every)\s+|/\s*){_PERIOD}")
_EN_UNITS = tuple(
    (name, re.compile(rf"(?i)\s*(?:-\s*|of\s+)?(?:{alts})(?![A-Za-z])"))
    for name, alts in u.EN_UNITS
)
_ZH_UNITS = tuple((name, re.compile(rf"\s*(?:{alts})")) for name, alts in u.ZH_UNITS_AFTER)
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
    rf"(?i)(?<![A-Za-z])(?:{_alternatives(u.VERSIONED_NAMES)})[\s\-‐‑–]*$|[A-Za-z0-9][\-‐‑]$"
)
_JOIN = re.compile(r"\s*(?:,|，|、|和|与|及|或|,?\s*(?i:and|or))\s*")
# (?i) also matches "ſ" and "K" (Kelvin); casefold() maps them back onto the table keys.
_CURRENCY_BY_FOLDED = {k.casefold(): v for k, v in u.CURRENCY_SUFFIXES.items()}
_SHARED_UNITS = frozenset({"parameters", "tokens", "people", "users"}) | {
    f"users/{p}" for p in ("day", "week", "month")
}


@dataclass(frozen=True)
class _Numeral:
    """A number before its context is read: where it is and what it is worth."""

    start: int
    end: int
    value: Decimal
    arabic: bool = False  # digits: may still take a scale, a range, and be a version
    scaled: bool = False  # already carries a scale word (两千万, two million, 数亿)
    bound: Bound = Bound.EXACT
    upper: Decimal | None = None  # set for RANGE numerals; value is then the lower end


def _power(small: str | None, big: str | None) -> int:
    return sum(u.ZH_UNITS[ch] for ch in (small or "") + (big or ""))


def _numerals(norm: str) -> list[_Numeral]:
    """Every number-looking run, in order; overlaps are settled by the caller."""
    found = [
        _Numeral(m.start(), m.end(), Decimal(m[0].replace(",", "")), arabic=True)
        for m in _ARABIC.finditer(norm)
    ]
    for m in _ZH_RUN.finditer(norm):
        run = m[0].lstrip("百千万亿兆")
        start = m.end() - len(run)
        readable = len(run) > 1 and (run[0] == "十" or any(ch in u.ZH_DIGITS for ch in run))
        value = u.read_chinese_numeral(run) if readable else None
        if len(run) == 1 and norm[max(0, start - 3) : start] == "百分之":
            value = Decimal(10) if run == "十" else Decimal(u.ZH_DIGITS.get(run, 0)) or None
        if value is not None:
            scaled = any(ch in u.ZH_UNITS for ch in run)
            found.append(_Numeral(start, m.end(), value, scaled=scaled))
    for m in _EN_RUN.finditer(norm):
        tokens = list(re.finditer(r"[^\s-]+", m[0]))
        read = u.read_english_words([t[0] for t in tokens])
        if read is not None:
            value, used = read
            end = m.start() + tokens[used - 1].end()
            found.append(_Numeral(m.start(), end, value, scaled=value >= 100))
    for m in _HALF.finditer(norm):
        power = u.SCALE_WORDS[m["scale"].casefold()] if m["scale"] else 0
        found.append(_Numeral(m.start(), m.end(), Decimal("0.5").scaleb(power), scaled=power > 0))
    for m in _VAGUE_EN.finditer(norm):
        words = [w.casefold().removesuffix("s") for w in (m["s1"], m["s2"], m["p1"], m["p2"]) if w]
        if words == ["ten"]:
            continue  # "tens" alone says too little
        power = sum(1 if w == "ten" else u.SCALE_WORDS[w] for w in words)
        found.append(_vague(m.start(), m.end(), power, u.VAGUE_LOW, u.VAGUE_HIGH))
    for m in _VAGUE_ZH.finditer(norm):
        if (m["small"] or m["big"]) and not (m["teen"] and m["small"]):
            low, high = (11, 19) if m["teen"] else (u.VAGUE_LOW, u.VAGUE_HIGH)
            power = _power(m["small"], m["big"])
            found.append(_vague(m.start(), m.end(), power, Decimal(low), Decimal(high)))
    for m in _AT_LEAST_ZH.finditer(norm):
        power = _power(m["small"], m["big"])
        if power >= 2:
            value = Decimal(1).scaleb(power)
            found.append(_Numeral(m.start(), m.end(), value, scaled=True, bound=Bound.AT_LEAST))
    dates = [m.span() for m in _DATE_LIKE.finditer(norm)]
    found = [n for n in found if not any(s < n.end and n.start < e for s, e in dates)]
    return sorted(found, key=lambda n: (n.start, n.start - n.end))


def _vague(start: int, end: int, power: int, low: Decimal, high: Decimal) -> _Numeral:
    lower, upper = low.scaleb(power), high.scaleb(power)
    return _Numeral(start, end, lower, scaled=True, bound=Bound.RANGE, upper=upper)


def _scale_after(norm: str, pos: int, *, currency: str | None) -> tuple[int, int, str]:
    """(power of ten, end, abbreviation used) of a scale word right after `pos`."""
    m = _SCALE_AFTER.match(norm, pos)
    if m and m["word"]:
        return u.SCALE_WORDS[m["word"].casefold()], m.end(), ""
    if m and m["abbr"]:
        return u.SCALE_ABBREVIATIONS[m["abbr"]], m.end(), m["abbr"]
    if m and m["zh"]:
        return _power(None, m["zh"]), m.end(), ""
    if currency and (m := _CURRENCY_SCALE.match(norm, pos)):
        return u.CURRENCY_ONLY_ABBREVIATIONS["m"], m.end(), "m"
    return 0, pos, ""


def _search_before(
    pattern: re.Pattern[str], norm: str, end: int, floor: int
) -> re.Match[str] | None:
    return pattern.search(norm, max(floor, end - 40), end)


@dataclass(frozen=True)
class _Found:
    quantity: Quantity
    scaled: bool


def _read(text: str, norm: str, num: _Numeral, floor: int) -> _Found | None:
    """The quantity around one numeral, reading outward: scale, range, unit, then hedges."""
    currency = None
    start, pos = num.start, num.end
    if m := _search_before(_CURRENCY_BEFORE, norm, start, floor):
        currency, start = u.CURRENCY_PREFIXES[m["c"]], m.start()
    lower, upper, power, abbr = num.value, num.upper, 0, ""
    bound = num.bound
    if num.arabic:
        power, pos, abbr = _scale_after(norm, pos, currency=currency)
        if not power:
            glued = pos < len(norm) and norm[pos].isascii() and norm[pos].isalpha()
            if glued and not _GLUED_OK.match(norm, pos):
                return None  # glued to letters: an identifier ("4o", "16GB"), not "10x"
            if _search_before(_VERSIONED, norm, num.start, floor):
                return None  # a version ("Llama 3.1") or an identifier piece ("gpt-4o-2024")
        join = _RANGE_JOIN.match(norm, pos) or (None if power else _RANGE_TO.match(norm, pos))
        second = join and _ARABIC.match(norm, join.end())
        if join and second:
            power2, end2, abbr2 = _scale_after(norm, second.end(), currency=currency)
            high = Decimal(second[0].replace(",", "")).scaleb(power2)
            low = lower.scaleb(power or power2)
            if (power2 or not power) and low < high:
                lower, upper, bound, pos, abbr = low, high, Bound.RANGE, end2, abbr2 or abbr
                power = 0
        lower = lower.scaleb(power)
        upper = upper.scaleb(power) if upper is not None else None
    scaled = num.scaled or power > 0 or bound is Bound.RANGE
    unit = None
    if m := _BOUND_AFTER_NUMBER.match(norm, pos):
        bound, pos = Bound.AT_LEAST, m.end()
    if m := _PERCENT.match(norm, pos):
        unit, pos = "%", m.end()
    elif start - 3 >= floor and norm[start - 3 : start] == "百分之":
        unit, start = "%", start - 3
    if unit is None and (m := _CURRENCY_AFTER.match(norm, pos)):
        named = _CURRENCY_BY_FOLDED[m["c"].casefold()]
        if currency in (None, named):  # "人民币5亿元" names it twice
            currency, pos = named, m.end()
    if currency:
        unit = currency
        if m := _PER_TOKEN.match(norm, pos):
            count = Decimal(m["n"].replace(",", "")) if m["n"] else Decimal(1)
            scale = m["s"] or ("M" if m["mtok"] else "")
            count = count.scaleb(_per_power(scale))
            if count == 0:
                return None
            with localcontext(prec=_PRECISION):
                lower = lower / count
                upper = upper / count if upper is not None else None
            unit, pos = f"{currency}/token", m.end()
        elif m := _PER_PERIOD.match(norm, pos):
            unit, pos = f"{currency}/{u.PERIODS[m['p'].casefold()]}", m.end()
    elif unit is None:
        unit, pos = _unit_after(norm, pos)
    for candidate, pattern in _BOUND_AFTER_UNIT:
        if m := pattern.match(norm, pos):
            bound, pos = candidate, m.end()
            break
    if hedge := _hedge_before(norm, start, floor):
        if not (bound is Bound.RANGE and hedge[0] is Bound.APPROXIMATE):
            bound = hedge[0]  # "about 35-45 million" stays the range it names
        start = hedge[1]
    if unit is None and abbr in ("B", "b"):
        unit = "parameters"
    if unit is None:
        for name, pattern in _ZH_UNITS_BEFORE:
            if m := _search_before(pattern, norm, start, floor):
                unit, start = name, m.start()
                break
    return _quantity(text, (start, pos), lower, upper, unit, bound, scaled)


def _hedge_before(norm: str, start: int, floor: int) -> tuple[Bound, int] | None:
    """The hedge word that ends right before `start`; the longest wins ("no more than")."""
    found = [
        (m.start(), bound)
        for bound, pattern in _BOUND_BEFORE
        if (m := _search_before(pattern, norm, start, floor))
    ]
    return (min(found)[1], min(found)[0]) if found else None


def _per_power(scale: str) -> int:
    """Power of ten of the "million" in "per million tokens" ("1M", "百万", "K", "")."""
    if scale and scale[0] in u.ZH_UNITS:
        return _power(None, scale)
    if scale in ("k", "K", "m", "M"):
        return 3 if scale in "kK" else 6
    return u.SCALE_WORDS[scale.casefold()] if scale else 0


def _unit_after(norm: str, pos: int) -> tuple[str | None, int]:
    for name, pattern in _EN_UNITS + _ZH_UNITS:
        if m := pattern.match(norm, pos):
            unit, pos = name, m.end()
            if "/" not in unit and (p := _PER_PERIOD.match(norm, pos)):
                unit, pos = f"{unit}/{u.PERIODS[p['p'].casefold()]}", p.end()
            return unit, pos
    return None, pos


def _quantity(
    text: str,
    span: tuple[int, int],
    lower: Decimal,
    upper: Decimal | None,
    unit: str | None,
    bound: Bound,
    scaled: bool,
) -> _Found | None:
    if any(abs(d.adjusted()) > _MAX_MAGNITUDE for d in (lower, upper) if d is not None and d):
        return None
    amount = _canonical(lower)
    low = amount if bound in (Bound.AT_LEAST, Bound.RANGE) else None
    high = amount if bound is Bound.AT_MOST else None
    if bound is Bound.RANGE:
        high = _canonical(upper) if upper is not None else None
    q = Quantity(amount, unit, bound, low, high, span, text[span[0] : span[1]])
    return _Found(q, scaled)


def _canonical(d: Decimal) -> Decimal:
    """One form per value, without an exponent for whole numbers (405E+9 -> 405000000000)."""
    with localcontext(prec=_PRECISION):
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
    found: list[_Found] = []
    floor = 0
    with localcontext(prec=_PRECISION):
        for num in _numerals(norm):
            if num.start < floor:
                continue
            read = _read(text, norm, num, floor)
            if read is not None:
                found.append(read)
                floor = read.quantity.span[1]
    return [q.quantity for q in _share_units(norm, found)]


def _share_units(norm: str, found: list[_Found]) -> list[_Found]:
    """Give "700 亿" in "700 亿和 80 亿个参数" the unit named once for both."""
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
    """Whether two quantities can be compared at all; None (a bare number) only matches None."""
    return a.unit == b.unit


_BOUND_WORDS = {
    Bound.APPROXIMATE: "about ",
    Bound.AT_LEAST: "at least ",
    Bound.AT_MOST: "at most ",
}


def describe(q: Quantity) -> str:
    """A short human form for reasons: "405 billion parameters", "about 50%".

    >>> describe(parse_quantity("$5 per 1M tokens"))
    '$5.00 per million tokens'
    >>> describe(parse_quantity("超过2亿人"))
    'at least 200 million people'
    >>> describe(parse_quantity("数亿"))
    'between 200 million and 900 million'
    """
    if q.bound is Bound.RANGE and q.lower is not None and q.upper is not None:
        low, high = u.write_figure(q.lower, q.unit), u.write_figure(q.upper, q.unit)
        return f"between {low} and {high}{u.write_unit(q.unit)}"
    return (
        f"{_BOUND_WORDS.get(q.bound, '')}{u.write_figure(q.amount, q.unit)}{u.write_unit(q.unit)}"
    )


def to_json(q: Quantity) -> dict[str, object]:
    """A JSON-ready dict; Decimals as plain strings ("405000000000", never "4.05E+11")."""

    def plain(d: Decimal | None) -> str | None:
        return None if d is None else format(d, "f")

    return {
        "amount": plain(q.amount),
        "unit": q.unit,
        "bound": q.bound.value,
        "lower": plain(q.lower),
        "upper": plain(q.upper),
        "approximate": q.approximate,
        "span": [q.span[0], q.span[1]],
        "text": q.text,
    }
