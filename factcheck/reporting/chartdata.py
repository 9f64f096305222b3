"""What the report's charts and source boxes show, from stored evidence: each record's value
against the claim's threshold (ratio and multi-record claims), evidence values over time, and
the figures a source gave in words. No database, no HTML: plain values for `views`.

Chart values are floats in a unit a reader knows: a price per token is shown per million tokens
("$/M tokens"), a parameter count in billions, as the reasons write them. Whether a record
supports the claim is decided as the judge decides it (`verdicts.intervals.place`), so a bar
agrees with the reason next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from factcheck.domain import ClaimKind, ClaimSpec, EvidenceItem, Hit, Quantity, Role
from factcheck.verdicts.figures import Figure, figures_of, show_amount, show_figures, show_given
from factcheck.verdicts.intervals import (
    ClaimInterval,
    Outcome,
    claim_interval,
    phrase,
    place,
    quotient,
    span_of,
)
from factcheck.verdicts.quantifiers import Record, failed_condition
from factcheck.verdicts.ratio import ratio_interval

# canonical unit -> (the unit a chart shows, the factor from canonical to it)
DISPLAY_UNITS: dict[str, tuple[str, Decimal]] = {
    "USD/token": ("$/M tokens", Decimal(10) ** 6),
    "parameters": ("B parameters", Decimal(10) ** -9),
}


def display(amount: Decimal, unit: str | None) -> tuple[float, str]:
    """A figure as a chart shows it: (value, unit).

    >>> display(Decimal("0.0000035"), "USD/token")
    (3.5, '$/M tokens')
    >>> display(Decimal("405E9"), "parameters"), display(Decimal(91), None)
    ((405.0, 'B parameters'), (91.0, ''))
    """
    shown, factor = DISPLAY_UNITS.get(unit or "", (unit or "", Decimal(1)))
    return float(amount * factor), shown


@dataclass(frozen=True)
class ChartBar:
    """One record's value against the threshold (display unit), and whether it supports the
    claim (None: open, excluded or not comparable)."""

    name: str
    value: float
    unit: str
    supports: bool | None


@dataclass(frozen=True)
class Bars:
    bars: tuple[ChartBar, ...] = ()
    threshold: float | None = None
    threshold_label: str | None = None


def _supports(outcome: Outcome) -> bool | None:
    return {Outcome.MATCH: True, Outcome.MISS: False}.get(outcome)


def _excluded(spec: ClaimSpec, figure: Figure) -> bool:
    """A record a declared condition leaves out ("value > 0") neither supports nor refutes."""
    record = Record(key=figure.key, value=figure, items=(), span=None, shown="")
    return bool(spec.conditions) and failed_condition(record, spec.conditions) != ""


def _bar(figure: Figure, supports: bool | None) -> ChartBar:
    value, unit = display(figure.amount, figure.unit)
    return ChartBar(figure.key, value, unit, supports)


def _figures(items: Sequence[EvidenceItem], role: Role) -> list[Figure]:
    return [f for item in items if item.role is role for f in figures_of(item)]


def ratio_bars(spec: ClaimSpec, items: Sequence[EvidenceItem]) -> Bars:
    """Each numerator record against the denominator times the claimed ratio (the first
    denominator figure: a quantified ratio has one)."""
    tops, bottoms = _figures(items, Role.NUMERATOR), _figures(items, Role.DENOMINATOR)
    if not tops:
        return Bars()
    interval = ratio_interval(spec)
    bottom = bottoms[0] if bottoms else None
    bars = []
    for top in tops:
        supports = None
        if isinstance(interval, ClaimInterval) and bottom is not None:
            span = quotient(top, bottom) if top.unit == bottom.unit else None
            if span is not None and not _excluded(spec, top):
                supports = _supports(place(interval, span))
        bars.append(_bar(top, supports))
    if not isinstance(interval, ClaimInterval) or bottom is None:
        return Bars(tuple(bars))
    if all(top.unit != bottom.unit for top in tops):  # users/month against users/week
        return Bars(tuple(bars))
    threshold, _ = display(interval.target * bottom.amount, bottom.unit)
    label = (
        f"{show_figures([Figure('', interval.target, None)])} × {bottom.key} "
        f"({show_amount(bottom.amount, bottom.unit)}) = "
        f"{show_amount(interval.target * bottom.amount, bottom.unit)}"
    )
    return Bars(tuple(bars), threshold, label)


def quantity_bars(spec: ClaimSpec, items: Sequence[EvidenceItem]) -> Bars:
    """Each record of a multi-record quantity claim against the claimed amount; a claim with a
    single figure and no quantifier has no chart (the sentence says it all)."""
    figures = _figures(items, Role.VALUE)
    if not figures or (len(figures) < 2 and spec.quantifier is None):
        return Bars()
    expected = spec.expected
    interval = claim_interval(
        expected.relation, expected.amount, upper=expected.upper, tolerance=spec.tolerance
    )
    bars = []
    for figure in figures:
        supports = None
        comparable = isinstance(interval, ClaimInterval) and figure.unit == expected.unit
        if comparable and not _excluded(spec, figure):
            assert isinstance(interval, ClaimInterval)
            supports = _supports(place(interval, span_of(figure)))
        bars.append(_bar(figure, supports))
    if not isinstance(interval, ClaimInterval):
        return Bars(tuple(bars))
    threshold, _ = display(interval.target, expected.unit)
    label = "claimed: " + phrase(interval, lambda amount: show_amount(amount, expected.unit))
    return Bars(tuple(bars), threshold, label)


def claim_bars(spec: ClaimSpec, items: Sequence[EvidenceItem]) -> Bars:
    """The records chart of a claim (a prediction's by its inner kind), or none."""
    kind = spec.inner_kind if spec.kind is ClaimKind.PREDICTION and spec.inner_kind else spec.kind
    if kind is ClaimKind.RATIO:
        return ratio_bars(spec, items)
    if kind is ClaimKind.QUANTITY:
        return quantity_bars(spec, items)
    return Bars()


# -- a source's figures and excerpt -------------------------------------------------------------


def hit_figure(hit: Hit, quantity: Quantity | None) -> Figure | None:
    """The figure a hit carries: a value the rule computed (in its quantity's unit), else its
    quantity; None for a phrase."""
    if hit.value is not None:
        return Figure(hit.key or "", hit.value, quantity.unit if quantity else None)
    if quantity is None:
        return None
    bounds = (quantity.bound, quantity.lower, quantity.upper)
    return Figure(hit.key or "", quantity.amount, quantity.unit, *bounds, given=quantity.given)


def values_in_words(hits: Sequence[Hit], quantities: Sequence[Quantity | None]) -> tuple[str, ...]:
    """The figures a source gave, as reasons write them, each record named by its key.

    >>> hits = (Hit("405B", "", ""), Hit("0.0000035", "", "", key="host", value=Decimal("3.5E-6")))
    >>> quantities = (Quantity(Decimal("405E9"), "parameters"), Quantity(Decimal(0), "USD/token"))
    >>> values_in_words(hits, quantities)
    ('405B parameters', 'host: $3.50/M tokens')
    """
    words: list[str] = []
    for index, hit in enumerate(hits):
        figure = hit_figure(hit, quantities[index] if index < len(quantities) else None)
        if figure is not None:
            said = show_figures([figure]) + show_given([figure])
            words.append(f"{hit.key}: {said}" if hit.key else said)
    return tuple(dict.fromkeys(words))


def highlight(excerpt: str | None, raw: str | None) -> str | None:
    """The part of the excerpt to mark: the raw hit when the excerpt holds it, else None.

    >>> highlight("… in 8B, 70B and 405B sizes …", "405B"), highlight("… 0.3 …", "0.000007975")
    ('405B', None)
    """
    if not excerpt or not raw or raw not in excerpt:
        return None
    return raw


# -- evidence values over time ------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    """One evidence value over time (display unit), named by its source."""

    at: datetime
    value: float
    unit: str
    source: str


def series_point(
    *, at: datetime, value: str, unit: str | None, source_key: str, role: str
) -> ChartPoint | None:
    """One evidence row's value as a chart point; None when the stored value is not a number."""
    try:
        amount = Decimal(value)
    except ArithmeticError:
        return None
    if not amount.is_finite():
        return None
    shown, display_unit = display(amount, unit)
    name = source_key if role == Role.VALUE.value else f"{source_key} ({role})"
    return ChartPoint(at, shown, display_unit, name)
