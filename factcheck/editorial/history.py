"""A claim timeline: its verdicts, evidence values and reviews, with who or what set each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from factcheck.domain import VerdictAction
from factcheck.storage import catalog, verdicts
from factcheck.storage.models import Evidence, Review, Source, Verdict
from factcheck.storage.records import jsonable


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
    claim = catalog.get_claim(session=session, key=key)
    cid = claim.id or 0
    events: list[tuple[datetime, int, int, Event]] = []
    for v in verdicts.verdict_history(session=session, claim_id=cid):
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
    if v.action == VerdictAction.JUDGED.value:
        by = f"system (run {v.run_id})" if v.run_id else "system"
        return Event(v.created_at, "verdict", by, f"{v.label} ({v.confidence})", detail)
    lift = v.action == VerdictAction.LIFT.value
    summary = "override lifted: the system's verdict stands" if lift else v.label
    return Event(v.created_at, v.action, f"editor {v.editor}", summary, detail)


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
