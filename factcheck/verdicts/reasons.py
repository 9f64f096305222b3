"""How each claim kind reads its evidence: items in, votes out; no labels are decided here.

A `Vote` is one comparison with the figures written out: one source's numbers against a
claimed quantity, set or date; one source's phrase; or one numerator value against one
denominator. `judge.py` weighs the votes (self-published, authoritative, mixed) into a label.
How figures are read from hits and written into notes is `figures.py`; dates are `dates.py`
(their public names are re-exported here, where they used to live).
Units are compared as strings: equal strings are compatible, `None` matches only `None`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

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

RATIO_TOLERANCE = Decimal("0.1")  # absolute, on the ratio: an "approx" ratio claim without one


@dataclass(frozen=True)
class Vote:
    """One comparison: SUPPORTS, REFUTES or NEUTRAL (found, but it cannot decide)."""

    stance: Stance
    note: str  # plain English with the figures, the source title and its as-of date
    items: tuple[int, ...]  # indices of the evidence items behind it
    approximate: bool = False  # decided on a figure the source gave as about/over/under
    covers: frozenset[Decimal] = frozenset()  # quantity_set: claimed values this vote found


@dataclass(frozen=True)
class Reading:
    """Everything one claim kind made of the evidence."""

    votes: tuple[Vote, ...]
    figures: dict[str, str] = field(default_factory=dict)
    required: frozenset[Decimal] = frozenset()  # quantity_set: all must be found to support
    unit: str | None = None
    problem: str = ""  # the claim itself cannot be judged (no expected value, bad comparison)
    context: str = ""  # a sentence added to the reason (e.g. the sources of a ratio)
    unit_word: str = "sources"  # what is counted in "2 for, 1 against"


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
        ClaimKind.QUANTITY: _read_quantity,
        ClaimKind.QUANTITY_SET: _read_quantity_set,
        ClaimKind.RATIO: _read_ratio,
        ClaimKind.TEXT: _read_text,
        ClaimKind.DATE: _read_date,
    }
    if kind not in readers:
        return Reading((), problem=f"a {kind} claim cannot be judged directly")
    return readers[kind](claim, evidence, usable)


def _window(expected: Decimal, tolerance: Decimal | None) -> tuple[Decimal, Decimal]:
    delta = abs(expected) * (tolerance or 0)
    return expected - delta, expected + delta


def _against(figure: Figure, window: tuple[Decimal, Decimal]) -> str:
    """How a figure stands to the claimed window: match, miss, or open when the source's range
    overlaps the window but its own figure lies outside ("over 150 million" vs 200 million)."""
    low, high = figure.limits()
    if (high is not None and high < window[0]) or (low is not None and low > window[1]):
        return "miss"
    if low is not None and high is not None and window[0] <= low and high <= window[1]:
        return "match"
    return "match" if window[0] <= figure.amount <= window[1] else "open"


def _closeness(tolerance: Decimal | None) -> str:
    return f"within {plain(tolerance * 100)}% of" if tolerance else "matching"


def _other_units(item: EvidenceItem, figures: list[Figure], unit: str | None) -> str:
    units = ", ".join(sorted({unit_name(f.unit) for f in figures}))
    return f"{source(item)} gives {units}, the claim is {unit_name(unit)}: different units"


def _read_quantity(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    expected, unit = claim.expected.amount, claim.expected.unit
    if expected is None:
        return Reading((), problem="the claim gives no expected amount")
    claimed = f"the claimed {show_amount(expected, unit)}"
    window = _window(expected, claim.tolerance)
    votes, found = [], []
    for index in usable:
        item = evidence[index]
        if item.role is not Role.VALUE:
            continue
        numbers = figures_of(item)
        same = [f for f in numbers if f.unit == unit]
        found += same
        if not same:
            if numbers:
                votes.append(Vote(Stance.NEUTRAL, _other_units(item, numbers, unit), (index,)))
            continue
        outcomes = [(f, _against(f, window)) for f in same]
        matches = [f for f, outcome in outcomes if outcome == "match"]
        if matches:
            best = min(matches, key=lambda f: (f.approximate, abs(f.amount - expected)))
            note = f"{source(item)} gives {show_figures([best])}, {_closeness(claim.tolerance)}"
            votes.append(
                Vote(Stance.SUPPORTS, f"{note} {claimed}", (index,), approximate=best.approximate)
            )
        elif all(outcome == "miss" for _, outcome in outcomes):
            verdict = f"none {_closeness(claim.tolerance)}" if claim.tolerance else "not"
            note = f"{source(item)} gives {show_figures(same)}, {verdict} {claimed}"
            votes.append(Vote(Stance.REFUTES, note, (index,)))
        else:
            note = f"{source(item)} gives {show_figures(same)}, which neither shows nor rules out"
            votes.append(Vote(Stance.NEUTRAL, f"{note} {claimed}", (index,)))
    figures = {"expected": raw_values([expected], unit)}
    if claim.tolerance is not None:
        figures["tolerance"] = plain(claim.tolerance)
    if found:
        figures["found"] = ", ".join(dict.fromkeys(raw_figure(f) for f in found))
    return Reading(tuple(votes), figures, unit=unit)


def _read_quantity_set(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    claimed, unit = frozenset(claim.expected.amounts), claim.expected.unit
    if not claimed:
        return Reading((), problem="the claim gives no expected values")
    windows = {value: _window(value, claim.tolerance) for value in claimed}

    def near(amount: Decimal, value: Decimal) -> bool:
        return windows[value][0] <= amount <= windows[value][1]

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
        extra = [f for f in same if not any(near(f.amount, v) for v in claimed)]
        missing = sorted(claimed - covers)
        found.update(f.amount for f in same)
        extras.update(f.amount for f in extra)
        listed = show_figures(same)
        if extra or (item.authoritative and missing):
            if missing:
                verb = "is" if len(missing) == 1 else "are"
                note = f"claimed {show_values(missing, unit)} {verb} not among {listed} found in"
                note = f"{note} {source(item)}"
            else:
                note = f"{source(item)} lists {listed}"
            if extra:
                note += f"; not claimed: {show_figures(extra)}"
            votes.append(Vote(Stance.REFUTES, note, (index,), covers=covers))
        else:
            note = f"{source(item)} lists {listed}"
            votes.append(Vote(Stance.SUPPORTS, note, (index,), covers=covers))
    figures = {"expected": raw_values(claimed, unit)}
    if found:
        covered = {v for v in claimed if any(near(a, v) for a in found)}
        figures["found"] = raw_values(found, unit)
        figures["missing"] = raw_values(claimed - covered, unit)
        figures["extra"] = raw_values(extras, unit)
    return Reading(tuple(votes), figures, required=claimed, unit=unit)


@dataclass(frozen=True)
class _RatioTest:
    """What a ratio claim asks of numerator / denominator: "approx" a claimed ratio within an
    absolute tolerance, or "lt" / "gt" 1."""

    comparison: str
    claimed: Decimal | None
    tolerance: Decimal

    @property
    def approx(self) -> bool:
        return self.comparison == "approx" and self.claimed is not None

    @property
    def shown(self) -> str:
        if self.approx:
            return f"{self.claimed:.2f} ± {self.tolerance:.2f}"
        return "< 1" if self.comparison == "lt" else "> 1"

    @property
    def expected(self) -> str:
        """For `Judgement.figures`: every digit of the claimed ratio."""
        if self.approx and self.claimed is not None:
            return f"{plain(self.claimed)} ± {plain(self.tolerance)}"
        return self.shown

    def check(self, ratio: Decimal) -> tuple[bool, str]:
        """(agrees, how the note puts it)."""
        if self.approx and self.claimed is not None:
            agrees = abs(ratio - self.claimed) <= self.tolerance
            return agrees, f"within {self.shown}" if agrees else f"not within {self.shown}"
        agrees = ratio < 1 if self.comparison == "lt" else ratio > 1
        return agrees, self.shown if agrees else f"not {self.shown}"


def _ratio_test(claim: ClaimSpec) -> _RatioTest:
    tolerance = claim.tolerance if claim.tolerance is not None else RATIO_TOLERANCE
    return _RatioTest(claim.expected.comparison, claim.expected.amount, tolerance)


_Side = list[tuple[int, Figure]]  # (evidence index, figure) of one side of a ratio


def _read_ratio(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    test = _ratio_test(claim)
    if test.comparison not in ("approx", "lt", "gt"):
        return Reading((), problem=f"unknown ratio comparison {test.comparison!r}")
    if test.comparison == "approx" and test.claimed is None:
        return Reading((), problem="the claim gives no expected ratio")
    figures = {"expected": test.expected}
    numerators, denominators = _sides(evidence, usable)
    votes = _lonely(evidence, numerators, denominators)
    for n_index, top in numerators:
        for d_index, bottom in denominators:
            vote, ratio = _ratio_vote(test, top, bottom, (n_index, d_index))
            votes.append(vote)
            if ratio is not None:
                name = f"{top.key}/{bottom.key}" if len(denominators) > 1 else top.key
                figures[f"ratio[{name}]"] = str(rounded(ratio, 4))
    used = sorted({index for vote in votes for index in vote.items})
    context = ""
    if used and (numerators and denominators):
        named = dict.fromkeys(source(evidence[index]) for index in used)
        context = "Figures from " + ", ".join(named)
    return Reading(tuple(votes), figures, context=context, unit_word="values")


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


def _ratio_vote(
    test: _RatioTest, top: Figure, bottom: Figure, items: tuple[int, int]
) -> tuple[Vote, Decimal | None]:
    """One numerator figure over one denominator figure, and the ratio when there is one."""
    pair = f"{top.key} {show_figures([top])} / {bottom.key} {show_figures([bottom])}"
    if top.unit != bottom.unit:
        note = (
            f"{top.key} is in {unit_name(top.unit)}, {bottom.key} in "
            f"{unit_name(bottom.unit)}: different units, no ratio ({pair})"
        )
        return Vote(Stance.NEUTRAL, note, items), None
    if bottom.amount == 0:
        return Vote(Stance.NEUTRAL, f"{pair}: cannot divide by zero", items), None
    ratio = top.amount / bottom.amount
    agrees, shown = test.check(ratio)
    note = f"{pair} = {rounded(ratio, 2)} ({shown})"
    stance = Stance.SUPPORTS if agrees else Stance.REFUTES
    return Vote(stance, note, items, approximate=top.approximate or bottom.approximate), ratio


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
