"""Frozen values are hashable, with realistic contents: they can key dicts and sets by value."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from factcheck import domain
from factcheck.declarations.inputs import (
    join_link_options,
    split_link_options,
    validate_claim,
    validate_link,
)
from factcheck.domain import (
    Bound,
    ClaimKind,
    ClaimSpec,
    ErrorCode,
    EvidenceItem,
    ExpectedValue,
    Fetched,
    FrozenMap,
    Hit,
    Judgement,
    Label,
    Quantifier,
    Quantity,
    RecordCondition,
    Relation,
    Role,
    Rule,
    RuleKind,
    SourceFormat,
    Stance,
)
from factcheck.verification.planning import LinkPlan, Plan, SourcePlan

AT = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
PRICE = Quantity(
    amount=Decimal("0.0000035"),
    unit="USD/token",
    bound=Bound.RANGE,
    lower=Decimal("0.000003"),
    upper=Decimal("0.000004"),
    span=(12, 30),
    text="$3.00-$4.00 / 1M tokens",
)
WEIGHTED = Rule(
    kind=RuleKind.JSON_PATH,
    expression="$.data[*]",
    options={
        "weights": {"input": 3, "output": 1},
        "key_field": "provider",
        "where": {"model": ["llama-3.1-405b", "llama-3.1-405b-instruct"]},
    },
)
HIT = Hit(raw="$3.50", excerpt="Together: $3.50 per 1M", location="json:$.data[0]", key="together")
FETCHED = Fetched(
    url="https://example.org/prices.json",
    final_url="https://example.org/prices.json",
    status=200,
    headers={"content-type": "application/json", "etag": '"abc"'},
    body=b'{"data": []}',
    sha256="0" * 64,
    fetched_at=AT,
    encoding="utf-8",
    etag='"abc"',
    content_type="application/json",
)
EXPECTED = ExpectedValue(amount=Decimal("405e9"), amounts=(Decimal("8e9"), Decimal("70e9")))
EVIDENCE = EvidenceItem(
    source_key="card",
    source_title="Model card",
    role=Role.VALUE,
    fetched_at=AT,
    hits=(HIT,),
    quantities=(PRICE,),
    error_code=ErrorCode.NO_QUANTITY,
    error_message="no figure",
    authoritative=True,
    url="https://example.org/card",
)
JUDGEMENT = Judgement(
    label=Label.SUPPORTED,
    confidence=Decimal("0.9"),
    reason="Supported: 405B.",
    figures={"found": "405000000000", "as_of": "2026-03-01"},
    stances=(Stance.SUPPORTS, Stance.NEUTRAL),
)
CLAIM = ClaimSpec(
    key="size-405b",
    kind=ClaimKind.QUANTITY_SET,
    expected=EXPECTED,
    tolerance=Decimal("0.1"),
    due=date(2026, 12, 31),
    statement="这是我们首次发布 4050 亿个参数的模型",
)
PLACEHOLDER = RecordCondition("value", ">", "0", "value > 0")  # a $0.00 preview price is out
QUANTIFIED = dataclasses.replace(
    CLAIM,
    expected=dataclasses.replace(EXPECTED, relation=Relation.AT_MOST, upper=None, text="≤ 0.5"),
    quantifier=Quantifier.SHARE,
    share=Decimal("0.8"),
    conditions=(PLACEHOLDER,),
)
SAMPLES: dict[type, object] = {
    RecordCondition: PLACEHOLDER,
    Quantity: PRICE,
    Rule: WEIGHTED,
    Hit: HIT,
    Fetched: FETCHED,
    ExpectedValue: EXPECTED,
    EvidenceItem: EVIDENCE,
    Judgement: JUDGEMENT,
    ClaimSpec: QUANTIFIED,
}


def _frozen_dataclasses() -> set[type]:
    return {
        cls
        for _, cls in inspect.getmembers(domain, inspect.isclass)
        if dataclasses.is_dataclass(cls)
        and cls.__module__ == domain.__name__
        and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    }


def test_every_frozen_domain_value_is_sampled() -> None:
    assert _frozen_dataclasses() == set(SAMPLES)


@pytest.mark.parametrize("cls", sorted(SAMPLES, key=lambda c: c.__name__))
def test_frozen_values_hash_and_compare_by_value(cls: type) -> None:
    value = SAMPLES[cls]
    twin = dataclasses.replace(value)  # type: ignore[type-var]
    assert twin is not value and twin == value and hash(twin) == hash(value)
    assert {value: "x"}[twin] == "x"


def test_nested_options_are_frozen_and_plain_again_on_the_way_out() -> None:
    options = WEIGHTED.options
    assert isinstance(options, FrozenMap) and isinstance(options["weights"], FrozenMap)
    assert options["where"] == {"model": ("llama-3.1-405b", "llama-3.1-405b-instruct")}
    assert options.get("missing") is None and list(options) == sorted(options)
    with pytest.raises(AttributeError):
        options._items = ()  # type: ignore[misc]
    assert not hasattr(options, "__setitem__")
    assert isinstance(options, FrozenMap) and options.as_dict() == {
        "key_field": "provider",
        "weights": {"input": 3, "output": 1},
        "where": {"model": ["llama-3.1-405b", "llama-3.1-405b-instruct"]},
    }
    # the order options were given in does not matter
    reordered = Rule(RuleKind.JSON_PATH, "$.data[*]", dict(reversed(list(options.items()))))
    assert reordered == WEIGHTED and hash(reordered) == hash(WEIGHTED)


def test_a_link_holds_its_rule_and_unit_apart() -> None:
    declared = {
        "source": "prices",
        "rule_kind": "json_path",
        "rule": "$.data[*].price",
        "options": {"unit": "USD/token", "key_field": "provider"},
    }
    link = validate_link(declared, fmt=SourceFormat.JSON)
    assert link.unit == "USD/token" and "unit" not in link.rule.options
    assert link.rule.options == {"key_field": "provider"}
    assert join_link_options(link.rule.options, link.unit) == declared["options"]
    assert split_link_options(declared["options"]) == (link.rule.options, "USD/token")
    assert split_link_options({"group": "value"}) == ({"group": "value"}, None)
    claim = validate_claim(
        {
            "key": "price",
            "statement": "s",
            "kind": "quantity",
            "expected": "0.0000035",
            "evidence": [declared],
        }
    )
    assert hash(claim) == hash(dataclasses.replace(claim))


def test_link_plans_key_their_results_by_value() -> None:
    def plan() -> LinkPlan:
        return LinkPlan(
            claim_id=1,
            claim_key="price",
            role="value",
            rule=Rule(RuleKind.JSON_PATH, "$.data[*]", {"weights": {"input": 3}}),
            fingerprint="0123456789abcdef",
            unit="USD/token",
            numeric=True,
            previous_id=None,
        )

    source = SourcePlan(
        1, "prices", "https://example.org/p", SourceFormat.JSON, None, None, None, (plan(),)
    )
    assert {plan(): "result"}[source.links[0]] == "result"
    assert hash(Plan(sources=(source,), claim_ids=(1,)))
