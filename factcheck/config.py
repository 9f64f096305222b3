"""Settings: one frozen object built at the edge (environment + CLI options) and passed down.

This is the only module that reads `os.environ`. Units are in the names (`_s` seconds,
`_bytes` bytes). Nothing here connects to anything. Every numeric setting has a range in
`RANGES` (the README's table), checked once when the settings are built, so that a bad value
stops the program at start with one line naming the variable, not a run halfway through.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit

import factcheck
from factcheck.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///factcheck.db"
DEFAULT_USER_AGENT = (
    f"factcheck/{factcheck.__version__} "
    "(+https://example.org/factcheck; contact: factcheck@example.org)"
)
MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with documented defaults."""

    database_url: str = DEFAULT_DATABASE_URL
    # fetching
    user_agent: str = DEFAULT_USER_AGENT
    allow_loopback: bool = (
        False  # tests and the demo only: lets the SSRF guard pass 127.0.0.0/8, ::1
    )
    allow_file_urls: bool = False  # file:// sources are refused unless enabled
    workers: int = 16  # global fetch pool width
    per_host_concurrency: int = 2  # at most this many requests in flight to one host
    per_host_delay_s: float = 1.0  # minimum gap between two requests to one host (or Crawl-delay)
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    source_deadline_s: float = 120.0  # whole fetch of one source, retries included
    retries: int = 3  # on connection errors and 429/500/502/503/504, GET/HEAD only
    backoff_factor_s: float = 0.5
    retry_after_cap_s: float = 120.0  # a hostile Retry-After cannot park a worker for longer
    max_html_bytes: int = 5 * MIB  # counted after decompression
    max_data_bytes: int = 20 * MIB  # JSON / CSV / text, counted after decompression
    obey_robots: bool = True
    ca_bundle: str | None = None  # PEM file of CAs for HTTPS (sources and webhook); None: certifi
    # extraction: what one rule on a hostile page may cost and keep
    rule_timeout_s: float = 2.0  # matching time of one regex rule on one page -> rule_timeout
    max_regex_text_chars: int = 2_000_000  # a regex searches this many characters; the cut is noted
    max_hits_per_rule: int = 1_000  # hits kept per rule; the rest are counted as dropped
    max_hit_chars: int = 2_000  # characters kept of one hit's raw text, and of its excerpt
    max_link_chars: int = 1_000_000  # raw + excerpt characters kept over all hits of one rule
    max_nesting_depth: int = 200  # JSON arrays/objects in each other; deeper is parse_error
    max_html_depth: int = 1_000  # HTML elements in each other (lxml alone stops at 256)
    # judging
    stale_after_days: int = 7  # a verdict whose freshest good evidence is older is stale
    # scheduling
    schedule_cron: str = "0 2 * * *"  # minute hour day month weekday
    schedule_timezone: str = "UTC"
    misfire_grace_s: int = 6 * 3600
    lock_lease_s: int = 60  # SQLite lease: a holder that stops heartbeating loses it after this
    webhook_url: str | None = None
    # Standard Webhooks signing secret ("whsec_" + base64, or any text): when set, each notice
    # carries webhook-id, webhook-timestamp and webhook-signature headers. A secret: masked.
    webhook_secret: str | None = None
    # The webhook goes through the same SSRF guard as sources; an operator whose receiver is on
    # the internal network (10/8, 192.168/16, fc00::/7, loopback) allows it here. Sources are
    # never affected; link-local (cloud metadata) stays refused.
    webhook_allow_private: bool = False
    # publishing
    organisation_name: str = "factcheck"
    organisation_url: str = "https://example.org/factcheck"
    # logging: "text" (one line per record) or "json" (one JSON object per line)
    log_format: str = "text"
    extra: Mapping[str, str] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given fields replaced; `None` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_ENV_PREFIX = "FACTCHECK_"
KIB = 1024
GIB = 1024 * MIB


@dataclass(frozen=True)
class Range:
    """Inclusive bounds of a numeric setting; `above` makes the minimum exclusive (> 0)."""

    minimum: float
    maximum: float
    above: bool = False

    def holds(self, value: float) -> bool:
        low_ok = value > self.minimum if self.above else value >= self.minimum
        return math.isfinite(value) and low_ok and value <= self.maximum

    def describe(self) -> str:
        low, high = _number(self.minimum), _number(self.maximum)
        if self.above:
            return f"must be greater than {low} and at most {high}"
        return f"must be between {low} and {high}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# Every numeric Settings field and its range. Integer settings fit a signed 32-bit column.
RANGES: dict[str, Range] = {
    "workers": Range(1, 256),
    "per_host_concurrency": Range(1, 64),
    "per_host_delay_s": Range(0, 3600),
    "connect_timeout_s": Range(0, 600, above=True),
    "read_timeout_s": Range(0, 3600, above=True),
    "source_deadline_s": Range(0, 86400, above=True),
    "retries": Range(0, 20),
    "backoff_factor_s": Range(0, 60),
    "retry_after_cap_s": Range(0, 86400),
    "max_html_bytes": Range(KIB, GIB),
    "max_data_bytes": Range(KIB, GIB),
    "stale_after_days": Range(1, 3650),
    "misfire_grace_s": Range(0, 30 * 86400),
    "lock_lease_s": Range(4, 86400),  # renewed every quarter of it: at least once a second
    "rule_timeout_s": Range(0, 600, above=True),
    "max_regex_text_chars": Range(1_000, 100_000_000),
    "max_hits_per_rule": Range(1, 1_000_000),
    "max_hit_chars": Range(80, 1_000_000),
    "max_link_chars": Range(1_000, 100_000_000),
    "max_nesting_depth": Range(10, 10_000),
    "max_html_depth": Range(256, 100_000),
}


def env_name(name: str) -> str:
    """The environment variable of a Settings field."""
    return _ENV_PREFIX + name.upper()


LOG_FORMATS = ("text", "json")
URL_SETTINGS = ("webhook_url", "organisation_url")  # http(s) with a host, when set


def _check_texts(settings: Settings) -> None:
    """The text settings a run relies on: an honest, sendable User-Agent, URLs that parse, a CA
    file that exists. (Schedule settings are checked by the scheduler, which parses them.)"""
    agent = settings.user_agent
    if not agent.strip() or any(ord(c) < 32 or ord(c) == 127 for c in agent):
        raise ConfigError(f"{env_name('user_agent')}: must be one line of text, got {agent!r}")
    for name in URL_SETTINGS:
        value = getattr(settings, name)
        if value is None:
            continue
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (parsing the port is the check)
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.hostname or not value.isprintable():
            raise ConfigError(f"{env_name(name)}: expected an http(s) URL, got {value!r}")
    if settings.log_format not in LOG_FORMATS:
        raise ConfigError(
            f"{env_name('log_format')}: expected one of {', '.join(LOG_FORMATS)}, "
            f"got {settings.log_format!r}"
        )
    if settings.ca_bundle is not None and not os.path.isfile(settings.ca_bundle):
        raise ConfigError(f"{env_name('ca_bundle')}: no such file: {settings.ca_bundle}")


def check_settings(settings: Settings) -> Settings:
    """Refuse a setting outside its range or form, naming the variable; returns `settings`."""
    _check_texts(settings)
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        bounds = RANGES.get(f.name)  # a field without one fails tests/unit/test_validation.py
        if bounds is not None and not bounds.holds(value):
            shown = (
                f"a {value.bit_length()}-bit number"
                if isinstance(value, int) and value.bit_length() > 100
                else str(value)
            )
            raise ConfigError(f"{env_name(f.name)}: {bounds.describe()}, got {shown}")
    return settings


def _coerce(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{_ENV_PREFIX}{name.upper()}: expected true/false, got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(
                f"{_ENV_PREFIX}{name.upper()}: expected an integer, got {raw!r}"
            ) from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(
                f"{_ENV_PREFIX}{name.upper()}: expected a number, got {raw!r}"
            ) from None
    return raw


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from `FACTCHECK_*` variables, then apply explicit overrides (CLI options)."""
    env = os.environ if environ is None else environ
    defaults = Settings()
    values: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name == "extra":
            continue
        raw = env.get(_ENV_PREFIX + f.name.upper())
        if raw is not None:
            values[f.name] = _coerce(f.name, raw, getattr(defaults, f.name))
    return check_settings(replace(defaults, **values).with_overrides(**overrides))
