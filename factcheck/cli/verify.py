"""`factcheck verify`: run verification now, with progress on stderr and a table of the claims."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import typer

from factcheck.cli.common import (
    JSON_OPTION,
    WAIT_OPTION,
    ExitCode,
    say,
    state,
    stop_on_signals,
)
from factcheck.cli.progress import progress
from factcheck.cli.run_report import report_run
from factcheck.domain import RunStatus, Trigger

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from factcheck.config import Settings
    from factcheck.verification import pipeline, planning, source_unit


def verify(
    ctx: typer.Context,
    keys: list[str] | None = typer.Argument(
        None, help="Claim keys to verify now (default: all due)."
    ),
    all_: bool = typer.Option(False, "--all", help="Fetch every source, due or not."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Fetch, extract and judge; write nothing."
    ),
    wait: bool = WAIT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Fetch each due source once, extract evidence, judge the claims and record the verdicts.

    Exits 0 when the run completed (refuted claims are results, not failures), 3 when some
    sources could not be fetched or their rules found nothing, and 5 when another run (the
    nightly one) is in progress, unless --wait. SIGTERM or Ctrl-C stops within seconds: the
    sources in flight are recorded as interrupted, the rest is judged, and the run is recorded
    as interrupted (exit 130). With FACTCHECK_EXECUTOR=procrastinate the run's units are
    deferred to `factcheck worker` processes; --wait then follows them until the run is judged.
    """
    app_state = state(ctx)
    engine = app_state.open()
    stop = threading.Event()
    with stop_on_signals(stop), progress("sources", unit="sources") as tracker:
        summary = _run(
            engine=engine,
            settings=app_state.settings,
            claim_keys=keys or (),
            force=all_,
            dry_run=dry_run,
            wait=wait,
            stop=stop,
            on_planned=lambda plan: tracker.set_total(len(plan.sources)),
            on_source=lambda result: tracker.advance(note=result.plan.key),
        )
        if summary.status is RunStatus.RUNNING and summary.run_id is not None:
            from factcheck.cli.spread_view import follow

            # spread over workers (FACTCHECK_EXECUTOR=procrastinate): --wait follows it
            follow(
                engine=engine,
                run_id=summary.run_id,
                wait=wait,
                as_json=as_json,
                tracker=tracker,
                stop=stop,
            )
            return
    report_run(summary, as_json=as_json, dry_run=dry_run)
    if summary.status is RunStatus.INTERRUPTED:
        raise typer.Exit(ExitCode.INTERRUPTED)
    if summary.failed_sources:
        raise typer.Exit(ExitCode.SOURCES_FAILED)


def _run(
    *,
    engine: Engine,
    settings: Settings,
    claim_keys: Sequence[str],
    force: bool,
    dry_run: bool,
    wait: bool,
    stop: threading.Event,
    on_planned: Callable[[planning.Plan], None],
    on_source: Callable[[source_unit.SourceResult], None],
) -> pipeline.RunSummary:
    """A dry run writes nothing and needs no lock; a real run takes the run lock and stops on
    SIGTERM or Ctrl-C, recording the sources in flight as interrupted."""
    from factcheck.verification import pipeline, runner

    if dry_run:
        return pipeline.preview_verification(
            engine=engine,
            settings=settings,
            claim_keys=claim_keys,
            force=force,
            on_planned=on_planned,
            on_source=on_source,
        )
    return runner.run_locked(
        engine=engine,
        settings=settings,
        claim_keys=claim_keys,
        force=force,
        trigger=Trigger.MANUAL,
        wait=wait,
        stop=stop,
        on_wait=lambda why: say(f"waiting: {why}"),
        on_planned=on_planned,
        on_source=on_source,
    ).summary


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
