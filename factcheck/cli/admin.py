"""`factcheck init` and `factcheck db upgrade|current`: create and migrate the database.

A database migrated by a newer factcheck is refused with one line and exit 1 (DatabaseError):
nothing here can read or migrate a schema it does not know.
"""

from __future__ import annotations

import typer

from factcheck.cli.common import JSON_OPTION, ExitCode, print_json, say, state

db_app = typer.Typer(
    help="Database schema: upgrade to the code's revision, show the current one.",
    no_args_is_help=True,
)


def init(ctx: typer.Context) -> None:
    """Create a new database at the newest schema (or say it is already there)."""
    from factcheck.storage import db

    settings = state(ctx).settings
    engine = db.make_engine(settings.database_url, must_exist=False)
    try:
        current = db.current_revision(engine, known=True)
        head = db.head_revision()
        if current == head:
            say(f"database already initialised at {head}: nothing to do")
            return
        if current is not None:
            say(f"database at {current}; run `factcheck db upgrade` to bring it to {head}")
            raise typer.Exit(ExitCode.FAILURE)
        db.upgrade(engine)
        say(f"created database {engine.url.render_as_string(hide_password=True)} at {head}")
    finally:
        engine.dispose()


@db_app.command("upgrade")
def upgrade(
    ctx: typer.Context, revision: str = typer.Argument("head", help="Target revision.")
) -> None:
    """Apply the migrations up to REVISION (default: head), in-process."""
    from factcheck.storage import db

    engine = db.make_engine(state(ctx).settings.database_url)
    try:
        before = db.current_revision(engine, known=True)
        db.upgrade(engine, revision)
        after = db.current_revision(engine)
        say(
            f"schema {before or 'empty'} -> {after}"
            if before != after
            else f"schema already at {after}"
        )
    finally:
        engine.dispose()


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


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(db_app, name="db")
