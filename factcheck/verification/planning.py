"""Planning a run: which sources are due, how each link is extracted, which claims to judge.

Reads the store, touches no network. A source is due when its recheck interval has passed,
when it has no fetch time (never fetched, or its URL or format changed: catalog.update_source
clears its fetch state), when it serves a prediction on or after its due date, or when forced;
a link's last extraction is reusable only when the same rule made it from the body the source
last returned, so a source with no last body (a new URL) reuses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from factcheck.declarations.inputs import rule_fingerprint, split_link_options
from factcheck.domain import (
    ClaimKind,
    Rule,
    RuleKind,
    SourceFormat,
)
from factcheck.storage import catalog, freshness, runs
from factcheck.storage.models import Claim, ClaimSource, Source

NUMERIC_KINDS = {ClaimKind.QUANTITY, ClaimKind.QUANTITY_SET, ClaimKind.RATIO}


@dataclass(frozen=True)
class LinkPlan:
    claim_id: int
    claim_key: str
    role: str
    rule: Rule  # extraction options only (hashable: a LinkPlan keys its own results)
    fingerprint: str  # the whole rule's, unit included (inputs.rule_fingerprint)
    unit: str | None  # the unit of bare numbers, declared on the link (not a rule option)
    numeric: bool  # the claim compares numbers: split hits into quantities
    previous_id: int | None  # the evidence row holding this link's last extraction


@dataclass(frozen=True)
class SourcePlan:
    source_id: int
    key: str
    url: str
    fmt: SourceFormat
    etag: str | None
    last_modified: str | None
    last_sha256: str | None
    links: tuple[LinkPlan, ...]

    @property
    def reusable(self) -> bool:
        """Every link has an extraction to reuse, so a 304 or same body needs no parse."""
        return bool(self.links) and all(link.previous_id is not None for link in self.links)


@dataclass(frozen=True)
class Plan:
    sources: tuple[SourcePlan, ...]
    claim_ids: tuple[int, ...]


def _is_due(source: Source, *, now: datetime) -> bool:
    due = freshness.due_at(source)  # None: never fetched at its current URL
    return due is None or now >= due


def plan_run(
    *, session: Session, claim_keys: Sequence[str] = (), force: bool = False, now: datetime
) -> Plan:
    """Which sources to fetch and which claims to judge.

    Named claims force their sources. Otherwise a source is due when its recheck interval has
    passed, or when it serves a prediction on or after its due date; `force` fetches all.
    """
    if claim_keys:
        claims = [catalog.get_claim(session=session, key=k) for k in dict.fromkeys(claim_keys)]
    else:
        claims = list(
            session.exec(select(Claim).where(Claim.status == "active").order_by(col(Claim.id)))
        )
    by_id = {c.id: c for c in claims if c.id is not None}
    grouped = _linked_sources(session=session, claim_ids=list(by_id))
    today = now.date()
    due = {
        source_id
        for source_id, (source, links) in grouped.items()
        if force
        or claim_keys
        or any(_prediction_due(by_id[link.claim_id], today) for link in links)
        or _is_due(source, now=now)
    }
    plans = _source_plans(session=session, grouped=grouped, source_ids=due, claims=by_id)
    return Plan(sources=tuple(plans), claim_ids=tuple(by_id))


def plan_sources(
    *,
    session: Session,
    source_ids: Sequence[int],
    claim_ids: Sequence[int] | None = None,
    now: datetime,
) -> list[SourcePlan]:
    """The plans of exactly these sources, as `plan_run(force=True)` makes them: a worker
    holding only (run, source) ids rebuilds the unit from the store. Links are those of the
    active claims, or of `claim_ids` when given (a run of named claims); a source left with
    no such link (unlinked since the run was planned) gets no plan. `now` is kept for the
    same call shape as plan_run: a forced plan does not depend on the time."""
    del now
    if claim_ids is None:
        query = select(Claim).where(Claim.status == "active")
    else:
        query = select(Claim).where(col(Claim.id).in_(list(dict.fromkeys(claim_ids))))
    by_id = {c.id: c for c in session.exec(query) if c.id is not None}
    wanted = set(source_ids)
    grouped = _linked_sources(session=session, claim_ids=list(by_id), source_ids=wanted)
    return _source_plans(session=session, grouped=grouped, source_ids=wanted, claims=by_id)


def _linked_sources(
    *, session: Session, claim_ids: list[int], source_ids: set[int] | None = None
) -> dict[int, tuple[Source, list[ClaimSource]]]:
    """The sources linked to these claims with their links, in source then link order."""
    query = (
        select(ClaimSource, Source)
        .join(Source, col(Source.id) == ClaimSource.source_id)
        .where(col(ClaimSource.claim_id).in_(claim_ids))
    )
    if source_ids is not None:
        query = query.where(col(Source.id).in_(list(source_ids)))
    rows = session.exec(query.order_by(col(Source.id), col(ClaimSource.id))).all()
    grouped: dict[int, tuple[Source, list[ClaimSource]]] = {}
    for link, source in rows:
        grouped.setdefault(source.id or 0, (source, []))[1].append(link)
    return grouped


def _source_plans(
    *,
    session: Session,
    grouped: dict[int, tuple[Source, list[ClaimSource]]],
    source_ids: set[int],
    claims: dict[int, Claim],
) -> list[SourcePlan]:
    """One plan per grouped source in `source_ids`, each link with its reusable extraction."""
    previous = runs.original_extractions(session=session, source_ids=source_ids)
    plans = []
    for source_id, (source, links) in grouped.items():
        if source_id not in source_ids:
            continue
        plans.append(
            SourcePlan(
                source_id=source_id,
                key=source.key,
                url=source.url,
                fmt=SourceFormat(source.format),
                etag=source.etag,
                last_modified=source.last_modified,
                last_sha256=source.last_sha256,
                links=tuple(
                    _link_plan(link, claims[link.claim_id], previous, source.last_sha256)
                    for link in links
                ),
            )
        )
    return plans


def _prediction_due(claim: Claim, today: date) -> bool:
    return (
        claim.kind == ClaimKind.PREDICTION.value
        and claim.due_on is not None
        and claim.due_on <= today
    )


def _link_plan(
    link: ClaimSource,
    claim: Claim,
    previous: dict[tuple[int, int, str], runs.Extraction],
    source_sha256: str | None,
) -> LinkPlan:
    """How to extract one link; its last extraction is reusable only if it was made from the
    body the source last returned with the same rule (a rule that stopped matching on a newer
    body must not come back as good evidence when that body is seen again). With no last body
    (never fetched, or fetch state cleared by a new URL) nothing is reused."""
    stored = dict(link.rule_options or {})
    rule_options, unit = split_link_options(stored)
    kind = ClaimKind(claim.inner_kind or claim.kind)
    fingerprint = rule_fingerprint(link.rule_kind, link.rule, stored)
    earlier = previous.get((link.source_id, link.claim_id, link.role))
    same_rule = (
        earlier is not None
        and source_sha256 is not None
        and earlier.rule_fingerprint == fingerprint
        and earlier.snapshot_sha256 == source_sha256
    )
    return LinkPlan(
        claim_id=link.claim_id,
        claim_key=claim.key,
        role=link.role,
        rule=Rule(kind=RuleKind(link.rule_kind), expression=link.rule, options=rule_options),
        fingerprint=fingerprint,
        unit=unit,
        numeric=kind in NUMERIC_KINDS,
        previous_id=earlier.evidence_id if same_rule and earlier is not None else None,
    )
