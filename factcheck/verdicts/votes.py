"""The values the readers hand to the judge: a `Vote` per comparison, a `Reading` per claim."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from factcheck.domain import Stance


@dataclass(frozen=True)
class Vote:
    """One comparison: SUPPORTS, REFUTES or NEUTRAL (found, but it cannot decide).

    >>> Vote(Stance.REFUTES, "Exam board (as of 2026-11-28): 89 is not above 90", (0,)).covers
    frozenset()
    """

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
