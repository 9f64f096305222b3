"""The report of a verification run (`factcheck verify`, `factcheck demo`): what each claim
came to, which sources failed, and a one-line summary on stderr; or all of it as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from factcheck.cli.common import out, print_json, say
from factcheck.domain import RunStatus

if TYPE_CHECKING:
    from factcheck.verification import pipeline


def report_run(summary: pipeline.RunSummary, *, as_json: bool, dry_run: bool) -> None:
    """Print the run's claims and failures (or all of it as JSON), then the summary line."""
    failures = _failures(summary)
    if as_json:
        _print_json(summary, failures=failures, dry_run=dry_run)
        return
    if out.width < 120:  # a pipe, a log or a narrow terminal: one line per claim
        _lines(summary)
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


def _failures(summary: pipeline.RunSummary) -> list[dict[str, str | None]]:
    """One entry per failure: a failed source once, or each failed link of a fetched source."""
    return [
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


def _print_json(
    summary: pipeline.RunSummary, *, failures: list[dict[str, str | None]], dry_run: bool
) -> None:
    """The whole report as one JSON document, for scripts."""
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


def _lines(summary: pipeline.RunSummary) -> None:
    """One plain line per claim, for a pipe, a log or a terminal too narrow for the table."""
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


def _table(summary: pipeline.RunSummary) -> None:
    from rich.table import Column, Table

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
