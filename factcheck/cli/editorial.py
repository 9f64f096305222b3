"""Editors' commands: `verdict set|clear`, `review` and `review done`, `claim history`.

Each write takes `--json` and prints the row it added (a verdict, a review) as JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from factcheck.cli.common import JSON_OPTION, plain, print_json, say, state, transaction
from factcheck.cli.output import Col, print_table, when
from factcheck.domain import Label, utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

verdict_app = typer.Typer(
    help="Editors' verdicts: overrule the machine, or lift an override.", no_args_is_help=True
)
review_app = typer.Typer(help="The review queue: what needs a human.", invoke_without_command=True)

KEY = typer.Argument(..., help="The claim's key.")
EDITOR = typer.Option(..., "--editor", metavar="NAME", help="Who decides (kept with the verdict).")
NOTE = typer.Option(
    ..., "--note", metavar="TEXT", help="Why, in a sentence (kept with the verdict)."
)


def _row_json(session: Session, row: Any, key: str) -> dict[str, Any]:
    """A stored row (a verdict, a review) as JSON, with its claim's key (and its new id)."""
    from factcheck.storage.records import jsonable

    session.flush()
    return {"claim_key": key, **{k: jsonable(v) for k, v in row.model_dump().items()}}


@verdict_app.command("set")
def verdict_set(
    ctx: typer.Context,
    key: str = KEY,
    label: Label = typer.Argument(..., help="The editor's label."),
    note: str = NOTE,
    editor: str = EDITOR,
    as_json: bool = JSON_OPTION,
) -> None:
    """Overrule the machine: an editor's verdict, which the nightly job never replaces."""
    from factcheck.editorial import overrides

    with transaction(ctx) as session:
        verdict = overrides.set_override(
            session=session, key=key, label=plain(label), editor=editor, note=note, now=utcnow()
        )
        record = _row_json(session, verdict, key)
    say(f"claim {key}: {plain(label)} (set by editor {editor.strip()})")
    if as_json:
        print_json(record)


@verdict_app.command("clear")
def verdict_clear(
    ctx: typer.Context,
    key: str = KEY,
    note: str = NOTE,
    editor: str = EDITOR,
    as_json: bool = JSON_OPTION,
) -> None:
    """Lift the standing override: the system's verdict stands again (history is kept)."""
    from factcheck.editorial import overrides

    with transaction(ctx) as session:
        verdict = overrides.lift_override(
            session=session, key=key, editor=editor, note=note, now=utcnow()
        )
        record = _row_json(session, verdict, key)
    say(f"claim {key}: override lifted, the system's verdict stands again")
    if as_json:
        print_json(record)


@review_app.callback()
def review_list(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List what needs a human: mixed, flipped, stale, contradicted overrides, overdue
    predictions (each since the claim's last review)."""
    if ctx.invoked_subcommand is not None:
        return
    from factcheck.editorial import review

    settings = state(ctx).settings
    with transaction(ctx) as session:
        items = review.review_queue(session=session, settings=settings, now=utcnow())
    if as_json:
        print_json([item.record() for item in items])
        return
    print_table(
        ["claim", Col("label", label=True), "set by", Col("freshness", label=True), "why"],
        [
            (
                item.key,
                item.label,
                item.set_by,
                item.freshness,
                "; ".join(f"{r.code}: {r.detail}" for r in item.reasons),
            )
            for item in items
        ],
    )
    say(f"{len(items)} claim(s) to review")


@review_app.command("done")
def review_done(
    ctx: typer.Context,
    key: str = KEY,
    note: str = typer.Option(..., "--note", metavar="TEXT", help="What was checked or decided."),
    editor: str = typer.Option("", "--editor", metavar="NAME", help="Who reviewed it."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Clear a claim from the review queue, with a note, until something new happens."""
    from factcheck.editorial import review

    # `review --json done KEY`: the group's --json is this command's too
    as_json = as_json or bool(ctx.parent and ctx.parent.params.get("as_json"))

    with transaction(ctx) as session:
        record = _row_json(
            session,
            review.mark_reviewed(session=session, key=key, note=note, editor=editor, now=utcnow()),
            key,
        )
    say(f"claim {key} reviewed")
    if as_json:
        print_json(record)


def history(ctx: typer.Context, key: str = KEY, as_json: bool = JSON_OPTION) -> None:
    """The timeline of a claim: verdicts, evidence values and reviews, with who or what set each."""
    from factcheck.editorial.history import claim_history

    with transaction(ctx) as session:
        events = claim_history(session=session, key=key)
    if as_json:
        print_json([event.record() for event in events])
        return
    print_table(
        ["when", "what", "by", "summary"],
        [(when(event.at), event.kind, event.by, event.summary) for event in events],
    )
    say(f"{len(events)} event(s)")


def register(app: typer.Typer) -> None:
    """Every editors' command, the export ones included (one line in the CLI package)."""
    from factcheck.cli import export_cmd
    from factcheck.cli.claims import claim_app

    export_cmd.register(app)

    claim_app.command("history")(history)
    app.add_typer(verdict_app, name="verdict")
    app.add_typer(review_app, name="review")
