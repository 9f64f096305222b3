"""The report of a verification run (`verify`, `schedule run-now`, `demo`): a table of what each
claim came to on stdout; on stderr one line per failed source and the run's outcome, in the
words of the log (verification.journal); or all of it as JSON.

When the log already shows the run's lines (`-v`, the scheduler), the stderr lines are left
to it: nothing is printed twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from factcheck.cli.common import print_json, say
from factcheck.cli.logs import journal_shows
from factcheck.cli.output import Col, print_table

if TYPE_CHECKING:
    from factcheck.verification import pipeline
    from factcheck.verification.judge_claims import ClaimOutcome
    from factcheck.verification.source_unit import SourceResult

COLUMNS = (
    Col("claim"),
    Col("verdict", label=True),
    Col("was", label=True),
    Col("confidence"),
    Col("freshness", label=True),
    Col("editor"),
    Col("reason"),
)


def report_run(
    summary: pipeline.RunSummary,
    *,
    as_json: bool,
    dry_run: bool,
    extra: dict[str, Any] | None = None,
) -> None:
    """Print the run's claims (or the whole report as JSON, with `extra` keys), then its
    failures and outcome on stderr."""
    from factcheck.verification import journal

    if as_json:
        print_json({**run_json(summary, dry_run=dry_run), **(extra or {})})
        return
    print_table(COLUMNS, [claim_row(c) for c in summary.claims])
    if not journal_shows():
        for source in summary.failed_sources:
            say(failure_line(source))
        say(journal.run_line(summary, dry_run=dry_run))


def claim_row(c: ClaimOutcome) -> tuple[object, ...]:
    """One claim: the verdict that stands (an editor's override wins), what it was when it
    changed in this run, and the system's reason."""
    was = "" if not c.changed else (c.previous_label or "(new)")
    editor = "" if c.override_label is None else f"override; the system says {c.label}"
    verdict = c.override_label or c.label
    return (c.key, verdict, was, c.confidence, freshness(c), editor, c.reason)


def freshness(c: ClaimOutcome) -> str:
    """The record's freshness word when it has one, else stale or fresh."""
    word = getattr(c, "freshness", None)
    return str(word) if word else ("stale" if c.stale else "fresh")


def failure_line(source: SourceResult) -> str:
    """`failed: KEY (CODE, HTTP 503) URL: message`: the source named by its key and URL."""
    from factcheck.verification import journal

    status = f", HTTP {source.http_status}" if source.http_status else ""
    what = f"{source.plan.key} ({journal.error_code(source)}{status}) {source.plan.url}"
    return f"failed: {what}: {journal.error_message(source) or ''}"


def run_json(summary: pipeline.RunSummary, *, dry_run: bool) -> dict[str, Any]:
    """The whole report as one JSON document, for scripts."""
    from factcheck.verification import journal

    return {
        "run_id": summary.run_id,
        "status": summary.status.value,
        "outcome": journal.outcome(summary.status.value, len(summary.failed_sources)),
        "dry_run": dry_run,
        "sources": len(summary.sources),
        "reused": sum(1 for s in summary.sources if s.reused),
        "failures": failures(summary),
        "claims": [
            {
                **c.__dict__,
                "freshness": freshness(c),
                "contradicts_override": c.contradicts_override,
            }
            for c in summary.claims
        ],
    }


def failures(summary: pipeline.RunSummary) -> list[dict[str, object]]:
    """One entry per failure: a failed source once, or each failed link of a fetched source."""
    return [
        {
            "source": s.plan.key,
            "url": s.plan.url,
            "status": s.http_status,
            "claim": link.link.claim_key if link else None,
            "error_code": link.error_code if link else s.error_code,
            "error": link.error_message if link else s.error_message,
        }
        for s in summary.failed_sources
        for link in ([None] if s.error_code else [r for r in s.links if r.error_code])
    ]
