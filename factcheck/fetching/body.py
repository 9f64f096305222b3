"""Reading a response body under a wall-clock deadline and a byte cap.

A socket timeout bounds one read, not a body: a server that sends one byte a second never
trips it, whether the body has a Content-Length, is close-delimited or is one huge chunk.
So the whole read has a deadline (what is left of the source's `source_deadline_s`), checked
between reads, and before every read the socket's timeout is cut to the time left. Reads are
`read1`: one `recv` at most, returning what has arrived, so no read waits to fill a buffer.
What a library loops on inside one call (a trickled header, a chunk-size line, a gzip stream
that decodes to nothing) is cut at the same deadline by watchdog.py; the error it causes is
reported here as the deadline it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import (
    DecodeError,
    IncompleteRead,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from factcheck.domain import ErrorCode
from factcheck.errors import FetchError
from factcheck.fetching.watchdog import connection_socket

CHUNK_BYTES = 64 * 1024  # decoded bytes per read: the most a gzip bomb can add before a check
_MIN_WAIT_S = 0.001  # settimeout(0) would make the socket non-blocking


@dataclass
class Budget:
    """The per-source deadline; time spent waiting for a host's turn does not count."""

    url: str
    total_s: float
    deadline: float

    @classmethod
    def start(cls, url: str, total_s: float) -> Budget:
        return cls(url, total_s, time.monotonic() + total_s)

    def remaining_s(self) -> float:
        return self.deadline - time.monotonic()

    def check(self) -> None:
        if self.remaining_s() <= 0:
            raise self.exceeded()

    def exceeded(self) -> FetchError:
        return FetchError(
            ErrorCode.TIMEOUT, f"deadline of {self.total_s:g} s exceeded fetching {self.url}"
        )


def read_body(
    response: requests.Response,
    *,
    url: str,
    cap: int,
    budget: Budget,
    read_timeout_s: float,
    truncate: bool,
) -> bytes:
    """Stream the body, decoded, stopping one chunk past `cap` (or cutting at it if `truncate`).

    Raises FetchError: timeout (deadline or a silent socket), too_large, truncated,
    decode_error (bad compression), connection (TLS failed mid-body).
    """
    declared = response.headers.get("content-length", "")
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    if not truncate and not encoded and declared.isdigit() and int(declared) > cap:
        raise too_large(url, cap)
    raw = response.raw
    parts: list[bytes] = []
    total = 0
    cut_by_deadline = False  # whether the last read's wait was shortened to the deadline
    try:
        while True:
            budget.check()
            left_s = budget.remaining_s()
            cut_by_deadline = left_s < read_timeout_s
            _limit_wait(raw, min(read_timeout_s, left_s))
            chunk = raw.read1(CHUNK_BYTES, decode_content=True)
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
            if total > cap:
                if truncate:
                    return b"".join(parts)[:cap]  # robots.txt: the first ROBOTS_MAX_BYTES
                raise too_large(url, cap)
    except ReadTimeoutError as exc:
        if cut_by_deadline:
            raise budget.exceeded() from exc
        raise FetchError(ErrorCode.TIMEOUT, f"read timed out after {total} bytes of {url}") from exc
    except (ProtocolError, DecodeError, SSLError) as exc:
        if budget.remaining_s() <= 0:  # the watchdog shut the socket: not the server's doing
            raise budget.exceeded() from exc
        raise _read_error(exc, url=url, total=total) from exc
    # End-of-file is also how a shut-down socket ends a body without a length.
    budget.check()
    return b"".join(parts)


def _read_error(
    error: ProtocolError | DecodeError | SSLError, *, url: str, total: int
) -> FetchError:
    if isinstance(error, ProtocolError):
        return FetchError(ErrorCode.TRUNCATED, _truncation(error, url=url, total=total))
    if isinstance(error, DecodeError):
        return FetchError(
            ErrorCode.DECODE_ERROR, f"cannot decompress body of {url}: {describe(error)}"
        )
    return FetchError(ErrorCode.CONNECTION, f"TLS failed reading {url}: {error}")


def _limit_wait(raw: Any, seconds: float) -> None:
    """Cut the socket's timeout so the next read cannot block past the deadline."""
    sock = connection_socket(getattr(raw, "connection", None))
    if sock is not None:
        sock.settimeout(max(seconds, _MIN_WAIT_S))


def _truncation(error: ProtocolError, *, url: str, total: int) -> str:
    """Say how much of the body arrived; urllib3's IncompleteRead counts bytes on the wire."""
    short = next((arg for arg in error.args if isinstance(arg, IncompleteRead)), None)
    if short is not None and isinstance(short.partial, int) and isinstance(short.expected, int):
        received, expected = short.partial, short.partial + short.expected
        return f"body of {url} cut off after {received} of {expected} bytes"
    return f"body of {url} cut off after {total} bytes: {describe(error)}"


def too_large(url: str, cap: int) -> FetchError:
    return FetchError(ErrorCode.TOO_LARGE, f"body of {url} exceeds the cap of {cap} bytes")


def describe(error: BaseException) -> str:
    """The innermost OS-level reason ("Connection reset by peer"), else the error itself."""
    pending: list[object] = [error]
    seen: set[int] = set()
    while pending:
        item = pending.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, OSError) and item.strerror:
            return item.strerror
        pending.extend((*item.args, item.__cause__, item.__context__))
    return str(error) or type(error).__name__
