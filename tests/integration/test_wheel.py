"""The wheel works on its own: built from the checkout, installed in a fresh virtual environment
outside it, and run from a folder with no checkout in it.

This is what proves that the migrations (factcheck.migrations) and the declared sources
(factcheck.declared) ship inside the package. The dependencies are installed from the package
index pip is configured with (PyPI in CI), so the wheel's declared requirements are tested too.
Slow (a build and an install): `pytest -m "not wheel"` leaves it out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import factcheck
from tests.integration.test_seed_claims import EXPECTED
from tests.support import REPO

pytestmark = pytest.mark.wheel

# What a build needs from the checkout (pyproject.toml says how they become the package).
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", "factcheck", "migrations", "sources")
STEP_TIMEOUT_S = 600  # generous: pip may fetch from the index on a busy machine
SMALL_TOML = """
[[source]]
key = "example-card"
url = "https://example.org/card"
title = "An example model card"

[[claim]]
key = "example-sizes"
statement = "It comes in 8B and 70B sizes."
kind = "quantity_set"
expected = ["8e9", "70e9"]
unit = "parameters"

  [[claim.evidence]]
  source = "example-card"
  rule_kind = "css"
  rule = "p b"
"""


def _run(command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )


def _clean_env() -> dict[str, str]:
    """No settings, no proxies, no trace of the test's own environment or checkout."""
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FACTCHECK_") and k not in dropped and "proxy" not in k.lower()
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtual environment with the built wheel installed."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"  # a copy: building in the checkout would leave build/ and egg-info
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in BUILD_INPUTS:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    env = _clean_env()
    dist = root / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = _run(
        [*pip, "wheel", "--no-deps", "-q", "-w", str(dist), str(source)], cwd=root, env=env
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("factcheck-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "factcheck/migrations/env.py" in names and "factcheck/migrations/script.py.mako" in names
    assert any(n.startswith("factcheck/declared/") and n.endswith(".toml") for n in names)
    assert any(n.startswith("factcheck/demo/pages/") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)

    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root, env=env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    # The test's pip installs into the new environment (no pip is bootstrapped there).
    done = _run(
        [*pip, "--python", str(python), "install", "-q", "--no-compile", str(wheel)],
        cwd=root,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return venv / "bin"


def test_the_installed_wheel_runs_without_the_checkout(installed: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"  # no sources/, no migrations/, no factcheck/ here
    work.mkdir()
    env = _clean_env()
    env["TMPDIR"] = str(tmp_path)
    factcheck_bin = str(installed / "factcheck")
    db = ["--db", f"sqlite:///{work / 'factcheck.db'}"]

    where = _run(
        [str(installed / "python"), "-c", "import factcheck; print(factcheck.__file__)"],
        cwd=work,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(installed.parent), where.stdout
    assert not Path(where.stdout.strip()).is_relative_to(REPO)

    version = _run([factcheck_bin, "--version"], cwd=work, env=env)
    assert (version.returncode, version.stdout) == (0, f"factcheck {factcheck.__version__}\n")

    init = _run([factcheck_bin, *db, "init"], cwd=work, env=env)
    assert init.returncode == 0, init.stderr
    assert "created database" in init.stderr

    (work / "small.toml").write_text(SMALL_TOML, encoding="utf-8")
    imported = _run([factcheck_bin, *db, "import", "small.toml"], cwd=work, env=env)
    assert imported.returncode == 0, imported.stderr
    assert "imported 1 file(s): 2 created" in imported.stderr, imported.stderr

    listed = _run([factcheck_bin, *db, "claim", "list", "--json"], cwd=work, env=env)
    assert listed.returncode == 0, listed.stderr
    assert [c["key"] for c in json.loads(listed.stdout)] == ["example-sizes"]

    demo = _run([factcheck_bin, "demo"], cwd=work, env={**env, "COLUMNS": "80"})
    assert demo.returncode == 0, demo.stderr
    header, *rows = demo.stdout.splitlines()  # TSV in a pipe, whatever COLUMNS says
    assert header.split("\t")[:2] == ["claim", "verdict"]
    assert {row.split("\t")[0]: row.split("\t")[1] for row in rows} == EXPECTED
    assert "demo: imported 8 claims" in demo.stderr
    assert "site-packages/factcheck/declared" in demo.stderr  # the shipped sources, not ./sources
    assert sorted(p.name for p in work.iterdir()) == ["factcheck.db", "small.toml"]
