"""A quantified vote rests on the sources of the records that decided it (found in review: a
claimant's own record that did not decide blocked an independent support and was named)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from factcheck.domain import (
    ClaimKind,
    ClaimSpec,
    EvidenceItem,
    ExpectedValue,
    Hit,
    Label,
    Quantifier,
    Relation,
    Role,
    Stance,
)
from factcheck.normalising.hits import normalise
from factcheck.verdicts.judge import judge

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def item(text: str, title: str, *, self_published: bool = False) -> EvidenceItem:
    hits, quantities = normalise([Hit(text, text, "x")], unit=None, numeric=True)
    return EvidenceItem(
        title.lower(), title, Role.VALUE, NOW, hits, quantities, self_published=self_published
    )


def sources(independent: str, own: str) -> list[EvidenceItem]:
    return [item(independent, "Indep"), item(own, "Own", self_published=True)]


def above_90(quantifier: Quantifier) -> ClaimSpec:
    expected = ExpectedValue(amount=Decimal(90), relation=Relation.MORE_THAN)
    return ClaimSpec("k", ClaimKind.QUANTITY, expected, quantifier=quantifier)


def test_an_independent_record_decides_any_whatever_the_claimant_says() -> None:
    verdict = judge(above_90(Quantifier.ANY), sources("91", "80"), now=NOW)

    assert verdict.label is Label.SUPPORTED
    assert "only the claimant" not in verdict.reason and "indep 91" in verdict.reason
    assert verdict.stances == (Stance.SUPPORTS, Stance.NONE)


def test_the_claimants_own_record_alone_still_cannot_support() -> None:
    verdict = judge(above_90(Quantifier.ANY), sources("81", "95"), now=NOW)

    assert verdict.label is Label.NOT_ENOUGH_INFO
    assert "only the claimant's own publication (Own) supports this" in verdict.reason


def test_a_failed_record_refutes_all_and_is_the_one_named() -> None:
    verdict = judge(above_90(Quantifier.ALL), sources("91", "80"), now=NOW)

    assert verdict.label is Label.REFUTED
    assert verdict.stances == (Stance.NONE, Stance.REFUTES)
