"""Verdicts, read and written: the newest per claim, the one that stands, the history.

A verdict row is appended, never edited: an editor's override and its lifting are rows too.
Functions take the session as a keyword and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlmodel import Session, col, select

from factcheck.domain import SetBy, VerdictAction
from factcheck.storage.models import Verdict


def latest_verdicts(
    *, session: Session, claim_ids: Iterable[int] | None = None, set_by: str | None = None
) -> dict[int, Verdict]:
    """The newest verdict of each claim, by claim id; only the system's or an editor's with
    `set_by`. Use `effective_verdicts` for the verdict that stands."""
    newest = select(sa.func.max(Verdict.id)).group_by(col(Verdict.claim_id))
    if set_by is not None:
        newest = newest.where(Verdict.set_by == set_by)
    if claim_ids is not None:  # grouped over these claims only, not the whole history
        newest = newest.where(col(Verdict.claim_id).in_(list(claim_ids)))
    query = select(Verdict).where(col(Verdict.id).in_(newest.scalar_subquery()))
    return {v.claim_id: v for v in session.exec(query)}


def standing_overrides(
    *, session: Session, claim_ids: Iterable[int] | None = None
) -> dict[int, Verdict]:
    """Each claim's editor override in force: its newest editor row, unless that row lifts it
    (history stays append-only: a lift is a row of its own, `action` lift)."""
    newest = latest_verdicts(session=session, claim_ids=claim_ids, set_by=SetBy.EDITOR.value)
    return {cid: v for cid, v in newest.items() if v.action != VerdictAction.LIFT.value}


def effective_verdicts(
    *, session: Session, claim_ids: Iterable[int] | None = None
) -> dict[int, Verdict]:
    """The verdict that stands for each claim: an editor's override, else the system's newest.

    The nightly job keeps appending the system's judgements, but never replaces an override;
    once an editor lifts the override, the system's newest verdict stands again.
    """
    ids = list(claim_ids) if claim_ids is not None else None
    standing = latest_verdicts(session=session, claim_ids=ids, set_by=SetBy.SYSTEM.value)
    standing.update(standing_overrides(session=session, claim_ids=ids))
    return standing


def verdict_history(*, session: Session, claim_id: int) -> list[Verdict]:
    query = select(Verdict).where(Verdict.claim_id == claim_id).order_by(col(Verdict.id))
    return list(session.exec(query))


def same_verdict(
    previous: Verdict | None, *, label: str, confidence: str, figures: Mapping[str, str]
) -> bool:
    """An unchanged judgement is not written again: the previous row still stands."""
    return (
        previous is not None
        and previous.label == label
        and previous.confidence == confidence
        and (previous.figures or {}) == figures
    )


def add_verdict(*, session: Session, verdict: Verdict) -> Verdict:
    """Append a verdict; it is written with the transaction (no flush per row)."""
    session.add(verdict)
    return verdict
