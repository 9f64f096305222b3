"""Judging a run's claims on the freshest good evidence of each of their sources.

Appends a system verdict only when the judgement changed, keeps doing so under an editor's
override (which still stands), and fills in the stance of the run's evidence rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from factcheck.config import Settings
from factcheck.declarations.inputs import rule_fingerprint
from factcheck.domain import (
    ErrorCode,
    EvidenceItem,
    Hit,
    Judgement,
    Quantity,
    Role,
    SetBy,
    Stance,
    VerdictAction,
)
from factcheck.storage import records, runs, verdicts
from factcheck.storage.models import Claim, ClaimSource, Source, Verdict
from factcheck.storage.records import claim_spec
from factcheck.verdicts.judge import evidence_freshness, is_stale, judge

JUDGE_CHUNK = 1000  # claims judged per read of the store


@dataclass(frozen=True)
class ClaimOutcome:
    """The system's judgement of one claim in a run, and the editor's override if one stands."""

    key: str
    label: str
    previous_label: str | None  # the system's previous label
    confidence: str
    reason: str
    stale: bool
    changed: bool  # the system's label changed (a flip), or the claim is new
    override_label: str | None = None  # an editor's verdict stands over the system's
    freshness: str = "fresh"  # verdicts.judge.FRESHNESS

    @property
    def contradicts_override(self) -> bool:
        return self.override_label is not None and self.override_label != self.label


@dataclass(frozen=True)
class Fresh:
    """Evidence not (yet) stored: what a dry run just extracted for one (claim, source, role)."""

    hits: tuple[Hit, ...]
    quantities: tuple[Quantity | None, ...]
    fetched_at: datetime
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class _Known:
    """What judging reads from the store, once for every claim in scope."""

    claims: list[Claim]
    stored: dict[int, dict[tuple[int, str], runs.JudgedEvidence]]
    errors: dict[int, list[runs.Judged]]  # this run's error rows, by claim
    latest_system: dict[int, Verdict]
    overrides: dict[int, Verdict]
    sources: dict[int, Source]
    links: dict[tuple[int, int, str], ClaimSource]


def judge_claims(
    *,
    session: Session,
    run_id: int | None,
    claim_ids: Sequence[int],
    settings: Settings,
    now: datetime,
    fresh: dict[tuple[int, int, str], Fresh] | None = None,
) -> list[ClaimOutcome]:
    """Judge each claim on the freshest good evidence of each of its sources, JUDGE_CHUNK
    claims per read of the store (memory flat in the number of claims); sorted by key.

    With `fresh` (a dry run) nothing is written and the given evidence replaces the stored.
    """
    write = fresh is None
    fresh_of: dict[int, dict[tuple[int, str], Fresh]] = {}  # by claim: one look-up per claim
    for (f_claim, source_id, role), item in (fresh or {}).items():
        fresh_of.setdefault(f_claim, {})[(source_id, role)] = item
    ids = list(dict.fromkeys(claim_ids))
    outcomes: list[ClaimOutcome] = []
    for start in range(0, len(ids), JUDGE_CHUNK):
        known = _load(session=session, run_id=run_id, claim_ids=ids[start : start + JUDGE_CHUNK])
        outcomes += _judge_known(
            session, known, run_id=run_id, settings=settings, now=now, fresh=fresh_of, write=write
        )
    return sorted(outcomes, key=lambda outcome: outcome.key)


def _judge_known(
    session: Session,
    known: _Known,
    *,
    run_id: int | None,
    settings: Settings,
    now: datetime,
    fresh: dict[int, dict[tuple[int, str], Fresh]],
    write: bool,
) -> list[ClaimOutcome]:
    """Judge the claims of one read of the store; write their new verdicts and stances."""
    stale_after = timedelta(days=settings.stale_after_days)
    outcomes = []
    stances: dict[int, str] = {}
    new_verdicts: list[dict[str, object]] = []
    for claim in known.claims:
        cid = claim.id or 0
        entries = _entries(cid, known=known, fresh=fresh.get(cid, {}))
        rows = [row for row, _ in entries]
        items = [item for _, item in entries]
        judgement = judge(claim_spec(claim), items, now=now, stale_after=stale_after)
        previous = known.latest_system.get(cid)
        if write:
            new_verdicts.extend(_new_verdict(cid, run_id, judgement, previous, rows, now=now))
        if write and run_id is not None:
            stances.update(_stances(rows, judgement.stances, run_id=run_id))
        override = known.overrides.get(cid)
        outcomes.append(
            ClaimOutcome(
                key=claim.key,
                label=judgement.label.value,
                previous_label=previous.label if previous else None,
                confidence=records.canonical(judgement.confidence),
                reason=judgement.reason,
                stale=is_stale(items, now=now, stale_after=stale_after),
                freshness=evidence_freshness(items, now=now, stale_after=stale_after),
                changed=previous is None or previous.label != judgement.label.value,
                override_label=override.label if override else None,
            )
        )
    runs.insert_verdicts(session=session, rows=new_verdicts)
    if stances:
        runs.set_stances(session=session, run_id=run_id or 0, stances=stances)
    return outcomes


def _load(*, session: Session, run_id: int | None, claim_ids: Sequence[int]) -> _Known:
    """What judging these claims reads: their links, and only the sources those links or
    their stored evidence name."""
    ids = list(claim_ids)
    claims = session.exec(select(Claim).where(col(Claim.id).in_(ids)).order_by(col(Claim.key)))
    link_rows = list(session.exec(select(ClaimSource).where(col(ClaimSource.claim_id).in_(ids))))
    stored, errors = runs.evidence_to_judge(session=session, claim_ids=ids, run_id=run_id)
    source_ids = {link.source_id for link in link_rows}
    source_ids.update(source_id for kept in stored.values() for source_id, _ in kept)
    sources = session.exec(select(Source).where(col(Source.id).in_(source_ids)))
    return _Known(
        claims=list(claims),
        stored=stored,
        errors=errors,
        latest_system=verdicts.latest_verdicts(
            session=session, claim_ids=ids, set_by=SetBy.SYSTEM.value
        ),
        overrides=verdicts.standing_overrides(session=session, claim_ids=ids),
        sources={s.id: s for s in sources if s.id is not None},
        links={(link.claim_id, link.source_id, link.role): link for link in link_rows},
    )


def _entries(
    cid: int, *, known: _Known, fresh: dict[tuple[int, str], Fresh]
) -> list[tuple[runs.Judged | None, EvidenceItem]]:
    """The evidence one claim is judged on, one per (source, role) it is linked to now."""
    entries: dict[tuple[int, str], tuple[runs.Judged | None, Fresh]] = {}
    for error in known.errors.get(cid, ()):
        entries[(error.source_id, error.role)] = (error, _fresh_of(error, (), ()))
    for key, kept in known.stored[cid].items():  # good evidence wins over this run's error ...
        current = known.links.get((cid, *key))
        made_by = kept.row.rule_fingerprint
        if current is not None and made_by is not None and made_by != _fingerprint(current):
            continue  # ... unless a rule the link no longer has made it
        asked = kept.row.url
        if asked is not None and asked != known.sources[key[0]].url:
            continue  # ... or it came from a URL the source no longer has
        entries[key] = (kept.row, _fresh_of(kept.row, kept.hits, kept.quantities))
    for (source_id, role), item in fresh.items():
        if not (item.error_code and (source_id, role) in known.stored[cid]):
            entries[(source_id, role)] = (None, item)
    chosen = []
    for (source_id, role), (row, evidence) in sorted(entries.items(), key=lambda e: e[0]):
        link = known.links.get((cid, source_id, role))
        if link is None:  # unlinked since: history stays, judging uses current links only
            continue
        chosen.append((row, _item(evidence, role, known.sources[source_id], link)))
    return chosen


def _new_verdict(
    cid: int,
    run_id: int | None,
    judgement: Judgement,
    previous: Verdict | None,
    rows: Sequence[runs.Judged | None],
    *,
    now: datetime,
) -> list[dict[str, object]]:
    """A system verdict's row, only when the judgement differs from the previous one (rows,
    not ORM objects: a run judging 10,000 claims inserts them in one executemany)."""
    label, confidence = judgement.label.value, records.canonical(judgement.confidence)
    figures = dict(judgement.figures)  # plain, for the JSON column
    if verdicts.same_verdict(previous, label=label, confidence=confidence, figures=figures):
        return []
    return [
        {
            "claim_id": cid,
            "run_id": run_id,
            "label": label,
            "confidence": confidence,
            "reason": judgement.reason,
            "figures": figures,
            "evidence_ids": [r.id for r in rows if r is not None and r.id is not None],
            "set_by": SetBy.SYSTEM.value,
            "action": VerdictAction.JUDGED.value,
            "editor": None,
            "note": "",
            "created_at": now,
        }
    ]


def _stances(
    rows: Sequence[runs.Judged | None], stances: Sequence[Stance], *, run_id: int
) -> dict[int, str]:
    """The stance of each of this run's evidence rows (older rows keep theirs)."""
    return {
        r.id: stance.value
        for r, stance in zip(rows, stances, strict=False)
        if r is not None and r.id is not None and r.run_id == run_id
    }


def _fingerprint(link: ClaimSource) -> str:
    return rule_fingerprint(link.rule_kind, link.rule, dict(link.rule_options or {}))


def _fresh_of(
    row: runs.Judged, hits: Sequence[Hit], quantities: Sequence[Quantity | None]
) -> Fresh:
    return Fresh(tuple(hits), tuple(quantities), row.fetched_at, row.error_code, row.error_message)


def _item(evidence: Fresh, role: str, source: Source, link: ClaimSource) -> EvidenceItem:
    return EvidenceItem(
        source_key=source.key,
        source_title=source.title or source.key,
        role=Role(role),
        fetched_at=evidence.fetched_at,
        hits=evidence.hits,
        quantities=evidence.quantities,
        error_code=ErrorCode(evidence.error_code) if evidence.error_code else None,
        error_message=evidence.error_message,
        self_published=link.self_published,
        authoritative=link.authoritative,
        url=source.url,
    )
