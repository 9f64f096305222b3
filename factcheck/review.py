"""Editors over the machine: overrides, the review queue, and a claim's history.

An override is an editor's Verdict row; it stands over the system's verdicts until an editor
lifts it with another editor row marked `store.OVERRIDE_LIFTED`. Nothing is edited or deleted:
history stays append-only, and the nightly job goes on appending the system's judgements.

The review queue lists what needs a human, each item *since the claim's last review* (a Review
row; its `verdict_id` is the newest verdict row the editor saw, a watermark):

    mixed        the standing verdict is mixed
    flipped      the system's label changed
    stale        the freshest good evidence is older than the stale limit
    contradicted a system verdict after the override disagrees with it
    overdue      a prediction is past its due date

`review done KEY` adds a Review row, which clears the claim until something new happens.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from factcheck import ledger, store
from factcheck.config import Settings
from factcheck.domain import ClaimKind, Label, SetBy
from factcheck.errors import ValidationError
from factcheck.models import Claim, Evidence, Review, Source, Verdict, utcnow
from factcheck.records import jsonable

EDITOR_CONFIDENCE = "1"  # an editor's verdict is stated, not estimated


def _require(value: str, name: str) -> str:
    if not value.strip():
        raise ValidationError(f"--{name} is required and cannot be empty")
    return value.strip()


def set_override(
    *,
    session: Session,
    key: str,
    label: str,
    editor: str,
    note: str,
    now: datetime | None = None,
) -> Verdict:
    """Append an editor's verdict; it stands over the system's until lifted."""
    labels = [item.value for item in Label]
    if label not in labels:
        raise ValidationError(f"label {label!r} is not one of {', '.join(labels)}")
    claim = store.get_claim(session=session, key=key)
    verdict = Verdict(
        claim_id=claim.id or 0,
        label=label,
        confidence=EDITOR_CONFIDENCE,
        reason=f"Set by editor {_require(editor, 'editor')}: {_require(note, 'note')}",
        set_by=SetBy.EDITOR.value,
        editor=editor.strip(),
        note=note.strip(),
        created_at=now or utcnow(),
    )
    return ledger.add_verdict(session=session, verdict=verdict)


def lift_override(
    *, session: Session, key: str, editor: str, note: str, now: datetime | None = None
) -> Verdict:
    """Append a row that lifts the standing override: the system's newest verdict stands again.

    The row repeats the system's label so that a reader of history sees what stands from then.
    """
    claim = store.get_claim(session=session, key=key)
    cid = claim.id or 0
    override = store.standing_overrides(session=session, claim_ids=[cid]).get(cid)
    if override is None:
        raise ValidationError(f"claim {key!r} has no editor override to lift")
    system = store.latest_verdicts(session=session, claim_ids=[cid], set_by="system").get(cid)
    verdict = Verdict(
        claim_id=cid,
        label=system.label if system else Label.NOT_ENOUGH_INFO.value,
        confidence=system.confidence if system else "0",
        reason=(
            f"Override ({override.label}) lifted by editor {_require(editor, 'editor')}: "
            f"{_require(note, 'note')}"
        ),
        figures=dict(store.OVERRIDE_LIFTED),
        set_by=SetBy.EDITOR.value,
        editor=editor.strip(),
        note=note.strip(),
        created_at=now or utcnow(),
    )
    return ledger.add_verdict(session=session, verdict=verdict)


# -- the review queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    code: str  # mixed | flipped | stale | contradicted | overdue
    detail: str


@dataclass(frozen=True)
class QueueItem:
    key: str
    label: str | None  # the standing label
    set_by: str | None
    reasons: tuple[Reason, ...]
    last_reviewed_at: datetime | None = None

    def record(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "set_by": self.set_by,
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
    good_fetch: dict[int, datetime] = {
        cid: at
        for cid, at in session.execute(
            sa.select(col(Evidence.claim_id), sa.func.max(col(Evidence.fetched_at)))
            .where(col(Evidence.claim_id).in_(ids), col(Evidence.error_code).is_(None))
            .group_by(col(Evidence.claim_id))
        )
    }
    standing = store.effective_verdicts(session=session, claim_ids=ids)
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
) -> list[Reason]:
    review = state.review
    mark = (review.verdict_id or 0) if review else 0  # verdict rows the editor has seen
    reviewed_at = review.reviewed_at if review else None
    reasons: list[Reason] = []
    if verdict is not None and verdict.label == Label.MIXED.value and (verdict.id or 0) > mark:
        reasons.append(Reason("mixed", verdict.reason))
    system = [v for v in state.verdicts if v.set_by == SetBy.SYSTEM.value]
    flips = [
        f"{before.label} -> {after.label} ({after.created_at:%Y-%m-%d})"
        for before, after in itertools.pairwise(system)
        if after.label != before.label and (after.id or 0) > mark
    ]
    if flips:
        reasons.append(Reason("flipped", "; ".join(flips)))
    if system:  # judged at least once: a claim never verified is not stale yet
        # with no good evidence at all, it has been stale since it was first judged
        stale_since = (freshest + stale_after) if freshest else system[0].created_at
        stale = now > stale_since or freshest is None
        if stale and (reviewed_at is None or reviewed_at < stale_since):
            detail = (
                f"freshest good evidence from {freshest:%Y-%m-%d}"
                if freshest
                else "no good evidence"
            )
            reasons.append(Reason("stale", detail))
    if verdict is not None and verdict.set_by == SetBy.EDITOR.value:
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
    *, session: Session, key: str, note: str, editor: str = "", now: datetime | None = None
) -> Review:
    """Clear a claim from the queue: a Review row with the newest verdict row seen."""
    claim = store.get_claim(session=session, key=key)
    newest = session.exec(
        select(sa.func.max(Verdict.id)).where(Verdict.claim_id == claim.id)
    ).first()
    review = Review(
        claim_id=claim.id or 0,
        verdict_id=newest,
        editor=editor.strip(),
        note=_require(note, "note"),
        reviewed_at=now or utcnow(),
    )
    session.add(review)
    session.flush()
    return review


# -- a claim's history ----------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # verdict | override | lift | evidence | review
    by: str  # who or what: "system (run 3)", "editor Ann", "source card (run 3)"
    summary: str
    detail: dict[str, Any]

    def record(self) -> dict[str, Any]:
        return {
            "at": jsonable(self.at),
            "kind": self.kind,
            "by": self.by,
            "summary": self.summary,
            **{k: jsonable(v) for k, v in self.detail.items()},
        }


def claim_history(*, session: Session, key: str) -> list[Event]:
    """Verdicts, evidence values and reviews of one claim, oldest first."""
    claim = store.get_claim(session=session, key=key)
    cid = claim.id or 0
    events: list[tuple[datetime, int, int, Event]] = []
    for v in store.verdict_history(session=session, claim_id=cid):
        events.append((v.created_at, 2, v.id or 0, _verdict_event(v)))
    evidence = session.exec(
        select(Evidence, Source.key)
        .join(Source, col(Source.id) == Evidence.source_id)
        .where(Evidence.claim_id == cid)
        .order_by(col(Evidence.id))
    ).all()
    originals = _originals(session, [e for e, _ in evidence])
    for row, source_key in evidence:
        events.append((row.fetched_at, 1, row.id or 0, _evidence_event(row, source_key, originals)))
    for r in session.exec(select(Review).where(Review.claim_id == cid).order_by(col(Review.id))):
        who = f"editor {r.editor}" if r.editor else "an editor"
        detail = {"note": r.note, "verdict_id": r.verdict_id}
        event = Event(r.reviewed_at, "review", who, r.note, detail)
        events.append((r.reviewed_at, 3, r.id or 0, event))
    return [event for *_, event in sorted(events, key=lambda e: e[:3])]


def _verdict_event(v: Verdict) -> Event:
    detail = {
        "verdict_id": v.id,
        "label": v.label,
        "confidence": v.confidence,
        "reason": v.reason,
        "note": v.note,
        "run_id": v.run_id,
    }
    if v.set_by == SetBy.SYSTEM.value:
        by = f"system (run {v.run_id})" if v.run_id else "system"
        return Event(v.created_at, "verdict", by, f"{v.label} ({v.confidence})", detail)
    kind = "lift" if store.is_override_lift(v.figures) else "override"
    summary = "override lifted: the system's verdict stands" if kind == "lift" else v.label
    return Event(v.created_at, kind, f"editor {v.editor}", summary, detail)


def _originals(session: Session, rows: Sequence[Evidence]) -> dict[int, Evidence]:
    ids = {r.reused_from_id for r in rows if r.reused_from_id is not None}
    if not ids:
        return {}
    return {e.id or 0: e for e in session.exec(select(Evidence).where(col(Evidence.id).in_(ids)))}


def _evidence_event(row: Evidence, source_key: str, originals: dict[int, Evidence]) -> Event:
    base = originals.get(row.reused_from_id or 0, row) if row.reused_from_id else row
    if row.error_code:
        summary = f"error {row.error_code}: {row.error_message or ''}".strip()
    elif base.value is not None:
        summary = f"{base.value} {base.unit or ''}".strip() + f" from {base.raw!r}"
    else:
        summary = repr(base.raw) if base.raw else "no hit"
    if row.reused:
        summary += " (source unchanged)"
    detail = {
        "evidence_id": row.id,
        "source": source_key,
        "role": row.role,
        "value": base.value,
        "unit": base.unit,
        "raw": base.raw,
        "stance": row.stance,
        "error_code": row.error_code,
        "run_id": row.run_id,
        "reused_from": row.reused_from_id,
    }
    by = f"source {source_key} (run {row.run_id})"
    return Event(row.fetched_at, "evidence", by, summary, detail)
