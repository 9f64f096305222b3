"""The catalog: claims, sources and the links between them, read and written.

Functions take the session as a keyword and never commit: the caller's `session_scope` is the
transaction, so a command that fails half-way writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from factcheck.config import Settings
from factcheck.declarations.expectations import check_quantified_links
from factcheck.declarations.inputs import ClaimInput, Declarations, LinkInput, SourceInput
from factcheck.errors import NotFoundError, ValidationError
from factcheck.storage import freshness, verdicts
from factcheck.storage.models import Claim, ClaimSource, ClaimTag, Source, Verdict
from factcheck.storage.records import claim_columns, link_columns, source_columns, stored_rule

# -- reading --------------------------------------------------------------------------------


def get_claim(*, session: Session, key: str) -> Claim:
    claim = session.exec(select(Claim).where(Claim.key == key)).first()
    if claim is None:
        raise NotFoundError(f"no claim with key {key!r}")
    return claim


def get_source(*, session: Session, key: str) -> Source:
    source = session.exec(select(Source).where(Source.key == key)).first()
    if source is None:
        raise NotFoundError(f"no source with key {key!r}")
    return source


def claim_tags(*, session: Session, claim_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(claim_ids)
    tags: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return tags
    rows = session.exec(
        select(ClaimTag).where(col(ClaimTag.claim_id).in_(ids)).order_by(col(ClaimTag.tag))
    )
    for row in rows:
        tags[row.claim_id].append(row.tag)
    return tags


@dataclass(frozen=True)
class ClaimRow:
    claim: Claim
    tags: list[str]
    latest: Verdict | None
    freshness: str  # verdicts.judge.FRESHNESS


def list_claims(
    *,
    session: Session,
    settings: Settings,
    now: datetime | None = None,
    status: str | None = None,
    tag: str | None = None,
    kind: str | None = None,
    label: str | None = None,
) -> list[ClaimRow]:
    query = select(Claim).order_by(col(Claim.key))
    if status:
        query = query.where(Claim.status == status)
    if kind:
        query = query.where(Claim.kind == kind)
    if tag:
        tagged = select(ClaimTag.claim_id).where(ClaimTag.tag == tag)
        query = query.where(col(Claim.id).in_(tagged))
    claims = list(session.exec(query))
    ids = [c.id for c in claims if c.id is not None]
    tags = claim_tags(session=session, claim_ids=ids)
    latest = verdicts.effective_verdicts(session=session, claim_ids=ids)
    fresh = freshness.claim_freshness(session=session, claim_ids=ids, settings=settings, now=now)
    rows = [
        ClaimRow(c, tags.get(c.id or 0, []), latest.get(c.id or 0), fresh[c.id or 0])
        for c in claims
    ]
    if label:
        wanted = None if label == "none" else label
        rows = [r for r in rows if (r.latest.label if r.latest else None) == wanted]
    return rows


def list_sources(*, session: Session) -> list[Source]:
    return list(session.exec(select(Source).order_by(col(Source.key))))


def claim_links(*, session: Session, claim_id: int) -> list[tuple[ClaimSource, Source]]:
    query = (
        select(ClaimSource, Source)
        .join(Source, col(Source.id) == ClaimSource.source_id)
        .where(ClaimSource.claim_id == claim_id)
        .order_by(col(Source.key), col(ClaimSource.role))
    )
    return [(link, source) for link, source in session.exec(query)]


def source_claims(*, session: Session, source_id: int) -> list[tuple[ClaimSource, Claim]]:
    query = (
        select(ClaimSource, Claim)
        .join(Claim, col(Claim.id) == ClaimSource.claim_id)
        .where(ClaimSource.source_id == source_id)
        .order_by(col(Claim.key))
    )
    return [(link, claim) for link, claim in session.exec(query)]


def source_formats(*, session: Session) -> dict[str, Any]:
    return {s.key: s.format for s in list_sources(session=session)}


# -- writing --------------------------------------------------------------------------------


def _assign(row: Any, values: Mapping[str, Any]) -> bool:
    """Set changed attributes; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def add_claim(*, session: Session, spec: ClaimInput, now: datetime) -> Claim:
    if session.exec(select(Claim.id).where(Claim.key == spec.key)).first() is not None:
        raise ValidationError(f"a claim with key {spec.key!r} already exists")
    claim = Claim(**claim_columns(spec), created_at=now, updated_at=now)
    session.add(claim)
    session.flush()
    _sync_tags(session=session, claim=claim, tags=spec.tags)
    for link in spec.links:
        link_claim(
            session=session,
            claim=claim,
            source=get_source(session=session, key=link.source_key),
            link=link,
        )
    return claim


def update_claim(
    *,
    session: Session,
    claim: Claim,
    spec: ClaimInput,
    sync_links: bool = False,
    now: datetime,
) -> bool:
    """Bring a stored claim in line with `spec`; with `sync_links`, its links too. A quantifier
    given without links (`claim edit`, `import-csv`) is checked against the stored links."""
    if spec.quantifier and not sync_links:
        rules = [(link.role, stored_rule(link)) for link, _ in claim_links(
            session=session, claim_id=claim.id or 0)]  # fmt: skip
        check_quantified_links(spec.inner_kind or spec.kind, rules)
    changed = _assign(claim, claim_columns(spec))
    changed = _sync_tags(session=session, claim=claim, tags=spec.tags) or changed
    if sync_links:
        changed = _sync_links(session=session, claim=claim, links=spec.links) or changed
    if changed:
        claim.updated_at = now
        session.add(claim)
    return changed


def _sync_tags(*, session: Session, claim: Claim, tags: Sequence[str]) -> bool:
    assert claim.id is not None
    current = {
        t.tag: t for t in session.exec(select(ClaimTag).where(ClaimTag.claim_id == claim.id))
    }
    wanted = set(tags)
    for tag in set(current) - wanted:
        session.delete(current[tag])
    for tag in wanted - set(current):
        session.add(ClaimTag(claim_id=claim.id, tag=tag))
    return set(current) != wanted


def _sync_links(*, session: Session, claim: Claim, links: Sequence[LinkInput]) -> bool:
    assert claim.id is not None
    current = {
        (source.key, link.role): link
        for link, source in claim_links(session=session, claim_id=claim.id)
    }
    wanted = {(link.source_key, link.role.value): link for link in links}
    changed = False
    for ident in set(current) - set(wanted):
        session.delete(current[ident])
        changed = True
    session.flush()
    for ident, link in wanted.items():
        if ident in current:
            changed = _assign(current[ident], link_columns(link)) or changed
        else:
            source = get_source(session=session, key=link.source_key)
            link_claim(session=session, claim=claim, source=source, link=link)
            changed = True
    return changed


def retire_claim(*, session: Session, claim: Claim, now: datetime) -> bool:
    if claim.status == "retired":
        return False
    claim.status = "retired"
    claim.updated_at = now
    session.add(claim)
    return True


def add_source(*, session: Session, spec: SourceInput, now: datetime) -> Source:
    if session.exec(select(Source.id).where(Source.key == spec.key)).first() is not None:
        raise ValidationError(f"a source with key {spec.key!r} already exists")
    _check_url_free(session=session, url=spec.url, key=spec.key)
    source = Source(**source_columns(spec), created_at=now, updated_at=now)
    session.add(source)
    session.flush()
    return source


def _check_url_free(*, session: Session, url: str, key: str) -> None:
    other = session.exec(select(Source.key).where(Source.url == url, Source.key != key)).first()
    if other is not None:
        raise ValidationError(
            f"source {key!r}: field 'url': source {other!r} already has the URL {url}"
            " (one source per URL)"
        )


# What a fetch of the source's page left behind; void once the page is another one.
FETCH_STATE = ("etag", "last_modified", "last_sha256", "last_fetched_at")


def update_source(*, session: Session, source: Source, spec: SourceInput, now: datetime) -> bool:
    """Bring a stored source in line with `spec`.

    A new URL or format makes the source another page: its fetch state (conditional-GET
    validators, last body hash, last fetch time) is cleared, so the next run fetches it in full
    whatever its recheck interval, and no extraction made from the old page is reused.
    """
    _check_url_free(session=session, url=spec.url, key=spec.key)
    columns = source_columns(spec)
    another_page = (source.url, source.format) != (columns["url"], columns["format"])
    changed = _assign(source, columns)
    if another_page:
        _assign(source, dict.fromkeys(FETCH_STATE))
    if changed:
        source.updated_at = now
        session.add(source)
    return changed


def link_claim(*, session: Session, claim: Claim, source: Source, link: LinkInput) -> ClaimSource:
    exists = session.exec(
        select(ClaimSource.id).where(
            ClaimSource.claim_id == claim.id,
            ClaimSource.source_id == source.id,
            ClaimSource.role == link.role.value,
        )
    ).first()
    if exists is not None:
        raise ValidationError(
            f"claim {claim.key!r} is already linked to source {source.key!r} as {link.role.value}"
        )
    assert claim.id is not None and source.id is not None
    row = ClaimSource(claim_id=claim.id, source_id=source.id, **link_columns(link))
    session.add(row)
    session.flush()
    return row


def unlink_claim(*, session: Session, claim: Claim, source: Source, role: str | None = None) -> int:
    query = select(ClaimSource).where(
        ClaimSource.claim_id == claim.id, ClaimSource.source_id == source.id
    )
    if role:
        query = query.where(ClaimSource.role == role)
    links = list(session.exec(query))
    if not links:
        raise NotFoundError(f"claim {claim.key!r} is not linked to source {source.key!r}")
    for link in links:
        session.delete(link)
    return len(links)


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def apply_declarations(*, session: Session, declared: Declarations, now: datetime) -> ImportReport:
    """Create or update every declared source and claim; the report names each by kind and key."""
    report = ImportReport()
    for spec in declared.sources:
        existing = session.exec(select(Source).where(Source.key == spec.key)).first()
        name = f"source {spec.key}"
        if existing is None:
            add_source(session=session, spec=spec, now=now)
            report.created.append(name)
        elif update_source(session=session, source=existing, spec=spec, now=now):
            report.updated.append(name)
        else:
            report.unchanged.append(name)
    session.flush()
    for claim_spec in declared.claims:
        existing_claim = session.exec(select(Claim).where(Claim.key == claim_spec.key)).first()
        name = f"claim {claim_spec.key}"
        if existing_claim is None:
            add_claim(session=session, spec=claim_spec, now=now)
            report.created.append(name)
        elif update_claim(
            session=session, claim=existing_claim, spec=claim_spec, sync_links=True, now=now
        ):
            report.updated.append(name)
        else:
            report.unchanged.append(name)
    return report
