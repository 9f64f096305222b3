"""Fetcher against a real HTTP server on 127.0.0.1:0, one named page per failure.

Nothing here mocks requests or leaves the machine: pages are served by pytest-httpserver, or by
`RawServer` (a bare socket) when a failure has to break HTTP itself (reset, truncation).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import struct
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from factcheck.config import Settings
from factcheck.domain import ErrorCode, SourceFormat
from factcheck.errors import FetchError
from factcheck.fetching.fetcher import MAX_REDIRECTS, Fetcher
from tests.servers import RawServer
from tests.support import FastSettings

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
KIB = 1024
MIB = 1024 * KIB
UA = "factcheck-test/1.0 (+https://example.org/factcheck; contact: test@example.org)"

# Enough Chinese for charset detection, with 镕 (in GBK, not in GB2312).
ZH_TEXT = (
    "据公司公告，该模型拥有四千零五十亿个参数，训练成本约为六百万美元。朱镕基曾说过，"
    "改革开放是决定当代中国命运的关键一招。每百万个输入词元的价格为零点五美元，比竞争对手便宜一半。"
)


# On top of the shared fast settings: the retries, read timeout and caps these tests count on.
FETCH_DEFAULTS: dict[str, object] = {
    "workers": 4,
    "per_host_concurrency": 4,
    "read_timeout_s": 0.3,
    "retries": 2,
    "max_html_bytes": 64 * KIB,
    "max_data_bytes": 64 * KIB,
}


@pytest.fixture(scope="session")
def fast_settings(fast_settings: FastSettings) -> FastSettings:
    def make(**changes: object) -> Settings:
        return fast_settings(**{**FETCH_DEFAULTS, **changes})

    return make


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def _server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)  # a slow page blocks no other
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def site(_server: HTTPServer) -> Iterator[HTTPServer]:
    _server.clear()
    yield _server
    _server.clear()


@pytest.fixture
def fetcher(fast_settings: FastSettings) -> Iterator[Fetcher]:
    with Fetcher(fast_settings()) as fetcher:
        yield fetcher


def requests_to(site: HTTPServer, path: str) -> list[Request]:
    """Requests this test sent to `path` (a slow page of an earlier test may still log late)."""
    return [request for request, _ in site.log if request.path == path]


def fetch_error(fetcher: Fetcher, url: str, fmt: SourceFormat = SourceFormat.HTML) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(url, fmt=fmt, now=lambda: NOW)
    return caught.value


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(handle: Callable[[socket.socket], None]) -> RawServer:
        servers.append(RawServer(handle))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


# --- pages that work ---------------------------------------------------------------------------


def test_good_html_page_fills_every_field(site: HTTPServer, fetcher: Fetcher) -> None:
    body = "<html><body><p>405B parameters — über</p></body></html>".encode()
    site.expect_request("/good.html").respond_with_data(
        body,
        content_type="text/html; charset=utf-8",
        headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2026 00:00:00 GMT"},
    )
    url = site.url_for("/good.html")

    fetched = fetcher.fetch(url, fmt=SourceFormat.HTML, now=lambda: NOW)

    assert (fetched.url, fetched.final_url, fetched.status) == (url, url, 200)
    assert fetched.body == body
    assert fetched.sha256 == hashlib.sha256(body).hexdigest()
    assert fetched.fetched_at == NOW
    assert fetched.encoding == "utf-8"
    assert fetched.text() == body.decode()
    assert fetched.etag == '"v1"'
    assert fetched.last_modified == "Wed, 01 Jan 2026 00:00:00 GMT"
    assert fetched.content_type == "text/html; charset=utf-8"
    assert all(key == key.lower() for key in fetched.headers)
    assert not fetched.not_modified
    assert requests_to(site, "/good.html")[0].headers["User-Agent"] == UA


def test_good_json_without_charset_is_utf8(site: HTTPServer, fetcher: Fetcher) -> None:
    site.expect_request("/prices.json").respond_with_data(
        json.dumps({"model": "Qwen – 通义", "price": "0.5"}, ensure_ascii=False).encode(),
        content_type="application/json",
    )

    fetched = fetcher.fetch(site.url_for("/prices.json"), fmt=SourceFormat.JSON)

    assert fetched.encoding == "utf-8"
    assert json.loads(fetched.text()) == {"model": "Qwen – 通义", "price": "0.5"}


def test_redirect_is_followed_and_final_url_recorded(site: HTTPServer, fetcher: Fetcher) -> None:
    site.expect_request("/moved").respond_with_data("", status=301, headers={"Location": "/here"})
    site.expect_request("/here").respond_with_data("arrived", content_type="text/plain")

    fetched = fetcher.fetch(site.url_for("/moved"), fmt=SourceFormat.TEXT)

    assert fetched.final_url == site.url_for("/here")
    assert fetched.body == b"arrived"


def test_304_with_etag_is_not_modified(site: HTTPServer, fetcher: Fetcher) -> None:
    seen: dict[str, str | None] = {}

    def conditional(request: Request) -> Response:
        seen["if-none-match"] = request.headers.get("If-None-Match")
        seen["if-modified-since"] = request.headers.get("If-Modified-Since")
        return Response(status=304, headers={"ETag": '"v1"'})

    site.expect_request("/etag.html").respond_with_handler(conditional)

    fetched = fetcher.fetch(
        site.url_for("/etag.html"),
        fmt=SourceFormat.HTML,
        etag='"v1"',
        last_modified="Wed, 01 Jan 2026 00:00:00 GMT",
        now=lambda: NOW,
    )

    assert seen == {"if-none-match": '"v1"', "if-modified-since": "Wed, 01 Jan 2026 00:00:00 GMT"}
    assert fetched.not_modified and fetched.status == 304 and fetched.body == b""
    assert fetched.etag == '"v1"'
    assert fetched.last_modified == "Wed, 01 Jan 2026 00:00:00 GMT"
    assert fetched.sha256 == hashlib.sha256(b"").hexdigest()


# --- charsets ----------------------------------------------------------------------------------


def test_gbk_page_with_meta_charset_and_no_header_charset(
    site: HTTPServer, fetcher: Fetcher
) -> None:
    page = (
        f'<html><head><meta charset="gbk"><title>价格</title></head><body>{ZH_TEXT}</body></html>'
    )
    site.expect_request("/enc-gbk-meta.html").respond_with_data(
        page.encode("gbk"), content_type="text/html"
    )

    fetched = fetcher.fetch(site.url_for("/enc-gbk-meta.html"), fmt=SourceFormat.HTML)

    assert fetched.headers["content-type"] == "text/html"
    assert fetched.encoding == "gb18030"
    assert fetched.text() == page


def test_gbk_page_without_any_declaration_is_detected(site: HTTPServer, fetcher: Fetcher) -> None:
    page = f"<html><head><title>大模型价格</title></head><body><p>{ZH_TEXT}</p></body></html>"
    site.expect_request("/enc-gbk-bare.html").respond_with_data(
        page.encode("gbk"), content_type="text/html"
    )

    fetched = fetcher.fetch(site.url_for("/enc-gbk-bare.html"), fmt=SourceFormat.HTML)

    assert fetched.encoding == "gb18030"
    assert fetched.text() == page


def test_gb2312_header_charset_is_widened_to_gb18030(site: HTTPServer, fetcher: Fetcher) -> None:
    site.expect_request("/enc-gb2312.html").respond_with_data(
        ZH_TEXT.encode("gbk"), content_type="text/html; charset=GB2312"
    )

    fetched = fetcher.fetch(site.url_for("/enc-gb2312.html"), fmt=SourceFormat.HTML)

    assert fetched.encoding == "gb18030"
    assert fetched.text() == ZH_TEXT  # 镕 is GBK, not GB2312: the superset keeps it


# --- failures, one named page each ----------------------------------------------------------------


def test_status_500_after_retries(site: HTTPServer, fetcher: Fetcher) -> None:
    site.expect_request("/status-500").respond_with_data("down", status=500)
    url = site.url_for("/status-500")

    error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.HTTP_STATUS
    assert str(error) == f"HTTP 500 from {url} after 2 retries"
    assert len(requests_to(site, "/status-500")) == 3  # the first try and two retries


def test_status_404_is_not_retried(site: HTTPServer, fetcher: Fetcher) -> None:
    site.expect_request("/status-404").respond_with_data("gone", status=404)
    url = site.url_for("/status-404")

    error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.HTTP_STATUS
    assert str(error) == f"HTTP 404 from {url}"
    assert len(requests_to(site, "/status-404")) == 1


def test_429_with_huge_retry_after_is_capped(site: HTTPServer, fetcher: Fetcher) -> None:
    site.expect_request("/status-429").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "86400"}
    )
    url = site.url_for("/status-429")

    started = time.monotonic()
    error = fetch_error(fetcher, url)
    elapsed = time.monotonic() - started

    assert error.code == ErrorCode.HTTP_STATUS
    assert str(error) == f"HTTP 429 from {url} after 2 retries"
    assert len(requests_to(site, "/status-429")) == 3
    assert 0.4 <= elapsed < 3.0  # two pauses of the 0.2 s cap, not a day


def _sleepy(seconds: float) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        time.sleep(seconds)
        return Response("late", content_type="text/plain")

    return handler


def test_slow_page_times_out(site: HTTPServer, fast_settings: FastSettings) -> None:
    site.expect_request("/delay").respond_with_handler(_sleepy(0.5))
    url = site.url_for("/delay")

    with Fetcher(fast_settings(read_timeout_s=0.1, retries=1)) as fetcher:
        error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.TIMEOUT
    assert str(error) == f"timed out fetching {url} (connect 1 s, read 0.1 s) after 1 retries"


def test_deadline_stops_a_source_before_the_read_timeout(
    site: HTTPServer, fast_settings: FastSettings
) -> None:
    site.expect_request("/delay-deadline").respond_with_handler(_sleepy(10.0))
    url = site.url_for("/delay-deadline")

    started = time.monotonic()
    with Fetcher(fast_settings(read_timeout_s=5.0, source_deadline_s=0.3)) as fetcher:
        error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.TIMEOUT
    assert str(error) == f"deadline of 0.3 s exceeded fetching {url}"
    assert time.monotonic() - started < 5.0  # a generous bound: the page would take 10 s
    assert len(requests_to(site, "/delay-deadline")) <= 1  # no retry past the deadline


def test_deadline_is_checked_while_streaming(site: HTTPServer, fast_settings: FastSettings) -> None:
    def trickle(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(40):
                time.sleep(0.25)
                yield b"<p>more</p>"

        return Response(chunks(), content_type="text/html")

    site.expect_request("/trickle").respond_with_handler(trickle)
    url = site.url_for("/trickle")

    started = time.monotonic()
    with Fetcher(fast_settings(source_deadline_s=0.4)) as fetcher:
        error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.TIMEOUT
    assert str(error) == f"deadline of 0.4 s exceeded fetching {url}"
    assert time.monotonic() - started < 5.0  # a generous bound: the page takes 10 s


def test_connection_reset(raw_server: Callable[..., RawServer], fetcher: Fetcher) -> None:
    def reset(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    server = raw_server(reset)
    url = f"http://127.0.0.1:{server.port}/drop"

    error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.CONNECTION
    assert str(error) == f"cannot fetch {url}: Connection reset by peer after 2 retries"
    assert server.accepted == 3


def test_truncated_body(raw_server: Callable[..., RawServer], fetcher: Fetcher) -> None:
    def partial(conn: socket.socket) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n"
        conn.sendall(head + b"<html>" + b"x" * 94)

    server = raw_server(partial)
    url = f"http://127.0.0.1:{server.port}/partial"

    error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.TRUNCATED
    assert str(error) == f"body of {url} cut off after 100 of 1000 bytes"
    assert server.accepted == 1


def test_oversized_body(site: HTTPServer, fetcher: Fetcher) -> None:
    site.expect_request("/huge.html").respond_with_data(b"x" * (64 * KIB + 1))
    url = site.url_for("/huge.html")

    error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.TOO_LARGE
    assert str(error) == f"body of {url} exceeds the cap of 65536 bytes"


def test_oversized_streamed_body_without_length(site: HTTPServer, fetcher: Fetcher) -> None:
    site.expect_request("/huge.csv").respond_with_handler(
        lambda request: Response((b"1,2,3\n" * 1000 for _ in range(100)), content_type="text/csv")
    )
    url = site.url_for("/huge.csv")

    error = fetch_error(fetcher, url, SourceFormat.CSV)

    assert error.code == ErrorCode.TOO_LARGE


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    return gzip.compress(bytes(50 * MIB), compresslevel=9)  # ~50 KiB on the wire


def test_gzip_bomb_stops_at_the_cap(
    raw_server: Callable[..., RawServer], gzip_bomb: bytes, fast_settings: FastSettings
) -> None:
    def bomb(conn: socket.socket) -> None:
        # A bare socket, not werkzeug: its own buffers would blur the memory measurement.
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
            f"Content-Length: {len(gzip_bomb)}\r\n\r\n"
        )
        conn.sendall(head.encode() + gzip_bomb)

    url = f"http://127.0.0.1:{raw_server(bomb).port}/bomb.html"

    with Fetcher(fast_settings(max_html_bytes=1 * MIB)) as fetcher:
        tracemalloc.start()
        try:
            error = fetch_error(fetcher, url)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert error.code == ErrorCode.TOO_LARGE
    assert str(error) == f"body of {url} exceeds the cap of {MIB} bytes"
    assert peak < 3 * MIB  # the cap plus one chunk, not 50 MiB


def test_redirect_loop(site: HTTPServer, fetcher: Fetcher) -> None:
    site.expect_request("/loop-a").respond_with_data("", 302, {"Location": "/loop-b"})
    site.expect_request("/loop-b").respond_with_data("", 302, {"Location": "/loop-a"})
    url = site.url_for("/loop-a")

    error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.REDIRECT_LOOP
    assert str(error) == f"redirect loop fetching {url}: back to {url}"
    assert len(requests_to(site, "/loop-a") + requests_to(site, "/loop-b")) == 2


def test_too_many_redirects(site: HTTPServer, fetcher: Fetcher) -> None:
    def onward(request: Request) -> Response:
        hop = int(request.args.get("n", "0"))
        return Response("", status=302, headers={"Location": f"/hop?n={hop + 1}"})

    site.expect_request("/hop").respond_with_handler(onward)
    url = site.url_for("/hop")

    error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.REDIRECT_LOOP
    assert str(error) == f"more than {MAX_REDIRECTS} redirects fetching {url}"
    assert len(requests_to(site, "/hop")) == MAX_REDIRECTS + 1


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, which is link-local"),
        ("http://10.0.0.1/admin", "10.0.0.1, which is private"),
    ],
)
def test_redirect_to_blocked_address(
    site: HTTPServer, fetcher: Fetcher, target: str, reason: str
) -> None:
    site.expect_request("/to-internal").respond_with_data("", 302, {"Location": target})

    started = time.monotonic()
    error = fetch_error(fetcher, site.url_for("/to-internal"))

    assert error.code == ErrorCode.BLOCKED_ADDRESS  # refused before connecting: no timeout
    assert reason in str(error) and target in str(error)
    assert time.monotonic() - started < 1.0


def test_redirect_to_file_url_is_refused_even_when_file_urls_are_allowed(
    site: HTTPServer, fast_settings: FastSettings
) -> None:
    site.expect_request("/to-file").respond_with_data("", 302, {"Location": "file:///etc/passwd"})

    with Fetcher(fast_settings(allow_file_urls=True)) as fetcher:
        error = fetch_error(fetcher, site.url_for("/to-file"))

    assert error.code == ErrorCode.BLOCKED_SCHEME
    assert "file:///etc/passwd" in str(error)


def test_file_url_is_refused_by_default(fetcher: Fetcher) -> None:
    error = fetch_error(fetcher, "file:///etc/hostname")

    assert error.code == ErrorCode.BLOCKED_SCHEME
    assert str(error).startswith("refused file:///etc/hostname: only http and https")


def test_file_url_is_read_with_the_cap_when_allowed(
    tmp_path: Path, fast_settings: FastSettings
) -> None:
    small = tmp_path / "small.csv"
    small.write_bytes("名称,价格\n模型,0.5\n".encode("gbk") * 3)
    large = tmp_path / "large.csv"
    large.write_bytes(b"x" * (64 * KIB + 1))

    with Fetcher(fast_settings(allow_file_urls=True)) as fetcher:
        fetched = fetcher.fetch(small.as_uri(), fmt=SourceFormat.CSV)
        error = fetch_error(fetcher, large.as_uri(), SourceFormat.CSV)

    assert fetched.status == 200 and fetched.body == small.read_bytes()
    assert fetched.content_type == "text/csv"
    assert error.code == ErrorCode.TOO_LARGE


# --- robots.txt and politeness -------------------------------------------------------------------


def test_robots_disallow(site: HTTPServer, fast_settings: FastSettings) -> None:
    site.expect_request("/robots.txt").respond_with_data(
        "User-agent: factcheck-test\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n",
        content_type="text/plain",
    )
    site.expect_request("/public.html").respond_with_data("ok", content_type="text/html")
    url = site.url_for("/private/page.html")

    with Fetcher(fast_settings(obey_robots=True)) as fetcher:
        error = fetch_error(fetcher, url)
        fetched = fetcher.fetch(site.url_for("/public.html"), fmt=SourceFormat.HTML)

    assert error.code == ErrorCode.ROBOTS_BLOCKED
    assert str(error) == f"{url} is disallowed by {site.url_for('/robots.txt')} for {UA}"
    assert fetched.body == b"ok"
    robots = requests_to(site, "/robots.txt")
    assert len(robots) == 1  # once per host, however many pages
    assert robots[0].headers["User-Agent"] == UA
    assert requests_to(site, "/private/page.html") == []


def test_robots_refusing_a_redirect_names_the_source_first(
    site: HTTPServer, fast_settings: FastSettings
) -> None:
    site.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private\n", content_type="text/plain"
    )
    site.expect_request("/moved").respond_with_data(
        "", status=301, headers={"Location": "/private/page.html"}
    )
    url, hop = site.url_for("/moved"), site.url_for("/private/page.html")

    with Fetcher(fast_settings(obey_robots=True)) as fetcher:
        error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.ROBOTS_BLOCKED
    assert str(error) == (
        f"{url} (redirected to {hop}) is disallowed by {site.url_for('/robots.txt')} for {UA}"
    )
    assert requests_to(site, "/private/page.html") == []


def test_robots_500_disallows_everything(site: HTTPServer, fast_settings: FastSettings) -> None:
    site.expect_request("/robots.txt").respond_with_data("oops", status=500)
    url = site.url_for("/page.html")

    with Fetcher(fast_settings(obey_robots=True, retries=0)) as fetcher:
        error = fetch_error(fetcher, url)

    assert error.code == ErrorCode.ROBOTS_BLOCKED
    assert str(error) == (
        f"{url} is treated as disallowed: {site.url_for('/robots.txt')} is unavailable "
        "(HTTP 500; RFC 9309)"
    )
    assert len(requests_to(site, "/robots.txt")) == 1
    assert requests_to(site, "/page.html") == []


def test_robots_404_allows_everything(site: HTTPServer, fast_settings: FastSettings) -> None:
    site.expect_request("/robots.txt").respond_with_data("none", status=404)
    site.expect_request("/page.html").respond_with_data("fine", content_type="text/html")

    with Fetcher(fast_settings(obey_robots=True)) as fetcher:
        fetched = fetcher.fetch(site.url_for("/page.html"), fmt=SourceFormat.HTML)

    assert fetched.body == b"fine"


def test_robots_crawl_delay_spaces_requests(site: HTTPServer, fast_settings: FastSettings) -> None:
    site.expect_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 0.3\n")
    site.expect_request("/a.html").respond_with_data("a", content_type="text/html")
    starts: list[float] = []

    def timed(request: Request) -> Response:
        starts.append(time.monotonic())
        return Response("b", content_type="text/html")

    site.expect_request("/b.html").respond_with_handler(timed)

    with Fetcher(fast_settings(obey_robots=True)) as fetcher:
        fetcher.fetch(site.url_for("/a.html"), fmt=SourceFormat.HTML)
        fetcher.fetch(site.url_for("/b.html"), fmt=SourceFormat.HTML)
        fetcher.fetch(site.url_for("/b.html"), fmt=SourceFormat.HTML)

    assert starts[1] - starts[0] >= 0.25


def test_per_host_concurrency_is_bounded_and_robots_fetched_once(
    site: HTTPServer, fast_settings: FastSettings
) -> None:
    in_flight = 0
    most = 0
    lock = threading.Lock()

    def counting(request: Request) -> Response:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.1)
        with lock:
            in_flight -= 1
        return Response("ok", content_type="text/html")

    site.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    site.expect_request("/busy.html").respond_with_handler(counting)
    url = site.url_for("/busy.html")

    settings = fast_settings(per_host_concurrency=1, workers=4, obey_robots=True)
    with Fetcher(settings) as fetcher:
        threads = [
            threading.Thread(target=fetcher.fetch, args=(url,), kwargs={"fmt": SourceFormat.HTML})
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(requests_to(site, "/busy.html")) == 4
    assert most == 1
    assert len(requests_to(site, "/robots.txt")) == 1  # four threads, one robots.txt download
