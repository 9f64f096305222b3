"""`factcheck verify`: run verification now, with a progress bar and a table of what changed."""

from __future__ import annotations

import threading

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from factcheck.cli.common import JSON_OPTION, err, out, print_json, say, state
from factcheck.cli.schedule import EXIT_INTERRUPTED, WAIT, stop_on_signals
from factcheck.domain import RunStatus, Trigger
from factcheck.verification import pipeline, runner, source_unit

EXIT_SOURCES_FAILED = 3


def verify(
    ctx: typer.Context,
    keys: list[str] | None = typer.Argument(
        None, help="Claim keys to verify now (default: all due)."
    ),
    all_: bool = typer.Option(False, "--all", help="Fetch every source, due or not."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Fetch, extract and judge; write nothing."
    ),
    wait: bool = WAIT,
    as_json: bool = JSON_OPTION,
) -> None:
    """Fetch each due source once, extract evidence, judge the claims and record the verdicts.

    Exits 0 when the run completed (refuted claims are results, not failures), 3 when some
    sources could not be fetched or their rules found nothing, and 5 when another run (the
    nightly one) is in progress, unless --wait. SIGTERM or Ctrl-C stops within seconds: the
    sources in flight are recorded as interrupted, the rest is judged, and the run is recorded
    as interrupted (exit 130).
    """
    app_state = state(ctx)
    engine = app_state.open()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = progress.add_task("sources", total=None)

    def planned(plan: pipeline.Plan) -> None:
        progress.update(task, total=len(plan.sources))

    def advanced(result: source_unit.SourceResult) -> None:
        progress.update(task, advance=1, description=result.plan.key[:30])

    with progress:
        if dry_run:
            summary = pipeline.preview_verification(
                engine=engine,
                settings=app_state.settings,
                claim_keys=keys or (),
                force=all_,
                on_planned=planned,
                on_source=advanced,
            )
        else:
            stop = threading.Event()
            with stop_on_signals(stop):
                summary = runner.run_locked(
                    engine=engine,
                    settings=app_state.settings,
                    claim_keys=keys or (),
                    force=all_,
                    trigger=Trigger.MANUAL,
                    wait=wait,
                    stop=stop,
                    on_wait=lambda why: say(f"waiting: {why}"),
                    on_planned=planned,
                    on_source=advanced,
                ).summary
    _report(summary, as_json=as_json, dry_run=dry_run)
    if summary.status is RunStatus.INTERRUPTED:
        raise typer.Exit(EXIT_INTERRUPTED)
    if summary.failed_sources:
        raise typer.Exit(EXIT_SOURCES_FAILED)


def _table(summary: pipeline.RunSummary) -> None:
    table = Table(
        Column("claim", no_wrap=True),
        "verdict",
        "was",
        "conf.",
        "stale",
        Column("reason", ratio=1),
        expand=True,
    )
    for c in summary.claims:
        was = "" if not c.changed else (c.previous_label or "(new)")
        label = (
            c.label
            if c.override_label is None
            else f"{c.override_label} (editor; system {c.label})"
        )
        table.add_row(c.key, label, was, c.confidence, "stale" if c.stale else "", c.reason)
    out.print(table)


def _finished(summary: pipeline.RunSummary) -> str:
    """How the run ended, in words that do not call a run with failed sources a success."""
    if summary.status is RunStatus.SUCCEEDED and summary.failed_sources:
        return "completed, some sources failed"
    return {RunStatus.SUCCEEDED: "completed"}.get(summary.status, summary.status.value)


def _report(summary: pipeline.RunSummary, *, as_json: bool, dry_run: bool) -> None:
    failures = [
        {
            "source": s.plan.key,
            "url": s.plan.url,
            "claim": link.link.claim_key if link else None,
            "error_code": link.error_code if link else s.error_code,
            "error": link.error_message if link else s.error_message,
        }
        for s in summary.failed_sources
        for link in ([None] if s.error_code else [r for r in s.links if r.error_code])
    ]
    if as_json:
        print_json(
            {
                "run_id": summary.run_id,
                "status": summary.status.value,
                "dry_run": dry_run,
                "sources": len(summary.sources),
                "reused": sum(1 for s in summary.sources if s.reused),
                "failures": failures,
                "claims": [
                    {**c.__dict__, "contradicts_override": c.contradicts_override}
                    for c in summary.claims
                ],
            }
        )
        return
    if out.width < 120:  # a pipe, a log or a narrow terminal: one line per claim
        for c in summary.claims:
            label = (
                c.label
                if c.override_label is None
                else f"{c.override_label} (editor's override; the system says {c.label})"
            )
            change = (
                f" (was {c.previous_label})"
                if c.changed and c.previous_label
                else " (first verdict)"
                if c.changed
                else ""
            )
            stale = ", stale" if c.stale else ""
            out.print(
                f"{c.key}: {label}{change}, confidence {c.confidence}{stale}. {c.reason}",
                markup=False,
                highlight=False,
            )
    else:
        _table(summary)
    for f in failures:
        say(f"failed: {f['source']} ({f['error_code']}): {f['error']}")
    reused = sum(1 for s in summary.sources if s.reused)
    changed = len(summary.changes)
    prefix = (
        "dry run, nothing written: " if dry_run else f"run {summary.run_id} {_finished(summary)}: "
    )
    say(
        f"{prefix}{len(summary.sources)} source(s) checked ({reused} unchanged), "
        f"{len(failures)} failure(s), {len(summary.claims)} claim(s) judged, {changed} changed"
    )


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
