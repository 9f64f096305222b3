"""The deployment files say what they claim, and every factcheck command they run exists.

Dockerfile (parsed by dockerfile-parse), compose.yaml (PyYAML), deploy/factcheck.service,
deploy/factcheck-worker.service and deploy/factcheck.env.example are read as files; no image
is built and no container runs (that needs a Docker daemon, which CI does not have). Each
`factcheck ...` command they start is run in-process as `<command> --help` on the real CLI, so
renaming or removing a command that a deployment runs fails here rather than in production at
02:00.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser
from typer.testing import CliRunner

from factcheck.cli import app
from factcheck.cli.common import ExitCode
from factcheck.config import Settings, env_name, load_settings
from tests.integration.test_wheel import BUILD_INPUTS
from tests.support import REPO

SLIM_PYTHON = re.compile(r"python:3\.(1[1-9])-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?")
SERVICES = {"db", "migrate", "scheduler", "worker", "report"}
FACTCHECK_SERVICES = ("migrate", "scheduler", "worker")
SETTING_NAMES = {env_name(f.name) for f in fields(Settings) if f.name != "extra"}


def assert_command_exists(args: list[str]) -> None:
    """`factcheck <args> --help` exits 0: the command (and any option given) exists."""
    assert args, "an empty factcheck command"
    result = CliRunner().invoke(app, [*args, "--help"])
    assert result.exit_code == 0, f"factcheck {shlex.join(args)}: {result.output}"
    assert "Usage:" in result.output


def test_the_command_check_fails_on_a_command_that_does_not_exist() -> None:
    """The check itself can fail: `publish` and `db migrate` were never commands."""
    for args in (["publish"], ["db", "migrate"], ["schedule", "--no-such-option"]):
        with pytest.raises(AssertionError):
            assert_command_exists(args)


# -- Dockerfile --------------------------------------------------------------------------------


def _dockerfile() -> list[dict[str, Any]]:
    with (REPO / "Dockerfile").open("rb") as handle:
        parser = DockerfileParser(fileobj=handle)
        return [i for i in parser.structure if i["instruction"] != "COMMENT"]


def _stages(instructions: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    stages: list[list[dict[str, Any]]] = []
    for instruction in instructions:
        if instruction["instruction"] == "FROM":
            stages.append([])
        assert stages, "an instruction before the first FROM"
        stages[-1].append(instruction)
    return stages


def _values(stage: list[dict[str, Any]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def test_the_image_is_built_in_two_stages_on_slim_python() -> None:
    stages = _stages(_dockerfile())
    assert len(stages) >= 2, "a builder stage and a runtime stage"
    for stage in stages:
        image = stage[0]["value"].split()[0]
        assert SLIM_PYTHON.fullmatch(image), f"FROM {image}: a slim Python 3.11+ image"
    builder = stages[0]
    assert any(re.search(r"pip wheel|-m build", run) for run in _values(builder, "RUN"))
    copied = {part.rstrip("/") for value in _values(builder, "COPY") for part in value.split()}
    assert set(BUILD_INPUTS) <= copied, "the builder copies what the wheel is built from"


def test_the_runtime_installs_the_wheel_and_holds_no_source_tree() -> None:
    runtime = _stages(_dockerfile())[-1]
    assert not _values(runtime, "COPY") + _values(runtime, "ADD"), "the runtime copies nothing"
    (install,) = [r for r in _values(runtime, "RUN") if "pip install" in r]
    assert "--no-index" in install and "from=builder" in install
    assert re.search(r"pip install [^&]*\bfactcheck\b", install)


def test_the_runtime_runs_factcheck_as_an_unprivileged_user() -> None:
    runtime = _stages(_dockerfile())[-1]
    names = [i["instruction"] for i in runtime]
    users = _values(runtime, "USER")
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert names.index("USER") < names.index("ENTRYPOINT")
    (entrypoint,) = _values(runtime, "ENTRYPOINT")
    assert yaml.safe_load(entrypoint) == ["factcheck"]  # exec form: signals reach factcheck
    (cmd,) = _values(runtime, "CMD")
    assert_command_exists(yaml.safe_load(cmd))
    assert _values(runtime, "STOPSIGNAL") in ([], ["SIGTERM"])


def test_the_image_environment_names_real_settings() -> None:
    runtime = _stages(_dockerfile())[-1]
    names = {word.split("=", 1)[0] for env in _values(runtime, "ENV") for word in shlex.split(env)}
    factcheck_names = {n for n in names if n.startswith("FACTCHECK_")}
    assert "FACTCHECK_DATABASE_URL" in factcheck_names
    assert factcheck_names <= SETTING_NAMES


def test_the_build_context_leaves_out_environments_history_caches_and_secrets() -> None:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    ignored = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    for entry in (".venv", ".git", "**/__pycache__", ".pytest_cache", ".mypy_cache", "*.db"):
        assert entry in ignored
    assert {".env", "*.env"} <= ignored  # compose's .env and factcheck.env hold passwords
    assert not set(BUILD_INPUTS) & ignored  # what the builder stage copies


# -- compose.yaml ------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_has_the_five_services() -> None:
    services = _compose()["services"]
    assert set(services) == SERVICES
    db = services["db"]
    assert db["image"].split(":") == ["postgres", "15"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert "ports" not in db  # reachable by the services only


def test_compose_orders_the_start_migrate_once_then_the_scheduler() -> None:
    services = _compose()["services"]
    migrate, scheduler = services["migrate"], services["scheduler"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"  # a string: YAML's bare no would be False
    assert scheduler["command"] == ["schedule"]
    assert scheduler["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert scheduler["restart"] == "unless-stopped"
    grace = re.fullmatch(r"(\d+)s", scheduler["stop_grace_period"])
    assert grace and int(grace.group(1)) >= 60  # a run records its sources in flight


def test_compose_factcheck_services_share_the_image_and_the_database() -> None:
    services = _compose()["services"]
    urls = {services[name]["environment"]["FACTCHECK_DATABASE_URL"] for name in FACTCHECK_SERVICES}
    assert len(urls) == 1  # the workers' queue is the scheduler's database
    for name in FACTCHECK_SERVICES:
        service = services[name]
        assert service["build"] == "." and service["image"] == "factcheck:latest"
        url = service["environment"]["FACTCHECK_DATABASE_URL"]
        assert url.startswith("postgresql://") and "@db:5432/" in url
        assert "entrypoint" not in service  # the image's: factcheck


def test_compose_spreads_the_runs_over_replicated_workers() -> None:
    """The scheduler defers each run's units (procrastinate), two or more workers take them."""
    services = _compose()["services"]
    scheduler, worker = services["scheduler"], services["worker"]
    for service in (scheduler, worker):
        assert service["environment"]["FACTCHECK_EXECUTOR"] == "procrastinate"
    assert worker["command"][:1] == ["worker"]
    assert worker["command"][1:] == ["--concurrency", "8"]
    assert worker["deploy"]["replicas"] >= 2
    assert worker["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert worker["restart"] == "unless-stopped"
    grace = re.fullmatch(r"(\d+)s", worker["stop_grace_period"])
    assert grace and int(grace.group(1)) >= 60  # SIGTERM finishes the units in flight
    assert "ports" not in worker and "volumes" not in worker  # it needs only the database
    environ = {
        k: str(v).replace("${POSTGRES_PASSWORD:?", "pw${") for k, v in worker["environment"].items()
    }
    environ = {k: re.sub(r"\$\{[^}]*\}", "", v) for k, v in environ.items()}
    assert load_settings(environ).executor == "procrastinate"  # valid, with its PostgreSQL URL


def test_compose_serves_the_report_read_only_without_factcheck() -> None:
    report = _compose()["services"]["report"]
    # the file server needs neither factcheck nor its settings (nor the database password)
    assert "factcheck" not in report["entrypoint"] and "command" not in report
    assert report["entrypoint"][:3] == ["python", "-m", "http.server"]
    (volume,) = report["volumes"]
    name, path, mode = volume.split(":")
    assert (name, mode) == ("report", "ro")
    services = _compose()["services"]
    built = services["scheduler"]["environment"]["FACTCHECK_REPORT_DIR"]
    assert built.startswith(path + "/") and built in report["entrypoint"]  # what it builds
    assert f"report:{path}" in services["scheduler"]["volumes"]  # in the volume served
    assert report["read_only"] is True and "environment" not in report  # no database password
    assert all(port.startswith("127.0.0.1:") for port in report["ports"])


def _healthcheck_commands(services: dict[str, Any]) -> list[list[str]]:
    """The factcheck invocations in the services' healthchecks: each simple command of a
    CMD-SHELL line (split at pipes and lists) or a CMD list that starts with `factcheck`."""
    found = []
    for service in services.values():
        test = service.get("healthcheck", {}).get("test", [])
        if test[:1] == ["CMD"]:
            simple = [test[1:]]
        elif test[:1] == ["CMD-SHELL"]:
            lexer = shlex.shlex(test[1], posix=True, punctuation_chars=True)
            simple = [[]]
            for word in lexer:
                if word in {"|", "||", "&&", ";", "&"}:
                    simple.append([])
                else:
                    simple[-1].append(word)
        else:
            simple = []
        found += [words[1:] for words in simple if words[:1] == ["factcheck"]]
    return found


def test_every_factcheck_command_compose_runs_exists() -> None:
    services = _compose()["services"]
    commands = [s["command"] for s in services.values() if "command" in s]
    commands += _healthcheck_commands(services)
    assert ["schedule", "status", "--json"] in commands
    for args in commands:
        assert_command_exists(args)


def test_the_scheduler_healthcheck_reads_a_key_schedule_status_prints(tmp_path: Path) -> None:
    test = _compose()["services"]["scheduler"]["healthcheck"]["test"][1]
    (key,) = re.findall(r'\["(\w+)"\]', test)
    db = ["--db", f"sqlite:///{tmp_path / 'factcheck.db'}"]
    assert CliRunner().invoke(app, [*db, "init"]).exit_code == 0
    result = CliRunner().invoke(app, [*db, "schedule", "status", "--json"])
    assert result.exit_code == 0, result.output
    assert key in yaml.safe_load(result.stdout)  # JSON is YAML


# -- systemd -----------------------------------------------------------------------------------


def _unit(name: str = "factcheck.service") -> dict[str, dict[str, list[str]]]:
    """Sections of deploy/<name>: key -> every value given (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for line in (REPO / "deploy" / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        assert current is not None, f"{line!r} is outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{line!r} is not key=value"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_unit_runs_the_scheduler_as_a_simple_restarting_service() -> None:
    service = {k: v[-1] for k, v in _unit()["Service"].items()}
    assert service["Type"] == "simple"  # factcheck does not speak sd_notify
    assert service["Restart"] == "on-failure"
    assert service["User"] not in {"root", "0"}
    argv = shlex.split(service["ExecStart"])
    assert argv[0].startswith("/") and argv[0].endswith("/factcheck")
    assert_command_exists(argv[1:])
    assert service["RestartPreventExitStatus"] == str(int(ExitCode.LOCKED))
    assert service["SuccessExitStatus"] == str(int(ExitCode.INTERRUPTED))
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) >= 60
    assert _unit()["Install"]["WantedBy"] == ["multi-user.target"]


@pytest.mark.parametrize("name", ["factcheck.service", "factcheck-worker.service"])
def test_the_unit_is_hardened_and_can_still_write_its_state(name: str) -> None:
    service = {k: v[-1] for k, v in _unit(name)["Service"].items()}
    assert service["NoNewPrivileges"] == "yes"
    assert service["PrivateTmp"] == "yes"
    assert service["ProtectSystem"] == "strict"  # all read-only but the state directory
    state = f"/var/lib/{service['StateDirectory']}"
    assert service["WorkingDirectory"] == state  # where a SQLite database and its locks go


def test_the_worker_unit_runs_a_worker_that_stops_cleanly() -> None:
    unit = _unit("factcheck-worker.service")
    service = {k: v[-1] for k, v in unit["Service"].items()}
    assert service["Type"] == "simple" and service["Restart"] == "on-failure"
    assert service["User"] not in {"root", "0"}
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == shlex.split(_unit()["Service"]["ExecStart"][-1])[0]  # the same install
    assert argv[1] == "worker"
    assert_command_exists(argv[1:])
    assert service["EnvironmentFile"] == _unit()["Service"]["EnvironmentFile"][-1]
    assert "FACTCHECK_EXECUTOR=procrastinate" in unit["Service"]["Environment"]
    environ = dict(e.split("=", 1) for e in unit["Service"]["Environment"])
    environ["FACTCHECK_DATABASE_URL"] = "postgresql://factcheck@127.0.0.1:5432/factcheck"
    assert load_settings(environ).executor == "procrastinate"
    assert service["RestartPreventExitStatus"] == str(int(ExitCode.USAGE))
    assert service["KillSignal"] == "SIGTERM"  # finishes the units in flight, exits 0
    assert int(service["TimeoutStopSec"]) >= 60
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_env_example_names_only_real_settings_with_valid_values() -> None:
    text = (REPO / "deploy" / "factcheck.env.example").read_text(encoding="utf-8")
    assignments = re.findall(r"^(#?)(FACTCHECK_\w+)=(.*)$", text, flags=re.MULTILINE)
    assert len(assignments) >= 5
    unknown = {name for _hash, name, _value in assignments} - SETTING_NAMES
    assert not unknown, f"not settings: {unknown}"
    environ = {name: value for hashed, name, value in assignments if not hashed}
    settings = load_settings(environ)
    assert settings.database_url == environ["FACTCHECK_DATABASE_URL"]


def test_the_readme_points_to_the_unit_and_its_excerpt_matches_it() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "deploy/factcheck.service" in readme and "## Deployment" in readme
    unit = (REPO / "deploy" / "factcheck.service").read_text(encoding="utf-8").splitlines()
    blocks = re.findall(r"```ini\n(.*?)```", readme, flags=re.DOTALL)
    excerpts = [b for b in blocks if "factcheck.service" in b.splitlines()[0]]
    assert excerpts, "the README shows an excerpt of the unit"
    for block in excerpts:
        for line in block.splitlines()[1:]:
            if line.strip() and not line.startswith("#") and line.strip() != "...":
                assert line in unit, f"README's unit excerpt drifted: {line!r}"
