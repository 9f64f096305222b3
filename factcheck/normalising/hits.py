"""Hits -> figures: each extracted hit read by the normaliser, in the link's declared unit.

A link may declare the unit of the bare figures its rule extracts ("USD/token" for a JSON
price, "USD/M tokens" for a table of prices per million); they are converted here to the
registry's canonical unit, and the figure as declared is kept (`Quantity.given`) so that a
reason can show both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from factcheck.domain import Hit, Quantity
from factcheck.normalising.measures import UnknownUnit, to_canonical
from factcheck.normalising.quantities import parse_quantities


def _unit_factor(unit: str | None) -> tuple[Decimal, str | None]:
    """(factor, canonical unit) of a link's declared unit: "USD/M tokens" -> (1E-6,
    "USD/token"). A unit the registry does not know (declared before it existed) is kept as
    it is, unconverted, so that an old link still judges as it did.

    >>> _unit_factor("USD/M tokens"), _unit_factor("widgets")
    ((Decimal('0.000001'), 'USD/token'), (Decimal('1'), 'widgets'))
    """
    if unit is None:
        return Decimal(1), None
    try:
        return to_canonical(Decimal(1), unit)
    except UnknownUnit:
        return Decimal(1), unit


def _given(amount: Decimal, unit: str | None, factor: Decimal) -> str:
    """The figure as the link declared it, when converting changed it ("10 USD/M tokens")."""
    return "" if factor == 1 else f"{format(amount.normalize(), 'f')} {unit}"


def _times(value: Decimal, factor: Decimal) -> Decimal:
    return value if factor == 1 else (value * factor).normalize()


def _scaled(value: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if value is None else _times(value, factor)


def normalise(
    hits: Sequence[Hit], *, unit: str | None, numeric: bool
) -> tuple[tuple[Hit, ...], tuple[Quantity | None, ...]]:
    """One (hit, quantity) per figure for numeric claims; hits as they are otherwise. Bare
    figures take the link's unit, converted to its canonical unit with the figure as declared
    kept in `Quantity.given`."""
    if not numeric:
        return tuple(hits), tuple(None for _ in hits)
    factor, canonical = _unit_factor(unit)
    out_hits: list[Hit] = []
    out_quantities: list[Quantity | None] = []
    for hit in hits:
        if hit.value is not None:
            value = _times(hit.value, factor)
            out_hits.append(replace(hit, value=value))
            given = _given(hit.value, unit, factor)
            out_quantities.append(Quantity(value, canonical, text=hit.raw, given=given))
            continue
        found = parse_quantities(hit.raw)
        if not found:
            out_hits.append(hit)
            out_quantities.append(None)
        for q in found:
            if q.unit is None and unit:
                q = replace(
                    q,
                    amount=_times(q.amount, factor),
                    unit=canonical,
                    lower=_scaled(q.lower, factor),
                    upper=_scaled(q.upper, factor),
                    given=_given(q.amount, unit, factor),
                )
            out_hits.append(
                Hit(raw=q.text, excerpt=hit.excerpt, location=hit.location, key=hit.key)
            )
            out_quantities.append(q)
    return tuple(out_hits), tuple(out_quantities)
