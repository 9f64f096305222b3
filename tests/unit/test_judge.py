"""judge(): labels, confidence, reasons and figures on the Llama 3.1 interview claims.

Pure: no I/O, a fixed `now`. Figures come from /work/shared/corpus (model card, licences,
litellm price lists, cache-register disclosures); titles are what a source file would declare.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
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
    Quantity,
    Role,
    Stance,
)
from factcheck.verdicts import reasons
from factcheck.verdicts.judge import is_stale, judge
from factcheck.verdicts.reasons import parse_dates

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FETCHED = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
B = Decimal(10) ** 9
M = Decimal(10) ** 6


def hit(raw: str, *, key: str | None = None, value: Decimal | None = None) -> Hit:
    return Hit(raw=raw, excerpt=raw, location="line 1", key=key, value=value)


def item(
    title: str,
    *pairs: tuple[str, Quantity | None],
    role: Role = Role.VALUE,
    key: str | None = None,
    fetched: datetime = FETCHED,
    **flags: bool,
) -> EvidenceItem:
    """An evidence item whose hits are (raw text, quantity) pairs."""
    return EvidenceItem(
        source_key=key or title.lower().replace(" ", "_"),
        source_title=title,
        role=role,
        fetched_at=fetched,
        hits=tuple(hit(raw) for raw, _ in pairs),
        quantities=tuple(quantity for _, quantity in pairs),
        **flags,
    )


def params(n: int, text: str = "") -> tuple[str, Quantity]:
    return text or f"{n}B", Quantity(amount=n * B, unit="parameters", text=f"{n}B")


def failed(title: str, code: ErrorCode) -> EvidenceItem:
    return EvidenceItem(
        source_key=title.lower(),
        source_title=title,
        role=Role.VALUE,
        fetched_at=FETCHED,
        error_code=code,
        error_message=str(code),
    )


MODEL_CARD = item(
    "Llama 3.1 model card",
    params(8),
    params(70),
    params(405),
    authoritative=True,
    self_published=True,
)
SIZES = ClaimSpec(
    key="llama31-sizes",
    kind=ClaimKind.QUANTITY_SET,
    expected=ExpectedValue(amounts=(8 * B, 70 * B, 405 * B), unit="parameters"),
    statement="我们发布了三个模型……4050亿……700亿和80亿个参数的模型",
)
HEADLINE_SET = ClaimSpec(
    key="llama31-450b",
    kind=ClaimKind.QUANTITY_SET,
    expected=ExpectedValue(amounts=(8 * B, 70 * B, 450 * B), unit="parameters"),
    statement="Llama 3.1 450 B 发布",
)
HEADLINE = ClaimSpec(
    key="llama31-450b-largest",
    kind=ClaimKind.QUANTITY,
    expected=ExpectedValue(amount=450 * B, unit="parameters"),
)


# --- quantity_set ------------------------------------------------------------------------------


def test_sizes_supported_by_the_model_card_alone() -> None:
    verdict = judge(SIZES, [MODEL_CARD], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert verdict.reason == (
        "Supported: Llama 3.1 model card (as of 2026-11-28) lists 8B, 70B, 405B parameters; "
        "all 3 claimed values found."
    )
    assert verdict.confidence == Decimal("0.75")  # one authoritative source counts twice
    assert verdict.stances == (Stance.SUPPORTS,)
    assert verdict.figures["missing"] == "" and verdict.figures["as_of"] == "2026-11-28"


def test_450b_headline_set_is_refuted_naming_the_real_sizes() -> None:
    verdict = judge(HEADLINE_SET, [MODEL_CARD], now=NOW)
    assert verdict.label is Label.REFUTED
    assert (
        "claimed 450B parameters is not among 8B, 70B, 405B parameters found in "
        "Llama 3.1 model card (as of 2026-11-28); not claimed: 405B parameters" in verdict.reason
    )
    assert verdict.figures["missing"] == "450000000000 parameters"
    assert verdict.figures["extra"] == "405000000000 parameters"
    assert verdict.stances == (Stance.REFUTES,)


def test_set_is_the_union_of_several_sources() -> None:
    blog = item("Meta AI blog", params(8), params(70))
    letter = item("Open Source AI Is the Path Forward", params(405))
    verdict = judge(SIZES, [blog, letter], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert verdict.confidence == Decimal("0.75")
    assert verdict.stances == (Stance.SUPPORTS, Stance.SUPPORTS)


def test_partial_list_from_a_story_is_not_enough_rather_than_refuted() -> None:
    blog = item("Meta AI blog", params(8), params(70))
    verdict = judge(SIZES, [blog], now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "not found: 405B parameters" in verdict.reason


def test_authoritative_card_that_lacks_a_claimed_size_refutes() -> None:
    card = item("Llama 3.1 model card", params(8), params(70), authoritative=True)
    verdict = judge(SIZES, [card], now=NOW)
    assert verdict.label is Label.REFUTED
    assert "claimed 405B parameters is not among 8B, 70B parameters" in verdict.reason


def test_authoritative_card_overrules_a_wrong_secondary_source() -> None:
    wrong = item("hive.blog summary", params(45, "45 billion parameters"))
    verdict = judge(SIZES, [MODEL_CARD, wrong], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert (
        "Disagreeing: claimed 8B, 70B, 405B parameters are not among 45B parameters found in "
        "hive.blog summary (as of 2026-11-28); not claimed: 45B parameters" in verdict.reason
    )
    assert "the authoritative Llama 3.1 model card prevails" in verdict.reason
    assert verdict.confidence == Decimal("0.45")  # 0.75 x 0.6
    assert verdict.stances == (Stance.SUPPORTS, Stance.REFUTES)


# --- quantity ---------------------------------------------------------------------------------


def test_450b_quantity_is_refuted_by_the_model_card() -> None:
    verdict = judge(HEADLINE, [MODEL_CARD], now=NOW)
    assert verdict.label is Label.REFUTED
    assert "gives 8B, 70B, 405B parameters, not the claimed 450B parameters" in verdict.reason
    assert verdict.figures["expected"] == "450000000000 parameters"


def test_tolerance_is_relative_and_inclusive() -> None:
    # 405B is exactly 10% below 450B: a 10% tolerance lets it through, 5% does not.
    loose = ClaimSpec(
        key="k", kind=ClaimKind.QUANTITY, expected=HEADLINE.expected, tolerance=Decimal("0.1")
    )
    tight = ClaimSpec(
        key="k", kind=ClaimKind.QUANTITY, expected=HEADLINE.expected, tolerance=Decimal("0.05")
    )
    assert judge(loose, [MODEL_CARD], now=NOW).label is Label.SUPPORTED
    assert "within 10% of the claimed 450B" in judge(loose, [MODEL_CARD], now=NOW).reason
    refuted = judge(tight, [MODEL_CARD], now=NOW)
    assert refuted.label is Label.REFUTED
    assert "none within 5% of the claimed 450B parameters" in refuted.reason


CREATORS = ClaimSpec(
    key="meta-creators",
    kind=ClaimKind.QUANTITY,
    expected=ExpectedValue(amount=200 * M, unit="creators"),
    tolerance=Decimal("0.1"),
    statement="我们平台上有超过2亿创作者",
)


def creators(amount: Decimal, bound: Bound = Bound.EXACT, **flags: bool) -> EvidenceItem:
    q = Quantity(amount=amount, unit="creators", bound=bound)
    return item("Zuckerberg interview transcript", ("200 million creators", q), **flags)


def test_creators_backed_only_by_meta_itself_is_not_enough_info() -> None:
    verdict = judge(CREATORS, [creators(200 * M, self_published=True)], now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert verdict.reason.startswith(
        "Not enough info: only the claimant's own publication (Zuckerberg interview transcript) "
        "supports this"
    )
    assert verdict.stances == (Stance.NEUTRAL,)
    assert verdict.confidence == 0


def test_self_published_evidence_may_still_refute() -> None:
    verdict = judge(CREATORS, [creators(50 * M, self_published=True)], now=NOW)
    assert verdict.label is Label.REFUTED
    assert verdict.stances == (Stance.REFUTES,)


def test_independent_refutation_beats_a_self_published_support() -> None:
    independent = item(
        "Creator census", ("about 90 million", Quantity(amount=90 * M, unit="creators"))
    )
    verdict = judge(CREATORS, [creators(200 * M, self_published=True), independent], now=NOW)
    assert verdict.label is Label.REFUTED
    assert "only the claimant's own publication (Zuckerberg interview transcript)" in verdict.reason


@pytest.mark.parametrize(
    ("amount", "bound", "label"),
    [
        (200 * M, Bound.AT_LEAST, Label.SUPPORTED),  # "over 200 million": the stated figure fits
        (150 * M, Bound.AT_LEAST, Label.NOT_ENOUGH_INFO),  # "over 150 million" allows 200M
        (500 * M, Bound.AT_LEAST, Label.REFUTED),  # "over 500 million" rules 200M out
        (100 * M, Bound.AT_MOST, Label.REFUTED),  # "under 100 million"
        (210 * M, Bound.APPROXIMATE, Label.SUPPORTED),
    ],
)
def test_evidence_bounds(amount: Decimal, bound: Bound, label: Label) -> None:
    assert judge(CREATORS, [creators(amount, bound)], now=NOW).label is label


def test_approximate_support_lowers_confidence() -> None:
    exact = judge(CREATORS, [creators(200 * M)], now=NOW)
    about = judge(CREATORS, [creators(200 * M, Bound.APPROXIMATE)], now=NOW)
    assert exact.confidence == Decimal("0.5") and about.confidence == Decimal("0.4")


def test_other_units_are_neutral_and_named() -> None:
    claim = ClaimSpec(
        key="chatgpt",
        kind=ClaimKind.QUANTITY,
        expected=ExpectedValue(amount=300 * M, unit="users/month"),
    )
    weekly = item(
        "DealBook report", ("300 million weekly users", Quantity(amount=300 * M, unit="users/week"))
    )
    verdict = judge(claim, [weekly], now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "gives users/week, the claim is users/month: different units" in verdict.reason
    assert verdict.stances == (Stance.NEUTRAL,)


# --- ratio --------------------------------------------------------------------------------------

USD_TOKEN = "USD/token"


def blended(inp: str, out: str) -> Decimal:
    """A 3:1 input:output blended price per token, as the json_path rule's weights compute it."""
    return (3 * Decimal(inp) + Decimal(out)) / 4


def prices(*providers: tuple[str, Decimal], title: str = "LiteLLM model prices") -> EvidenceItem:
    return EvidenceItem(
        source_key="litellm-prices",
        source_title=title,
        role=Role.NUMERATOR,
        fetched_at=FETCHED,
        hits=tuple(hit(str(v), key=k, value=v) for k, v in providers),
        quantities=tuple(Quantity(amount=v, unit=USD_TOKEN) for _, v in providers),
    )


TOGETHER = ("together_ai", blended("3.5e-06", "3.5e-06"))
FIREWORKS = ("fireworks_ai", blended("3e-06", "3e-06"))
AZURE = ("azure_ai", blended("5.33e-06", "1.6e-05"))
BEDROCK = ("bedrock", blended("5.32e-06", "1.6e-05"))
GPT4O = EvidenceItem(
    source_key="litellm-gpt-4o",
    source_title="LiteLLM model prices: gpt-4o",
    role=Role.DENOMINATOR,
    fetched_at=FETCHED,
    hits=(hit("gpt-4o", key="gpt-4o", value=blended("5e-06", "1.5e-05")),),
    quantities=(Quantity(amount=blended("5e-06", "1.5e-05"), unit=USD_TOKEN),),
)
HALF_PRICE = ClaimSpec(
    key="405b-half-gpt4o",
    kind=ClaimKind.RATIO,
    expected=ExpectedValue(amount=Decimal("0.5"), comparison="approx"),
    tolerance=Decimal("0.15"),
    statement="直接在 405 上进行推理比 GPT 4.0 便宜大约 50%",
)


def test_half_price_is_mixed_between_specialist_hosts_and_hyperscalers() -> None:
    verdict = judge(HALF_PRICE, [prices(TOGETHER, FIREWORKS, AZURE, BEDROCK), GPT4O], now=NOW)
    assert verdict.label is Label.MIXED
    assert "2 values for, 2 against" in verdict.reason
    assert (
        "together_ai $3.50/M tokens / gpt-4o $7.50/M tokens = 0.47 (within 0.50 ± 0.15)"
        in verdict.reason
    )
    assert (
        "fireworks_ai $3.00/M tokens / gpt-4o $7.50/M tokens = 0.40 (within 0.50 ± 0.15)"
        in verdict.reason
    )
    assert (
        "azure_ai $8.00/M tokens / gpt-4o $7.50/M tokens = 1.07 (not within 0.50 ± 0.15)"
        in verdict.reason
    )
    assert "Figures from LiteLLM model prices (as of 2026-11-28)" in verdict.reason
    assert verdict.figures["ratio[together_ai]"] == "0.4667"
    assert verdict.figures["ratio[azure_ai]"] == "1.0663"
    assert verdict.figures["ratio[bedrock]"] == "1.0653"
    assert verdict.figures["expected"] == "0.5 ± 0.15"
    assert verdict.stances == (Stance.NEUTRAL, Stance.NEUTRAL)  # each item holds both sides
    assert verdict.confidence == Decimal("0.75")


def test_half_price_supported_by_specialist_hosts_alone() -> None:
    verdict = judge(HALF_PRICE, [prices(TOGETHER, FIREWORKS), GPT4O], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert verdict.stances == (Stance.SUPPORTS, Stance.SUPPORTS)


def test_half_price_refuted_by_hyperscalers_alone() -> None:
    verdict = judge(HALF_PRICE, [prices(AZURE, BEDROCK), GPT4O], now=NOW)
    assert verdict.label is Label.REFUTED
    assert "bedrock $7.99/M tokens / gpt-4o $7.50/M tokens = 1.07 (not within" in verdict.reason


def test_ratio_default_tolerance_is_absolute_point_one() -> None:
    claim = ClaimSpec(key="k", kind=ClaimKind.RATIO, expected=HALF_PRICE.expected)
    verdict = judge(claim, [prices(TOGETHER, FIREWORKS), GPT4O], now=NOW)
    # 0.47 is within 0.5 ± 0.1; 0.40 sits on the edge and is included.
    assert verdict.label is Label.SUPPORTED
    assert verdict.figures["expected"] == "0.5 ± 0.1"


def test_ratio_with_several_denominators_uses_each() -> None:
    gpt4o_0806 = EvidenceItem(
        source_key="gpt-4o-0806",
        source_title="LiteLLM model prices: gpt-4o-2024-08-06",
        role=Role.DENOMINATOR,
        fetched_at=FETCHED,
        hits=(
            hit("gpt-4o-2024-08-06", key="gpt-4o-2024-08-06", value=blended("2.5e-06", "1e-05")),
        ),
        quantities=(Quantity(amount=blended("2.5e-06", "1e-05"), unit=USD_TOKEN),),
    )
    verdict = judge(HALF_PRICE, [prices(TOGETHER), GPT4O, gpt4o_0806], now=NOW)
    assert verdict.figures["ratio[together_ai/gpt-4o]"] == "0.4667"
    assert verdict.figures["ratio[together_ai/gpt-4o-2024-08-06]"] == "0.8000"
    assert verdict.label is Label.MIXED


@pytest.mark.parametrize(("comparison", "label"), [("lt", Label.SUPPORTED), ("gt", Label.REFUTED)])
def test_ratio_lt_and_gt_compare_with_one(comparison: str, label: Label) -> None:
    claim = ClaimSpec(key="k", kind=ClaimKind.RATIO, expected=ExpectedValue(comparison=comparison))
    verdict = judge(claim, [prices(TOGETHER), GPT4O], now=NOW)
    assert verdict.label is label


def test_ratio_with_a_zero_denominator_is_neutral() -> None:
    free = replace(GPT4O, quantities=(Quantity(amount=Decimal(0), unit=USD_TOKEN),))
    free = replace(free, hits=(hit("free preview", key="vertex_ai"),))
    verdict = judge(HALF_PRICE, [prices(TOGETHER), free], now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "cannot divide by zero" in verdict.reason


def test_ratio_without_a_denominator_is_not_enough_info() -> None:
    verdict = judge(HALF_PRICE, [prices(TOGETHER)], now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "has no denominator figure to compare with" in verdict.reason


# --- prediction ---------------------------------------------------------------------------------

MOST_USED = ClaimSpec(
    key="meta-ai-most-used-2024",
    kind=ClaimKind.PREDICTION,
    inner_kind=ClaimKind.RATIO,
    due=date(2024, 12, 31),
    expected=ExpectedValue(comparison="gt"),
    statement="Meta AI will be the most used AI assistant by the end of 2024",
)
AFTER_DUE = datetime(2025, 1, 30, 9, 0, tzinfo=UTC)


def meta_ai(fetched: datetime = AFTER_DUE) -> EvidenceItem:
    q = Quantity(amount=500 * M, unit="users/month", bound=Bound.AT_LEAST)
    return EvidenceItem(
        source_key="meta-q3-2024-call",
        source_title="Meta Q3 2024 earnings call",
        role=Role.NUMERATOR,
        fetched_at=fetched,
        hits=(hit("over 500 million monthly actives", key="meta_ai"),),
        quantities=(q,),
        self_published=True,
    )


def chatgpt(fetched: datetime = AFTER_DUE) -> EvidenceItem:
    return EvidenceItem(
        source_key="dealbook-2024-12-04",
        source_title="TheWrap: ChatGPT 300 million weekly users",
        role=Role.DENOMINATOR,
        fetched_at=fetched,
        hits=(hit("300 million weekly users", key="chatgpt"),),
        quantities=(Quantity(amount=300 * M, unit="users/week"),),
    )


def test_prediction_is_pending_before_its_due_date() -> None:
    early = datetime(2024, 7, 24, tzinfo=UTC)
    verdict = judge(
        MOST_USED, [meta_ai(early), chatgpt(early)], now=datetime(2024, 12, 30, 23, 59, tzinfo=UTC)
    )
    assert verdict.label is Label.PENDING
    assert verdict.reason == "Pending: due 2024-12-31; judged from then on."
    assert verdict.confidence == 0
    assert verdict.stances == (Stance.NONE, Stance.NONE)


def test_prediction_after_due_with_monthly_vs_weekly_users_is_not_enough_info() -> None:
    verdict = judge(MOST_USED, [meta_ai(), chatgpt()], now=datetime(2025, 1, 31, tzinfo=UTC))
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert (
        "meta_ai at least 500 million users/month / chatgpt 300 million users/week: "
        "meta_ai is in users/month, chatgpt in users/week: different units, no ratio "
        "(users/month and users/week are different periods, never converted)" in verdict.reason
    )
    assert verdict.stances == (Stance.NEUTRAL, Stance.NEUTRAL)


def test_prediction_ignores_evidence_fetched_before_the_due_date() -> None:
    before = datetime(2024, 10, 31, tzinfo=UTC)
    verdict = judge(
        MOST_USED, [meta_ai(before), chatgpt(before)], now=datetime(2025, 1, 2, tzinfo=UTC)
    )
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert verdict.reason.startswith(
        "Not enough info: no evidence fetched since the due date 2024-12-31."
    )
    assert (
        "Not used, fetched before the due date 2024-12-31: Meta Q3 2024 earnings call"
        in verdict.reason
    )
    assert verdict.stances == (Stance.NONE, Stance.NONE)


def test_prediction_from_the_due_date_on_is_judged_as_its_inner_kind() -> None:
    monthly = EvidenceItem(
        source_key="openai-monthly",
        source_title="Hypothetical ChatGPT monthly actives",
        role=Role.DENOMINATOR,
        fetched_at=AFTER_DUE,
        hits=(hit("400 million monthly", key="chatgpt"),),
        quantities=(Quantity(amount=400 * M, unit="users/month"),),
    )
    independent = replace(meta_ai(), self_published=False)
    verdict = judge(
        MOST_USED,
        [independent, monthly],
        now=datetime(2024, 12, 31, tzinfo=UTC) + timedelta(days=31),
    )
    assert verdict.label is Label.SUPPORTED
    assert (
        "meta_ai at least 500 million users/month / chatgpt 400 million users/month = 1.25 (> 1)"
        in verdict.reason
    )
    assert verdict.confidence == Decimal("0.60")  # 2 sources 0.75, approximate x0.8
    # ... but Meta's own count cannot carry it alone.
    own = judge(MOST_USED, [meta_ai(), monthly], now=AFTER_DUE)
    assert own.label is Label.NOT_ENOUGH_INFO
    assert "only the claimant's own publication" in own.reason


# --- date ---------------------------------------------------------------------------------------

IPHONE = ClaimSpec(
    key="iphone-2007",
    kind=ClaimKind.DATE,
    expected=ExpectedValue(when=date(2007, 6, 29), precision="year"),
    statement="2007年我们推出iPhone",
)


def wikipedia(raw: str) -> EvidenceItem:
    return item("Wikipedia: iPhone (1st generation)", (raw, None))


def test_iphone_year_supported_by_the_release_day() -> None:
    text = (
        "officially announced on January 9, 2007, and was released in the United States "
        "on June 29, 2007"
    )
    verdict = judge(IPHONE, [wikipedia(text)], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert "gives January 9, 2007, matching the claimed 2007 (compared by year)" in verdict.reason
    assert verdict.figures == {
        "expected": "2007 (year)",
        "found": "2007-01-09, 2007-06-29",
        "as_of": "2026-11-28",
    }


def test_iphone_year_refuted_by_2008() -> None:
    verdict = judge(IPHONE, [wikipedia("2008")], now=NOW)
    assert verdict.label is Label.REFUTED
    assert "gives 2008, not the claimed 2007 (compared by year)" in verdict.reason


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("iPhone goes on sale in the US on June 29, 2007 at 6:00 p.m.", Label.SUPPORTED),
        ("2007年6月29日", Label.SUPPORTED),
        ("2007-06-29", Label.SUPPORTED),
        ("January 9, 2007", Label.REFUTED),  # the announcement, not the release
        ("2007", Label.NOT_ENOUGH_INFO),  # too coarse for a day
        ("June 2008", Label.REFUTED),  # coarse, but already wrong
        ("no date here", Label.NOT_ENOUGH_INFO),
    ],
)
def test_date_at_day_precision(raw: str, label: Label) -> None:
    claim = ClaimSpec(
        key="iphone-day",
        kind=ClaimKind.DATE,
        expected=ExpectedValue(when=date(2007, 6, 29), precision="day"),
    )
    assert judge(claim, [wikipedia(raw)], now=NOW).label is label


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # Llama 3.1 model card, line 82 / licence, line 3
        ("Model Release Date: July 23, 2024.", [("2024-07-23", "day")]),
        ("Llama 3.2 Version Release Date: September 25, 2024", [("2024-09-25", "day")]),
        ("Model Release Date: Sept 25, 2024", [("2024-09-25", "day")]),
        ("2024-07-23T00:00:00Z", [("2024-07-23", "day")]),
        ("发布时间: 2024-07-27 16:19", [("2024-07-27", "day")]),
        ("2007年6月29日在美国上市", [("2007-06-29", "day")]),
        ("2007 年 6 月", [("2007-06-01", "month")]),
        ("2024年", [("2024-01-01", "year")]),
        ("on 29th June 2007", [("2007-06-29", "day")]),
        ("released in June 2007", [("2007-06-01", "month")]),
        ("405B MMLU 87.3, 1335 ±4", []),  # no plausible year
        ("2024-13-01", []),  # no such month
    ],
)
def test_parse_dates(text: str, found: list[tuple[str, str]]) -> None:
    assert [(d.when.isoformat(), d.precision) for d in parse_dates(text)] == found


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(2999, 12, 31)))
def test_parse_dates_reads_every_written_form(day: date) -> None:
    english = day.strftime("%B ") + f"{day.day}, {day.year}"
    chinese = f"{day.year}年{day.month}月{day.day}日"
    for text in (english, day.isoformat(), chinese, f"{day.day} {day.strftime('%b')} {day.year}"):
        assert [(d.when, d.precision) for d in parse_dates(text)] == [(day, "day")]


# --- text ---------------------------------------------------------------------------------------

DISTILLATION = ClaimSpec(
    key="llama31-license-distillation",
    kind=ClaimKind.TEXT,
    expected=ExpectedValue(pattern="synthetic data generation and distillation"),
    statement="围绕 LLaMA 的社区政策允许人们将它用作教师模型，以提取和微调",
)
CARD_SENTENCE = (
    "supports the ability to leverage the outputs of its models to improve other models including "
    "synthetic data generation and distillation. The Llama 3.1 Community License allows for "
    "these use cases."
)
PROHIBITION = "forbids using Llama outputs to improve other large language models"


def licence_page(raw: str | None, role: Role = Role.VALUE, **flags: bool) -> EvidenceItem:
    title = (
        "Llama 3.1 model card" if role is Role.VALUE else "centerconsulting: Llama licence facts"
    )
    return item(title, *([(raw, None)] if raw else []), role=role, **flags)


def test_licence_supported_by_the_distillation_sentence() -> None:
    verdict = judge(DISTILLATION, [licence_page(CARD_SENTENCE, authoritative=True)], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert 'Llama 3.1 model card (as of 2026-11-28) says "supports the ability' in verdict.reason
    assert verdict.reason.count("…") == 1  # the quote is shortened


def test_licence_refuted_when_a_contradicting_phrase_is_found() -> None:
    verdict = judge(DISTILLATION, [licence_page(PROHIBITION, Role.CONTRADICTS)], now=NOW)
    assert verdict.label is Label.REFUTED
    assert "which contradicts the claim" in verdict.reason
    assert verdict.figures["contradicting"] == "1"


def test_licence_phrase_and_contradiction_from_equals_is_mixed() -> None:
    evidence = [licence_page(CARD_SENTENCE), licence_page(PROHIBITION, Role.CONTRADICTS)]
    verdict = judge(DISTILLATION, evidence, now=NOW)
    assert verdict.label is Label.MIXED
    assert verdict.stances == (Stance.SUPPORTS, Stance.REFUTES)
    assert verdict.confidence == Decimal("0.5")


def test_authoritative_licence_wins_over_a_wrong_summary() -> None:
    evidence = [
        licence_page(CARD_SENTENCE, authoritative=True),
        licence_page(PROHIBITION, Role.CONTRADICTS),
    ]
    verdict = judge(DISTILLATION, evidence, now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert "Disagreeing: centerconsulting: Llama licence facts" in verdict.reason


def test_text_with_nothing_found_is_not_enough_info() -> None:
    evidence = [licence_page(None), licence_page(None, Role.CONTRADICTS)]
    verdict = judge(DISTILLATION, evidence, now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert verdict.stances == (Stance.NONE, Stance.NONE)


# --- errors and staleness -----------------------------------------------------------------------


def test_all_errors_is_not_enough_info_naming_the_failures() -> None:
    evidence = [
        failed("Llama 3.1 model card", ErrorCode.TIMEOUT),
        failed("Meta AI blog", ErrorCode.HTTP_STATUS),
    ]
    verdict = judge(SIZES, evidence, now=NOW)
    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert verdict.reason == (
        "Not enough info: no good evidence. "
        "2 sources failed: Llama 3.1 model card (timeout), Meta AI blog (http_status)."
    )
    assert verdict.stances == (Stance.NONE, Stance.NONE)
    assert verdict.confidence == 0


def test_errors_are_ignored_for_the_label_but_mentioned() -> None:
    verdict = judge(SIZES, [failed("Meta AI blog", ErrorCode.TIMEOUT), MODEL_CARD], now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert verdict.reason.endswith("1 source failed: Meta AI blog (timeout).")
    assert verdict.stances == (Stance.NONE, Stance.SUPPORTS)


def test_no_evidence_at_all() -> None:
    verdict = judge(SIZES, [], now=NOW)
    assert (verdict.label, verdict.reason, verdict.stances) == (
        Label.NOT_ENOUGH_INFO,
        "Not enough info: no evidence.",
        (),
    )


def test_is_stale() -> None:
    week = timedelta(days=7)
    assert not is_stale([MODEL_CARD], now=NOW, stale_after=week)
    assert not is_stale([MODEL_CARD], now=FETCHED + week, stale_after=week)  # exactly 7 days
    assert is_stale([MODEL_CARD], now=FETCHED + week + timedelta(seconds=1), stale_after=week)
    # Never fresh is not stale (issue 10, item 9): no evidence, or a source that never answered.
    assert not is_stale([], now=NOW, stale_after=week)
    assert not is_stale([failed("x", ErrorCode.TIMEOUT)], now=NOW, stale_after=week)
    # An error fetched now does not refresh old good evidence.
    old = item("Llama 3.1 model card", params(8), fetched=NOW - timedelta(days=30))
    assert is_stale([old, failed("x", ErrorCode.TIMEOUT)], now=NOW, stale_after=week)


def test_stale_evidence_is_said_and_lowers_confidence() -> None:
    later = NOW + timedelta(days=10)
    verdict = judge(SIZES, [MODEL_CARD], now=later)
    assert verdict.label is Label.SUPPORTED
    assert verdict.confidence == Decimal("0.60")  # 0.75 x 0.8
    assert verdict.reason.endswith("The freshest evidence is from 2026-11-28, older than 7 days.")
    assert judge(
        SIZES, [MODEL_CARD], now=later, stale_after=timedelta(days=30)
    ).confidence == Decimal("0.75")


# --- properties ---------------------------------------------------------------------------------

amounts = st.decimals(
    allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15, places=6
)
units = st.one_of(
    st.none(), st.sampled_from(["parameters", "USD/token", "users/month", "%", "creators"])
)


@given(amounts, units)
def test_quantity_equal_to_expected_supports(amount: Decimal, unit: str | None) -> None:
    claim = ClaimSpec(
        key="k", kind=ClaimKind.QUANTITY, expected=ExpectedValue(amount=amount, unit=unit)
    )
    evidence = [item("Source", (str(amount), Quantity(amount=amount, unit=unit)))]
    verdict = judge(claim, evidence, now=NOW)
    assert verdict.label is Label.SUPPORTED
    assert verdict.stances == (Stance.SUPPORTS,)


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**40), max_value=10**40))
def test_any_figure_can_be_shown(amount: Decimal) -> None:
    for unit in (None, "parameters", "USD/token", "USD", "%", "users/month"):
        assert reasons.show_amount(amount, unit)
    ratio = ClaimSpec(key="k", kind=ClaimKind.RATIO, expected=ExpectedValue(comparison="gt"))
    top = prices(("x", amount))
    bottom = replace(GPT4O, quantities=(Quantity(amount=Decimal("1E-20"), unit=USD_TOKEN),))
    bottom = replace(bottom, hits=(hit("tiny", key="y"),))
    assert judge(ratio, [top, bottom], now=NOW).reason


@st.composite
def evidence_items(draw: st.DrawFn) -> EvidenceItem:
    role = draw(st.sampled_from(list(Role)))
    pairs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["x", "June 29, 2007", "2008"]),
                st.one_of(
                    st.none(),
                    st.builds(
                        Quantity, amount=amounts, unit=units, bound=st.sampled_from(list(Bound))
                    ),
                ),
            ),
            max_size=4,
        )
    )
    error = draw(st.one_of(st.none(), st.sampled_from(list(ErrorCode))))
    return EvidenceItem(
        source_key=draw(st.sampled_from(["a", "b", "c"])),
        source_title="T",
        role=role,
        fetched_at=FETCHED - timedelta(days=draw(st.integers(0, 20))),
        hits=tuple(hit(raw) for raw, _ in pairs),
        quantities=tuple(q for _, q in pairs),
        error_code=error,
        self_published=draw(st.booleans()),
        authoritative=draw(st.booleans()),
    )


claims = st.sampled_from(
    [SIZES, HEADLINE_SET, HEADLINE, CREATORS, HALF_PRICE, MOST_USED, IPHONE, DISTILLATION]
)


@given(claims, st.lists(evidence_items(), max_size=5))
def test_confidence_in_unit_interval_and_one_stance_per_item(
    claim: ClaimSpec, evidence: list[EvidenceItem]
) -> None:
    verdict = judge(claim, evidence, now=NOW)
    assert Decimal(0) <= verdict.confidence <= Decimal(1)
    assert len(verdict.stances) == len(evidence)
    assert verdict.reason.endswith(".")
    assert all(
        s is Stance.NONE for s, i in zip(verdict.stances, evidence, strict=True) if i.error_code
    )


@given(claims, st.lists(evidence_items(), max_size=5))
def test_never_supported_on_self_published_evidence_alone(
    claim: ClaimSpec, evidence: list[EvidenceItem]
) -> None:
    own = [replace(i, self_published=True, authoritative=False) for i in evidence]
    assert judge(claim, own, now=NOW).label is not Label.SUPPORTED
    verdict = judge(claim, evidence, now=NOW)
    if verdict.label is Label.SUPPORTED:
        assert any(
            stance is Stance.SUPPORTS and (not i.self_published or i.authoritative)
            for stance, i in zip(verdict.stances, evidence, strict=True)
        )
