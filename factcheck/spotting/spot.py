"""Text -> the checkable sentences, ranked, each with its type, figures, score and why.

Rule-based and deterministic: the score is a weighted sum of named features (figures read by
the project's own normaliser, the cue lexicons of `cues`, dampers for questions, thanks and
opinions), squashed to 0..1, so the same text always ranks the same way and every rank can be
explained feature by feature. A suggestion turns the strongest reading into a claim's kind,
expected value, unit and due date for the editor to confirm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from factcheck.domain import Bound, Quantity
from factcheck.normalising.dates import FoundDate, parse_dates
from factcheck.normalising.quantities import describe, parse_quantities
from factcheck.spotting.cues import FAMILIES, Cue, find_cues, find_dampers
from factcheck.spotting.due import derive_due
from factcheck.spotting.sentences import Sentence, split_sentences

__all__ = ["THRESHOLD", "Spotted", "Suggestion", "score_sentence", "spot"]

THRESHOLD = 0.5  # a sentence scoring below this is not listed
_MIDPOINT = 1.0  # the feature sum that scores 0.5
_STEEPNESS = 2.5
_FIGURE = 1.2  # a figure with a unit (or a percentage)
_BARE_FIGURE = 0.6  # a number with no unit
_MORE_FIGURES = 0.3  # each further figure, up to two
_DATE_WITH_EVENT = 0.7  # a date next to "released", "发布"
_DATE_ALONE = 0.3
_STRONG_CUE = 0.8  # a cue this strong is evidence enough to ignore "I think"


@dataclass(frozen=True)
class Suggestion:
    """What the claim record could say: `kind` a ClaimKind value, `expected` as said."""

    kind: str | None
    expected: str | None
    unit: str | None
    due: date | None


@dataclass(frozen=True)
class Spotted:
    """A checkable sentence and why: its families, figures, score and the features behind it."""

    sentence: Sentence
    claim_type: str
    types: tuple[str, ...]
    figures: tuple[str, ...]
    score: float
    features: tuple[tuple[str, float], ...]
    suggestion: Suggestion


def spot(
    text: str, *, lang: str = "auto", said_on: date | None = None, top: int | None = None
) -> list[Spotted]:
    """The checkable sentences of `text`, best first (ties in reading order).

    >>> [s.claim_type for s in spot("谢谢。我们发布了 4050 亿个参数的模型。")]
    ['quantity']
    """
    found: list[Spotted] = []
    for sentence in split_sentences(text, lang=lang):
        scored = score_sentence(sentence, said_on=said_on)
        if scored is not None and scored.score >= THRESHOLD:
            found.append(scored)
    found.sort(key=lambda s: (-s.score, s.sentence.start))
    return found if top is None else found[: max(top, 0)]


_FIGURE_EVENT = 0.3  # a figure about something released or launched is a claim about it


def score_sentence(sentence: Sentence, *, said_on: date | None = None) -> Spotted | None:
    """The reading of one sentence, or None when it shows no family at all."""
    text = sentence.text
    quantities = parse_quantities(text)
    dates = parse_dates(text)
    found = find_cues(text)
    cues = [c for c in found if c.family != "date_event" or dates]
    event = next((c for c in found if c.family == "date_event"), None)
    if event is not None and quantities and not dates:  # "a 450B model was just released"
        cues.append(Cue("quantity", f"figure with an event ({event.name})", _FIGURE_EVENT))
    cues = _figure_cues(quantities) + _date_cues(dates, cues) + cues
    totals = {f: sum(c.weight for c in cues if c.family == f) for f in FAMILIES}
    types = tuple(f for f in FAMILIES if totals[f] > 0)
    if not types:
        return None
    claim_type = _strongest(types, totals, quantities)
    strong = any(c.weight >= _STRONG_CUE for c in cues)
    dampers = find_dampers(text, lang=sentence.lang, has_evidence=strong)
    features = [(f"{c.family}: {c.name}", c.weight) for c in cues + dampers]
    due: date | None = None
    if "prediction" in types:
        due, why = derive_due(text, said_on)
        if due is not None:
            features.append((f"prediction: due {due.isoformat()} ({why})", 0.0))
    total = sum(weight for _, weight in features)
    score = round(1 / (1 + math.exp(-_STEEPNESS * (total - _MIDPOINT))), 3)
    return Spotted(
        sentence=sentence,
        claim_type=claim_type,
        types=types,
        figures=tuple(describe(q) for q in quantities),
        score=score,
        features=tuple(features),
        suggestion=_suggest(claim_type, types, quantities, dates, due),
    )


def _strongest(
    types: tuple[str, ...], totals: dict[str, float], quantities: Sequence[Quantity]
) -> str:
    """The family with the most weight (first in FAMILIES on a tie); a percentage compared
    ("cheaper by about 50%") is a comparison whatever else the sentence says."""
    if "comparison" in types and any(q.unit == "%" for q in quantities):
        return "comparison"
    return max(types, key=lambda f: (totals[f], -FAMILIES.index(f)))


def _figure_cues(quantities: Sequence[Quantity]) -> list[Cue]:
    """The normaliser's figures as features: a unit makes a figure a claim about something."""
    cues: list[Cue] = []
    for i, q in enumerate(quantities[:3]):
        weight = (_FIGURE if q.unit else _BARE_FIGURE) if i == 0 else _MORE_FIGURES
        cues.append(Cue("quantity", f"figure {q.text} ({describe(q)})", weight))
    return cues


def _date_cues(dates: Sequence[FoundDate], cues: Sequence[Cue]) -> list[Cue]:
    """A date is an event's date when an event verb goes with it ("iPhone 在 2007 年发布")."""
    if not dates:
        return []
    event = any(c.family == "date_event" for c in cues)
    weight = _DATE_WITH_EVENT if event else _DATE_ALONE
    return [Cue("date_event", f"date {dates[0].text}", weight)]


def _suggest(
    claim_type: str,
    types: tuple[str, ...],
    quantities: Sequence[Quantity],
    dates: Sequence[FoundDate],
    due: date | None,
) -> Suggestion:
    """The claim record the strongest reading suggests; None where the text cannot tell."""
    percent = next((q for q in quantities if q.unit == "%"), None)
    first = quantities[0] if quantities else None
    if claim_type == "prediction":
        return Suggestion("prediction", first.text if first else None, _unit(first), due)
    if percent is not None and "comparison" in types:
        return Suggestion("ratio", _ratio_expected(percent), None, None)
    if first is not None and claim_type in ("quantity", "comparison", "superlative"):
        return Suggestion("quantity", first.text, _unit(first), None)
    if claim_type == "date_event" and dates:
        return Suggestion("date", _date_expected(dates[0]), None, None)
    return Suggestion("text", None, None, None)


def _ratio_expected(percent: Quantity) -> str:
    """A compared percentage as the ratio a claim declares ("about 50%" -> "about 0.5"): ratio
    claims take a bare number, their hedge kept in words.

    >>> from decimal import Decimal
    >>> about = Quantity(text="约50%", amount=Decimal(50), unit="%", bound=Bound.APPROXIMATE)
    >>> _ratio_expected(about)
    'about 0.5'
    """
    ratio = format((percent.amount / 100).normalize(), "f")
    hedge = {
        Bound.APPROXIMATE: "about ",
        Bound.AT_LEAST: "at least ",
        Bound.AT_MOST: "at most ",
    }.get(percent.bound, "")
    return hedge + ratio


def _unit(q: Quantity | None) -> str | None:
    return None if q is None else q.unit


def _date_expected(found: FoundDate) -> str:
    """The date at the precision said: "2007", "2007-06", "2007-06-29"."""
    iso = found.when.isoformat()
    return {"year": iso[:4], "month": iso[:7]}.get(found.precision, iso)
