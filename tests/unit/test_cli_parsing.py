"""How the command line is read and described: global options after the subcommand, help that
names values instead of Python types, choices that refuse a bad word with exit 2 in every
command, `--version` and shell completion. No database is needed: all of it happens before a
command runs (a usage error creates no database file)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
import typer

import factcheck
from factcheck.cli import app
from factcheck.cli.claims import Comparison, InnerKind
from factcheck.cli.common import LabelFilter
from factcheck.cli.parsing import commands, hoist_globals, tidy_help
from factcheck.declarations.claim_fields import COMPARISONS
from factcheck.domain import ClaimKind, Label
from tests.support import run_cli


@pytest.fixture(scope="module")
def tree() -> Any:
    root = typer.main.get_command(app)
    tidy_help(root)
    return root


@pytest.mark.parametrize(
    ("args", "hoisted"),
    [
        (["claim", "list", "--db", "sqlite:///x.db", "-vv"], ["--db", "sqlite:///x.db", "-vv"]),
        (["claim", "list", "--db=sqlite:///x.db"], ["--db=sqlite:///x.db"]),
        (["-v", "review", "done", "k", "--note", "n", "--verbose"], ["--verbose"]),
        (["export", "claims", "-o", "f.csv", "-v"], ["-v"]),
    ],
)
def test_global_options_after_the_subcommand_move_in_front(
    tree: Any, args: list[str], hoisted: list[str]
) -> None:
    moved = hoist_globals(tree, args)
    assert moved[: len(hoisted)] == hoisted
    assert [a for a in moved if a not in hoisted] == [a for a in args if a not in hoisted]


@pytest.mark.parametrize(
    "args",
    [
        ["--db", "sqlite:///x.db", "claim", "list"],  # already in front
        ["claim", "add", "--statement", "-v", "--key", "k"],  # -v is the statement here
        ["claim", "add", "--where", "--db"],  # --db is the condition's text
        ["quantity", "--", "-v"],  # after -- nothing is an option
        ["claim", "edit", "k", "--expected=-v"],
    ],
)
def test_values_and_the_end_of_options_are_left_alone(tree: Any, args: list[str]) -> None:
    assert hoist_globals(tree, args) == args


@pytest.mark.parametrize(
    ("args", "left"),
    [
        (["claim", "list", "--db"], ["--db"]),
        (["claim", "list", "-v", "--db"], ["-v", "--db"]),
        (["claim", "list", "--db", "--", "x"], ["--db"]),
        (["claim", "--db"], ["--db"]),
    ],
)
def test_a_global_option_without_its_value_is_left_for_the_root(
    tree: Any, args: list[str], left: list[str]
) -> None:
    """Hoisted with nothing after it, `--db` would take the subcommand's name as its value."""
    assert hoist_globals(tree, args) == left


def test_no_subcommand_has_an_option_named_like_a_global_one(tree: Any) -> None:
    """A subcommand's own --db or -v would be taken by the root: none may have one."""
    for path, command in commands(tree):
        if not path:
            continue
        for param in command.params:
            names = {*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())}
            assert not names & {"--db", "-v", "--verbose"}, (path, names)


def _help(path: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    with (
        contextlib.redirect_stdout(buffer),
        contextlib.redirect_stderr(io.StringIO()),
        contextlib.suppress(SystemExit),
    ):
        app([*path, "--help"], prog_name="factcheck")
    return buffer.getvalue()


def test_help_names_values_not_python_types(tree: Any) -> None:
    seen = 0
    for path, _ in commands(tree):
        text = _help(path)
        assert text.startswith("Usage: factcheck"), (path, text[:200])
        assert not re.search(r"<[\w\[\], |.]+>", text), (path, text)
        assert "{" not in text.splitlines()[0], text.splitlines()[0]
        seen += 1
    assert seen >= 30
    assert "PATH..." in _help(("import",))
    add = _help(("claim", "add"))
    assert "--said-on DATE" in add and "--said-where URL" in add and "--tag TAG" in add
    assert "--kind [quantity|quantity_set|ratio|text|date|prediction]" in add
    assert "--db URL" in _help(())


def test_required_options_and_arguments_are_marked() -> None:
    link = _help(("claim", "link"))
    assert re.search(r"--rule-kind \[css\|json_path\|[^\]]*\]\s+.*\[required\]", link, re.S)
    assert "Usage: factcheck claim link [OPTIONS] CLAIM SOURCE" in link
    add = " ".join(_help(("claim", "add")).split())  # asked for on a terminal, else required
    for option in ("--key KEY", "--statement TEXT", "--kind [quantity|"):
        assert re.search(rf"{re.escape(option)}[^-]*\[required\]", add), (option, add)
    assert "--language LANG Language of the statement (BCP 47, e.g. zh). --" in add
    assert "[required]" not in _help(("claim", "edit")).split("Options:")[1]  # edit: any field
    listing = " ".join(_help(("claim", "list")).split())
    assert "this label (none: no verdict yet)." in listing
    verdict = _help(("verdict", "set"))
    assert re.search(r"--note TEXT\s+Why, in a sentence .*\[required\]", verdict, re.S)
    flat = " ".join(verdict.split())
    assert (
        "LABEL The editor's label. [choices: supported|refuted|mixed|not_enough_info|pending]"
        in flat
    )


def _bad_choices() -> list[list[str]]:
    """Every parameter with a fixed vocabulary, in every command that has it, found by walking
    the command tree: the command line that gives it a word outside its choices. An option is
    given alone (the first value checked, so nothing else is needed); an argument after a
    placeholder for each argument before it."""
    cases = []
    for path, command in commands(typer.main.get_command(app)):
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        for param in command.params:
            if not param.type_descriptor.is_choice:
                continue
            if param.param_type_name == "option":
                cases.append([*path, param.opts[0], "bogus"])
            else:
                before = arguments[: arguments.index(param)]
                assert all(p.nargs == 1 for p in before), (path, param.name)
                cases.append([*path, *("x" for _ in before), "bogus"])
    return cases


BAD_CHOICES = [
    *_bad_choices(),
    # words of a wider vocabulary that this option does not take
    ["claim", "add", "--inner-kind", "prediction"],
    ["export", "verdicts", "--label", "none"],  # a verdict row always has a label
]


def test_the_walk_finds_every_vocabulary_option() -> None:
    found = {" ".join(args[:-1]) for args in BAD_CHOICES}
    assert {
        "claim add --kind",
        "claim add --inner-kind",
        "claim add --comparison",
        "claim edit --inner-kind",
        "claim edit --comparison",
        "claim list --label",
        "claim link --role",
        "source add --format",
        "rule test --rule-kind",
        "verdict set x",
        "export evidence --status",
        "export verdicts --status",
        "export changes --status",
        "export claimreview --status",
        "completion",
    } <= found, found
    assert len(BAD_CHOICES) >= 25


@pytest.mark.parametrize("args", BAD_CHOICES, ids=" ".join)
def test_a_bad_choice_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(*args, cwd=tmp_path)  # in-process: the real entry point, no process start
    assert result.code == 2, result
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: Invalid value for ") and "is not one of" in line, line
    assert f"{args[-1]!r}" in line and "Value error" not in line
    assert list(tmp_path.iterdir()) == []  # nothing was opened or created


def test_the_cli_vocabularies_are_the_domains() -> None:
    assert [v.value for v in LabelFilter] == [*(v.value for v in Label), "none"]
    assert [v.value for v in InnerKind] == [k.value for k in ClaimKind if k.value != "prediction"]
    assert tuple(v.value for v in Comparison) == COMPARISONS


def test_version(tmp_path: Path) -> None:
    result = run_cli("--version", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, f"factcheck {factcheck.__version__}\n")
    assert re.fullmatch(r"factcheck \d+\.\d+\.\d+\n", result.stdout)


def test_completion_script_and_a_completion_request(tmp_path: Path) -> None:
    script = run_cli("completion", "bash", cwd=tmp_path)
    assert script.code == 0, script.stderr
    assert "_FACTCHECK_COMPLETE=complete_bash" in script.stdout
    assert "complete -o default -F _factcheck_completion factcheck" in script.stdout
    env = {"_FACTCHECK_COMPLETE": "complete_bash", "COMP_WORDS": "factcheck cl", "COMP_CWORD": "1"}
    offered = run_cli(cwd=tmp_path, env=env)
    assert offered.code == 0, offered.stderr
    assert offered.stdout.split() == ["claim"]
    labels = run_cli(
        cwd=tmp_path,
        env={**env, "COMP_WORDS": "factcheck claim list --label m", "COMP_CWORD": "4"},
    )
    assert labels.stdout.split() == ["mixed"]
    assert list(tmp_path.iterdir()) == []
