"""`factcheck source add|list|show` and `factcheck import PATH...`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from factcheck.cli.common import JSON_OPTION, out, print_json, say, transaction
from factcheck.domain import utcnow

if TYPE_CHECKING:
    from factcheck.declarations.inputs import ClaimInput

source_app = typer.Typer(
    help="Sources: the public pages and documents that evidence comes from.", no_args_is_help=True
)


@source_app.command("add")
def add(
    ctx: typer.Context,
    key: str = typer.Option(..., "--key", help="A stable unique key (slug)."),
    url: str = typer.Option(
        ...,
        "--url",
        help="The page or document URL (http or https; file:// when FACTCHECK_ALLOW_FILE_URLS).",
    ),
    format: str = typer.Option("html", "--format", help="html, json, csv or text (Markdown too)."),
    title: str = typer.Option("", "--title", help="A title editors recognise."),
    publisher: str = typer.Option("", "--publisher", help="Who publishes it."),
    recheck_hours: int = typer.Option(
        24, "--recheck-hours", help="Fetch again at most this often."
    ),
) -> None:
    """Add a source."""
    from factcheck.declarations.inputs import validate_source
    from factcheck.storage import catalog

    spec = validate_source(
        {
            "key": key,
            "url": url,
            "format": format,
            "title": title,
            "publisher": publisher,
            "recheck_hours": recheck_hours,
        }
    )
    with transaction(ctx) as session:
        catalog.add_source(session=session, spec=spec, now=utcnow())
    say(f"added source {key}")


@source_app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List sources."""
    from rich.table import Table

    from factcheck.storage import catalog
    from factcheck.storage.records import source_record

    with transaction(ctx) as session:
        sources = catalog.list_sources(session=session)
    if as_json:
        print_json([source_record(s) for s in sources])
        return
    table = Table("key", "format", "recheck", "last fetched", "url")
    for s in sources:
        fetched = f"{s.last_fetched_at:%Y-%m-%d %H:%M}" if s.last_fetched_at else "-"
        table.add_row(s.key, s.format, f"{s.recheck_hours}h", fetched, s.url)
    out.print(table)
    say(f"{len(sources)} source(s)")


@source_app.command("show")
def show(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The source's key."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a source and the claims that use it, with their rules."""
    from rich.table import Table

    from factcheck.storage import catalog
    from factcheck.storage.records import source_record

    with transaction(ctx) as session:
        source = catalog.get_source(session=session, key=key)
        links = catalog.source_claims(session=session, source_id=source.id or 0)
    record = source_record(source)
    record["claims"] = [
        {
            "claim": claim.key,
            "role": link.role,
            "rule_kind": link.rule_kind,
            "rule": link.rule,
            "rule_options": link.rule_options,
        }
        for link, claim in links
    ]
    if as_json:
        print_json(record)
        return
    for name in (
        "key",
        "url",
        "format",
        "title",
        "publisher",
        "recheck_hours",
        "etag",
        "last_fetched_at",
    ):
        out.print(
            f"{name}: {record.get(name) if record.get(name) is not None else '-'}", markup=False
        )
    table = Table("claim", "role", "rule")
    for item in record["claims"]:
        table.add_row(item["claim"], item["role"], f"{item['rule_kind']}: {item['rule']}")
    out.print(table)


def import_(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="TOML files, or folders of them (e.g. sources/)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report, write nothing."),
) -> None:
    """Import declared sources and claims. Everything is validated before anything is written."""
    from factcheck.declarations.files import read_declarations
    from factcheck.storage import catalog

    with transaction(ctx) as session:
        declared = read_declarations(
            paths, known_source_formats=catalog.source_formats(session=session)
        )
        report = catalog.apply_declarations(session=session, declared=declared, now=utcnow())
        if dry_run:
            session.rollback()
    created, updated = ("would create", "would update") if dry_run else ("created", "updated")
    for name in report.created:
        say(f"{created} {name}")
    for name in report.updated:
        say(f"{updated} {name}")
    files = len(declared.files)
    if dry_run:
        _say_as_judged(declared.claims)
    if not report.changed:
        say(f"no changes: {len(report.unchanged)} entries in {files} file(s) already up to date")
    else:
        verb = "would import" if dry_run else "imported"
        say(
            f"{verb} {files} file(s): {len(report.created)} created, "
            f"{len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged"
        )


def _say_as_judged(claims: Sequence[ClaimInput]) -> None:
    """Each claim as it will be judged, and how words in its expected value were read."""
    from factcheck.declarations.claim_words import describe_claim
    from factcheck.storage.models import Claim
    from factcheck.storage.records import claim_columns, claim_spec

    for spec in claims:
        words = describe_claim(claim_spec(Claim(**claim_columns(spec))))
        written = f" (from {spec.expected_text!r})" if spec.expected_text else ""
        say(f"claim {spec.key}: judged as {words}{written}")


def register(app: typer.Typer) -> None:
    app.add_typer(source_app, name="source")
    app.command("import")(import_)
