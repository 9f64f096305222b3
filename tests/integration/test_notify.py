"""Verdict-flip notices: the flip query, the log, `factcheck changes`, and the webhook posted
to a real local HTTP server (accepting, failing twice first, failing for good, refusing), or
refused by the SSRF guard before any connection (internal addresses, loopback unless the
webhook's own allow-list admits it). Signed notices are checked with the Standard Webhooks
reference library (`standardwebhooks`), on the bytes the receiver got."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlmodel import col, select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from werkzeug import Request, Response

from factcheck.config import Settings
from factcheck.domain import RunStatus, Trigger
from factcheck.storage.db import session_scope
from factcheck.storage.models import Claim, Run, Verdict, WebhookDelivery
from factcheck.verification import notices, runner
from tests.integration.scheduling import declare
from tests.servers import RawServer, answer_204
from tests.support import DatabaseUnderTest, Result, make_fast_settings

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _claim(session: object, key: str) -> int:
    claim = Claim(key=key, statement=key, kind="quantity")
    session.add(claim)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    return claim.id or 0


def _verdicts(database: DatabaseUnderTest, rows: list[tuple[str, str, str, int]]) -> None:
    """(claim key, label, set_by, day of March) rows, in order; one run per day."""
    with session_scope(database.engine) as session:
        ids: dict[str, int] = {}
        runs: dict[int, int] = {}
        for key, label, set_by, day in rows:
            if key not in ids:
                ids[key] = _claim(session, key)
            stamp = T0 + timedelta(days=day - 1)
            if day not in runs:
                run = Run(trigger="schedule", status="succeeded", started_at=stamp)
                session.add(run)
                session.flush()
                runs[day] = run.id or 0
            session.add(
                Verdict(
                    claim_id=ids[key],
                    run_id=runs[day] if set_by == "system" else None,
                    label=label,
                    confidence="0.9",
                    reason=f"{key} is {label}",
                    set_by=set_by,
                    created_at=stamp,
                )
            )
            session.flush()


def test_a_flip_is_a_system_label_change(database: DatabaseUnderTest) -> None:
    _verdicts(
        database,
        [
            ("a", "supported", "system", 1),  # first verdict: not a flip
            ("b", "supported", "system", 1),
            ("a", "supported", "system", 2),  # same label again (figures moved): not a flip
            ("b", "refuted", "editor", 2),  # an editor's override: not the system's flip
            ("a", "refuted", "system", 3),  # flip
            ("b", "mixed", "system", 3),  # flip (from the system's supported, not the editor's)
            ("a", "supported", "system", 4),  # flip back
        ],
    )
    with session_scope(database.engine) as session:
        found = notices.flips(session=session)
        since_day_4 = notices.flips(session=session, since=T0 + timedelta(days=3))
    assert [(f.claim, f.previous_label, f.label, f.at.day) for f in found] == [
        ("a", "supported", "refuted", 3),
        ("b", "supported", "mixed", 3),
        ("a", "refuted", "supported", 4),
    ]
    assert [(f.claim, f.label) for f in since_day_4] == [("a", "supported")]


def test_changes_command(database: DatabaseUnderTest, cli: Callable[..., Result]) -> None:
    _verdicts(
        database,
        [("a", "supported", "system", 1), ("a", "refuted", "system", 3)],
    )
    result = cli("changes", "--since", "2026-03-02", "--json")
    assert result.code == 0, result.stderr
    assert [(c["claim"], c["previous_label"], c["label"]) for c in result.json()] == [  # type: ignore[union-attr]
        ("a", "supported", "refuted")
    ]
    text = cli("changes", "--since", "2026-03-02T00:00:00+00:00")
    assert "\ta\tsupported\trefuted\ta is refuted\n" in text.stdout
    assert "1 verdict change(s)" in text.stderr
    bad = cli("changes", "--since", "yesterday")
    assert bad.code == 2 and bad.stderr.startswith("error: --since")


# -- end to end: a run that flips, and the webhook ----------------------------------------------


@pytest.fixture
def page(httpserver: HTTPServer) -> dict[str, str]:
    """The model card's text, changed by the test between runs."""
    body = {"text": "It has 405B parameters."}
    httpserver.expect_request("/card.txt").respond_with_handler(
        lambda _request: Response(body["text"], content_type="text/plain")
    )
    return body


class Receiver:
    """A webhook endpoint: answers with `statuses` in turn (then 200), keeps what it got."""

    def __init__(self, server: HTTPServer, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.got: list[tuple[dict[str, object], dict[str, str]]] = []
        self.raw: list[bytes] = []  # the bodies as received, for signature checks
        server.expect_request("/hook", method="POST").respond_with_handler(self.handle)
        self.url = server.url_for("/hook")

    def handle(self, request: Request) -> Response:
        self.raw.append(request.get_data())
        self.got.append((json.loads(self.raw[-1]), dict(request.headers)))
        return Response("", status=self.statuses.pop(0) if self.statuses else 200)


def _run(database: DatabaseUnderTest, settings: Settings, sleeps: list[float]) -> runner.RunReport:
    return runner.run_locked(
        engine=database.engine,
        settings=settings,
        trigger=Trigger.SCHEDULE,
        force=True,
        sleep=sleeps.append,
    )


def _deliveries(database: DatabaseUnderTest) -> list[WebhookDelivery]:
    with session_scope(database.engine) as session:
        return list(session.exec(select(WebhookDelivery).order_by(col(WebhookDelivery.id))))


def _flipping_run(
    database: DatabaseUnderTest,
    httpserver: HTTPServer,
    page: dict[str, str],
    tmp_path: Path,
    statuses: list[int],
    *,
    webhook_allow_private: bool = True,  # the receiver is on loopback
    webhook_secret: str | None = None,
) -> tuple[runner.RunReport, Receiver, list[float]]:
    declare(database, tmp_path, httpserver.url_for("").rstrip("/"), ["card"])
    receiver = Receiver(httpserver, statuses)
    settings = make_fast_settings(
        database_url=database.url,
        webhook_url=receiver.url,
        webhook_allow_private=webhook_allow_private,
        webhook_secret=webhook_secret,
    )
    sleeps: list[float] = []
    first = _run(database, settings, sleeps)  # the claim's first verdict: not a flip
    assert first.notice.flips == [] and receiver.got == []
    page["text"] = "It has 400B parameters."
    return _run(database, settings, sleeps), receiver, sleeps


def test_a_flip_is_logged_and_posted_once(
    database: DatabaseUnderTest,
    httpserver: HTTPServer,
    page: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="factcheck")
    report, receiver, sleeps = _flipping_run(database, httpserver, page, tmp_path, [])
    assert [(f.claim, f.previous_label, f.label) for f in report.notice.flips] == [
        ("claim-card", "supported", "refuted")
    ]
    assert any("verdict changed: claim-card supported -> refuted" in m for m in caplog.messages)
    assert len(receiver.got) == 1 and sleeps == []
    body, headers = receiver.got[0]
    assert body["event"] == notices.EVENT and body["count"] == 1
    assert body["run"]["id"] == report.summary.run_id  # type: ignore[index]
    assert body["changes"][0]["claim"] == "claim-card"  # type: ignore[index]
    assert body["changes"][0]["from"] == "supported" and body["changes"][0]["to"] == "refuted"  # type: ignore[index]
    assert headers["User-Agent"].startswith("factcheck-test/")
    assert headers["Content-Type"] == "application/json"
    # no secret, no signature: none of the Standard Webhooks headers
    assert not [name for name in headers if name.lower().startswith("webhook-")]
    (delivery,) = _deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 1, None)
    assert delivery.run_id == report.summary.run_id and delivery.delivered_at is not None
    assert headers["X-Factcheck-Delivery"] == str(delivery.id)
    # a third run with nothing changed: no notice, no POST, no delivery row
    again = _run(
        database,
        make_fast_settings(
            database_url=database.url, webhook_url=receiver.url, webhook_allow_private=True
        ),
        sleeps,
    )
    assert again.notice.flips == [] and len(receiver.got) == 1 and len(_deliveries(database)) == 1


def test_a_receiver_that_fails_twice_gets_it_on_the_third_try(
    database: DatabaseUnderTest, httpserver: HTTPServer, page: dict[str, str], tmp_path: Path
) -> None:
    report, receiver, sleeps = _flipping_run(database, httpserver, page, tmp_path, [503, 500])
    assert len(receiver.got) == 3
    assert receiver.got[0][0] == receiver.got[2][0]  # the same payload each time
    assert sleeps == [
        notices.WEBHOOK_BACKOFF_S,
        notices.WEBHOOK_BACKOFF_S * 2,
    ]  # backoff, not clock
    (delivery,) = _deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 3, None)
    assert report.notice.delivery_status == "delivered"


# -- signed notices (Standard Webhooks), checked with the reference library --------------------

SECRET = "whsec_" + base64.b64encode(b"a 32-byte key for factcheck test").decode()


def _signature_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("webhook-")}


def test_a_signed_notice_verifies_with_the_reference_library(
    database: DatabaseUnderTest,
    httpserver: HTTPServer,
    page: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, libraries too: the secret is in none
    report, receiver, _sleeps = _flipping_run(
        database, httpserver, page, tmp_path, [], webhook_secret=SECRET
    )
    assert report.notice.delivery_status == "delivered"
    ((body, headers),) = receiver.got
    (raw,) = receiver.raw
    signed = _signature_headers(headers)
    assert sorted(signed) == ["webhook-id", "webhook-signature", "webhook-timestamp"]
    assert signed["webhook-signature"].startswith("v1,")
    stamp = int(signed["webhook-timestamp"])  # integer seconds, and now
    assert abs(stamp - datetime.now(UTC).timestamp()) < 300

    assert Webhook(SECRET).verify(raw, headers) == body  # the exact bytes received
    for forged in (
        raw.replace(b'"refuted"', b'"supported"'),  # a tampered body
        raw + b" ",  # one byte more
    ):
        with pytest.raises(WebhookVerificationError):
            Webhook(SECRET).verify(forged, headers)
    with pytest.raises(WebhookVerificationError):  # another id, the same signature
        Webhook(SECRET).verify(raw, {**signed, "webhook-id": "msg_other"})
    with pytest.raises(WebhookVerificationError):  # another key
        Webhook("whsec_" + base64.b64encode(b"not the key").decode()).verify(raw, headers)

    (delivery,) = _deliveries(database)
    assert signed["webhook-id"] == notices.message_id(delivery)  # made of the row: re-readable
    secret_parts = (SECRET, SECRET.removeprefix("whsec_"), "a 32-byte key")
    stored = f"{delivery.url} {delivery.payload} {delivery.last_error}"
    assert not [p for p in secret_parts if p in caplog.text or p in stored]


def test_retries_keep_the_webhook_id_and_each_attempt_verifies(
    database: DatabaseUnderTest, httpserver: HTTPServer, page: dict[str, str], tmp_path: Path
) -> None:
    _report, receiver, _sleeps = _flipping_run(
        database, httpserver, page, tmp_path, [503, 500], webhook_secret=SECRET
    )
    assert len(receiver.got) == 3
    ids = {_signature_headers(headers)["webhook-id"] for _body, headers in receiver.got}
    assert len(ids) == 1  # one message, three attempts: a receiver can drop duplicates
    for raw, (_body, headers) in zip(receiver.raw, receiver.got, strict=True):
        Webhook(SECRET).verify(raw, headers)
    # the next flip is another message, with another id
    page["text"] = "It has 405B parameters."
    settings = make_fast_settings(
        database_url=database.url,
        webhook_url=receiver.url,
        webhook_allow_private=True,
        webhook_secret=SECRET,
    )
    assert _run(database, settings, []).notice.delivery_status == "delivered"
    assert len(receiver.got) == 4
    latest = receiver.got[-1][1]
    Webhook(SECRET).verify(receiver.raw[-1], latest)
    assert _signature_headers(latest)["webhook-id"] not in ids


def test_a_secret_without_the_prefix_is_its_own_bytes(
    database: DatabaseUnderTest, httpserver: HTTPServer, page: dict[str, str], tmp_path: Path
) -> None:
    secret = "correct-horse-battery"
    _report, receiver, _sleeps = _flipping_run(
        database, httpserver, page, tmp_path, [], webhook_secret=secret
    )
    ((body, headers),) = receiver.got
    # the reference library takes bytes as the key itself...
    assert Webhook(secret.encode()).verify(receiver.raw[0], headers) == body
    # ...and would base64-decode the text (dropping the dashes): not the key factcheck used
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(receiver.raw[0], headers)


def test_a_secret_that_is_not_base64_fails_the_delivery_unsent(
    database: DatabaseUnderTest,
    httpserver: HTTPServer,
    page: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    report, receiver, sleeps = _flipping_run(
        database, httpserver, page, tmp_path, [], webhook_secret="whsec_hunter2!"
    )
    assert report.summary.status is RunStatus.SUCCEEDED  # the run stands; the notice failed
    assert receiver.got == [] and sleeps == []  # never sent unsigned
    (delivery,) = _deliveries(database)
    assert (delivery.status, delivery.attempts) == ("failed", 0)
    assert delivery.last_error == "FACTCHECK_WEBHOOK_SECRET: the part after whsec_ must be base64"
    assert any(delivery.last_error in m for m in caplog.messages)
    assert "hunter2" not in caplog.text


def test_a_receiver_that_keeps_failing_is_recorded_as_failed(
    database: DatabaseUnderTest, httpserver: HTTPServer, page: dict[str, str], tmp_path: Path
) -> None:
    _report, receiver, sleeps = _flipping_run(database, httpserver, page, tmp_path, [500] * 9)
    assert len(receiver.got) == notices.WEBHOOK_ATTEMPTS
    assert len(sleeps) == notices.WEBHOOK_ATTEMPTS - 1
    (delivery,) = _deliveries(database)
    assert (delivery.status, delivery.attempts) == ("failed", notices.WEBHOOK_ATTEMPTS)
    assert delivery.last_error == "HTTP 500"


def test_a_refusing_receiver_is_not_retried(
    database: DatabaseUnderTest, httpserver: HTTPServer, page: dict[str, str], tmp_path: Path
) -> None:
    _report, receiver, sleeps = _flipping_run(database, httpserver, page, tmp_path, [404])
    assert len(receiver.got) == 1 and sleeps == []
    (delivery,) = _deliveries(database)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "HTTP 404")


def test_an_unreachable_receiver_is_retried_then_failed(database: DatabaseUnderTest) -> None:
    with session_scope(database.engine) as session:
        run = Run(trigger="manual", status=RunStatus.SUCCEEDED.value)
        session.add(run)
        session.flush()
        delivery = WebhookDelivery(run_id=run.id or 0, url="http://127.0.0.1:9/hook", payload={})
        session.add(delivery)
        session.flush()
    sleeps: list[float] = []
    done = notices.deliver(
        engine=database.engine,
        settings=Settings(webhook_allow_private=True),
        delivery=delivery,
        attempts=2,
        sleep=sleeps.append,
    )
    assert (done.status, done.attempts) == ("failed", 2) and len(sleeps) == 1
    assert done.last_error is not None and "ConnectionError" in done.last_error


def test_a_malformed_webhook_url_is_not_retried(database: DatabaseUnderTest) -> None:
    with session_scope(database.engine) as session:
        run = Run(trigger="manual", status=RunStatus.SUCCEEDED.value)
        session.add(run)
        session.flush()
        delivery = WebhookDelivery(run_id=run.id or 0, url="hooks.example.org/x", payload={})
        session.add(delivery)
        session.flush()
    sleeps: list[float] = []
    done = notices.deliver(
        engine=database.engine, settings=Settings(), delivery=delivery, sleep=sleeps.append
    )
    assert (done.status, done.attempts, sleeps) == ("failed", 1, [])
    assert done.last_error is not None and done.last_error.startswith("MissingSchema")


# -- the webhook behind the SSRF guard ----------------------------------------------------------


@pytest.fixture
def counting_receiver() -> Iterator[RawServer]:
    """A loopback receiver that answers every POST with 204 and counts its connections."""
    receiver = RawServer(answer_204)
    yield receiver
    receiver.close()


def _deliver(database: DatabaseUnderTest, url: str, settings: Settings) -> WebhookDelivery:
    with session_scope(database.engine) as session:
        run = Run(trigger="manual", status=RunStatus.SUCCEEDED.value)
        session.add(run)
        session.flush()
        delivery = WebhookDelivery(run_id=run.id or 0, url=url, payload={"event": "test"})
        session.add(delivery)
        session.flush()
    sleeps: list[float] = []
    done = notices.deliver(
        engine=database.engine, settings=settings, delivery=delivery, sleep=sleeps.append
    )
    assert sleeps == []  # refused or delivered at once: never retried
    return done


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("10.0.0.1", "10.0.0.1, which is private"),
        ("169.254.169.254", "169.254.169.254, which is link-local"),
        ("192.168.1.1", "192.168.1.1, which is private"),
        ("[fd00::1]", "fd00::1, which is private"),
    ],
)
def test_a_webhook_to_an_internal_address_is_refused_not_sent(
    database: DatabaseUnderTest, host: str, says: str
) -> None:
    url = f"http://{host}/hook"

    done = _deliver(database, url, Settings(webhook_url=url))

    assert (done.status, done.attempts) == ("failed", 1)
    assert done.last_error == (
        f"refused {url}: host {host.strip('[]')} resolves to {says}"
        " (webhook_allow_private admits an internal receiver)"
    )
    (stored,) = _deliveries(database)
    assert (stored.status, stored.last_error) == ("failed", done.last_error)


def test_webhook_allow_private_still_refuses_link_local(database: DatabaseUnderTest) -> None:
    url = "http://169.254.169.254/latest/meta-data/"

    done = _deliver(database, url, Settings(webhook_url=url, webhook_allow_private=True))

    assert (done.status, done.attempts) == ("failed", 1)
    assert done.last_error == (
        f"refused {url}: host 169.254.169.254 resolves to 169.254.169.254, which is link-local"
    )


def test_a_loopback_webhook_is_refused_without_a_connection(
    database: DatabaseUnderTest, counting_receiver: RawServer
) -> None:
    url = f"http://127.0.0.1:{counting_receiver.port}/hook"
    # allow_loopback is the sources' setting (tests, demo); it does not open the webhook
    settings = Settings(webhook_url=url, allow_loopback=True)

    done = _deliver(database, url, settings)

    assert (done.status, done.attempts) == ("failed", 1)
    assert done.last_error is not None
    assert done.last_error.startswith(f"refused {url}: host 127.0.0.1 resolves to 127.0.0.1")
    assert counting_receiver.accepted == 0


def test_webhook_allow_private_admits_a_loopback_receiver(
    database: DatabaseUnderTest, counting_receiver: RawServer
) -> None:
    url = f"http://127.0.0.1:{counting_receiver.port}/hook"

    done = _deliver(database, url, Settings(webhook_url=url, webhook_allow_private=True))

    assert (done.status, done.attempts, done.last_error) == ("delivered", 1, None)
    assert counting_receiver.accepted == 1


def test_a_refused_webhook_fails_the_delivery_not_the_run(
    database: DatabaseUnderTest, httpserver: HTTPServer, page: dict[str, str], tmp_path: Path
) -> None:
    report, receiver, sleeps = _flipping_run(
        database, httpserver, page, tmp_path, [], webhook_allow_private=False
    )

    assert report.summary.status is RunStatus.SUCCEEDED
    assert [f.claim for f in report.notice.flips] == ["claim-card"]
    assert (report.notice.delivery_status, report.notice.delivery_attempts) == ("failed", 1)
    assert receiver.got == [] and sleeps == []
