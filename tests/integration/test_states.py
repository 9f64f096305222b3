"""States a person can trust, through real `verify` runs against pages on 127.0.0.1, on every
database backend: a claim never checked is `never_checked` (not stale, not in the review queue),
one checked without good evidence is `no_evidence` (in the queue until reviewed); a source
shows its last status, last error, last good fetch and next due time."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from factcheck.config import Settings
from factcheck.editorial import review
from factcheck.storage import catalog, db, freshness
from tests.servers import PageServer
from tests.support import DatabaseUnderTest, Result

# The CLI reads its settings from the environment: loopback pages, no pacing, no retries.
CLI_ENV = {
    "FACTCHECK_ALLOW_LOOPBACK": "true",
    "FACTCHECK_OBEY_ROBOTS": "false",
    "FACTCHECK_PER_HOST_DELAY_S": "0",
    "FACTCHECK_RETRIES": "0",
    "FACTCHECK_READ_TIMEOUT_S": "2",
}
PAGE = "<html><body><p id='size'>405B</p></body></html>"


def _declare(path: Path, good_url: str, bad_url: str) -> Path:
    """Two sources; `size` reads the good one, `gone` the failing one, `missing` the good one
    with a rule that finds nothing there."""
    claims = [("size", "good", "#size"), ("gone", "bad", "#size"), ("missing", "good", "#nope")]
    text = "".join(
        f'[[source]]\nkey = "{key}"\nurl = "{url}"\nformat = "html"\nrecheck_hours = 24\n\n'
        for key, url in (("good", good_url), ("bad", bad_url))
    )
    text += "".join(
        f'[[claim]]\nkey = "{key}"\nstatement = "405B"\nkind = "quantity"\nexpected = "405e9"\n'
        f'unit = "parameters"\n  [[claim.evidence]]\n  source = "{source}"\n'
        f'  rule_kind = "css"\n  rule = "{rule}"\n  options = {{ unit = "parameters" }}\n\n'
        for key, source, rule in claims
    )
    path.write_text(text, encoding="utf-8")
    return path


def _json(result: Result) -> Any:
    assert result.code == 0, result.stderr
    return result.json()


def _by_key(rows: Any) -> dict[str, Any]:
    return {row["key"]: row for row in rows}


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def _setup(
    cli: Callable[..., Result], pages: PageServer, tmp_path: Path, backend: str
) -> tuple[str, str]:
    name = f"states-{backend}-{tmp_path.name}"
    good_url = pages.put(name, PAGE)
    bad_url = pages.url("/status/503")
    imported = cli("import", str(_declare(tmp_path / "states.toml", good_url, bad_url)))
    assert imported.code == 0, imported.stderr
    return name, good_url


def test_a_claim_never_checked_is_its_own_state_not_stale(
    database: DatabaseUnderTest, pages: PageServer, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    _setup(cli, pages, tmp_path, database.backend)
    before = _by_key(_json(cli("claim", "list", "--json")))
    assert {k: (r["freshness"], r["stale"]) for k, r in before.items()} == {
        "gone": ("never_checked", False),
        "missing": ("never_checked", False),
        "size": ("never_checked", False),
    }
    ran = cli("verify", env=CLI_ENV)
    assert ran.code == 3, ran.stderr  # ran; the failing source failed
    lines = [line.split("\t") for line in ran.stdout.splitlines()]
    column = lines[0].index("freshness")
    assert {row[0]: row[column] for row in lines[1:]} == {
        "gone": "no_evidence",
        "missing": "no_evidence",
        "size": "fresh",
    }

    after = _by_key(_json(cli("claim", "list", "--json")))
    assert after["size"]["freshness"] == "fresh" and after["size"]["stale"] is False
    # Checked, but never any good evidence (a failing source; a rule that finds nothing): not
    # "never checked", not stale, and in the review queue once, for a human to look at.
    assert after["gone"]["freshness"] == "no_evidence"  # every fetch failed
    assert after["missing"]["freshness"] == "no_evidence"  # fetched, but no evidence found
    shown = _json(cli("claim", "show", "gone", "--json"))
    assert (shown["freshness"], shown["stale"]) == ("no_evidence", False)
    queued = {item["key"]: item for item in _json(cli("review", "--json"))}
    assert sorted(queued) == ["gone", "missing"]
    assert [r["code"] for r in queued["gone"]["reasons"]] == ["no_evidence"]
    assert cli("review", "done", "gone", "--note", "source down", "--editor", "Ann").code == 0
    assert sorted(item["key"] for item in _json(cli("review", "--json"))) == ["missing"]

    exported = cli("export", "claims")
    assert exported.code == 0, exported.stderr
    rows = _by_key(csv.DictReader(io.StringIO(exported.stdout.lstrip("\ufeff"))))
    assert {k: (r["freshness"], r["stale"]) for k, r in rows.items()} == {
        "gone": ("no_evidence", "false"),
        "missing": ("no_evidence", "false"),
        "size": ("fresh", "false"),
    }

    # Ten days on, nothing fetched since: the claim with good evidence is stale and queued; the
    # others are still without evidence, and the reviewed one stays cleared.
    later = datetime.fromisoformat(after["size"]["updated_at"]) + timedelta(days=10)
    with db.session_scope(database.engine) as session:
        ids = {
            c.key: c.id
            for c in (r.claim for r in catalog.list_claims(session=session, settings=Settings()))
        }
        fresh = freshness.claim_freshness(
            session=session, claim_ids=ids.values(), settings=Settings(), now=later
        )
        queue = review.review_queue(session=session, settings=Settings(), now=later)
    assert {k: fresh[i] for k, i in ids.items()} == {
        "gone": "no_evidence",
        "missing": "no_evidence",
        "size": "stale",
    }
    assert sorted((item.key, [r.code for r in item.reasons]) for item in queue) == [
        ("missing", ["no_evidence"]),
        ("size", ["stale"]),
    ]
    assert {item.key: item.record()["freshness"] for item in queue}["size"] == "stale"


def test_sources_show_last_status_error_good_fetch_and_next_due(
    database: DatabaseUnderTest, pages: PageServer, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    name, _ = _setup(cli, pages, tmp_path, database.backend)
    never = _by_key(_json(cli("source", "list", "--json")))
    for key in ("good", "bad"):
        assert {k: never[key][k] for k in ("last_status", "last_error")} == {
            "last_status": None,
            "last_error": None,
        }
        assert never[key]["last_good_fetch_at"] is None and never[key]["next_due_at"] is None

    assert cli("verify", env=CLI_ENV).code == 3
    first = _by_key(_json(cli("source", "list", "--json")))
    good, bad = first["good"], first["bad"]
    assert (good["last_status"], good["last_error"]) == (200, None)  # `missing` found nothing:
    fetched = _at(good["last_good_fetch_at"])  # a rule's miss is not a failed fetch
    assert fetched is not None and fetched == _at(good["last_fetched_at"])
    assert _at(good["next_due_at"]) == fetched + timedelta(hours=24) - timedelta(minutes=5)
    assert bad["last_status"] == 503
    assert bad["last_error"].startswith("http_status: ") and "503" in bad["last_error"]
    assert bad["last_good_fetch_at"] is None and bad["next_due_at"] is None  # due next run
    assert _json(cli("source", "show", "bad", "--json"))["last_error"] == bad["last_error"]

    pages.pages.pop(name)  # the good page goes away: 404 at the next (forced) run
    assert cli("verify", "--all", env=CLI_ENV).code == 3
    shown = _json(cli("source", "show", "good", "--json"))
    assert shown["last_status"] == 404 and shown["last_error"].startswith("http_status: ")
    assert _at(shown["last_good_fetch_at"]) == fetched  # the last good fetch is kept
    assert _at(shown["next_due_at"]) == _at(good["next_due_at"])

    pages.put(name, PAGE)  # back again: the error clears
    assert cli("verify", "--all", env=CLI_ENV).code == 3
    again = _json(cli("source", "show", "good", "--json"))
    assert (again["last_status"], again["last_error"]) == (200, None)
    assert _at(again["last_good_fetch_at"]) > fetched  # type: ignore[operator]


def test_states_of_many_sources_come_from_one_grouped_query(
    database: DatabaseUnderTest,
    pages: PageServer,
    tmp_path: Path,
    cli: Callable[..., Result],
    monkeypatch: Any,
) -> None:
    """A long list reads every source's newest row in one scan; the same states as one by one."""
    _setup(cli, pages, tmp_path, database.backend)
    assert cli("verify", env=CLI_ENV).code == 3
    with db.session_scope(database.engine) as session:
        sources = catalog.list_sources(session=session)
        one_by_one = {
            s.id: freshness.source_states(session=session, sources=[s])[s.id or 0] for s in sources
        }
        monkeypatch.setattr(freshness, "FEW_SOURCES", 0)
        at_once = freshness.source_states(session=session, sources=sources)
    assert at_once == one_by_one
    assert {s.key: at_once[s.id or 0].last_status for s in sources} == {"bad": 503, "good": 200}
