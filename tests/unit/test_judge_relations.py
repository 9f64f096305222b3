"""judge() with relations, evidence bounds, quantifiers and membership (issue 10).

Tables: every relation against every evidence bound (exact, approximate, at least, at most,
range), the straddling cases and the strict/inclusive edges; quantifiers (all/any/most/share)
with open records and exclusions; membership; ratio relations. Pure: no I/O, a fixed `now`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factcheck.domain import (
    Bound,
    ClaimKind,
    ClaimSpec,
    ErrorCode,
    EvidenceItem,
    ExpectedValue,
    Hit,
    Label,
    Quantifier,
    Quantity,
    RecordCondition,
    Relation,
    Role,
    Stance,
)
from factcheck.normalising.hits import normalise
from factcheck.verdicts.judge import is_stale, judge
from tests.unit.test_judge import (
    AZURE,
    BEDROCK,
    FETCHED,
    FIREWORKS,
    GPT4O,
    MODEL_CARD,
    NOW,
    TOGETHER,
    USD_TOKEN,
    B,
    M,
    failed,
    hit,
    item,
    params,
    prices,
)

D = Decimal


def figure(bound: Bound, amount: int, upper: int | None = None) -> Quantity:
    """A figure as the normaliser reads it: "over 90" is AT_LEAST with lower 90."""
    lower = D(amount) if bound in (Bound.AT_LEAST, Bound.RANGE) else None
    high = D(upper if upper is not None else amount) if bound is not Bound.AT_LEAST else None
    if bound in (Bound.EXACT, Bound.APPROXIMATE):
        lower = high = None
    return Quantity(amount=D(amount), bound=bound, lower=lower, upper=high)


def score(quantity: Quantity, **flags: bool) -> EvidenceItem:
    return item("Exam board", ("score", quantity), **flags)


def claim(
    relation: Relation,
    amount: int,
    *,
    upper: int | None = None,
    unit: str | None = None,
    **fields: object,
) -> ClaimSpec:
    expected = ExpectedValue(
        amount=D(amount),
        unit=unit,
        relation=relation,
        upper=D(upper) if upper is not None else None,
    )
    return ClaimSpec(key="k", kind=ClaimKind.QUANTITY, expected=expected, **fields)  # type: ignore[arg-type]


S, R, N = Label.SUPPORTED, Label.REFUTED, Label.NOT_ENOUGH_INFO
EX, AP, GE, LE, RG = Bound.EXACT, Bound.APPROXIMATE, Bound.AT_LEAST, Bound.AT_MOST, Bound.RANGE

TABLE = [
    # more than 90: (90, inf)
    (Relation.MORE_THAN, (EX, 91), S),
    (Relation.MORE_THAN, (EX, 90), R),  # strict
    (Relation.MORE_THAN, (EX, 89), R),
    (Relation.MORE_THAN, (AP, 91), S),
    (Relation.MORE_THAN, (AP, 89), R),
    (Relation.MORE_THAN, (GE, 90), S),  # "over 90" shows "more than 90" (edge)
    (Relation.MORE_THAN, (GE, 95), S),
    (Relation.MORE_THAN, (GE, 80), N),  # straddles
    (Relation.MORE_THAN, (LE, 90), R),
    (Relation.MORE_THAN, (LE, 95), N),
    (Relation.MORE_THAN, (LE, 80), R),
    (Relation.MORE_THAN, (RG, 91, 95), S),
    (Relation.MORE_THAN, (RG, 85, 95), N),
    (Relation.MORE_THAN, (RG, 80, 90), R),
    # at least 90: [90, inf)
    (Relation.AT_LEAST, (EX, 90), S),
    (Relation.AT_LEAST, (EX, 89), R),
    (Relation.AT_LEAST, (AP, 92), S),
    (Relation.AT_LEAST, (GE, 90), S),
    (Relation.AT_LEAST, (GE, 80), N),
    (Relation.AT_LEAST, (LE, 90), N),  # touching: 90 itself is allowed by both
    (Relation.AT_LEAST, (LE, 89), R),
    (Relation.AT_LEAST, (RG, 90, 95), S),
    (Relation.AT_LEAST, (RG, 85, 95), N),
    (Relation.AT_LEAST, (RG, 80, 89), R),
    # less than 90: (-inf, 90)
    (Relation.LESS_THAN, (EX, 89), S),
    (Relation.LESS_THAN, (EX, 90), R),
    (Relation.LESS_THAN, (AP, 89), S),
    (Relation.LESS_THAN, (LE, 90), S),  # "under 90" shows "less than 90" (edge)
    (Relation.LESS_THAN, (LE, 95), N),
    (Relation.LESS_THAN, (GE, 90), R),
    (Relation.LESS_THAN, (GE, 80), N),
    (Relation.LESS_THAN, (RG, 80, 89), S),
    (Relation.LESS_THAN, (RG, 80, 90), N),
    (Relation.LESS_THAN, (RG, 90, 95), R),
    # at most 90: (-inf, 90]
    (Relation.AT_MOST, (EX, 90), S),
    (Relation.AT_MOST, (EX, 91), R),
    (Relation.AT_MOST, (AP, 91), R),
    (Relation.AT_MOST, (LE, 90), S),
    (Relation.AT_MOST, (LE, 95), N),
    (Relation.AT_MOST, (GE, 90), N),
    (Relation.AT_MOST, (GE, 91), R),
    (Relation.AT_MOST, (RG, 80, 90), S),
    (Relation.AT_MOST, (RG, 80, 95), N),
    (Relation.AT_MOST, (RG, 91, 95), R),
    # nearly 90 (10%): [81, 90]
    (Relation.NEARLY, (EX, 85), S),
    (Relation.NEARLY, (EX, 90), S),
    (Relation.NEARLY, (EX, 91), R),
    (Relation.NEARLY, (EX, 80), R),
    (Relation.NEARLY, (AP, 85), S),
    (Relation.NEARLY, (LE, 90), N),
    (Relation.NEARLY, (LE, 80), R),
    (Relation.NEARLY, (GE, 85), N),
    (Relation.NEARLY, (GE, 91), R),
    (Relation.NEARLY, (RG, 82, 88), S),
    (Relation.NEARLY, (RG, 85, 95), N),
    # about 90 (10%): [81, 99]; the stated figure decides an overlapping bound, as before
    (Relation.ABOUT, (EX, 99), S),
    (Relation.ABOUT, (EX, 100), R),
    (Relation.ABOUT, (AP, 95), S),
    (Relation.ABOUT, (GE, 95), S),
    (Relation.ABOUT, (GE, 80), N),
    (Relation.ABOUT, (GE, 100), R),
    (Relation.ABOUT, (LE, 85), S),
    (Relation.ABOUT, (LE, 80), R),
    (Relation.ABOUT, (RG, 85, 95), S),
    (Relation.ABOUT, (RG, 70, 100), N),
    # exactly 90: today's rule unchanged
    (Relation.EXACT, (EX, 90), S),
    (Relation.EXACT, (EX, 91), R),
    (Relation.EXACT, (AP, 90), S),
    (Relation.EXACT, (GE, 90), S),
    (Relation.EXACT, (GE, 80), N),
    (Relation.EXACT, (GE, 91), R),
    (Relation.EXACT, (LE, 89), R),
    (Relation.EXACT, (RG, 80, 95), N),
]


@pytest.mark.parametrize(("relation", "evidence", "label"), TABLE)
def test_relation_against_evidence_bound(
    relation: Relation, evidence: tuple[Bound, int] | tuple[Bound, int, int], label: Label
) -> None:
    verdict = judge(claim(relation, 90), [score(figure(*evidence))], now=NOW)
    assert verdict.label is label, verdict.reason
    stance = {S: Stance.SUPPORTS, R: Stance.REFUTES, N: Stance.NEUTRAL}[label]
    assert verdict.stances == (stance,)


BETWEEN = [
    ((EX, 80), S),
    ((EX, 90), S),  # inclusive ends
    ((EX, 79), R),
    ((AP, 85), S),
    ((GE, 85), N),
    ((GE, 91), R),
    ((LE, 79), R),
    ((LE, 85), N),
    ((RG, 82, 88), S),
    ((RG, 75, 85), N),
    ((RG, 91, 95), R),
]


@pytest.mark.parametrize(("evidence", "label"), BETWEEN)
def test_between_against_evidence_bound(
    evidence: tuple[Bound, int] | tuple[Bound, int, int], label: Label
) -> None:
    verdict = judge(claim(Relation.BETWEEN, 80, upper=90), [score(figure(*evidence))], now=NOW)
    assert verdict.label is label, verdict.reason


# nearly -40 (10%): [-40, -36], short of -40 towards zero as "nearly 90" is short of 90
NEARLY_NEGATIVE = [
    ((EX, -38), S),
    ((EX, -40), S),
    ((EX, -36), S),
    ((EX, -35), R),
    ((EX, -41), R),
    ((EX, -44), R),
    ((RG, -39, -37), S),
]


@pytest.mark.parametrize(("evidence", "label"), NEARLY_NEGATIVE)
def test_nearly_a_negative_figure_is_short_of_it_towards_zero(
    evidence: tuple[Bound, int] | tuple[Bound, int, int], label: Label
) -> None:
    verdict = judge(claim(Relation.NEARLY, -40), [score(figure(*evidence))], now=NOW)
    assert verdict.label is label, verdict.reason
    assert "nearly -40 (-40 to -36)" in verdict.reason


# --- figures read from words by the normaliser (review of issue 10) ----------------------------


def read(*texts: str) -> EvidenceItem:
    """Evidence as a run makes it: each text read by the normaliser."""
    hits, quantities = normalise([hit(t) for t in texts], unit=None, numeric=True)
    return EvidenceItem("src", "Src", Role.VALUE, NOW, hits, quantities)


@pytest.mark.parametrize(
    ("relation", "amount", "unit", "text", "label"),
    [
        (Relation.NEARLY, -40, "%", "down 38%", S),
        (Relation.NEARLY, -40, "%", "down 44%", R),
        # "5%-10%" is a range, not 5% and -10%
        (Relation.MORE_THAN, 8, "%", "预计增长5%-10%", N),
        (Relation.MORE_THAN, 4, "%", "预计增长5%-10%", S),
        (Relation.LESS_THAN, 0, "CNY", "售价100元-200元", R),
        # the pieces of a date are no figures: the year does not decide
        (Relation.MORE_THAN, 90, None, "As of Sept 25, 2024, the score is 89", R),
        (Relation.MORE_THAN, 90, None, "截至2024年9月25日，得分为89", R),
        (Relation.MORE_THAN, 90, None, "In 2024 the score was 89", R),
        (Relation.LESS_THAN, 30, None, "On 25 Sept 2024 the score was 89", R),
    ],
)
def test_figures_read_from_words(
    relation: Relation, amount: int, unit: str | None, text: str, label: Label
) -> None:
    verdict = judge(claim(relation, amount, unit=unit), [read(text)], now=NOW)
    assert verdict.label is label, verdict.reason


# --- reasons and figures name the deciding figure and bound -------------------------------------


def test_reason_says_89_is_not_above_90() -> None:
    verdict = judge(claim(Relation.MORE_THAN, 90), [score(figure(EX, 89))], now=NOW)
    assert verdict.reason.startswith("Refuted: Exam board (as of 2026-11-28): 89 is not above 90.")
    assert verdict.figures["expected"] == ">90"
    assert verdict.figures["relation"] == "more_than"
    supported = judge(claim(Relation.MORE_THAN, 90), [score(figure(EX, 91))], now=NOW)
    assert "91 is above 90" in supported.reason


def test_reason_says_an_over_figure_does_not_show_a_higher_bound() -> None:
    over = figure(GE, 300_000)
    verdict = judge(claim(Relation.MORE_THAN, 400_000), [score(over)], now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "at least 300,000 does not show more than 400,000" in verdict.reason


def test_almost_a_billion_is_not_more_than_a_billion() -> None:
    almost = figure(LE, 10**9)  # the normaliser reads "almost" as at most
    verdict = judge(claim(Relation.MORE_THAN, 10**9), [score(almost)], now=NOW)
    assert verdict.label is Label.REFUTED
    assert "at most 1 billion is not above 1 billion" in verdict.reason


def test_several_figures_none_of_which_match() -> None:
    card = item("Model card", params(8), params(70), params(405))
    verdict = judge(claim(Relation.MORE_THAN, 450 * 10**9, unit="parameters"), [card], now=NOW)
    assert "gives 8B, 70B, 405B parameters: none is above 450B parameters" in verdict.reason


def test_expected_figures_keep_every_digit() -> None:
    orgs = ClaimSpec(
        key="k",
        kind=ClaimKind.QUANTITY,
        expected=ExpectedValue(amount=D(250000), unit="organisations", relation=Relation.AT_LEAST),
    )
    assert judge(orgs, [], now=NOW).figures["expected"] == ">=250000 organisations"
    between = claim(Relation.BETWEEN, 35 * 10**6, upper=45 * 10**6)
    assert judge(between, [], now=NOW).figures["expected"] == "35000000..45000000"
    about = judge(claim(Relation.ABOUT, 90), [], now=NOW).figures
    assert (about["expected"], about["tolerance"]) == ("~90", "0.1")
    assert judge(claim(Relation.NEARLY, 90), [], now=NOW).figures["expected"] == "81..90"


def test_bounded_support_lowers_confidence() -> None:
    exact = judge(claim(Relation.MORE_THAN, 90), [score(figure(EX, 95))], now=NOW)
    over = judge(claim(Relation.MORE_THAN, 90), [score(figure(GE, 95))], now=NOW)
    assert (exact.confidence, over.confidence) == (D("0.5"), D("0.4"))


def test_claim_problems_are_not_enough_info() -> None:
    no_upper = judge(claim(Relation.BETWEEN, 80), [score(figure(EX, 85))], now=NOW)
    assert no_upper.reason.startswith("Not enough info: a between claim needs an upper end")
    includes = judge(claim(Relation.INCLUDES, 80), [score(figure(EX, 85))], now=NOW)
    assert includes.label is Label.NOT_ENOUGH_INFO
    assert "includes applies to a set of values" in includes.reason


def test_converted_figure_shows_what_the_source_declared() -> None:
    price = Quantity(amount=D("0.00001"), unit=USD_TOKEN, given="0.01 USD/K tokens")
    spec = ClaimSpec(
        key="k",
        kind=ClaimKind.QUANTITY,
        expected=ExpectedValue(amount=D("0.00001"), unit=USD_TOKEN),
    )
    verdict = judge(spec, [item("Price list", ("0.01", price))], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert "gives $10.00/M tokens (given as 0.01 USD/K tokens)" in verdict.reason


# --- quantifiers over records ------------------------------------------------------------------


def table(*rows: tuple[str, Quantity]) -> EvidenceItem:
    """A results table: one keyed hit per row."""
    return EvidenceItem(
        source_key="results",
        source_title="Results table",
        role=Role.VALUE,
        fetched_at=FETCHED,
        hits=tuple(Hit(raw=k, excerpt=k, location="row", key=k) for k, _ in rows),
        quantities=tuple(q for _, q in rows),
    )


FOUR = table(
    ("a", figure(EX, 91)), ("b", figure(EX, 95)), ("c", figure(EX, 92)), ("d", figure(EX, 89))
)
WITH_OPEN = table(
    ("a", figure(EX, 91)), ("b", figure(EX, 95)), ("c", figure(GE, 85)), ("d", figure(EX, 89))
)


@pytest.mark.parametrize(
    ("evidence", "quantifier", "share", "label"),
    [
        (FOUR, Quantifier.ALL, None, R),
        (FOUR, Quantifier.ANY, None, S),
        (FOUR, Quantifier.MOST, None, S),  # 3 > 2
        (FOUR, Quantifier.SHARE, D("0.75"), S),
        (FOUR, Quantifier.SHARE, D("0.8"), R),
        (WITH_OPEN, Quantifier.ALL, None, R),  # d fails
        (WITH_OPEN, Quantifier.MOST, None, N),  # 2 satisfy, 1 open: 2 is not > 2, 3 > 2
        (WITH_OPEN, Quantifier.SHARE, D("0.5"), S),
        (WITH_OPEN, Quantifier.SHARE, D("0.75"), N),  # 2/4 < 0.75 <= 3/4
        (WITH_OPEN, Quantifier.SHARE, D("0.8"), R),
        (table(("a", figure(EX, 91)), ("b", figure(GE, 85))), Quantifier.ALL, None, N),
        (table(("a", figure(EX, 89)), ("b", figure(GE, 85))), Quantifier.ANY, None, N),
        (table(("a", figure(EX, 89)), ("b", figure(EX, 80))), Quantifier.ANY, None, R),
        (
            table(("a", figure(EX, 89)), ("b", figure(GE, 85)), ("c", figure(EX, 80))),
            Quantifier.MOST,
            None,
            R,
        ),
    ],
)
def test_quantifier_table(
    evidence: EvidenceItem, quantifier: Quantifier, share: Decimal | None, label: Label
) -> None:
    spec = claim(Relation.MORE_THAN, 90, quantifier=quantifier, share=share)
    verdict = judge(spec, [evidence], now=NOW)
    assert verdict.label is label, verdict.reason
    figures = verdict.figures
    counted = int(figures["satisfied"]) + int(figures["failed"]) + int(figures["open"])
    assert counted == int(figures["records"]) == len(evidence.hits)


def test_quantified_reason_lists_the_records_that_decided() -> None:
    spec = claim(Relation.MORE_THAN, 90, quantifier=Quantifier.MOST)
    verdict = judge(spec, [WITH_OPEN], now=NOW)
    assert (
        "2 of 4 records are more than 90: a 91, b 95; not: d 89; open: c at least 85 "
        "(most: more than half needed)" in verdict.reason
    )
    assert verdict.figures["open"] == "1" and verdict.figures["excluded"] == "0"


def test_records_in_another_unit_are_open() -> None:
    weekly = Quantity(amount=D(95), unit="points/week")
    spec = claim(Relation.MORE_THAN, 90, quantifier=Quantifier.ALL)
    verdict = judge(spec, [table(("a", figure(EX, 91)), ("b", weekly))], now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "open: b 95 points/week (in points/week)" in verdict.reason


def test_named_records_stop_at_eight() -> None:
    rows = [(f"r{n}", figure(EX, 91 + n)) for n in range(10)]
    spec = claim(Relation.MORE_THAN, 90, quantifier=Quantifier.ALL)
    verdict = judge(spec, [table(*rows)], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert "r7 98 and 2 more (all: every record needed)" in verdict.reason


PREVIEW = ("vertex_ai/llama-405b", D(0))
CHEAPER = ClaimSpec(
    key="405b-cheaper",
    kind=ClaimKind.RATIO,
    expected=ExpectedValue(amount=D(1), relation=Relation.LESS_THAN),
    quantifier=Quantifier.ALL,
    conditions=(RecordCondition("value", ">", "0", "value > 0"),),
)


def test_placeholder_price_is_excluded_and_named() -> None:
    verdict = judge(CHEAPER, [prices(TOGETHER, FIREWORKS, PREVIEW), GPT4O], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert (
        "2 of 2 ratios to gpt-4o $7.50/M tokens are < 1: together_ai 0.47, fireworks_ai 0.40; "
        "excluded by value > 0: vertex_ai/llama-405b ($0.00/M tokens) (all: every record needed)"
        in verdict.reason
    )
    assert verdict.figures["excluded"] == "1" and verdict.figures["records"] == "2"
    assert verdict.stances == (Stance.SUPPORTS, Stance.SUPPORTS)
    assert verdict.confidence == D("0.75")  # one vote, two sources


def test_every_provider_cheaper_is_refuted_by_the_hyperscalers() -> None:
    evidence = [prices(TOGETHER, FIREWORKS, AZURE, BEDROCK, PREVIEW), GPT4O]
    verdict = judge(CHEAPER, evidence, now=NOW)
    assert verdict.label is Label.REFUTED
    assert "not: azure_ai 1.07, bedrock 1.07" in verdict.reason
    anywhere = judge(replace(CHEAPER, quantifier=Quantifier.ANY), evidence, now=NOW)
    assert anywhere.label is Label.SUPPORTED


def test_key_conditions_are_case_insensitive_globs() -> None:
    only_ai = replace(CHEAPER, conditions=(RecordCondition("key", "~", "*_AI", "key ~ *_AI"),))
    verdict = judge(only_ai, [prices(TOGETHER, AZURE, BEDROCK), GPT4O], now=NOW)
    assert "excluded by key ~ *_AI: bedrock ($7.99/M tokens)" in verdict.reason
    assert verdict.figures["records"] == "2"
    not_preview = replace(CHEAPER, conditions=(RecordCondition("key", "!~", "*/LLAMA-*"),))
    assert (
        judge(not_preview, [prices(TOGETHER, PREVIEW), GPT4O], now=NOW).figures["excluded"] == "1"
    )


def test_no_records_left_after_exclusion() -> None:
    verdict = judge(CHEAPER, [prices(PREVIEW), GPT4O], now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "no records left after excluding by value > 0: vertex_ai/llama-405b" in verdict.reason


def test_at_least_half_price_on_most_providers() -> None:
    half = replace(
        CHEAPER,
        expected=ExpectedValue(amount=D("0.5"), relation=Relation.AT_MOST),
        quantifier=Quantifier.MOST,
    )
    verdict = judge(half, [prices(TOGETHER, FIREWORKS, AZURE, BEDROCK), GPT4O], now=NOW)
    assert verdict.label is Label.REFUTED  # 2 of 4 is not more than half
    assert "2 of 4 ratios to gpt-4o $7.50/M tokens are ≤ 0.5" in verdict.reason


def test_quantified_ratio_needs_one_denominator() -> None:
    other = replace(GPT4O, source_key="gpt-4o-mini", hits=(Hit("m", "m", "x", key="mini"),))
    verdict = judge(CHEAPER, [prices(TOGETHER), GPT4O, other], now=NOW)
    assert verdict.reason.startswith(
        "Not enough info: a quantified ratio needs one denominator figure"
    )


def test_bad_condition_is_a_problem() -> None:
    bad = replace(CHEAPER, conditions=(RecordCondition("value", ">", "zero", "value > zero"),))
    verdict = judge(bad, [prices(TOGETHER), GPT4O], now=NOW)
    assert "condition 'value > zero': 'zero' is not a number" in verdict.reason


# --- ratio relations ---------------------------------------------------------------------------


def ratio(
    relation: Relation, amount: str | None, upper: str | None = None, **kw: object
) -> ClaimSpec:
    expected = ExpectedValue(
        amount=D(amount) if amount else None,
        upper=D(upper) if upper else None,
        relation=relation,
        comparison=str(kw.pop("comparison", "approx")),
    )
    return ClaimSpec(key="r", kind=ClaimKind.RATIO, expected=expected, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "label"),
    [
        (ratio(Relation.LESS_THAN, "1"), S),  # together 0.47: cheaper than GPT-4o
        (ratio(Relation.AT_MOST, "0.5"), S),  # at least 50% cheaper
        (ratio(Relation.AT_MOST, "0.4"), R),
        (ratio(Relation.MORE_THAN, "1"), R),
        (ratio(Relation.BETWEEN, "0.4", "0.5"), S),
        (ratio(Relation.BETWEEN, "0.5", "0.6"), R),
        (ratio(Relation.NEARLY, "0.5"), S),  # [0.4, 0.5]
        (ratio(Relation.ABOUT, "0.5", tolerance=D("0.02")), R),
        (ratio(Relation.EXACT, None, comparison="lt"), S),  # an old spec: < 1
        (ratio(Relation.EXACT, "0.3", comparison="lt"), S),  # as before: lt ignores the amount
    ],
)
def test_ratio_relations(spec: ClaimSpec, label: Label) -> None:
    verdict = judge(spec, [prices(TOGETHER), GPT4O], now=NOW)
    assert verdict.label is label, verdict.reason


def test_ratio_figures_and_wording() -> None:
    about = judge(
        ratio(Relation.ABOUT, "0.5", tolerance=D("0.15")), [prices(TOGETHER), GPT4O], now=NOW
    )
    assert about.figures["expected"] == "~0.5 ± 0.15"
    assert "= 0.47 (within 0.50 ± 0.15)" in about.reason
    cheaper = judge(ratio(Relation.LESS_THAN, "1"), [prices(AZURE), GPT4O], now=NOW)
    assert cheaper.figures["expected"] == "<1"
    assert "azure_ai $8.00/M tokens / gpt-4o $7.50/M tokens = 1.07 (not < 1)" in cheaper.reason


def users(bound: Bound, amount: int, role: Role) -> EvidenceItem:
    q = Quantity(amount=amount * M, unit="users/month", bound=bound)
    q = replace(q, lower=q.amount if bound is Bound.AT_LEAST else None)
    q = replace(q, upper=q.amount if bound is Bound.AT_MOST else None)
    key = "meta_ai" if role is Role.NUMERATOR else "chatgpt"
    return EvidenceItem(
        source_key=key,
        source_title=key,
        role=role,
        fetched_at=FETCHED,
        hits=(Hit(key, key, "line 1", key=key),),
        quantities=(q,),
    )


@pytest.mark.parametrize(
    ("numerator", "label"),
    [
        (users(Bound.AT_LEAST, 500, Role.NUMERATOR), S),  # at least 1.25
        (users(Bound.AT_MOST, 300, Role.NUMERATOR), R),  # at most 0.75
        (users(Bound.AT_LEAST, 300, Role.NUMERATOR), N),  # at least 0.75: straddles 1
    ],
)
def test_bounds_carry_into_the_ratio(numerator: EvidenceItem, label: Label) -> None:
    bottom = users(Bound.EXACT, 400, Role.DENOMINATOR)
    verdict = judge(ratio(Relation.MORE_THAN, "1"), [numerator, bottom], now=NOW)
    assert verdict.label is label, verdict.reason
    if label is N:
        assert "= 0.75 (may or may not be > 1)" in verdict.reason


# --- membership --------------------------------------------------------------------------------

AMONG = ClaimSpec(
    key="405b-among",
    kind=ClaimKind.QUANTITY_SET,
    expected=ExpectedValue(amounts=(405 * B,), unit="parameters", relation=Relation.INCLUDES),
)


def test_membership_supported_by_the_card_despite_other_sizes() -> None:
    verdict = judge(AMONG, [MODEL_CARD], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert verdict.figures["relation"] == "includes" and "extra" not in verdict.figures


def test_membership_extras_never_refute() -> None:
    story = item("News story", params(405), params(45))
    assert judge(AMONG, [story], now=NOW).label is Label.SUPPORTED


def test_membership_missing_from_a_story_is_not_enough_info() -> None:
    blog = item("Meta AI blog", params(8), params(70))
    verdict = judge(AMONG, [blog], now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "not found: 405B parameters" in verdict.reason
    assert verdict.stances == (Stance.NEUTRAL,)


def test_membership_missing_from_an_authoritative_list_refutes() -> None:
    card = item("Llama 3.1 model card", params(8), params(70), authoritative=True)
    verdict = judge(AMONG, [card], now=NOW)
    assert verdict.label is Label.REFUTED
    assert "claimed 405B parameters is not among 8B, 70B parameters" in verdict.reason


def test_membership_is_the_union_of_sources() -> None:
    both = replace(AMONG, expected=replace(AMONG.expected, amounts=(8 * B, 405 * B)))
    evidence = [item("Blog", params(8), params(70)), item("Letter", params(405))]
    assert judge(both, evidence, now=NOW).label is Label.SUPPORTED


# --- staleness (item 9) ------------------------------------------------------------------------


def test_a_source_that_never_answered_is_not_stale() -> None:
    never = [failed("Exam board", ErrorCode.TIMEOUT)]
    assert not is_stale(never, now=NOW + timedelta(days=30), stale_after=timedelta(days=7))
    verdict = judge(claim(Relation.MORE_THAN, 90), never, now=NOW + timedelta(days=30))
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "freshest evidence" not in verdict.reason
    aged = judge(
        claim(Relation.MORE_THAN, 90), [score(figure(EX, 91))], now=NOW + timedelta(days=30)
    )
    assert aged.reason.endswith("older than 7 days.") and aged.confidence == D("0.40")


# --- properties --------------------------------------------------------------------------------

ORACLE = {
    Relation.MORE_THAN: lambda v, x: v > x,
    Relation.AT_LEAST: lambda v, x: v >= x,
    Relation.LESS_THAN: lambda v, x: v < x,
    Relation.AT_MOST: lambda v, x: v <= x,
    # nearly: just short of x in magnitude, towards zero ("nearly -40%" is -40..-36)
    Relation.NEARLY: lambda v, x: min(x, x - x * D("0.1")) <= v <= max(x, x - x * D("0.1")),
    Relation.BETWEEN: lambda v, x: x <= v <= x + 10,
}


@given(st.sampled_from(sorted(ORACLE)), st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_a_point_figure_is_supported_exactly_when_it_satisfies_the_relation(
    relation: Relation, target: int, value: int
) -> None:
    spec = claim(relation, target, upper=target + 10 if relation is Relation.BETWEEN else None)
    verdict = judge(spec, [score(figure(Bound.EXACT, value))], now=NOW)
    expected = S if ORACLE[relation](D(value), D(target)) else R
    assert verdict.label is expected, verdict.reason


@given(st.sampled_from(sorted(ORACLE)), st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_an_approximate_figure_never_decides_against_its_own_stated_value(
    relation: Relation, target: int, value: int
) -> None:
    """ "about v" allows v and its neighbours (v rounded at its last non-zero digit): it may
    leave the claim open, but never decides against what v itself says."""
    spec = claim(relation, target, upper=target + 10 if relation is Relation.BETWEEN else None)
    verdict = judge(spec, [score(figure(Bound.APPROXIMATE, value))], now=NOW)
    allowed = (S, N) if ORACLE[relation](D(value), D(target)) else (R, N)
    assert verdict.label in allowed, verdict.reason


@pytest.mark.parametrize(
    ("relation", "target", "value", "label"),
    [
        (Relation.AT_LEAST, 90, 90, N),  # about 90 is 85..95: it straddles 90
        (Relation.MORE_THAN, 90, 90, N),
        (Relation.AT_LEAST, 80, 90, S),
        (Relation.LESS_THAN, 90, 89, S),  # about 89 is 88.5..89.5
        (Relation.AT_MOST, 90, 91, R),
    ],
)
def test_about_a_figure_against_a_bound(
    relation: Relation, target: int, value: int, label: Label
) -> None:
    spec = claim(relation, target)
    verdict = judge(spec, [score(figure(Bound.APPROXIMATE, value))], now=NOW)
    assert verdict.label is label, verdict.reason


@given(st.sampled_from(sorted(ORACLE)), st.integers(-100, 100), st.integers(-100, 100))
def test_an_over_figure_never_contradicts_its_own_stated_value(
    relation: Relation, target: int, value: int
) -> None:
    """Evidence "at least v" allows v: if v satisfies the claim it cannot refute it."""
    spec = claim(relation, target, upper=target + 10 if relation is Relation.BETWEEN else None)
    verdict = judge(spec, [score(figure(Bound.AT_LEAST, value))], now=NOW)
    if ORACLE[relation](D(value), D(target)):
        assert verdict.label is not Label.REFUTED, verdict.reason


def test_a_source_whose_figures_disagree_on_a_bound_decides_nothing() -> None:
    """Found in review: "89, down from 93" supported "above 90" on the 93 alone. Which figure
    is the claim's is not known; without a quantifier the source neither shows nor rules out."""
    spec = claim(Relation.MORE_THAN, 90)

    def scores(*values: int) -> EvidenceItem:
        return item("Exam board", *(("score", figure(Bound.EXACT, v)) for v in values))

    split = judge(spec, [scores(89, 93)], now=NOW)
    agree = judge(spec, [scores(91, 95)], now=NOW)

    assert split.label is N and "its figures disagree" in split.reason
    assert agree.label is S
