"""The SSRF guard: which addresses a source URL may reach, and an adapter that pins to them.

A source URL is data written by someone else, and a redirect is chosen by a server, so neither
may steer a fetch at the machine itself, the local network or a cloud metadata endpoint. The
host of every request (every redirect hop included) is resolved once with `getaddrinfo`, which
also normalises integer, hex and octal spellings such as `2130706433` and `0x7f.1`; if ANY
returned address is outside the public internet the request is refused before a socket is
opened. Otherwise the connection is pinned to the first checked address, so a DNS answer
that changes between the check and the connect (rebinding) cannot redirect it.

The pinning technique (override `build_connection_pool_key_attributes`, keep the name for
`Host`, SNI and certificate checks) is the one `requests_hardened.IPFilterAdapter` uses. We do
not use that class itself: it checks only the first resolved address, passes IPv4-compatible
IPv6 such as `::7f00:1` (reserved, not "private"), and with loopback allowed it unwraps and
admits `::ffff:127.0.0.1`. The policy below is ours; the technique is theirs.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.util.connection import allowed_gai_family

from factcheck.errors import BlockedAddressError, FetchError
from factcheck.fetching.watchdog import WATCHED_POOLS

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges `ipaddress` treats as global (or does not flag on every Python) that still reach
# internal or translated destinations.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "100.64.0.0/10",  # shared address space (CGNAT)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "2002::/16",  # 6to4: embeds an IPv4 address
        "64:ff9b::/96",  # NAT64: embeds an IPv4 address
        "64:ff9b:1::/48",  # local-use NAT64
        "2001::/32",  # Teredo: embeds an IPv4 address
        "fec0::/10",  # deprecated site-local
    )
)
# What `allow_private` admits: the RFC 1918 and unique-local ranges an internal receiver uses.
_PRIVATE = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.ip_address("::1")


def blocked_reason(
    ip: IPAddress, *, allow_loopback: bool, allow_private: bool = False
) -> str | None:
    """Why `ip` may not be fetched from, or None when it is a public address.

    `allow_private` (the webhook's own setting, never a source's) also admits loopback and
    the private ranges (10/8, 172.16/12, 192.168/16, fc00::/7); link-local, where cloud
    metadata lives, and every disguised form stay refused.

    >>> blocked_reason(ipaddress.ip_address("93.184.215.14"), allow_loopback=False)
    >>> blocked_reason(ipaddress.ip_address("100.64.0.1"), allow_loopback=False)
    'shared (CGNAT)'
    >>> blocked_reason(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True)
    'IPv4-mapped IPv6 for 127.0.0.1'
    >>> blocked_reason(ipaddress.ip_address("127.0.0.2"), allow_loopback=True)
    >>> blocked_reason(ipaddress.ip_address("fd00::1"), allow_loopback=False, allow_private=True)
    >>> blocked_reason(
    ...     ipaddress.ip_address("169.254.169.254"), allow_loopback=False, allow_private=True
    ... )
    'link-local'
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"IPv4-mapped IPv6 for {ip.ipv4_mapped}"
        if ip.sixtofour is not None or ip.teredo is not None:
            return "IPv4-embedding IPv6"
        # ::a.b.c.d (IPv4-compatible, deprecated) lives in ::/96; `::` and `::1` are named below.
        if int(ip) >> 32 == 0 and int(ip) > 1:
            return f"IPv4-compatible IPv6 for {ipaddress.IPv4Address(int(ip))}"
    loopback = ip in _LOOPBACK_V4 if ip.version == 4 else ip == _LOOPBACK_V6
    if (allow_loopback or allow_private) and loopback:
        return None
    if allow_private and any(ip in net for net in _PRIVATE):
        return None
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip in _EXTRA_BLOCKED[0], "shared (CGNAT)"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (any(ip in net for net in _EXTRA_BLOCKED), "special-purpose"),
        (not ip.is_global, "non-global"),
    )
    return next((reason for flagged, reason in checks if flagged), None)


class BlockedHost(BlockedAddressError):
    """A host that resolves to a blocked address: every URL on it is refused alike."""

    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"refused {url}: {detail}")
        self.detail = detail

    def for_url(self, url: str) -> BlockedHost:
        """The same refusal, for another URL on the host (the page, not its robots.txt)."""
        return BlockedHost(url, self.detail)


class UnresolvedHost(FetchError):
    """A host name that does not resolve: every URL on it fails alike."""

    def __init__(self, url: str, host: str, detail: str) -> None:
        super().__init__("connection", f"cannot resolve host {host!r} of {url}: {detail}")
        self.host, self.detail = host, detail

    def for_url(self, url: str) -> UnresolvedHost:
        """The same failure, for another URL on the host (the page, not its robots.txt)."""
        return UnresolvedHost(url, self.host, self.detail)


def resolve_checked(
    host: str, port: int, *, allow_loopback: bool, url: str, allow_private: bool = False
) -> str:
    """Resolve `host`, refuse it if any address is blocked, and return the address to pin.

    Raises BlockedHost (code blocked_address) or UnresolvedHost (code connection) when the
    name does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvedHost(url, host, str(exc)) from exc
    addresses: list[IPAddress] = []
    for family, *_rest, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        # Drop an IPv6 scope id ("fe80::1%eth0"): the address alone decides.
        addresses.append(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
    if not addresses:
        raise UnresolvedHost(url, host, "it has no IP address")
    for ip in addresses:
        reason = blocked_reason(ip, allow_loopback=allow_loopback, allow_private=allow_private)
        if reason is not None:
            logger.info("refused %s: %s resolves to %s (%s)", url, host, ip, reason)
            raise BlockedHost(url, f"host {host} resolves to {ip}, which is {reason}")
    return str(addresses[0])


class PinnedAdapter(HTTPAdapter):
    """An HTTPAdapter that checks each request's host and connects to the checked address."""

    def __init__(
        self, *, allow_loopback: bool, https: bool, allow_private: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._allow_loopback = allow_loopback
        self._allow_private = allow_private
        self._https = https

    def build_connection_pool_key_attributes(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        host: str = host_params["host"]
        port: int | None = host_params["port"]
        default_port = 443 if self._https else 80
        pinned = resolve_checked(
            host,
            port or default_port,
            allow_loopback=self._allow_loopback,
            allow_private=self._allow_private,
            url=str(request.url),
        )
        # The server still sees the name it was asked for; TLS verifies that name too.
        host_header = f"[{host}]" if ":" in host else host
        if port is not None:
            host_header += f":{port}"
        request.headers = CaseInsensitiveDict(request.headers or {})
        request.headers["Host"] = host_header
        if self._https:
            pool_kwargs["assert_hostname"] = host
            pool_kwargs["server_hostname"] = host
        host_params["host"] = pinned
        return host_params, pool_kwargs

    def get_connection(self, url: str, proxies: Any = None) -> Any:
        """Deprecated requests API that bypasses the pool-key hook: refuse rather than leak."""
        raise NotImplementedError("PinnedAdapter only supports get_connection_with_tls_context")


def guarded_session(
    *,
    user_agent: str,
    allow_loopback: bool,
    allow_private: bool = False,
    ca_bundle: str | None = None,
    pool: int = 1,
    max_retries: Any = 0,
) -> requests.Session:
    """A requests.Session whose every request goes through PinnedAdapter.

    Environment proxies (and .netrc) would bypass the pinned address, so they are never used;
    `ca_bundle` replaces certifi's CAs (a private PKI, or a test's own CA).
    """
    session = requests.Session()
    session.trust_env = False
    session.headers["User-Agent"] = user_agent
    if ca_bundle:
        session.verify = ca_bundle
    for prefix, https in (("http://", False), ("https://", True)):
        adapter = PinnedAdapter(
            allow_loopback=allow_loopback,
            allow_private=allow_private,
            https=https,
            pool_connections=pool,
            pool_maxsize=pool,
            max_retries=max_retries,
        )
        # connections a Watchdog can shut down at a fetch's deadline (no-op for other callers)
        adapter.poolmanager.pool_classes_by_scheme = WATCHED_POOLS
        session.mount(prefix, adapter)
    return session
