"""What every command shares: settings from the global options, the engine, output helpers.

Messages and progress go to stderr; stdout carries only the result (a table, or JSON with
`--json`), so `factcheck ... --json | jq` always works.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlmodel import Session

from factcheck.config import Settings
from factcheck.errors import ValidationError
from factcheck.storage.db import check_at_head, make_engine, session_scope

# Markup off: cells hold scraped text and rules ("[a-z]+", "[/bold]") that must print as they are.
out = Console(soft_wrap=True, markup=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON on stdout (messages stay on stderr).")


@dataclass
class AppState:
    settings: Settings
    engine: Engine | None = None

    def open(self) -> Engine:
        """The engine of an existing database whose schema is at head."""
        if self.engine is None:
            engine = make_engine(self.settings.database_url)
            check_at_head(engine)
            self.engine = engine
        return self.engine


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        raise RuntimeError("the CLI callback did not build the settings")
    return root.obj


@contextmanager
def transaction(ctx: typer.Context) -> Iterator[Session]:
    """One command, one transaction: everything or nothing is written."""
    with session_scope(state(ctx).open()) as session:
        yield session


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def say(message: str) -> None:
    err.print(message, markup=False, highlight=False)


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """`--option NAME=VALUE` pairs as a dict; a VALUE that parses as JSON is taken as JSON."""
    options: dict[str, Any] = {}
    for item in pairs or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValidationError(f"--option {item!r}: expected NAME=VALUE")
        try:
            options[name] = json.loads(value)
        except json.JSONDecodeError:
            options[name] = value
    return options
