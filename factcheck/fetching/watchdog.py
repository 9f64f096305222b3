"""The last bound on a source's time: at its deadline, the socket it is reading is shut down.

A socket timeout bounds one `recv`, and body.py checks the deadline between its reads. Some
waits are loops of `recv` inside one library call that no check of ours can interrupt:
http.client reading a status line or a header trickled a byte a second, or a chunk-size line;
urllib3 feeding its decompressor a gzip stream of empty blocks that decodes to nothing. So a
watchdog thread shuts down the socket of any fetch past its deadline; the read ends at once
with end-of-file, and the fetcher, seeing its deadline passed, reports timeout.

Connections are pooled and shared between fetches, so a connection remembers which fetch sent
its latest request, and only that fetch's watch may shut it down.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

REFIRE_S = 0.5  # how soon a fetch still running after its watch fired is fired at again
_current = threading.local()  # the watch of the fetch running on this thread, if any


@dataclass(eq=False)
class _Watch:
    remaining_s: Callable[[], float]  # the budget's, read live: pacing waits move it
    lock: threading.Lock = field(default_factory=threading.Lock)
    connection: Any = None  # the connection of this fetch's latest request
    done: bool = False

    def fire(self) -> None:
        with self.lock:
            conn = self.connection
            if self.done or conn is None or getattr(conn, "watch", None) is not self:
                return
            sock = connection_socket(conn)
            if sock is not None:
                # socket.socket's, not SSLSocket's (which would drop its TLS state under the
                # reading thread): wake the reader with end-of-file.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)


def connection_socket(conn: Any) -> socket.socket | None:
    """The socket under a connection, also once http.client has dropped its reference (it
    does for a `Connection: close` response, whose body is then read through a file object)."""
    sock = getattr(conn, "sock", None) or getattr(conn, "opened_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def forget_connection() -> None:
    """This thread's fetch is done with its connection (about to go back to the pool)."""
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        with watch.lock:
            watch.connection = None


class _Watched:
    """Mixin for urllib3 connections: each request is tied to the watch of its thread."""

    watch: _Watch | None = None
    opened_sock: Any = None  # the socket `connect` opened, kept past http.client's close

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.opened_sock = getattr(self, "sock", None)

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch: _Watch | None = getattr(_current, "watch", None)
        self.watch = watch
        if watch is not None:
            with watch.lock:
                watch.connection = self
        super().request(*args, **kwargs)  # type: ignore[misc]


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


# For PoolManager.pool_classes_by_scheme: urllib3 pools whose connections can be watched.
WATCHED_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": WatchedHTTPPool,
    "https": WatchedHTTPSPool,
}


class Watchdog:
    """One thread per Fetcher that fires the watch of every fetch that outlives its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    @contextmanager
    def watching(self, remaining_s: Callable[[], float]) -> Iterator[None]:
        """Watch the requests this thread sends inside the block."""
        watch = _Watch(remaining_s)
        with self._cond:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._run, name="factcheck-fetch-watchdog", daemon=True
                )
                self._thread.start()
            heapq.heappush(self._heap, (time.monotonic() + remaining_s(), next(self._ids), watch))
            self._cond.notify()
        _current.watch = watch
        try:
            yield
        finally:
            _current.watch = None
            with watch.lock:
                watch.done = True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._heap:
                    self._cond.wait()
                    continue
                when, _, watch = self._heap[0]
                now = time.monotonic()
                if when > now:
                    self._cond.wait(when - now)
                    continue
                heapq.heappop(self._heap)
                if watch.done:
                    continue
                left_s = watch.remaining_s()
                if left_s > 0:  # the deadline moved (a wait for the host's turn)
                    heapq.heappush(self._heap, (now + left_s, next(self._ids), watch))
                    continue
                watch.fire()
                # a fetch that somehow goes on (a retry on a new connection) is shut again
                heapq.heappush(self._heap, (now + REFIRE_S, next(self._ids), watch))
