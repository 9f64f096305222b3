"""Failure pages through the whole pipeline, on every database backend.

A real stdlib HTTP server on 127.0.0.1:0 serves one named page per failure. Each test first
gets a verdict from a good page, then the page turns bad: the run must still complete, record an
evidence row with the right error code and a clear message, and keep the verdict, judged on the
freshest good evidence. Also: a dry run writes nothing, an unchanged page is reused, a source
shared by two claims is fetched once per run, and `verify KEY` judges only that claim.
"""

from __future__ import annotations

import dataclasses
import gzip
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlmodel import col, func, select

from factcheck.domain import ErrorCode, RunStatus
from factcheck.storage import catalog, db, runs
from factcheck.storage.models import Claim, Evidence, Snapshot, Verdict
from factcheck.verification.pipeline import RunSummary, run_verification
from tests.support import (
    REPO,
    DatabaseUnderTest,
    Result,
    database_state,
    make_fast_settings,
    run_cli,
    seed,
)

PAGES = REPO / "tests" / "pages" / "pipeline"
KIB = 1024
CAP_BYTES = 64 * KIB
UA = "factcheck-test/1.0 (+https://example.org/factcheck; contact: test@example.org)"
HTML = "text/html; charset=utf-8"
SETTINGS = make_fast_settings(
    obey_robots=True,  # robots.txt failures are among the pages under test
    workers=4,
    per_host_concurrency=4,
    read_timeout_s=0.3,
    source_deadline_s=5.0,
    retries=1,
    retry_after_cap_s=0.1,
    max_html_bytes=CAP_BYTES,
    max_data_bytes=CAP_BYTES,
)
# The same settings for the CLI, which reads them from the environment.
CLI_ENV = {
    "FACTCHECK_USER_AGENT": UA,
    "FACTCHECK_ALLOW_LOOPBACK": "true",
    "FACTCHECK_PER_HOST_DELAY_S": "0",
    "FACTCHECK_READ_TIMEOUT_S": "0.3",
    "FACTCHECK_RETRIES": "1",
    "FACTCHECK_BACKOFF_FACTOR_S": "0",
    "FACTCHECK_RETRY_AFTER_CAP_S": "0.1",
}
GZIP_BOMB = gzip.compress(b"\0" * (16 * 1024 * KIB), compresslevel=9)  # 16 MiB of zeros, ~16 KiB

Handler = BaseHTTPRequestHandler
Behaviour = Callable[[Handler], None]


# -- the pages ----------------------------------------------------------------------------------


def page(name: str, content_type: str = HTML, *, etag: str | None = None) -> Behaviour:
    """A file of tests/pages/pipeline; with `etag`, a matching If-None-Match gets a 304."""
    body = (PAGES / name).read_bytes()
    return data(body, content_type, etag=etag)


def data(
    body: bytes,
    content_type: str = HTML,
    *,
    etag: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    length: bool = True,
) -> Behaviour:
    def respond(handler: Handler) -> None:
        if etag is not None and handler.headers.get("If-None-Match") == etag:
            handler.send_response(304)
            handler.send_header("ETag", etag)
            handler.end_headers()
            return
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        if etag is not None:
            handler.send_header("ETag", etag)
        for name, value in headers:
            handler.send_header(name, value)
        if length:  # without it the body ends when the connection closes (HTTP/1.0)
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def status(code: int, *headers: tuple[str, str]) -> Behaviour:
    def respond(handler: Handler) -> None:
        handler.send_response(code)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return respond


def redirect(location: str) -> Behaviour:
    return status(302, ("Location", location))


def slow(seconds: float, closing: threading.Event) -> Behaviour:
    def respond(handler: Handler) -> None:
        closing.wait(seconds)  # longer than the read timeout; cut short when the server stops
        data(b"<p id='size'>405B</p>")(handler)

    return respond


def reset(handler: Handler) -> None:
    """Close with SO_LINGER 0: the client gets a TCP RST instead of a response."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def truncated(handler: Handler) -> None:
    """Promise 4,000 bytes, send 100, hang up."""
    handler.send_response(200)
    handler.send_header("Content-Type", HTML)
    handler.send_header("Content-Length", "4000")
    handler.end_headers()
    handler.wfile.write(b"<html><body><p id='size'>405B</p>" + b" " * 66)
    handler.close_connection = True


class PageServer:
    """A stdlib HTTP server on 127.0.0.1:0; `pages` maps a path to a behaviour, swappable live."""

    def __init__(self) -> None:
        self.pages: dict[str, Behaviour] = {}
        self.requests: Counter[str] = Counter()
        self.closing = threading.Event()
        lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with lock:
                    server.requests[path] += 1
                behaviour = server.pages.get(path)
                try:
                    if behaviour is None:
                        status(404)(self)
                    else:
                        behaviour(self)
                except OSError:  # the client gave up first (a timeout test): nothing to say
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def site() -> Iterator[PageServer]:
    server = PageServer()
    yield server
    server.close()


# -- claims and runs ----------------------------------------------------------------------------

RULES = {"html": ("css", "#size"), "json": ("json_path", "$.parameters")}


def declare(
    tmp_path: Path,
    database: DatabaseUnderTest,
    *,
    source: str,
    url: str,
    fmt: str = "html",
    claims: Sequence[tuple[str, str]] = (("llama-405b", "405e9"),),
) -> None:
    """One source, and claims (key, expected parameters) that read the size from it."""
    rule_kind, rule = RULES[fmt]
    text = (
        f'[[source]]\nkey = "{source}"\nurl = "{url}"\nformat = "{fmt}"\n'
        f'title = "Test page {source}"\nrecheck_hours = 24\n'
    )
    for key, expected in claims:
        text += (
            f'\n[[claim]]\nkey = "{key}"\nstatement = "Llama 3.1 has a {expected}-parameter '
            f'model."\nkind = "quantity"\nexpected = "{expected}"\nunit = "parameters"\n'
            f'  [[claim.evidence]]\n  source = "{source}"\n  rule_kind = "{rule_kind}"\n'
            f'  rule = "{rule}"\n  options = {{ unit = "parameters" }}\n  authoritative = true\n'
        )
    path = tmp_path / f"{source}.toml"
    path.write_text(text, encoding="utf-8")
    seed(database, path)


def verify(
    database: DatabaseUnderTest, *, keys: Sequence[str] = (), force: bool = True
) -> RunSummary:
    settings = dataclasses.replace(SETTINGS, database_url=database.url)
    return run_verification(
        engine=database.engine, settings=settings, claim_keys=keys, force=force and not keys
    )


def labels(summary: RunSummary) -> dict[str, str]:
    return {c.key: c.label for c in summary.claims}


def evidence(database: DatabaseUnderTest, run_id: int | None) -> list[Evidence]:
    with db.session_scope(database.engine) as session:
        query = select(Evidence).where(Evidence.run_id == run_id).order_by(col(Evidence.id))
        return list(session.exec(query))


def count(database: DatabaseUnderTest, table: type[Verdict] | type[Snapshot]) -> int:
    with db.session_scope(database.engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def freshest_good_evidence_id(database: DatabaseUnderTest, claim_key: str) -> int | None:
    with db.session_scope(database.engine) as session:
        claim = catalog.get_claim(session=session, key=claim_key)
        assert claim.id is not None
        fresh = runs.freshest_evidence(session=session, claim_ids=[claim.id])[claim.id]
        (kept,) = fresh.values()
        return kept.row.id


# -- one named page per failure -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Failure:
    name: str
    pages: Callable[[PageServer], dict[str, Behaviour]]  # what the server serves once it broke
    code: str | None  # None: not a failure after all, the page must still give the figure
    message: str  # in the error message ({url} is the page's URL)
    fmt: str = "html"


FAILURES = [
    Failure("status-500", lambda s: {"/page": status(500)}, "http_status",
            "HTTP 500 from {url} after 1 retries"),
    Failure("status-429-retry-after-a-day",
            lambda s: {"/page": status(429, ("Retry-After", "86400"))}, "http_status",
            "HTTP 429 from {url} after 1 retries"),
    Failure("slow", lambda s: {"/page": slow(2.0, s.closing)}, "timeout",
            "timed out fetching {url}"),
    Failure("connection-reset", lambda s: {"/page": reset}, "connection",
            "cannot fetch {url}: Connection reset by peer"),
    Failure("truncated-body", lambda s: {"/page": truncated}, "truncated",
            "body of {url} cut off after"),
    Failure("oversized", lambda s: {"/page": data(b"<p>405B</p>" * (7 * KIB), length=False)},
            "too_large", f"body of {{url}} exceeds the cap of {CAP_BYTES} bytes"),
    Failure("gzip-bomb",
            lambda s: {"/page": data(GZIP_BOMB, headers=[("Content-Encoding", "gzip")])},
            "too_large", f"body of {{url}} exceeds the cap of {CAP_BYTES} bytes"),
    Failure("enc-gbk-without-charset",
            lambda s: {"/page": page("enc-gbk-no-charset.html", "text/html")}, None, "4050 亿"),
    Failure("redirect-loop",
            lambda s: {"/page": redirect("/page-moved"), "/page-moved": redirect("/page")},
            "redirect_loop", "redirect loop fetching {url}: back to {url}"),
    Failure("redirect-to-metadata-address",
            lambda s: {"/page": redirect("http://169.254.169.254/latest/meta-data/")},
            "blocked_address", "169.254.169.254"),
    Failure("malformed-html", lambda s: {"/page": page("size-broken-markup.html")}, None, "405B"),
    Failure("malformed-json",
            lambda s: {"/page": page("size-truncated.json", "application/json")},
            "parse_error", "invalid JSON", fmt="json"),
    Failure("robots-disallow",
            lambda s: {"/robots.txt": data(b"User-agent: *\nDisallow: /page\n", "text/plain")},
            "robots_blocked", "{url} is disallowed by {base}/robots.txt for "),
]  # fmt: skip
GOOD = {"html": lambda: page("size.html"), "json": lambda: page("size.json", "application/json")}


@pytest.mark.parametrize("failure", FAILURES, ids=[f.name for f in FAILURES])
def test_failure_page_is_evidence_and_the_verdict_stands(
    failure: Failure, database: DatabaseUnderTest, site: PageServer, tmp_path: Path
) -> None:
    url = site.url("/page")
    declare(tmp_path, database, source="size-page", url=url, fmt=failure.fmt)
    site.pages["/page"] = GOOD[failure.fmt]()
    first = verify(database)
    assert labels(first) == {"llama-405b": "supported"} and not first.failed_sources
    (good,) = evidence(database, first.run_id)

    site.pages.update(failure.pages(site))
    started = time.monotonic()
    second = verify(database)
    elapsed = time.monotonic() - started

    assert second.status is RunStatus.SUCCEEDED
    # generous: no failure page may hold the run (a Retry-After of a day is capped at 0.1 s)
    assert elapsed < 30, "a failure must not hold the run (Retry-After is capped)"
    (row,) = evidence(database, second.run_id)
    (outcome,) = second.claims
    assert outcome.label == "supported"
    if failure.code is None:  # a page that only looks hard: it must decode and extract
        assert not second.failed_sources and row.error_code is None
        assert row.value is not None and Decimal(row.value) == Decimal("405e9")
        assert row.raw is not None and failure.message in row.raw
        assert row.snapshot_sha256 != good.snapshot_sha256
        return
    assert (row.error_code, row.reused, row.hits) == (failure.code, False, [])
    assert row.error_message is not None
    assert failure.message.format(url=url, base=site.base) in row.error_message
    assert [s.error_code for s in second.failed_sources] == [failure.code]
    # no earlier verdict is lost: no new verdict, and judging still rests on the good evidence
    assert count(database, Verdict) == 1
    assert freshest_good_evidence_id(database, "llama-405b") == good.id
    assert not outcome.changed and "as of" in outcome.reason


def test_failed_source_exits_3_through_the_cli(
    database: DatabaseUnderTest, site: PageServer, tmp_path: Path
) -> None:
    url = site.url("/page")
    declare(tmp_path, database, source="size-page", url=url)
    site.pages["/page"] = page("size.html")
    assert labels(verify(database)) == {"llama-405b": "supported"}

    site.pages["/page"] = status(500)
    result = cli_verify(database, tmp_path, "--all")

    assert result.code == 3, result.stderr
    assert (
        f"failed: size-page (http_status, HTTP 500) {url}: HTTP 500 from {url} after 1 retries"
        in result.stderr
    )
    assert "run 2 completed, some sources failed" in result.stderr
    assert "llama-405b" in result.stdout and "supported" in result.stdout
    assert count(database, Verdict) == 1


def cli_verify(database: DatabaseUnderTest, cwd: Path, *args: str) -> Result:
    return run_cli("verify", *args, db_url=database.url, cwd=cwd, env=CLI_ENV)


def test_page_that_lost_the_figure_is_not_reused_as_good_evidence(
    database: DatabaseUnderTest, site: PageServer, tmp_path: Path
) -> None:
    """A page whose rule stopped matching stays an error on the next run with the same body.

    The second run records rule_no_match but keeps the new body's hash as the source's
    conditional-GET state; the third run sees the same hash and reuses run 1's extraction, as if
    the page still gave 405B, with a fresh date that hides how old that figure is.
    """
    declare(tmp_path, database, source="size-page", url=site.url("/page"))
    site.pages["/page"] = page("size.html")
    verify(database)
    site.pages["/page"] = data(b"<html><body><p>The sizes moved to another page.</p></body></html>")
    second = verify(database)
    assert [row.error_code for row in evidence(database, second.run_id)] == ["rule_no_match"]

    third = verify(database)

    (row,) = evidence(database, third.run_id)
    assert (row.error_code, row.reused) == ("rule_no_match", False)
    assert [s.reused for s in third.sources] == [False]


# -- runs that should write nothing, or little --------------------------------------------------


def test_dry_run_writes_nothing(
    database: DatabaseUnderTest, site: PageServer, tmp_path: Path
) -> None:
    declare(tmp_path, database, source="size-page", url=site.url("/page"))
    site.pages["/page"] = page("size.html")
    verify(database)
    site.pages["/page"] = data(b"<html><body><p id='size'>450B</p></body></html>")
    before = database_state(database)

    result = cli_verify(database, tmp_path, "--dry-run", "--all", "--json")

    assert result.code == 0, result.stderr
    report = result.json()
    assert isinstance(report, dict) and report["dry_run"] is True
    assert [(c["key"], c["label"]) for c in report["claims"]] == [("llama-405b", "refuted")]
    assert site.requests["/page"] == 2
    assert database_state(database) == before


@pytest.mark.parametrize("conditional", ["etag-304", "same-body"])
def test_unchanged_page_is_reused(
    conditional: str, database: DatabaseUnderTest, site: PageServer, tmp_path: Path
) -> None:
    declare(tmp_path, database, source="size-page", url=site.url("/page"))
    etag = '"v1"' if conditional == "etag-304" else None
    site.pages["/page"] = page("size.html", etag=etag)
    first = verify(database)
    (original,) = evidence(database, first.run_id)
    snapshots, verdicts = count(database, Snapshot), count(database, Verdict)

    second = verify(database)

    assert [s.reused for s in second.sources] == [True]
    (row,) = evidence(database, second.run_id)
    assert (row.reused, row.reused_from_id, row.error_code) == (True, original.id, None)
    # body, URL and ETag are the original's, reached through reused_from_id, not copied
    assert (row.snapshot_sha256, row.final_url, row.etag) == (None, None, None)
    assert row.hits == [] and row.raw is None  # the extraction is not copied, it is pointed at
    assert (count(database, Snapshot), count(database, Verdict)) == (snapshots, verdicts)
    assert labels(second) == {"llama-405b": "supported"}
    assert not second.changes


def test_source_linked_to_two_claims_is_fetched_once_per_run(
    database: DatabaseUnderTest, site: PageServer, tmp_path: Path
) -> None:
    declare(
        tmp_path,
        database,
        source="size-page",
        url=site.url("/page"),
        claims=[("llama-405b", "405e9"), ("llama-450b", "450e9")],
    )
    site.pages["/page"] = page("size.html")

    first = verify(database)

    assert labels(first) == {"llama-405b": "supported", "llama-450b": "refuted"}
    assert (site.requests["/page"], site.requests["/robots.txt"]) == (1, 1)
    assert len(evidence(database, first.run_id)) == 2

    verify(database)

    assert (site.requests["/page"], site.requests["/robots.txt"]) == (2, 2)


def test_verify_key_judges_only_that_claim(
    database: DatabaseUnderTest, site: PageServer, tmp_path: Path
) -> None:
    declare(tmp_path, database, source="page-a", url=site.url("/a"), claims=[("claim-a", "405e9")])
    declare(tmp_path, database, source="page-b", url=site.url("/b"), claims=[("claim-b", "405e9")])
    site.pages["/a"] = site.pages["/b"] = page("size.html")

    summary = verify(database, keys=["claim-a"])

    assert labels(summary) == {"claim-a": "supported"}
    assert (site.requests["/a"], site.requests["/b"]) == (1, 0)
    with db.session_scope(database.engine) as session:
        judged = session.exec(
            select(Claim.key).join(Verdict, col(Verdict.claim_id) == Claim.id)
        ).all()
        assert judged == ["claim-a"]
    assert {row.claim_id for row in evidence(database, summary.run_id)} == {
        _claim_id(database, "claim-a")
    }


def _claim_id(database: DatabaseUnderTest, key: str) -> int | None:
    with db.session_scope(database.engine) as session:
        return catalog.get_claim(session=session, key=key).id


def test_error_codes_in_this_file_are_known() -> None:
    known = {code.value for code in ErrorCode}
    assert {f.code for f in FAILURES if f.code} <= known
