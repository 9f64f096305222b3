"""`factcheck schedule` (the nightly scheduler, in the foreground), `schedule status`,
`schedule run-now`, and `factcheck changes` (verdict flips since a date)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import typer

from factcheck.cli.common import (
    JSON_OPTION,
    WAIT_OPTION,
    ExitCode,
    parse_since,
    print_json,
    say,
    state,
    stop_on_signals,
    transaction,
)
from factcheck.cli.logs import journal_shows, serve_at_info
from factcheck.cli.output import Col, print_fields, print_table
from factcheck.cli.progress import progress
from factcheck.cli.run_report import report_run
from factcheck.cli.spread_view import follow, units_line
from factcheck.domain import RunStatus, Trigger

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from factcheck.config import Settings
    from factcheck.storage.models import Run
    from factcheck.storage.runlock import Holder
    from factcheck.verification import notices, pipeline

schedule_app = typer.Typer(
    help="The nightly verification: run the scheduler (no subcommand), see its status, run now.",
    invoke_without_command=True,
)


@schedule_app.callback()
def schedule(ctx: typer.Context) -> None:
    """Run the nightly scheduler in the foreground until SIGTERM or SIGINT (for systemd).

    It logs at INFO (its journal is its output): its start and stop, each run's sources and
    outcome, verdict changes and webhook deliveries, one line each. Exits 5 at once when
    another scheduler runs on the same database, 130 when the signal interrupted a run in
    progress (its sources in flight are recorded as interrupted).
    """
    if ctx.invoked_subcommand is not None:
        return
    from factcheck.cli.report_cmd import nightly_rebuild
    from factcheck.verification import nightly

    app_state = state(ctx)
    engine = app_state.open()
    serve_at_info()
    shutdown = threading.Event()
    with stop_on_signals(shutdown, tell=logging.getLogger("factcheck.schedule").warning):
        interrupted = nightly.serve(
            engine=engine,
            settings=app_state.settings,
            shutdown=shutdown,
            after_run=nightly_rebuild(engine, app_state.settings),
        )
    if interrupted:  # a run was cut short: say so to systemd and to whoever sent the signal
        raise typer.Exit(ExitCode.INTERRUPTED)


@schedule_app.command("status")
def status(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Show the next fire time, the last run and its outcome, and who holds the locks."""
    from factcheck.domain import utcnow
    from factcheck.verification import nightly

    app_state = state(ctx)
    now = utcnow()
    info = nightly.schedule_status(engine=app_state.open(), settings=app_state.settings, now=now)
    overdue = bool(
        info.next_run_time and info.next_run_time < now and info.scheduler_holder is None
    )
    unit_counts = _units(app_state.open(), info.last_run)
    if as_json:
        print_json(
            {
                "cron": info.cron,
                "timezone": info.timezone,
                "next_run_time": _iso(info.next_run_time),
                "job_stored": info.job_stored,
                "overdue": overdue,
                "last_run": _run_json(info.last_run),
                "last_run_units": unit_counts,
                "last_nightly_success": _iso(info.last_nightly_success),
                "catch_up_due": info.catch_up_due,
                "scheduler": _holder_json(info.scheduler_holder),
                "run_lock": _holder_json(info.run_holder),
            }
        )
        return
    next_note = ""
    if not info.job_stored:
        next_note = " (from the cron: no scheduler has started on this database yet)"
    elif overdue:
        next_note = " (overdue: no scheduler is running)"
    print_fields(
        [
            ("schedule", f"{info.cron} ({info.timezone})"),
            ("next run", _when(info.next_run_time) + next_note),
            ("last run", _run_line(info.last_run)),
            *([("units", units_line(unit_counts))] if unit_counts else []),
            ("last nightly success", _when(info.last_nightly_success)),
            (
                "catch-up",
                "due: a scheduler starting now runs one at once"
                if info.catch_up_due
                else "not due",
            ),
            ("scheduler", _holder_line(info.scheduler_holder, "not running", "running")),
            ("run lock", _holder_line(info.run_holder, "free", "held")),
        ]
    )


@schedule_app.command("run-now")
def run_now(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Fetch every source, due or not."),
    wait: bool = WAIT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the nightly verification once now, through the same lock and with its notices.

    Prints what each claim came to, as `verify` does; exits 3 when some sources failed.
    """
    from factcheck.verification import runner

    app_state = state(ctx)
    engine = app_state.open()
    stop = threading.Event()
    with stop_on_signals(stop), progress("sources", unit="sources") as tracker:
        report = runner.run_locked(
            engine=engine,
            settings=app_state.settings,
            trigger=Trigger.MANUAL,
            force=all_,
            wait=wait,
            stop=stop,
            on_wait=lambda why: say(f"waiting: {why}"),
            on_planned=lambda plan: tracker.set_total(len(plan.sources)),
            on_source=lambda result: tracker.advance(note=result.plan.key),
        )
        summary, notice = report.summary, report.notice
        if summary.status is RunStatus.RUNNING and summary.run_id is not None:  # on the workers
            follow(
                engine=engine,
                run_id=summary.run_id,
                wait=wait,
                as_json=as_json,
                tracker=tracker,
                stop=stop,
            )
            return
    if summary.status is not RunStatus.INTERRUPTED:
        _rebuild_report(engine, app_state.settings)
    _print_run(summary, notice, as_json=as_json)


def _print_run(summary: pipeline.RunSummary, notice: notices.Notice, *, as_json: bool) -> None:
    """What `run-now` prints of a run it ran here, and its exit code."""
    from factcheck.verification import journal

    failed = len(summary.failed_sources)
    if as_json:
        print_json(
            {
                "run_id": summary.run_id,
                "status": summary.status.value,
                "outcome": journal.outcome(summary.status.value, failed),
                "sources": len(summary.sources),
                "failed_sources": failed,
                "claims": len(summary.claims),
                "changes": [f.as_json() for f in notice.flips],
                "webhook": notice.delivery_status,
            }
        )
    else:
        report_run(summary, as_json=False, dry_run=False)
        if notice.delivery_status and not journal_shows("factcheck.verification.notices"):
            say(f"webhook: {notice.delivery_status}")
    if summary.status is RunStatus.INTERRUPTED:
        raise typer.Exit(ExitCode.INTERRUPTED)
    if failed:  # as `verify`: the run is recorded, some sources failed
        raise typer.Exit(ExitCode.SOURCES_FAILED)


def _rebuild_report(engine: Engine, settings: Settings) -> None:
    """As after a scheduled run: the report is rebuilt when FACTCHECK_REPORT_DIR is set; a
    failed rebuild is said, never a failed run."""
    from factcheck.cli.report_cmd import nightly_rebuild

    rebuild = nightly_rebuild(engine, settings)
    if rebuild is None:
        return
    try:
        rebuild()
    except Exception as exc:  # the run is recorded; only the report is behind
        logging.getLogger(__name__).error("report not rebuilt: %s", exc)


def changes(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None,
        "--since",
        help="A date (YYYY-MM-DD, UTC) or an ISO date-time; default: the last 7 days.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List verdict flips: system verdicts whose label differs from the claim's previous one."""
    from factcheck.domain import utcnow
    from factcheck.verification import notices

    start = parse_since(since) or utcnow() - timedelta(days=7)
    with transaction(ctx) as session:
        found = notices.flips(session=session, since=start)
    if as_json:
        print_json([f.as_json() for f in found])
        return
    print_table(
        [
            Col("at"),
            Col("run"),
            Col("claim"),
            Col("was", label=True),
            Col("verdict", label=True),
            Col("reason"),
        ],
        [(_when(f.at), f.run_id, f.claim, f.previous_label, f.label, f.reason) for f in found],
    )
    say(f"{len(found)} verdict change(s) since {_when(start)}")


def _units(engine: Engine, run: Run | None) -> dict[str, int] | None:
    """The run's units per state, when it was spread over workers (else None)."""
    from factcheck.storage import units
    from factcheck.storage.db import session_scope

    if run is None or run.id is None:
        return None
    with session_scope(engine) as session:
        counted = units.counts(session=session, run_ids=[run.id])[run.id]
    return counted if any(counted.values()) else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _when(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if value else "never"


def _run_json(run: Run | None) -> dict[str, Any] | None:
    if run is None:
        return None
    from factcheck.verification.journal import outcome

    return {**run.model_dump(mode="json"), "outcome": outcome(run.status, run.errors_count)}


def _run_line(run: Run | None) -> str:
    """`#12 schedule completed, some sources failed, <start> -> <end>: counts`."""
    if run is None:
        return "none yet"
    from factcheck.verification.journal import outcome

    end = f" -> {_when(run.finished_at)}" if run.finished_at else ""
    text = (
        f"#{run.id} {run.trigger} {outcome(run.status, run.errors_count)}, "
        f"{_when(run.started_at)}{end}: "
        f"{run.claims_count} claim(s), {run.sources_count} source(s), "
        f"{run.errors_count} error(s), {run.changes_count} change(s)"
    )
    return text + (f" ({run.note})" if run.note else "")


def _holder_json(holder: Holder | None) -> dict[str, Any] | None:
    if holder is None:
        return None
    return {
        "holder": holder.holder,
        "since": _iso(holder.since),
        "expires_at": _iso(holder.expires_at),
        "expired": holder.expired,
    }


def _holder_line(holder: Holder | None, free: str, held: str) -> str:
    if holder is None:
        return free
    if holder.expired:
        return f"{free} (the last holder, {holder.describe()}, stopped heartbeating)"
    return f"{held} by {holder.describe()}"


def register(app: typer.Typer) -> None:
    app.add_typer(schedule_app, name="schedule")
    app.command("changes")(changes)
