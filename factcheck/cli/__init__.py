"""The `factcheck` command line: a thin skin over the core.

This package is the only importer of typer and rich and the only place logging is set up.
Each command opens the database, calls one core function inside one transaction, and turns a
`FactcheckError` into one line on stderr and its exit code (`common.ExitCode`):

    0 ok · 1 runtime failure · 2 usage or validation error · 3 verification ran, some sources
    failed · 4 not found · 5 another run holds the lock · 130 interrupted

Command modules import the core lazily (inside the commands), so that building this app for
`--help` or `--version` loads neither the database nor the network toolkits.
"""

from __future__ import annotations

import typer

from factcheck.cli import (
    admin,
    claims,
    config_cmd,
    demo,
    editorial,
    report_cmd,
    sources_cmd,
    spot_cmd,
    tools,
    verify,
    worker,
)
from factcheck.cli import schedule as schedule_cmd
from factcheck.cli.common import DB_OPTION, VERBOSE_OPTION, AppState, OneLineErrors, show_version
from factcheck.cli.logs import setup_logging
from factcheck.config import Settings, load_settings

app = typer.Typer(
    name="factcheck",
    help="A fact-checking claims database with scheduled verification.",
    cls=OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


SETTINGS_FREE = ("completion",)  # commands that read no setting: a broken config never stops them


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = DB_OPTION,
    verbose: int = VERBOSE_OPTION,
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=show_version,
        help="Print the version (factcheck X.Y.Z) and exit.",
    ),
) -> None:
    """A fact-checking claims database with scheduled verification."""
    setup_logging(verbose)

    def load() -> Settings:
        settings = load_settings(database_url=db)
        if settings.log_format != "text":
            setup_logging(verbose, log_format=settings.log_format)
        return settings

    ctx.obj = AppState(load)
    asks_help = isinstance(ctx.command, OneLineErrors) and ctx.command.asks_help
    if not asks_help and ctx.invoked_subcommand not in SETTINGS_FREE:
        ctx.obj.settings  # noqa: B018  (a bad setting stops every command at once, before work)


admin.register(app)
claims.register(app)
sources_cmd.register(app)
verify.register(app)
schedule_cmd.register(app)
tools.register(app)
demo.register(app)
editorial.register(app)
config_cmd.register(app)
report_cmd.register(app)
spot_cmd.register(app)
worker.register(app)


def main() -> None:
    """The `factcheck` script: errors, usage errors included, end as one line on stderr."""
    app()
