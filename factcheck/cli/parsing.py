"""How the command line is read and described, before any command runs.

- Global options where users type them: `--db URL` and `-v`/`--verbose` given after the
  subcommand (`factcheck claim list --db sqlite:///x.db -vv`) are moved in front of it, where
  the root command reads them. The scan follows the command tree, so an option value that
  happens to read `-v` stays where it is, and `--` ends it. A `--db` with no value after it
  is left for the root alone, which says it requires an argument.
- Help without Python types: typer (0.29, `rich_markup_mode=None`) writes `<str>`,
  `<list[Path]>` after each parameter; every parameter without a metavar gets one from its
  type (TEXT, INTEGER, PATH, [a|b|c] for a choice), and arguments show their name (KEY, PATH...).
- Shell completion: typer registers its shell classes only when `add_completion` is on (which
  would add two options to every start); `factcheck completion SHELL` and the completion
  requests (`_FACTCHECK_COMPLETE=complete_bash ...`) register them when they are needed.

Nothing here imports the core: it runs on every start, `--help` included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args, get_origin

from typer.core import TyperArgument

GLOBAL_WITH_VALUE = ("--db",)
GLOBAL_FLAGS = ("--verbose",)
_SHORT_VERBOSE = re.compile(r"-v+")
COMPLETE_VAR = "_FACTCHECK_COMPLETE"


def is_global(token: str) -> bool:
    """A root option that may follow the subcommand.

    >>> [is_global(t) for t in ("--db", "--db=x", "-vv", "--verbose", "-x", "--dbx")]
    [True, True, True, True, False, False]
    """
    if token.split("=", 1)[0] in GLOBAL_WITH_VALUE or token in GLOBAL_FLAGS:
        return True
    return bool(_SHORT_VERBOSE.fullmatch(token))


def hoist_globals(root: Any, args: Sequence[str]) -> list[str]:
    """`args` with the global options found after the subcommand moved to the front."""
    front: list[str] = []
    kept: list[str] = []
    command, below_root, i = root, False, 0
    while i < len(args):
        token = args[i]
        if token == "--":
            kept.extend(args[i:])
            break
        takes_value = token.startswith("-") and _takes_value(command, token)
        if below_root and is_global(token):
            if takes_value and args[i + 1 : i + 2] in ([], ["--"]):
                return [*front, token]  # the root reports "Option '--db' requires an argument"
            moved = args[i : i + 2] if takes_value else [token]
            front.extend(moved)
            i += len(moved)
            continue
        kept.append(token)
        if takes_value and i + 1 < len(args):
            kept.append(args[i + 1])
            i += 1
        elif not token.startswith("-") and token in getattr(command, "commands", {}):
            command, below_root = command.commands[token], True
        i += 1
    return front + kept


def asks_help(args: Sequence[str]) -> bool:
    """Whether `--help` comes before any `--` (help needs no settings, so a broken config
    file or a misspelt variable does not hide it).

    >>> asks_help(["claim", "add", "--help"]), asks_help(["quantity", "--", "--help"])
    (True, False)
    """
    for token in args:
        if token == "--":
            return False
        if token == "--help":
            return True
    return False


def _takes_value(command: Any, token: str) -> bool:
    """Whether `token` is an option of `command` whose value is the next argument."""
    if token.startswith("--"):
        if "=" in token:
            return False
        name = token
    else:
        name = token[:2]
        if len(token) > 2 and _option(command, name) is not None:
            return False  # -ofile: the value is attached
    option = _option(command, name)
    if option is None:
        return name in GLOBAL_WITH_VALUE
    return not (getattr(option, "is_flag", False) or getattr(option, "count", False))


def _option(command: Any, name: str) -> Any:
    for param in getattr(command, "params", []):
        if getattr(param, "param_type_name", "") != "option":
            continue
        if name in param.opts or name in param.secondary_opts:
            return param
    return None


def commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group under `group` with its path (typer vendors click: by attributes)."""
    found = [(path, group)]
    for name, sub in getattr(group, "commands", {}).items():
        found.extend(commands(sub, (*path, name)))
    return found


# -- help ---------------------------------------------------------------------------------------


class NamedArgument(TyperArgument):
    """An argument shown by its metavar alone (`KEY`, `PATH...`), as click shows them."""

    def shown(self) -> str:
        return f"{self.metavar or (self.name or '').upper()}{'...' if self.nargs != 1 else ''}"

    def get_help_record(self, ctx: Any) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        words, text = choices(self), record[1]
        if not words:
            return self.shown(), text
        said = self.help or ""  # the help, then typer's "  [required]"; the choices go between
        return self.shown(), f"{said}  [choices: {words}]{text[len(said) :]}"

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        return [self.shown() if self.required else f"[{self.shown()}]"]


def tidy_help(root: Any) -> None:
    """Give every parameter of the tree a metavar from its type instead of typer's `<type>`."""
    for _, command in commands(root):
        for param in getattr(command, "params", []):
            if isinstance(param, TyperArgument):
                param.__class__ = NamedArgument
            if param.metavar is None and hasattr(param, "type_descriptor"):
                param.metavar = metavar(param)


def metavar(param: Any) -> str:
    """The word shown for a parameter's value: its choices, or what kind of value it is."""
    descriptor = param.type_descriptor
    if getattr(param, "param_type_name", "") == "argument":
        return str(param.name or "").upper()
    if descriptor.is_choice:
        return f"[{choices(param)}]"
    annotation = descriptor.annotation
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return {"file": "FILE", "dir": "DIR"}.get(descriptor.path_type, "PATH")
    if annotation is int:
        return "INTEGER"
    if annotation in (float, Decimal):
        return "NUMBER"
    return "TEXT"


def choices(param: Any) -> str:
    """A choice parameter's words, `a|b|c` ("" for any other parameter)."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or not descriptor.is_choice:
        return ""
    return "|".join(str(getattr(c, "value", c)) for c in descriptor.choices or ())


# -- completion ---------------------------------------------------------------------------------


def enable_completion() -> None:
    """Register typer's shell classes (bash, zsh, fish, powershell) for a completion request."""
    from typer._completion_classes import completion_init  # where typer defines it

    completion_init()


def completion_script(shell: str) -> str:
    """The script a shell sources to complete `factcheck` (it calls back with COMPLETE_VAR)."""
    from typer._completion_shared import get_completion_script

    enable_completion()
    return get_completion_script(prog_name="factcheck", complete_var=COMPLETE_VAR, shell=shell)
