"""Hits become figures in the link's declared unit, converted to the canonical unit."""

from __future__ import annotations

from decimal import Decimal

from factcheck.domain import Bound, Hit
from factcheck.normalising.hits import normalise


def test_a_declared_unit_at_another_scale_is_converted_and_remembered() -> None:
    hits = (Hit("0.01", "", "row 1"), Hit("3 and 1", "", "row 2", value=Decimal("2.5")))

    _, (read, computed) = normalise(hits, unit="USD/K tokens", numeric=True)

    assert read is not None and computed is not None
    assert (read.amount, read.unit, read.given) == (
        Decimal("0.00001"),
        "USD/token",
        "0.01 USD/K tokens",
    )
    assert (computed.amount, computed.given) == (Decimal("0.0025"), "2.5 USD/K tokens")


def test_bounds_follow_the_conversion_and_a_canonical_unit_is_not_restated() -> None:
    _, (over,) = normalise((Hit("over 5 million", "", "x"),), unit="MAU", numeric=True)
    _, (plain,) = normalise((Hit("42", "", "x"),), unit="organisations", numeric=True)

    assert over is not None and over.unit == "users/month" and over.bound is Bound.AT_LEAST
    assert over.lower == Decimal("5000000") and over.given == ""
    assert plain is not None and (plain.amount, plain.unit, plain.given) == (
        Decimal(42),
        "organisations",
        "",
    )


def test_a_unit_declared_before_the_registry_is_kept_as_it_was() -> None:
    _, (kept,) = normalise((Hit("7", "", "x"),), unit="widgets/fortnight", numeric=True)

    assert kept is not None and (kept.amount, kept.unit) == (Decimal(7), "widgets/fortnight")
