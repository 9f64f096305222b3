"""Editors' commands: `verdict set|clear`, `review` and `review done`, `claim history`."""

from __future__ import annotations

import typer

from factcheck.cli.common import JSON_OPTION, out, print_json, say, state, transaction
from factcheck.domain import utcnow

verdict_app = typer.Typer(
    help="Editors' verdicts: overrule the machine, or lift an override.", no_args_is_help=True
)
review_app = typer.Typer(help="The review queue: what needs a human.", invoke_without_command=True)

KEY = typer.Argument(..., help="The claim's key.")
EDITOR = typer.Option(..., "--editor", help="Who decides (kept with the verdict).")
NOTE = typer.Option(..., "--note", help="Why, in a sentence (kept with the verdict).")


@verdict_app.command("set")
def verdict_set(
    ctx: typer.Context,
    key: str = KEY,
    label: str = typer.Argument(..., help="supported, refuted, mixed, not_enough_info or pending."),
    note: str = NOTE,
    editor: str = EDITOR,
) -> None:
    """Overrule the machine: an editor's verdict, which the nightly job never replaces."""
    from factcheck.editorial import overrides

    with transaction(ctx) as session:
        overrides.set_override(
            session=session, key=key, label=label, editor=editor, note=note, now=utcnow()
        )
    say(f"claim {key}: {label} (set by editor {editor.strip()})")


@verdict_app.command("clear")
def verdict_clear(
    ctx: typer.Context, key: str = KEY, note: str = NOTE, editor: str = EDITOR
) -> None:
    """Lift the standing override: the system's verdict stands again (history is kept)."""
    from factcheck.editorial import overrides

    with transaction(ctx) as session:
        overrides.lift_override(session=session, key=key, editor=editor, note=note, now=utcnow())
    say(f"claim {key}: override lifted, the system's verdict stands again")


@review_app.callback()
def review_list(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List what needs a human: mixed, flipped, stale, contradicted overrides, overdue
    predictions (each since the claim's last review)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Column, Table

    from factcheck.domain import utcnow
    from factcheck.editorial import review

    settings = state(ctx).settings
    with transaction(ctx) as session:
        items = review.review_queue(session=session, settings=settings, now=utcnow())
    if as_json:
        print_json([item.record() for item in items])
        return
    table = Table(Column("claim", no_wrap=True), "standing", "why")
    for item in items:
        why = "\n".join(f"{r.code}: {r.detail}" for r in item.reasons)
        table.add_row(item.key, f"{item.label or '-'} ({item.set_by or '-'})", why)
    out.print(table)
    say(f"{len(items)} claim(s) to review")


@review_app.command("done")
def review_done(
    ctx: typer.Context,
    key: str = KEY,
    note: str = typer.Option(..., "--note", help="What was checked or decided."),
    editor: str = typer.Option("", "--editor", help="Who reviewed it."),
) -> None:
    """Clear a claim from the review queue, with a note, until something new happens."""
    from factcheck.editorial import review

    with transaction(ctx) as session:
        review.mark_reviewed(session=session, key=key, note=note, editor=editor, now=utcnow())
    say(f"claim {key} reviewed")


def history(ctx: typer.Context, key: str = KEY, as_json: bool = JSON_OPTION) -> None:
    """The timeline of a claim: verdicts, evidence values and reviews, with who or what set each."""
    from rich.table import Column, Table

    from factcheck.editorial.history import claim_history

    with transaction(ctx) as session:
        events = claim_history(session=session, key=key)
    if as_json:
        print_json([event.record() for event in events])
        return
    table = Table(Column("when", no_wrap=True), "what", "by", "summary")
    for event in events:
        table.add_row(f"{event.at:%Y-%m-%d %H:%M}", event.kind, event.by, event.summary)
    out.print(table)
    say(f"{len(events)} event(s)")


def register(app: typer.Typer) -> None:
    """Every editors' command, the export ones included (one line in the CLI package)."""
    from factcheck.cli import export_cmd
    from factcheck.cli.claims import claim_app

    export_cmd.register(app)

    claim_app.command("history")(history)
    app.add_typer(verdict_app, name="verdict")
    app.add_typer(review_app, name="review")
