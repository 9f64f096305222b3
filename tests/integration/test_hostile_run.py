"""The night survives every hostile page (issue 9): one real verification run whose sources are
one healthy page per claim plus one source per hostile behaviour of tests/servers.py.

The run ends `succeeded`, every healthy source has its evidence and every claim its verdict,
and each hostile source has evidence with the error code that names what went wrong. The run is
made once per backend (`module_database`; under xdist, once per worker that takes a case) and
each case is a test of its own, so that a failure names its behaviour.

Three cases that once held the GIL for minutes or took gigabytes (a backtracking regex over
10 MB of digits, 2,000,000 JSON records, 250,000 HTML matches) each run in a child process under
an address-space limit (the memory bound) and a timeout, so that they fail as a test, not as
the machine; on SQLite only, since what they bound does not touch the database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
from sqlmodel import col, select

from factcheck.config import Settings
from factcheck.domain import RunStatus
from factcheck.storage.db import session_scope
from factcheck.storage.models import Claim, Evidence, Source, Verdict
from factcheck.verification.pipeline import run_verification
from tests.servers import PageServer, closed_port_url
from tests.support import DatabaseUnderTest, FastSettings, cli_env, seed

HEALTHY = "The model has 405B parameters."
SIZE_RULE = ("regex", r"(?P<value>\d+B) parameters", "text")
CHILD_MEMORY_BYTES = 1536 * 1024 * 1024  # RLIMIT_AS of a child run: the bound under test
CHILD_TIMEOUT_S = 30  # each should take seconds once bounded: 5x margin or more


@dataclass(frozen=True)
class Case:
    name: str
    path: str  # on the page server; "closed-port" and "robots-trickle" are special
    fmt: str
    rule_kind: str
    rule: str
    expect: str  # an error code, "ok" (decoded via fallback), "cleaned" (U+FFFD) or "capped"


HTML_P = ("html", "css", "p")
CASES = [
    *(
        Case(f"charset-{name}", f"charset/{name}", *HTML_P, "ok")
        for name in ("rot-13", "base64", "idna")
    ),
    Case(
        "json-surrogate",
        "json/surrogate",
        "json",
        "json_path",
        "$.model.size",
        "cleaned",
    ),
    Case(
        "json-nul",
        "json/nul",
        "json",
        "json_path",
        "$.model.size",
        "cleaned",
    ),
    Case(
        "json-deep",
        "json/deep/1000",
        "json",
        "json_path",
        "$[0]",
        "parse_error",
    ),
    Case(
        "html-deep",
        "html/deep/100000",
        "html",
        "css",
        "div",
        "parse_error",
    ),
    *(
        Case(
            f"redirect-{name}",
            f"redirect/{name}",
            *HTML_P,
            "invalid_redirect",
        )
        for name in ("bad-port", "bad-ipv6", "bad-idna")
    ),
    *(
        Case(
            f"trickle-{name}",
            f"trickle/{name}/20",
            *SIZE_RULE[2:],
            *SIZE_RULE[:2],
            "timeout",
        )
        for name in ("length", "close", "chunk")
    ),
    Case(
        "robots-trickle",
        "robots-trickle",
        "text",
        *SIZE_RULE[:2],
        "timeout",
    ),
    Case(
        "closed-port",
        "closed-port",
        "text",
        *SIZE_RULE[:2],
        "connection",
    ),
]
CHILD_CASES = [
    Case(
        "digits-regex",
        "digits/10000000",
        "text",
        "regex",
        r"(?P<value>\d+ million) users",
        "bounded_regex",
    ),
    Case(
        "json-records",
        "json/records/2000000",
        "json",
        "json_path",
        "$.models[*].p",
        "capped",
    ),
    Case("html-matches", "html/matches/250000", "html", "css", "b", "capped"),
]


def _param(case: Case) -> object:
    return pytest.param(case, id=case.name)


def _url(case: Case, pages: PageServer, robots_server: PageServer) -> str:
    if case.path == "closed-port":
        return closed_port_url()
    if case.path == "robots-trickle":
        return robots_server.url("page/anything")
    return pages.url(case.path)


def _declare(
    database: DatabaseUnderTest,
    folder: Path,
    cases: list[Case],
    pages: PageServer,
    robots_server: PageServer,
) -> None:
    """Per case: a claim, its healthy page and the hostile source, each linked by a rule."""
    entries = []
    for case in cases:
        healthy = pages.put(f"healthy-{case.name}", HEALTHY, "text/plain")
        entries.append(
            f"""
[[source]]
key = "healthy-{case.name}"
url = "{healthy}"
format = "text"

[[source]]
key = "hostile-{case.name}"
url = "{_url(case, pages, robots_server)}"
format = "{case.fmt}"

[[claim]]
key = "claim-{case.name}"
statement = "The model has 405B parameters."
kind = "quantity"
expected = "405e9"
unit = "parameters"

  [[claim.evidence]]
  source = "healthy-{case.name}"
  rule_kind = "{SIZE_RULE[0]}"
  rule = '{SIZE_RULE[1]}'
  options = {{ unit = "parameters" }}

  [[claim.evidence]]
  source = "hostile-{case.name}"
  rule_kind = "{case.rule_kind}"
  rule = '{case.rule}'
  options = {{ unit = "parameters" }}
"""
        )
    path = folder / "hostile.toml"
    path.write_text("".join(entries), encoding="utf-8")
    seed(database, path)


@dataclass(frozen=True)
class Night:
    status: str
    evidence: dict[str, list[Evidence]]  # source key -> its evidence rows
    verdicts: dict[str, int]  # claim key -> how many verdicts


def _read_night(database: DatabaseUnderTest, status: str) -> Night:
    evidence: dict[str, list[Evidence]] = {}
    verdicts: dict[str, int] = {}
    with session_scope(database.engine) as session:
        for row, key in session.exec(
            select(Evidence, Source.key).join(Source, col(Source.id) == Evidence.source_id)
        ):
            session.expunge(row)
            evidence.setdefault(key, []).append(row)
        for key in session.exec(select(Claim.key).join(Verdict, col(Verdict.claim_id) == Claim.id)):
            verdicts[key] = verdicts.get(key, 0) + 1
    return Night(status=status, evidence=evidence, verdicts=verdicts)


def _night_settings(fast_settings: FastSettings, database: DatabaseUnderTest) -> Settings:
    return fast_settings(
        database_url=database.url,
        obey_robots=True,  # so that a trickling robots.txt is asked
        # long enough that a healthy page is never late on a loaded machine (the hostile pages
        # hold a worker's GIL while they are parsed), short of the 20 s trickles
        source_deadline_s=8.0,
        read_timeout_s=8.0,
        workers=8,
        per_host_concurrency=8,
    )


@pytest.fixture(scope="module")
def night(
    module_database: DatabaseUnderTest,
    pages: PageServer,
    fast_settings: FastSettings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Night]:
    """One run over every case, on a database of its own per backend."""
    robots_server = PageServer(trickle_robots=True)
    try:
        _declare(module_database, tmp_path_factory.mktemp("night"), CASES, pages, robots_server)
        try:
            summary = run_verification(
                engine=module_database.engine,
                settings=_night_settings(fast_settings, module_database),
            )
            status = str(summary.status)
        except Exception as exc:  # today a hostile source can fail the run: a result here
            status = f"raised {type(exc).__name__}: {exc}"
        yield _read_night(module_database, status)
    finally:
        robots_server.close()


def _assert_healthy(night: Night, cases: list[Case]) -> None:
    for case in cases:
        rows = night.evidence.get(f"healthy-{case.name}", [])
        assert [(r.error_code, r.value) for r in rows] == [(None, "405000000000")], (
            case.name,
            [r.error_message for r in rows],
        )
        assert night.verdicts.get(f"claim-{case.name}", 0) >= 1, case.name


def _assert_case(night: Night, case: Case) -> None:
    rows = night.evidence.get(f"hostile-{case.name}", [])
    assert len(rows) == 1, f"{case.name}: {night.status}"
    row = rows[0]
    if case.expect == "ok":
        assert (row.error_code, row.value) == (None, "405000000000"), row.error_message
    elif case.expect == "cleaned":
        # good evidence: the figure is read, and nothing unstorable reaches the database
        assert (row.error_code, row.value) == (None, "405000000000"), row.error_message
        stored = json.dumps([row.raw, row.excerpt, row.hits], ensure_ascii=False)
        assert "\x00" not in stored and "\ud800" not in stored
        assert "\ufffd" in stored or "U+FFFD" in (row.error_message or ""), row.error_message
    elif case.expect == "bounded_regex":
        # the regex package either proves there is no match at once (the required " million"
        # is nowhere) or runs out of its budget; the text it searched is cut, and says so
        assert row.error_code in ("rule_timeout", "rule_no_match"), row.error_message
        if row.error_code == "rule_no_match":
            assert "searched the first 2,000,000" in (row.error_message or "")
    elif case.expect == "capped":
        assert row.error_code == "too_many_hits" or (
            row.error_code is None and 0 < len(row.hits) <= 10_000
        ), (row.error_code, len(row.hits))
    else:
        assert row.error_code == case.expect, (row.error_code, row.error_message)


def test_the_run_succeeds_and_every_claim_has_its_healthy_evidence(night: Night) -> None:
    assert night.status == RunStatus.SUCCEEDED
    _assert_healthy(night, CASES)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_the_hostile_source_has_its_error_code(night: Night, case: Case) -> None:
    _assert_case(night, case)


# --- the cases that take minutes or gigabytes today: each in a child process -------------------

CHILD = """
import json, resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from factcheck.config import Settings
from factcheck.storage.db import make_engine
from factcheck.verification.pipeline import run_verification
settings = Settings(**json.loads(sys.argv[2]))
summary = run_verification(engine=make_engine(settings.database_url), settings=settings)
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"status": str(summary.status), "peak_kib": peak_kib}))
"""


# SQLite only: what is bounded here is fetching and extraction, the same on both backends, and
# today each of these costs a minute or more
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", [_param(case) for case in CHILD_CASES])
def test_a_page_that_costs_minutes_or_gigabytes_is_bounded(
    database: DatabaseUnderTest,
    pages: PageServer,
    fast_settings: FastSettings,
    tmp_path: Path,
    case: Case,
) -> None:
    _declare(database, tmp_path, [case], pages, pages)
    settings = asdict(_night_settings(fast_settings, database))
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(CHILD_MEMORY_BYTES), json.dumps(settings)],
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            env={**cli_env(), "MALLOC_ARENA_MAX": "2"},  # glibc arenas count against AS
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case.name}: the run took more than {CHILD_TIMEOUT_S} s")
    assert done.returncode == 0, done.stderr[-2000:]  # a MemoryError past the limit fails here
    report = json.loads(done.stdout.splitlines()[-1])
    night = _read_night(database, report["status"])
    assert night.status == RunStatus.SUCCEEDED
    _assert_healthy(night, [case])
    _assert_case(night, case)
