"""`factcheck --help`, `--version` and every `CMD --help` load neither the database nor the
network toolkits: the commands import the core inside their bodies (see factcheck.cli).

Checked on `sys.modules` in a fresh interpreter, not by timing (benchmarks/cli_startup.py
prints the times).
"""

from __future__ import annotations

import json
import subprocess
import sys

# What a command that only prints help must not load (the database toolkit, the fetcher's).
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "psycopg",
    "requests",
    "urllib3",
    "lxml",
    "bs4",
    "jsonpath",
)

PROBE = """
import contextlib, io, json, sys

import typer

from factcheck.cli import app


def paths(command, prefix=()):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, (*prefix, name))


group = typer.main.get_command(app)
ran = []
for args in [["--version"], *([*p, "--help"] for p in paths(group))]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            app(args, prog_name="factcheck")
        except SystemExit as exc:
            assert exc.code == 0, (args, exc.code)
    ran.append(" ".join(args))
print(json.dumps({"ran": ran, "modules": sorted(sys.modules)}))
"""


def test_help_and_version_load_no_heavy_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "--help" in report["ran"] and "--version" in report["ran"]
    assert "claim add --help" in report["ran"] and "export claims --help" in report["ran"]
    assert len(report["ran"]) >= 30  # every command and group, not just the root
    loaded = [m for m in report["modules"] if m.split(".")[0] in HEAVY]
    assert loaded == [], f"help imported {sorted({m.split('.')[0] for m in loaded})}"
    assert "factcheck.cli" in report["modules"]  # the probe did build the real app
