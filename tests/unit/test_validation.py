"""Field validators and settings ranges: what passes fits both databases and every later run."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, fields

import pytest

from factcheck.config import (
    CONFIG_VARIABLE,
    RANGES,
    Settings,
    check_settings,
    env_name,
    load_settings,
    setting_names,
)
from factcheck.declarations import fields as checks
from factcheck.declarations.inputs import validate_link, validate_source
from factcheck.errors import ConfigError, ValidationError
from tests.support import REPO

# -- URLs -------------------------------------------------------------------------------------

GOOD_URLS = [
    "https://example.org/factcheck",
    "http://example.org:8080/a?b=c#d",
    "http://[::1]:8080/",
    "http://[2001:db8::1]/x",
    "http://127.0.0.1/",
    "https://münchen.de/",  # an IDNA host
    "https://xn--mnchen-3ya.de/",  # the same, as an A-label
    "https://EXAMPLE.org./",  # upper case and a trailing dot
    "https://a-b.example/",
    "http://example.org:65535/",
]

BAD_URLS = {
    "http://example.org:99999/": "port must be between 1 and 65535",
    "http://example.org:0/": "port must be between 1 and 65535",
    "http://example.org:-1/": "port must be between 1 and 65535",
    "http://example.org:８０/": "port must be between 1 and 65535",  # full-width digits
    "http://example.org:/": "empty port",
    "http://[::1/": "is not a URL",
    "http://[zz::1]/": "is not a URL",
    "http://[::1]x/": "is not a URL",
    "http://1.2.3.999/": "is not an IPv4 address",
    "http://-bad.example/": "is not a valid host name",
    "http://a..b/": "is not a valid host name",
    "http://xn--zz.example/": "is not a valid host name",
    "http://☃.example/": "is not a valid host name",
    "http://" + "a" * 64 + ".example/": "is not a valid host name",
    "http://" + ".".join(["a" * 60] * 5) + "/": "is not a valid host name",  # 304 characters
    "http:///path": "no host",
    "http://user:pw@example.org/": "credentials",
    "http://user@example.org/": "credentials",
    "http://exa mple.org/": "whitespace or control character",
    "http://example.org/\x00": "whitespace or control character",
    "http://example.org/a\u3000b": "whitespace or control character",
    "ftp://example.org/": "http or https only",
    "http://example.org/" + "a" * 2000: "longer than 2000 characters",
}


@pytest.mark.parametrize("url", GOOD_URLS)
def test_good_urls_pass_unchanged(url: str) -> None:
    assert checks.check_url(url, "url") == url


@pytest.mark.parametrize("url", sorted(BAD_URLS))
def test_bad_urls_are_refused_naming_the_field(url: str) -> None:
    with pytest.raises(ValidationError) as raised:
        checks.check_url(url, "url")
    message = str(raised.value)
    assert message.startswith("field 'url': ") and BAD_URLS[url] in message
    assert "\n" not in message


def test_file_urls_only_when_asked() -> None:
    assert checks.check_url("file:///srv/a.html", "url", schemes=("file",)) == "file:///srv/a.html"
    with pytest.raises(ValidationError, match="not a file URL"):
        checks.check_url("file://host/srv/a.html", "url", schemes=("file",))


# -- whole numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 24, 8760])
def test_recheck_hours_in_range(value: int) -> None:
    assert checks.check_int(value, "recheck_hours") == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "must be between 1 and 8760, got 0"),
        (-5, "must be between 1 and 8760, got -5"),
        (8761, "must be between 1 and 8760, got 8761"),
        (2**63 - 1, "got 9223372036854775807"),
        (10**400, "got a 1329-bit number"),
        (True, "expected a whole number"),
        ("24", "expected a whole number"),
        (24.0, "expected a whole number"),
    ],
)
def test_recheck_hours_out_of_range(value: object, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        validate_source({"key": "s", "url": "https://example.org/", "recheck_hours": value})
    assert str(raised.value).startswith("field 'recheck_hours': ")
    assert message in str(raised.value)


def test_every_declared_integer_fits_a_32_bit_column() -> None:
    for bounds in checks.INT_RANGES.values():
        assert -(2**31) <= bounds.minimum <= bounds.maximum <= 2**31 - 1


def test_rule_option_integers_are_bounded() -> None:
    link = {
        "source": "s",
        "rule_kind": "json_path",
        "rule": "$.prices[*]",
        "options": {"weights": {"input": 2**31 - 1, "output": 1}},
    }
    assert validate_link(link).rule.options["weights"]["input"] == 2**31 - 1
    link["options"] = {"weights": {"input": 2**31, "output": 1}}
    with pytest.raises(ValidationError, match=r"field 'options.weights.input': must be between"):
        validate_link(link)


# -- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\ud800"])
def test_control_characters_are_refused(char: str) -> None:
    with pytest.raises(ValidationError) as raised:
        checks.check_text(f"ab{char}c", "statement")
    assert str(raised.value) == (
        f"field 'statement': control character U+{ord(char):04X} at position 3"
    )


def test_tab_newline_and_carriage_return_are_text() -> None:
    text = "line one\r\n\tline two\n约 50%"
    assert checks.check_text(text, "statement") == text


def test_long_text_is_bounded() -> None:
    long = "x" * checks.MAX_LONG_TEXT_CHARS
    assert checks.check_text(long, "statement") == long
    with pytest.raises(ValidationError, match="longer than 1000000 characters"):
        checks.check_text(long + "x", "statement")


# -- settings ---------------------------------------------------------------------------------


def test_every_numeric_setting_has_a_range_that_holds_its_default() -> None:
    defaults = Settings()
    for f in fields(Settings):
        value = getattr(defaults, f.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert f.name in RANGES, f"{f.name} has no range in config.RANGES"
            assert RANGES[f.name].holds(value), f.name
    assert check_settings(defaults) is defaults


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FACTCHECK_WORKERS", "0", "FACTCHECK_WORKERS: must be between 1 and 256, got 0"),
        ("FACTCHECK_WORKERS", "257", "FACTCHECK_WORKERS: must be between 1 and 256, got 257"),
        ("FACTCHECK_RETRIES", "-1", "FACTCHECK_RETRIES: must be between 0 and 20, got -1"),
        (
            "FACTCHECK_CONNECT_TIMEOUT_S",
            "0",
            "FACTCHECK_CONNECT_TIMEOUT_S: must be greater than 0 and at most 600, got 0.0",
        ),
        (
            "FACTCHECK_READ_TIMEOUT_S",
            "nan",
            "FACTCHECK_READ_TIMEOUT_S: must be greater than 0 and at most 3600, got nan",
        ),
        (
            "FACTCHECK_SOURCE_DEADLINE_S",
            "inf",
            "FACTCHECK_SOURCE_DEADLINE_S: must be greater than 0 and at most 86400, got inf",
        ),
        (
            "FACTCHECK_RETRY_AFTER_CAP_S",
            "-5",
            "FACTCHECK_RETRY_AFTER_CAP_S: must be between 0 and 86400, got -5.0",
        ),
        (
            "FACTCHECK_LOCK_LEASE_S",
            "0",
            "FACTCHECK_LOCK_LEASE_S: must be between 4 and 86400, got 0",
        ),
        (
            "FACTCHECK_MAX_HTML_BYTES",
            "9" * 40,
            "FACTCHECK_MAX_HTML_BYTES: must be between 1024 and 1073741824, got a 133-bit number",
        ),
        ("FACTCHECK_WORKERS", "many", "FACTCHECK_WORKERS: expected an integer, got 'many'"),
    ],
)
def test_settings_out_of_range_name_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({variable: value})
    assert str(raised.value) == message


def test_settings_at_their_bounds_are_accepted() -> None:
    settings = load_settings(
        {
            "FACTCHECK_WORKERS": "256",
            "FACTCHECK_RETRIES": "0",
            "FACTCHECK_PER_HOST_DELAY_S": "0",
            "FACTCHECK_READ_TIMEOUT_S": "0.3",
            "FACTCHECK_LOCK_LEASE_S": "4",
        }
    )
    assert (settings.workers, settings.retries, settings.read_timeout_s) == (256, 0, 0.3)


def test_the_readme_table_lists_exactly_the_settings() -> None:
    """README "Configuration": every setting's variable, and nothing that is not one (but the
    config file's own variable); a new field without a row, or a row left behind, fails."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `FACTCHECK_")]
    listed = [name for row in rows for name in re.findall(r"`(FACTCHECK_[A-Z_]+)`", row)]
    assert sorted(listed) == sorted([*map(env_name, setting_names()), CONFIG_VARIABLE])
    assert "`--db`" in section  # the command-line option beside its variable


def test_settings_are_plain_values_with_a_variable_each() -> None:
    """Every field is a setting with its variable (the old `extra` mapping, never read, is
    gone), and the whole object is plain JSON (a child process gets its settings so)."""
    assert "extra" not in setting_names()
    assert json.loads(json.dumps(asdict(Settings()))) == asdict(Settings())
