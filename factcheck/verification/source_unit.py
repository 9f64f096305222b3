"""One source, one unit of work: fetch and parse it once, run every linked rule, normalise
(no database); then record it in one transaction. Anything the source causes becomes its
evidence with an error code.

A source is a fault boundary (`contain`): whatever its bytes, headers, redirects or rules make
our code raise, expected (FetchError, ExtractError) or not (LookupError, UnicodeError,
RecursionError, ...), becomes that source's evidence with an error code, `internal_error` for
the unexpected, with the traceback in the log. Only KeyboardInterrupt and SystemExit pass. The
same holds when recording: a value the database refuses (a NUL in text, a string too long, a
number out of range) rolls back that source's transaction, and the source is recorded again as
error evidence (`record_unit`); only a database that is gone fails the run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel import Session

from factcheck.config import Settings
from factcheck.domain import (
    ErrorCode,
    Fetched,
    Hit,
    Quantity,
    Role,
    utcnow,
)
from factcheck.errors import DatabaseError, ExtractError, FactcheckError, FetchError
from factcheck.extraction.limits import DEFAULT_LIMITS, Limits
from factcheck.extraction.rules import Document, parse_document, run_rule
from factcheck.fetching.failures import StatusError
from factcheck.fetching.fetcher import Fetcher
from factcheck.normalising.hits import normalise
from factcheck.storage import runs
from factcheck.storage.db import session_scope
from factcheck.verification import recording
from factcheck.verification.planning import LinkPlan, SourcePlan

log = logging.getLogger(__name__)

T = TypeVar("T")
MESSAGE_CHARS = 500  # an error message is one line, this long at most
UNRECORDABLE = "this source's data could not be recorded"


# -- the fault boundary -------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """What one source's work raised, as evidence: an error code and a one-line message."""

    code: str
    message: str
    status: int | None = None  # the HTTP status of a final response that was not 2xx


def one_line(exc: BaseException) -> str:
    """`Type: first line of the message`, short enough for an evidence row or a terminal."""
    text = str(exc).strip().splitlines()
    line = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    return line[:MESSAGE_CHARS]


def contain(work: Callable[[], T], *, what: str, log_traceback: bool = True) -> T | Fault:
    """Run one source's work behind its fault boundary: what it raises becomes a Fault.

    The unexpected is `internal_error`, logged at ERROR with its traceback (at DEBUG with
    `log_traceback=False`: the dry run and `rule test` print the code, not a traceback).
    """
    try:
        return work()
    except (FetchError, ExtractError) as exc:
        message = str(exc).strip().replace("\n", " ")[:MESSAGE_CHARS]
        return Fault(str(exc.code), message, exc.status if isinstance(exc, StatusError) else None)
    except Exception as exc:  # the boundary: anything but KeyboardInterrupt and SystemExit
        level = logging.ERROR if log_traceback else logging.DEBUG
        log.log(level, "%s: unexpected %s", what, one_line(exc), exc_info=True)
        return Fault(ErrorCode.INTERNAL_ERROR.value, one_line(exc))


@dataclass(frozen=True)
class LinkResult:
    link: LinkPlan
    hits: tuple[Hit, ...] = ()
    quantities: tuple[Quantity | None, ...] = ()
    error_code: str | None = None
    error_message: str | None = None
    dropped: int = 0  # hits found beyond the caps: counted, not kept
    note: str | None = None  # what the caps cut or replaced; stored in error_message


@dataclass(frozen=True)
class SourceResult:
    plan: SourcePlan
    fetched: Fetched | None
    reused: bool = False
    error_code: str | None = None
    error_message: str | None = None
    links: tuple[LinkResult, ...] = ()
    skipped: bool = False  # already recorded in this run
    error_status: int | None = None  # the HTTP status of a fetch that failed on it (a 500)
    elapsed_ms: int | None = None  # fetch, parse and rules, for the log
    packed: bytes | None = None  # the body to store, compressed on the worker (or None)
    size: int = 0  # the body's length, kept when the body itself is dropped

    @property
    def snapshot_due(self) -> bool:
        """A good new body to keep: fetched, not reused, no source-wide error."""
        return self.fetched is not None and not self.reused and self.error_code is None

    def slim(self) -> SourceResult:
        """This result without its body (recorded already): what a run keeps to report."""
        if self.fetched is None:
            return replace(self, packed=None)
        return replace(self, fetched=replace(self.fetched, body=b""), packed=None)

    @property
    def failed(self) -> bool:
        return self.error_code is not None or any(r.error_code for r in self.links)

    @property
    def http_status(self) -> int | None:
        return self.fetched.status if self.fetched is not None else self.error_status


def limits_for(settings: Settings) -> Limits:
    """The extraction caps of these settings, as the plain numbers extraction takes."""
    return Limits(
        max_hits=settings.max_hits_per_rule,
        max_hit_chars=settings.max_hit_chars,
        max_link_chars=settings.max_link_chars,
        max_regex_text_chars=settings.max_regex_text_chars,
        rule_timeout_s=settings.rule_timeout_s,
        max_nesting_depth=settings.max_nesting_depth,
        max_html_depth=settings.max_html_depth,
    )


def extract_links(
    document: Document,
    links: Sequence[LinkPlan],
    *,
    what: str = "source",
    log_traceback: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[LinkResult, ...]:
    """Each link's rule and figures; a rule that raises fails its link only."""
    results = []
    for link in links:
        outcome = contain(
            partial(_extract_link, document, link, limits), what=what, log_traceback=log_traceback
        )
        if isinstance(outcome, Fault):
            outcome = LinkResult(link, error_code=outcome.code, error_message=outcome.message)
        results.append(outcome)
    return tuple(results)


def _extract_link(document: Document, link: LinkPlan, limits: Limits) -> LinkResult:
    extracted = run_rule(document, link.rule, limits=limits)
    hits, dropped, note = extracted.hits, extracted.dropped, extracted.note()
    if dropped and link.numeric:
        # Every figure counts in a numeric verdict (a set, a ratio, agreeing sources): one
        # read from the first hits only would be wrong, so none is given.
        message = f"{link.rule.kind.value} found {len(hits) + dropped:,} hits; {note}"
        return LinkResult(
            link, error_code=ErrorCode.TOO_MANY_HITS.value, error_message=message, dropped=dropped
        )
    found, quantities = normalise(hits, unit=link.unit, numeric=link.numeric)
    if (
        link.numeric
        and link.role != Role.CONTRADICTS.value
        and not any(q is not None for q in quantities)
    ):
        message = (
            f"{link.rule.kind.value} matched, but no figure in {found[0].raw[:80]!r}"
            if found
            else "no hits"
        )
        return LinkResult(link, error_code=ErrorCode.NO_QUANTITY.value, error_message=message)
    return LinkResult(link, hits=found, quantities=quantities, dropped=dropped, note=note)


def process_source(
    plan: SourcePlan,
    *,
    fetcher: Fetcher,
    limits: Limits = DEFAULT_LIMITS,
    clock: Callable[[], datetime] = utcnow,
    log_traceback: bool = True,
) -> SourceResult:
    """Fetch once, parse once (not at all when unchanged), apply every linked rule; timed.

    `clock` stamps the fetch (read when the body has arrived, one source after another).

    Never raises (but KeyboardInterrupt and SystemExit): a failure is the result's error code.
    """
    started = time.monotonic()
    result = _process(
        plan, fetcher=fetcher, limits=limits, clock=clock, log_traceback=log_traceback
    )
    if result.snapshot_due and result.fetched is not None:
        body = result.fetched.body
        result = replace(result, packed=recording.packed_body(body), size=len(body))
    return replace(result, elapsed_ms=round((time.monotonic() - started) * 1000))


def _process(
    plan: SourcePlan,
    *,
    fetcher: Fetcher,
    limits: Limits,
    clock: Callable[[], datetime],
    log_traceback: bool,
) -> SourceResult:
    what = f"source {plan.key} ({plan.url})"
    conditional = plan.reusable
    fetch = partial(
        fetcher.fetch,
        plan.url,
        fmt=plan.fmt,
        etag=plan.etag if conditional else None,
        last_modified=plan.last_modified if conditional else None,
        now=clock,  # (the fetcher names its clock `now`)
    )
    fetched = contain(fetch, what=what, log_traceback=log_traceback)
    if isinstance(fetched, Fault):
        code, message, status = fetched.code, fetched.message, fetched.status
        return SourceResult(plan, None, error_code=code, error_message=message, error_status=status)
    if conditional and (fetched.not_modified or fetched.sha256 == plan.last_sha256):
        return SourceResult(plan, fetched, reused=True)
    parse = partial(
        parse_document, fetched.body, fmt=plan.fmt, encoding=fetched.encoding, limits=limits
    )
    document = contain(parse, what=what, log_traceback=log_traceback)
    if isinstance(document, Fault):
        return SourceResult(plan, fetched, error_code=document.code, error_message=document.message)
    links = extract_links(
        document, plan.links, what=what, log_traceback=log_traceback, limits=limits
    )
    return SourceResult(plan, fetched, links=links)


def failed_result(plan: SourcePlan, *, code: str, message: str) -> SourceResult:
    """A source recorded as an error only (nothing fetched kept): interrupted, or refused."""
    return SourceResult(plan, None, error_code=str(code), error_message=message)


# -- recording ----------------------------------------------------------------------------------


def record_unit(
    *, engine: Engine, run_id: int, result: SourceResult, now: datetime
) -> SourceResult:
    """Record one source in its own transaction, once per run; what is returned was recorded.

    When the database refuses a value the source brought, that transaction is rolled back and
    the source is recorded as an `internal_error` row instead. Anything else (connection lost,
    disk full) raises: the run cannot go on.
    """
    try:
        return _record_once(engine=engine, run_id=run_id, result=result, now=now)
    except Exception as exc:
        if not refused_value(exc):
            raise
        cause = exc.__cause__ if isinstance(exc, DatabaseError) and exc.__cause__ else exc
        log.error(
            "source %s: could not be recorded: %s", result.plan.key, one_line(cause), exc_info=True
        )
        refused = failed_result(
            result.plan,
            code=ErrorCode.INTERNAL_ERROR.value,
            message=f"{UNRECORDABLE}: {one_line(cause)}",
        )
        return _record_once(engine=engine, run_id=run_id, result=refused, now=now)


def refused_value(exc: BaseException) -> bool:
    """Recording failed because of this source's data, not because the database is gone.

    Refused: a value the database or its driver would not take (out of range, too long, NUL in
    text, a constraint, a value that failed to bind), or our own code choking on the source's
    data. Not refused: connection lost, disk full, database locked, whatever else the database
    itself says (an operational DBAPI error).
    """
    if isinstance(exc, DatabaseError):
        cause = exc.__cause__
        if isinstance(cause, sa_exc.DataError | sa_exc.IntegrityError):
            return True
        # a value that failed to bind before reaching the database (not a DBAPI error)
        return isinstance(cause, sa_exc.StatementError) and not isinstance(cause, sa_exc.DBAPIError)
    # sqlite3 raises OverflowError or UnicodeEncodeError unwrapped while binding
    return not isinstance(exc, sa_exc.SQLAlchemyError | FactcheckError)


def _record_once(
    *, engine: Engine, run_id: int, result: SourceResult, now: datetime
) -> SourceResult:
    with session_scope(engine) as session:
        if runs.source_done_in_run(session=session, run_id=run_id, source_id=result.plan.source_id):
            return SourceResult(result.plan, None, skipped=True)
        record_source(session=session, run_id=run_id, result=result, now=now)
    return result


def record_source(*, session: Session, run_id: int, result: SourceResult, now: datetime) -> None:
    """Write one source's evidence, body and fetch state in the caller's transaction.

    Rows go in as Core executemany (no ORM objects: this is the hot path of a run). A reused
    row carries only what changed (when, and the HTTP status); its body, URL and extraction
    are those of the row it points at, which keeps an unchanged night small.
    """
    recording.record_sources(session=session, run_id=run_id, results=[result], now=now)
