"""The report's view model: what each page shows, as frozen values, with no HTML.

`build_site_data` reads the whole site in a bounded number of queries (one per table for all
active claims, `reads`; the review queue and the standing verdicts as the CLI reads them) and
returns a `SiteData` the templates render and `as_json()` writes as report.json. Scraped text
(statements, excerpts) is kept as it is: the templates escape it.

"Changed in the last run" means what `verify` counts as changed (`verification.notices.flips`
with `first_too`): a system verdict in the newest finished run whose label differs from the
claim's previous one, or the claim's first verdict (previous_label None), so that the runs page's
count and the index's marks agree.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from factcheck.config import Settings
from factcheck.declarations.claim_words import describe_claim
from factcheck.domain import Label, RunStatus
from factcheck.editorial.claimreview import claim_review
from factcheck.editorial.review import review_queue
from factcheck.reporting import chartdata, reads
from factcheck.reporting.chartdata import ChartBar as ChartBar
from factcheck.reporting.chartdata import ChartPoint as ChartPoint
from factcheck.storage import catalog, runs
from factcheck.storage.catalog import ClaimRow
from factcheck.storage.models import ClaimSource, Run, Source, Verdict
from factcheck.storage.records import claim_spec
from factcheck.storage.runs import StoredEvidence
from factcheck.verdicts.judge import STALE
from factcheck.verification.journal import outcome
from factcheck.verification.notices import Flip, flips

RUNS_SHOWN = 30
NO_LABEL = "none"  # the label word of a claim never judged (counts, filters)


@dataclass(frozen=True)
class SourceView:
    key: str
    url: str
    title: str
    publisher: str
    role: str
    rule_kind: str
    rule: str
    fetched_at: datetime | None
    http_status: int | None
    error_code: str | None
    excerpt: str | None  # the evidence excerpt (plain text, NOT escaped: templates escape)
    highlight: str | None  # the substring of `excerpt` holding the figure (raw hit), or None
    values: tuple[str, ...]  # the figures read, in words ("405B parameters", "$3.50/M tokens")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    label: str
    set_by: str  # system | editor
    action: str  # judged | override | lift
    editor: str | None
    note: str | None
    reason: str | None
    run_id: int | None


@dataclass(frozen=True)
class ClaimView:
    key: str
    kind: str
    status: str
    statement: str  # as said, in its own language
    statement_en: str | None
    language: str | None
    speaker: str | None
    said_on: date | None
    said_where: str | None
    subject: str | None
    tags: tuple[str, ...]
    label: str | None
    confidence: str | None
    set_by: str | None
    editor: str | None
    reason: str | None
    verdict_at: datetime | None
    last_checked: datetime | None
    freshness: str  # fresh | stale | no_evidence | never_checked
    stale: bool
    changed_in_last_run: bool
    previous_label: str | None
    expected: str  # the claim in words (declarations.claim_words.describe_claim)
    sources: tuple[SourceView, ...]
    timeline: tuple[TimelineEntry, ...]  # oldest first
    bars: tuple[ChartBar, ...]  # ratio / multi-record claims: each record's value
    threshold: float | None  # the claim's threshold for the bars (same unit)
    threshold_label: str | None  # e.g. "0.5 × gpt-4o-2024-05-13 ($7.50/M tokens) = ..."
    series: tuple[ChartPoint, ...]  # this claim's evidence values over time
    claimreview: dict[str, Any] | None  # editorial.claimreview.claim_review JSON-LD


@dataclass(frozen=True)
class RunView:
    id: int
    trigger: str
    status: str
    outcome: str  # the shared wording (verification.journal.outcome)
    started_at: datetime
    finished_at: datetime | None
    sources: int
    failed: int
    claims: int
    changes: int
    failures: tuple[tuple[str, str, str | None], ...]  # (source key, url, error code)
    flips: tuple[tuple[str, str | None, str], ...]  # (claim key, previous label, label)


@dataclass(frozen=True)
class ReviewView:
    key: str
    label: str | None
    freshness: str
    reasons: tuple[tuple[str, str], ...]  # (code, detail)


@dataclass(frozen=True)
class SiteData:
    generated_at: datetime
    organisation_name: str
    organisation_url: str
    claims: tuple[ClaimView, ...]  # active claims; changed_in_last_run first, then by key
    runs: tuple[RunView, ...]  # newest first, the last RUNS_SHOWN
    review: tuple[ReviewView, ...]
    counts: dict[str, int]  # per label word (and "none")
    labels: tuple[str, ...]
    kinds: tuple[str, ...]
    tags: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """report.json: plain JSON types, times as ISO 8601 in UTC."""
        plain: dict[str, Any] = _plain(self)
        return plain


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and dicts as JSON values; datetimes in UTC.

    >>> _plain((datetime(2026, 1, 2, 3, 4, tzinfo=UTC), date(2024, 7, 23)))
    ['2026-01-02T03:04:00+00:00', '2024-07-23']
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


# -- building -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reads:
    """Everything read for the claims, grouped by claim id."""

    links: dict[int, list[tuple[ClaimSource, Source]]]
    attempts: dict[int, dict[tuple[int, str], reads.Attempt]]
    good: dict[int, dict[tuple[int, str], StoredEvidence]]
    series: dict[int, list[reads.SeriesRow]]
    verdicts: dict[int, list[Verdict]]


def build_site_data(*, session: Session, settings: Settings, now: datetime) -> SiteData:
    """The whole site's data at `now`, in a bounded number of queries (about 20, whatever
    the number of claims)."""
    rows = catalog.list_claims(session=session, settings=settings, now=now, status="active")
    ids = [row.claim.id for row in rows if row.claim.id is not None]
    read = _Reads(
        links=reads.claim_links(session=session, claim_ids=ids),
        attempts=reads.last_attempts(session=session, claim_ids=ids),
        good=runs.freshest_evidence(session=session, claim_ids=ids),
        series=reads.series_rows(session=session, claim_ids=ids),
        verdicts=reads.verdict_rows(session=session, claim_ids=ids),
    )
    run_views, changed = _runs(session)
    claims = sorted(
        (_claim_view(row, read, changed, settings) for row in rows),
        key=lambda c: (not c.changed_in_last_run, c.key),
    )
    queue = review_queue(session=session, settings=settings, now=now)
    words = [c.label or NO_LABEL for c in claims]
    order = [label.value for label in Label] + [NO_LABEL]
    return SiteData(
        generated_at=now,
        organisation_name=settings.organisation_name,
        organisation_url=settings.organisation_url,
        claims=tuple(claims),
        runs=run_views,
        review=tuple(
            ReviewView(i.key, i.label, i.freshness, tuple((r.code, r.detail) for r in i.reasons))
            for i in queue
        ),
        counts={word: Counter(words)[word] for word in order},
        labels=tuple(word for word in order if word in words),
        kinds=tuple(sorted({c.kind for c in claims})),
        tags=tuple(sorted({tag for c in claims for tag in c.tags})),
    )


def _runs(session: Session) -> tuple[tuple[RunView, ...], dict[str, Flip]]:
    """The last runs, newest first, and the flips of the newest finished one by claim key."""
    recent = runs.recent_runs(session=session, limit=RUNS_SHOWN)
    ids = [run.id for run in recent if run.id is not None]
    failures = reads.run_failures(session=session, run_ids=ids)
    since = min((run.started_at for run in recent), default=None)
    by_run: dict[int, list[Flip]] = {}
    for flip in flips(session=session, since=since, first_too=True) if recent else []:
        by_run.setdefault(flip.run_id or 0, []).append(flip)
    last = next((r for r in recent if r.status != RunStatus.RUNNING.value), None)
    changed = {f.claim: f for f in by_run.get(last.id or 0, [])} if last else {}
    views = tuple(_run_view(run, failures, by_run) for run in recent)
    return views, changed


def _run_view(
    run: Run,
    failures: dict[int, list[tuple[str, str, str | None]]],
    by_run: dict[int, list[Flip]],
) -> RunView:
    rid = run.id or 0
    return RunView(
        id=rid,
        trigger=run.trigger,
        status=run.status,
        outcome=outcome(run.status, run.errors_count),
        started_at=run.started_at,
        finished_at=run.finished_at,
        sources=run.sources_count,
        failed=run.errors_count,
        claims=run.claims_count,
        changes=run.changes_count,
        failures=tuple(failures.get(rid, [])),
        flips=tuple((f.claim, f.previous_label, f.label) for f in by_run.get(rid, [])),
    )


def _claim_view(
    row: ClaimRow, read: _Reads, changed: dict[str, Flip], settings: Settings
) -> ClaimView:
    claim, verdict = row.claim, row.latest
    cid = claim.id or 0
    spec = claim_spec(claim)
    links = read.links.get(cid, [])
    good = reads.current_evidence(read.good.get(cid, {}), links)
    chart = chartdata.claim_bars(spec, reads.evidence_items(good, links))
    attempts = read.attempts.get(cid, {})
    flip = changed.get(claim.key)
    return ClaimView(
        key=claim.key,
        kind=claim.kind,
        status=claim.status,
        statement=claim.statement,
        statement_en=claim.statement_en or None,
        language=claim.language or None,
        speaker=claim.speaker or None,
        said_on=claim.said_on,
        said_where=claim.said_where or None,
        subject=claim.subject or None,
        tags=tuple(row.tags),
        label=verdict.label if verdict else None,
        confidence=verdict.confidence if verdict else None,
        set_by=verdict.set_by if verdict else None,
        editor=verdict.editor if verdict else None,
        reason=verdict.reason if verdict else None,
        verdict_at=verdict.created_at if verdict else None,
        last_checked=max((a.fetched_at for a in attempts.values()), default=None),
        freshness=row.freshness,
        stale=row.freshness == STALE,
        changed_in_last_run=flip is not None,
        previous_label=flip.previous_label if flip else None,
        expected=describe_claim(spec),
        sources=tuple(_source_view(link, source, attempts, good) for link, source in links),
        timeline=tuple(_entry(v) for v in read.verdicts.get(cid, [])),
        bars=chart.bars,
        threshold=chart.threshold,
        threshold_label=chart.threshold_label,
        series=_series(read.series.get(cid, []), links),
        claimreview=claim_review(claim, verdict, settings) if verdict else None,
    )


def _source_view(
    link: ClaimSource,
    source: Source,
    attempts: dict[tuple[int, str], reads.Attempt],
    good: dict[tuple[int, str], StoredEvidence],
) -> SourceView:
    """A link's source: how its last check went, and what its freshest good evidence said
    (kept when the last check failed, so a reader still sees the figure the verdict rests on)."""
    ident = (link.source_id, link.role)
    attempt, stored = attempts.get(ident), good.get(ident)
    first = stored.hits[0] if stored and stored.hits else None
    excerpt = first.excerpt or None if first else None
    return SourceView(
        key=source.key,
        url=source.url,
        title=source.title,
        publisher=source.publisher,
        role=link.role,
        rule_kind=link.rule_kind,
        rule=link.rule,
        fetched_at=attempt.fetched_at if attempt else None,
        http_status=attempt.http_status if attempt else None,
        error_code=attempt.error_code if attempt else None,
        excerpt=excerpt,
        highlight=chartdata.highlight(excerpt, first.raw if first else None),
        values=chartdata.values_in_words(stored.hits, stored.quantities) if stored else (),
    )


def _entry(verdict: Verdict) -> TimelineEntry:
    return TimelineEntry(
        at=verdict.created_at,
        label=verdict.label,
        set_by=verdict.set_by,
        action=verdict.action,
        editor=verdict.editor or None,
        note=verdict.note or None,
        reason=verdict.reason or None,
        run_id=verdict.run_id,
    )


def _series(
    rows: list[reads.SeriesRow], links: list[tuple[ClaimSource, Source]]
) -> tuple[ChartPoint, ...]:
    """The claim's evidence values over time, from its linked sources."""
    keys = {link.source_id: source.key for link, source in links}
    points = (
        chartdata.series_point(
            at=r.fetched_at, value=r.value, unit=r.unit, source_key=keys[r.source_id], role=r.role
        )
        for r in rows
        if r.source_id in keys
    )
    return tuple(p for p in points if p is not None)
