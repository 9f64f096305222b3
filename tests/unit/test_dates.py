"""dates: the golden table of written dates (EN and ZH), read_date's refusals, and
the old import path through verdicts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import NamedTuple

import pytest

from factcheck.declarations.fields import check_partial_date
from factcheck.errors import ValidationError
from factcheck.normalising.dates import FoundDate, parse_dates, read_date
from factcheck.verdicts.dates import compare_dates, show_date

GOLDEN = Path(__file__).with_name("dates_golden.tsv")


class Case(NamedTuple):
    group: str
    text: str
    expected: str  # the date as far as its precision goes; "" for no date
    precision: str


def _load_golden() -> list[Case]:
    cases, group = [], ""
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            group = line[3:]
            continue
        if line.startswith("#") or not line:
            continue
        text, expected, precision = line.split("\t")
        cases.append(Case(group, text.replace("\\n", "\n"), expected, precision))
    return cases


CASES = _load_golden()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.group}-{c.text[:40]!r}" for c in CASES])
def test_golden(case: Case) -> None:
    found = parse_dates(case.text)
    if not case.expected:
        assert found == ()
        return
    first = found[0]
    assert (show_date(first.when, first.precision), first.precision) == (
        case.expected,
        case.precision,
    )
    assert first.text in case.text


def test_golden_table_covers_every_form() -> None:
    groups = {c.group for c in CASES}
    assert groups == {"numeric", "en_words", "zh", "not_a_date"}
    assert sum(not c.expected for c in CASES) >= 15
    assert {c.precision for c in CASES if c.expected} == {"year", "month", "day"}


def test_every_date_in_order_with_its_text() -> None:
    found = parse_dates("announced Jan. 9, 2007, on sale 2007年6月29日, updated 7/23/2024")
    assert [(d.text, d.when, d.precision) for d in found] == [
        ("Jan. 9, 2007", date(2007, 1, 9), "day"),
        ("2007年6月29日", date(2007, 6, 29), "day"),
        ("7/23/2024", date(2024, 7, 23), "day"),
    ]


def test_an_ambiguous_slash_date_is_read_to_the_year_only() -> None:
    (found,) = parse_dates("3/4/2024")
    assert found == FoundDate(date(2024, 1, 1), "year", "3/4/2024", found.ambiguous)
    assert found.ambiguous == "3/4/2024 may be March 4 or 3 April"
    assert compare_dates(found, date(2024, 3, 4), "day") == "open"  # agrees, cannot confirm


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("2024年9月25日", "2024-09-25", "day"),
        ("在2024年9月25日", "2024-09-25", "day"),
        ("on Sept 25, 2024", "2024-09-25", "day"),
        ("二〇〇七年六月二十九日", "2007-06-29", "day"),
        ("2024/07/23", "2024-07-23", "day"),
        ("7/23/2024", "2024-07-23", "day"),
        ("23.07.2024", "2024-07-23", "day"),
        ("2024-07", "2024-07-01", "month"),
        ("2024年9月", "2024-09-01", "month"),
        ("2024", "2024-01-01", "year"),
        ("二〇二四年", "2024-01-01", "year"),
    ],
)
def test_read_date(text: str, iso: str, precision: str) -> None:
    found = read_date(text)
    assert (found.when.isoformat(), found.precision) == (iso, precision)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "no date in 'soon'"),
        ("", "no date in ''"),
        ("February 30, 2024", "no date in 'February 30, 2024'"),
        ("3/4/2024", "ambiguous: 3/4/2024 may be March 4 or 3 April"),
        ("12/11/2024", "ambiguous: 12/11/2024 may be December 11 or 12 November"),
        ("2023 or 2024", "two dates in '2023 or 2024'"),
        ("2007年6月29日 and June 29, 2007", "two dates in '2007年6月29日 and June 29, 2007'"),
        ("1, 2024, 2025, 2026", "3 dates in '1, 2024, 2025, 2026'"),
    ],
)
def test_read_date_refuses_in_one_line(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        read_date(text)
    assert str(raised.value) == message


def test_a_long_text_is_cut_short_and_kept_on_one_line() -> None:
    with pytest.raises(ValueError) as raised:
        read_date("no date\n" * 40)
    message = str(raised.value)
    assert message.startswith("no date in 'no date\\nno date")
    assert message.endswith("...'")
    assert "\n" not in message
    assert len(message) < 100


@pytest.mark.parametrize(
    ("value", "when", "precision"),
    [
        ("2024", date(2024, 1, 1), "year"),
        (2024, date(2024, 1, 1), "year"),
        ("2024-07", date(2024, 7, 1), "month"),
        ("2024-07-23", date(2024, 7, 23), "day"),
        (date(2024, 7, 23), date(2024, 7, 23), "day"),
        ("2024年9月25日", date(2024, 9, 25), "day"),
        ("Sept 25, 2024", date(2024, 9, 25), "day"),
        ("二〇〇七年六月二十九日", date(2007, 6, 29), "day"),
    ],
)
def test_a_declared_date_is_read_at_its_precision(
    value: object, when: date, precision: str
) -> None:
    assert check_partial_date(value, "expected") == (when, precision)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3/4/2024", "field 'expected': ambiguous: 3/4/2024 may be March 4 or 3 April"),
        ("soon", "field 'expected': no date in 'soon'"),
        ("2024-13", "field 'expected': '2024-13' is not a date"),
        (True, "field 'expected': expected a date, got bool"),
    ],
)
def test_a_declared_date_refused_names_the_field(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        check_partial_date(value, "expected")
    assert str(raised.value) == message
