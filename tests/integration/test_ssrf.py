"""The SSRF guard: every blocked address form is refused before a socket is opened.

The address policy is tested first and without any traffic; then the Fetcher is pointed at each
form while a listener waits on the loopback port it would reach, and the listener must see no
connection. Non-loopback addresses are never contacted: refusing them before connecting is the
point, and the workplace flags traffic to private ranges.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from factcheck.domain import ErrorCode, SourceFormat
from factcheck.errors import BlockedAddressError, FetchError
from factcheck.fetching.fetcher import Fetcher
from factcheck.fetching.netguard import blocked_reason, resolve_checked
from tests.support import make_fast_settings


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


# --- the policy, no traffic at all -------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "IPv4-mapped IPv6 for 127.0.0.1"),
        ("::ffff:8.8.8.8", "IPv4-mapped IPv6 for 8.8.8.8"),
        ("::7f00:1", "IPv4-compatible IPv6 for 127.0.0.1"),
        ("2002:7f00:1::", "IPv4-embedding IPv6"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
    ],
)
def test_blocked_reason(address: str, reason: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), allow_loopback=False) == reason


@pytest.mark.parametrize(
    "address",
    # Python's own tables for these moved between 3.11 patch releases; blocked either way.
    ["198.18.0.1", "192.0.0.8", "192.88.99.1", "fec0::1", "64:ff9b::a00:1", "2001::1", "5f00::1"],
)
def test_special_purpose_ranges_are_blocked(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), allow_loopback=False) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), allow_loopback=False) is None


def test_allow_loopback_admits_only_127_8_and_ipv6_loopback() -> None:
    allowed = ["127.0.0.1", "127.255.0.9", "::1"]
    still_blocked = ["::ffff:127.0.0.1", "::7f00:1", "0.0.0.0", "::", "10.0.0.1", "169.254.1.1"]

    for address in allowed:
        assert blocked_reason(ipaddress.ip_address(address), allow_loopback=True) is None
    for address in still_blocked:
        assert blocked_reason(ipaddress.ip_address(address), allow_loopback=True) is not None


def test_allow_private_admits_rfc1918_unique_local_and_loopback_only() -> None:
    """The webhook's allow-list: an internal receiver, never metadata or a disguised form."""
    allowed = ["10.0.0.1", "172.16.5.4", "192.168.1.1", "fd00::1", "127.0.0.1", "::1"]
    still_blocked = ["169.254.169.254", "fe80::1", "100.64.0.1", "::ffff:10.0.0.1", "0.0.0.0",
                     "224.0.0.1", "198.18.0.1", "240.0.0.1"]  # fmt: skip

    for address in allowed:
        ip = ipaddress.ip_address(address)
        assert blocked_reason(ip, allow_loopback=False, allow_private=True) is None
    for address in still_blocked:
        ip = ipaddress.ip_address(address)
        assert blocked_reason(ip, allow_loopback=False, allow_private=True) is not None


@pytest.mark.parametrize(
    ("host", "resolved"),
    [
        ("2130706433", "127.0.0.1"),  # integer
        ("0x7f.0.0.1", "127.0.0.1"),  # hex
        ("0x7f.1", "127.0.0.1"),  # hex, short form
        ("017700000001", "127.0.0.1"),  # octal integer
        ("0177.0.0.1", "127.0.0.1"),  # octal dotted
    ],
)
def test_numeric_host_forms_are_normalised_then_refused(host: str, resolved: str) -> None:
    with pytest.raises(BlockedAddressError) as caught:
        resolve_checked(host, 80, allow_loopback=False, url=f"http://{host}/")

    assert caught.value.code == ErrorCode.BLOCKED_ADDRESS
    assert str(caught.value) == (
        f"refused http://{host}/: host {host} resolves to {resolved}, which is loopback"
    )


def test_any_blocked_address_among_several_refuses_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name with one good and one internal address is refused, whichever comes first."""

    def two_answers(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)

    with pytest.raises(BlockedAddressError, match=r"resolves to 10\.0\.0\.1, which is private"):
        resolve_checked("mixed.test", 80, allow_loopback=True, url="http://mixed.test/")


# --- the Fetcher: refused before connecting ------------------------------------------------------


def refusal(url: str, *, allow_loopback: bool) -> FetchError:
    # a long connect timeout: a refusal that did try to connect would show in the time taken
    settings = make_fast_settings(
        allow_loopback=allow_loopback, read_timeout_s=1.0, connect_timeout_s=30.0
    )
    with Fetcher(settings) as fetcher:
        try:
            fetcher.fetch(url, fmt=SourceFormat.HTML)
        except FetchError as error:
            return error
    raise AssertionError(f"{url} was fetched")


class Listener:
    """A loopback socket that listens but never accepts: any connect attempt would queue."""

    def __init__(self, family: socket.AddressFamily, host: str, port: int = 0) -> None:
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.bind((host, port))
        self.socket.listen(8)
        self.socket.setblocking(False)
        self.port: int = self.socket.getsockname()[1]

    def connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.socket.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1


@pytest.fixture
def listeners() -> Iterator[tuple[Listener, Listener]]:
    """One port, listened on at 127.0.0.1 and at ::1 (retry if ::1 has it taken)."""
    for _ in range(20):
        v4 = Listener(socket.AF_INET, "127.0.0.1")
        try:
            v6 = Listener(socket.AF_INET6, "::1", v4.port)
        except OSError:
            v4.socket.close()
            continue
        yield v4, v6
        v4.socket.close()
        v6.socket.close()
        return
    pytest.skip("no port free on both 127.0.0.1 and ::1")


LOOPBACK_FORMS = [
    ("127.0.0.1", "127.0.0.1, which is loopback"),
    ("[::1]", "::1, which is loopback"),
    ("[::ffff:127.0.0.1]", "which is IPv4-mapped IPv6 for 127.0.0.1"),
    ("2130706433", "127.0.0.1, which is loopback"),
    ("0x7f.0.0.1", "127.0.0.1, which is loopback"),
    ("0.0.0.0", "0.0.0.0, which is unspecified"),  # Linux connects 0.0.0.0 to loopback
    ("localhost", "127.0.0.1, which is loopback"),
]


@pytest.mark.parametrize(("host", "says"), LOOPBACK_FORMS)
def test_loopback_forms_are_refused_and_never_connected(
    listeners: tuple[Listener, Listener], host: str, says: str
) -> None:
    v4, v6 = listeners
    url = f"http://{host}:{v4.port}/secret"

    error = refusal(url, allow_loopback=False)

    assert error.code == ErrorCode.BLOCKED_ADDRESS
    assert str(error).startswith(f"refused {url}: host ")
    assert says in str(error)
    assert (v4.connections(), v6.connections()) == (0, 0)


@pytest.mark.parametrize(
    ("host", "says"),
    [
        ("169.254.169.254", "169.254.169.254, which is link-local"),
        ("10.0.0.1", "10.0.0.1, which is private"),
        ("192.168.1.1", "192.168.1.1, which is private"),
        ("100.64.0.1", "100.64.0.1, which is shared (CGNAT)"),
        ("[fd00::1]", "fd00::1, which is private"),
    ],
)
def test_internal_addresses_are_refused_without_a_connection_attempt(host: str, says: str) -> None:
    url = f"http://{host}/latest/meta-data/"

    started = time.monotonic()
    error = refusal(url, allow_loopback=False)

    assert error.code == ErrorCode.BLOCKED_ADDRESS  # not timeout/connection: no SYN was sent
    assert says in str(error)
    assert time.monotonic() - started < 10.0  # a connection attempt would wait 30 s


@pytest.mark.parametrize("host", ["[::ffff:127.0.0.1]", "0.0.0.0"])
def test_allow_loopback_still_refuses_disguised_loopback(
    listeners: tuple[Listener, Listener], host: str
) -> None:
    v4, v6 = listeners

    error = refusal(f"http://{host}:{v4.port}/", allow_loopback=True)

    assert error.code == ErrorCode.BLOCKED_ADDRESS
    assert (v4.connections(), v6.connections()) == (0, 0)


@pytest.fixture
def site() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "0x7f.1"])
def test_allow_loopback_fetches_loopback(site: HTTPServer, host: str) -> None:
    site.expect_request("/ok").respond_with_data("ok", content_type="text/plain")

    with Fetcher(make_fast_settings(allow_loopback=True, read_timeout_s=1.0)) as fetcher:
        fetched = fetcher.fetch(f"http://{host}:{site.port}/ok", fmt=SourceFormat.TEXT)

    assert fetched.body == b"ok"


def test_connection_is_pinned_to_the_checked_address(
    site: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers 127.0.0.1 once, then fails; the fetch must not ask again."""
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(host)
        if len(lookups) == 1:
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "rebound")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    site.expect_request("/pinned").respond_with_data("pinned", content_type="text/plain")

    with Fetcher(make_fast_settings(allow_loopback=True, read_timeout_s=1.0)) as fetcher:
        fetched = fetcher.fetch(f"http://rebind.test:{site.port}/pinned", fmt=SourceFormat.TEXT)

    assert fetched.body == b"pinned"
    assert lookups == ["rebind.test"]  # checked once; the socket used that answer
    request, _ = site.log[0]
    assert request.headers["Host"] == f"rebind.test:{site.port}"  # the name, not the address


def test_the_webhook_allow_list_does_not_open_sources(
    listeners: tuple[Listener, Listener],
) -> None:
    v4, v6 = listeners
    url = f"http://127.0.0.1:{v4.port}/secret"
    settings = make_fast_settings(allow_loopback=False, webhook_allow_private=True)

    with Fetcher(settings) as fetcher, pytest.raises(BlockedAddressError) as caught:
        fetcher.fetch(url, fmt=SourceFormat.HTML)

    assert caught.value.code == ErrorCode.BLOCKED_ADDRESS
    assert (v4.connections(), v6.connections()) == (0, 0)
