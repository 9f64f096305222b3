"""How each claim kind reads its evidence: items in, votes out; no labels are decided here.

A `Vote` is one comparison with the figures written out: one source's numbers against a
claimed quantity, set or date; one source's phrase; one numerator value against one
denominator; or, for a quantified claim, all records at once. `judge.py` weighs the votes
(self-published, authoritative, mixed) into a label.

Where each kind lives: quantity and quantity_set `quantity.py`, ratio `ratio.py` (claim
intervals and relations `intervals.py`, quantifiers over records `quantifiers.py`), date
`dates.py`; text and the dispatch are here. How figures are read from hits and written into
notes is `figures.py`. Public names that used to live here are re-exported.

Units are compared as canonical strings (converted upstream): equal strings are compatible,
`None` matches only `None`; a converted figure's note shows what the source declared.
"""

from __future__ import annotations

from collections.abc import Sequence

from factcheck.domain import ClaimKind, ClaimSpec, EvidenceItem, Role, Stance
from factcheck.verdicts.dates import (
    PRECISIONS,
    FoundDate,
    compare_dates,
    parse_dates,
    show_date,
)
from factcheck.verdicts.figures import (
    Figure,
    figures_of,
    plain,
    quote,
    raw_figure,
    raw_values,
    rounded,
    show_amount,
    show_figures,
    show_values,
    source,
    unit_name,
)
from factcheck.verdicts.quantity import read_quantity, read_quantity_set
from factcheck.verdicts.ratio import RATIO_TOLERANCE, read_ratio
from factcheck.verdicts.votes import Reading, Vote

__all__ = [
    "PRECISIONS",
    "RATIO_TOLERANCE",
    "Figure",
    "FoundDate",
    "Reading",
    "Vote",
    "compare_dates",
    "figures_of",
    "parse_dates",
    "plain",
    "raw_figure",
    "raw_values",
    "read_evidence",
    "rounded",
    "show_amount",
    "show_date",
    "show_figures",
    "show_values",
    "source",
    "unit_name",
]


def read_evidence(
    claim: ClaimSpec, kind: ClaimKind, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    """The votes of the usable items (good evidence, in window) for a claim of `kind`; a
    prediction is read as its inner kind, never as itself.

    >>> from factcheck.domain import ExpectedValue
    >>> claim = ClaimSpec("k", ClaimKind.PREDICTION, ExpectedValue())
    >>> read_evidence(claim, ClaimKind.PREDICTION, [], []).problem
    'a prediction claim cannot be judged directly'
    """
    readers = {
        ClaimKind.QUANTITY: read_quantity,
        ClaimKind.QUANTITY_SET: read_quantity_set,
        ClaimKind.RATIO: read_ratio,
        ClaimKind.TEXT: _read_text,
        ClaimKind.DATE: _read_date,
    }
    if kind not in readers:
        return Reading((), problem=f"a {kind} claim cannot be judged directly")
    return readers[kind](claim, evidence, usable)


def _read_text(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    votes = []
    for index in usable:
        item = evidence[index]
        if not item.hits or item.role not in (Role.VALUE, Role.CONTRADICTS):
            continue
        hit = item.hits[0]
        said = f'{source(item)} says "{quote(hit.raw or hit.excerpt)}"'
        if item.role is Role.VALUE:
            votes.append(Vote(Stance.SUPPORTS, said, (index,)))
        else:
            votes.append(Vote(Stance.REFUTES, f"{said}, which contradicts the claim", (index,)))
    figures = {"pattern": claim.expected.pattern} if claim.expected.pattern else {}
    figures["supporting"] = str(sum(v.stance is Stance.SUPPORTS for v in votes))
    figures["contradicting"] = str(sum(v.stance is Stance.REFUTES for v in votes))
    return Reading(tuple(votes), figures)


def _read_date(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    expected, precision = claim.expected.when, claim.expected.precision or "day"
    if expected is None:
        return Reading((), problem="the claim gives no expected date")
    if precision not in PRECISIONS:
        return Reading((), problem=f"unknown date precision {precision!r}")
    claimed = f"the claimed {show_date(expected, precision)} (compared by {precision})"
    votes, found = [], []
    for index in usable:
        item = evidence[index]
        if item.role is not Role.VALUE:
            continue
        dates = [d for hit in item.hits for d in parse_dates(hit.raw)]
        found += dates
        if not dates:
            continue
        outcomes = [(d, compare_dates(d, expected, precision)) for d in dates]
        matches = [d for d, outcome in outcomes if outcome == "match"]
        texts = ", ".join(dict.fromkeys(d.text for d in dates))
        if matches:
            note = f"{source(item)} gives {matches[0].text}, matching {claimed}"
            votes.append(Vote(Stance.SUPPORTS, note, (index,)))
        elif all(outcome == "miss" for _, outcome in outcomes):
            votes.append(
                Vote(Stance.REFUTES, f"{source(item)} gives {texts}, not {claimed}", (index,))
            )
        else:
            note = f"{source(item)} gives {texts}, too coarse to confirm {claimed}"
            votes.append(Vote(Stance.NEUTRAL, note, (index,)))
    figures = {"expected": f"{show_date(expected, precision)} ({precision})"}
    if found:
        figures["found"] = ", ".join(dict.fromkeys(show_date(d.when, d.precision) for d in found))
    return Reading(tuple(votes), figures)
