"""Editors over the machine: overrides, the review queue, and a claim's history.

An override is an editor's Verdict row; it stands over the system's verdicts until an editor
lifts it with another editor row (`action` lift, domain.VerdictAction). Nothing is edited or
deleted: history stays append-only, and the nightly job goes on appending the system's judgements.

The review queue lists what needs a human, each item *since the claim's last review* (a Review
row; its `verdict_id` is the newest verdict row the editor saw, a watermark):

    mixed        the standing verdict is mixed
    flipped      the system's label changed
    stale        the freshest good evidence is older than the stale limit
    no_evidence  its sources were fetched but none has ever given good evidence (a broken
                 source or rule), until reviewed once; a claim never checked is not listed
    contradicted a system verdict after the override disagrees with it
    overdue      a prediction is past its due date

`review done KEY` adds a Review row, which clears the claim until something new happens.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from factcheck.config import Settings
from factcheck.domain import ClaimKind, Label, VerdictAction
from factcheck.editorial.overrides import _require
from factcheck.storage import catalog, freshness, verdicts
from factcheck.storage.models import Claim, Review, Verdict
from factcheck.storage.records import jsonable
from factcheck.verdicts.judge import FRESH, STALE
from factcheck.verdicts.judge import freshness as freshness_of

# -- the review queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    code: str  # mixed | flipped | stale | no_evidence | contradicted | overdue
    detail: str


@dataclass(frozen=True)
class QueueItem:
    key: str
    label: str | None  # the standing label
    set_by: str | None
    reasons: tuple[Reason, ...]
    last_reviewed_at: datetime | None = None
    freshness: str = FRESH  # verdicts.judge.FRESHNESS

    def record(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "set_by": self.set_by,
            "freshness": self.freshness,
            "last_reviewed_at": jsonable(self.last_reviewed_at),
            "reasons": [{"code": r.code, "detail": r.detail} for r in self.reasons],
        }


@dataclass
class _ClaimState:
    verdicts: list[Verdict] = field(default_factory=list)
    review: Review | None = None


def review_queue(*, session: Session, settings: Settings, now: datetime) -> list[QueueItem]:
    """What needs a human now, active claims only, by key."""
    claims = list(
        session.exec(select(Claim).where(Claim.status == "active").order_by(col(Claim.key)))
    )
    ids = [c.id for c in claims if c.id is not None]
    states: dict[int, _ClaimState] = {i: _ClaimState() for i in ids}
    for verdict in session.exec(
        select(Verdict).where(col(Verdict.claim_id).in_(ids)).order_by(col(Verdict.id))
    ):
        states[verdict.claim_id].verdicts.append(verdict)
    for review in session.exec(
        select(Review).where(col(Review.claim_id).in_(ids)).order_by(col(Review.id))
    ):
        states[review.claim_id].review = review  # the last one wins
    good_fetch = freshness.freshest_good_fetch(session=session, claim_ids=ids)
    checked = freshness.checked_claims(session=session, claim_ids=ids)
    standing = verdicts.effective_verdicts(session=session, claim_ids=ids)
    stale_after = timedelta(days=settings.stale_after_days)
    items = []
    for claim in claims:
        cid = claim.id or 0
        state = states[cid]
        reasons = _reasons(
            claim,
            state,
            standing.get(cid),
            good_fetch.get(cid),
            now=now,
            stale_after=stale_after,
            checked=cid in checked,
        )
        if reasons:
            current = standing.get(cid)
            items.append(
                QueueItem(
                    key=claim.key,
                    label=current.label if current else None,
                    set_by=current.set_by if current else None,
                    reasons=tuple(reasons),
                    last_reviewed_at=state.review.reviewed_at if state.review else None,
                    freshness=freshness_of(
                        good_fetch.get(cid),
                        now=now,
                        stale_after=stale_after,
                        checked=cid in checked,
                    ),
                )
            )
    return items


def _reasons(
    claim: Claim,
    state: _ClaimState,
    verdict: Verdict | None,
    freshest: datetime | None,
    *,
    now: datetime,
    stale_after: timedelta,
    checked: bool,
) -> list[Reason]:
    review = state.review
    mark = (review.verdict_id or 0) if review else 0  # verdict rows the editor has seen
    reviewed_at = review.reviewed_at if review else None
    reasons: list[Reason] = []
    if verdict is not None and verdict.label == Label.MIXED.value and (verdict.id or 0) > mark:
        reasons.append(Reason("mixed", verdict.reason))
    system = [v for v in state.verdicts if v.action == VerdictAction.JUDGED.value]
    flips = [
        f"{before.label} -> {after.label} ({after.created_at:%Y-%m-%d})"
        for before, after in itertools.pairwise(system)
        if after.label != before.label and (after.id or 0) > mark
    ]
    if flips:
        reasons.append(Reason("flipped", "; ".join(flips)))
    # stale: good evidence that has aged; a claim never checked is neither stale nor listed
    if (
        freshest is not None
        and freshness_of(freshest, now=now, stale_after=stale_after) == STALE
        and (reviewed_at is None or reviewed_at < freshest + stale_after)
    ):
        reasons.append(Reason("stale", f"freshest good evidence from {freshest:%Y-%m-%d}"))
    if freshest is None and checked and reviewed_at is None:
        reasons.append(Reason("no_evidence", "fetched, but no source has given good evidence"))
    if verdict is not None and verdict.action == VerdictAction.OVERRIDE.value:
        later = [v for v in system if (v.id or 0) > (verdict.id or 0)]
        if later and later[-1].label != verdict.label and (later[-1].id or 0) > mark:
            reasons.append(
                Reason(
                    "contradicted",
                    f"editor {verdict.editor} says {verdict.label}; the system now says "
                    f"{later[-1].label}: {later[-1].reason}",
                )
            )
    if (
        claim.kind == ClaimKind.PREDICTION.value
        and claim.due_on is not None
        and claim.due_on <= now.date()
        and (reviewed_at is None or reviewed_at.date() < claim.due_on)
    ):
        reasons.append(Reason("overdue", f"due {claim.due_on.isoformat()}"))
    return reasons


def mark_reviewed(
    *, session: Session, key: str, note: str, editor: str = "", now: datetime
) -> Review:
    """Clear a claim from the queue: a Review row with the newest verdict row seen."""
    claim = catalog.get_claim(session=session, key=key)
    newest = session.exec(
        select(sa.func.max(Verdict.id)).where(Verdict.claim_id == claim.id)
    ).first()
    review = Review(
        claim_id=claim.id or 0,
        verdict_id=newest,
        editor=editor.strip(),
        note=_require(note, "note"),
        reviewed_at=now,
    )
    session.add(review)
    session.flush()
    return review


# -- a claim's history ----------------------------------------------------------------------
