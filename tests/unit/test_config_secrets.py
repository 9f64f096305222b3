"""The review of issue 11's configuration: no secret echoed by an error, a malformed webhook
secret refused at start, empty optional variables unset, a misspelt FACTCHECK_CONFIG named,
and bad input (a database URL, a pyproject.toml) a usage error, not an internal one."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

import factcheck.settings_text
from factcheck.config import load_settings, resolve_settings
from factcheck.errors import ConfigError
from factcheck.settings_text import signing_key
from tests.support import Result, run_cli

SLACK = "https://hooks.slack.com/services/T0/B0/T0KENXYZ"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def one_line_usage_error(done: Result, *secrets: str) -> str:
    """The error line of a run that must stop with exit 2, nothing on stdout, no secret."""
    assert (done.code, done.stdout) == (2, ""), done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    for secret in secrets:
        assert secret not in done.stderr
    return done.stderr.removeprefix("error: ").rstrip("\n")


def test_the_mask_doctests_pass() -> None:
    result = doctest.testmod(factcheck.settings_text)
    assert result.attempted >= 10 and result.failed == 0


# -- 1. no secret in an error, nor in config show ------------------------------------------------


def test_a_secret_of_the_wrong_type_in_the_file_is_not_quoted(tmp_path: Path) -> None:
    path = write(tmp_path, "factcheck.toml", "webhook_secret = 12345678901234\n")
    done = run_cli("claim", "list", cwd=tmp_path)
    line = one_line_usage_error(done, "12345678901234")
    expected = "webhook_secret: expected a string, got a value of another type (not shown)"
    assert line == f"{path.name}: {expected}"
    write(tmp_path, "factcheck.toml", f'webhook_url = ["{SLACK}"]\n')
    assert "expected a string" in one_line_usage_error(
        run_cli("claim", "list", cwd=tmp_path), "T0KENXYZ"
    )


def test_a_bad_webhook_url_is_quoted_without_its_path(tmp_path: Path) -> None:
    env = {"FACTCHECK_WEBHOOK_URL": "hooks.slack.com/services/T0/B0/T0KENXYZ"}
    line = one_line_usage_error(run_cli("claim", "list", cwd=tmp_path, env=env), "T0KENXYZ")
    assert line == "FACTCHECK_WEBHOOK_URL: expected an http(s) URL, got 'hooks.slack.com/***'"
    with pytest.raises(ConfigError, match=r"got 'ftp://u:\*\*\*@h/\*\*\*'$"):
        load_settings({"FACTCHECK_WEBHOOK_URL": "ftp://u:pw@h/T0KENXYZ"}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql//u:S3CRET@h/db", "'postgresql//u:***@h/db'"),  # the ':' forgotten
        ("postgresql://u:S3CRET@h:notaport/db", "'postgresql://u:***@h:notaport/db'"),
    ],
)
def test_a_database_url_that_does_not_parse_is_a_masked_usage_error(
    tmp_path: Path, url: str, shown: str
) -> None:
    for env in ({}, {"FACTCHECK_DATABASE_URL": url}):
        done = run_cli("claim", "list", db_url=None if env else url, cwd=tmp_path, env=env)
        assert one_line_usage_error(done, "S3CRET") == f"not a database URL: {shown}"


def test_a_database_driver_not_installed_is_a_usage_error(tmp_path: Path) -> None:
    done = run_cli("claim", "list", db_url="postgresql+nodriver://u:S3CRET@h/db", cwd=tmp_path)
    assert one_line_usage_error(done, "S3CRET").startswith("not a usable database URL: ")


def test_config_show_hides_the_webhook_url_path(tmp_path: Path) -> None:
    env = {"FACTCHECK_WEBHOOK_URL": SLACK + "?channel=ops&token=t0ps3cret"}
    done = run_cli("config", "show", "--json", cwd=tmp_path, env=env)
    assert done.code == 0, done.stderr
    rows = {r["setting"]: r for r in json.loads(done.stdout)}
    assert rows["webhook_url"]["value"] == "https://hooks.slack.com/***?channel=ops&token=***"
    assert "T0KENXYZ" not in done.stdout and "t0ps3cret" not in done.stdout


# -- 2. the webhook secret checked at start; empty optional values unset -------------------------


@pytest.mark.parametrize("secret", ["whsec_not base64!", "whsec_", "whsec_abcde"])
def test_a_malformed_whsec_secret_stops_the_start(tmp_path: Path, secret: str) -> None:
    env = {"FACTCHECK_WEBHOOK_SECRET": secret}
    done = run_cli("claim", "list", cwd=tmp_path, env=env)
    line = one_line_usage_error(done, *([secret] if secret != "whsec_" else []))
    assert line == "FACTCHECK_WEBHOOK_SECRET: the part after whsec_ must be base64"
    path = write(tmp_path, "factcheck.toml", f'webhook_secret = "{secret}"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings({}, cwd=tmp_path)
    assert str(raised.value) == f"{path}: webhook_secret: the part after whsec_ must be base64"


def test_good_secrets_pass_and_make_the_key_notices_sign_with(tmp_path: Path) -> None:
    for secret in ("whsec_c2VjcmV0IGtleQ==", "whsec_c2VjcmV0IGtleQ", "any passphrase"):
        settings = load_settings({"FACTCHECK_WEBHOOK_SECRET": secret}, cwd=tmp_path)
        assert settings.webhook_secret == secret
    assert signing_key("whsec_c2VjcmV0IGtleQ") == b"secret key"
    from factcheck.verification import notices

    assert notices.signing_key is signing_key  # one derivation, checked at start and used


@pytest.mark.parametrize("name", ["webhook_url", "webhook_secret", "ca_bundle"])
def test_an_empty_optional_value_means_unset(tmp_path: Path, name: str) -> None:
    variable = "FACTCHECK_" + name.upper()
    resolved = resolve_settings({variable: ""}, cwd=tmp_path)
    assert getattr(resolved.settings, name) is None
    assert resolved.origins[name].name == variable  # shown as set there, to nothing
    write(tmp_path, "factcheck.toml", f'{name} = ""\n')
    assert getattr(load_settings({}, cwd=tmp_path), name) is None


def test_an_empty_required_text_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^FACTCHECK_USER_AGENT: must be one line of text"):
        load_settings({"FACTCHECK_USER_AGENT": ""}, cwd=tmp_path)
    with pytest.raises(ConfigError, match=r"^FACTCHECK_WORKERS: expected an integer, got ''$"):
        load_settings({"FACTCHECK_WORKERS": ""}, cwd=tmp_path)


# -- 3. and 4. the nearest name, and bad files -----------------------------------------------------


def test_a_misspelt_config_variable_is_named(tmp_path: Path) -> None:
    done = run_cli("claim", "list", cwd=tmp_path, env={"FACTCHECK_CONFG": "x"})
    line = one_line_usage_error(done)
    assert line == "FACTCHECK_CONFG: unknown setting; did you mean FACTCHECK_CONFIG?"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tool = 3\n", "pyproject.toml: tool: expected a table"),
        (
            "[tool]\nfactcheck = 3\n",
            "pyproject.toml [tool.factcheck]: expected a table of settings",
        ),
    ],
)
def test_a_pyproject_whose_tool_is_not_a_table(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "pyproject.toml", text)
    assert one_line_usage_error(run_cli("claim", "list", cwd=tmp_path)) == message


def test_an_empty_boolean_is_an_error_not_false() -> None:
    """`FACTCHECK_OBEY_ROBOTS=` must not quietly turn robots.txt off."""
    from factcheck.config import load_settings
    from factcheck.errors import ConfigError

    with pytest.raises(ConfigError, match="FACTCHECK_OBEY_ROBOTS: expected true/false"):
        load_settings({"FACTCHECK_OBEY_ROBOTS": ""})
