"""quantities: the golden table of real strings, the documented choices, and properties."""

from __future__ import annotations

import doctest
import json
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck.domain import Bound, Quantity
from factcheck.normalising import groups, numbers, quantities, readers, signs, wording
from factcheck.normalising.quantities import (
    describe,
    parse_quantities,
    parse_quantity,
    same_unit,
    to_json,
)

GOLDEN = Path(__file__).with_name("quantities_golden.tsv")


class Case(NamedTuple):
    group: str
    text: str
    amount: Decimal | None
    unit: str | None
    bound: Bound
    lower: Decimal | None
    upper: Decimal | None


def _load_golden() -> list[Case]:
    cases, group = [], ""
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            group = line[3:]
            continue
        if line.startswith("#") or not line:
            continue
        text, amount, unit, bound, *limits = line.split("\t")
        lower, upper = (Decimal(limits[0]), Decimal(limits[1])) if limits else (None, None)
        cases.append(
            Case(
                group,
                text.replace("\\n", "\n"),
                Decimal(amount) if amount else None,
                unit or None,
                Bound(bound),
                lower,
                upper,
            )
        )
    return cases


CASES = _load_golden()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.group}-{c.text[:40]!r}" for c in CASES])
def test_golden(case: Case) -> None:
    q = parse_quantity(case.text)
    if case.amount is None:
        assert q is None
        return
    assert q is not None
    assert (q.amount, q.unit, q.bound) == (case.amount, case.unit, case.bound)
    assert type(q.amount) is Decimal
    if case.lower is not None:
        assert (q.lower, q.upper) == (case.lower, case.upper)


def test_golden_table_covers_every_source() -> None:
    groups = {c.group for c in CASES}
    assert len(CASES) >= 200
    assert groups == {"model_card", "price_list", "news_en", "interview_zh", "edge"}
    assert sum(c.amount is None for c in CASES) >= 20  # "None rather than guess" is tested too


def test_doctests() -> None:
    for module in (quantities, readers, groups, signs, numbers, wording):  # units: data
        result = doctest.testmod(module)
        assert (result.failed, result.attempted > 0) == (0, True), module.__name__


# The figures the issue names, spelled out exactly.


def test_sixteen_point_four_yi_is_exact() -> None:
    q = parse_quantity("16.4亿")
    assert q is not None
    assert q.amount == Decimal("1640000000")
    assert str(q.amount) == "1640000000"


def test_price_per_million_tokens_is_per_token() -> None:
    text = "$3.50 per million tokens"
    assert parse_quantity(text) == Quantity(
        Decimal("0.0000035"), "USD/token", span=(0, 24), text=text
    )


def test_every_quantity_in_order_with_spans() -> None:
    text = "$2B ARR in 2023, $6B in 2024, and $20B+ in 2025."
    found = parse_quantities(text)
    assert [q.text for q in found] == ["$2B", "$6B", "$20B+"]  # the years are dates
    assert [q.unit for q in found] == ["USD", "USD", "USD"]
    assert found[2].bound is Bound.AT_LEAST
    assert all(text[q.span[0] : q.span[1]] == q.text for q in found)


def test_model_sizes_in_a_list() -> None:
    found = parse_quantities("in 8B, 70B and 405B sizes")
    assert [q.amount for q in found] == [Decimal("8E9"), Decimal("70E9"), Decimal("405E9")]
    assert {q.unit for q in found} == {"parameters"}


def test_unit_named_once_for_two_figures() -> None:
    found = parse_quantities("我们还发布了处于领先地位的 700 亿和\n80 亿个参数的模型")
    assert [(q.amount, q.unit) for q in found] == [
        (Decimal("70000000000"), "parameters"),
        (Decimal("8000000000"), "parameters"),
    ]
    assert found[0].text == "700 亿"  # the span stays on the figure itself


def test_a_bare_number_does_not_borrow_a_unit() -> None:
    found = parse_quantities("10 年或 15 亿人")
    assert [q.unit for q in found] == [None, "people"]


def test_span_of_a_wrapped_chinese_figure() -> None:
    text = "在我们平台上有超过 2\n亿人认为自己是创作者"
    q = parse_quantity(text)
    assert q is not None
    assert q.text == "超过 2\n亿人"
    assert text[q.span[0] : q.span[1]] == q.text


def test_full_width_spans_index_the_original() -> None:
    text = "约５０％的用户"
    q = parse_quantity(text)
    assert q is not None
    assert (q.amount, q.unit, q.text) == (Decimal(50), "%", "约５０％")


def test_versions_are_not_quantities_but_sizes_after_them_are() -> None:
    assert parse_quantities("Llama 3.1 and GPT-4o and GPT 4.0") == []
    assert [q.text for q in parse_quantities("Llama 3.1 405B")] == ["405B"]


def test_dates_are_no_figures_but_a_year_alone_or_with_a_unit_is() -> None:
    assert parse_quantities("June 29, 2007") == []
    assert parse_quantities("2024-07-27 16:19") == []
    assert parse_quantities("2024年9月25日 and 二〇二四年 and 2024年") == []
    assert parse_quantities("February 30, 2024") == []  # date-shaped, though no such day
    assert [q.amount for q in parse_quantities("2007")] == [Decimal(2007)]
    assert [q.text for q in parse_quantities("In 2024 we had 2024 users")] == ["2024 users"]
    assert [q.text for q in parse_quantities("2024 revenue: $2024 million")] == ["$2024 million"]


def test_a_figure_in_chinese_groups_is_one_quantity_spanning_them_all() -> None:
    text = "月活跃用户达 3 亿 5000 万,较去年 1亿2千万"
    found = parse_quantities(text)
    assert [(q.amount, q.text) for q in found] == [
        (Decimal(350000000), "月活跃用户达 3 亿 5000 万"),
        (Decimal(120000000), "1亿2千万"),
    ]
    assert all(text[q.span[0] : q.span[1]] == q.text for q in found)


def test_signs_stand_right_before_the_figure() -> None:
    found = parse_quantities("Llama-3.1-8B: -40% (down 12% on 35-45 million), 负百分之四十")
    assert [(q.amount, q.unit, q.text) for q in found] == [
        (Decimal("8E9"), "parameters", "8B"),
        (Decimal(-40), "%", "-40%"),
        (Decimal(-12), "%", "down 12%"),
        (Decimal("35E6"), None, "35-45 million"),
        (Decimal(-40), "%", "负百分之四十"),
    ]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("5%-10%", [("5", "10")]),
        ("100元-200元", [("100", "200")]),
        ("三亿-五亿", [("300000000", "500000000")]),
        ("3倍-5倍", [("3", None), ("5", None)]),  # 倍 is no unit: two figures, neither negative
        ("2亿人-3亿人", [("200000000", "300000000")]),
        ("-3 to 5", [("-3", "5")]),
        ("growth of -2 to 4%", [("-2", "4")]),
        ("down 35-45%", [("-45", "-35")]),
        ("10%-5%", [("10", None), ("5", None)]),  # falling ends are no range
        ("同比-40%, 5% - 10%", [("-40", None), ("5", "10")]),
    ],
)
def test_a_hyphen_after_a_figure_joins_and_a_minus_signs_one_end(
    text: str, read: list[tuple[str, str | None]]
) -> None:
    def ends(q: Quantity) -> tuple[str, str | None]:
        if q.bound is Bound.RANGE:
            return str(q.lower), str(q.upper)
        return str(q.amount), None

    assert [ends(q) for q in parse_quantities(text)] == read


@pytest.mark.parametrize(
    ("text", "bound", "lower", "upper"),
    [
        ("数亿", Bound.RANGE, "200000000", "900000000"),
        ("超过2亿", Bound.AT_LEAST, "200000000", None),
        ("nearly 700 million", Bound.AT_MOST, None, "700000000"),
        ("almost 1 billion", Bound.AT_MOST, None, "1000000000"),
        ("约50%", Bound.APPROXIMATE, None, None),
        ("405B", Bound.EXACT, None, None),
    ],
)
def test_bounds_carry_lower_and_upper(
    text: str, bound: Bound, lower: str | None, upper: str | None
) -> None:
    q = parse_quantity(text)
    assert q is not None
    assert q.bound is bound
    assert q.lower == (Decimal(lower) if lower else None)
    assert q.upper == (Decimal(upper) if upper else None)
    assert q.approximate is (bound is not Bound.EXACT)


# describe, to_json, same_unit


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("405B", "405 billion parameters"),
        ("约50%", "about 50%"),
        ("$5 per 1M tokens", "$5.00 per million tokens"),
        ("$0.125 per 1M tokens", "$0.125 per million tokens"),
        ("超过2亿人", "at least 200 million people"),
        ("nearly 1 billion monthly actives", "at most 1 billion monthly active users"),
        ("200 million weekly active users", "200 million weekly active users"),
        ("数亿", "between 200 million and 900 million"),
        ("16.4亿", "1.64 billion"),
        ("1,234.5", "1234.5"),
        ("$3.50", "$3.50"),
        ("€1.2 billion", "€1.2 billion"),
        ("5亿元", "¥500 million"),
        ("roughly 19 billion tokens per minute", "about 19 billion tokens per minute"),
        ("2007", "2007"),
        ("12345", "12,345"),
        ("-40%", "-40%"),
        ("down more than 40%", "at most -40%"),
        ("(-$5 billion)", "-$5 billion"),
        ("3亿5000万", "350 million"),
    ],
)
def test_describe(text: str, described: str) -> None:
    q = parse_quantity(text)
    assert q is not None
    assert describe(q) == described


def test_to_json_uses_plain_decimal_strings() -> None:
    q = parse_quantity("超过 405B parameters")
    assert q is not None
    assert to_json(q) == {
        "amount": "405000000000",
        "unit": "parameters",
        "bound": "at_least",
        "lower": "405000000000",
        "upper": None,
        "approximate": True,
        "span": [0, 18],
        "text": "超过 405B parameters",
    }
    tiny = parse_quantity("5.33e-08")
    assert tiny is not None
    assert to_json(tiny)["amount"] == "0.0000000533"


def test_same_unit() -> None:
    def q(text: str) -> Quantity:
        found = parse_quantity(text)
        assert found is not None
        return found

    assert same_unit(q("405B"), q("4050亿个参数"))
    assert same_unit(q("5亿月活跃用户"), q("500 million monthly active users"))
    assert same_unit(q("2007"), q("3.5万"))
    assert not same_unit(q("500 million monthly active users"), q("500 million weekly users"))
    assert not same_unit(q("5亿人"), q("5亿用户"))
    assert not same_unit(q("$5"), q("€5"))
    assert not same_unit(q("$5"), q("5"))
    assert not same_unit(q("50%"), q("50"))
    # Equal figures in incompatible units are never equal quantities.
    assert q("5亿人").amount == q("500 million users").amount
    assert q("5亿人") != q("500 million users")


# Properties


def _chinese(n: int) -> str:
    """Test-side writer of composed Chinese numerals (1 <= n < 10**16)."""
    digits = "零一二三四五六七八九"

    def section(k: int) -> str:  # 0 < k < 10000
        out, gap = "", False
        for power, unit in ((3, "千"), (2, "百"), (1, "十"), (0, "")):
            d = k // 10**power % 10
            if d == 0:
                gap = bool(out)
                continue
            out += ("零" if gap else "") + digits[d] + unit
            gap = False
        return out

    yi, wan, rest = n // 10**8, n // 10**4 % 10**4, n % 10**4
    out = _chinese(yi) + "亿" if yi else ""
    for part, unit in ((wan, "万"), (rest, "")):
        if part:
            out += ("零" if out and part < 1000 else "") + section(part) + unit
    return out


@settings(max_examples=150)
@given(st.decimals(min_value=0, max_value=10**15, places=3, allow_nan=False))
def test_thousands_separated_decimal_parses_back(d: Decimal) -> None:
    text = format(d, ",f")
    q = parse_quantity(text)
    assert q is not None
    assert q.amount == d
    assert q.text == text


@settings(max_examples=100)
@given(st.integers(min_value=1, max_value=10**8), st.sampled_from(["万", "亿", "万亿", "千万"]))
def test_integer_with_chinese_scale_round_trips(n: int, scale: str) -> None:
    power = sum(numbers.ZH_UNITS[ch] for ch in scale)
    q = parse_quantity(f"共{n}{scale}")
    assert q is not None
    assert q.amount == Decimal(n) * 10**power


@settings(max_examples=150)
@given(st.integers(min_value=11, max_value=10**16 - 1))
def test_composed_chinese_numeral_round_trips(n: int) -> None:
    q = parse_quantity(f"约{_chinese(n)}")
    assert q is not None
    assert q.amount == n


_INTERESTING = [
    *"0123456789.,%$€¥ -−~+/亿万千百十一二两三数几约超过不到多上负BbkKMT",
    *(" billion", " million", "per ", "tokens", "个参数", "月活", "about ", "over ", "Llama "),
    *("down ", "minus ", "下降", "减少了", "正负", "零"),
    *("e-0", "\n"),
]


@settings(max_examples=200)
@given(st.one_of(st.text(), st.lists(st.sampled_from(_INTERESTING), max_size=25).map("".join)))
def test_any_text_parses_to_well_formed_quantities(text: str) -> None:
    found = parse_quantities(text)
    ends = 0
    for q in found:
        start, end = q.span
        assert ends <= start < end <= len(text)
        assert text[start:end] == q.text
        ends = end
        for d in (q.amount, q.lower, q.upper):
            assert d is None or type(d) is Decimal
        assert "E" not in str(to_json(q)["amount"])
        json.dumps(to_json(q))
        describe(q)
    assert parse_quantity(text) == (found[0] if found else None)
