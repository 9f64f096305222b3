"""What a run says about itself: one log line per source, and a run's outcome in one wording.

Every source a run records is one INFO line on logger `factcheck.verification.journal`, a
failing source too, with its fields passed as `extra=` (a JSON log carries them as keys):

    source card: url=https://... status=200 error_code=ok bytes=5123 ms=41 charset=utf-8 body=parsed

`outcome` is the only place a run's status becomes words; the log, `verify`, `schedule run-now`,
`demo` and `schedule status` all use it, so a run with a failed source reads "completed, some
sources failed" wherever it is read.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from factcheck.domain import RunStatus
from factcheck.verification.source_unit import SourceResult

if TYPE_CHECKING:
    from factcheck.verification.pipeline import RunSummary

log = logging.getLogger(__name__)

MESSAGE_CHARS = 500  # a failure's message in a source's line


def outcome(status: str, failed_sources: int) -> str:
    """How a run ended, in words that never call a run with failed sources a plain success.

    >>> outcome("succeeded", 0), outcome("succeeded", 2)
    ('completed', 'completed, some sources failed')
    >>> outcome("interrupted", 1), outcome("failed", 0), outcome("running", 0)
    ('interrupted', 'failed', 'running')
    """
    if status == RunStatus.SUCCEEDED.value:
        return "completed, some sources failed" if failed_sources else "completed"
    return str(status)


def error_code(result: SourceResult) -> str | None:
    """The source's error code, else its failed links' codes (comma-separated), else None."""
    if result.error_code:
        return result.error_code
    codes = dict.fromkeys(r.error_code for r in result.links if r.error_code)
    return ",".join(c for c in codes if c) or None


def error_message(result: SourceResult) -> str | None:
    """What went wrong, one line: the source's message, or each failed link's with its claim."""
    if result.error_code:
        return result.error_message
    failed = [f"{r.link.claim_key}: {r.error_message}" for r in result.links if r.error_code]
    return "; ".join(failed)[:MESSAGE_CHARS] or None


def body_use(result: SourceResult) -> str | None:
    """`reused` (a 304, or the same bytes as last time), `parsed`, or None (nothing fetched)."""
    if result.fetched is None:
        return None
    return "reused" if result.reused else "parsed"


def source_fields(result: SourceResult, *, run_id: int | None) -> dict[str, object]:
    """The fields of a source's line: who, what the server said, what it cost, what we did."""
    fetched = result.fetched
    return {
        "run": run_id,
        "source": result.plan.key,
        "url": result.plan.url,
        "status": result.http_status,
        "error_code": error_code(result) or "ok",
        "bytes": len(fetched.body) if fetched is not None else None,
        "ms": result.elapsed_ms,
        "charset": fetched.encoding if fetched is not None else None,
        "body": body_use(result),
        "error": error_message(result),
    }


def log_source(result: SourceResult, *, run_id: int | None) -> None:
    """The source's one line of this run (a source already recorded earlier has none)."""
    if result.skipped:
        return
    fields = source_fields(result, run_id=run_id)
    shown = " ".join(
        f"{name}={_value(fields[name])}"
        for name in ("url", "status", "error_code", "bytes", "ms", "charset", "body", "error")
        if name != "error" or fields[name] is not None
    )
    log.info("source %s: %s", result.plan.key, shown, extra=fields)


def _value(value: object) -> str:
    """A logfmt value: `-` for none, quoted when it has spaces or quotes.

    >>> _value(None), _value(200), _value('no "hits" here')
    ('-', '200', '"no \\\\"hits\\\\" here"')
    """
    if value is None:
        return "-"
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in ' "=') else text


def run_line(summary: RunSummary, *, dry_run: bool = False) -> str:
    """`run 3 completed, some sources failed: 3 source(s) checked (1 unchanged), 1 failed, ...`"""
    failed = len(summary.failed_sources)
    words = outcome(summary.status.value, failed)
    head = f"dry run {words} (nothing written)" if dry_run else f"run {summary.run_id} {words}"
    reused = sum(1 for s in summary.sources if s.reused)
    return (
        f"{head}: {len(summary.sources)} source(s) checked ({reused} unchanged), {failed} failed, "
        f"{len(summary.claims)} claim(s) judged, {len(summary.changes)} changed"
    )


def log_run(summary: RunSummary, *, dry_run: bool = False) -> None:
    """The run's outcome line, its counts as fields."""
    failed = len(summary.failed_sources)
    fields = {
        "run": summary.run_id,
        "outcome": outcome(summary.status.value, failed),
        "sources": len(summary.sources),
        "failed": failed,
        "claims": len(summary.claims),
        "changed": len(summary.changes),
    }
    log.info("%s", run_line(summary, dry_run=dry_run), extra=fields)
