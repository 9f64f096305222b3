"""Whether an http(s) URL can be requested at all, decided before any socket is opened.

A source URL is declared by someone and a redirect's Location is chosen by a server, so either
may be malformed on purpose: a port past 65535, a broken IPv6 literal, an empty DNS label, a
label over 63 characters, an `xn--` label that is not valid Punycode. The standard library
and requests raise ValueError, InvalidURL or UnicodeError for these at different depths;
checking here first lets the fetcher name the problem (invalid_url / invalid_redirect).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

MAX_HOST_CHARS = 253  # RFC 1035, without the trailing dot
MAX_LABEL_CHARS = 63
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")  # underscore: seen in real DNS


def split_url(url: str) -> SplitResult | str:
    """`url` split into parts, or why it cannot be requested.

    >>> split_url("http://example.org:8080/x").port
    8080
    >>> split_url("http://127.0.0.1:99999/")
    'Port out of range 0-65535'
    >>> split_url("http://[::1/")
    'Invalid IPv6 URL'
    >>> split_url("http://a..b/")
    "host 'a..b' has an empty label"
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return str(exc)
    if port == 0:
        return "port 0 cannot be connected to"
    problem = host_problem(parts.hostname or "", bracketed="[" in parts.netloc)
    return parts if problem is None else problem


def host_problem(host: str, *, bracketed: bool = False) -> str | None:
    """Why `host` (as urlsplit's `hostname` gives it) is not a requestable host, or None.

    >>> host_problem("example.org"), host_problem("bücher.example"), host_problem("10.0.0.1")
    (None, None, None)
    >>> host_problem("xn--a.example")
    "host 'xn--a.example': label 'xn--a' is not valid Punycode"
    >>> host_problem("a" * 64 + ".example")
    "host 'aaaaaaaa…' has a label longer than 63 characters"
    >>> host_problem("zz::1", bracketed=True)
    "host '[zz::1]' is not an IPv6 address"
    """
    if not host:
        return "URL has no host"
    if bracketed:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return f"host {'[' + host + ']'!r} is not an IPv6 address"
        return None
    shown = host if len(host) <= 40 else host[:8] + "…"
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""  # the label checks below say which rule it broke
    name = (ascii_host or host).lower().removesuffix(".")
    if len(name) > MAX_HOST_CHARS:
        return f"host {shown!r} is longer than {MAX_HOST_CHARS} characters"
    for label in name.split("."):
        if not label:
            return f"host {shown!r} has an empty label"
        if len(label) > MAX_LABEL_CHARS:
            return f"host {shown!r} has a label longer than {MAX_LABEL_CHARS} characters"
        if not label.isascii() or not _LABEL.fullmatch(label):
            return f"host {shown!r} has characters no host name may have"
        if label.startswith("xn--") and not _valid_punycode(label):
            return f"host {shown!r}: label {label!r} is not valid Punycode"
    return None


def _valid_punycode(label: str) -> bool:
    """An A-label must decode to a U-label that IDNA (nameprep) encodes back to the label.

    >>> _valid_punycode("xn--bcher-kva"), _valid_punycode("xn--a"), _valid_punycode("xn--")
    (True, False, False)
    """
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
        return not decoded.isascii() and decoded.encode("idna").decode("ascii") == label
    except UnicodeError:
        return False
