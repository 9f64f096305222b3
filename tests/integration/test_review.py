"""Editors over the machine, through real nightly runs, on every database backend.

A page served on 127.0.0.1 first says 405B (the claim holds), then 300B (it does not). An
editor's override must survive the runs, the system's verdicts must keep being recorded, and a
run that disagrees with the override must put the claim in the review queue.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlmodel import select

from factcheck.declarations.inputs import validate_claim, validate_source
from factcheck.domain import SourceFormat, Trigger
from factcheck.editorial import overrides, review
from factcheck.editorial.history import claim_history
from factcheck.errors import ValidationError
from factcheck.storage import catalog, db, verdicts
from factcheck.storage.models import (
    Claim,
    Evidence,
    Review,
    Run,
    Snapshot,
    Verdict,
    WebhookDelivery,
)
from factcheck.verification import runner
from factcheck.verification.pipeline import run_verification
from tests.support import DatabaseUnderTest, Result, make_fast_settings

SETTINGS = make_fast_settings()
DAY1 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
PAGE_405 = "# Model card\n\nLlama 3.1 405B: 405B parameters, trained on 15T tokens.\n"
PAGE_300 = "# Model card\n\nLlama 3.1 405B: 300B parameters, trained on 15T tokens.\n"


@pytest.fixture
def site(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver
    httpserver.clear()


def serve(site: HTTPServer, body: str) -> None:
    site.clear()
    site.expect_request("/card.md").respond_with_data(body, content_type="text/markdown")


def declare(database: DatabaseUnderTest, site: HTTPServer) -> None:
    with db.session_scope(database.engine) as session:
        catalog.add_source(
            session=session,
            spec=validate_source(
                {"key": "card", "url": site.url_for("/card.md"), "format": "text"}
            ),
            now=DAY1,
        )
        spec = validate_claim(
            {
                "key": "size-405b",
                "statement": "这是我们首次发布 4050 亿个参数的模型",
                "language": "zh",
                "kind": "quantity",
                "expected": "405e9",
                "unit": "parameters",
                "evidence": [
                    {
                        "source": "card",
                        "rule_kind": "regex",
                        "rule": r"(?P<value>\d+B) parameters",
                        "options": {"unit": "parameters"},
                        "authoritative": True,
                    }
                ],
            },
            source_formats={"card": SourceFormat.TEXT},
        )
        catalog.add_claim(session=session, spec=spec, now=DAY1)


def nightly(database: DatabaseUnderTest, at: datetime) -> None:
    run_verification(engine=database.engine, settings=SETTINGS, force=True, clock=lambda: at)


def standing(database: DatabaseUnderTest) -> Verdict:
    with db.session_scope(database.engine) as session:
        claim = catalog.get_claim(session=session, key="size-405b")
        return verdicts.effective_verdicts(session=session, claim_ids=[claim.id or 0])[
            claim.id or 0
        ]


def history(database: DatabaseUnderTest) -> list[tuple[str, str]]:
    with db.session_scope(database.engine) as session:
        claim = catalog.get_claim(session=session, key="size-405b")
        return [
            (v.set_by, v.label)
            for v in verdicts.verdict_history(session=session, claim_id=claim.id or 0)
        ]


def queue(database: DatabaseUnderTest, at: datetime) -> dict[str, list[str]]:
    with db.session_scope(database.engine) as session:
        items = review.review_queue(session=session, settings=SETTINGS, now=at)
    return {item.key: [r.code for r in item.reasons] for item in items}


def test_override_survives_nightly_runs_and_contradiction_goes_to_review(
    database: DatabaseUnderTest, site: HTTPServer
) -> None:
    declare(database, site)
    serve(site, PAGE_405)
    nightly(database, DAY1)
    assert standing(database).label == "supported" and queue(database, DAY1) == {}

    with db.session_scope(database.engine) as session:
        overrides.set_override(
            session=session,
            key="size-405b",
            label="mixed",
            editor="Ann",
            note="405B is the largest size; the claim hides the others",
            now=DAY1 + timedelta(hours=1),
        )
    day2 = DAY1 + timedelta(days=1)
    # same page, same day (a verdict's figures carry the evidence date): nothing new
    nightly(database, DAY1 + timedelta(hours=2))
    assert standing(database).set_by == "editor" and standing(database).label == "mixed"
    assert history(database) == [("system", "supported"), ("editor", "mixed")]
    assert queue(database, day2) == {"size-405b": ["mixed"]}  # a mixed verdict needs a human
    with db.session_scope(database.engine) as session:
        review.mark_reviewed(session=session, key="size-405b", note="ok", editor="Ann", now=day2)
    assert queue(database, day2) == {}

    serve(site, PAGE_300)
    day3 = day2 + timedelta(days=1)
    nightly(database, day3)  # new evidence: the system now says refuted
    verdict = standing(database)
    assert verdict.set_by == "editor" and verdict.label == "mixed" and verdict.editor == "Ann"
    assert history(database) == [
        ("system", "supported"),
        ("editor", "mixed"),
        ("system", "refuted"),
    ]
    assert queue(database, day3) == {"size-405b": ["flipped", "contradicted"]}
    with db.session_scope(database.engine) as session:
        items = review.review_queue(session=session, settings=SETTINGS, now=day3)
    reasons = {r.code: r.detail for r in items[0].reasons}
    assert "editor Ann says mixed; the system now says refuted" in reasons["contradicted"]
    assert "supported -> refuted" in reasons["flipped"]

    with db.session_scope(database.engine) as session:
        overrides.lift_override(
            session=session, key="size-405b", editor="Ann", note="the card changed", now=day3
        )
    lifted = standing(database)
    assert (lifted.set_by, lifted.label) == ("system", "refuted")
    assert history(database)[-1] == ("editor", "refuted")  # the lift row, appended
    with db.session_scope(database.engine) as session, pytest.raises(ValidationError):
        overrides.lift_override(
            session=session, key="size-405b", editor="Ann", note="again", now=day3
        )

    with db.session_scope(database.engine) as session:
        events = claim_history(session=session, key="size-405b")
    # every row carries this test's clock; evidence left out here, checked below
    assert [(e.kind, e.by.split(" (")[0]) for e in events if e.kind != "evidence"] == [
        ("verdict", "system"),
        ("override", "editor Ann"),
        ("review", "editor Ann"),
        ("verdict", "system"),
        ("lift", "editor Ann"),
    ]
    found = [e for e in events if e.kind == "evidence"]
    assert [e.detail["value"] for e in found] == ["405000000000", "405000000000", "300000000000"]
    assert {e.by.split(" (")[0] for e in found} == {"source card"}
    assert found[1].detail["reused_from"] == found[0].detail["evidence_id"]  # unchanged page


def test_stale_and_overdue_need_a_human_until_reviewed(
    database: DatabaseUnderTest, site: HTTPServer
) -> None:
    declare(database, site)
    serve(site, PAGE_405)
    start = datetime.now(UTC)  # staleness counts from the real fetch time
    nightly(database, start)
    with db.session_scope(database.engine) as session:
        prediction = validate_claim(
            {
                "key": "open-weights-by-2026",
                "statement": "We will release open weights by 2026.",
                "kind": "prediction",
                "inner_kind": "text",
                "due": (start - timedelta(days=1)).date().isoformat(),
            }
        )
        catalog.add_claim(session=session, spec=prediction, now=start)
    late = start + timedelta(days=SETTINGS.stale_after_days + 1)
    assert queue(database, late) == {
        "open-weights-by-2026": ["overdue"],
        "size-405b": ["stale"],
    }
    with db.session_scope(database.engine) as session:
        for key in ("open-weights-by-2026", "size-405b"):
            review.mark_reviewed(session=session, key=key, note="seen", now=late)
    assert queue(database, late) == {}
    with db.session_scope(database.engine) as session:  # retired claims are not reviewed
        claim = session.get(Claim, catalog.get_claim(session=session, key="size-405b").id)
        assert claim is not None
        catalog.retire_claim(session=session, claim=claim, now=late)
    assert queue(database, late + timedelta(days=30)) == {}


def ok(result: Result) -> Result:
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def test_editor_commands(cli, database: DatabaseUnderTest, site: HTTPServer) -> None:
    declare(database, site)
    ok(
        cli(
            "verdict",
            "set",
            "size-405b",
            "refuted",
            "--note",
            "=not 405B",
            "--editor",
            "Ann",
            subprocess=True,
        )
    )
    assert standing(database).label == "refuted"
    with db.session_scope(database.engine) as session, pytest.raises(ValidationError):
        overrides.set_override(
            session=session, key="size-405b", label="wrong", editor="A", note="x", now=DAY1
        )
    listed = ok(cli("review", "--json")).json()
    assert listed == []  # an override alone, never judged: nothing to review yet
    ok(cli("review", "done", "size-405b", "--note", "checked the card", "--editor", "Bo"))
    events = ok(cli("claim", "history", "size-405b", "--json")).json()
    assert [(e["kind"], e["by"]) for e in events] == [
        ("override", "editor Ann"),
        ("review", "editor Bo"),
    ]
    assert events[0]["note"] == "=not 405B" and events[1]["summary"] == "checked the card"
    ok(cli("verdict", "clear", "size-405b", "--note", "too hasty", "--editor", "Ann"))
    with db.session_scope(database.engine) as session:
        claim = catalog.get_claim(session=session, key="size-405b")
        assert verdicts.effective_verdicts(session=session, claim_ids=[claim.id or 0]) == {}


def test_rows_carry_the_time_they_are_given(database: DatabaseUnderTest, site: HTTPServer) -> None:
    """`now` (a run's `clock`) is the only clock: no row takes the wall clock behind its back."""
    fixed = datetime(2031, 7, 4, 12, 30, 15, tzinfo=UTC)
    declare(database, site)
    settings = dataclasses.replace(
        SETTINGS,
        database_url=database.url,
        webhook_url=site.url_for("/hook"),
        webhook_allow_private=True,  # the receiver is on loopback
    )
    for page in (PAGE_405, PAGE_300):  # the second run flips the verdict: a webhook notice
        serve(site, page)
        site.expect_request("/hook", method="POST").respond_with_data("")
        report = runner.run_locked(
            engine=database.engine,
            settings=settings,
            trigger=Trigger.MANUAL,
            force=True,
            clock=lambda: fixed,
            sleep=lambda _s: None,
        )
    assert report.notice.delivery_status == "delivered"
    with db.session_scope(database.engine) as session:
        done = review.mark_reviewed(session=session, key="size-405b", note="seen", now=fixed)
        assert done.reviewed_at == fixed
    with db.session_scope(database.engine) as session:
        stamps = {
            "run": {t for r in session.exec(select(Run)) for t in (r.started_at, r.finished_at)},
            "snapshot": {s.created_at for s in session.exec(select(Snapshot))},
            "evidence": {e.fetched_at for e in session.exec(select(Evidence))},
            "verdict": {v.created_at for v in session.exec(select(Verdict))},
            "review": {r.reviewed_at for r in session.exec(select(Review))},
            "delivery": {
                t
                for d in session.exec(select(WebhookDelivery))
                for t in (d.created_at, d.delivered_at)
            },
        }
    assert stamps == {kind: {fixed} for kind in stamps}
