"""Settings from the command line, the environment, a config file and the defaults: precedence,
misspellings named with their nearest valid spelling, and `factcheck config show`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factcheck.config import Origin, load_settings, resolve_settings, setting_names
from factcheck.errors import ConfigError
from tests.support import run_cli


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- precedence ---------------------------------------------------------------------------------


def test_environment_over_file_over_default(tmp_path: Path) -> None:
    write(tmp_path, "factcheck.toml", "workers = 8\nretries = 5\nobey_robots = false\n")
    resolved = resolve_settings({"FACTCHECK_RETRIES": "1"}, cwd=tmp_path)
    settings, origins = resolved.settings, resolved.origins
    assert (settings.workers, settings.retries, settings.obey_robots) == (8, 1, False)
    assert settings.per_host_concurrency == 2  # default
    assert origins["workers"] == Origin("file", str(tmp_path / "factcheck.toml"))
    assert origins["retries"] == Origin("env", "FACTCHECK_RETRIES")
    assert origins["per_host_concurrency"] == Origin("default")
    assert resolved.config_file == tmp_path / "factcheck.toml"


def test_command_line_over_environment(tmp_path: Path) -> None:
    write(tmp_path, "factcheck.toml", 'database_url = "sqlite:///file.db"\n')
    env = {"FACTCHECK_DATABASE_URL": "sqlite:///env.db"}
    resolved = resolve_settings(env, cwd=tmp_path, options={"database_url": "sqlite:///cli.db"})
    assert resolved.settings.database_url == "sqlite:///cli.db"
    assert resolved.origins["database_url"] == Origin("option", "--db")
    # an option not given (None) leaves the environment's value
    assert load_settings(env, cwd=tmp_path, database_url=None).database_url == "sqlite:///env.db"


def test_pyproject_table_is_read_unless_factcheck_toml_hides_it(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n\n[tool.factcheck]\nworkers = 3\n')
    assert load_settings({}, cwd=tmp_path).workers == 3
    origin = resolve_settings({}, cwd=tmp_path).origins["workers"]
    assert origin.name == f"{tmp_path / 'pyproject.toml'} [tool.factcheck]"
    write(tmp_path, "factcheck.toml", "retries = 2\n")
    hidden = load_settings({}, cwd=tmp_path)
    assert (hidden.workers, hidden.retries) == (16, 2)  # only the first file found is read


def test_factcheck_config_names_the_file_and_empty_reads_none(tmp_path: Path) -> None:
    write(tmp_path, "factcheck.toml", "workers = 8\n")
    elsewhere = write(tmp_path, "ops.toml", "workers = 4\n")
    assert load_settings({"FACTCHECK_CONFIG": str(elsewhere)}, cwd=tmp_path).workers == 4
    assert load_settings({"FACTCHECK_CONFIG": "ops.toml"}, cwd=tmp_path).workers == 4
    assert load_settings({"FACTCHECK_CONFIG": ""}, cwd=tmp_path).workers == 16
    with pytest.raises(ConfigError, match=r"^FACTCHECK_CONFIG: no such file: gone\.toml$"):
        load_settings({"FACTCHECK_CONFIG": "gone.toml"}, cwd=tmp_path)


def test_a_pyproject_without_the_table_is_no_config(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n')
    resolved = resolve_settings({}, cwd=tmp_path)
    assert resolved.settings.workers == 16
    assert set(resolved.origins.values()) == {Origin("default")}


# -- misspellings and wrong values ----------------------------------------------------------------


def test_unknown_variable_names_the_nearest(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"FACTCHECK_WORKRES": "3"}, cwd=tmp_path)
    assert (
        str(raised.value) == "FACTCHECK_WORKRES: unknown setting; did you mean FACTCHECK_WORKERS?"
    )
    with pytest.raises(ConfigError, match=r"^FACTCHECK_ZZZ: unknown setting \(see"):
        load_settings({"FACTCHECK_ZZZ": "1"}, cwd=tmp_path)


def test_the_allowed_non_settings_pass(tmp_path: Path) -> None:
    env = {
        "FACTCHECK_TEST_BACKENDS": "sqlite",
        "FACTCHECK_TEST_PG": "postgresql://x@127.0.0.1/t",
        "FACTCHECK_BENCH_PG": "postgresql://x@127.0.0.1/b",
        "FACTCHECK_CONFIG": "",
        "OTHER_FACTCHECK_WORKRES": "not ours",
    }
    assert load_settings(env, cwd=tmp_path).workers == 16


def test_unknown_file_key_names_the_nearest(tmp_path: Path) -> None:
    path = write(tmp_path, "factcheck.toml", "workres = 3\n")
    with pytest.raises(ConfigError) as raised:
        load_settings({}, cwd=tmp_path)
    assert str(raised.value) == f"{path}: workres: unknown setting; did you mean workers?"
    write(tmp_path, "factcheck.toml", "[fetching]\nworkers = 3\n")  # no sections
    with pytest.raises(ConfigError, match="fetching: unknown setting"):
        load_settings({}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('workers = "8"', 'workers: expected an integer, got "8"'),
        ("workers = true", "workers: expected an integer, got true"),
        ("workers = 2.5", "workers: expected an integer, got 2.5"),
        ('obey_robots = "no"', 'obey_robots: expected true or false, got "no"'),
        ("user_agent = 7", "user_agent: expected a string, got 7"),
        ("workers = 0", "workers: must be between 1 and 256, got 0"),
        ('webhook_url = "ftp://x"', "webhook_url: expected an http(s) URL, got 'ftp://x'"),
    ],
)
def test_file_values_have_their_type_and_range(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "factcheck.toml", line + "\n")
    with pytest.raises(ConfigError) as raised:
        load_settings({}, cwd=tmp_path)
    assert str(raised.value) == f"{path}: {message}"


def test_a_whole_number_is_a_good_float_in_the_file(tmp_path: Path) -> None:
    write(tmp_path, "factcheck.toml", "per_host_delay_s = 2\n")
    settings = load_settings({}, cwd=tmp_path)
    assert settings.per_host_delay_s == 2.0 and isinstance(settings.per_host_delay_s, float)


def test_a_bad_setting_stops_every_command_with_one_line(tmp_path: Path) -> None:
    write(tmp_path, "factcheck.toml", "workers = \n")
    done = run_cli("claim", "list", cwd=tmp_path)
    assert done.code == 2 and done.stdout == ""
    assert done.stderr.startswith("error: factcheck.toml: not a readable TOML file: Invalid")
    assert done.stderr.count("\n") == 1
    (tmp_path / "factcheck.toml").unlink()
    done = run_cli("config", "show", cwd=tmp_path, env={"FACTCHECK_WORKRES": "3"})
    assert (done.code, done.stdout) == (2, "")
    assert done.stderr == (
        "error: FACTCHECK_WORKRES: unknown setting; did you mean FACTCHECK_WORKERS?\n"
    )


# -- config show ----------------------------------------------------------------------------------


def test_config_show_says_where_each_setting_came_from(tmp_path: Path) -> None:
    write(
        tmp_path,
        "factcheck.toml",
        'workers = 8\nwebhook_secret = "whsec_c2VjcmV0"\n'
        'webhook_url = "https://hooks.example/in?channel=ops&token=t0ps3cret"\n',
    )
    env = {
        "FACTCHECK_RETRIES": "1",
        "FACTCHECK_DATABASE_URL": "postgresql://app:pa55word@127.0.0.1:5432/facts",
    }
    done = run_cli("config", "show", "--json", cwd=tmp_path, env=env)
    assert done.code == 0, done.stderr
    rows = {r["setting"]: r for r in json.loads(done.stdout)}
    assert rows["workers"] == {
        "setting": "workers",
        "variable": "FACTCHECK_WORKERS",
        "value": 8,
        "source": "file",
        "from": "factcheck.toml",
    }
    assert rows["retries"]["source"] == "env" and rows["retries"]["from"] == "FACTCHECK_RETRIES"
    assert rows["obey_robots"] == {
        "setting": "obey_robots",
        "variable": "FACTCHECK_OBEY_ROBOTS",
        "value": True,
        "source": "default",
        "from": None,
    }
    assert rows["database_url"]["value"] == "postgresql://app:***@127.0.0.1:5432/facts"
    assert rows["webhook_secret"]["value"] == "***"
    assert rows["webhook_url"]["value"] == "https://hooks.example/***?channel=ops&token=***"
    assert "pa55word" not in done.stdout + done.stderr
    assert "t0ps3cret" not in done.stdout and "c2VjcmV0" not in done.stdout
    assert done.stderr == f"config file: {(tmp_path / 'factcheck.toml').resolve()}\n"


def test_config_show_table_and_the_db_option(tmp_path: Path) -> None:
    env = {"FACTCHECK_DATABASE_URL": "sqlite:///env.db"}
    done = run_cli("config", "show", db_url="sqlite:///cli.db", cwd=tmp_path, env=env)
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "setting\tvalue\tsource"  # TSV in a pipe
    table = {line.split("\t")[0]: line.split("\t")[1:] for line in lines[1:]}
    assert table["database_url"] == ["sqlite:///cli.db", "--db"]
    assert table["obey_robots"] == ["true", "default"]
    assert table["webhook_secret"] == ["", "default"]  # unset
    assert list(table) == list(setting_names())  # every setting, in order
    assert done.stderr == "config file: none\n"
