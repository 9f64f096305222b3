"""url -> Fetched: one careful GET per source, or a FetchError carrying an ErrorCode value.

Every request has connect/read timeouts, a per-source deadline, a byte cap counted after
decompression, an honest User-Agent, robots.txt and per-host pacing (robots.py), and the SSRF
guard with address pinning on every redirect hop (netguard.py). Retries (429/5xx and network
errors, GET only, backoff with jitter, Retry-After capped) are urllib3's `Retry`, so they happen
inside one `session.send`; redirects are followed here, hop by hop, so each hop is checked.
A source is a fault boundary: whatever its URL, headers, redirects or bytes do, `fetch`
raises only FetchError (an unexpected exception becomes internal_error, logged with its
traceback), and every wait, robots.txt and the body included, ends by the source's deadline.
This module knows nothing of the database.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import requests
from requests.cookies import extract_cookies_to_jar
from urllib3.exceptions import InvalidHeader, LocationParseError, MaxRetryError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from factcheck.config import Settings
from factcheck.domain import ErrorCode, Fetched, SourceFormat
from factcheck.errors import FetchError
from factcheck.fetching.body import Budget, describe, read_body, too_large
from factcheck.fetching.charset import choose_encoding
from factcheck.fetching.netguard import guarded_session
from factcheck.fetching.robots import ROBOTS_MAX_BYTES, HostPacer, RobotsCache
from factcheck.fetching.urls import split_url
from factcheck.fetching.watchdog import Watchdog, forget_connection

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 10  # hops followed before giving up with redirect_loop
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTTP_SCHEMES = ("http", "https")

# The budget of the fetch running on this thread, so urllib3's Retry can honour the deadline
# between attempts (Retry objects are shared by every thread through the adapter).
_active = threading.local()


class _DeadlineRetry(Retry):
    """urllib3 Retry that stops when the source's deadline would pass during the next pause,
    and treats an unparseable Retry-After as absent. `retry_after_max` caps Retry-After."""

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        pause = None
        if self.respect_retry_after_header and response is not None:
            pause = self.get_retry_after(response)
        if not pause:
            pause = self.get_backoff_time()
        budget: Budget | None = getattr(_active, "budget", None)
        if budget is not None and pause >= budget.remaining_s():
            raise budget.exceeded()
        if pause > 0:
            time.sleep(pause)


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: dict[str, str]  # lower-case keys
    body: bytes  # only read for 2xx
    location: str | None  # set for a redirect
    retries: int  # attempts urllib3 repeated before this reply


class Fetcher:
    """One per run: one requests.Session, a robots.txt cache per host, per-host politeness.

    Thread-safe: the pipeline calls `fetch` from `settings.workers` threads at once.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        retry = _DeadlineRetry(
            total=settings.retries,
            connect=settings.retries,
            read=settings.retries,
            status=settings.retries,
            other=0,
            redirect=False,  # followed by `_get`, hop by hop, through the SSRF guard
            allowed_methods=frozenset({"GET", "HEAD"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=settings.backoff_factor_s,
            backoff_jitter=settings.backoff_factor_s,
            # Typed int in urllib3 but compared with float seconds, so a float cap works.
            retry_after_max=settings.retry_after_cap_s,  # type: ignore[arg-type]
            respect_retry_after_header=True,
            raise_on_status=False,  # the last 5xx comes back and becomes http_status below
        )
        self._session = guarded_session(
            user_agent=settings.user_agent,
            allow_loopback=settings.allow_loopback,
            ca_bundle=settings.ca_bundle,
            pool=max(1, settings.workers),
            max_retries=retry,
        )
        self._watchdog = Watchdog()
        self._robots = RobotsCache(user_agent=settings.user_agent)
        self._pacer = HostPacer(
            concurrency=settings.per_host_concurrency, delay_s=settings.per_host_delay_s
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._watchdog.close()
        self._session.close()

    def fetch(
        self,
        url: str,
        *,
        fmt: SourceFormat,
        etag: str | None = None,
        last_modified: str | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> Fetched:
        """GET `url`; conditional when `etag`/`last_modified` are given (a 304 -> not_modified).

        Raises FetchError only, whatever happens.
        """
        try:
            return self._fetch(url, fmt=fmt, etag=etag, last_modified=last_modified, now=now)
        except FetchError:
            raise
        except Exception as exc:
            logger.exception("unexpected error fetching %s", url)
            raise FetchError(
                ErrorCode.INTERNAL_ERROR,
                f"internal error fetching {url}: {type(exc).__name__}: {exc}"[:2000],
            ) from exc

    def _fetch(
        self,
        url: str,
        *,
        fmt: SourceFormat,
        etag: str | None,
        last_modified: str | None,
        now: Callable[[], datetime] | None,
    ) -> Fetched:
        clock = now or _utc_now
        html = fmt is SourceFormat.HTML
        cap = self._settings.max_html_bytes if html else self._settings.max_data_bytes
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError as exc:
            raise FetchError(ErrorCode.INVALID_URL, f"invalid URL {url}: {exc}") from exc
        if scheme == "file" and self._settings.allow_file_urls:
            return _read_file(url, fmt=fmt, cap=cap, fetched_at=clock())
        if scheme not in HTTP_SCHEMES:
            raise _blocked_scheme(url)
        parts = split_url(url)
        if isinstance(parts, str):
            raise FetchError(ErrorCode.INVALID_URL, f"invalid URL {url}: {parts}")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        budget = Budget.start(url, self._settings.source_deadline_s)
        with self._watchdog.watching(budget.remaining_s):
            final_url, reply = self._get(url, headers=headers, cap=cap, budget=budget)
        fetched_at = clock()
        content_type = reply.headers.get("content-type")
        if reply.status == 304:
            return Fetched(
                url=url,
                final_url=final_url,
                status=304,
                headers=reply.headers,
                body=b"",
                sha256=hashlib.sha256(b"").hexdigest(),
                fetched_at=fetched_at,
                not_modified=True,
                etag=_validator(reply.headers.get("etag", etag), MAX_ETAG_CHARS),
                last_modified=_validator(
                    reply.headers.get("last-modified", last_modified), MAX_LAST_MODIFIED_CHARS
                ),
                content_type=content_type,
            )
        if not 200 <= reply.status < 300:
            after = f" after {reply.retries} retries" if reply.status in RETRY_STATUSES else ""
            raise FetchError(ErrorCode.HTTP_STATUS, f"HTTP {reply.status} from {final_url}{after}")
        encoding = choose_encoding(reply.body, content_type=content_type, fmt=fmt)
        _check_decodes(reply.body, encoding, url=final_url)
        return Fetched(
            url=url,
            final_url=final_url,
            status=reply.status,
            headers=reply.headers,
            body=reply.body,
            sha256=hashlib.sha256(reply.body).hexdigest(),
            fetched_at=fetched_at,
            encoding=encoding,
            etag=_validator(reply.headers.get("etag"), MAX_ETAG_CHARS),
            last_modified=_validator(reply.headers.get("last-modified"), MAX_LAST_MODIFIED_CHARS),
            content_type=content_type,
        )

    def _get(
        self,
        url: str,
        *,
        headers: dict[str, str],
        cap: int,
        budget: Budget,
        for_robots: bool = False,
    ) -> tuple[str, _Reply]:
        """Follow redirects ourselves so every hop meets the scheme, robots and address checks.

        `url` has passed `split_url`; each Location must too, before anything connects.
        """
        hop, seen, invalid = url, {url}, ErrorCode.INVALID_URL
        for _ in range(MAX_REDIRECTS + 1):
            crawl_delay_s = 0.0
            if self._settings.obey_robots and not for_robots:
                policy = self._robots.check(
                    hop, download=lambda robots_url: self._download_robots(robots_url, budget)
                )
                crawl_delay_s = policy.crawl_delay_s(self._settings.user_agent)
            reply = self._exchange(
                hop,
                headers=headers,
                cap=cap,
                budget=budget,
                crawl_delay_s=crawl_delay_s,
                truncate=for_robots,
                invalid=invalid,
            )
            if reply.location is None:
                return hop, reply
            hop, invalid = (
                _redirect_target(hop, reply.location, source=url),
                ErrorCode.INVALID_REDIRECT,
            )
            if hop in seen:
                raise FetchError(
                    ErrorCode.REDIRECT_LOOP, f"redirect loop fetching {url}: back to {hop}"
                )
            seen.add(hop)
        raise FetchError(
            ErrorCode.REDIRECT_LOOP, f"more than {MAX_REDIRECTS} redirects fetching {url}"
        )

    def _download_robots(self, robots_url: str, budget: Budget) -> tuple[int, bytes]:
        """robots.txt under the source's own deadline; a failure names the source it stopped."""
        try:
            _, reply = self._get(
                robots_url, headers={}, cap=ROBOTS_MAX_BYTES, budget=budget, for_robots=True
            )
        except FetchError as exc:
            if exc.code in (ErrorCode.TIMEOUT, ErrorCode.CONNECTION):
                raise FetchError(
                    exc.code, f"cannot fetch {budget.url}: its robots.txt failed: {exc}"
                ) from exc
            raise
        return reply.status, reply.body

    def _exchange(
        self,
        url: str,
        *,
        headers: dict[str, str],
        cap: int,
        budget: Budget,
        crawl_delay_s: float,
        truncate: bool,
        invalid: ErrorCode,
    ) -> _Reply:
        """One GET (urllib3 retries included) inside the host's politeness slot."""
        host = (urlsplit(url).hostname or "").lower()
        with self._pacer.slot(host, delay_s=crawl_delay_s) as waited_s:
            budget.deadline += waited_s
            budget.check()
            remaining_s = budget.remaining_s()
            timeout = (
                min(self._settings.connect_timeout_s, remaining_s),
                min(self._settings.read_timeout_s, remaining_s),
            )
            try:
                request = self._session.prepare_request(
                    requests.Request("GET", url, headers=headers)
                )
            except (requests.RequestException, LocationParseError, ValueError) as exc:
                raise FetchError(invalid, f"invalid URL {url}: {exc}") from exc
            _active.budget = budget
            try:
                response = self._send(request, timeout=timeout)
            except requests.RequestException as exc:
                if budget.remaining_s() <= 0:  # the watchdog cut the connection
                    raise budget.exceeded() from exc
                raise _send_error(
                    exc, url=url, timeout=timeout, retries=self._settings.retries, invalid=invalid
                ) from exc
            finally:
                _active.budget = None
            with response:
                budget.check()  # headers cut short by the watchdog can look complete
                reply_headers = {key.lower(): value for key, value in response.headers.items()}
                raw_retries = getattr(response.raw, "retries", None)
                retries = len(raw_retries.history) if raw_retries is not None else 0
                location = reply_headers.get("location")
                if response.status_code in REDIRECT_STATUSES and location:
                    return _Reply(response.status_code, reply_headers, b"", location, retries)
                body = b""
                if 200 <= response.status_code < 300:
                    body = read_body(
                        response,
                        url=url,
                        cap=cap,
                        budget=budget,
                        read_timeout_s=self._settings.read_timeout_s,
                        truncate=truncate,
                    )
                    # the body was read to its end: hand the connection back to the pool for
                    # the next request to this host (closing it would cost a new TCP/TLS setup),
                    # out of this fetch's watch first, as another fetch may take it at once
                    forget_connection()
                    response.raw.release_conn()
                return _Reply(response.status_code, reply_headers, body, None, retries)

    def _send(
        self, request: requests.PreparedRequest, *, timeout: tuple[float, float]
    ) -> requests.Response:
        """The adapter's send, without Session.send: that parses a redirect's Location itself
        (for `Response.next`) and raises a bare ValueError on a hostile one. We follow
        redirects hop by hop, so only the session's cookies are kept here."""
        adapter = self._session.get_adapter(str(request.url))
        response = adapter.send(
            request, stream=True, timeout=timeout, verify=self._session.verify, proxies={}
        )
        extract_cookies_to_jar(self._session.cookies, request, response.raw)
        return response


def _read_file(url: str, *, fmt: SourceFormat, cap: int, fetched_at: datetime) -> Fetched:
    """A file:// source (only when settings.allow_file_urls): the same cap and charset rules."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(ErrorCode.BLOCKED_SCHEME, f"refused {url}: file URLs must be local")
    path = Path(url2pathname(parts.path))
    try:
        with path.open("rb") as handle:
            body = handle.read(cap + 1)
    except OSError as exc:
        raise FetchError(ErrorCode.CONNECTION, f"cannot read {path}: {exc.strerror}") from exc
    if len(body) > cap:
        raise too_large(url, cap)
    content_type = mimetypes.guess_type(path.name)[0]
    return Fetched(
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": content_type} if content_type else {},
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        fetched_at=fetched_at,
        encoding=choose_encoding(body, content_type=content_type, fmt=fmt),
        content_type=content_type,
    )


# What a cache validator may be to be kept for the next conditional request. A server's header
# can be any length; a longer one is dropped (a cut validator would never match again).
MAX_ETAG_CHARS = 500
MAX_LAST_MODIFIED_CHARS = 100


def _validator(value: str | None, limit: int) -> str | None:
    return value if value and len(value) <= limit else None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _blocked_scheme(url: str) -> FetchError:
    return FetchError(
        ErrorCode.BLOCKED_SCHEME,
        f"refused {url}: only http and https are fetched (file:// needs allow_file_urls)",
    )


def _send_error(
    exc: requests.RequestException,
    *,
    url: str,
    timeout: tuple[float, float],
    retries: int,
    invalid: ErrorCode,
) -> FetchError:
    """Map what `session.send` raised to an ErrorCode; urllib3 wraps the cause in MaxRetryError."""
    cause: Any = exc.args[0] if exc.args else exc
    gave_up = isinstance(cause, MaxRetryError)
    if gave_up:
        cause = cause.reason
    after = f" after {retries} retries" if gave_up else ""
    if isinstance(cause, NewConnectionError):  # a subclass of urllib3's timeout, yet refused
        return FetchError(ErrorCode.CONNECTION, f"cannot fetch {url}: {describe(cause)}{after}")
    if isinstance(exc, requests.Timeout) or isinstance(cause, Urllib3Timeout | TimeoutError):
        return FetchError(
            ErrorCode.TIMEOUT,
            f"timed out fetching {url} (connect {timeout[0]:g} s, read {timeout[1]:g} s){after}",
        )
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return FetchError(invalid, f"invalid URL {url}: {exc}")
    return FetchError(ErrorCode.CONNECTION, f"cannot fetch {url}: {describe(cause)}{after}")


def _redirect_target(hop: str, location: str, *, source: str) -> str:
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
        raise _blocked_scheme(target)
    parts = split_url(target)
    if isinstance(parts, str):
        raise FetchError(
            ErrorCode.INVALID_REDIRECT,
            f"invalid redirect from {hop} to {target[:200]!r} fetching {source}: {parts}",
        )
    return target


def _check_decodes(body: bytes, encoding: str | None, *, url: str) -> None:
    """Prove the chosen charset decodes the body (errors replaced), as extraction will do."""
    try:
        body.decode(encoding or "utf-8", errors="replace")
    except (LookupError, UnicodeError, ValueError) as exc:
        raise FetchError(
            ErrorCode.DECODE_ERROR, f"cannot decode {url} as {encoding}: {exc}"
        ) from exc
