"""Editors over the machine: an override stands over the system verdicts until it is lifted.

An override is an editor Verdict row (`action` override); lifting it is another (`action`
lift). Nothing is edited or deleted: history stays append-only, and the nightly job goes on
appending the system judgements.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from factcheck.domain import Label, SetBy, VerdictAction
from factcheck.errors import ValidationError
from factcheck.storage import catalog, verdicts
from factcheck.storage.models import Verdict

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
    now: datetime,
) -> Verdict:
    """Append an editor's verdict; it stands over the system's until lifted."""
    labels = [item.value for item in Label]
    if label not in labels:
        raise ValidationError(f"label {label!r} is not one of {', '.join(labels)}")
    claim = catalog.get_claim(session=session, key=key)
    verdict = Verdict(
        claim_id=claim.id or 0,
        label=label,
        confidence=EDITOR_CONFIDENCE,
        reason=f"Set by editor {_require(editor, 'editor')}: {_require(note, 'note')}",
        set_by=SetBy.EDITOR.value,
        action=VerdictAction.OVERRIDE.value,
        editor=editor.strip(),
        note=note.strip(),
        created_at=now,
    )
    return verdicts.add_verdict(session=session, verdict=verdict)


def lift_override(*, session: Session, key: str, editor: str, note: str, now: datetime) -> Verdict:
    """Append a row that lifts the standing override: the system's newest verdict stands again.

    The row repeats the system's label so that a reader of history sees what stands from then.
    """
    claim = catalog.get_claim(session=session, key=key)
    cid = claim.id or 0
    override = verdicts.standing_overrides(session=session, claim_ids=[cid]).get(cid)
    if override is None:
        raise ValidationError(f"claim {key!r} has no editor override to lift")
    system = verdicts.latest_verdicts(session=session, claim_ids=[cid], set_by="system").get(cid)
    verdict = Verdict(
        claim_id=cid,
        label=system.label if system else Label.NOT_ENOUGH_INFO.value,
        confidence=system.confidence if system else "0",
        reason=(
            f"Override ({override.label}) lifted by editor {_require(editor, 'editor')}: "
            f"{_require(note, 'note')}"
        ),
        set_by=SetBy.EDITOR.value,
        action=VerdictAction.LIFT.value,
        editor=editor.strip(),
        note=note.strip(),
        created_at=now,
    )
    return verdicts.add_verdict(session=session, verdict=verdict)
