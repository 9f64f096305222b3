"""`factcheck export ...` (CSV and ClaimReview JSON-LD) and `factcheck import-csv`."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TextIO

import typer

from factcheck.cli.common import parse_since, say, state, transaction
from factcheck.domain import utcnow
from factcheck.errors import ValidationError

# The kinds of CSV export, one command each; a test checks they are editorial.export.KINDS
# (importing that module here would load the database toolkit for `factcheck --help`).
KINDS = ("claims", "evidence", "verdicts", "changes")

export_app = typer.Typer(
    help="Export claims, evidence, verdicts and changes as CSV, or ClaimReview JSON-LD.",
    no_args_is_help=True,
)

OUTPUT = typer.Option("-", "--output", "-o", help="Write to this file ('-': standard output).")
SINCE = typer.Option(
    None, "--since", help="Only rows from this date or time on (YYYY-MM-DD or ISO 8601, UTC)."
)
TAG = typer.Option(None, "--tag", help="Only claims with this tag.")
LABEL = typer.Option(
    None,
    "--label",
    help="Only this label: the standing verdict (claims, evidence; none: no verdict), "
    "the row's own (verdicts, changes).",
)
STATUS = typer.Option(None, "--status", help="Only claims with this status (active, retired).")
NO_BOM = typer.Option(
    False, "--no-bom", help="No UTF-8 byte order mark (for programs; Excel needs it)."
)


@contextmanager
def opened_output(target: str) -> Iterator[TextIO]:
    """UTF-8 text with newline="" (the csv module writes CRLF itself). A file is written
    beside its final name and moved into place only when complete: a failed export leaves
    no half file."""
    if target == "-":
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()
        return
    path = Path(target)
    if not path.parent.is_dir():
        raise ValidationError(f"--output {target}: no such directory {path.parent}")
    if path.is_dir():
        raise ValidationError(f"--output {target}: is a directory")
    partial = path.with_name(f".{path.name}.part")
    try:
        try:
            handle = partial.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise ValidationError(f"--output {target}: {exc.strerror}") from None
        with handle, _unwinding_on_sigterm():
            yield handle
        try:
            os.replace(partial, path)
        except OSError as exc:
            raise ValidationError(f"--output {target}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)


SIGTERM_EXIT = 128 + signal.SIGTERM


@contextmanager
def _unwinding_on_sigterm() -> Iterator[None]:
    """SIGTERM's default action ends the process where it stands, so no `finally` runs and the
    part file would stay. While a file is written, SIGTERM exits through the stack instead
    (status 143), removing the part file and rolling the transaction back on the way."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def exit_through_the_stack(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(SIGTERM_EXIT)

    previous = signal.signal(signal.SIGTERM, exit_through_the_stack)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _csv_command(kind: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        output: str = OUTPUT,
        since: str | None = SINCE,
        tag: str | None = TAG,
        label: str | None = LABEL,
        status: str | None = STATUS,
        no_bom: bool = NO_BOM,
    ) -> None:
        from factcheck.domain import utcnow
        from factcheck.editorial import export

        filters = export.Filters(since=parse_since(since), tag=tag, label=label, status=status)
        settings = state(ctx).settings
        with transaction(ctx) as session, opened_output(output) as out:
            count = export.export_csv(
                kind,
                session=session,
                out=out,
                settings=settings,
                now=utcnow(),
                filters=filters,
                bom=not no_bom,
            )
        say(f"exported {count} {kind} row(s)" + ("" if output == "-" else f" to {output}"))

    command.__doc__ = {
        "claims": "One row per claim: its fields, standing verdict, staleness, sources, "
        "best excerpt.",
        "evidence": "Every evidence row: what each source said about each claim, run by run.",
        "verdicts": "Every verdict row, the system's and the editors', oldest first.",
        "changes": "Each time a claim's standing label changed, with who or what changed it.",
    }[kind]
    return command


def claimreview_command(
    ctx: typer.Context,
    output: str = OUTPUT,
    tag: str | None = TAG,
    status: str | None = STATUS,
) -> None:
    """schema.org ClaimReview JSON-LD for each claim whose standing verdict is on the scale."""
    from factcheck.editorial import claimreview

    settings = state(ctx).settings
    with transaction(ctx) as session, opened_output(output) as out:
        count = claimreview.write_claim_reviews(
            out, session=session, settings=settings, tag=tag, status=status
        )
    say(f"exported {count} claim review(s)" + ("" if output == "-" else f" to {output}"))


def import_csv(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A claims CSV, as `factcheck export claims` writes it."),
) -> None:
    """Bring back an edited claims export: all rows are checked before anything is written."""
    from factcheck.editorial import csvimport

    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}") from None
    with handle, transaction(ctx) as session:
        try:
            report = csvimport.import_claims_csv(session=session, handle=handle, now=utcnow())
        except UnicodeDecodeError:
            raise ValidationError(f"{path}: not UTF-8 text") from None
    for key in report.updated:
        say(f"updated claim {key}")
    say(f"{len(report.updated)} updated, {len(report.unchanged)} unchanged")


def register(app: typer.Typer) -> None:
    for kind in KINDS:
        export_app.command(kind)(_csv_command(kind))
    export_app.command("claimreview")(claimreview_command)
    app.add_typer(export_app, name="export")
    app.command("import-csv")(import_csv)
