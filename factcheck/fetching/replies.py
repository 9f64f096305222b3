"""What one GET came back with (a Reply) and the Fetched value made of it: a 304 that keeps
the validators sent, or a 2xx with its body, hash and the cache validators worth keeping."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from factcheck.domain import Fetched

# What a cache validator may be to be kept for the next conditional request. A server's header
# can be any length; a longer one is dropped (a cut validator would never match again).
MAX_ETAG_CHARS = 500
MAX_LAST_MODIFIED_CHARS = 100


@dataclass(frozen=True)
class Reply:
    """One HTTP exchange's outcome, before it is judged a redirect, a failure or a page."""

    status: int
    headers: dict[str, str]  # lower-case keys
    body: bytes  # only read for 2xx
    location: str | None  # set for a redirect
    retries: int  # attempts urllib3 repeated before this reply


def not_modified(
    url: str,
    *,
    final_url: str,
    reply: Reply,
    etag: str | None,
    last_modified: str | None,
    fetched_at: datetime,
) -> Fetched:
    """A 304: no body, and the validators sent kept unless the server gave new ones."""
    return Fetched(
        url=url,
        final_url=final_url,
        status=304,
        headers=reply.headers,
        body=b"",
        sha256=hashlib.sha256(b"").hexdigest(),
        fetched_at=fetched_at,
        not_modified=True,
        etag=keep_validator(reply.headers.get("etag", etag), MAX_ETAG_CHARS),
        last_modified=keep_validator(
            reply.headers.get("last-modified", last_modified), MAX_LAST_MODIFIED_CHARS
        ),
        content_type=reply.headers.get("content-type"),
    )


def fetched(
    url: str, *, final_url: str, reply: Reply, encoding: str | None, fetched_at: datetime
) -> Fetched:
    """A 2xx reply as a Fetched, in the charset the fetcher chose and proved to decode it."""
    content_type = reply.headers.get("content-type")
    return Fetched(
        url=url,
        final_url=final_url,
        status=reply.status,
        headers=reply.headers,
        body=reply.body,
        sha256=hashlib.sha256(reply.body).hexdigest(),
        fetched_at=fetched_at,
        encoding=encoding,
        etag=keep_validator(reply.headers.get("etag"), MAX_ETAG_CHARS),
        last_modified=keep_validator(reply.headers.get("last-modified"), MAX_LAST_MODIFIED_CHARS),
        content_type=content_type,
    )


def keep_validator(value: str | None, limit: int) -> str | None:
    """A validator header kept only when short enough to send back unchanged."""
    return value if value and len(value) <= limit else None
