"""A run against hostile sources, on every database backend: a source is a fault boundary,
SIGTERM stops a run in seconds, and the run lock is never taken from a live holder.

A small stdlib server on 127.0.0.1:0 serves one named page per behaviour (`Site.pages`). A
source that makes our code raise is under the test's control: a JSON page nested 100,000 deep
(RecursionError in the decoder) and a stored rule whose options were corrupted in the database
(validation fails at run time). Process tests wait on events and database states, never on the
clock; the only time bound is a generous one (SIGTERM -> exit in < 20 s).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlmodel import col, select

from factcheck.config import Settings
from factcheck.domain import ErrorCode, Fetched, RunStatus, utcnow
from factcheck.errors import DatabaseError
from factcheck.storage import runlock, runs
from factcheck.storage.db import session_scope
from factcheck.storage.models import ClaimSource, Evidence, Run, Source, Verdict
from factcheck.verification.pipeline import run_verification
from factcheck.verification.planning import plan_run
from factcheck.verification.source_unit import SourceResult, record_unit, refused_value
from tests.integration.scheduling import CHILD_ENV, Child, declare, wait_until
from tests.support import DatabaseUnderTest, make_fast_settings, run_cli, seed

GOOD = b"It has 405B parameters."
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000  # json.loads: RecursionError
TRICKLE_EVERY_S = 0.2

Handler = BaseHTTPRequestHandler


@dataclass
class Site:
    """Named pages on a local server; `trickle` pages send a byte at a time until closed."""

    base: str = ""
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (type, body)
    trickling: threading.Event = field(default_factory=threading.Event)  # a trickle began
    closing: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def _handler(site: Site) -> type[Handler]:
    class Pages(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.startswith("/trickle"):
                self._trickle()
                return
            found = site.pages.get(self.path)
            if found is None:
                self.send_error(404)
                return
            content_type, body = found
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _trickle(self) -> None:
            """A page that never ends: a byte every TRICKLE_EVERY_S, well inside any timeout."""
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")  # no length: the body ends when it closes
            self.end_headers()
            self.close_connection = True
            site.trickling.set()
            try:
                while not site.closing.wait(TRICKLE_EVERY_S):
                    self.wfile.write(b" ")
                    self.wfile.flush()
            except OSError:  # the client went away
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Pages


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.closing.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _declare(database: DatabaseUnderTest, folder: Path, entries: list[tuple[str, str, str]]):
    """Sources (key, url, format), each with one claim `claim-KEY`: 405B parameters."""
    rules = {
        "text": ("regex", "'(?P<value>\\d+B) parameters'"),
        "json": ("json_path", "'$.parameters'"),
        "html": ("css", "'p'"),
    }
    text = ""
    for key, url, fmt in entries:
        kind, rule = rules[fmt]
        text += f"""
[[source]]
key = "{key}"
url = "{url}"
format = "{fmt}"
recheck_hours = 24

[[claim]]
key = "claim-{key}"
statement = "The model has 405B parameters."
kind = "quantity"
expected = "405e9"
unit = "parameters"

  [[claim.evidence]]
  source = "{key}"
  rule_kind = "{kind}"
  rule = {rule}
  options = {{ unit = "parameters" }}
"""
    path = folder / "hostile.toml"
    path.write_text(text, encoding="utf-8")
    seed(database, path)


def _evidence(database: DatabaseUnderTest) -> dict[str, list[tuple[int, str | None, str | None]]]:
    """Source key -> (run, error code, error message) of each evidence row."""
    with session_scope(database.engine) as session:
        rows = session.exec(
            select(Source.key, Evidence.run_id, Evidence.error_code, Evidence.error_message)
            .join(Source, col(Source.id) == Evidence.source_id)
            .order_by(col(Evidence.id))
        ).all()
    found: dict[str, list[tuple[int, str | None, str | None]]] = {}
    for key, run_id, code, message in rows:
        found.setdefault(key, []).append((run_id, code, message))
    return found


def _runs(database: DatabaseUnderTest) -> list[tuple[str, str]]:
    with session_scope(database.engine) as session:
        return [(r.trigger, r.status) for r in session.exec(select(Run).order_by(col(Run.id)))]


def _verdict_claims(database: DatabaseUnderTest) -> set[int]:
    with session_scope(database.engine) as session:
        return set(session.exec(select(Verdict.claim_id)))


# -- a source is a fault boundary ---------------------------------------------------------------


def test_sources_that_crash_our_code_are_their_own_evidence_and_the_run_goes_on(
    database: DatabaseUnderTest, tmp_path: Path, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    site.pages["/good.txt"] = ("text/plain", GOOD)
    site.pages["/deep.json"] = ("application/json", DEEP_JSON)
    site.pages["/card.html"] = ("text/html", b"<p>It has 405B parameters.</p>")
    _declare(
        database,
        tmp_path,
        [
            ("good", site.url("/good.txt"), "text"),
            ("deep", site.url("/deep.json"), "json"),
            ("corrupt", site.url("/card.html"), "html"),
        ],
    )
    with database.engine.begin() as conn:  # a stored rule whose options no longer validate
        conn.execute(
            sa.update(ClaimSource)
            .where(col(ClaimSource.rule_kind) == "css")
            .values(rule_options={"attr": 5})
        )
    with caplog.at_level(logging.ERROR, logger="factcheck"):
        summary = run_verification(
            engine=database.engine, settings=make_fast_settings(database_url=database.url)
        )

    assert summary.status is RunStatus.SUCCEEDED
    found = _evidence(database)
    assert found["good"] == [(1, None, None)]
    ((_, deep_code, deep_message),) = found["deep"]
    # RecursionError in the JSON decoder; parse_error once the parser itself guards depth
    assert deep_code in (ErrorCode.INTERNAL_ERROR, ErrorCode.PARSE_ERROR), deep_message
    ((_, corrupt_code, corrupt_message),) = found["corrupt"]
    assert corrupt_code == ErrorCode.INTERNAL_ERROR
    assert corrupt_message is not None and corrupt_message.startswith("ValidationError: ")
    assert "\n" not in corrupt_message
    # every claim was judged, the broken ones on their errors
    assert len(_verdict_claims(database)) == 3
    assert _runs(database) == [("manual", "succeeded")]
    # the unexpected is logged at ERROR with its traceback
    unexpected = [r for r in caplog.records if "unexpected" in r.getMessage()]
    assert any(r.exc_info and "corrupt" in r.getMessage() for r in unexpected), unexpected


def _result_of(database: DatabaseUnderTest, key: str, *, status: int = 200) -> SourceResult:
    """A fetched, unextracted result for the source `key`, as a worker would hand it over."""
    with session_scope(database.engine) as session:
        plan = plan_run(session=session, claim_keys=(f"claim-{key}",), now=utcnow())
    (source_plan,) = plan.sources
    fetched = Fetched(
        url=source_plan.url,
        final_url=source_plan.url,
        status=status,
        headers={},
        body=GOOD,
        sha256="0" * 64,
        fetched_at=utcnow(),
        content_type="text/plain",
    )
    return SourceResult(source_plan, fetched, error_code="rule_no_match", error_message="-")


def test_a_value_the_database_refuses_is_recorded_as_an_error_row(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    declare(database, tmp_path, "http://127.0.0.1:9", ["odd", "fine"])
    with session_scope(database.engine) as session:
        run_id = runs.start_run(session=session, trigger="manual", now=utcnow()).id
    assert run_id is not None
    # a status far out of any integer column's range: OverflowError (sqlite3), DataError (PG)
    odd = _result_of(database, "odd", status=2**70)
    recorded = record_unit(engine=database.engine, run_id=run_id, result=odd, now=utcnow())
    assert recorded.error_code == ErrorCode.INTERNAL_ERROR
    assert recorded.error_message is not None
    assert recorded.error_message.startswith("this source's data could not be recorded: ")
    # the rolled-back transaction left nothing behind: the next source records normally
    fine = _result_of(database, "fine")
    assert record_unit(engine=database.engine, run_id=run_id, result=fine, now=utcnow()) == fine
    found = _evidence(database)
    assert [code for _, code, _ in found["odd"]] == ["internal_error"]
    assert [code for _, code, _ in found["fine"]] == ["rule_no_match"]
    # recording a unit twice in one run is a no-op, whatever happened the first time
    again = record_unit(engine=database.engine, run_id=run_id, result=odd, now=utcnow())
    assert again.skipped and len(_evidence(database)["odd"]) == 1


def test_text_with_a_nul_character_does_not_fail_the_run(
    database: DatabaseUnderTest, tmp_path: Path, site: Site
) -> None:
    site.pages["/nul.txt"] = ("text/plain", b"It has 405B parameters.\x00 More text.")
    site.pages["/good.txt"] = ("text/plain", GOOD)
    _declare(
        database,
        tmp_path,
        [("nul", site.url("/nul.txt"), "text"), ("good", site.url("/good.txt"), "text")],
    )
    summary = run_verification(
        engine=database.engine, settings=make_fast_settings(database_url=database.url)
    )
    assert summary.status is RunStatus.SUCCEEDED
    found = _evidence(database)
    assert found["good"] == [(1, None, None)]
    ((_, code, message),) = found["nul"]
    # NUL is replaced (and counted) before storage, the same on SQLite and PostgreSQL (whose
    # text columns cannot hold it): good evidence, with a note of what was replaced.
    assert code is None
    assert message is not None and "U+FFFD" in message, message
    with session_scope(database.engine) as session:
        excerpts = [e.excerpt or "" for e in session.exec(select(Evidence)).all()]
    assert not any("\x00" in text for text in excerpts)
    assert any("\ufffd" in text for text in excerpts)
    assert len(_verdict_claims(database)) == 2


def test_refused_values_are_told_apart_from_a_database_that_is_gone() -> None:
    def wrapped(exc: Exception) -> DatabaseError:
        try:
            raise DatabaseError("database error") from exc
        except DatabaseError as error:
            return error

    data = sa_exc.DataError("INSERT", {}, Exception("value too long"))
    gone = sa_exc.OperationalError("INSERT", {}, Exception("server closed the connection"))
    full = sa_exc.OperationalError("INSERT", {}, Exception("database or disk is full"))
    assert refused_value(wrapped(data))
    assert refused_value(OverflowError("Python int too large to convert to SQLite INTEGER"))
    assert refused_value(KeyError("our code choked on the source's data"))
    assert not refused_value(wrapped(gone))
    assert not refused_value(wrapped(full))


def test_dry_run_and_rule_test_print_the_error_code_not_a_traceback(
    database: DatabaseUnderTest, tmp_path: Path, site: Site
) -> None:
    site.pages["/good.txt"] = ("text/plain", GOOD)
    site.pages["/deep.json"] = ("application/json", DEEP_JSON)
    _declare(
        database,
        tmp_path,
        [("good", site.url("/good.txt"), "text"), ("deep", site.url("/deep.json"), "json")],
    )
    env = {"FACTCHECK_ALLOW_LOOPBACK": "1", "FACTCHECK_OBEY_ROBOTS": "0"}
    dry = run_cli("verify", "--dry-run", db_url=database.url, cwd=tmp_path, env=env)
    assert dry.code == 3, dry.stderr
    assert "Traceback" not in dry.stderr
    assert any(
        line.startswith("failed: deep (") and ("internal_error" in line or "parse_error" in line)
        for line in dry.stderr.splitlines()
    ), dry.stderr
    assert _runs(database) == []  # a dry run writes nothing

    probe = run_cli(
        "rule",
        "test",
        site.url("/deep.json"),
        "--rule-kind",
        "json_path",
        "--rule",
        "$.parameters",
        "--format",
        "json",
        cwd=tmp_path,
        env=env,
    )
    assert probe.code == 1
    assert "Traceback" not in probe.stderr
    assert probe.stderr.strip().count("\n") == 0, probe.stderr
    assert probe.stderr.startswith(("error: internal_error: ", "error: parse_error: "))


# -- SIGTERM stops a run in seconds -------------------------------------------------------------


def test_sigterm_stops_verify_in_seconds_and_records_the_source_in_flight(
    database: DatabaseUnderTest, tmp_path: Path, site: Site
) -> None:
    site.pages["/a.txt"] = ("text/plain", GOOD)
    site.pages["/c.txt"] = ("text/plain", GOOD)
    declare(database, tmp_path, site.base, ["a", "trickle", "c"])  # one worker, in this order
    child = Child(
        "verify",
        db_url=database.url,
        cwd=tmp_path,
        env={"FACTCHECK_SOURCE_DEADLINE_S": "600", "FACTCHECK_READ_TIMEOUT_S": "60"},
    )
    try:
        assert site.trickling.wait(30), child.seen
        wait_until(lambda: "a" in _evidence(database))  # `a` is recorded, `trickle` in flight
        child.signal(signal.SIGTERM)
        began = time.monotonic()
        code = child.finish(timeout=60)
        elapsed = time.monotonic() - began
    finally:
        if child.proc.poll() is None:
            child.kill()
            child.finish()
    assert code == 130, child.seen
    assert elapsed < 20, elapsed
    assert _runs(database) == [("manual", "interrupted")]
    found = _evidence(database)
    assert found["a"] == [(1, None, None)]
    assert [(run, code) for run, code, _ in found["trickle"]] == [(1, "interrupted")]
    assert "c" not in found  # never started: due again next run
    assert len(_verdict_claims(database)) == 3  # judged: on what was recorded, or on nothing


# -- a lock is never taken from a live holder ---------------------------------------------------

HOLDER = """
import sys, threading
from factcheck.config import Settings
from factcheck.storage import db, runlock

url = sys.argv[1]
engine = db.make_engine(url)
# a lease of one second and no heartbeat at all: a holder stalled for good
settings = Settings(database_url=url, lock_lease_s=1)
lease = runlock.try_acquire(engine=engine, settings=settings, name=runlock.RUN_LOCK)

def spin() -> None:  # a busy worker in a long pure-Python loop
    n = 0
    while True:
        n += 1

threading.Thread(target=spin, daemon=True).start()
print("held", lease.holder, flush=True)
threading.Event().wait()
"""


def test_a_stalled_live_holder_keeps_the_lock_and_kill_9_frees_it(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline()
        assert line.startswith("held "), line
        name = line.split()[1]
        found = runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK)
        assert found is not None and found.holder == name
        if database.backend == "sqlite":  # its lease row runs out: the stall is complete
            expires = found.expires_at
            assert expires is not None
            wait_until(lambda: _aware(expires) < utcnow())
            shown = runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK)
            assert shown is not None and not shown.expired  # the kernel says it is alive
        refused = run_cli("verify", db_url=database.url, cwd=tmp_path, env=CHILD_ENV)
        assert refused.code == 5, refused.stderr
        assert "another verification run is in progress" in refused.stderr
        assert name in refused.stderr
        assert _runs(database) == []  # never taken over, nothing written
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    if database.backend == "postgresql":  # the server ends the dead client's session
        wait_until(lambda: _free(database))
    done = run_cli("verify", db_url=database.url, cwd=tmp_path, env=CHILD_ENV)
    assert done.code == 0, done.stderr
    assert _runs(database) == [("manual", "succeeded")]


def _aware(stamp: datetime) -> datetime:
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _free(database: DatabaseUnderTest) -> bool:
    return runlock.current_holder(engine=database.engine, name=runlock.RUN_LOCK) is None


def test_run_lock_file_sits_beside_a_sqlite_database(database: DatabaseUnderTest) -> None:
    path = runlock.lock_file(database.engine, runlock.RUN_LOCK)
    if database.backend == "postgresql":
        assert path is None
        return
    assert path is not None and path.name == "factcheck.db.run.lock"
    settings = Settings(database_url=database.url)
    with runlock.hold(engine=database.engine, settings=settings, name=runlock.RUN_LOCK):
        assert path.exists()
