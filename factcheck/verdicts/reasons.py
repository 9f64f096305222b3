"""How each claim kind reads its evidence: items in, votes out; no labels are decided here.

A `Vote` is one comparison with the figures written out: one source's numbers against a
claimed quantity, set or date; one source's phrase; or one numerator value against one
denominator. `judge.py` weighs the votes (self-published, authoritative, mixed) into a label.

Figures are `Decimal`; rounding happens only when a number is shown. A hit's figure is
`Hit.value` when the rule computed one (a 3:1 blended price), else its `Quantity.amount`; the
unit always comes from the `Quantity`, so a computed value without a quantity is a bare number.
Units are compared as strings: equal strings are compatible, `None` matches only `None`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, getcontext

from factcheck.domain import Bound, ClaimKind, ClaimSpec, EvidenceItem, Role, Stance

RATIO_TOLERANCE = Decimal("0.1")  # absolute, on the ratio: an "approx" ratio claim without one
_SHOWN = 8  # at most this many figures named per source in a reason


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


@dataclass(frozen=True)
class Figure:
    """One number read from one hit, with the range the source allows for the true figure."""

    key: str
    amount: Decimal
    unit: str | None
    bound: Bound = Bound.EXACT
    lower: Decimal | None = None
    upper: Decimal | None = None

    @property
    def approximate(self) -> bool:
        return self.bound is not Bound.EXACT

    def limits(self) -> tuple[Decimal | None, Decimal | None]:
        """(low, high) of the true figure; None is open ("over 500 million" has no high)."""
        low = self.amount if self.lower is None else self.lower
        high = self.amount if self.upper is None else self.upper
        if self.bound is Bound.AT_LEAST:
            return low, None
        if self.bound is Bound.AT_MOST:
            return None, high
        if self.bound is Bound.EXACT:
            return self.amount, self.amount
        return low, high


def figures_of(item: EvidenceItem) -> list[Figure]:
    """The numbers an item's hits carry, each named by its hit's key (or the source)."""
    found = []
    for index, hit in enumerate(item.hits):
        quantity = item.quantities[index] if index < len(item.quantities) else None
        key = hit.key or (
            item.source_key if len(item.hits) == 1 else f"{item.source_key}#{index + 1}"
        )
        unit = quantity.unit if quantity is not None else None
        if hit.value is not None:
            found.append(Figure(key, hit.value, unit))
        elif quantity is not None:
            found.append(
                Figure(key, quantity.amount, unit, quantity.bound, quantity.lower, quantity.upper)
            )
    return found


# ---------------------------------------------------------------------------------------------
# Showing figures


def plain(number: Decimal) -> str:
    """A Decimal without exponent or trailing zeros.

    >>> plain(Decimal("4.05E+11"))
    '405000000000'
    >>> plain(Decimal("3.50E-6"))
    '0.0000035'
    """
    return format(number.normalize(), "f")


def rounded(number: Decimal, places: int) -> Decimal:
    """`number` to `places` decimals for display; unchanged when that needs more digits than
    the context holds (quantize would raise).

    >>> rounded(Decimal("0.466666"), 2), rounded(Decimal("1E+30"), 4)
    (Decimal('0.47'), Decimal('1E+30'))
    """
    if number.adjusted() + places >= getcontext().prec:
        return number
    return number.quantize(Decimal(1).scaleb(-places))


def _scaled(amount: Decimal, *, short: bool) -> str:
    for scale, word, letter in (
        (Decimal(10) ** 12, "trillion", "T"),
        (Decimal(10) ** 9, "billion", "B"),
        (Decimal(10) ** 6, "million", "M"),
    ):
        if abs(amount) >= scale:
            number = plain(rounded(amount / scale, 2))
            return f"{number}{letter}" if short else f"{number} {word}"
    return plain(amount)


def _parts(amount: Decimal, unit: str | None) -> tuple[str, str]:
    """(number, unit suffix), so that a list of one unit names the unit once."""
    if unit == "USD/token":
        return f"${rounded(amount * 10**6, 2)}", "/M tokens"
    if unit == "USD":
        return f"${rounded(amount, 2)}", ""
    if unit == "%":
        return plain(amount), "%"
    if unit == "parameters":
        return _scaled(amount, short=True), " parameters"
    return _scaled(amount, short=False), f" {unit}" if unit else ""


def show_amount(amount: Decimal, unit: str | None) -> str:
    """An amount as a reader would write it.

    >>> show_amount(Decimal("405E9"), "parameters")
    '405B parameters'
    >>> show_amount(Decimal("0.0000035"), "USD/token")
    '$3.50/M tokens'
    >>> show_amount(Decimal("500000000"), "users/month")
    '500 million users/month'
    >>> show_amount(Decimal("1234567"), None)
    '1.23 million'
    """
    number, suffix = _parts(amount, unit)
    return number + suffix


_PREFIX = {Bound.AT_LEAST: "at least ", Bound.AT_MOST: "at most ", Bound.APPROXIMATE: "about "}


def _figure_parts(figure: Figure) -> tuple[str, str]:
    number, suffix = _parts(figure.amount, figure.unit)
    if figure.bound is Bound.RANGE and figure.lower is not None and figure.upper is not None:
        low, _ = _parts(figure.lower, figure.unit)
        high, _ = _parts(figure.upper, figure.unit)
        return f"{low} to {high}", suffix
    return _PREFIX.get(figure.bound, "") + number, suffix


def show_figures(figures: Iterable[Figure]) -> str:
    """Distinct figures in ascending order, the unit named once when they share it.

    >>> show_figures([Figure("a", Decimal(n) * 10**9, "parameters") for n in (405, 8, 70, 8)])
    '8B, 70B, 405B parameters'
    """
    distinct = {(f.amount, f.unit, f.bound, f.lower, f.upper): f for f in figures}
    ordered = sorted(distinct.values(), key=lambda f: f.amount)
    parts = [_figure_parts(f) for f in ordered[:_SHOWN]]
    more = f" and {len(ordered) - _SHOWN} more" if len(ordered) > _SHOWN else ""
    if len({suffix for _, suffix in parts}) == 1:
        return ", ".join(number for number, _ in parts) + parts[0][1] + more
    return ", ".join(number + suffix for number, suffix in parts) + more


def show_values(amounts: Iterable[Decimal], unit: str | None) -> str:
    return show_figures(Figure("", amount, unit) for amount in amounts)


def raw_figure(figure: Figure) -> str:
    """The figure for `Judgement.figures`: exact digits, the bound as a symbol."""
    unit = f" {figure.unit}" if figure.unit else ""
    if figure.bound is Bound.RANGE and figure.lower is not None and figure.upper is not None:
        return f"{plain(figure.lower)}..{plain(figure.upper)}{unit}"
    symbol = {Bound.AT_LEAST: ">=", Bound.AT_MOST: "<=", Bound.APPROXIMATE: "~"}
    return f"{symbol.get(figure.bound, '')}{plain(figure.amount)}{unit}"


def raw_values(amounts: Iterable[Decimal], unit: str | None) -> str:
    return ", ".join(raw_figure(Figure("", a, unit)) for a in sorted(set(amounts)))


def unit_name(unit: str | None) -> str:
    return unit if unit is not None else "a bare number"


def source(item: EvidenceItem) -> str:
    """The item's title and as-of date (the date its evidence was fetched)."""
    return f"{item.source_title or item.source_key} (as of {item.fetched_at.date().isoformat()})"


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------------------
# Dates in text


@dataclass(frozen=True)
class FoundDate:
    """A date read from text, at the precision the text gives it ("day", "month", "year")."""

    when: date  # month and year precision use day 1 (and month 1)
    precision: str
    text: str


PRECISIONS = ("year", "month", "day")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH = (
    r"(?P<name>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"(?P<year>[12]\d{3})(?![\d])"
# Most specific first: a span taken by an earlier form is not read again by a later one.
_DATE_FORMS = (
    (re.compile(r"(?<!\d)(?P<year>[12]\d{3})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)"), "day"),
    (re.compile(r"(?P<year>[12]\d{3})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]"),
     "day"),
    (re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}", re.I), "day"),
    (re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}", re.I),
     "day"),
    (re.compile(r"(?P<year>[12]\d{3})\s*年\s*(?P<month>\d{1,2})\s*月"), "month"),
    (re.compile(rf"\b{_MONTH},?\s+{_YEAR}", re.I), "month"),
    (re.compile(r"(?<!\d)(?P<year>[12]\d{3})-(?P<month>\d{2})(?![\d-])"), "month"),
    # A bare year must look like one (1800-2199): "1335 ±4" on a leaderboard is not a date.
    (re.compile(r"(?<![\d.,])(?P<year>(?:1[89]|2[01])\d{2})(?!\d|[.,]\d)(?:\s*年)?"), "year"),
)  # fmt: skip


def parse_dates(text: str) -> tuple[FoundDate, ...]:
    """Every date in `text`, in order: English month names, ISO, Chinese 年月日, bare years
    (1800-2199 only). A day that does not exist (February 30) is not read.

    >>> [(d.when.isoformat(), d.precision) for d in parse_dates("released June 29, 2007")]
    [('2007-06-29', 'day')]
    >>> [d.when.isoformat() for d in parse_dates("announced Jan. 9, 2007 and 2007年6月29日")]
    ['2007-01-09', '2007-06-29']
    >>> [(d.text, d.precision) for d in parse_dates("Sept 2024; 2024-07; in 2008.")]
    [('Sept 2024', 'month'), ('2024-07', 'month'), ('2008', 'year')]
    >>> parse_dates("February 30, 2024 costs $1,2005 or 3.2007")  # no such day; not years
    ()
    """
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, FoundDate]] = []
    for pattern, precision in _DATE_FORMS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))  # an invalid date still blocks its parts being re-read
            when = _make_date(match.groupdict(), precision)
            if when is not None:
                found.append((start, FoundDate(when, precision, match.group(0).strip())))
    return tuple(found_date for _, found_date in sorted(found, key=lambda pair: pair[0]))


def _make_date(groups: dict[str, str | None], precision: str) -> date | None:
    year = int(groups["year"] or 0)
    name = groups.get("name")
    month = _MONTHS[name[:3].lower()] if name else int(groups.get("month") or 1)
    day = int(groups.get("day") or 1)
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    if precision == "year":
        return date(year, 1, 1)
    return date(year, month, day)


def show_date(when: date, precision: str) -> str:
    return when.isoformat()[: {"year": 4, "month": 7}.get(precision, 10)]


def compare_dates(found: FoundDate, expected: date, precision: str) -> str:
    """At the claimed precision: match, miss, or open when the found date is coarser than
    claimed and agrees as far as it goes ("2007" for June 29, 2007)."""
    coarser = PRECISIONS.index(found.precision) < PRECISIONS.index(precision)
    at = found.precision if coarser else precision
    if show_date(found.when, at) != show_date(expected, at):
        return "miss"
    return "open" if coarser else "match"


# ---------------------------------------------------------------------------------------------
# Per-kind readings


def read_evidence(
    claim: ClaimSpec, kind: ClaimKind, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    """The votes of the usable items (good evidence, in window) for a claim of `kind`."""
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


def _ratio_test(claim: ClaimSpec) -> tuple[str, Decimal | None, Decimal]:
    """(comparison, claimed ratio, absolute tolerance) of a ratio claim."""
    tolerance = claim.tolerance if claim.tolerance is not None else RATIO_TOLERANCE
    return claim.expected.comparison, claim.expected.amount, tolerance


def _read_ratio(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    comparison, claimed, tolerance = _ratio_test(claim)
    if comparison not in ("approx", "lt", "gt"):
        return Reading((), problem=f"unknown ratio comparison {comparison!r}")
    if comparison == "approx" and claimed is None:
        return Reading((), problem="the claim gives no expected ratio")
    if comparison == "approx" and claimed is not None:
        test = f"{claimed:.2f} ± {tolerance:.2f}"
        figures = {"expected": f"{plain(claimed)} ± {plain(tolerance)}"}
    else:
        test = "< 1" if comparison == "lt" else "> 1"
        figures = {"expected": test}
    sides: dict[Role, list[tuple[int, Figure]]] = {Role.NUMERATOR: [], Role.DENOMINATOR: []}
    for index in usable:
        if evidence[index].role in sides:
            sides[evidence[index].role] += [(index, f) for f in figures_of(evidence[index])]
    numerators, denominators = sides[Role.NUMERATOR], sides[Role.DENOMINATOR]
    votes = []
    for lonely, missing in ((numerators, "denominator"), (denominators, "numerator")):
        if lonely and not (numerators and denominators):
            for index in sorted({index for index, _ in lonely}):
                note = f"{source(evidence[index])} has no {missing} figure to compare with"
                votes.append(Vote(Stance.NEUTRAL, note, (index,)))
    for n_index, top in numerators:
        for d_index, bottom in denominators:
            name = f"{top.key}/{bottom.key}" if len(denominators) > 1 else top.key
            pair = f"{top.key} {show_figures([top])} / {bottom.key} {show_figures([bottom])}"
            items = (n_index, d_index)
            if top.unit != bottom.unit:
                note = (
                    f"{top.key} is in {unit_name(top.unit)}, {bottom.key} in "
                    f"{unit_name(bottom.unit)}: different units, no ratio ({pair})"
                )
                votes.append(Vote(Stance.NEUTRAL, note, items))
                continue
            if bottom.amount == 0:
                votes.append(Vote(Stance.NEUTRAL, f"{pair}: cannot divide by zero", items))
                continue
            ratio = top.amount / bottom.amount
            figures[f"ratio[{name}]"] = str(rounded(ratio, 4))
            if comparison == "approx" and claimed is not None:
                agrees = abs(ratio - claimed) <= tolerance
                shown = f"within {test}" if agrees else f"not within {test}"
            else:
                agrees = ratio < 1 if comparison == "lt" else ratio > 1
                shown = test if agrees else f"not {test}"
            note = f"{pair} = {rounded(ratio, 2)} ({shown})"
            stance = Stance.SUPPORTS if agrees else Stance.REFUTES
            votes.append(
                Vote(stance, note, items, approximate=top.approximate or bottom.approximate)
            )
    used = sorted({index for vote in votes for index in vote.items})
    context = ""
    if used and (numerators and denominators):
        named = dict.fromkeys(source(evidence[index]) for index in used)
        context = "Figures from " + ", ".join(named)
    return Reading(tuple(votes), figures, context=context, unit_word="values")


def _read_text(
    claim: ClaimSpec, evidence: Sequence[EvidenceItem], usable: Sequence[int]
) -> Reading:
    votes = []
    for index in usable:
        item = evidence[index]
        if not item.hits or item.role not in (Role.VALUE, Role.CONTRADICTS):
            continue
        hit = item.hits[0]
        said = f'{source(item)} says "{_quote(hit.raw or hit.excerpt)}"'
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
