"""A claim in words, as it will be judged: what `claim show` and `import --dry-run` print.

An editor who wrote `expected = "超过 88 分"` should see "more than 88" before the night
judges it, and one who wrote `quantifier = "most"` should see "on most records (more than
half)". The wording of figures is the normaliser's (`normalising.expected`).
"""

from __future__ import annotations

from decimal import Decimal

from factcheck.domain import ClaimKind, ClaimSpec, Quantifier, Relation
from factcheck.normalising.expected import describe_expected
from factcheck.verdicts.dates import show_date
from factcheck.verdicts.figures import plain
from factcheck.verdicts.ratio import RATIO_TOLERANCE

_QUANTIFIED = {
    Quantifier.ALL: "on every record",
    Quantifier.ANY: "on at least one record",
    Quantifier.MOST: "on most records (more than half)",
}


def _ratio(spec: ClaimSpec) -> str:
    e = spec.expected
    if e.amount is None:
        return "a ratio (no expected figure)"
    if e.relation in (Relation.EXACT, Relation.ABOUT):
        tolerance = spec.tolerance if spec.tolerance is not None else RATIO_TOLERANCE
        words = f"{plain(e.amount)} ± {plain(tolerance)}"
    else:
        words = describe_expected(e.relation, e.amount, e.upper, None, tolerance=spec.tolerance)
    return f"numerator / denominator {words}"


def _figure(spec: ClaimSpec, kind: ClaimKind) -> str:
    e = spec.expected
    if kind is ClaimKind.QUANTITY:
        if e.amount is None:
            return "a quantity (no expected figure)"
        return describe_expected(e.relation, e.amount, e.upper, e.unit, tolerance=spec.tolerance)
    if kind is ClaimKind.QUANTITY_SET:
        values = ", ".join(
            describe_expected(Relation.EXACT, a, None, e.unit, tolerance=spec.tolerance)
            for a in sorted(e.amounts)
        )
        if e.relation is Relation.INCLUDES:
            return f"includes {values} (other values allowed)"
        return f"exactly the set {values}"
    if kind is ClaimKind.RATIO:
        return _ratio(spec)
    if kind is ClaimKind.TEXT:
        return f'the source says "{e.pattern}"' if e.pattern else "the linked phrase is found"
    if kind is ClaimKind.DATE and e.when is not None:
        precision = e.precision or "day"
        return f"{show_date(e.when, precision)} (compared by {precision})"
    return f"a {kind.value} claim"


def describe_claim(spec: ClaimSpec) -> str:
    """The claim in words: the figure with its relation, the quantifier and its conditions,
    and for a prediction its due date.

    >>> from factcheck.domain import ExpectedValue
    >>> spec = ClaimSpec("k", ClaimKind.DATE, ExpectedValue(when=__import__("datetime").date(
    ...     2024, 9, 25), precision="month"))
    >>> describe_claim(spec)
    '2024-09 (compared by month)'
    """
    kind = spec.inner_kind if spec.kind is ClaimKind.PREDICTION and spec.inner_kind else spec.kind
    words = _figure(spec, kind)
    if spec.quantifier is not None:
        share = spec.share or Decimal(1)
        words += " " + _QUANTIFIED.get(
            spec.quantifier, f"on at least {plain(share * 100)}% of records"
        )
    if spec.conditions:
        words += ", counting only records where " + " and ".join(c.text for c in spec.conditions)
    if spec.kind is ClaimKind.PREDICTION and spec.due is not None:
        words = f"by {spec.due.isoformat()}: {words}"
    return words
