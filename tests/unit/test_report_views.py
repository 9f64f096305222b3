"""The report's chart data, without a database: each record against the claim's threshold,
decided as the judge decides it, and the doctests of the view-model modules."""

from __future__ import annotations

import doctest
import importlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from factcheck.domain import (
    Bound,
    ClaimKind,
    ClaimSpec,
    EvidenceItem,
    ExpectedValue,
    Hit,
    Quantifier,
    Quantity,
    RecordCondition,
    Relation,
    Role,
)
from factcheck.reporting import chartdata
from factcheck.reporting.chartdata import claim_bars, series_point

AT = datetime(2026, 11, 29, tzinfo=UTC)


def _item(role: Role, *records: tuple[str | None, str, str | None]) -> EvidenceItem:
    hits = tuple(Hit(raw=amount, excerpt="", location="", key=key) for key, amount, _ in records)
    quantities = tuple(Quantity(Decimal(amount), unit) for _, amount, unit in records)
    return EvidenceItem("prices", "Prices", role, AT, hits, quantities)


@pytest.mark.parametrize("module", ["factcheck.reporting.chartdata", "factcheck.reporting.views"])
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_quantified_quantity_claim_excludes_records_by_condition() -> None:
    spec = ClaimSpec(
        "score",
        ClaimKind.QUANTITY,
        ExpectedValue(amount=Decimal(88), relation=Relation.MORE_THAN),
        quantifier=Quantifier.ALL,
        conditions=(RecordCondition("key", "!~", "*preview*", "key !~ *preview*"),),
    )
    item = _item(Role.VALUE, ("a", "91", None), ("b", "80", None), ("b-preview", "99", None))
    chart = claim_bars(spec, [item])
    assert [(b.name, b.value, b.supports) for b in chart.bars] == [
        ("a", 91.0, True),
        ("b", 80.0, False),
        ("b-preview", 99.0, None),  # left out by the claim's condition
    ]
    assert chart.threshold == 88.0 and chart.threshold_label == "claimed: more than 88"


def test_one_figure_without_quantifier_has_no_chart() -> None:
    spec = ClaimSpec("size", ClaimKind.QUANTITY, ExpectedValue(amount=Decimal(405), unit="B"))
    assert claim_bars(spec, [_item(Role.VALUE, (None, "405", "B"))]).bars == ()


def test_ratio_in_other_units_has_bars_but_no_threshold() -> None:
    spec = ClaimSpec("users", ClaimKind.RATIO, ExpectedValue(amount=Decimal(1)))
    top = _item(Role.NUMERATOR, ("meta", "700000000", "users/month"))
    bottom = _item(Role.DENOMINATOR, ("openai", "400000000", "users/week"))
    chart = claim_bars(spec, [top, bottom])
    assert [(b.name, b.unit, b.supports) for b in chart.bars] == [("meta", "users/month", None)]
    assert (chart.threshold, chart.threshold_label) == (None, None)


def test_ratio_bars_against_the_denominator_times_the_claimed_ratio() -> None:
    spec = ClaimSpec(
        "half",
        ClaimKind.RATIO,
        ExpectedValue(amount=Decimal("0.5")),
        tolerance=Decimal("0.15"),
    )
    top = _item(
        Role.NUMERATOR, ("cheap", "0.0000035", "USD/token"), ("dear", "0.000008", "USD/token")
    )
    bottom = _item(Role.DENOMINATOR, ("gpt-4o", "0.0000075", "USD/token"))
    chart = claim_bars(spec, [top, bottom])
    assert [(b.name, b.supports) for b in chart.bars] == [("cheap", True), ("dear", False)]
    assert [b.value for b in chart.bars] == pytest.approx([3.5, 8.0])
    assert chart.threshold == pytest.approx(3.75)
    assert chart.threshold_label == "0.5 × gpt-4o ($7.50/M tokens) = $3.75/M tokens"
    no_denominator = claim_bars(spec, [top])
    assert len(no_denominator.bars) == 2 and no_denominator.threshold is None


def test_series_point_names_the_role_and_skips_non_numbers() -> None:
    point = series_point(
        at=AT, value="0.0000075", unit="USD/token", source_key="p", role="denominator"
    )
    assert point is not None and (point.value, point.unit, point.source) == (
        pytest.approx(7.5),
        "$/M tokens",
        "p (denominator)",
    )
    value = series_point(at=AT, value="91", unit=None, source_key="p", role="value")
    assert value is not None and value.source == "p"
    assert series_point(at=AT, value="n/a", unit=None, source_key="p", role="value") is None
    assert series_point(at=AT, value="NaN", unit=None, source_key="p", role="value") is None


def test_values_in_words_keeps_bounds_and_given_units() -> None:
    hits = (Hit("超过 5 亿", "", ""), Hit("0.01", "", ""))
    quantities = (
        Quantity(Decimal("5E8"), "people", Bound.AT_LEAST, lower=Decimal("5E8")),
        Quantity(Decimal("1E-5"), "USD/token", given="0.01 USD/K tokens"),
    )
    assert chartdata.values_in_words(hits, quantities) == (
        "at least 500 million people",
        "$10.00/M tokens (given as 0.01 USD/K tokens)",
    )
