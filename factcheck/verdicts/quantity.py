"""Quantity and quantity_set claims: a source's figures against the claimed interval or set.

quantity: the claim is an interval (`intervals.claim_interval`, tolerance relative). A source
SUPPORTS when one of its same-unit figures matches, REFUTES when all miss, else NEUTRAL; other
units are NEUTRAL. With `claim.quantifier` every figure is a record instead
(`quantifiers.py`) and the whole evidence casts one vote.

quantity_set, EXACT: SUPPORTS lists only claimed values; a list with a value not claimed, or an
authoritative list lacking a claimed one, REFUTES (the judge needs every claimed value found
across the supporting sources). INCLUDES ("405B is among the sizes"): extra values never
refute; an authoritative list lacking a claimed value does; a list that has none of the claimed
values is NEUTRAL ("not found: ...").
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
    raw_figure,
    raw_values,
    show_amount,
    show_figures,
    show_given,
    show_values,
    source,
    unit_name,
)
from factcheck.verdicts.intervals import (
    ClaimInterval,
    Outcome,
    claim_interval,
    phrase,
    place,
    raw_claim,
    says,
    span_of,
)
from factcheck.verdicts.quantifiers import Record, condition_problem, quantified_vote, tally
from factcheck.verdicts.votes import Reading, Vote


def _other_units(item: EvidenceItem, figures: list[Figure], unit: str | None) -> str:
    """Why a source's figures cannot be compared: the registry says how the units differ."""
    found = sorted({f.unit or "" for f in figures})
    units = ", ".join(unit_name(u or None) for u in found)
    why = "; ".join(describe_difference(u or None, unit) for u in found)
    return f"{source(item)} gives {units}, the claim is {unit_name(unit)}: different units ({why})"


def _shown(figures: Sequence[Figure]) -> str:
    """The figures as a note names them, with what converted ones were declared as.

    >>> _shown([Figure("a", Decimal("1E-5"), "USD/token", given="0.01 USD/K tokens")])
    '$10.00/M tokens (given as 0.01 USD/K tokens)'
    """
    return show_figures(figures) + show_given(figures)


def _windowed_note(
    item: EvidenceItem, same: list[Figure], claim: ClaimInterval, outcomes: list[Outcome]
) -> str:
    """EXACT and ABOUT, worded as verdicts always were."""
    unit = same[0].unit
    claimed = f"the claimed {show_amount(claim.target, unit)}"
    closeness = f"within {plain(claim.tolerance * 100)}% of" if claim.tolerance else "matching"
    matches = [f for f, outcome in zip(same, outcomes, strict=True) if outcome is Outcome.MATCH]
    if matches:
        best = min(matches, key=lambda f: (f.approximate, abs(f.amount - claim.target)))
        return f"{source(item)} gives {_shown([best])}, {closeness} {claimed}"
    if all(outcome is Outcome.MISS for outcome in outcomes):
        verdict = f"none {closeness}" if claim.tolerance else "not"
        return f"{source(item)} gives {_shown(same)}, {verdict} {claimed}"
    return f"{source(item)} gives {_shown(same)}, which neither shows nor rules out {claimed}"


def _bound_note(
    item: EvidenceItem, same: list[Figure], claim: ClaimInterval, outcomes: list[Outcome]
) -> str:
    """Every other relation: the deciding figure and the bound ("89 is not above 90")."""
    unit = same[0].unit

    def show(amount: Decimal) -> str:
        return show_amount(amount, unit)

    placed = list(zip(same, outcomes, strict=True))
    matches = [f for f, outcome in placed if outcome is Outcome.MATCH]
    opens = [f for f, outcome in placed if outcome is Outcome.OPEN]
    if matches:
        best = min(matches, key=lambda f: (f.approximate, abs(f.amount - claim.target)))
        deciding = f"{_shown([best])} {says(claim, Outcome.MATCH, show)}"
    elif opens:
        deciding = f"{_shown([opens[0]])} {says(claim, Outcome.OPEN, show)}"
    elif len(same) == 1:
        deciding = f"{_shown(same)} {says(claim, Outcome.MISS, show)}"
    else:
        deciding = f"none {says(claim, Outcome.MATCH, show)}"
    if len(same) == 1:
        return f"{source(item)}: {deciding}"
    return f"{source(item)} gives {_shown(same)}: {deciding}"


def _source_vote(item: EvidenceItem, index: int, same: list[Figure], claim: ClaimInterval) -> Vote:
    outcomes = [place(claim, span_of(f)) for f in same]
    note = (_windowed_note if claim.windowed else _bound_note)(item, same, claim, outcomes)
    if not claim.windowed and Outcome.MATCH in outcomes and Outcome.MISS in outcomes:
        # "89, down from 93" against "above 90": which figure is the claim's is not known
        note += "; its figures disagree: select the one record that counts, or a quantifier"
        return Vote(Stance.NEUTRAL, note, (index,))
    if Outcome.MATCH in outcomes:
        matches = [f for f, o in zip(same, outcomes, strict=True) if o is Outcome.MATCH]
        best = min(matches, key=lambda f: (f.approximate, abs(f.amount - claim.target)))
        return Vote(Stance.SUPPORTS, note, (index,), approximate=best.approximate)
    if all(outcome is Outcome.MISS for outcome in outcomes):
        return Vote(Stance.REFUTES, note, (index,))
    return Vote(Stance.NEUTRAL, note, (index,))


def _claim_figures(claim: ClaimInterval, spec: ClaimSpec) -> dict[str, str]:
    unit = spec.expected.unit
    figures = {"expected": raw_claim(claim, unit)}
    if claim.relation is not Relation.EXACT:
        figures["relation"] = claim.relation.value
    if claim.tolerance is not None and (spec.tolerance is not None or claim.windowed):
        figures["tolerance"] = plain(claim.tolerance)
    return figures


def read_quantity(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    """One vote per source (or one for all records, with a quantifier)."""
    expected = claim.expected
    if expected.relation is Relation.INCLUDES:
        return Reading((), problem="includes applies to a set of values, not to one figure")
    interval = claim_interval(
        expected.relation, expected.amount, upper=expected.upper, tolerance=claim.tolerance
    )
    if isinstance(interval, str):
        return Reading((), problem=interval)
    unit = expected.unit
    figures = _claim_figures(interval, claim)
    if claim.quantifier is not None:
        return _read_quantified(claim, interval, evidence, usable, figures)
    votes, found = [], []
    for index in usable:
        item = evidence[index]
        if item.role is not Role.VALUE:
            continue
        numbers = figures_of(item)
        same = [f for f in numbers if f.unit == unit]
        found += same
        if same:
            votes.append(_source_vote(item, index, same, interval))
        elif numbers:
            votes.append(Vote(Stance.NEUTRAL, _other_units(item, numbers, unit), (index,)))
    if found:
        figures["found"] = ", ".join(dict.fromkeys(raw_figure(f) for f in found))
    return Reading(tuple(votes), figures, unit=unit)


def _read_quantified(
    claim: ClaimSpec,
    interval: ClaimInterval,
    evidence: Sequence[EvidenceItem],
    usable: Sequence[int],
    figures: dict[str, str],
) -> Reading:
    problem = condition_problem(claim.conditions)
    if problem:
        return Reading((), problem=problem)
    unit = claim.expected.unit
    records = []
    for index in usable:
        if evidence[index].role is not Role.VALUE:
            continue
        for figure in figures_of(evidence[index]):
            same = figure.unit == unit
            records.append(
                Record(
                    key=figure.key,
                    value=figure,
                    items=(index,),
                    span=span_of(figure) if same else None,
                    shown=_shown([figure]),
                    why="" if same else f"in {unit_name(figure.unit)}",
                    approximate=figure.approximate,
                )
            )
    figures["quantifier"] = claim.quantifier.value if claim.quantifier else ""
    if not records:
        return Reading((), figures, unit=unit)
    counts = tally(records, interval, claim.conditions)
    claimed = phrase(interval, lambda amount: show_amount(amount, unit))
    vote = quantified_vote(claim, counts, counted="records", claimed=claimed)
    return Reading((vote,), figures | counts.figures(), unit=unit, unit_word="records")


def read_quantity_set(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    """One vote per source listing values of the claim's unit."""
    claimed, unit = frozenset(claim.expected.amounts), claim.expected.unit
    relation = claim.expected.relation
    if not claimed:
        return Reading((), problem="the claim gives no expected values")
    if relation not in (Relation.EXACT, Relation.INCLUDES):
        return Reading((), problem=f"a set of values is exact or includes, not {relation}")
    includes = relation is Relation.INCLUDES
    windows = {
        value: claim_interval(Relation.EXACT, value, tolerance=claim.tolerance) for value in claimed
    }

    def near(amount: Decimal, value: Decimal) -> bool:
        window = windows[value]
        return isinstance(window, ClaimInterval) and window.holds(amount)

    votes, found, extras = [], set[Decimal](), set[Decimal]()
    for index in usable:
        item = evidence[index]
        if item.role is not Role.VALUE:
            continue
        numbers = figures_of(item)
        same = [f for f in numbers if f.unit == unit]
        if not same:
            if numbers:
                votes.append(Vote(Stance.NEUTRAL, _other_units(item, numbers, unit), (index,)))
            continue
        covers = frozenset(v for v in claimed if any(near(f.amount, v) for f in same))
        extra = [] if includes else [f for f in same if not any(near(f.amount, v) for v in claimed)]
        found.update(f.amount for f in same)
        extras.update(f.amount for f in extra)
        votes.append(_set_vote(item, index, same, claimed - covers, extra, covers, unit))
    figures = {"expected": raw_values(claimed, unit)}
    if includes:
        figures["relation"] = relation.value
    if found:
        covered = {v for v in claimed if any(near(a, v) for a in found)}
        figures["found"] = raw_values(found, unit)
        figures["missing"] = raw_values(claimed - covered, unit)
        if not includes:
            figures["extra"] = raw_values(extras, unit)
    return Reading(tuple(votes), figures, required=claimed, unit=unit)


def _set_vote(
    item: EvidenceItem,
    index: int,
    same: list[Figure],
    missing_values: frozenset[Decimal],
    extra: list[Figure],
    covers: frozenset[Decimal],
    unit: str | None,
) -> Vote:
    listed, missing = _shown(same), sorted(missing_values)
    if extra or (item.authoritative and missing):
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            note = f"claimed {show_values(missing, unit)} {verb} not among {listed} found in"
            note = f"{note} {source(item)}"
        else:
            note = f"{source(item)} lists {listed}"
        if extra:
            note += f"; not claimed: {show_figures(extra)}"
        return Vote(Stance.REFUTES, note, (index,), covers=covers)
    if not covers:
        note = f"{source(item)} lists {listed}; not found: {show_values(missing, unit)}"
        return Vote(Stance.NEUTRAL, note, (index,))
    return Vote(Stance.SUPPORTS, f"{source(item)} lists {listed}", (index,), covers=covers)
