"""Judging: (claim, evidence, now) -> Judgement. Pure: no I/O, no clock, `now` is an argument.

`reasons.py` turns the evidence into votes, one per comparison; this module weighs them.

Per kind (details in `reasons.py`, `quantity.py`, `ratio.py`, `intervals.py`,
`quantifiers.py`):

* Relations. `expected.relation` makes the claim an interval: EXACT [x(1-t), x(1+t)] (t None:
  exactly x), ABOUT the same with t defaulting to 0.1, NEARLY [x(1-t), x] (towards zero:
  "nearly -40" is [-40, -36]), AT_LEAST [x, inf),
  MORE_THAN (x, inf), AT_MOST (-inf, x], LESS_THAN (-inf, x), BETWEEN [amount, upper];
  `tolerance` is relative for quantities and absolute for ratios (default 0.1).
* Evidence bounds. A figure allows an interval (`Figure.limits()`: "over 300,000" is
  [300000, inf)). For EXACT and ABOUT the rule is as it always was: disjoint from the window
  refutes, inside supports, overlapping supports only if the stated figure is inside, else
  NEUTRAL ("over 500 million" supports "500 million"; "over 150 million" neither shows nor
  rules out 200 million). For the other relations: supported when every value the evidence
  allows satisfies the claim, refuted when none does, NEUTRAL when the evidence straddles the
  claim's bound. "over" may have been strict, so "over 300,000" shows "more than 300,000". The
  reason names the deciding figure and bound: "89 is not above 90", "at least 300,000 does
  not show more than 400,000".
* quantity: a source supports when any of its same-unit figures matches, refutes when all
  miss; other units are NEUTRAL.
* quantity_set: EXACT as under "coverage" below; INCLUDES ("405B is among the sizes"): every
  claimed value found across the sources supports, extra values never refute, an
  authoritative list lacking a claimed value refutes, else not enough info ("not found: ...").
* ratio: the relation applies to numerator / denominator (`LESS_THAN 1` is "cheaper than");
  one vote per (numerator value, denominator value), every denominator used; an old spec's
  "lt"/"gt" is LESS_THAN/MORE_THAN 1. Units must be equal strings or the pair is NEUTRAL.
* Quantifiers (`claim.quantifier`, quantity and ratio): every figure (or numerator figure over
  the one denominator figure) is a record; records failing `claim.conditions` are excluded and
  named; ALL / ANY / MOST / SHARE decide over the rest, as one vote for all the items
  involved, its note naming the records that decided.
* Units are canonical strings by the time they reach the judge; a converted figure's note
  shows what the source declared ("$10.00/M tokens (given as 0.01 USD/K tokens)").
* date: read from hit text; compared at the claimed precision; a coarser found date that
  agrees so far is NEUTRAL, one that already differs refutes.

Decisions, in the order they apply:

* Errors. An item with `error_code` is not evidence: stance NONE, named in the reason
  ("2 sources failed: x (timeout), y (http_status)"). All items failed -> NOT_ENOUGH_INFO
  (the caller keeps the previous verdict; the judge only reports).
* Predictions. Before `claim.due`: PENDING. From the due date on the claim is judged as its
  `inner_kind` on evidence fetched on or after the due date only: a prediction is about the
  world at its deadline, and a page fetched earlier cannot show that (the statement date is not
  in `ClaimSpec`, and any evidence before the deadline is interim). None such -> NOT_ENOUGH_INFO.
* Self-published. A vote resting on an item the claimant published about itself (any item of
  a ratio pair) cannot support alone: its item's stance is NEUTRAL and, if nothing else
  supports and nothing refutes, the label is NOT_ENOUGH_INFO with "only the claimant's own
  publication (<title>) supports this". It may still refute. An item that is also
  `authoritative` (a model card for the model's sizes, a licence for what it permits) is a
  primary record and counts: the record is the definition, not a boast.
* Disagreement. Votes for and against -> MIXED, unless the authoritative votes all side one
  way: then the label follows them, the reason names the dissent and confidence drops (x0.6).
* quantity_set coverage. SUPPORTED needs every claimed value found across the supporting
  sources (sets are unioned); a partial list from a non-authoritative source that contradicts
  nothing gives NOT_ENOUGH_INFO ("not found: 405B"), not REFUTED: a news story naming only the
  405B model says nothing against the 8B one. Extra values, or an authoritative list that
  lacks a claimed value, refute.

Confidence, in [0, 1]: 0 for NOT_ENOUGH_INFO and PENDING. Otherwise w = the distinct sources
behind the deciding votes (an authoritative source counts 2), confidence = 1 - 0.5**w
(1 source 0.5, 2 sources 0.75, an authoritative one alone 0.75); x0.8 when a deciding figure
was approximate (about/over/under), x0.6 when an authoritative source overruled dissent,
x0.8 when the evidence is stale. MIXED uses the weaker side's w. Rounded down to 0.01.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from factcheck.domain import ClaimKind, ClaimSpec, EvidenceItem, Judgement, Label, Stance
from factcheck.verdicts.reasons import Reading, Vote, read_evidence, show_values, source

_WORD = {
    Label.SUPPORTED: "Supported",
    Label.REFUTED: "Refuted",
    Label.MIXED: "Mixed",
    Label.NOT_ENOUGH_INFO: "Not enough info",
    Label.PENDING: "Pending",
}
_HALF = Decimal("0.5")
_APPROXIMATE = Decimal("0.8")
_OVERRULED = Decimal("0.6")
_STALE = Decimal("0.8")


FRESH, STALE = "fresh", "stale"  # a claim's freshness: good evidence, recent or aged
NO_EVIDENCE = "no_evidence"  # checked, but no source has ever given good evidence
NEVER_CHECKED = "never_checked"  # no source has been fetched for it yet
FRESHNESS = (FRESH, STALE, NO_EVIDENCE, NEVER_CHECKED)


def freshness(
    freshest: datetime | None, *, now: datetime, stale_after: timedelta, checked: bool = True
) -> str:
    """A claim's evidence state from its freshest good evidence: `never_checked` when none of
    its sources was ever fetched (not stale: it was never fresh), `no_evidence` when they were
    but none gave good evidence (a broken source or rule: a human should look), `stale` when
    the freshest good evidence is older than `stale_after`, else `fresh`.

    >>> week = timedelta(days=7)
    >>> freshness(None, now=datetime(2026, 1, 9), stale_after=week, checked=False)
    'never_checked'
    >>> freshness(None, now=datetime(2026, 1, 9), stale_after=week)
    'no_evidence'
    >>> freshness(datetime(2026, 1, 1), now=datetime(2026, 1, 9), stale_after=week)
    'stale'
    >>> freshness(datetime(2026, 1, 2), now=datetime(2026, 1, 9), stale_after=week)
    'fresh'
    """
    if freshest is None:
        return NO_EVIDENCE if checked else NEVER_CHECKED
    return STALE if now - freshest > stale_after else FRESH


def evidence_freshness(
    evidence: Sequence[EvidenceItem], *, now: datetime, stale_after: timedelta
) -> str:
    """The `freshness` of a claim judged on `evidence`: from its freshest good item; failed
    fetches never make old evidence fresh again.

    >>> evidence_freshness([], now=datetime(2026, 1, 8), stale_after=timedelta(days=7))
    'never_checked'
    """
    fetched = [item.fetched_at for item in evidence if item.error_code is None]
    return freshness(
        max(fetched, default=None), now=now, stale_after=stale_after, checked=bool(evidence)
    )


def is_stale(evidence: Sequence[EvidenceItem], *, now: datetime, stale_after: timedelta) -> bool:
    """True when the freshest good evidence is older than `stale_after`: evidence that was once
    good and has aged (never checked is not stale: it was never fresh).

    >>> is_stale([], now=datetime(2026, 1, 8), stale_after=timedelta(days=7))
    False
    """
    return evidence_freshness(evidence, now=now, stale_after=stale_after) == STALE


def judge(
    claim: ClaimSpec,
    evidence: Sequence[EvidenceItem],
    *,
    now: datetime,
    stale_after: timedelta = timedelta(days=7),
) -> Judgement:
    """The verdict on `claim` from the freshest evidence of each linked source."""
    usable = [index for index, item in enumerate(evidence) if item.error_code is None]
    kind, notes, empty = claim.kind, [], "no evidence"
    if kind is ClaimKind.PREDICTION:
        if claim.due is None or claim.inner_kind in (None, ClaimKind.PREDICTION):
            reading = Reading((), problem="a prediction needs a due date and an inner kind")
            return _verdict(evidence, reading, [], now=now, stale_after=stale_after)
        if now.date() < claim.due:
            return Judgement(
                label=Label.PENDING,
                confidence=Decimal(0),
                reason=f"Pending: due {claim.due.isoformat()}; judged from then on.",
                figures={"due": claim.due.isoformat()},
                stances=(Stance.NONE,) * len(evidence),
            )
        early = [i for i in usable if evidence[i].fetched_at.date() < claim.due]
        if early:
            titles = ", ".join(source(evidence[i]) for i in early)
            notes.append(f"Not used, fetched before the due date {claim.due.isoformat()}: {titles}")
        usable = [i for i in usable if i not in early]
        kind, empty = claim.inner_kind, f"no evidence fetched since the due date {claim.due}"
    reading = read_evidence(claim, kind, evidence, usable)
    return _verdict(evidence, reading, notes, now=now, stale_after=stale_after, empty=empty)


@dataclass(frozen=True)
class _Outcome:
    label: Label
    main: str
    deciding: tuple[Vote, ...] = ()
    weaker: tuple[Vote, ...] = ()  # MIXED: the other side, for the confidence
    overruled: bool = False


def _self_only(vote: Vote, evidence: Sequence[EvidenceItem]) -> bool:
    return any(evidence[i].self_published and not evidence[i].authoritative for i in vote.items)


def _authoritative(vote: Vote, evidence: Sequence[EvidenceItem]) -> bool:
    return all(evidence[i].authoritative for i in vote.items)


def _notes(votes: Sequence[Vote]) -> str:
    return "; ".join(vote.note for vote in votes)


def _titles(votes: Sequence[Vote], evidence: Sequence[EvidenceItem]) -> str:
    indices = dict.fromkeys(i for vote in votes for i in vote.items)
    return ", ".join(evidence[i].source_title or evidence[i].source_key for i in indices)


def _decide(reading: Reading, evidence: Sequence[EvidenceItem], empty: str) -> _Outcome:
    votes = reading.votes
    backing = [v for v in votes if v.stance is Stance.SUPPORTS and not _self_only(v, evidence)]
    own = [v for v in votes if v.stance is Stance.SUPPORTS and _self_only(v, evidence)]
    against = [v for v in votes if v.stance is Stance.REFUTES]
    own_note = f"only the claimant's own publication ({_titles(own, evidence)}) supports this"
    if reading.problem:
        return _Outcome(Label.NOT_ENOUGH_INFO, reading.problem)
    if not backing and not against:
        if own:
            return _Outcome(Label.NOT_ENOUGH_INFO, f"{own_note}: {_notes(own)}")
        neutral = [v for v in votes if v.stance is Stance.NEUTRAL]
        return _Outcome(Label.NOT_ENOUGH_INFO, _notes(neutral) or empty)
    if not against:
        covered = frozenset().union(*(v.covers for v in backing))
        missing = reading.required - covered
        if missing:
            found = f"{_notes(backing)}; not found: {show_values(missing, reading.unit)}"
            return _Outcome(Label.NOT_ENOUGH_INFO, found)
        main = _notes(backing)
        if reading.required:
            count = len(reading.required)
            main += (
                f"; all {count} claimed values found" if count > 1 else "; the claimed value found"
            )
        return _Outcome(Label.SUPPORTED, main, tuple(backing))
    if not backing:
        main = _notes(against) + (f". The claim has {own_note}" if own else "")
        return _Outcome(Label.REFUTED, main, tuple(against))
    for winners, losers, label in (
        (backing, against, Label.SUPPORTED),
        (against, backing, Label.REFUTED),
    ):
        lead = [v for v in winners if _authoritative(v, evidence)]
        if lead and not any(_authoritative(v, evidence) for v in losers):
            main = (
                f"{_notes(winners)}. Disagreeing: {_notes(losers)}; the authoritative "
                f"{_titles(lead, evidence)} prevails"
            )
            return _Outcome(label, main, tuple(winners), overruled=True)
    word = reading.unit_word
    main = (
        f"{len(backing)} {word} for, {len(against)} against. "
        f"For: {_notes(backing)}. Against: {_notes(against)}"
    )
    return _Outcome(Label.MIXED, main, tuple(backing), tuple(against))


def _weight(votes: Sequence[Vote], evidence: Sequence[EvidenceItem]) -> int:
    """Distinct sources behind `votes`; an authoritative source counts twice."""
    sources: dict[str, bool] = {}
    for vote in votes:
        for i in vote.items:
            key = evidence[i].source_key
            sources[key] = sources.get(key, False) or evidence[i].authoritative
    return sum(2 if authoritative else 1 for authoritative in sources.values())


def _confidence(outcome: _Outcome, evidence: Sequence[EvidenceItem], *, stale: bool) -> Decimal:
    if outcome.label in (Label.NOT_ENOUGH_INFO, Label.PENDING):
        return Decimal(0)
    weight = _weight(outcome.deciding, evidence)
    if outcome.label is Label.MIXED:
        weight = min(weight, _weight(outcome.weaker, evidence))
    confidence = 1 - _HALF**weight
    if outcome.label is not Label.MIXED and any(v.approximate for v in outcome.deciding):
        confidence *= _APPROXIMATE
    if outcome.overruled:
        confidence *= _OVERRULED
    if stale:
        confidence *= _STALE
    return max(Decimal(0), min(Decimal(1), confidence)).quantize(Decimal("0.01"), ROUND_DOWN)


def _stances(votes: Sequence[Vote], evidence: Sequence[EvidenceItem]) -> tuple[Stance, ...]:
    """Per item: what its votes say; a self-published support cannot decide (NEUTRAL)."""
    said: list[set[Stance]] = [set() for _ in evidence]
    for vote in votes:
        stance = vote.stance
        if stance is Stance.SUPPORTS and _self_only(vote, evidence):
            stance = Stance.NEUTRAL
        for i in vote.items:
            said[i].add(stance)
    stances = []
    for found in said:
        if Stance.SUPPORTS in found and Stance.REFUTES in found:
            stances.append(Stance.NEUTRAL)
        else:
            order = (Stance.SUPPORTS, Stance.REFUTES, Stance.NEUTRAL)
            stances.append(next((s for s in order if s in found), Stance.NONE))
    return tuple(stances)


def _failures(evidence: Sequence[EvidenceItem]) -> str:
    # one source linked twice (numerator and denominator) failed once, not twice
    failed = dict.fromkeys(
        f"{item.source_title or item.source_key} ({item.error_code})"
        for item in evidence
        if item.error_code is not None
    )
    if not failed:
        return ""
    return f"{len(failed)} source{'s' if len(failed) > 1 else ''} failed: {', '.join(failed)}"


def _verdict(
    evidence: Sequence[EvidenceItem],
    reading: Reading,
    notes: list[str],
    *,
    now: datetime,
    stale_after: timedelta,
    empty: str = "no evidence",
) -> Judgement:
    stale = is_stale(evidence, now=now, stale_after=stale_after)
    failures = _failures(evidence)
    if failures and not any(item.error_code is None for item in evidence):
        empty = "no good evidence"
    outcome = _decide(reading, evidence, empty)
    decided = outcome.label is not Label.NOT_ENOUGH_INFO
    neutral = [v for v in reading.votes if v.stance is Stance.NEUTRAL]
    sentences = [f"{_WORD[outcome.label]}: {outcome.main}"]
    if decided and neutral:
        sentences.append(f"Not counted: {_notes(neutral)}")
    sentences += [reading.context, *notes, failures]
    good = [item.fetched_at for item in evidence if item.error_code is None]
    if stale and good:
        sentences.append(
            f"The freshest evidence is from {max(good).date().isoformat()}, "
            f"older than {_days(stale_after)}"
        )
    figures = dict(reading.figures)
    if good:
        figures["as_of"] = max(good).date().isoformat()
    return Judgement(
        label=outcome.label,
        confidence=_confidence(outcome, evidence, stale=stale),
        reason=" ".join(s.rstrip(".") + "." for s in sentences if s),
        figures=figures,
        stances=_stances(reading.votes, evidence),
    )


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return f"{days:g} day{'s' if days != 1 else ''}"
