"""Ratio claims: the claim's relation applies to numerator / denominator.

`relation = LESS_THAN, amount = 1` is "cheaper than"; `AT_MOST 0.5` is "at least 50% cheaper";
EXACT and ABOUT take an absolute tolerance on the ratio (default `RATIO_TOLERANCE`, 0.1). A spec
from before relations (`comparison = "lt"`/`"gt"` with relation EXACT) is read as LESS_THAN /
MORE_THAN 1, whatever its amount, as it always was. A figure's bounds carry into the ratio
("at least 500 million / 400 million" is at least 1.25). Units must be equal strings, else
the pair is NEUTRAL.

Without a quantifier: one vote per (numerator figure, denominator figure), every denominator
used. With one: each numerator figure over the one denominator figure is a record
(`quantifiers.py`), and the evidence casts one vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from factcheck.domain import ClaimSpec, EvidenceItem, Relation, Role, Stance
from factcheck.normalising.measures import describe_difference
from factcheck.verdicts.figures import (
    Figure,
    figures_of,
    plain,
    rounded,
    show_figures,
    show_given,
    source,
    unit_name,
)
from factcheck.verdicts.intervals import (
    DEFAULT_TOLERANCE,
    ClaimInterval,
    Outcome,
    Span,
    claim_interval,
    place,
    quotient,
    raw_claim,
)
from factcheck.verdicts.quantifiers import Record, condition_problem, quantified_vote, tally
from factcheck.verdicts.votes import Reading, Vote

RATIO_TOLERANCE = DEFAULT_TOLERANCE  # absolute, on the ratio: an EXACT/ABOUT claim without one

_Side = list[tuple[int, Figure]]  # (evidence index, figure) of one side of a ratio


def ratio_interval(claim: ClaimSpec) -> ClaimInterval | str:
    """The interval the ratio must lie in, or the problem with the claim.

    >>> from factcheck.domain import ClaimKind, ExpectedValue
    >>> old = ClaimSpec("k", ClaimKind.RATIO, ExpectedValue(comparison="lt"))
    >>> ratio_interval(old).relation, ratio_interval(old).high
    (<Relation.LESS_THAN: 'less_than'>, Decimal('1'))
    """
    expected = claim.expected
    relation, amount = expected.relation, expected.amount
    if relation is Relation.EXACT and expected.comparison in ("lt", "gt"):
        relation = Relation.LESS_THAN if expected.comparison == "lt" else Relation.MORE_THAN
        amount = Decimal(1)
    elif relation is Relation.EXACT and expected.comparison != "approx":
        return f"unknown ratio comparison {expected.comparison!r}"
    if relation is Relation.INCLUDES:
        return "includes applies to a set of values, not to a ratio"
    if amount is None:
        return "the claim gives no expected ratio"
    return claim_interval(
        relation, amount, upper=expected.upper, tolerance=claim.tolerance, absolute=True
    )


def ratio_words(claim: ClaimInterval) -> str:
    """The claim on the ratio as notes write it: "< 1", "within 0.50 ± 0.15", "≤ 0.5"."""
    x = plain(claim.target)
    if claim.windowed:
        return f"within {claim.target:.2f} ± {claim.tolerance or 0:.2f}"
    symbols = {
        Relation.MORE_THAN: f"> {x}",
        Relation.LESS_THAN: f"< {x}",
        Relation.AT_LEAST: f"≥ {x}",
        Relation.AT_MOST: f"≤ {x}",
    }
    if claim.relation in symbols:
        return symbols[claim.relation]
    if claim.relation is Relation.BETWEEN and claim.upper is not None:
        return f"between {x} and {plain(claim.upper)}"
    return f"nearly {x} ({plain(claim.low or claim.target)} to {x})"


def _said(claim: ClaimInterval, outcome: Outcome) -> str:
    words = ratio_words(claim)
    if outcome is Outcome.MATCH:
        return words
    return f"not {words}" if outcome is Outcome.MISS else f"may or may not be {words}"


def _expected(claim: ClaimInterval) -> str:
    """For `Judgement.figures`: every digit ("0.5 ± 0.15", "~0.5 ± 0.1", "<1")."""
    if claim.windowed:
        about = "~" if claim.relation is Relation.ABOUT else ""
        return f"{about}{plain(claim.target)} ± {plain(claim.tolerance or Decimal(0))}"
    return raw_claim(claim, None)


def _sides(evidence: Sequence[EvidenceItem], usable: Sequence[int]) -> tuple[_Side, _Side]:
    """(numerators, denominators): every figure of every usable item on each side."""
    sides: dict[Role, _Side] = {Role.NUMERATOR: [], Role.DENOMINATOR: []}
    for index in usable:
        if evidence[index].role in sides:
            sides[evidence[index].role] += [(index, f) for f in figures_of(evidence[index])]
    return sides[Role.NUMERATOR], sides[Role.DENOMINATOR]


def _lonely(evidence: Sequence[EvidenceItem], numerators: _Side, denominators: _Side) -> list[Vote]:
    """A NEUTRAL vote per item of a side that has nothing on the other side to divide by."""
    votes = []
    for lonely, missing in ((numerators, "denominator"), (denominators, "numerator")):
        if lonely and not (numerators and denominators):
            for index in sorted({index for index, _ in lonely}):
                note = f"{source(evidence[index])} has no {missing} figure to compare with"
                votes.append(Vote(Stance.NEUTRAL, note, (index,)))
    return votes


def _pair(top: Figure, bottom: Figure) -> str:
    return (
        f"{top.key} {show_figures([top])}{show_given([top])} / "
        f"{bottom.key} {show_figures([bottom])}{show_given([bottom])}"
    )


def _divided(top: Figure, bottom: Figure) -> Span | str:
    """The span of top / bottom (its `amount` the stated ratio), or why there is none."""
    if top.unit != bottom.unit:
        return (
            f"{top.key} is in {unit_name(top.unit)}, {bottom.key} in "
            f"{unit_name(bottom.unit)}: different units, no ratio "
            f"({describe_difference(top.unit, bottom.unit)})"
        )
    if bottom.amount == 0:
        return "cannot divide by zero"
    ratio = top.amount / bottom.amount
    return quotient(top, bottom) or Span(None, None, ratio)  # a bottom that may be 0: anything


def _ratio_vote(
    claim: ClaimInterval, top: Figure, bottom: Figure, items: tuple[int, int]
) -> tuple[Vote, Decimal | None]:
    """One numerator figure over one denominator figure, and the ratio when there is one."""
    span = _divided(top, bottom)
    if isinstance(span, str):
        pair = _pair(top, bottom)
        note = f"{span} ({pair})" if span.endswith("no ratio") else f"{pair}: {span}"
        return Vote(Stance.NEUTRAL, note, items), None
    outcome, ratio = place(claim, span), span.amount
    note = f"{_pair(top, bottom)} = {rounded(ratio, 2)} ({_said(claim, outcome)})"
    stance = {
        Outcome.MATCH: Stance.SUPPORTS,
        Outcome.MISS: Stance.REFUTES,
        Outcome.OPEN: Stance.NEUTRAL,
    }[outcome]
    return Vote(stance, note, items, approximate=top.approximate or bottom.approximate), ratio


def read_ratio(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    """One vote per (numerator, denominator) pair, or one for all records with a quantifier."""
    interval = ratio_interval(claim)
    if isinstance(interval, str):
        return Reading((), problem=interval)
    figures = {"expected": _expected(interval)}
    if interval.relation is not Relation.EXACT:
        figures["relation"] = interval.relation.value
    numerators, denominators = _sides(evidence, usable)
    votes = _lonely(evidence, numerators, denominators)
    if claim.quantifier is not None and numerators and denominators:
        return _read_quantified(claim, interval, evidence, numerators, denominators, figures)
    for n_index, top in numerators:
        for d_index, bottom in denominators:
            vote, ratio = _ratio_vote(interval, top, bottom, (n_index, d_index))
            votes.append(vote)
            if ratio is not None:
                name = f"{top.key}/{bottom.key}" if len(denominators) > 1 else top.key
                figures[f"ratio[{name}]"] = str(rounded(ratio, 4))
    context = _context(evidence, votes) if numerators and denominators else ""
    return Reading(tuple(votes), figures, context=context, unit_word="values")


def _context(evidence: Sequence[EvidenceItem], votes: Sequence[Vote]) -> str:
    used = sorted({index for vote in votes for index in vote.items})
    named = dict.fromkeys(source(evidence[index]) for index in used)
    return "Figures from " + ", ".join(named) if named else ""


def _read_quantified(
    claim: ClaimSpec,
    interval: ClaimInterval,
    evidence: Sequence[EvidenceItem],
    numerators: _Side,
    denominators: _Side,
    figures: dict[str, str],
) -> Reading:
    problem = condition_problem(claim.conditions)
    if len(denominators) > 1:
        problem = problem or "a quantified ratio needs one denominator figure"
    if problem:
        return Reading((), problem=problem)
    d_index, bottom = denominators[0]
    records = []
    for n_index, top in numerators:
        span = _divided(top, bottom)
        if not isinstance(span, str):
            figures[f"ratio[{top.key}]"] = str(rounded(span.amount, 4))
        records.append(
            Record(
                key=top.key,
                value=top,
                items=tuple(sorted({n_index, d_index})),
                span=None if isinstance(span, str) else span,
                shown=show_figures([top])
                if isinstance(span, str)
                else str(rounded(span.amount, 2)),
                why=span if isinstance(span, str) else "",
                approximate=top.approximate or bottom.approximate,
            )
        )
    counts = tally(records, interval, claim.conditions)
    counted = f"ratios to {bottom.key} {show_figures([bottom])}"
    vote = quantified_vote(claim, counts, counted=counted, claimed=ratio_words(interval))
    figures["quantifier"] = claim.quantifier.value if claim.quantifier else ""
    reading_figures = figures | counts.figures()
    return Reading(
        (vote,), reading_figures, context=_context(evidence, [vote]), unit_word="records"
    )
