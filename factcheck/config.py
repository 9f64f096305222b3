"""Settings: one frozen object built at the edge and passed down.

Each setting comes from, highest first: a command-line option, its `FACTCHECK_<FIELD>`
environment variable, the config file, its default. The config file is the one named by
`FACTCHECK_CONFIG`, else `./factcheck.toml`, else the `[tool.factcheck]` table of
`./pyproject.toml`; only the first found is read. Its keys are the field names, with TOML types.

This is the only module that reads `os.environ` and the config file. Units are in the names
(`_s` seconds, `_bytes` bytes). Nothing here connects to anything. Every numeric setting has a
range in `RANGES` (the README's table), checked once when the settings are built, so that a bad
value, or a misspelt variable or key (named with its nearest valid spelling), stops the program
at start with one line, not a run halfway through.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import factcheck
from factcheck.errors import ConfigError
from factcheck.settings_text import SECRET_SETTINGS, URL_SECRET_SETTINGS, check_texts

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
    # "local": the in-process pool; "procrastinate": units are jobs for `factcheck worker`
    executor: str = "local"
    stall_timeout_s: int = 60  # a unit whose worker stopped heartbeating is retried after this
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
    report_dir: str | None = None  # the HTML report's folder, rebuilt after each nightly run
    # logging: "text" (one line per record) or "json" (one JSON object per line)
    log_format: str = "text"

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
    "lock_lease_s": Range(4, 86400),
    "stall_timeout_s": Range(2, 86400),  # renewed every quarter of it: at least once a second
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


def setting_names() -> tuple[str, ...]:
    """Every setting, in declaration order (the README's table lists exactly these)."""
    return tuple(f.name for f in fields(Settings))


CONFIG_FILE = "factcheck.toml"
PYPROJECT = "pyproject.toml"
CONFIG_VARIABLE = "FACTCHECK_CONFIG"
# The FACTCHECK_* variables that are not settings: the config file's path, the test suite's and
# the benchmarks' own. Any other unknown FACTCHECK_* variable is a misspelling and an error.
NOT_SETTINGS = (CONFIG_VARIABLE, "FACTCHECK_TEST_*", "FACTCHECK_BENCH_*")
CLI_OPTIONS = {"database_url": "--db"}  # the settings that have a command-line option


@dataclass(frozen=True)
class Origin:
    """Where a setting's value came from: `kind` is default, file, env or option; `name` is the
    file (as found), the variable or the option."""

    kind: str
    name: str = ""

    def names(self, setting: str) -> str:
        """How an error about `setting` names it, as the user wrote it."""
        if self.kind == "file":
            return f"{self.name}: {setting}"
        if self.kind == "option":
            return self.name
        return env_name(setting)

    def __str__(self) -> str:
        return self.name or self.kind


DEFAULT = Origin("default")


def check_settings(settings: Settings, origins: Mapping[str, Origin] | None = None) -> Settings:
    """Refuse a setting outside its range or form, naming it where it was set (the variable
    unless `origins` says a file or an option); returns `settings`."""
    where = origins or {}

    def named(name: str) -> str:
        return where.get(name, DEFAULT).names(name)

    check_texts(asdict(settings), named)
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
            raise ConfigError(f"{named(f.name)}: {bounds.describe()}, got {shown}")
    return settings


# -- reading the environment and the config file ----------------------------------------------


def _kind(name: str) -> str:
    """A field's value type: bool, int, float or str (`str | None` fields take text too)."""
    annotation = str(next(f.type for f in fields(Settings) if f.name == name))
    return annotation.split(" | ")[0]


def _optional(name: str) -> bool:
    """Whether the field may be unset (`str | None`): an empty value unsets it."""
    return str(next(f.type for f in fields(Settings) if f.name == name)).endswith("None")


def _from_env(name: str, raw: str) -> Any:
    kind, variable = _kind(name), env_name(name)
    if raw == "" and _optional(name):
        return None
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{variable}: expected true/false, got {raw!r}")
    if kind in ("int", "float"):
        try:
            return int(raw) if kind == "int" else float(raw)
        except ValueError:
            expected = "an integer" if kind == "int" else "a number"
            raise ConfigError(f"{variable}: expected {expected}, got {raw!r}") from None
    return raw


_TOML_TYPES: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "str": (str,),
}
_TOML_WORDS = {"bool": "true or false", "int": "an integer", "float": "a number", "str": "a string"}


def _from_file(name: str, value: Any, where: str) -> Any:
    """A config file value of the field's own TOML type (`workers = 8`, not `"8"`)."""
    kind = _kind(name)
    if (isinstance(value, bool) and kind != "bool") or not isinstance(value, _TOML_TYPES[kind]):
        shown = json.dumps(value, default=str, ensure_ascii=False)
        if name in SECRET_SETTINGS + URL_SECRET_SETTINGS:  # may hold a secret: not quoted
            shown = "a value of another type (not shown)"
        raise ConfigError(f"{where}: {name}: expected {_TOML_WORDS[kind]}, got {shown}")
    if value == "" and _optional(name):
        return None
    return float(value) if kind == "float" and isinstance(value, int) else value


def _nearest(word: str, known: Sequence[str], prefix: str = "") -> str:
    """`; did you mean X?` for the closest known spelling (compared without `prefix`, which
    every variable shares), or a pointer to the list.

    >>> _nearest("FACTCHECK_WORKRES", ["WORKERS", "RETRIES"], "FACTCHECK_")
    '; did you mean FACTCHECK_WORKERS?'
    """
    stem = word.removeprefix(prefix).upper() if prefix else word
    close = difflib.get_close_matches(stem, known, n=1, cutoff=0.6)
    return f"; did you mean {prefix}{close[0]}?" if close else " (see `factcheck config show`)"


def _check_variables(env: Mapping[str, str]) -> None:
    """Refuse a FACTCHECK_* variable that is neither a setting nor in NOT_SETTINGS."""
    known = [n.upper() for n in setting_names()]
    # a misspelt FACTCHECK_CONFIG is named too
    spelt = known + [n.removeprefix(_ENV_PREFIX) for n in NOT_SETTINGS if "*" not in n]
    for variable in sorted(env):
        if not variable.startswith(_ENV_PREFIX) or variable.removeprefix(_ENV_PREFIX) in known:
            continue
        if any(fnmatch.fnmatchcase(variable, pattern) for pattern in NOT_SETTINGS):
            continue
        raise ConfigError(f"{variable}: unknown setting{_nearest(variable, spelt, _ENV_PREFIX)}")


def find_config_file(env: Mapping[str, str], cwd: Path) -> Path | None:
    """The config file to read: $FACTCHECK_CONFIG (empty: none), else ./factcheck.toml, else
    ./pyproject.toml when it has a [tool.factcheck] table (read by `read_config_file`)."""
    named = env.get(CONFIG_VARIABLE)
    if named is not None:
        if not named:
            return None
        path = cwd / named
        if not path.is_file():
            raise ConfigError(f"{CONFIG_VARIABLE}: no such file: {named}")
        return path
    for candidate in (cwd / CONFIG_FILE, cwd / PYPROJECT):
        if candidate.is_file():
            return candidate
    return None


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings in a config file (a pyproject.toml: its [tool.factcheck] table); an error
    in it, or a key that is not a setting, is one line naming the file."""
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable TOML file: {exc}") from None
    where = str(path)
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: tool: expected a table")
        data, where = tool.get("factcheck", {}), f"{path} [tool.factcheck]"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table of settings")
    known = setting_names()
    for key in data:
        if key not in known:
            raise ConfigError(f"{where}: {key}: unknown setting{_nearest(key, known)}")
    return {key: _from_file(key, value, where) for key, value in data.items()}


@dataclass(frozen=True)
class Resolved:
    """The effective settings, where each came from, and the config file read (if any)."""

    settings: Settings
    origins: Mapping[str, Origin]
    config_file: Path | None


def resolve_settings(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    options: Mapping[str, Any] | None = None,
) -> Resolved:
    """Settings from defaults, the config file, `FACTCHECK_*` variables, then `options` (the
    command line; `None` values are not given), each over the one before, checked once."""
    env = os.environ if environ is None else environ
    _check_variables(env)
    path = find_config_file(env, Path() if cwd is None else cwd)
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = dict.fromkeys(setting_names(), DEFAULT)
    if path is not None:
        where = f"{path} [tool.factcheck]" if path.name == PYPROJECT else str(path)
        for name, value in read_config_file(path).items():
            values[name], origins[name] = value, Origin("file", where)
    for name in setting_names():
        raw = env.get(env_name(name))
        if raw is not None:
            values[name], origins[name] = _from_env(name, raw), Origin("env", env_name(name))
    for name, value in (options or {}).items():
        if value is not None:
            values[name] = value
            origins[name] = Origin("option", CLI_OPTIONS.get(name, "--" + name.replace("_", "-")))
    settings = check_settings(replace(Settings(), **values), origins)
    return Resolved(settings, origins, path)


def load_settings(
    environ: Mapping[str, str] | None = None, *, cwd: Path | None = None, **overrides: Any
) -> Settings:
    """The effective settings (`resolve_settings`); `overrides` are command-line options."""
    return resolve_settings(environ, cwd=cwd, options=overrides).settings
