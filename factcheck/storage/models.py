"""SQLModel tables: the store's schema. No engine, no I/O.

Figures are kept as canonical decimal *text* (e.g. "0.0000035"), never as floats, so that
SQLite and PostgreSQL return exactly what was written. Timestamps are UTC-aware on both
backends (`UTCDateTime`). Constraint names follow one convention so that migrations written
on SQLite and PostgreSQL agree.

Evidence and Verdict rows are append-only: history is never rewritten. The fetch state kept on
Source (ETag, Last-Modified, last body hash) is a cache for conditional GET, not history.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from factcheck.domain import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow if not nullable else None,
        sa_type=UTCDateTime,
        nullable=nullable,
        index=index,
    )


class Base(SQLModel, registry=registry(metadata=metadata)):
    pass


class Claim(Base, table=True):
    """A claim as said, and what would prove it."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)
    statement: str = Field(sa_type=sa.Text)  # as said, in its own language
    language: str = Field(default="en", max_length=16)  # BCP 47, e.g. "zh", "en"
    statement_en: str = Field(default="", sa_type=sa.Text)
    speaker: str = Field(default="", max_length=200)
    said_on: date | None = None
    said_where: str | None = Field(default=None, max_length=2000)  # URL
    subject: str = Field(default="", max_length=200)  # e.g. "Llama 3.1 405B"
    property: str = Field(default="", max_length=200)  # e.g. "parameter count"
    kind: str = Field(max_length=20)  # domain.ClaimKind
    inner_kind: str | None = Field(default=None, max_length=20)  # predictions only
    expected_amount: str | None = Field(default=None, max_length=80)  # canonical decimal text
    expected_amounts: list[str] | None = Field(default=None, sa_type=sa.JSON)  # quantity_set
    expected_unit: str | None = Field(default=None, max_length=40)
    expected_pattern: str | None = Field(default=None, sa_type=sa.Text)  # text claims
    expected_date: date | None = None
    expected_precision: str | None = Field(default=None, max_length=8)  # day | month | year
    comparison: str = Field(default="approx", max_length=8)  # ratio: approx | lt | gt
    # domain.Relation: how the true figure relates to the expected one ("above 90")
    relation: str = Field(
        default="exact", max_length=12, sa_column_kwargs={"server_default": "exact"}
    )
    expected_upper: str | None = Field(default=None, max_length=80)  # between: the upper end
    expected_text: str | None = Field(default=None, max_length=200)  # as written, in words
    quantifier: str | None = Field(default=None, max_length=12)  # all | any | most | "80%"
    record_filter: list[str] | None = Field(default=None, sa_type=sa.JSON)  # "value > 0", ...
    tolerance: str | None = Field(default=None, max_length=40)  # canonical decimal text
    due_on: date | None = None  # predictions
    status: str = Field(default="active", max_length=10, index=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ClaimTag(Base, table=True):
    """One tag of one claim (a table, so that filtering by tag is plain SQL on every backend)."""

    claim_id: int = Field(foreign_key="claim.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(max_length=60, primary_key=True, index=True)


class Source(Base, table=True):
    """A public page or document, fetched at most once per run."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)
    url: str = Field(max_length=2000, unique=True)
    format: str = Field(max_length=10)  # domain.SourceFormat
    title: str = Field(default="", max_length=300)
    publisher: str = Field(default="", max_length=200)
    recheck_hours: int = Field(default=24)
    # conditional-GET cache (not history): what the last good fetch returned
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    last_sha256: str | None = Field(default=None, max_length=64)
    last_fetched_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ClaimSource(Base, table=True):
    """A claim's link to a source, with the rule that extracts its evidence there."""

    __table_args__ = (sa.UniqueConstraint("claim_id", "source_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="source.id", index=True)
    rule_kind: str = Field(max_length=20)  # domain.RuleKind
    rule: str = Field(sa_type=sa.Text)  # the rule's expression
    rule_options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    role: str = Field(default="value", max_length=20)  # domain.Role
    self_published: bool = False  # published by the claimant about itself
    authoritative: bool = False  # a primary record for what it defines
    note: str = Field(default="", sa_type=sa.Text)


class Run(Base, table=True):
    """One verification run (nightly, catch-up or manual)."""

    id: int | None = Field(default=None, primary_key=True)
    trigger: str = Field(max_length=20)  # domain.Trigger
    status: str = Field(default="running", max_length=20, index=True)  # domain.RunStatus
    started_at: datetime = _ts()
    finished_at: datetime | None = _ts(nullable=True)
    heartbeat_at: datetime | None = _ts(nullable=True)
    claims_count: int = 0
    sources_count: int = 0
    errors_count: int = 0
    changes_count: int = 0
    note: str = Field(default="", sa_type=sa.Text)


class Snapshot(Base, table=True):
    """A fetched body, stored once however many evidence rows point at it."""

    sha256: str = Field(primary_key=True, max_length=64)
    body: bytes = Field(sa_type=sa.LargeBinary)  # zlib-compressed
    content_type: str | None = Field(default=None, max_length=200)
    size: int  # uncompressed bytes
    created_at: datetime = _ts()


class Evidence(Base, table=True):
    """What one source said about one claim in one run (or why it could not say)."""

    __table_args__ = (sa.UniqueConstraint("run_id", "claim_id", "source_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    # no index of its own: the unique (run_id, claim_id, source_id, role) constraint serves it
    run_id: int = Field(foreign_key="run.id")
    claim_id: int = Field(foreign_key="claim.id", index=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    role: str = Field(default="value", max_length=20)
    rule_kind: str = Field(max_length=20)
    rule: str = Field(sa_type=sa.Text)
    rule_fingerprint: str | None = Field(default=None, max_length=16)  # sources.rule_fingerprint
    fetched_at: datetime = _ts()
    http_status: int | None = None
    # the source's URL when it was fetched (None before revision 0006): evidence from a URL the
    # source no longer has is history, not evidence for its claims
    url: str | None = Field(default=None, max_length=2000)
    final_url: str | None = Field(default=None, max_length=2000)
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    snapshot_sha256: str | None = Field(default=None, foreign_key="snapshot.sha256", max_length=64)
    raw: str | None = Field(default=None, sa_type=sa.Text)  # first hit's extracted text
    value: str | None = Field(default=None, max_length=80)  # first hit's normalised amount
    unit: str | None = Field(default=None, max_length=40)
    excerpt: str | None = Field(default=None, sa_type=sa.Text)
    hits: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)  # every hit
    stance: str = Field(default="none", max_length=10)  # domain.Stance
    reused: bool = False  # 304 or unchanged body: the previous extraction was reused
    # the evidence row whose extraction (hits, excerpt) this one reuses; kept small on purpose
    reused_from_id: int | None = Field(default=None, foreign_key="evidence.id")
    error_code: str | None = Field(default=None, max_length=40)  # domain.ErrorCode
    error_message: str | None = Field(default=None, sa_type=sa.Text)


class Verdict(Base, table=True):
    """A judgement of a claim, by the system in a run or by an editor. Append-only."""

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    label: str = Field(max_length=20)  # domain.Label
    confidence: str = Field(max_length=10)  # canonical decimal text in [0, 1]
    reason: str = Field(sa_type=sa.Text)
    figures: dict[str, str] = Field(default_factory=dict, sa_type=sa.JSON)
    evidence_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    set_by: str = Field(default="system", max_length=10)  # domain.SetBy
    # domain.VerdictAction: judged (system), override or lift (editor)
    action: str = Field(
        default="judged", max_length=10, sa_column_kwargs={"server_default": "judged"}
    )
    editor: str | None = Field(default=None, max_length=200)
    note: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = _ts(index=True)


class RunLock(Base, table=True):
    """A lease on running verification, for backends without advisory locks (SQLite).

    The holder refreshes `expires_at` while it works; a holder killed with SIGKILL stops
    refreshing, and the lease is taken over once it has expired.
    """

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=200)  # host:pid:token
    acquired_at: datetime = _ts()
    heartbeat_at: datetime = _ts()
    expires_at: datetime = _ts()


class WebhookDelivery(Base, table=True):
    """One notice POSTed for one run (the claims whose verdict flipped), and how it went."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    url: str = Field(max_length=2000)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: str = Field(default="pending", max_length=20)  # pending | delivered | failed
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _ts()
    delivered_at: datetime | None = _ts(nullable=True)


class Review(Base, table=True):
    """An editor cleared a claim from the review queue: what was current then, and why."""

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    verdict_id: int | None = Field(default=None, foreign_key="verdict.id")
    editor: str = Field(default="", max_length=200)
    note: str = Field(default="", sa_type=sa.Text)
    reviewed_at: datetime = _ts(index=True)


class RunUnit(Base, table=True):
    """One (run, source) unit of a run spread over workers: its state, so that the run is
    judged exactly once, when no unit is left queued or running.

    state: queued | running | done | failed. A unit's evidence and its `done` are written in
    one transaction, so a unit retried after its worker died finds itself done, not twice.
    Runs on the local executor keep this in memory and write no units.
    """

    # "is anything of this run left?" after every unit: two index probes, not a scan
    __table_args__ = (sa.Index("ix_rununit_run_id_state", "run_id", "state"),)

    run_id: int = Field(foreign_key="run.id", primary_key=True)
    source_id: int = Field(foreign_key="source.id", primary_key=True)
    state: str = Field(default="queued", max_length=10)
    attempts: int = 0
    worker: str | None = Field(default=None, max_length=200)  # host:pid of the last taker
    updated_at: datetime = _ts()
    error_message: str | None = Field(default=None, sa_type=sa.Text)


class HostPace(Base, table=True):
    """Per host, when the next request may start: the per-host delay shared by every worker,
    whichever machine it runs on (reserved atomically with one upsert)."""

    host: str = Field(primary_key=True, max_length=255)
    next_start_at: datetime = _ts()
