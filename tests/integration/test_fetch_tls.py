"""HTTPS through the pinned adapter: the socket goes to the checked address, while SNI and the
certificate check still use the name in the URL.

A throwaway CA (trustme) signs a certificate for `localhost` (or, to fail, for another name);
a standard-library TLS server on the loopback address `localhost` resolves to serves it, and
the Fetcher trusts that CA through `Settings.ca_bundle`.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from factcheck.config import Settings
from factcheck.domain import ErrorCode, SourceFormat
from factcheck.errors import FetchError
from factcheck.fetching.fetcher import Fetcher

PAGE = b"<html><body><p>405B parameters</p></body></html>"


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow-headers":  # a header that never ends, one byte every 0.2 s
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(300):
                time.sleep(0.2)
                self.wfile.write(b"x")
                self.wfile.flush()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


class TLSServer:
    """http.server in a thread on `localhost`'s first address (the one the guard pins to),
    presenting `cert`; records the SNI name each handshake asked for."""

    def __init__(self, cert: trustme.LeafCert) -> None:
        family, *_, sockaddr = socket.getaddrinfo("localhost", 0, type=socket.SOCK_STREAM)[0]
        self.sni: list[str | None] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        context.sni_callback = self._record_sni

        class Server(http.server.HTTPServer):
            address_family = family

        self._server = Server(sockaddr[:2], _Page)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.address = str(sockaddr[0])
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _record_sni(self, _sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        self.sni.append(name)

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def tls_server() -> Iterator[Callable[[trustme.LeafCert], TLSServer]]:
    servers: list[TLSServer] = []

    def start(cert: trustme.LeafCert) -> TLSServer:
        servers.append(TLSServer(cert))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                 "SSL_CERT_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def tls_settings(ca_bundle: str | None) -> Settings:
    return Settings(
        allow_loopback=True,
        obey_robots=False,
        per_host_delay_s=0.0,
        connect_timeout_s=2.0,
        read_timeout_s=5.0,
        retries=0,
        backoff_factor_s=0.0,
        ca_bundle=ca_bundle,
    )


def test_a_certificate_for_the_url_name_is_accepted_over_the_pinned_connection(
    ca: trustme.CA, ca_file: str, tls_server: Callable[[trustme.LeafCert], TLSServer]
) -> None:
    server = tls_server(ca.issue_cert("localhost"))
    url = f"https://localhost:{server.port}/page"

    with Fetcher(tls_settings(ca_file)) as fetcher:
        page = fetcher.fetch(url, fmt=SourceFormat.HTML)

    assert (page.status, page.body, page.final_url) == (200, PAGE, url)
    assert server.sni == ["localhost"]  # the name, though the socket went to the address


def test_a_certificate_for_another_name_fails_as_a_connection_error(
    ca: trustme.CA, ca_file: str, tls_server: Callable[[trustme.LeafCert], TLSServer]
) -> None:
    server = tls_server(ca.issue_cert("other.example"))
    url = f"https://localhost:{server.port}/page"

    with Fetcher(tls_settings(ca_file)) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(url, fmt=SourceFormat.HTML)

    assert caught.value.code == ErrorCode.CONNECTION
    assert str(caught.value).startswith(f"cannot fetch {url}: ")
    assert "hostname 'localhost' doesn't match 'other.example'" in str(caught.value)
    assert server.sni == ["localhost"]


def test_an_unknown_ca_fails_without_the_ca_bundle_setting(
    ca: trustme.CA, tls_server: Callable[[trustme.LeafCert], TLSServer]
) -> None:
    server = tls_server(ca.issue_cert("localhost"))
    url = f"https://localhost:{server.port}/page"

    with Fetcher(tls_settings(None)) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(url, fmt=SourceFormat.HTML)

    assert caught.value.code == ErrorCode.CONNECTION
    assert "certificate verify failed" in str(caught.value)


def test_a_trickled_tls_response_stops_at_the_source_deadline(
    ca: trustme.CA, ca_file: str, tls_server: Callable[[trustme.LeafCert], TLSServer]
) -> None:
    server = tls_server(ca.issue_cert("localhost"))
    url = f"https://localhost:{server.port}/slow-headers"
    settings = tls_settings(ca_file).with_overrides(source_deadline_s=1.5)

    started = time.monotonic()
    with Fetcher(settings) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(url, fmt=SourceFormat.HTML)

    assert time.monotonic() - started < 15.0  # generous: "ended", not "ended on time"
    assert caught.value.code == ErrorCode.TIMEOUT
    assert str(caught.value) == f"deadline of 1.5 s exceeded fetching {url}"
