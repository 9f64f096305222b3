"""expected: the golden table of expected values in words (EN and ZH), the refusals, and the
claim written back in words as it will be judged."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest

from factcheck.domain import Relation
from factcheck.normalising.expected import describe_expected, read_expected
from factcheck.normalising.measures import known_units

GOLDEN = Path(__file__).with_name("expected_golden.tsv")


class Case(NamedTuple):
    group: str
    text: str
    declared: str | None
    relation: Relation | None  # None: an error whose message contains `error`
    amount: Decimal | None
    upper: Decimal | None
    unit: str | None
    error: str


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _load_golden() -> list[Case]:
    cases, group = [], ""
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            group = line[3:].split()[0]
            continue
        if line.startswith("#") or not line.strip():
            continue
        text, declared, relation, *rest = line.split("\t")
        if relation == "!":
            cases.append(Case(group, text, declared or None, None, None, None, None, rest[0]))
            continue
        amount, upper, unit = rest
        cases.append(
            Case(
                group,
                text,
                declared or None,
                Relation(relation),
                _decimal(amount),
                _decimal(upper),
                unit or None,
                "",
            )
        )
    return cases


CASES = _load_golden()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.group}-{c.text!r}-{c.declared}" for c in CASES])
def test_golden(case: Case) -> None:
    if case.relation is None:
        with pytest.raises(ValueError) as raised:
            read_expected(case.text, unit=case.declared)
        message = str(raised.value)
        assert case.error in message
        assert "\n" not in message
        return
    read = read_expected(case.text, unit=case.declared)
    got = (read.relation, read.amount, read.upper, read.unit)
    assert got == (case.relation, case.amount, case.upper, case.unit)
    assert read.text == case.text
    assert all(type(x) is Decimal for x in (read.amount, read.upper) if x is not None)


def test_golden_table_covers_every_relation_in_both_languages() -> None:
    relations = {c.relation for c in CASES if c.relation is not None}
    assert relations == set(Relation) - {Relation.INCLUDES}
    chinese = {
        c.relation for c in CASES if c.relation and any("\u4e00" <= ch <= "\u9fff" for ch in c.text)
    }
    assert chinese >= {Relation.AT_LEAST, Relation.MORE_THAN, Relation.AT_MOST, Relation.LESS_THAN}
    assert chinese >= {Relation.ABOUT, Relation.NEARLY, Relation.BETWEEN, Relation.EXACT}
    assert sum(c.relation is None for c in CASES) >= 15  # refusals are half the job


def test_every_unit_read_is_a_known_canonical_unit() -> None:
    units = {c.unit for c in CASES if c.unit is not None}
    assert units <= set(known_units())


@pytest.mark.parametrize(
    ("text", "unit", "tolerance", "words"),
    [
        ("at least 250,000 organisations", None, None, "at least 250,000 organisations"),
        ("above 90", None, None, "more than 90"),
        ("between 35 and 45 million", None, None, "between 35 million and 45 million"),
        ("about 50%", None, Decimal("0.1"), "about 50% (within 10%)"),
        ("4050 亿", "parameters", None, "405B parameters"),
        ("$10/M tokens", None, None, "$10.00/M tokens"),
        ("超过 88 分", None, None, "more than 88 points"),
        ("不到 1 美元", None, None, "less than $1.00"),
        ("近 10 亿", None, Decimal("0.05"), "nearly 1 billion (within 5%)"),
        ("$35 to $45 million", None, None, "between $35 million and $45 million"),
        ("up to $20 a month", None, None, "at most $20.00/month"),
        ("5 亿月活", None, None, "500 million users/month"),
        ("2007", None, None, "2007"),
    ],
)
def test_described_as_it_will_be_judged(
    text: str, unit: str | None, tolerance: Decimal | None, words: str
) -> None:
    read = read_expected(text, unit=unit)
    said = describe_expected(read.relation, read.amount, read.upper, read.unit, tolerance=tolerance)
    assert said == words


def test_describe_a_claim_without_a_figure_or_among_values() -> None:
    assert describe_expected(Relation.AT_LEAST, None, None, None) == "at least (no figure)"
    described = describe_expected(Relation.INCLUDES, Decimal("405E9"), None, "parameters")
    assert described == "405B parameters among the values"


def test_a_range_reads_the_same_however_it_is_joined() -> None:
    forms = ("between 35 and 45 million", "35-45 million", "35 to 45 million", "35–45 million")
    readings = {(r.relation, r.amount, r.upper) for r in map(read_expected, forms)}
    assert readings == {(Relation.BETWEEN, Decimal(35_000_000), Decimal(45_000_000))}
