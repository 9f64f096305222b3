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
    Quantity,
    Role,
    SetBy,
    VerdictAction,
)
from factcheck.storage import catalog, records, runs, verdicts
from factcheck.storage.models import Claim, ClaimSource, Evidence, Source, Verdict
from factcheck.storage.records import claim_spec
from factcheck.verdicts.judge import is_stale, judge


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


def judge_claims(
    *,
    session: Session,
    run_id: int | None,
    claim_ids: Sequence[int],
    settings: Settings,
    now: datetime,
    fresh: dict[tuple[int, int, str], Fresh] | None = None,
) -> list[ClaimOutcome]:
    """Judge each claim on the freshest good evidence of each of its sources.

    With `fresh` (a dry run) nothing is written and the given evidence replaces the stored.
    """
    write = fresh is None
    fresh = fresh or {}
    ids = list(claim_ids)
    claims = list(
        session.exec(select(Claim).where(col(Claim.id).in_(ids)).order_by(col(Claim.key)))
    )
    stored = runs.freshest_evidence(session=session, claim_ids=ids)
    errors = runs.run_errors(session=session, run_id=run_id, claim_ids=ids) if run_id else []
    latest_system = verdicts.latest_verdicts(
        session=session, claim_ids=ids, set_by=SetBy.SYSTEM.value
    )
    overrides = verdicts.standing_overrides(session=session, claim_ids=ids)
    sources = {s.id: s for s in catalog.list_sources(session=session)}
    link_rows = session.exec(select(ClaimSource).where(col(ClaimSource.claim_id).in_(ids)))
    links = {(link.claim_id, link.source_id, link.role): link for link in link_rows}
    stale_after = timedelta(days=settings.stale_after_days)
    outcomes = []
    stances: dict[int, str] = {}
    for claim in claims:
        cid = claim.id or 0
        entries: dict[tuple[int, str], tuple[Evidence | None, Fresh]] = {}
        for error in (e for e in errors if e.claim_id == cid):
            entries[(error.source_id, error.role)] = (error, _fresh_of(error, (), ()))
        for key, kept in stored[cid].items():  # good evidence wins over this run's error ...
            current = links.get((cid, *key))
            made_by = kept.row.rule_fingerprint
            if current is not None and made_by is not None and made_by != _fingerprint(current):
                continue  # ... unless a rule the link no longer has made it
            entries[key] = (kept.row, _fresh_of(kept.row, kept.hits, kept.quantities))
        for (f_claim, source_id, role), item in fresh.items():
            if f_claim == cid and not (item.error_code and (source_id, role) in stored[cid]):
                entries[(source_id, role)] = (None, item)
        items: list[EvidenceItem] = []
        rows: list[Evidence | None] = []
        for (source_id, role), (row, evidence) in sorted(entries.items(), key=lambda e: e[0]):
            link = links.get((cid, source_id, role))
            if link is None:  # unlinked since: history stays, judging uses current links only
                continue
            items.append(_item(evidence, role, sources[source_id], link))
            rows.append(row)
        judgement = judge(claim_spec(claim), items, now=now, stale_after=stale_after)
        previous = latest_system.get(cid)
        label, reason = judgement.label.value, judgement.reason
        figures = dict(judgement.figures)  # plain, for the JSON column
        confidence = records.canonical(judgement.confidence)
        if write and not verdicts.same_verdict(
            previous, label=label, confidence=confidence, figures=figures
        ):
            verdict = Verdict(
                claim_id=cid,
                run_id=run_id,
                label=label,
                confidence=confidence,
                reason=reason,
                figures=figures,
                set_by=SetBy.SYSTEM.value,
                action=VerdictAction.JUDGED.value,
                created_at=now,
                evidence_ids=[r.id for r in rows if r is not None and r.id is not None],
            )
            verdicts.add_verdict(session=session, verdict=verdict)
        if write and run_id is not None:
            stances.update(
                {
                    r.id: stance.value
                    for r, stance in zip(rows, judgement.stances, strict=False)
                    if r is not None and r.id is not None and r.run_id == run_id
                }
            )
        override = overrides.get(cid)
        outcomes.append(
            ClaimOutcome(
                key=claim.key,
                label=label,
                previous_label=previous.label if previous else None,
                confidence=confidence,
                reason=reason,
                stale=is_stale(items, now=now, stale_after=stale_after),
                changed=previous is None or previous.label != label,
                override_label=override.label if override else None,
            )
        )
    if stances:
        runs.set_stances(session=session, run_id=run_id or 0, stances=stances)
    return outcomes


def _fingerprint(link: ClaimSource) -> str:
    return rule_fingerprint(link.rule_kind, link.rule, dict(link.rule_options or {}))


def _fresh_of(row: Evidence, hits: Sequence[Hit], quantities: Sequence[Quantity | None]) -> Fresh:
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
