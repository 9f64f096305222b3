"""Verdict-flip notices: what changed in a run, told to the log and to the operator's webhook.

A flip is a system verdict whose label differs from the previous system verdict of the same
claim. A claim's first verdict is not a flip, nor is a new verdict row with the same label
(its confidence or figures moved): editors want to hear when a claim's standing changed, not
when a page changed.

The webhook gets one JSON POST per run that flipped something, retried with backoff on network
errors, 429 and 5xx; each attempt is recorded in `webhookdelivery`. The URL is operator
configuration, but it goes through the same SSRF guard and address pinning as a source
(`netguard.guarded_session`): a mistyped or tampered setting must not make the nightly job
POST to a cloud metadata endpoint or an internal admin port. An operator whose receiver is on
the internal network admits private and loopback addresses for the webhook alone with
`webhook_allow_private`. A refused address is a failed delivery, never retried, never
connected to. Timeouts bound every attempt; redirects are not followed.

With `webhook_secret` set, every attempt is signed as the Standard Webhooks specification
says (https://www.standardwebhooks.com/): `webhook-id` (the same on every retry, so a receiver
can drop a duplicate), `webhook-timestamp` (this attempt's Unix seconds, so a receiver's
five-minute replay window holds for a late retry too) and `webhook-signature`
(`v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, the body being the exact bytes sent).
The key of a `whsec_` secret is the base64 after the prefix, as in the spec and its reference
library; a secret without the prefix is used as its UTF-8 bytes (the reference library would
base64-decode it, silently dropping characters outside the alphabet, so a receiver passes
`secret.encode()` to it). The secret and the key are never logged or stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import sqlalchemy as sa
from requests.exceptions import InvalidSchema, InvalidURL, MissingSchema
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from factcheck.config import Settings
from factcheck.domain import SetBy, utcnow
from factcheck.errors import BlockedAddressError, ConfigError, FetchError
from factcheck.fetching.netguard import guarded_session
from factcheck.settings_text import signing_key
from factcheck.storage.db import session_scope
from factcheck.storage.models import Claim, Run, Verdict, WebhookDelivery

log = logging.getLogger(__name__)

WEBHOOK_ATTEMPTS = 5  # one POST and up to four retries
WEBHOOK_BACKOFF_S = 2.0  # waits 2, 4, 8, 16 s between attempts
WEBHOOK_TIMEOUT_S = (5.0, 15.0)  # connect, read
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
EVENT = "factcheck.verdicts_changed"


@dataclass(frozen=True)
class Flip:
    claim: str
    previous_label: str
    label: str
    reason: str
    run_id: int | None
    verdict_id: int
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


def flips(
    *,
    session: Session,
    since: datetime | None = None,
    run_id: int | None = None,
    first_too: bool = False,
) -> list[Flip]:
    """System verdicts whose label differs from the claim's previous system verdict; with
    `first_too`, a claim's first verdict too (previous_label None), as `verify` counts it."""
    ordered = (
        sa.select(
            col(Verdict.id).label("id"),
            col(Verdict.claim_id).label("claim_id"),
            col(Verdict.run_id).label("run_id"),
            col(Verdict.label).label("label"),
            col(Verdict.reason).label("reason"),
            col(Verdict.created_at).label("created_at"),
            sa.func.lag(Verdict.label)
            .over(partition_by=col(Verdict.claim_id), order_by=col(Verdict.id))
            .label("previous"),
        )
        .where(col(Verdict.set_by) == SetBy.SYSTEM.value)
        .subquery()
    )
    query = (
        sa.select(ordered, col(Claim.key))
        .join(Claim, col(Claim.id) == ordered.c.claim_id)
        .where(
            ordered.c.previous.is_distinct_from(ordered.c.label)
            if first_too
            else sa.and_(ordered.c.previous.is_not(None), ordered.c.previous != ordered.c.label)
        )
        .order_by(ordered.c.id)
    )
    if since is not None:
        query = query.where(ordered.c.created_at >= since)
    if run_id is not None:
        query = query.where(ordered.c.run_id == run_id)
    return [
        Flip(
            claim=row.key,
            previous_label=row.previous,
            label=row.label,
            reason=row.reason,
            run_id=row.run_id,
            verdict_id=row.id,
            at=row.created_at,
        )
        for row in session.execute(query)
    ]


def payload(run: Run, changes: list[Flip]) -> dict[str, Any]:
    return {
        "event": EVENT,
        "run": {
            "id": run.id,
            "trigger": run.trigger,
            "status": run.status,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        },
        "count": len(changes),
        "changes": [
            {
                "claim": f.claim,
                "from": f.previous_label,
                "to": f.label,
                "reason": f.reason,
                "verdict_id": f.verdict_id,
                "at": f.at.isoformat(),
            }
            for f in changes
        ],
    }


@dataclass(frozen=True)
class Notice:
    """What a run told: its flips, and how the webhook delivery went (None: not sent)."""

    flips: list[Flip]
    delivery_status: str | None = None
    delivery_attempts: int = 0


def announce(
    *,
    engine: Engine,
    settings: Settings,
    run_id: int,
    attempts: int = WEBHOOK_ATTEMPTS,
    backoff_s: float = WEBHOOK_BACKOFF_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], datetime] = utcnow,
) -> Notice:
    """Log the run's flips and POST them to the webhook; nothing at all when nothing flipped."""
    with session_scope(engine) as session:
        changes = flips(session=session, run_id=run_id)
        run = session.get(Run, run_id)
        if not changes or run is None:
            return Notice(flips=changes)
        for f in changes:
            log.info(
                "verdict changed: %s %s -> %s: %s", f.claim, f.previous_label, f.label, f.reason
            )
        if not settings.webhook_url:
            return Notice(flips=changes)
        delivery = WebhookDelivery(
            run_id=run_id,
            url=settings.webhook_url[:2000],
            payload=payload(run, changes),
            created_at=clock(),
        )
        session.add(delivery)
        session.flush()
    done = deliver(
        engine=engine,
        settings=settings,
        delivery=delivery,
        attempts=attempts,
        backoff_s=backoff_s,
        sleep=sleep,
        clock=clock,
    )
    return Notice(flips=changes, delivery_status=done.status, delivery_attempts=done.attempts)


def deliver(
    *,
    engine: Engine,
    settings: Settings,
    delivery: WebhookDelivery,
    attempts: int = WEBHOOK_ATTEMPTS,
    backoff_s: float = WEBHOOK_BACKOFF_S,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], datetime] = utcnow,
) -> WebhookDelivery:
    """POST the payload until it is accepted, a permanent error, or `attempts` are spent.

    Every attempt is recorded before the next wait, so a process killed mid-way leaves an
    honest row behind. A secret that cannot be a key fails the delivery unsent: a notice is
    never sent unsigned when the operator asked for signatures.
    """
    try:
        key = signing_key(settings.webhook_secret) if settings.webhook_secret else None
    except ConfigError as exc:
        delivery.status, delivery.last_error = "failed", str(exc)
        _save(engine, delivery)
        log.error("webhook for run %s not sent: %s", delivery.run_id, exc)
        return delivery
    body = json.dumps(delivery.payload, allow_nan=False).encode("utf-8")  # the bytes signed
    headers = {
        "User-Agent": settings.user_agent,
        "Content-Type": "application/json",
        "X-Factcheck-Delivery": str(delivery.id),  # the same on retries: receivers can dedupe
    }
    allow_private = settings.webhook_allow_private
    with guarded_session(
        user_agent=settings.user_agent,
        allow_loopback=False,  # a source's setting; the webhook has its own
        allow_private=allow_private,
        ca_bundle=settings.ca_bundle,
    ) as http:
        for attempt in range(1, attempts + 1):
            if key is not None:  # signed per attempt: a fresh timestamp, the same id
                stamp = int(clock().timestamp())
                headers |= signed_headers(key, message_id(delivery), stamp, body)
            error, retry = _post(http, delivery.url, body, headers, allow_private=allow_private)
            delivery.attempts = attempt
            delivery.last_error = error
            if error is None:
                delivery.status, delivery.delivered_at = "delivered", clock()
            elif not retry or attempt == attempts:
                delivery.status = "failed"
            _save(engine, delivery)
            if delivery.status != "pending":
                break
            sleep(backoff_s * 2 ** (attempt - 1))
    if delivery.status == "delivered":
        log.info("webhook delivered for run %s after %d attempt(s)", delivery.run_id, attempt)
    else:
        log.error("webhook for run %s failed: %s", delivery.run_id, delivery.last_error)
    return delivery


def message_id(delivery: WebhookDelivery) -> str:
    """The `webhook-id` of a delivery: the same on every retry, even from a later process (it
    is made of the row, not of memory), and not reused by a database started afresh."""
    made = delivery.created_at
    micros = round((made if made.tzinfo else made.replace(tzinfo=UTC)).timestamp() * 1e6)
    return f"msg_{delivery.id}_{micros}"


def signed_headers(key: bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt.

    The specification's example (its reference library's test vector):

    >>> signed_headers(
    ...     signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ...     "msg_p5jXN8AQM9LWM0D4loKWxJek",
    ...     1614265330,
    ...     b'{"test": 2432232314}',
    ... )["webhook-signature"]
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
    """
    signed = b"%s.%d.%s" % (msg_id.encode("utf-8"), timestamp, body)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode("ascii"),
    }


def _post(
    http: requests.Session,
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
) -> tuple[str | None, bool]:
    """(error or None, whether to try again)."""
    try:
        response = http.post(
            url,
            data=body,
            headers=headers,
            timeout=WEBHOOK_TIMEOUT_S,
            allow_redirects=False,
        )
    except (InvalidURL, InvalidSchema, MissingSchema) as exc:  # a typo will not heal
        return f"{type(exc).__name__}: {exc}"[:2000], False
    except BlockedAddressError as exc:  # refused before connecting; retrying cannot help
        hint = "" if allow_private else " (webhook_allow_private admits an internal receiver)"
        return f"{exc}{hint}"[:2000], False
    except FetchError as exc:  # the host does not resolve (yet)
        return str(exc)[:2000], True
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:2000], True
    except ValueError as exc:  # requests parses a redirect's Location even when not following
        return f"{type(exc).__name__}: {exc}"[:2000], False
    with response:
        if 200 <= response.status_code < 300:
            return None, False
        return f"HTTP {response.status_code}", response.status_code in RETRY_STATUSES


def _save(engine: Engine, delivery: WebhookDelivery) -> None:
    with session_scope(engine) as session:
        session.merge(delivery)
