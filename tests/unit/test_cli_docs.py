"""Every CLI command has help text and is named in the README; CI runs the README's test command."""

from __future__ import annotations

from typing import Any

import typer

from factcheck.cli import app
from tests.support import REPO


def _commands(group: Any, prefix: str = "factcheck") -> dict[str, Any]:
    """Walk the command tree (typer vendors its click, so go by attributes)."""
    found: dict[str, Any] = {}
    if hasattr(group, "commands"):
        for name, command in group.commands.items():
            path = f"{prefix} {name}"
            found[path] = command
            found.update(_commands(command, path))
    return found


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = _commands(typer.main.get_command(app))
    assert len(commands) >= 15
    for path, command in commands.items():
        assert (command.help or "").strip(), f"{path} has no help text"
        assert f"`{path}" in readme, f"{path} is not documented in README.md"
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option":
                assert (param.help or "").strip(), f"{path} {param.opts[0]} has no help text"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    marker = "<!-- test-command -->"
    block = readme.split(marker, 2)[1]
    command = next(
        line for line in block.splitlines() if line.strip() and not line.startswith("```")
    )
    assert command.strip() in ci
