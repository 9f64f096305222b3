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

import logging
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from urllib.parse import urlsplit

import requests
from requests.cookies import extract_cookies_to_jar
from urllib3.exceptions import LocationParseError

from factcheck.config import Settings
from factcheck.domain import ErrorCode, Fetched, SourceFormat, utcnow
from factcheck.errors import FetchError
from factcheck.fetching.body import Budget, read_body
from factcheck.fetching.charset import choose_encoding
from factcheck.fetching.failures import (
    HTTP_SCHEMES,
    StatusError,
    blocked_scheme,
    redirect_target,
    send_error,
)
from factcheck.fetching.files import read_file
from factcheck.fetching.netguard import guarded_session
from factcheck.fetching.replies import (
    MAX_ETAG_CHARS,
    MAX_LAST_MODIFIED_CHARS,
    Reply,
    fetched,
    not_modified,
)
from factcheck.fetching.retry import RETRY_STATUSES, active, make_retry
from factcheck.fetching.robots import ROBOTS_MAX_BYTES, HostPacer, Pacer, RobotsCache
from factcheck.fetching.urls import split_url
from factcheck.fetching.watchdog import Watchdog, forget_connection

__all__ = [
    "HTTP_SCHEMES",
    "MAX_ETAG_CHARS",
    "MAX_LAST_MODIFIED_CHARS",
    "MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "RETRY_STATUSES",
    "Fetcher",
]

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 10  # hops followed before giving up with redirect_loop
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class Fetcher:
    """One per run: one requests.Session, a robots.txt cache per host, per-host politeness.

    Thread-safe: the pipeline calls `fetch` from `settings.workers` threads at once.
    """

    def __init__(self, settings: Settings, *, pacer: Pacer | None = None) -> None:
        """`pacer` shares per-host politeness beyond this process (workers on many machines)."""
        self._settings = settings
        self._session = guarded_session(
            user_agent=settings.user_agent,
            allow_loopback=settings.allow_loopback,
            ca_bundle=settings.ca_bundle,
            pool=max(1, settings.workers),
            max_retries=make_retry(settings),
        )
        self._watchdog = Watchdog()
        self._robots = RobotsCache(user_agent=settings.user_agent)
        self._pacer: Pacer = pacer or HostPacer(
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
        """Route by scheme (file:// when allowed, http(s) otherwise refused) and fetch."""
        clock = now or utcnow
        html = fmt is SourceFormat.HTML
        cap = self._settings.max_html_bytes if html else self._settings.max_data_bytes
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError as exc:
            raise FetchError(ErrorCode.INVALID_URL, f"invalid URL {url}: {exc}") from exc
        if scheme == "file" and self._settings.allow_file_urls:
            return read_file(url, fmt=fmt, cap=cap, fetched_at=clock())
        if scheme not in HTTP_SCHEMES:
            raise blocked_scheme(url)
        parts = split_url(url)
        if isinstance(parts, str):
            raise FetchError(ErrorCode.INVALID_URL, f"invalid URL {url}: {parts}")
        budget = Budget.start(url, self._settings.source_deadline_s)
        with self._watchdog.watching(budget.remaining_s):
            final_url, reply = self._get(
                url, headers=_conditional(etag, last_modified), cap=cap, budget=budget
            )
        fetched_at = clock()
        if reply.status == 304:
            return not_modified(
                url,
                final_url=final_url,
                reply=reply,
                etag=etag,
                last_modified=last_modified,
                fetched_at=fetched_at,
            )
        if not 200 <= reply.status < 300:
            after = f" after {reply.retries} retries" if reply.status in RETRY_STATUSES else ""
            raise StatusError(reply.status, f"HTTP {reply.status} from {final_url}{after}")
        encoding = choose_encoding(
            reply.body, content_type=reply.headers.get("content-type"), fmt=fmt
        )
        return fetched(
            url, final_url=final_url, reply=reply, encoding=encoding, fetched_at=fetched_at
        )

    def _get(
        self,
        url: str,
        *,
        headers: dict[str, str],
        cap: int,
        budget: Budget,
        for_robots: bool = False,
    ) -> tuple[str, Reply]:
        """Follow redirects ourselves so every hop meets the scheme, robots and address checks.

        `url` has passed `split_url`; each Location must too, before anything connects.
        """
        hop, seen, invalid = url, {url}, ErrorCode.INVALID_URL
        for _ in range(MAX_REDIRECTS + 1):
            crawl_delay_s = 0.0
            if self._settings.obey_robots and not for_robots:
                policy = self._robots.check(
                    hop,
                    source=url,
                    download=lambda robots_url: self._download_robots(robots_url, budget),
                )
                crawl_delay_s = policy.crawl_delay_s(self._settings.user_agent)
            reply = self._exchange(
                hop,
                headers=headers,
                cap=cap,
                budget=budget,
                crawl_delay_s=crawl_delay_s,
                for_robots=for_robots,
                invalid=invalid,
            )
            if reply.location is None:
                return hop, reply
            hop, invalid = (
                redirect_target(hop, reply.location, source=url),
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
        """robots.txt under the source's own deadline (a failure's message is robots.py's)."""
        _, reply = self._get(
            robots_url, headers={}, cap=ROBOTS_MAX_BYTES, budget=budget, for_robots=True
        )
        return reply.status, reply.body

    def _exchange(
        self,
        url: str,
        *,
        headers: dict[str, str],
        cap: int,
        budget: Budget,
        crawl_delay_s: float,
        for_robots: bool,
        invalid: ErrorCode,
    ) -> Reply:
        """One GET (urllib3 retries included) inside the host's politeness slot; a robots.txt
        is cut at its cap rather than refused."""
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
                request = self._prepare(url, headers)
            except (requests.RequestException, LocationParseError, ValueError) as exc:
                raise FetchError(invalid, f"invalid URL {url}: {exc}") from exc
            response = self._send_within(
                request,
                url=url,
                timeout=timeout,
                budget=budget,
                invalid=invalid,
                for_robots=for_robots,
            )
            with response:
                return self._reply(response, url=url, cap=cap, budget=budget, truncate=for_robots)

    def _prepare(self, url: str, headers: dict[str, str]) -> requests.PreparedRequest:
        """What Session.prepare_request makes of a GET (the session's headers and cookies),
        without its per-request merging of settings, hooks and auth this session never has
        (a third of a fetch's CPU on loopback)."""
        request = requests.PreparedRequest()
        session = self._session
        request.prepare(
            method="GET",
            url=url,
            headers={**session.headers, **headers},
            cookies=session.cookies,
            hooks=session.hooks,
        )
        return request

    def _send_within(
        self,
        request: requests.PreparedRequest,
        *,
        url: str,
        timeout: tuple[float, float],
        budget: Budget,
        invalid: ErrorCode,
        for_robots: bool,
    ) -> requests.Response:
        """Send with this fetch's budget visible to the retry pauses; failures as FetchErrors."""
        active.budget = budget
        try:
            return self._send(request, timeout=timeout)
        except requests.RequestException as exc:
            if budget.remaining_s() <= 0:  # the watchdog cut the connection
                raise budget.exceeded() from exc
            raise send_error(
                exc,
                url=url,
                timeout=timeout,
                retries=self._settings.retries,
                invalid=invalid,
                robots=for_robots,
            ) from exc
        finally:
            active.budget = None

    def _reply(
        self, response: requests.Response, *, url: str, cap: int, budget: Budget, truncate: bool
    ) -> Reply:
        """The response as a Reply: a redirect's Location, or a 2xx body read under the cap."""
        budget.check()  # headers cut short by the watchdog can look complete
        reply_headers = {key.lower(): value for key, value in response.headers.items()}
        raw_retries = getattr(response.raw, "retries", None)
        retries = len(raw_retries.history) if raw_retries is not None else 0
        location = reply_headers.get("location")
        if response.status_code in REDIRECT_STATUSES and location:
            return Reply(response.status_code, reply_headers, b"", location, retries)
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
        return Reply(response.status_code, reply_headers, body, None, retries)

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


def _conditional(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The headers of a conditional GET, so an unchanged page costs a 304 and no body."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers
