"""What a claim allows and what the evidence allows, as intervals, and how they meet.

A claim's `Relation` becomes a `ClaimInterval` (`tolerance` is relative for quantities and
absolute for ratios):

    EXACT      [x(1-t), x(1+t)]; t None: exactly x (ratios: t defaults to 0.1)
    ABOUT      as EXACT, t defaulting to 0.1
    NEARLY     [x(1-t), x], t defaulting to 0.1: just short of x in magnitude, so for a
               negative x the window lies towards zero ("nearly -40%" is [-40, -36])
    AT_LEAST   [x, inf)          MORE_THAN  (x, inf)
    AT_MOST    (-inf, x]         LESS_THAN  (-inf, x)
    BETWEEN    [amount, upper]

The evidence is a `Span`: the true figure's limits as the source gives them (`Figure.limits()`:
"over 300,000" is [300000, inf), a range is [lo, hi], an exact figure a point, an approximate
one ("about 90") a point for EXACT and ABOUT claims, whose window is the tolerance already, and
for every other relation the figure as rounded at its last non-zero digit: +/- half a unit of
that digit ("about 90" is 85..95 and neither shows nor rules out "at least 90"; "about 89" is
88.5..89.5 and shows "less than 90"; "about 500 million" is 450..550 million).

`place` meets the two:

* EXACT and ABOUT keep the rule verdicts have always had: a span disjoint from the window
  misses, inside it matches, and one overlapping it matches only when the stated figure is in
  the window ("over 500 million" supports the claim "500 million"), else it is open.
* Every other relation: MATCH when every value the span allows satisfies the claim, MISS when
  none does, OPEN when the span straddles the claim's bound.
* Edge: the normaliser does not record whether "over" was strict, so a span's lower bound read
  from "over"/"at least" that equals a strict claim bound pointing the same way counts as shown
  ("over 300,000" shows "more than 300,000"); likewise "under 90" shows "less than 90". Other
  span ends are inclusive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from factcheck.domain import Bound, Relation
from factcheck.verdicts.figures import Figure, plain

DEFAULT_TOLERANCE = Decimal("0.1")  # ABOUT and NEARLY without one; EXACT ratios too
WINDOWED = (Relation.EXACT, Relation.ABOUT)


class Outcome(StrEnum):
    MATCH = "match"
    MISS = "miss"
    OPEN = "open"  # the evidence neither shows nor rules out the claim


@dataclass(frozen=True)
class Span:
    """The values the evidence allows; None is unbounded. `loose_low`/`loose_high`: that end
    was read from "over"/"under", which may have been strict (see the module docstring)."""

    low: Decimal | None
    high: Decimal | None
    amount: Decimal  # the figure as stated
    loose_low: bool = False
    loose_high: bool = False
    approximate: bool = False  # "about 90": rounded, so widened against a bound


def _widened(span: Span) -> Span:
    """An approximate figure as the values it allows: the figure as rounded at its last
    non-zero digit, +/- half a unit of that digit.

    >>> w = _widened(Span(Decimal(90), Decimal(90), Decimal(90), approximate=True))
    >>> w.low, w.high
    (Decimal('85'), Decimal('95'))
    >>> w = _widened(Span(Decimal(89), Decimal(89), Decimal(89), approximate=True))
    >>> w.low, w.high
    (Decimal('88.5'), Decimal('89.5'))
    """
    if span.low is None or span.high is None or span.amount == 0:
        return span
    exponent = int(span.amount.normalize().as_tuple().exponent)
    half = Decimal(5).scaleb(exponent - 1)
    return Span(span.low - half, span.high + half, span.amount, span.loose_low, span.loose_high)


def span_of(figure: Figure) -> Span:
    """The span of one figure.

    >>> span = span_of(Figure("a", Decimal(300), None, Bound.AT_LEAST, lower=Decimal(300)))
    >>> span.low, span.high, span.loose_low, span.approximate
    (Decimal('300'), None, True, False)
    """
    low, high = figure.limits()
    loose_low, loose_high = figure.bound is Bound.AT_LEAST, figure.bound is Bound.AT_MOST
    approximate = figure.bound is Bound.APPROXIMATE
    return Span(low, high, figure.amount, loose_low, loose_high, approximate)


def quotient(top: Figure, bottom: Figure) -> Span | None:
    """The span of top / bottom; None when the bottom may be zero (or is unbounded).

    >>> q = quotient(Figure("a", Decimal(6), None), Figure("b", Decimal(3), None, Bound.RANGE,
    ...     Decimal(2), Decimal(3)))
    >>> (q.low, q.high, q.amount)
    (Decimal('2'), Decimal('3'), Decimal('2'))
    """
    (t_low, t_high), (b_low, b_high) = top.limits(), bottom.limits()
    if b_low is None or b_high is None or b_low <= 0 <= b_high:
        return None
    if b_high < 0:  # divide by -bottom: mirror the top
        t_low, t_high = _neg(t_high), _neg(t_low)
        b_low, b_high = -b_high, -b_low
    low = None if t_low is None else t_low / (b_high if t_low >= 0 else b_low)
    high = None if t_high is None else t_high / (b_low if t_high >= 0 else b_high)
    loose_low = top.bound is Bound.AT_LEAST or bottom.bound is Bound.AT_MOST
    loose_high = top.bound is Bound.AT_MOST or bottom.bound is Bound.AT_LEAST
    approximate = Bound.APPROXIMATE in (top.bound, bottom.bound)
    return Span(low, high, top.amount / bottom.amount, loose_low, loose_high, approximate)


def _neg(value: Decimal | None) -> Decimal | None:
    return None if value is None else -value


@dataclass(frozen=True)
class ClaimInterval:
    """The values a claim allows. `target` is the claimed figure (BETWEEN: the lower end)."""

    relation: Relation
    target: Decimal
    low: Decimal | None
    high: Decimal | None
    low_strict: bool = False
    high_strict: bool = False
    tolerance: Decimal | None = None  # as applied (EXACT/ABOUT/NEARLY)
    upper: Decimal | None = None  # BETWEEN

    @property
    def windowed(self) -> bool:
        return self.relation in WINDOWED

    def holds(self, value: Decimal) -> bool:
        """Whether one exact value satisfies the claim."""
        return place(self, Span(value, value, value)) is Outcome.MATCH


def claim_interval(
    relation: Relation,
    amount: Decimal | None,
    *,
    upper: Decimal | None = None,
    tolerance: Decimal | None = None,
    absolute: bool = False,
) -> ClaimInterval | str:
    """The claim's interval, or what is missing to make one (a problem for the reason).

    >>> claim_interval(Relation.MORE_THAN, Decimal(90))  # doctest: +ELLIPSIS
    ClaimInterval(relation=<Relation.MORE_THAN: 'more_than'>, ..., low=Decimal('90'), high=None...
    >>> claim_interval(Relation.NEARLY, Decimal(90)).low
    Decimal('81.0')
    >>> claim_interval(Relation.NEARLY, Decimal(-40)).high
    Decimal('-36.0')
    >>> claim_interval(Relation.BETWEEN, Decimal(1))
    'a between claim needs an upper end'
    """
    if amount is None:
        return "the claim gives no expected amount"
    if relation is Relation.BETWEEN:
        if upper is None:
            return "a between claim needs an upper end"
        if upper < amount:
            return "a between claim's upper end is below its lower end"
        return ClaimInterval(relation, amount, amount, upper, upper=upper)
    if relation in (Relation.EXACT, Relation.ABOUT, Relation.NEARLY):
        if tolerance is None and (relation is not Relation.EXACT or absolute):
            tolerance = DEFAULT_TOLERANCE
        delta = (tolerance or 0) * (1 if absolute else abs(amount))
        low, high = amount - delta, amount + delta
        if relation is Relation.NEARLY:  # short of the figure, towards zero
            low, high = (amount, high) if amount < 0 else (low, amount)
        return ClaimInterval(relation, amount, low, high, tolerance=tolerance)
    one_sided = {
        Relation.AT_LEAST: ClaimInterval(relation, amount, amount, None),
        Relation.MORE_THAN: ClaimInterval(relation, amount, amount, None, low_strict=True),
        Relation.AT_MOST: ClaimInterval(relation, amount, None, amount),
        Relation.LESS_THAN: ClaimInterval(relation, amount, None, amount, high_strict=True),
    }
    if relation not in one_sided:
        return f"a {relation} relation does not apply to a single figure"
    return one_sided[relation]


def place(claim: ClaimInterval, span: Span) -> Outcome:
    """How the evidence's span stands to the claim (rules in the module docstring).

    >>> more = claim_interval(Relation.MORE_THAN, Decimal(300))
    >>> over = Span(Decimal(300), None, Decimal(300), loose_low=True)
    >>> place(more, over), place(more, Span(Decimal(300), Decimal(300), Decimal(300)))
    (<Outcome.MATCH: 'match'>, <Outcome.MISS: 'miss'>)
    """
    if span.approximate and not claim.windowed:
        span = _widened(span)
    if _disjoint(claim, span):
        return Outcome.MISS
    if _inside(claim, span):
        return Outcome.MATCH
    if claim.windowed and claim.low is not None and claim.high is not None:
        return Outcome.MATCH if claim.low <= span.amount <= claim.high else Outcome.OPEN
    return Outcome.OPEN


def _disjoint(claim: ClaimInterval, span: Span) -> bool:
    below = (
        claim.low is not None
        and span.high is not None
        and (span.high < claim.low or (span.high == claim.low and claim.low_strict))
    )
    above = (
        claim.high is not None
        and span.low is not None
        and (span.low > claim.high or (span.low == claim.high and claim.high_strict))
    )
    return below or above


def _inside(claim: ClaimInterval, span: Span) -> bool:
    low_ok = claim.low is None or (
        span.low is not None
        and (
            span.low > claim.low
            or (span.low == claim.low and (not claim.low_strict or span.loose_low))
        )
    )
    high_ok = claim.high is None or (
        span.high is not None
        and (
            span.high < claim.high
            or (span.high == claim.high and (not claim.high_strict or span.loose_high))
        )
    )
    return low_ok and high_ok


Shown = Callable[[Decimal], str]  # how a claimed number is written (with its unit, or not)


def phrase(claim: ClaimInterval, show: Shown) -> str:
    """The claim in words, for "3 of 4 records are <phrase>".

    >>> phrase(claim_interval(Relation.AT_LEAST, Decimal(250000)), plain)
    'at least 250000'
    """
    x = show(claim.target)
    words = {
        Relation.MORE_THAN: f"more than {x}",
        Relation.AT_LEAST: f"at least {x}",
        Relation.LESS_THAN: f"less than {x}",
        Relation.AT_MOST: f"at most {x}",
    }
    if claim.relation in words:
        return words[claim.relation]
    if claim.relation is Relation.BETWEEN and claim.upper is not None:
        return f"between {x} and {show(claim.upper)}"
    if claim.relation is Relation.NEARLY and claim.low is not None and claim.high is not None:
        return f"nearly {x} ({show(claim.low)} to {show(claim.high)})"
    if claim.tolerance:
        return f"within {plain(claim.tolerance * 100)}% of {x}"
    return f"equal to {x}"


def says(claim: ClaimInterval, outcome: Outcome, show: Shown) -> str:
    """What a figure's outcome says of the claim: "is above 90", "does not show more than 90".

    >>> more = claim_interval(Relation.MORE_THAN, Decimal(90))
    >>> says(more, Outcome.MISS, plain), says(more, Outcome.OPEN, plain)
    ('is not above 90', 'does not show more than 90')
    """
    x = show(claim.target)
    if outcome is Outcome.OPEN:
        return f"does not show {phrase(claim, show)}"
    words = {
        Relation.MORE_THAN: (f"is above {x}", f"is not above {x}"),
        Relation.AT_LEAST: (f"is at least {x}", f"is below {x}"),
        Relation.LESS_THAN: (f"is below {x}", f"is not below {x}"),
        Relation.AT_MOST: (f"is at most {x}", f"is above {x}"),
    }
    match, miss = words.get(claim.relation, (f"is {phrase(claim, show)}", ""))
    if outcome is Outcome.MATCH:
        return match
    return miss or f"is not {phrase(claim, show)}"


def raw_claim(claim: ClaimInterval, unit: str | None) -> str:
    """The claim for `Judgement.figures`, every digit kept: ">90", ">=250000 organisations",
    "35000000..45000000", "~450 parameters" (ABOUT), "81..90" (NEARLY).

    >>> raw_claim(claim_interval(Relation.AT_LEAST, Decimal(250000)), "organisations")
    '>=250000 organisations'
    """
    suffix = f" {unit}" if unit else ""
    symbols = {
        Relation.MORE_THAN: ">",
        Relation.AT_LEAST: ">=",
        Relation.LESS_THAN: "<",
        Relation.AT_MOST: "<=",
        Relation.ABOUT: "~",
        Relation.EXACT: "",
    }
    if claim.relation in symbols:
        return f"{symbols[claim.relation]}{plain(claim.target)}{suffix}"
    low = claim.low if claim.low is not None else claim.target
    high = claim.high if claim.high is not None else claim.target
    return f"{plain(low)}..{plain(high)}{suffix}"
