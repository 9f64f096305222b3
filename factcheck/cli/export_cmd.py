"""`factcheck export ...` (CSV and ClaimReview JSON-LD) and `factcheck import-csv`."""

from __future__ import annotations

import io
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

import typer

from factcheck.cli.common import (
    JSON_OPTION,
    LabelFilter,
    isatty,
    parse_since,
    plain,
    print_json,
    say,
    state,
    transaction,
)
from factcheck.domain import ClaimStatus, Label, utcnow
from factcheck.errors import ValidationError

if TYPE_CHECKING:
    from factcheck.cli.progress import Tracker

# The kinds of CSV export, one command each; a test checks they are editorial.export.KINDS
# (importing that module here would load the database toolkit for `factcheck --help`).
KINDS = ("claims", "evidence", "verdicts", "changes")

export_app = typer.Typer(
    help="Export claims, evidence, verdicts and changes as CSV, or ClaimReview JSON-LD.",
    no_args_is_help=True,
)

OUTPUT = typer.Option(
    "-", "--output", "-o", metavar="FILE", help="Write to this file ('-': standard output)."
)
SINCE = typer.Option(
    None,
    "--since",
    metavar="DATE",
    help="Only rows from this date or time on (YYYY-MM-DD or ISO 8601, UTC).",
)
TAG = typer.Option(None, "--tag", metavar="TAG", help="Only claims with this tag.")
STANDING_LABEL = typer.Option(
    None, "--label", help="Only claims whose standing verdict has this label (none: no verdict)."
)
ROW_LABEL = typer.Option(None, "--label", help="Only rows with this label.")
STATUS = typer.Option(None, "--status", help="Only claims with this status.")
EXPORT_JSON = typer.Option(
    False,
    "--json",
    help="Print what was written as JSON on stdout (kind, rows, output); needs --output FILE.",
)
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


DOCS = {
    "claims": "One row per claim: its fields, standing verdict, staleness, sources, best excerpt.",
    "evidence": "Every evidence row: what each source said about each claim, run by run.",
    "verdicts": "Every verdict row, the system's and the editors', oldest first.",
    "changes": "Each time a claim's standing label changed, with who or what changed it.",
}


def _csv_command(kind: str) -> Callable[..., None]:
    """The command of one CSV export; claims and evidence filter on the standing label (or
    none), verdicts and changes on the row's own, which a verdict always has."""

    def by_standing_label(
        ctx: typer.Context,
        output: str = OUTPUT,
        since: str | None = SINCE,
        tag: str | None = TAG,
        label: LabelFilter | None = STANDING_LABEL,
        status: ClaimStatus | None = STATUS,
        no_bom: bool = NO_BOM,
        as_json: bool = EXPORT_JSON,
    ) -> None:
        _export_csv(ctx, kind, output, since, tag, plain(label), plain(status), no_bom, as_json)

    def by_row_label(
        ctx: typer.Context,
        output: str = OUTPUT,
        since: str | None = SINCE,
        tag: str | None = TAG,
        label: Label | None = ROW_LABEL,
        status: ClaimStatus | None = STATUS,
        no_bom: bool = NO_BOM,
        as_json: bool = EXPORT_JSON,
    ) -> None:
        _export_csv(ctx, kind, output, since, tag, plain(label), plain(status), no_bom, as_json)

    command = by_standing_label if kind in ("claims", "evidence") else by_row_label
    command.__doc__ = DOCS[kind]
    return command


def _export_csv(
    ctx: typer.Context,
    kind: str,
    output: str,
    since: str | None,
    tag: str | None,
    label: str | None,
    status: str | None,
    no_bom: bool,
    as_json: bool,
) -> None:
    from factcheck.editorial import export

    _check_json_output(as_json, output)
    filters = export.Filters(since=parse_since(since), tag=tag, label=label, status=status)
    settings = state(ctx).settings
    with (
        transaction(ctx) as session,
        opened_output(output) as out,
        _progress(f"export {kind}", output, unit="rows") as tracker,
    ):
        count = export.export_csv(
            kind,
            session=session,
            out=out,
            settings=settings,
            now=utcnow(),
            filters=filters,
            bom=not no_bom,
            on_rows=tracker.advance,
        )
    _report(kind, count, output, as_json=as_json)


def _progress(what: str, output: str, *, unit: str) -> AbstractContextManager[Tracker]:
    """The export's progress; in the log only when the export itself goes to the terminal,
    where a bar would be drawn over the rows, or when stderr is no terminal (as `progress`
    does then, without asking rich: an export's start-up counts in its time and memory)."""
    from factcheck.cli.progress import Tracker, progress

    if output == "-" and sys.stdout.isatty():
        return nullcontext(Tracker(what, None, unit, every_s=10.0))
    if not isatty(sys.stderr):
        return _logged(Tracker(what, None, unit, every_s=10.0))
    return progress(what, unit=unit)


@contextmanager
def _logged(tracker: Tracker) -> Iterator[Tracker]:
    try:
        yield tracker
    finally:
        logging.getLogger("factcheck.progress").info(
            "%s: done, %s", tracker.what, tracker.describe()
        )


def _check_json_output(as_json: bool, output: str) -> None:
    if as_json and output == "-":
        raise ValidationError("--json needs --output FILE: the export itself is on stdout")


def _report(kind: str, count: int, output: str, *, as_json: bool) -> None:
    from factcheck.cli.logs import json_active

    noun = "claim review(s)" if kind == "claimreview" else f"{kind} row(s)"
    message = f"exported {count} {noun}" + ("" if output == "-" else f" to {output}")
    if isatty(sys.stderr) or json_active():
        say(message)
    else:  # what `say` prints there, without loading rich for one plain line
        sys.stderr.write(message + "\n")
    if as_json:
        print_json({"kind": kind, "rows": count, "output": output})


def claimreview_command(
    ctx: typer.Context,
    output: str = OUTPUT,
    tag: str | None = TAG,
    status: ClaimStatus | None = STATUS,
    as_json: bool = EXPORT_JSON,
) -> None:
    """schema.org ClaimReview JSON-LD for each claim whose standing verdict is on the scale."""
    from factcheck.editorial import claimreview

    _check_json_output(as_json, output)
    settings = state(ctx).settings
    with (
        transaction(ctx) as session,
        opened_output(output) as out,
        _progress("export claimreview", output, unit="reviews") as tracker,
    ):
        count = claimreview.write_claim_reviews(
            out, session=session, settings=settings, tag=tag, status=plain(status)
        )
        tracker.advance(count)  # written in one stream: the count is known at the end
    _report("claimreview", count, output, as_json=as_json)


def import_csv(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ..., metavar="FILE", help="A claims CSV, as `factcheck export claims` writes it."
    ),
    as_json: bool = JSON_OPTION,
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
    if as_json:
        print_json({"updated": report.updated, "unchanged": report.unchanged})


def register(app: typer.Typer) -> None:
    for kind in KINDS:
        export_app.command(kind)(_csv_command(kind))
    export_app.command("claimreview")(claimreview_command)
    app.add_typer(export_app, name="export")
    app.command("import-csv")(import_csv)
