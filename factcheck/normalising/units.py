"""The words that carry quantities, as data, and the two numeral systems read from words.

`quantities` does the scanning; this module only says what words mean, so that a new
currency, unit or hedge is one table entry rather than new code. Scales are powers of ten
(applied with `Decimal.scaleb`, which is exact), never multipliers that could round.

Choices kept here (and documented in `quantities`):
  兆 is 10**12 (万亿), the financial-news sense, not the SI "mega".
  ¥ and ￥ are CNY: the Chinese sources this project reads do not quote yen.
  数/几 ("several") and English "several"/"hundreds of" span 2..9 of their scale.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from factcheck.domain import Bound

# Full-width forms map one character to one character, so spans stay valid after translation.
FULL_WIDTH = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
    | {"．": ".", "％": "%", "＄": "$", "＋": "+", "～": "~", "－": "-", "／": "/"}
)

# English scale words and abbreviations -> power of ten.
SCALE_WORDS = {
    "hundred": 2,
    "thousand": 3,
    "million": 6,
    "billion": 9,
    "trillion": 12,
    "quadrillion": 15,
}
# Case matters: "M" is million, "m" is metres or minutes unless a currency stands before it.
SCALE_ABBREVIATIONS = {
    "k": 3,
    "K": 3,
    "M": 6,
    "MM": 6,
    "mn": 6,
    "mln": 6,
    "B": 9,
    "b": 9,
    "bn": 9,
    "bln": 9,
    "T": 12,
    "tn": 12,
    "trn": 12,
}
CURRENCY_ONLY_ABBREVIATIONS = {"m": 6}  # "£5m", "$3m"

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

# Currencies: symbols and codes written before the number, words written after it.
CURRENCY_PREFIXES = {
    "US$": "USD",
    "US $": "USD",
    "$": "USD",
    "USD": "USD",
    "€": "EUR",
    "EUR": "EUR",
    "£": "GBP",
    "GBP": "GBP",
    "¥": "CNY",
    "￥": "CNY",
    "RMB": "CNY",
    "CNY": "CNY",
    "人民币": "CNY",
}
CURRENCY_SUFFIXES = {
    "US dollars": "USD",
    "dollars": "USD",
    "dollar": "USD",
    "USD": "USD",
    "美元": "USD",
    "美金": "USD",
    "EUR": "EUR",
    "euros": "EUR",
    "euro": "EUR",
    "欧元": "EUR",
    "RMB": "CNY",
    "CNY": "CNY",
    "yuan": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "GBP": "GBP",
    "英镑": "GBP",
}
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "CNY": "¥", "GBP": "£"}

# Units written after the number: canonical name -> regex alternatives (matched in order).
PERIODS = {
    "second": "second",
    "sec": "second",
    "minute": "minute",
    "min": "minute",
    "hour": "hour",
    "day": "day",
    "week": "week",
    "month": "month",
    "year": "year",
    "yr": "year",
}
PERIOD_ADJECTIVES = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}
PERIOD_ADJECTIVES |= {"annual": "year"}

EN_UNITS: tuple[tuple[str, str], ...] = (
    ("users/month", r"monthly\s+active\s+(?:users?|people|accounts)|monthly\s+actives?|MAUs?"),
    ("users/week", r"weekly\s+active\s+(?:users?|people|accounts)|weekly\s+actives?|WAUs?"),
    ("users/day", r"daily\s+active\s+(?:users?|people|accounts)|daily\s+actives?|DAUs?"),
    ("users/month", r"monthly\s+users"),
    ("users/week", r"weekly\s+users"),
    ("users/day", r"daily\s+users"),
    ("tokens/month", r"monthly\s+tokens"),
    ("tokens/week", r"weekly\s+tokens"),
    ("tokens/day", r"daily\s+tokens"),
    ("parameters", r"parameters?|params?"),
    ("tokens", r"tokens?"),
    ("users", r"users?"),
    ("people", r"people|persons|individuals"),
)
ZH_UNITS_AFTER: tuple[tuple[str, str], ...] = (
    ("users/month", r"(?:名|个)?(?:月活跃用户|月度活跃用户|月活用户|月活)"),
    ("users/week", r"(?:名|个)?(?:周活跃用户|周活用户|周活)"),
    ("users/day", r"(?:名|个)?(?:日活跃用户|日活用户|日活)"),
    ("parameters", r"(?:个)?参数量?"),
    ("tokens", r"(?:个)?(?:[Tt]okens?|词元)"),
    ("users", r"(?:名|个|位)?用户"),
    ("people", r"(?:人(?![民工类]))|(?:名|位)(?=[^用])"),
)
# Chinese puts the unit first too: "月活跃用户超过5亿".
ZH_UNITS_BEFORE: tuple[tuple[str, str], ...] = (
    ("users/month", r"月活跃用户|月度活跃用户|月活用户|月活|MAU"),
    ("users/week", r"周活跃用户|周活用户|周活|WAU"),
    ("users/day", r"日活跃用户|日活用户|日活|DAU"),
    ("parameters", r"参数量|参数规模|参数"),
)
ZH_VERBS_BEFORE = r"(?:数|数量|规模)?(?:已经|已|则|也)?(?:达到了?|达|为|有|是|共)?"

# Hedges. Longest first inside each alternation, so "超过" wins over "超".
BOUND_PREFIXES: tuple[tuple[Bound, str], ...] = (
    (
        Bound.AT_LEAST,
        r"more\s+than|over|at\s+least|above|upwards\s+of|in\s+excess\s+of|greater\s+than"
        r"|exceeding|exceeded|exceeds|surpassed|surpassing|crossed|topped|north\s+of"
        r"|well\s+over|just\s+over|>=|≥|>",
    ),
    (
        Bound.AT_MOST,
        r"less\s+than|fewer\s+than|under|below|at\s+most|up\s+to|no\s+more\s+than"
        r"|not\s+more\s+than|nearly|almost|just\s+under|<=|≤|<",
    ),
    (
        Bound.APPROXIMATE,
        r"about|around|roughly|approximately|approx\.?|circa|an\s+estimated|estimated"
        r"|some|close\s+to|~|≈",
    ),
)
ZH_BOUND_PREFIXES: tuple[tuple[Bound, str], ...] = (
    (Bound.AT_MOST, r"不超过|不到|不足|少于|低于|小于|至多|最多|将近|接近|几乎|(?<![最附])近"),
    (Bound.AT_LEAST, r"超过了?|超出|逾|多于|大于|高于|至少|不少于|不低于|突破了?|超"),
    (Bound.APPROXIMATE, r"大约|约为|约合|大概|大致|差不多|估计|约"),
)
# Right after the number or scale ("2亿多", "两千余") and after the unit ("2亿人以上").
ZH_BOUND_SUFFIXES: tuple[tuple[Bound, str], ...] = (
    (Bound.AT_LEAST, r"以上|之上|有余|多|余"),
    (Bound.AT_MOST, r"以下|以内|之内"),
    (Bound.APPROXIMATE, r"左右|上下"),
)
EN_BOUND_SUFFIXES: tuple[tuple[Bound, str], ...] = (
    (Bound.AT_LEAST, r"\+|\s+or\s+more(?![A-Za-z])|\s+plus(?![A-Za-z])"),
    (Bound.APPROXIMATE, r"\s+or\s+so(?![A-Za-z])"),
)

# Product names whose following number is a version, not a quantity: "Llama 3.1", "GPT 4.0".
VERSIONED_NAMES = (
    "llama",
    "gpt",
    "claude",
    "gemini",
    "gemma",
    "qwen",
    "mistral",
    "mixtral",
    "phi",
    "deepseek",
    "glm",
    "ernie",
    "yi",
    "iphone",
    "ios",
    "android",
    "windows",
    "python",
    "web",
    "version",
    "v",
)


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


# Writing a quantity back for a human reader (quantities.describe).
_SCALE_NAMES = ((12, "trillion"), (9, "billion"), (6, "million"))
_UNIT_NAMES = {
    "users/month": "monthly active users",
    "users/week": "weekly active users",
    "users/day": "daily active users",
}


def write_figure(d: Decimal, unit: str | None) -> str:
    """The number as a reader says it, with its currency symbol; prices per million tokens.

    >>> write_figure(Decimal("0.000005"), "USD/token")
    '$5.00'
    >>> write_figure(Decimal("1640000000"), None)
    '1.64 billion'
    >>> write_figure(Decimal("123456789"), None)
    '123,456,789'
    """
    currency, _, per = (unit or "").partition("/")
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return _write_number(d)
    return f"{symbol}{_write_number(d.scaleb(6) if per == 'token' else d, money=True)}"


def write_unit(unit: str | None) -> str:
    """What follows the figure: "%", " parameters", " per million tokens", "" for none."""
    currency, _, per = (unit or "").partition("/")
    if unit is None or unit == "%":
        return unit or ""
    if currency in CURRENCY_SYMBOLS:
        return " per million tokens" if per == "token" else (f" per {per}" if per else "")
    return " " + _UNIT_NAMES.get(unit, unit.replace("/", " per "))


def _write_number(d: Decimal, *, money: bool = False) -> str:
    with localcontext(prec=80):
        for power, name in _SCALE_NAMES:
            scaled = d.scaleb(-power).normalize()
            if abs(scaled) >= 1 and int(scaled.as_tuple().exponent) >= -3:
                return f"{format(scaled, 'f')} {name}"
        d = d.normalize()
        if int(d.as_tuple().exponent) > 0:
            d = d.quantize(Decimal(1))
        if money and int(d.as_tuple().exponent) > -2:
            d = d.quantize(Decimal("0.01"))
        return format(d, ",f" if abs(d) >= 10000 else "f")  # "2007" is not "2,007"
