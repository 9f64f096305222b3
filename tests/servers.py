"""One real HTTP server for the tests, with a named path per page behaviour (scrapy's mock
server is the model): a threaded server on 127.0.0.1, port 0, started once per test session
(per xdist worker) by the `pages` fixture.

Behaviours, by path (`n` and `seconds` are integers):

    /page/<name>              a page put there by `PageServer.put` (else 404)
    /status/<code>            that status, a short text body
    /delay/<seconds>          a text page after a delay (cut short when the server stops)
    /charset/<name>           an ASCII HTML page whose Content-Type names charset <name>
                              (rot-13, base64, idna: codecs that are not text encodings)
    /enc/<codec>              an HTML page encoded in <codec>, declared in the header
    /json/surrogate           JSON whose value holds a lone surrogate escape "\\ud800"
    /json/nul                 JSON whose value holds a NUL escape "\\u0000"
    /json/deep/<n>            JSON arrays nested n deep, the figure innermost
    /html/deep/<n>            HTML elements nested n deep, the figure innermost
    /json/records/<n>         {"models": [n records]}, generated while sent (~10 bytes each)
    /html/matches/<n>         an HTML page with n <b> elements (11 bytes each)
    /digits/<n>               n ASCII digits (for a regex that backtracks)
    /redirect/<name>          a 302 to one of REDIRECTS (a bad port, a bad IPv6 host, bad IDNA)
    /trickle/length/<n>       n bytes at 1 byte/s, with a Content-Length
    /trickle/close/<n>        n bytes at 1 byte/s, no length: the body ends when the server closes
    /trickle/chunk/<n>        one chunk of n bytes, its bytes sent at 1 byte/s
    /robots.txt               allow everything, or 20 bytes at 1 byte/s when the server was made
                              with `trickle_robots=True` (robots.txt is per host: a second server)

`closed_port_url()` is a URL to a port nothing listens on. `RawServer` is a bare socket for
what a well-behaved HTTP server cannot do (reset a connection, cut a body short) and for a
receiver that counts its connections (`answer_204`).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIGURE = "Llama 3.1 405B has 405B parameters."
REDIRECTS = {
    "bad-port": "http://127.0.0.1:99999/",
    "bad-ipv6": "http://[::1/",
    "bad-idna": "http://xn--a.example/",
}
TRICKLE_INTERVAL_S = 1.0
ROBOTS_TRICKLE_BYTES = 20  # enough to outlast a 2 s deadline; short enough not to hold a run long


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog is 5: with eight fetch workers and a busy GIL the accept
    # queue overflows, the kernel drops SYNs, and a healthy page misses a short connect timeout
    request_queue_size = 128


class PageServer:
    """A threaded HTTP/1.1 server on 127.0.0.1:0 serving the behaviours above."""

    def __init__(self, *, trickle_robots: bool = False) -> None:
        self.trickle_robots = trickle_robots
        self.stopping = threading.Event()
        self.pages: dict[str, tuple[bytes, str]] = {}
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def put(self, name: str, body: str | bytes, content_type: str = "text/html") -> str:
        """Serve `body` at /page/<name>; returns its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        if content_type.startswith("text/") and "charset" not in content_type:
            content_type += "; charset=utf-8"
        self.pages[name] = (data, content_type)
        return self.url(f"page/{name}")

    def close(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)


def closed_port_url(path: str = "page") -> str:
    """A URL on 127.0.0.1 whose port nothing listens on (bound, then closed at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/{path}"


def json_records(count: int) -> Iterator[bytes]:
    """{"models": [{"p":405}, ...]} in pieces, never held whole (10 bytes a record)."""
    yield b'{"models": ['
    record = b'{"p":405}'
    batch = 10_000
    for start in range(0, count, batch):
        size = min(batch, count - start)
        piece = b",".join([record] * size)
        yield piece if start == 0 else b"," + piece
    yield b"]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests' output is theirs."""

    @property
    def owner(self) -> PageServer:
        return self.server.owner  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        self.close_connection = True
        path = self.path.split("?", 1)[0]
        for pattern, method in _ROUTES:
            found = re.fullmatch(pattern, path)
            if found:
                # the client may give up first: that is what trickles are for
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    method(self, *found.groups())
                return
        self.send_whole(404, b"not found", "text/plain")

    # --- helpers ---------------------------------------------------------------------------

    def send_whole(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_streamed(self, pieces: Iterator[bytes], content_type: str) -> None:
        """Chunked transfer, one chunk per piece."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        for piece in pieces:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def trickle(self, count: int) -> None:
        for _ in range(count):
            if self.owner.stopping.wait(TRICKLE_INTERVAL_S):
                return
            self.wfile.write(b"4")
            self.wfile.flush()

    # --- behaviours ------------------------------------------------------------------------

    def page(self, name: str) -> None:
        if name not in self.owner.pages:
            self.send_whole(404, b"no such page", "text/plain")
            return
        body, content_type = self.owner.pages[name]
        self.send_whole(200, body, content_type)

    def robots(self) -> None:
        if not self.owner.trickle_robots:
            self.send_whole(200, b"User-agent: *\nAllow: /\n", "text/plain")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(ROBOTS_TRICKLE_BYTES))
        self.end_headers()
        self.trickle(ROBOTS_TRICKLE_BYTES)

    def status(self, code: str) -> None:
        self.send_whole(int(code), f"status {code}\n".encode(), "text/plain")

    def delay(self, seconds: str) -> None:
        if self.owner.stopping.wait(int(seconds)):
            return
        self.send_whole(200, FIGURE.encode(), "text/plain; charset=utf-8")

    def charset(self, name: str) -> None:
        body = f"<html><body><p>{FIGURE}</p></body></html>".encode("ascii")
        self.send_whole(200, body, f"text/html; charset={name}")

    def encoded(self, codec: str) -> None:
        body = f"<html><body><p>{FIGURE} 参数</p></body></html>".encode(codec)
        self.send_whole(200, body, f"text/html; charset={codec}")

    def json_surrogate(self) -> None:
        self.send_whole(200, b'{"model": {"size": "405B \\ud800"}}', "application/json")

    def json_nul(self) -> None:
        self.send_whole(200, b'{"model": {"size": "405B \\u0000"}}', "application/json")

    def json_deep(self, depth: str) -> None:
        n = int(depth)
        self.send_whole(200, b"[" * n + b'"405B"' + b"]" * n, "application/json")

    def html_deep(self, depth: str) -> None:
        n = int(depth)
        body = b"<html><body>" + b"<div>" * n + FIGURE.encode() + b"</div>" * n + b"</body></html>"
        self.send_whole(200, body, "text/html; charset=utf-8")

    def json_many(self, count: str) -> None:
        self.send_streamed(json_records(int(count)), "application/json")

    def html_many(self, count: str) -> None:
        n = int(count)

        def pieces() -> Iterator[bytes]:
            yield b"<html><body><p>"
            for start in range(0, n, 10_000):
                yield b"<b>405B</b>" * min(10_000, n - start)
            yield b"</p></body></html>"

        self.send_streamed(pieces(), "text/html; charset=utf-8")

    def digits(self, count: str) -> None:
        self.send_whole(200, b"7" * int(count), "text/plain; charset=utf-8")

    def redirect(self, name: str) -> None:
        self.send_whole(302, b"", "text/plain", {"Location": REDIRECTS[name]})

    def trickle_length(self, count: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", count)
        self.end_headers()
        self.trickle(int(count))

    def trickle_close(self, count: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.end_headers()
        self.trickle(int(count))

    def trickle_chunk(self, count: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"%x\r\n" % int(count))
        self.trickle(int(count))
        self.wfile.write(b"\r\n0\r\n\r\n")


_ROUTES = [
    (r"/page/([\w.-]+)", _Handler.page),
    (r"/robots\.txt", _Handler.robots),
    (r"/status/(\d{3})", _Handler.status),
    (r"/delay/(\d+)", _Handler.delay),
    (r"/charset/([\w-]+)", _Handler.charset),
    (r"/enc/([\w-]+)", _Handler.encoded),
    (r"/json/surrogate", _Handler.json_surrogate),
    (r"/json/nul", _Handler.json_nul),
    (r"/json/deep/(\d+)", _Handler.json_deep),
    (r"/html/deep/(\d+)", _Handler.html_deep),
    (r"/json/records/(\d+)", _Handler.json_many),
    (r"/html/matches/(\d+)", _Handler.html_many),
    (r"/digits/(\d+)", _Handler.digits),
    (r"/redirect/([\w-]+)", _Handler.redirect),
    (r"/trickle/length/(\d+)", _Handler.trickle_length),
    (r"/trickle/close/(\d+)", _Handler.trickle_close),
    (r"/trickle/chunk/(\d+)", _Handler.trickle_chunk),
]


# What a raw connection is served with: the connection, and an event set when the server stops
# (a trickle ends there).
Behaviour = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """A bare TCP listener on 127.0.0.1:0, for what a well-behaved HTTP server cannot do (reset
    a connection, cut a body short, trickle a header) and for receivers that must count their
    connections (an SSRF refusal makes none). Each connection is served on its own thread: its
    request head is read, then the behaviour routed from its path runs (`handle` for any path
    when given, else `routes`, else 404)."""

    def __init__(
        self,
        handle: Callable[[socket.socket], None] | None = None,
        *,
        routes: dict[str, Behaviour] | None = None,
    ) -> None:
        self._handle = handle
        self._routes = routes or {}
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.accepted = 0
        self.paths: list[str] = []  # request paths, in arrival order
        self.port: int = self._listener.getsockname()[1]
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5.0)
            try:
                head = read_request_head(conn)
                if b"\r\n\r\n" not in head:
                    return  # the client hung up before its request was whole
                path = head.split(b" ", 2)[1].decode("latin-1")
                self.paths.append(path)
                if self._handle is not None:
                    self._handle(conn)
                else:
                    self._routes.get(path, _not_found)(conn, self._stop)
            except OSError:  # the client hung up first: the end of every trickle
                pass

    def close(self) -> None:
        self._stop.set()
        self._accepting.join()
        for thread in self._threads:
            thread.join()
        self._listener.close()


def _not_found(conn: socket.socket, _stop: threading.Event) -> None:
    conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def read_request_head(conn: socket.socket) -> bytes:
    """The request line and headers, read off a raw connection (the body is not read)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def answer_204(conn: socket.socket) -> None:
    """A receiver's reply: accepted, nothing to say."""
    conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
