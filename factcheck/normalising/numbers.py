"""Numerals: where the numbers in a text are and what each is worth, before any context.

Arabic digits ("1,234.5", "5.33e-08"), composed Chinese numerals ("三亿五千万"), English
number words ("two hundred million"), "half a million", and vague counts ("数亿", "几千万",
"hundreds of millions", "上亿"). `quantities` reads the context around each numeral (scale,
range, unit, hedges); this module only finds and values the numerals themselves.

Scales are powers of ten, applied with `Decimal.scaleb` (exact), never multipliers that could
round. 兆 is 10**12 (万亿), the financial-news sense. "Several" of a scale spans 2..9 of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import NamedTuple

from factcheck.domain import Bound

# English scale words -> power of ten.
SCALE_WORDS = {
    "hundred": 2,
    "thousand": 3,
    "million": 6,
    "billion": 9,
    "trillion": 12,
    "quadrillion": 15,
}

# Chinese numerals.
ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
ZH_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
ZH_SMALL_UNITS = {"十": 1, "百": 2, "千": 3}
ZH_BIG_UNITS = {"万": 4, "亿": 8, "兆": 12}
ZH_UNITS = ZH_SMALL_UNITS | ZH_BIG_UNITS

# English number words.
EN_SMALL = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
EN_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
EN_NUMBER_WORDS = tuple(EN_SMALL) + tuple(EN_TENS) + tuple(SCALE_WORDS)

# "Several" of a scale: the range a vague word stands for.
VAGUE_LOW = Decimal(2)
VAGUE_HIGH = Decimal(9)


def alternatives(words: Iterable[str]) -> str:
    """A regex alternation, longest first so "billion" is not read as "b"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUM = r"[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[0-9]+"
# Digits, not glued to a letter, a dot or another figure on the left ("v3", ".5", "1.2.3").
ARABIC = re.compile(
    rf"(?<![A-Za-z0-9_.])(?:{_NUM})(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{{1,2}}(?![0-9]))?(?!\.[0-9])"
)
_ZH_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿兆]+")
_EN_WORD = rf"(?:{alternatives(EN_NUMBER_WORDS)})(?![A-Za-z])"
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
    r"(?<![0-9])(?:[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}([-/.])[0-9]{1,2}\1[0-9]{4}"
    r"|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)"
    r"(?![0-9])"
)


class Numeral(NamedTuple):
    """A number before its context is read: where it is and what it is worth (a named tuple,
    since every string makes several and a frozen dataclass is slow to build)."""

    start: int
    end: int
    value: Decimal
    arabic: bool = False  # digits: may still take a scale, a range, and be a version
    scaled: bool = False  # already carries a scale word (两千万, two million, 数亿)
    bound: Bound = Bound.EXACT
    upper: Decimal | None = None  # set for RANGE numerals; value is then the lower end


def zh_power(small: str | None, big: str | None) -> int:
    """Power of ten of Chinese scale characters, which multiply: 千万 is 10**7.

    >>> zh_power("千", "万"), zh_power(None, "万亿"), zh_power("", None)
    (7, 12, 0)
    """
    return sum(ZH_UNITS[ch] for ch in (small or "") + (big or ""))


def arabic_value(digits: str) -> Decimal:
    """The exact value of digits as written, thousands commas dropped.

    >>> arabic_value("1,234.50"), arabic_value("5.33e-08")
    (Decimal('1234.50'), Decimal('5.33E-8'))
    """
    return Decimal(digits.replace(",", ""))


def find_numerals(norm: str) -> list[Numeral]:
    """Every number-looking run, in order, longest first at one start; overlaps are settled
    by the caller. Numbers inside ISO dates and clock times are dropped.

    >>> [(n.start, n.value) for n in find_numerals("2亿 and two million")]
    [(0, Decimal('2')), (7, Decimal('2000000'))]
    >>> find_numerals("2024-07-27 16:19")
    []
    """
    found = [*_arabic(norm), *_chinese(norm), *_english(norm), *_half(norm)]
    found += [*_vague_english(norm), *_vague_chinese(norm), *_shang(norm)]
    if dates := [m.span() for m in _DATE_LIKE.finditer(norm)]:
        found = [n for n in found if not any(s < n.end and n.start < e for s, e in dates)]
    return sorted(found, key=lambda n: (n.start, n.start - n.end))


def _arabic(norm: str) -> list[Numeral]:
    """Digits; a dot or letter just before them makes them part of something else.

    >>> [n.value for n in _arabic("1,234.5 and 5.33e-08")]
    [Decimal('1234.5'), Decimal('5.33E-8')]
    >>> [n.value for n in _arabic("v3 and 1.2.3")]
    []
    """
    return [Numeral(m.start(), m.end(), arabic_value(m[0]), True) for m in ARABIC.finditer(norm)]


def _chinese(norm: str) -> Iterator[Numeral]:
    """Composed Chinese numerals; a lone digit only after 百分之 ("百分之五"), since "一些"
    and "三个" are words far more often than figures. Leading scale characters are not
    numerals: in "亿万" or "百万" alone there is no count.

    >>> [(n.start, n.value, n.scaled) for n in _chinese("三亿五千万人, 二〇二四")]
    [(0, Decimal('350000000'), True), (8, Decimal('2024'), False)]
    >>> [n.value for n in _chinese("百分之五 and 一些")]
    [Decimal('5')]
    """
    for m in _ZH_RUN.finditer(norm):
        run = m[0].lstrip("百千万亿兆")
        start = m.end() - len(run)
        readable = len(run) > 1 and (run[0] == "十" or any(ch in ZH_DIGITS for ch in run))
        value = read_chinese_numeral(run) if readable else None
        if len(run) == 1 and norm[max(0, start - 3) : start] == "百分之":
            value = Decimal(10) if run == "十" else Decimal(ZH_DIGITS.get(run, 0)) or None
        if value is not None:
            scaled = any(ch in ZH_UNITS for ch in run)
            yield Numeral(start, m.end(), value, scaled=scaled)


def _english(norm: str) -> Iterator[Numeral]:
    """English number words, as far as they make one number.

    >>> [(n.value, norm[n.start : n.end]) for norm in ["a hundred and five users"]
    ...  for n in _english(norm)]
    [(Decimal('105'), 'a hundred and five')]
    >>> list(_english("one of them"))
    []
    """
    for m in _EN_RUN.finditer(norm):
        tokens = list(re.finditer(r"[^\s-]+", m[0]))
        read = read_english_words([t[0] for t in tokens])
        if read is not None:
            value, used = read
            end = m.start() + tokens[used - 1].end()
            yield Numeral(m.start(), end, value, scaled=value >= 100)


def _half(norm: str) -> Iterator[Numeral]:
    """ "half" (0.5) and "half a billion"; not "half-time".

    >>> [n.value for n in _half("half a billion, half")]
    [Decimal('5E+8'), Decimal('0.5')]
    >>> list(_half("half-time"))
    []
    """
    for m in _HALF.finditer(norm):
        power = SCALE_WORDS[m["scale"].casefold()] if m["scale"] else 0
        yield Numeral(m.start(), m.end(), Decimal("0.5").scaleb(power), scaled=power > 0)


def _vague_english(norm: str) -> Iterator[Numeral]:
    """ "several million", "hundreds of millions": a RANGE of 2..9 of the scale; "tens" alone
    says too little.

    >>> [(n.value, n.upper) for n in _vague_english("hundreds of millions")]
    [(Decimal('2E+8'), Decimal('9E+8'))]
    >>> list(_vague_english("tens"))
    []
    """
    for m in _VAGUE_EN.finditer(norm):
        words = [w.casefold().removesuffix("s") for w in (m["s1"], m["s2"], m["p1"], m["p2"]) if w]
        if words == ["ten"]:
            continue
        power = sum(1 if w == "ten" else SCALE_WORDS[w] for w in words)
        yield _vague(m.start(), m.end(), power, VAGUE_LOW, VAGUE_HIGH)


def _vague_chinese(norm: str) -> Iterator[Numeral]:
    """数亿, 几千万: 2..9 of the scale; 十几亿: 11..19 of it. 数 alone is no figure.

    >>> [(n.value, n.upper) for n in _vague_chinese("十几亿")]
    [(Decimal('1.1E+9'), Decimal('1.9E+9'))]
    >>> [(n.value, n.upper) for n in _vague_chinese("几千万")]
    [(Decimal('2E+7'), Decimal('9E+7'))]
    >>> list(_vague_chinese("数据"))
    []
    """
    for m in _VAGUE_ZH.finditer(norm):
        if (m["small"] or m["big"]) and not (m["teen"] and m["small"]):
            low, high = (11, 19) if m["teen"] else (VAGUE_LOW, VAGUE_HIGH)
            power = zh_power(m["small"], m["big"])
            yield _vague(m.start(), m.end(), power, Decimal(low), Decimal(high))


def _shang(norm: str) -> Iterator[Numeral]:
    """上亿, 上千万 ("upwards of"): AT_LEAST one of the scale; not 以上 nor 上十 (too small).

    >>> [(n.value, n.bound.value) for n in _shang("上亿")]
    [(Decimal('1E+8'), 'at_least')]
    >>> list(_shang("以上万")), list(_shang("上十"))
    ([], [])
    """
    for m in _AT_LEAST_ZH.finditer(norm):
        power = zh_power(m["small"], m["big"])
        if power >= 2:
            value = Decimal(1).scaleb(power)
            yield Numeral(m.start(), m.end(), value, scaled=True, bound=Bound.AT_LEAST)


def _vague(start: int, end: int, power: int, low: Decimal, high: Decimal) -> Numeral:
    lower, upper = low.scaleb(power), high.scaleb(power)
    return Numeral(start, end, lower, scaled=True, bound=Bound.RANGE, upper=upper)


def read_chinese_numeral(s: str) -> Decimal | None:
    """Value of a composed Chinese numeral ("三亿五千万", "十二", "二〇二四"), else None.

    None for a malformed run: a number that cannot be read is better left unread.

    >>> read_chinese_numeral("一千二百万")
    Decimal('12000000')
    >>> read_chinese_numeral("三亿五千万")
    Decimal('350000000')
    >>> read_chinese_numeral("二〇二四")
    Decimal('2024')
    >>> read_chinese_numeral("一百零五")
    Decimal('105')
    >>> read_chinese_numeral("亿万") is None
    True
    >>> read_chinese_numeral("一一") is None
    True
    """
    if s and all(ch in ZH_DIGITS for ch in s):
        # Digit by digit ("二〇二四") only from three digits on: "唯一一个" is not 11.
        return Decimal("".join(str(ZH_DIGITS[ch]) for ch in s)) if len(s) > 2 else None
    total = group = section = 0
    number: int | None = None
    last_small = 99  # units inside a section must fall: 千 then 百 then 十
    last_big = 99
    for ch in s:
        if ch in "零〇":
            continue  # a placeholder: "一百零五" is 105
        if ch in ZH_DIGITS:
            if number is not None:
                return None  # "一二百": two digits in a row inside a composed numeral
            number = ZH_DIGITS[ch]
        elif ch in ZH_SMALL_UNITS:
            power = ZH_SMALL_UNITS[ch]
            if power >= last_small or (number is None and ch != "十"):
                return None
            section += (1 if number is None else number) * 10**power
            number, last_small = None, power
        else:
            power = ZH_BIG_UNITS[ch]
            value = section + (number or 0)
            if ch == "万":
                if value == 0 or power >= last_big:
                    return None
                group, last_big = value * 10**power, power
            else:
                if value + group == 0 and total == 0:
                    return None
                total, group, last_big = (total + group + value) * 10**power, 0, 99
            section, number, last_small = 0, None, 99
    value = total + group + section + (number or 0)
    return Decimal(value) if value else None


def read_english_words(words: list[str]) -> tuple[Decimal, int] | None:
    """Value of number words ("two hundred million") and how many words it used, else None.

    A run stops where it stops making sense ("two three"), so a list never sums by accident.

    >>> read_english_words(["two", "hundred", "million"])
    (Decimal('200000000'), 3)
    >>> read_english_words(["twenty", "five", "thousand"])
    (Decimal('25000'), 3)
    >>> read_english_words(["two", "three"])
    (Decimal('2'), 1)
    >>> read_english_words(["one"]) is None
    True
    """
    total = current = 0
    last = ""  # "", "a", "small", "tens", "hundred", "big"
    last_big = 99
    used = 0
    for i, raw in enumerate(words):
        word = raw.casefold()
        nxt = words[i + 1].casefold() if i + 1 < len(words) else ""
        if word == "and":
            if last in ("hundred", "big") and (nxt in EN_SMALL or nxt in EN_TENS):
                continue
            break
        if word in ("a", "an"):
            if last or nxt not in SCALE_WORDS:
                break
            current, last = 1, "a"
            continue
        if word in EN_SMALL or word in EN_TENS:
            value = EN_SMALL.get(word, EN_TENS.get(word, 0))
            if last == "a" or (last == "small") or (last == "tens" and not 1 <= value <= 9):
                break
            current += value
            last = "tens" if word in EN_TENS else "small"
        elif word == "hundred":
            if last in ("", "hundred", "big"):
                break
            current, last = current * 100, "hundred"
        elif word in SCALE_WORDS:
            power = SCALE_WORDS[word]
            if last in ("", "big") or power >= last_big:
                break
            total, current, last, last_big = total + current * 10**power, 0, "big", power
        else:
            break
        used = i + 1
    value = total + current
    if used == 0 or (value < 2 and last not in ("big", "hundred")):
        return None
    return Decimal(value), used
