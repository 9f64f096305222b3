"""A run as its operator reads it: the log (one line per source, UTC timestamps, JSON on request,
libraries quiet), the run's outcome in the same words in every command, nothing said twice,
results on stdout as TSV in a pipe, and progress never on stdout.

Sources are served by a real local server (tests/servers.py); a failing one answers 503, and an
offline one is a closed port whose robots.txt cannot be read either.
"""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.scheduling import CHILD_ENV, Child
from tests.servers import PageServer, closed_port_url
from tests.support import REPO, DatabaseUnderTest, Result, factcheck_bin, run_cli, seed

UA = CHILD_ENV["FACTCHECK_USER_AGENT"]
ENV = {
    "FACTCHECK_ALLOW_LOOPBACK": "1",
    "FACTCHECK_PER_HOST_DELAY_S": "0",
    "FACTCHECK_RETRIES": "0",
    "FACTCHECK_CONNECT_TIMEOUT_S": "2",
    "FACTCHECK_USER_AGENT": UA,
}
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"  # UTC, ISO 8601, milliseconds
SOURCE_LINE = re.compile(
    rf"^{STAMP} INFO factcheck\.verification\.journal: source (?P<key>\S+): url=(?P<url>\S+) "
    r"status=(?P<status>\S+) error_code=(?P<code>\S+) bytes=(?P<bytes>\S+) ms=(?P<ms>\d+) "
    r"charset=(?P<charset>\S+) body=(?P<body>\S+)(?: error=(?P<error>.+))?$"
)
SOME_FAILED = "completed, some sources failed"
COLUMNS = "claim\tverdict\twas\tconfidence\tfreshness\teditor\treason"


def declare(database: DatabaseUnderTest, folder: Path, sources: dict[str, str]) -> None:
    """One text source per (key, url), each read by one claim: 405B parameters."""
    text = ""
    for key, url in sources.items():
        text += f"""
[[source]]
key = "{key}"
url = "{url}"
format = "text"
title = "{key}"
recheck_hours = 24

[[claim]]
key = "claim-{key}"
statement = "The model has 405B parameters."
kind = "quantity"
expected = "405e9"
unit = "parameters"

  [[claim.evidence]]
  source = "{key}"
  rule_kind = "regex"
  rule = '(?P<value>\\d+B) parameters'
  options = {{ unit = "parameters" }}
"""
    path = folder / "declared.toml"
    path.write_text(text, encoding="utf-8")
    seed(database, path)


@pytest.fixture
def sources(database: DatabaseUnderTest, pages: PageServer, tmp_path: Path) -> dict[str, str]:
    """good (200), broken (503) and offline (a closed port): key -> URL, declared."""
    found = {
        "good": pages.put(f"good-{uuid.uuid4().hex}", "It has 405B parameters.", "text/plain"),
        "broken": pages.url("/status/503"),
        "offline": closed_port_url(),
    }
    declare(database, tmp_path, found)
    return found


def source_lines(stderr: str) -> dict[str, list[re.Match[str]]]:
    """The journal's source lines, by source key."""
    found: dict[str, list[re.Match[str]]] = {}
    for line in stderr.splitlines():
        match = SOURCE_LINE.match(line)
        if match:
            found.setdefault(match["key"], []).append(match)
    return found


def test_verify_logs_one_timestamped_line_per_source_and_nothing_else_twice(
    cli: Callable[..., Result], sources: dict[str, str]
) -> None:
    result = cli("-v", "verify", env=ENV)

    assert result.code == 3, result.stderr
    lines = result.stderr.splitlines()
    assert all(re.match(rf"{STAMP} (INFO|WARNING) factcheck\.", line) for line in lines), lines
    found = source_lines(result.stderr)
    assert sorted(found) == ["broken", "good", "offline"]
    assert all(len(matches) == 1 for matches in found.values()), found
    (good,), (broken,), (offline,) = found["good"], found["broken"], found["offline"]
    assert (good["url"], good["status"], good["code"]) == (sources["good"], "200", "ok")
    assert (good["bytes"], good["charset"], good["body"], good["error"]) == (
        "23",
        "utf-8",
        "parsed",
        None,
    )
    assert (broken["url"], broken["status"], broken["code"]) == (
        sources["broken"],
        "503",
        "http_status",
    )
    assert broken["body"] == "-" and "HTTP 503 from" in broken["error"]
    assert (offline["url"], offline["status"], offline["code"]) == (
        sources["offline"],
        "-",
        "connection",
    )
    # the connection error names the source's URL first, then the robots.txt being read
    robots = sources["offline"].rsplit("/", 1)[0] + "/robots.txt"
    assert f"cannot fetch {sources['offline']} (while reading {robots})" in offline["error"]
    # the run's outcome once, in the words every command uses (and, every line being a log
    # line, no "failed:" or summary line said besides)
    (run,) = [line for line in lines if "run 1 completed" in line]
    assert f"INFO factcheck.verification.journal: run 1 {SOME_FAILED}: 3 source(s) checked" in run


def test_json_log_lines_each_parse_with_the_source_fields(
    cli: Callable[..., Result], sources: dict[str, str]
) -> None:
    result = cli("-v", "verify", env={**ENV, "FACTCHECK_LOG_FORMAT": "json"})

    assert result.code == 3, result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    assert all(re.fullmatch(STAMP, e["ts"]) and e["level"] and e["logger"] for e in entries)
    per_source = {e["source"]: e for e in entries if "source" in e}
    assert len(per_source) == len([e for e in entries if "source" in e]) == 3
    good, broken = per_source["good"], per_source["broken"]
    assert {k: good[k] for k in ("url", "status", "error_code", "bytes", "charset", "body")} == {
        "url": sources["good"],
        "status": 200,
        "error_code": "ok",
        "bytes": 23,
        "charset": "utf-8",
        "body": "parsed",
    }
    assert isinstance(good["ms"], int) and good["run"] == 1
    assert (broken["status"], broken["error_code"], broken["url"]) == (
        503,
        "http_status",
        sources["broken"],
    )
    (run,) = [e for e in entries if "outcome" in e]
    assert (run["outcome"], run["sources"], run["failed"]) == (SOME_FAILED, 3, 2)


def test_libraries_stay_quiet_at_v_and_speak_at_vvv(
    cli: Callable[..., Result], sources: dict[str, str]
) -> None:
    quiet = cli("-v", "verify", env=ENV)
    loud = cli("-vvv", "verify", "--all", env=ENV)

    assert quiet.code == loud.code == 3
    assert not re.search(r" (alembic|urllib3|sqlalchemy|apscheduler)[.:]", quiet.stderr)
    # (Alembic, the other library that spoke here, is no longer loaded for a database at head)
    assert re.search(rf"^{STAMP} DEBUG urllib3\.connectionpool: ", loud.stderr, re.M)
    assert "alembic" not in loud.stderr


def test_the_outcome_reads_the_same_in_verify_run_now_and_status(
    cli: Callable[..., Result], sources: dict[str, str]
) -> None:
    verified = cli("verify", env=ENV)
    ran = cli("schedule", "run-now", "--all", env=ENV)
    ran_json = cli("schedule", "run-now", "--all", "--json", env=ENV)
    status = cli("schedule", "status")
    status_json = cli("schedule", "status", "--json")

    assert (verified.code, ran.code, ran_json.code, status.code) == (3, 3, 3, 0)
    assert f"run 1 {SOME_FAILED}: 3 source(s) checked" in verified.stderr
    assert f"run 2 {SOME_FAILED}: 3 source(s) checked" in ran.stderr
    assert ran_json.json()["outcome"] == SOME_FAILED  # type: ignore[index]
    (last,) = [line for line in status.stdout.splitlines() if line.startswith("last run")]
    assert f"#3 manual {SOME_FAILED}, " in last
    assert status_json.json()["last_run"]["outcome"] == SOME_FAILED  # type: ignore[index]
    # one line per failed source, by key and URL, with its status and code
    for text in (verified.stderr, ran.stderr):
        failed = [line for line in text.splitlines() if line.startswith("failed: ")]
        assert len(failed) == 2
        assert any(
            line.startswith(f"failed: broken (http_status, HTTP 503) {sources['broken']}: ")
            for line in failed
        )
        assert any(
            line.startswith(f"failed: offline (connection) {sources['offline']}: cannot fetch ")
            for line in failed
        )


@pytest.mark.parametrize("verbose", [(), ("-v",)], ids=["plain", "verbose"])
def test_run_now_says_each_thing_once(
    cli: Callable[..., Result], sources: dict[str, str], verbose: tuple[str, ...]
) -> None:
    result = cli(*verbose, "schedule", "run-now", env=ENV)

    assert result.code == 3, result.stderr
    lines = result.stderr.splitlines()
    assert len([line for line in lines if f"run 1 {SOME_FAILED}" in line]) == 1
    for key in sources:
        about = [line for line in lines if f" {key} " in line or f"source {key}:" in line]
        assert len(about) == (1 if verbose or key != "good" else 0), about
    rows = result.stdout.splitlines()
    assert rows[0] == COLUMNS and len(rows) == 4


def test_the_scheduler_logs_each_line_once_with_a_timestamp(
    database: DatabaseUnderTest, tmp_path: Path, sources: dict[str, str]
) -> None:
    child = Child(
        "schedule", db_url=database.url, cwd=tmp_path, env={"FACTCHECK_CONNECT_TIMEOUT_S": "2"}
    )
    try:
        child.wait_for(f"run 1 {SOME_FAILED}")  # the catch-up run at start
        child.signal(signal.SIGTERM)
        code = child.finish()
    finally:
        if child.proc.poll() is None:
            child.kill()
            child.finish()
    assert code == 0, child.seen
    assert all(re.match(rf"{STAMP} [A-Z]+ factcheck\.", line) for line in child.seen), child.seen
    for once in (
        "scheduler started",
        f"run 1 {SOME_FAILED}",
        "SIGTERM: stopping",
        "scheduler stopped",
    ):
        assert len([line for line in child.seen if once in line]) == 1, (once, child.seen)
    found = source_lines("\n".join(child.seen))
    assert sorted(found) == ["broken", "good", "offline"]
    assert all(len(matches) == 1 for matches in found.values())


def test_verify_in_a_pipe_is_tsv_with_whole_urls_and_progress_only_in_the_log(
    cli: Callable[..., Result], pages: PageServer, database: DatabaseUnderTest, tmp_path: Path
) -> None:
    long_url = pages.url(f"/page/{'a-very-long-path-segment-' * 8}{uuid.uuid4().hex}")
    declare(database, tmp_path, {"gone": long_url})

    result = cli("-v", "verify", env=ENV)

    assert result.code == 3
    assert result.stdout.splitlines()[0] == COLUMNS
    (row,) = result.stdout.splitlines()[1:]
    assert row.split("\t")[:2] == ["claim-gone", "not_enough_info"]
    assert "…" not in result.stdout
    assert f"url={long_url} status=404 error_code=http_status" in result.stderr
    assert re.search(
        rf"^{STAMP} INFO factcheck\.progress: sources: done, 1/1 sources", result.stderr, re.M
    )
    plain = cli("verify", "--all", env=ENV)
    assert (
        f"failed: gone (http_status, HTTP 404) {long_url}: HTTP 404 from {long_url}" in plain.stderr
    )


def test_demo_piped_is_tsv_whose_cells_are_the_json_values() -> None:
    piped = run_cli("demo")
    as_json = run_cli("demo", "--json")

    assert piped.code == as_json.code == 0, piped.stderr
    header, *rows = piped.stdout.splitlines()
    assert header == COLUMNS
    claims = {c["key"]: c for c in as_json.json()["claims"]}  # type: ignore[index]
    assert len(rows) == len(claims) == 8
    for row in rows:
        key, verdict, _was, confidence, _freshness, _editor, reason = row.split("\t")
        assert (verdict, confidence, reason) == (
            claims[key]["label"],
            claims[key]["confidence"],
            claims[key]["reason"],
        )
    assert as_json.json()["demo"]["pages"] == 8  # type: ignore[index]


def test_progress_draws_on_a_terminal_stderr_and_never_on_stdout(tmp_path: Path) -> None:
    main, side = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
    with subprocess.Popen(
        [factcheck_bin(), "demo", "--sources", str(REPO / "sources")],
        stdout=subprocess.PIPE,
        stderr=side,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
        env={**env, "COLUMNS": "120", "TERM": "xterm"},
    ) as done:
        os.close(side)
        drawn = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed its side
                break
            if not chunk:
                break
            drawn += chunk
        os.close(main)
        stdout, _ = done.communicate(timeout=60)
    assert done.returncode == 0
    assert "━" in drawn.decode("utf-8", "replace")  # the bar, on the terminal
    header, *rows = stdout.decode().splitlines()
    assert header == COLUMNS and len(rows) == 8
    assert all(row.count("\t") == 6 for row in rows)
    assert "\x1b" not in stdout.decode() and "━" not in stdout.decode()


def test_a_refused_host_fails_its_source_by_the_source_url_not_its_robots_txt(
    pages: PageServer,
) -> None:
    from factcheck.config import Settings
    from factcheck.domain import SourceFormat
    from factcheck.errors import BlockedAddressError
    from factcheck.fetching.fetcher import Fetcher

    url = pages.url("/page/anything")
    settings = Settings(user_agent=UA, allow_loopback=False, obey_robots=True, retries=0)
    with Fetcher(settings) as fetcher, pytest.raises(BlockedAddressError) as caught:
        fetcher.fetch(url, fmt=SourceFormat.HTML)
    assert str(caught.value) == (
        f"refused {url}: host 127.0.0.1 resolves to 127.0.0.1, which is loopback"
    )
