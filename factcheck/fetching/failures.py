"""What a hop may not do, as FetchErrors: a scheme other than http(s), an unusable redirect
target, and whatever `session.send` raised, each mapped to its ErrorCode before or instead of
connecting, so a hostile URL or server ends as one source's error code."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from factcheck.domain import ErrorCode
from factcheck.errors import FetchError
from factcheck.fetching.body import describe
from factcheck.fetching.urls import split_url

HTTP_SCHEMES = ("http", "https")


class StatusError(FetchError):
    """A final response that is neither 2xx nor 304: `http_status`, with the status kept, so
    the source's log line and evidence say which (a 404 is not a 503)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(ErrorCode.HTTP_STATUS, message)
        self.status = status


def blocked_scheme(url: str) -> FetchError:
    """The refusal of a URL neither http nor https (file:// only when allowed, and not here)."""
    return FetchError(
        ErrorCode.BLOCKED_SCHEME,
        f"refused {url}: only http and https are fetched (file:// needs allow_file_urls)",
    )


def send_error(
    exc: requests.RequestException,
    *,
    url: str,
    timeout: tuple[float, float],
    retries: int,
    invalid: ErrorCode,
    robots: bool = False,
) -> FetchError:
    """Map what `session.send` raised to an ErrorCode; urllib3 wraps the cause in MaxRetryError.

    With `robots` (url is a robots.txt) the message is the reason alone: robots.py puts the
    source's URL and the robots.txt URL around it.
    """
    cause: Any = exc.args[0] if exc.args else exc
    gave_up = isinstance(cause, MaxRetryError)
    if gave_up:
        cause = cause.reason
    after = f" after {retries} retries" if gave_up else ""
    refused = f"{describe(cause)}{after}"
    if isinstance(cause, NewConnectionError):  # a subclass of urllib3's timeout, yet refused
        return FetchError(
            ErrorCode.CONNECTION, refused if robots else f"cannot fetch {url}: {refused}"
        )
    if isinstance(exc, requests.Timeout) or isinstance(cause, Urllib3Timeout | TimeoutError):
        waits = f"(connect {timeout[0]:g} s, read {timeout[1]:g} s){after}"
        fetching = "" if robots else f" fetching {url}"
        return FetchError(ErrorCode.TIMEOUT, f"timed out{fetching} {waits}")
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return FetchError(invalid, f"invalid URL {url}: {exc}")
    return FetchError(ErrorCode.CONNECTION, refused if robots else f"cannot fetch {url}: {refused}")


def redirect_target(hop: str, location: str, *, source: str) -> str:
    """The absolute URL a Location points at, refused before connecting when unusable."""
    try:
        target = urljoin(hop, location)
        scheme = urlsplit(target).scheme.lower()
    except ValueError as exc:
        raise FetchError(
            ErrorCode.INVALID_REDIRECT,
            f"invalid redirect from {hop} to {location[:200]!r} fetching {source}: {exc}",
        ) from exc
    if scheme not in HTTP_SCHEMES:
        raise blocked_scheme(target)
    parts = split_url(target)
    if isinstance(parts, str):
        raise FetchError(
            ErrorCode.INVALID_REDIRECT,
            f"invalid redirect from {hop} to {target[:200]!r} fetching {source}: {parts}",
        )
    return target
