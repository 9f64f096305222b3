"""The `factcheck` command line: a thin skin over the core.

This package is the only importer of typer and rich and the only place logging is set up.
Each command opens the database, calls one core function inside one transaction, and turns a
`FactcheckError` into one line on stderr and its exit code:

    0 ok · 1 runtime failure · 2 usage or validation error · 3 verification ran, some sources
    failed · 4 not found · 5 another run holds the lock
"""

from __future__ import annotations

import logging
import sys

import typer

from factcheck.cli import admin, claims, demo, editorial, sources_cmd, tools, verify
from factcheck.cli import schedule as schedule_cmd
from factcheck.cli.common import AppState, say
from factcheck.config import load_settings
from factcheck.errors import FactcheckError

app = typer.Typer(
    name="factcheck",
    help="A fact-checking claims database with scheduled verification.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        help="Database URL (default: $FACTCHECK_DATABASE_URL or sqlite:///factcheck.db).",
    ),
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output (-vv for debug)."
    ),
) -> None:
    """A fact-checking claims database with scheduled verification."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = AppState(settings=load_settings(database_url=db))


admin.register(app)
claims.register(app)
sources_cmd.register(app)
verify.register(app)
schedule_cmd.register(app)
tools.register(app)
demo.register(app)
editorial.register(app)


def main() -> None:
    try:
        app()
    except FactcheckError as exc:
        say(f"error: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        say("interrupted")
        sys.exit(130)
