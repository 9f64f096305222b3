"""Being a polite crawler: robots.txt per origin (RFC 9309) and per-host pacing.

Nothing here touches the network: `RobotsCache` is handed a `download` callable by the fetcher,
so the same SSRF guard, User-Agent, timeouts and caps apply to robots.txt as to any page.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from protego import Protego

from factcheck.domain import ErrorCode
from factcheck.errors import FetchError
from factcheck.fetching.netguard import BlockedHost, UnresolvedHost

logger = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least the first 500 KiB, ignore the rest
CRAWL_DELAY_CAP_S = 60.0  # a hostile Crawl-delay cannot stall a host's queue for longer

# (status, body) of the final response for a robots.txt URL; raises FetchError when unreachable.
Download = Callable[[str], tuple[int, bytes]]

# robots.txt failures that RFC 9309 2.3.1.4 treats as "unreachable" (disallow all). A host
# that cannot be connected to, or that times out (the source's deadline covers robots.txt
# too), is not among them: its pages fail the same way, and "robots_blocked" would hide an
# offline or hostile machine behind a politeness verdict.
_UNREACHABLE = frozenset({ErrorCode.TRUNCATED})


@dataclass(frozen=True)
class RobotsPolicy:
    """What one origin's robots.txt says, or the blanket rule RFC 9309 gives when it has none."""

    robots_url: str
    parser: Protego | None = None
    allow_all: bool = False
    reason: str = ""  # why a blanket rule applies ("HTTP 503", "timed out ...")

    def allows(self, url: str, user_agent: str) -> bool:
        if self.parser is None:
            return self.allow_all
        return bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay_s(self, user_agent: str) -> float:
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(user_agent)
        return min(float(delay or 0.0), CRAWL_DELAY_CAP_S)


def robots_url_for(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def robots_failure(exc: FetchError, *, source: str, url: str, robots_url: str) -> FetchError:
    """A robots.txt that could not be read, as the failure of the source that needed it: the
    message names the source first, then the robots.txt, then what went wrong. A host that
    does not resolve or is refused is not robots.txt's fault: that error is the page's own
    (`url`, the hop being fetched), as it would be with robots.txt not asked.

    >>> str(robots_failure(FetchError("connection", "Connection refused"),
    ...     source="http://h/page", url="http://h/page", robots_url="http://h/robots.txt"))
    'cannot fetch http://h/page (while reading http://h/robots.txt): Connection refused'
    >>> str(robots_failure(UnresolvedHost("http://h/robots.txt", "h", "no such name"),
    ...     source="http://h/page", url="http://h/page", robots_url="http://h/robots.txt"))
    "cannot resolve host 'h' of http://h/page: no such name"
    """
    if isinstance(exc, BlockedHost | UnresolvedHost):
        return exc.for_url(url if url == source else f"{url} (a redirect of {source})")
    return FetchError(exc.code, f"cannot fetch {source} (while reading {robots_url}): {exc}")


def policy_from_response(robots_url: str, status: int, body: bytes) -> RobotsPolicy:
    """RFC 9309 2.3.1: 2xx parse; 4xx allow everything; 5xx disallow everything.

    >>> policy_from_response("http://h/robots.txt", 404, b"").allows("http://h/x", "bot")
    True
    >>> policy_from_response("http://h/robots.txt", 503, b"").allows("http://h/x", "bot")
    False
    """
    if 200 <= status < 300:
        text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
        return RobotsPolicy(robots_url, parser=Protego.parse(text))
    if 400 <= status < 500:
        return RobotsPolicy(robots_url, allow_all=True, reason=f"HTTP {status}")
    return RobotsPolicy(robots_url, allow_all=False, reason=f"HTTP {status}")


class RobotsCache:
    """robots.txt fetched at most once per origin for the cache's life; thread-safe."""

    def __init__(self, *, user_agent: str) -> None:
        self._user_agent = user_agent
        self._policies: dict[str, RobotsPolicy] = {}
        self._origin_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def policy(self, url: str, *, source: str, download: Download) -> RobotsPolicy:
        """The policy of `url`'s origin; a robots.txt that cannot be read fails `source`."""
        robots_url = robots_url_for(url)
        with self._lock:
            cached = self._policies.get(robots_url)
            if cached is not None:
                return cached
            origin_lock = self._origin_locks.setdefault(robots_url, threading.Lock())
        with origin_lock:  # one download per origin even when many threads ask at once
            with self._lock:
                cached = self._policies.get(robots_url)
            if cached is not None:
                return cached
            policy = self._load(robots_url, download, source=source, url=url)
            with self._lock:
                self._policies[robots_url] = policy
            return policy

    def check(self, url: str, *, source: str, download: Download) -> RobotsPolicy:
        """Raise FetchError(robots_blocked) unless robots.txt lets our User-Agent fetch `url`,
        a hop of fetching `source`; the message names the source first."""
        policy = self.policy(url, source=source, download=download)
        if policy.allows(url, self._user_agent):
            return policy
        page = source if url == source else f"{source} (redirected to {url})"
        if policy.parser is None:
            message = (
                f"{page} is treated as disallowed: {policy.robots_url} is unavailable "
                f"({policy.reason}; RFC 9309)"
            )
        else:
            message = f"{page} is disallowed by {policy.robots_url} for {self._user_agent}"
        raise FetchError(ErrorCode.ROBOTS_BLOCKED, message)

    def _load(self, robots_url: str, download: Download, *, source: str, url: str) -> RobotsPolicy:
        try:
            status, body = download(robots_url)
        except FetchError as exc:
            if exc.code == ErrorCode.REDIRECT_LOOP:  # RFC 9309 2.3.1.2: MAY treat as 4xx
                return RobotsPolicy(robots_url, allow_all=True, reason=str(exc))
            if exc.code not in _UNREACHABLE:
                # a blocked address or scheme, or no connection, is the page's verdict too
                raise robots_failure(exc, source=source, url=url, robots_url=robots_url) from exc
            logger.info("robots.txt unreachable at %s: %s", robots_url, exc)
            return RobotsPolicy(robots_url, allow_all=False, reason=str(exc))
        return policy_from_response(robots_url, status, body)


class Pacer(Protocol):
    """Per-host politeness: at most N requests in flight per host, starts a delay apart.

    HostPacer keeps it in this process; with workers on several machines the state lives in
    the database (storage), and the fetcher takes either, knowing nothing of which.
    """

    def slot(self, host: str, *, delay_s: float = 0.0) -> AbstractContextManager[float]: ...


@dataclass
class _HostGate:
    semaphore: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0  # monotonic time before which no new request may start


class HostPacer:
    """Per host: at most `concurrency` requests in flight, starts at least `delay_s` apart."""

    def __init__(
        self,
        *,
        concurrency: int,
        delay_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._concurrency = max(1, concurrency)
        self._delay_s = max(0.0, delay_s)
        self._clock = clock
        self._sleep = sleep
        self._gates: dict[str, _HostGate] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, host: str, *, delay_s: float = 0.0) -> Iterator[float]:
        """Hold one of `host`'s slots; yields how long we waited for it (seconds).

        `delay_s` (a robots Crawl-delay) raises the gap when it is larger than the default.
        """
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = _HostGate(threading.BoundedSemaphore(self._concurrency))
                self._gates[host] = gate
        asked = self._clock()
        with gate.semaphore:
            with gate.lock:
                start = max(self._clock(), gate.next_start)
                gate.next_start = start + max(self._delay_s, delay_s)
            pause = start - self._clock()
            if pause > 0:
                self._sleep(pause)
            yield self._clock() - asked
