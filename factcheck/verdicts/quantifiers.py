"""Quantified claims: records, the conditions that exclude some, and how many must agree.

The records are each figure of each usable VALUE item (quantity claims), or each numerator
figure divided by the one denominator figure (ratio claims). A record failing any of
`claim.conditions` is excluded, and the reason names it ("excluded by value > 0:
vertex_ai/llama-405b ($0.00/M tokens)"): `key ~ glob` / `key !~ glob` match the record's key
case-insensitively (fnmatch); value comparisons use the figure's amount, for ratios the
numerator's, in the canonical unit. Each remaining record satisfies, fails or is open under the
claim's relation (`intervals.place`); one it cannot place (another unit, a zero denominator) is
open. With n records left:

    ALL    supported when all satisfy; refuted when any fails
    ANY    supported when one satisfies; refuted when all fail
    MOST   supported when satisfied > n/2; refuted when satisfied + open <= n/2
    SHARE  supported when satisfied/n >= p; refuted when (satisfied + open)/n < p

else not enough info; n = 0 is not enough info ("no records left after excluding ..."). The
outcome is one vote over every item involved, so the judge's weighing still counts sources.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase

from factcheck.domain import ClaimSpec, Quantifier, RecordCondition, Stance
from factcheck.verdicts.figures import Figure, plain, show_figures
from factcheck.verdicts.intervals import ClaimInterval, Outcome, Span, place
from factcheck.verdicts.votes import Vote

_NAMED = 8  # records named per list in a note, then "and N more"
_VALUE_OPS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_RULES = {
    Quantifier.ALL: "all: every record needed",
    Quantifier.ANY: "any: one record needed",
    Quantifier.MOST: "most: more than half needed",
}


@dataclass(frozen=True)
class Record:
    """One record of multi-record evidence: a figure, or a numerator over the denominator."""

    key: str
    value: Figure  # what conditions compare: the figure, or a ratio's numerator
    items: tuple[int, ...]  # the evidence items behind it
    span: Span | None  # None: it cannot be placed (`why` says why)
    shown: str  # the record's value as a note names it ("91", "0.47")
    why: str = ""
    approximate: bool = False  # a figure behind it was about/over/under


def condition_problem(conditions: Sequence[RecordCondition]) -> str:
    """What is wrong with a declared condition, or "" when all can be applied.

    >>> condition_problem([RecordCondition("value", ">", "zero", "value > zero")])
    "condition 'value > zero': 'zero' is not a number"
    """
    for condition in conditions:
        name = f"condition {_text(condition)!r}"
        if condition.field == "key" and condition.op not in ("~", "!~"):
            return f"{name}: a key is matched with ~ or !~"
        if condition.field == "value":
            if condition.op not in _VALUE_OPS:
                return f"{name}: a value is compared with = != > >= < <="
            if _number(condition.operand) is None:
                return f"{name}: {condition.operand!r} is not a number"
        elif condition.field != "key":
            return f"{name}: conditions apply to key or value"
    return ""


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _text(condition: RecordCondition) -> str:
    return condition.text or f"{condition.field} {condition.op} {condition.operand}"


def failed_condition(record: Record, conditions: Sequence[RecordCondition]) -> str:
    """The first condition `record` fails, as declared; "" when it meets them all.

    >>> zero = Figure("v", Decimal(0), "USD/token")
    >>> record = Record("vertex_ai/llama-405b", zero, (0,), None, "0")
    >>> failed_condition(record, [RecordCondition("key", "!~", "*PREVIEW*")])
    ''
    >>> failed_condition(record, [RecordCondition("value", ">", "0", "value > 0")])
    'value > 0'
    """
    for condition in conditions:
        if condition.field == "key":
            matches = fnmatchcase(record.key.lower(), condition.operand.lower())
            keep = matches if condition.op == "~" else not matches
        else:
            operand = _number(condition.operand)
            keep = operand is not None and _VALUE_OPS[condition.op](record.value.amount, operand)
        if not keep:
            return _text(condition)
    return ""


def decide(
    quantifier: Quantifier, share: Decimal, satisfied: int, failed: int, undecided: int
) -> Stance:
    """The quantifier's outcome over the counted records (rules in the module docstring).

    >>> decide(Quantifier.MOST, Decimal(0), 2, 1, 1), decide(Quantifier.MOST, Decimal(0), 1, 2, 1)
    (<Stance.NEUTRAL: 'neutral'>, <Stance.REFUTES: 'refutes'>)
    """
    n = satisfied + failed + undecided
    if quantifier is Quantifier.ALL:
        shown, ruled_out = satisfied == n, failed > 0
    elif quantifier is Quantifier.ANY:
        shown, ruled_out = satisfied > 0, failed == n
    elif quantifier is Quantifier.MOST:
        shown, ruled_out = 2 * satisfied > n, 2 * (satisfied + undecided) <= n
    else:
        shown, ruled_out = satisfied >= share * n, satisfied + undecided < share * n
    if shown:
        return Stance.SUPPORTS
    return Stance.REFUTES if ruled_out else Stance.NEUTRAL


def _named(records: Sequence[Record], *, why: bool = False) -> str:
    parts = [
        f"{r.key} {r.shown}" + (f" ({r.why})" if why and r.why else "") for r in records[:_NAMED]
    ]
    more = f" and {len(records) - _NAMED} more" if len(records) > _NAMED else ""
    return ", ".join(parts) + more


def _excluded(excluded: Sequence[tuple[Record, str]], lead: str = "excluded by") -> str:
    """ "excluded by value > 0: a ($0.00/M tokens); excluded by key ~ x: b (...)"."""
    by: dict[str, list[Record]] = {}
    for record, condition in excluded:
        by.setdefault(condition, []).append(record)
    parts = []
    for condition, records in by.items():
        shown = [f"{r.key} ({show_figures([r.value])})" for r in records[:_NAMED]]
        more = f" and {len(records) - _NAMED} more" if len(records) > _NAMED else ""
        parts.append(f"{lead} {condition}: {', '.join(shown)}{more}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Tally:
    """Records sorted by how they stand to the claim."""

    satisfied: tuple[Record, ...]
    failed: tuple[Record, ...]
    undecided: tuple[Record, ...]
    excluded: tuple[tuple[Record, str], ...]

    @property
    def counted(self) -> tuple[Record, ...]:
        return self.satisfied + self.failed + self.undecided

    def figures(self) -> dict[str, str]:
        return {
            "records": str(len(self.counted)),
            "satisfied": str(len(self.satisfied)),
            "failed": str(len(self.failed)),
            "open": str(len(self.undecided)),
            "excluded": str(len(self.excluded)),
        }


def tally(
    records: Sequence[Record], claim: ClaimInterval, conditions: Sequence[RecordCondition]
) -> Tally:
    """Exclude the records failing a condition and place the rest under the claim."""
    places: dict[Outcome, list[Record]] = {outcome: [] for outcome in Outcome}
    excluded = []
    for record in records:
        condition = failed_condition(record, conditions)
        if condition:
            excluded.append((record, condition))
        else:
            outcome = Outcome.OPEN if record.span is None else place(claim, record.span)
            places[outcome].append(record)
    return Tally(
        tuple(places[Outcome.MATCH]),
        tuple(places[Outcome.MISS]),
        tuple(places[Outcome.OPEN]),
        tuple(excluded),
    )


def quantified_vote(spec: ClaimSpec, counts: Tally, *, counted: str, claimed: str) -> Vote:
    """One vote for the whole quantified claim; the note lists the records that decided.

    `counted` names the records ("records", "ratios to gpt-4o $7.50/M tokens") and `claimed`
    the claim in words ("more than 90").
    """
    quantifier = spec.quantifier or Quantifier.ALL
    share = spec.share if spec.share is not None else Decimal(1)
    rule = _RULES.get(quantifier, f"share: at least {plain(share * 100)}% needed")
    excluded = _excluded(counts.excluded)
    counted_records = counts.counted
    if not counted_records:
        items = tuple(sorted({i for r, _ in counts.excluded for i in r.items}))
        left = "no records left after excluding " + _excluded(counts.excluded, "by")
        note = left if counts.excluded else "no records"
        return Vote(Stance.NEUTRAL, note, items)
    stance = decide(
        quantifier, share, len(counts.satisfied), len(counts.failed), len(counts.undecided)
    )
    n = len(counted_records)
    lists = [f"{len(counts.satisfied)} of {n} {counted} are {claimed}"]
    lists[0] += f": {_named(counts.satisfied)}" if counts.satisfied else ""
    if counts.failed:
        lists.append(f"not: {_named(counts.failed)}")
    if counts.undecided:
        lists.append(f"open: {_named(counts.undecided, why=True)}")
    if excluded:
        lists.append(excluded)
    note = "; ".join(lists) + f" ({rule})"
    deciding = counts.satisfied if stance is Stance.SUPPORTS else counts.failed
    if stance is Stance.NEUTRAL:
        deciding = counted_records
    # the vote rests on the sources of the records that decided: a claimant's own record that
    # did not decide neither weakens an independent support nor is named as its source
    items = tuple(sorted({i for r in deciding for i in r.items}))
    approximate = stance is not Stance.NEUTRAL and any(r.approximate for r in deciding)
    return Vote(stance, note, items, approximate=approximate)
