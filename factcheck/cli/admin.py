"""`factcheck init`, `factcheck db upgrade|current` and `factcheck completion SHELL`: set up the
database and the shell.

A database migrated by a newer factcheck is refused with one line and exit 1 (DatabaseError):
nothing here can read or migrate a schema it does not know.
"""

from __future__ import annotations

from enum import StrEnum

import typer

from factcheck.cli.common import JSON_OPTION, ExitCode, print_json, say, state
from factcheck.errors import DatabaseError, ValidationError

db_app = typer.Typer(
    help="Database schema: upgrade to the code's revision, show the current one.",
    no_args_is_help=True,
)


class Shell(StrEnum):
    """The shells typer writes a completion script for."""

    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"
    POWERSHELL = "powershell"


def init(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Create a new database at the newest schema (or say it is already there)."""
    from factcheck.storage import db

    settings = state(ctx).settings
    engine = db.make_engine(settings.database_url, must_exist=False)
    try:
        current = db.current_revision(engine, known=True)
        head = db.head_revision()
        if current is not None and current != head:
            say(f"database at {current}; run `factcheck db upgrade` to bring it to {head}")
            raise typer.Exit(ExitCode.FAILURE)
        where = engine.url.render_as_string(hide_password=True)
        if current == head:
            say(f"database already initialised at {head}: nothing to do")
        else:
            db.upgrade(engine)
            say(f"created database {where} at {head}")
    finally:
        engine.dispose()
    if as_json:
        print_json({"database": where, "revision": head, "created": current is None})


@db_app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    revision: str = typer.Argument("head", help="Target revision."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Apply the migrations up to REVISION (default: head), in-process."""
    from factcheck.storage import db

    _check_target(revision)
    engine = db.make_engine(state(ctx).settings.database_url)
    try:
        before = db.current_revision(engine, known=True)
        try:
            db.upgrade(engine, revision)
        except DatabaseError as exc:  # alembic's CommandError: a target it cannot reach
            if type(exc.__cause__).__name__ != "CommandError":
                raise
            message = f"cannot upgrade to revision {revision!r}: {exc.__cause__}"
            raise ValidationError(message) from exc
        after = db.current_revision(engine)
    finally:
        engine.dispose()
    unchanged = f"schema already at {after}"
    say(f"schema {before or 'empty'} -> {after}" if before != after else unchanged)
    if as_json:
        print_json({"before": before, "after": after, "changed": before != after})


def _check_target(revision: str) -> None:
    """An unknown target revision is a usage error (exit 2), found before the database is
    opened; relative targets (`+1`, `0005+1`) are left to alembic."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from factcheck.storage import db

    script = ScriptDirectory.from_config(db.alembic_config("sqlite://"))
    try:
        script.get_revisions(revision)
    except CommandError:
        if "+" in revision or "-" in revision:
            return
        known = [rev.revision for rev in script.walk_revisions()]
        raise ValidationError(
            f"unknown revision {revision!r}: give head or one of {', '.join(reversed(known))}"
        ) from None


@db_app.command("current")
def current(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Show the database's schema revision and the code's."""
    from factcheck.storage import db

    engine = db.make_engine(state(ctx).settings.database_url)
    try:
        rev, head = db.current_revision(engine, known=True), db.head_revision()
    finally:
        engine.dispose()
    if as_json:
        print_json({"current": rev, "head": head, "up_to_date": rev == head})
    else:
        typer.echo(
            f"{rev or 'empty'} (head {head}{', up to date' if rev == head else ', upgrade needed'})"
        )


def completion(
    shell: Shell = typer.Argument(..., help="The shell to complete factcheck in."),
) -> None:
    """Print the shell's completion script for factcheck (commands, options, their choices).

    bash: `factcheck completion bash > ~/.local/share/bash-completion/completions/factcheck`;
    zsh: `factcheck completion zsh > "${fpath[1]}/_factcheck"`;
    fish: `factcheck completion fish > ~/.config/fish/completions/factcheck.fish`.
    """
    from factcheck.cli.parsing import completion_script

    typer.echo(completion_script(shell.value))


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(db_app, name="db")
    app.command("completion")(completion)
