"""The words that carry quantities, as data: scale abbreviations, currencies, units, hedges.

`quantities` does the scanning; this module only says what words mean, so that a new
currency, unit or hedge is one table entry rather than new code. Numerals and their words
live in `numbers`, writing a quantity back in `wording`; their names are re-exported here,
where they used to be.

Choices kept here (and documented in `quantities`):
  ¥ and ￥ are CNY: the Chinese sources this project reads do not quote yen.
  "m" is a million only right after a currency ("£5m"); elsewhere it is metres or minutes.
"""

from __future__ import annotations

from factcheck.domain import Bound
from factcheck.normalising.numbers import (
    EN_NUMBER_WORDS,
    EN_SMALL,
    EN_TENS,
    SCALE_WORDS,
    VAGUE_HIGH,
    VAGUE_LOW,
    ZH_BIG_UNITS,
    ZH_DIGITS,
    ZH_SMALL_UNITS,
    ZH_UNITS,
    read_chinese_numeral,
    read_english_words,
)
from factcheck.normalising.wording import CURRENCY_SYMBOLS, write_figure, write_unit

__all__ = [  # the tables below, and the names that moved out (kept importable from here)
    "BOUND_PREFIXES",
    "CURRENCY_ONLY_ABBREVIATIONS",
    "CURRENCY_PREFIXES",
    "CURRENCY_SUFFIXES",
    "CURRENCY_SYMBOLS",
    "EN_BOUND_SUFFIXES",
    "EN_NUMBER_WORDS",
    "EN_SMALL",
    "EN_TENS",
    "EN_UNITS",
    "FULL_WIDTH",
    "PERIODS",
    "PERIOD_ADJECTIVES",
    "SCALE_ABBREVIATIONS",
    "SCALE_WORDS",
    "VAGUE_HIGH",
    "VAGUE_LOW",
    "VERSIONED_NAMES",
    "ZH_BIG_UNITS",
    "ZH_BOUND_PREFIXES",
    "ZH_BOUND_SUFFIXES",
    "ZH_DIGITS",
    "ZH_SMALL_UNITS",
    "ZH_UNITS",
    "ZH_UNITS_AFTER",
    "ZH_UNITS_BEFORE",
    "ZH_VERBS_BEFORE",
    "read_chinese_numeral",
    "read_english_words",
    "write_figure",
    "write_unit",
]

# Full-width forms map one character to one character, so spans stay valid after translation.
FULL_WIDTH = str.maketrans(
    {chr(0xFF10 + i): str(i) for i in range(10)}
    | {chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}
    | {"．": ".", "％": "%", "＄": "$", "＋": "+", "～": "~", "－": "-", "／": "/"}
)

# English scale abbreviations -> power of ten (the words are in `numbers`).
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
