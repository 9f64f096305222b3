"""measures: the golden table of units as written, the dimensions that never convert, and the
contract with the normaliser (every unit it emits is a known canonical unit)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factcheck.normalising.measures import (
    CURRENCIES,
    UnknownUnit,
    convertible,
    describe_difference,
    known_units,
    lookup_unit,
    to_canonical,
)
from factcheck.normalising.quantities import parse_quantities

HERE = Path(__file__).parent
GOLDEN = HERE / "units_golden.tsv"
QUANTITIES_GOLDEN = HERE / "quantities_golden.tsv"


class Case(NamedTuple):
    group: str
    text: str
    amount: Decimal
    canonical_amount: Decimal | None  # None: an error whose message contains `canonical`
    canonical: str


def _load_golden() -> list[Case]:
    cases, group = [], ""
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            group = line[3:].split()[0]
            continue
        if line.startswith("#") or not line.strip():
            continue
        text, amount, canonical_amount, canonical = line.split("\t")
        expected = None if canonical_amount == "!" else Decimal(canonical_amount)
        cases.append(Case(group, text, Decimal(amount), expected, canonical))
    return cases


CASES = _load_golden()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.group}-{c.text!r}" for c in CASES])
def test_golden(case: Case) -> None:
    if case.canonical_amount is None:
        with pytest.raises(UnknownUnit) as raised:
            to_canonical(case.amount, case.text)
        message = str(raised.value)
        assert case.canonical in message
        assert "\n" not in message
        return
    amount, unit = to_canonical(case.amount, case.text)
    assert (amount, unit) == (case.canonical_amount, case.canonical)
    assert type(amount) is Decimal
    assert int(amount.as_tuple().exponent) <= 0  # canonical: 405000000000, never 4.05E+11


def test_golden_table_covers_every_group_and_canonical_family() -> None:
    groups = {c.group for c in CASES}
    assert {"price_per_token", "money", "model_size", "tokens", "percent", "users"} <= groups
    assert {"count_nouns", "unknown"} <= groups
    read = {c.canonical for c in CASES if c.canonical_amount is not None}
    assert {f"{c}/token" for c in CURRENCIES} <= read
    assert {"users/month", "users/week", "users/day", "users", "people", "%"} <= read


def test_every_canonical_unit_is_itself_with_factor_one() -> None:
    dimensions = set()
    for name in known_units():
        unit = lookup_unit(name)
        assert (unit.canonical, unit.factor, unit.text) == (name, Decimal(1), name)
        dimensions.add(unit.dimension)
    assert len(dimensions) == len(known_units()) == len(set(known_units()))


def _emitted_units() -> set[str]:
    units = set()
    for line in QUANTITIES_GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        text = line.split("\t")[0].replace("\\n", "\n")
        units |= {q.unit for q in parse_quantities(text) if q.unit is not None}
    return units


def test_every_unit_the_normaliser_emits_is_known() -> None:
    emitted = _emitted_units()
    assert {"parameters", "USD/token", "users/month", "%"} <= emitted  # the table was read
    assert emitted - set(known_units()) == set()


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("WAU", "users/month", "users/week and users/month are different periods, never converted"),
        ("users/day", "MAU", "users/day and users/month are different periods, never converted"),
        ("tokens/minute", "tokens/day", "are different periods, never converted"),
        ("users", "MAU", "users and users/month are never converted: one is per month"),
        ("USD", "CNY", "USD and CNY are different currencies"),
        ("USD/M tokens", "元/百万tokens", "USD/token and CNY/token are different currencies"),
        ("B parameters", "tokens", "parameters and tokens measure different things"),
        ("users", "people", "users and people measure different things"),
        ("USD", "USD/token", "USD and USD/token measure different things"),
        (None, "%", "a bare number and % cannot be compared: one has no unit"),
        ("furlongs", "%", "'furlongs' is not a known unit"),
    ],
)
def test_units_that_never_convert(a: str | None, b: str | None, reason: str) -> None:
    assert not convertible(a, b)
    assert not convertible(b, a)
    assert reason in describe_difference(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("USD/M tokens", "USD/token"),
        ("$/1K tokens", "USD per million tokens"),
        ("B parameters", "十亿参数"),
        ("MAU", "月活"),
        ("percent", "%"),
        ("organizations", "organisations"),
        (None, None),
    ],
)
def test_aliases_of_one_unit_convert(a: str | None, b: str | None) -> None:
    assert convertible(a, b)
    assert "different" not in describe_difference(a, b)


def test_unknown_unit_is_a_value_error_naming_the_nearest() -> None:
    with pytest.raises(ValueError, match=r"did you mean 'USD/M tokens'\?$"):
        lookup_unit("USD/M tokns")
    assert lookup_unit("USD/M tokens").text == "USD/M tokens"  # as written


SCALED = st.sampled_from(
    [("K tokens", 3), ("M tokens", 6), ("B parameters", 9), ("亿参数", 8), ("USD/M tokens", -6)]
)


@given(
    digits=st.integers(min_value=0, max_value=10**30),
    places=st.integers(min_value=0, max_value=12),
    scaled=SCALED,
)
def test_conversion_is_exact(digits: int, places: int, scaled: tuple[str, int]) -> None:
    """A power-of-ten factor never rounds, whatever the figure's size or decimals."""
    text, power = scaled
    amount = Decimal(digits).scaleb(-places)
    converted, _ = to_canonical(amount, text)
    assert converted == amount.scaleb(power)
