"""Expected values in words: "above 90", "4050 亿", "$10/M tokens" -> a relation and a figure.

An editor states a claim's figure as the claim does; the judge needs a `Relation` and
canonical Decimals. The figure is read by the normaliser that reads evidence
(`parse_quantities`), its unit by the registry (`measures`); this module reads only the
relation words around it, peeled from both ends before the figure is read:
  at least, no less than, not less than, minimum of, 至少, 不少于, 不低于, "以上" after  AT_LEAST
  more than, over, above, greater than, exceeds, higher than, 超过, 逾, 多于, 高于, 大于  MORE_THAN
  at most, up to, no more than, maximum of, 最多, 不超过, 至多, "以内"/"以下" after      AT_MOST
  less than, under, below, fewer than, lower than, 不到, 少于, 低于, 不足, 小于         LESS_THAN
  about, around, approximately, roughly, some, ~, circa, 约, 大约, "左右"/"上下" after  ABOUT
  nearly, almost, close to, just under, 近, 将近, 接近, 几乎                           NEARLY
  between X and Y, X to Y, X-Y, 介于 X 和 Y 之间                                        BETWEEN
A bare figure is EXACT. A hedge the normaliser reads itself ("2亿多", "20B+") counts too.
Words around a fall measure its size: "down more than 40%" and "下降超过40%" are less than -40%,
"down 40% or more" at most -40%; around a minus they bound the signed figure ("over -5").

Units: a unit in the text (read by the normaliser, or the words after the figure: "200
million creators", "88 分") converts to canonical; a declared `unit` applies to a bare figure
("10" with "USD/M tokens" -> 0.00001 USD/token) and must agree with one in the text.

Refused with a one-line ValueError naming what is ambiguous, never guessed: no figure; two
figures that are not a range ("8B or 70B"); a vague figure ("数亿", "hundreds of millions");
relation words in conflict ("at least under 5"); words that are neither ("scores above 90");
three figures joined as one ("1-2-3");
a unit the registry does not know (its UnknownUnit, which names the nearest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import NamedTuple

from factcheck.domain import Bound, Quantity, Relation
from factcheck.normalising.measures import lookup_unit
from factcheck.normalising.quantities import parse_quantities, parse_quantity
from factcheck.normalising.signs import is_fall

R = Relation
_BEFORE_WORDS = {  # each relation's words before the figure, "|"-separated
    R.AT_LEAST: "at least|no less than|not less than|no fewer than|not fewer than|a minimum of"
    "|minimum of|>=|≥|至少|不少于|不低于",
    R.MORE_THAN: "more than|over|above|greater than|exceeds|exceeding|higher than|in excess of"
    "|upwards of|>|超过|逾|多于|高于|大于",
    R.AT_MOST: "at most|up to|no more than|not more than|a maximum of|maximum of|<=|≤|最多|不超过"
    "|至多",
    R.LESS_THAN: "less than|under|below|fewer than|lower than|<|不到|少于|低于|不足|小于",
    R.ABOUT: "about|around|approximately|approx.|roughly|some|circa|~|≈|约|大约|约为|大概",
    R.NEARLY: "nearly|almost|close to|just under|近|将近|接近|几乎",
    R.BETWEEN: "between|介于",
}
_AFTER_WORDS = {  # and after it
    R.AT_LEAST: "以上|or more|or above|and above|or higher|+",
    R.AT_MOST: "以内|以下|or less|or fewer|or below|and below|or lower",
    R.ABOUT: "左右|上下|or so",
    R.BETWEEN: "之间",
}


def _table(words: dict[Relation, str]) -> dict[str, Relation]:
    return {w: relation for relation, ws in words.items() for w in ws.split("|")}


def _alternation(words: dict[str, Relation]) -> str:
    """Longest first, so that "no more than" wins over "more than" and "将近" over "近"."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len)[::-1])


_BEFORE = _table(_BEFORE_WORDS)
_AFTER = _table(_AFTER_WORDS)
_BEFORE_RE = re.compile(rf"(?i)\s*(?P<w>{_alternation(_BEFORE)})(?![A-Za-z])\s*")
_AFTER_RE = re.compile(rf"(?i)(?<![A-Za-z])\s*(?P<w>{_alternation(_AFTER)})\s*$")
_BEFORE_ANYWHERE = re.compile(rf"(?i)(?<![A-Za-z])(?P<w>{_alternation(_BEFORE)})(?![A-Za-z])")
_BETWEEN_AND = re.compile(r"(?i)\s+and\s+|\s*[和与]\s*")
_RANGE_GAP = re.compile(r"(?i)\s*(?:-|–|—|~|〜|到|至)\s*|\s+to\s+")
_WRITTEN_RANGE = re.compile(r"(?i)\S\s*(?:-|–|—|~|〜|到|至)\s*\S|\S\s+to\s+\S")  # not 数亿
_FROM_BOUND = {Bound.AT_LEAST: R.AT_LEAST, Bound.AT_MOST: R.AT_MOST, Bound.APPROXIMATE: R.ABOUT}
_FLIPPED = {R.AT_LEAST: R.AT_MOST, R.AT_MOST: R.AT_LEAST, R.MORE_THAN: R.LESS_THAN}
_FLIPPED[R.LESS_THAN] = R.MORE_THAN  # "down more than 40%" is less than -40%


@dataclass(frozen=True)
class ExpectedReading:
    """An expected value as read: `amount` (the lower end for BETWEEN) and `upper` in `unit`."""

    relation: Relation
    amount: Decimal
    upper: Decimal | None
    unit: str | None
    text: str  # as written


def _peel(text: str) -> tuple[str, list[tuple[str, Relation]]]:
    """The text without its relation words, and the words with what each says.

    >>> core, words = _peel("至少 2 亿人以上")
    >>> core, [(word, relation.value) for word, relation in words]
    ('2 亿人', [('至少', 'at_least'), ('以上', 'at_least')])
    >>> _peel("No more than 5")[1][0][1]
    <Relation.AT_MOST: 'at_most'>
    """
    core, found = text.strip(), []
    while True:
        if m := _BEFORE_RE.match(core):
            found.append((m["w"], _BEFORE[" ".join(m["w"].casefold().split())]))
            core = core[m.end() :]
        elif m := _AFTER_RE.search(core):
            found.append((m["w"], _AFTER[" ".join(m["w"].casefold().split())]))
            core = core[: m.start()]
        else:
            return core.strip(), found


class _Figure(NamedTuple):
    """The figure found in the core: one quantity, or a range from one or two."""

    low: Quantity
    high: Quantity | None
    relation: Relation | None  # what the figure itself says: "35-45 million", "2亿多"


def _figure(text: str, core: str, between: bool) -> tuple[_Figure, str, str]:
    """The figure in `core`, with the words before and after it (which must be empty / a unit)."""
    if between:
        core = _BETWEEN_AND.sub(" to ", core, count=1)
    found = parse_quantities(core)
    if not found:
        raise ValueError(f"expected {text!r} has no figure")
    first, last = found[0], found[-1]
    before, after = core[: first.span[0]].strip(), core[last.span[1] :].strip()
    ranged = any(q.bound is Bound.RANGE for q in found)  # "1-2-3" is no range of two ends
    if len(found) == 2 and not ranged and _RANGE_GAP.fullmatch(core, first.span[1], last.span[0]):
        return _Figure(_borrow_scale(first, last), last, R.BETWEEN), before, after
    if len(found) > 1:
        shown = ", ".join(repr(q.text) for q in found)
        raise ValueError(
            f"expected {text!r} has {len(found)} figures ({shown}), not one or a range"
        )
    if first.bound is Bound.RANGE:
        if not _WRITTEN_RANGE.search(first.text):
            raise ValueError(f"expected {text!r} is vague ({first.text!r}): write the figure")
        return _Figure(first, None, R.BETWEEN), before, after
    return _Figure(first, None, _hedge(first)), before, after


def _hedge(figure: Quantity) -> Relation | None:
    """The relation a hedge the normaliser read inside the figure states: by its words when
    they are ours ("月活跃用户超过 5 亿": 超过 is more than), turned over when they measure a
    fall ("下降超过40%" is less than -40%), else by its bound ("2亿多").

    >>> _hedge(parse_quantity("月活跃用户超过 5 亿")), _hedge(parse_quantity("2亿多"))
    (<Relation.MORE_THAN: 'more_than'>, <Relation.AT_LEAST: 'at_least'>)
    >>> _hedge(parse_quantity("下降超过40%"))
    <Relation.LESS_THAN: 'less_than'>
    """
    if figure.bound not in _FROM_BOUND:
        return None
    if m := _BEFORE_ANYWHERE.search(figure.text):
        said = _BEFORE[" ".join(m["w"].casefold().split())]
        return _FLIPPED.get(said, said) if is_fall(figure) else said
    return _FROM_BOUND[figure.bound]


def _borrow_scale(low: Quantity, high: Quantity) -> Quantity:
    """ "$35 to $45 million": the lower end takes the scale and unit written after the upper.

    >>> str(_borrow_scale(parse_quantity("$35"), parse_quantity("$45 million")).amount)
    '35000000'
    """
    tail = re.search(r"[0-9]([^0-9]*)$", high.text)
    if tail is None or not tail[1].strip() or not low.text[-1:].isdigit():
        return low
    return parse_quantity(low.text + tail[1]) or low


def _relation(text: str, words: list[tuple[str, Relation]], figure: _Figure) -> Relation:
    """The one relation the words and the figure state; words in conflict are an error.
    Words around a fall measure it: "down 40% or more" is at most -40%."""
    said = [(w, _FLIPPED.get(r, r)) for w, r in words] if is_fall(figure.low) else list(words)
    if figure.relation is not None:
        said.append((figure.low.text, figure.relation))
    relations = {relation for _, relation in said}
    if len(relations) > 1:
        shown = " and ".join(repr(word) for word, _ in said)
        raise ValueError(f"expected {text!r} has relation words in conflict: {shown}")
    if relations == {R.BETWEEN} and figure.low.bound is not Bound.RANGE and figure.high is None:
        raise ValueError(f"expected {text!r} says between but has one figure")
    return relations.pop() if relations else R.EXACT


def read_expected(text: str, *, unit: str | None = None) -> ExpectedReading:
    """The expected value `text` states, in canonical units; ValueError when ambiguous.

    >>> r = read_expected("$10/M tokens")
    >>> r.relation, r.amount, r.upper, r.unit, r.text
    (<Relation.EXACT: 'exact'>, Decimal('0.00001'), None, 'USD/token', '$10/M tokens')
    >>> r = read_expected("超过 88 分")
    >>> r.relation, r.amount, r.unit
    (<Relation.MORE_THAN: 'more_than'>, Decimal('88'), 'points')
    >>> read_expected("4050 亿", unit="parameters").amount
    Decimal('405000000000')
    """
    core, words = _peel(text)
    figure, before, after = _figure(text, core, any(r is R.BETWEEN for _, r in words))
    relation = _relation(text, words, figure)
    if before:
        raise ValueError(f"expected {text!r}: cannot read {before!r} before the figure")
    low, high = figure.low, figure.high
    lower, upper = low.amount, high.amount if high is not None else None
    if low.bound is Bound.RANGE:
        lower, upper = low.lower or low.amount, low.upper
    written = _written_unit(text, [low, high], after)
    factor, canonical = _unit_factor(text, written, unit, low.text)
    with localcontext(prec=80):
        lower = _plain(lower * factor)
        upper = None if upper is None else _plain(upper * factor)
    if upper is not None and lower > upper:
        raise ValueError(f"expected {text!r}: the range's lower end is above its upper end")
    return ExpectedReading(relation, lower, upper, canonical, text)


def _written_unit(text: str, figures: list[Quantity | None], after: str) -> str | None:
    """The unit the text names: the normaliser's, or the words after the figure."""
    units = {q.unit for q in figures if q is not None and q.unit is not None}
    if len(units) > 1:
        raise ValueError(f"expected {text!r} names two units: {' and '.join(sorted(units))}")
    if after and units:
        if re.match(r"(?i)(?:/|per\s|每)", after):  # "10 USD/M tokns": the registry names it
            lookup_unit(f"{units.pop()}{after}")
        raise ValueError(f"expected {text!r}: cannot read {after!r} after the figure")
    return after or (units.pop() if units else None)


def _unit_factor(
    text: str, written: str | None, declared: str | None, figure: str
) -> tuple[Decimal, str | None]:
    """(factor, canonical unit) that the text and the declared unit agree on; the figure's
    own scale ("4050 亿") is already in its amount, so a declared scale may not add another."""
    factor, canonical = Decimal(1), None
    if written is not None:
        unit = lookup_unit(written)
        factor, canonical = unit.factor, unit.canonical
    if declared is not None:
        given = lookup_unit(declared)
        numerator = given.canonical.partition("/")[0]
        if canonical is None or (canonical == numerator and canonical != given.canonical):
            if given.factor > 1 and re.search(r"[^0-9.,\s$€£¥￥]", figure):
                raise ValueError(f"expected {text!r}: the scale is given twice (unit {declared!r})")
            factor, canonical = factor * given.factor, given.canonical
        elif canonical != given.canonical:
            raise ValueError(
                f"expected {text!r} is in {canonical}, but the declared unit is {declared!r}"
            )
    return factor, canonical


def _plain(value: Decimal) -> Decimal:
    value = value.normalize()
    return value.quantize(Decimal(1)) if int(value.as_tuple().exponent) > 0 else value


_SAID = {R.ABOUT: "about ", R.NEARLY: "nearly ", R.AT_LEAST: "at least "}
_SAID |= {R.MORE_THAN: "more than ", R.AT_MOST: "at most ", R.LESS_THAN: "less than "}
_SYMBOLS = {"USD": "$", "EUR": "€", "CNY": "¥", "GBP": "£"}
_SCALE_NAMES = ((12, "trillion", "T"), (9, "billion", "B"), (6, "million", "M"))


def describe_expected(
    relation: Relation,
    amount: Decimal | None,
    upper: Decimal | None,
    unit: str | None,
    *,
    tolerance: Decimal | None = None,
) -> str:
    """The claim in words as it will be judged; `tolerance` is relative (0.1 is 10%).

    >>> describe_expected(R.AT_LEAST, Decimal(250000), None, "organisations")
    'at least 250,000 organisations'
    >>> describe_expected(R.BETWEEN, Decimal(35e6), Decimal(45e6), None)
    'between 35 million and 45 million'
    >>> describe_expected(R.ABOUT, Decimal(50), None, "%", tolerance=Decimal("0.1"))
    'about 50% (within 10%)'
    >>> describe_expected(R.EXACT, Decimal("405E9"), None, "parameters")
    '405B parameters'
    >>> describe_expected(R.EXACT, Decimal("0.00001"), None, "USD/token")
    '$10.00/M tokens'
    """
    if amount is None:
        return f"{relation.value.replace('_', ' ')} (no figure)"
    number, suffix = _figure_parts(amount, unit)
    if relation is R.BETWEEN and upper is not None:
        said = f"between {number} and {_figure_parts(upper, unit)[0]}{suffix}"
    elif relation is R.INCLUDES:
        said = f"{number}{suffix} among the values"
    else:
        said = f"{_SAID.get(relation, '')}{number}{suffix}"
    if tolerance is not None and relation in (R.EXACT, R.ABOUT, R.NEARLY):
        said += f" (within {format(_plain(tolerance * 100), 'f')}%)"
    return said


def _figure_parts(amount: Decimal, unit: str | None) -> tuple[str, str]:
    """(number, unit suffix), in the style of the judge's reasons: "$3.50" "/M tokens".

    >>> _figure_parts(Decimal(20), "USD/month"), _figure_parts(Decimal(2007), None)
    (('$20.00', '/month'), ('2007', ''))
    """
    currency, _, per = (unit or "").partition("/")
    if currency in _SYMBOLS:
        if per == "token":
            return _SYMBOLS[currency] + _money(amount.scaleb(6)), "/M tokens"
        return _SYMBOLS[currency] + _money(amount), f"/{per}" if per else ""
    if unit == "%":
        return format(_plain(amount), "f"), "%"
    if unit == "parameters":
        return _number(amount, short=True), " parameters"
    return _number(amount, short=False), f" {unit}" if unit else ""


def _money(amount: Decimal) -> str:
    """To the cent, or every digit a smaller price has; millions and up by name.

    >>> _money(Decimal("3.5")), _money(Decimal("0.125")), _money(Decimal("35E6"))
    ('3.50', '0.125', '35 million')
    """
    if abs(amount) >= 10**6:
        return _number(amount, short=False)
    value = _plain(amount)
    if int(value.as_tuple().exponent) > -2:
        value = value.quantize(Decimal("0.01"))
    return format(value, ",f" if abs(value) >= 10000 else "f")


def _number(amount: Decimal, *, short: bool) -> str:
    """Millions and up by name (or letter) when exact to three decimals; thousands separated
    from five digits on, so that a year stays "2007". Never rounded: it is the claim.

    >>> _number(Decimal("1640000000"), short=False), _number(Decimal("1234567"), short=True)
    ('1.64 billion', '1,234,567')
    """
    with localcontext(prec=80):
        for power, name, letter in _SCALE_NAMES:
            scaled = _plain(amount.scaleb(-power))
            if abs(scaled) >= 1 and int(scaled.as_tuple().exponent) >= -3:
                return (
                    f"{format(scaled, 'f')}{letter}" if short else f"{format(scaled, 'f')} {name}"
                )
        value = _plain(amount)
        return format(value, ",f" if abs(value) >= 10000 else "f")
