"""`factcheck source add|list|show` and `factcheck import PATH...`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from factcheck.cli.common import JSON_OPTION, plain, print_json, say, transaction
from factcheck.cli.output import Col, print_fields, print_table, when
from factcheck.domain import SourceFormat, utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from factcheck.declarations.inputs import ClaimInput, Declarations
    from factcheck.storage.catalog import ImportReport

source_app = typer.Typer(
    help="Sources: the public pages and documents that evidence comes from.", no_args_is_help=True
)

# How many declared entries `import` writes between two steps of its progress.
IMPORT_STEP = 50


@source_app.command("add")
def add(
    ctx: typer.Context,
    key: str = typer.Option(..., "--key", metavar="KEY", help="A stable unique key (slug)."),
    url: str = typer.Option(
        ...,
        "--url",
        metavar="URL",
        help="The page or document URL (http or https; file:// when FACTCHECK_ALLOW_FILE_URLS).",
    ),
    format: SourceFormat = typer.Option(
        SourceFormat.HTML, "--format", help="What the URL serves (text: plain text or Markdown)."
    ),
    title: str = typer.Option("", "--title", metavar="TEXT", help="A title editors recognise."),
    publisher: str = typer.Option("", "--publisher", metavar="TEXT", help="Who publishes it."),
    recheck_hours: int = typer.Option(
        24, "--recheck-hours", metavar="HOURS", help="Fetch again at most this often."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a source."""
    from factcheck.declarations.inputs import validate_source
    from factcheck.storage import catalog
    from factcheck.storage.freshness import SourceState
    from factcheck.storage.records import source_record

    spec = validate_source(
        {
            "key": key,
            "url": url,
            "format": plain(format),
            "title": title,
            "publisher": publisher,
            "recheck_hours": recheck_hours,
        }
    )
    with transaction(ctx) as session:
        source = catalog.add_source(session=session, spec=spec, now=utcnow())
        session.flush()
        record = source_record(source, SourceState())  # never fetched
    say(f"added source {key}")
    if as_json:
        print_json(record)


def next_due(record: dict[str, Any]) -> str:
    """When a source is next due, as tables show it: "next run" when it has no good fetch yet
    (JSON keeps null)."""
    return when(record.get("next_due_at")) or "next run"


@source_app.command("list")
def list_(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List sources with their last fetch, its status or error, and when each is next due."""
    from factcheck.storage import catalog, freshness
    from factcheck.storage.records import source_record

    with transaction(ctx) as session:
        sources = catalog.list_sources(session=session)
        states = freshness.source_states(session=session, sources=sources)  # one query
        records = [source_record(s, states[s.id or 0]) for s in sources]
    if as_json:
        print_json(records)
        return
    print_table(
        [
            "key",
            "format",
            "recheck",
            Col("last status", label=True),
            "last error",
            "last good fetch",
            "next due",
            "url",
        ],
        [
            (
                r["key"],
                r["format"],
                f"{r['recheck_hours']}h",
                r.get("last_status"),
                r.get("last_error"),
                when(r.get("last_good_fetch_at")),
                next_due(r),
                r["url"],
            )
            for r in records
        ],
    )
    say(f"{len(records)} source(s)")


@source_app.command("show")
def show(
    ctx: typer.Context,
    key: str = typer.Argument(..., help="The source's key."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a source, its last fetch and next due time, and the claims that use it."""
    from factcheck.storage import catalog, freshness
    from factcheck.storage.records import source_record

    with transaction(ctx) as session:
        source = catalog.get_source(session=session, key=key)
        links = catalog.source_claims(session=session, source_id=source.id or 0)
        states = freshness.source_states(session=session, sources=[source])
        record = source_record(source, states[source.id or 0])
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
    print_fields(
        [
            *((name, record.get(name)) for name in ("key", "url", "format", "title", "publisher")),
            ("recheck", f"{record['recheck_hours']}h"),
            ("etag", record.get("etag")),
            ("last status", record.get("last_status")),
            ("last error", record.get("last_error")),
            ("last good fetch", when(record.get("last_good_fetch_at"))),
            ("next due", next_due(record)),
        ]
    )
    print_table(
        ["claim", "role", "rule kind", "rule"],
        [(c["claim"], c["role"], c["rule_kind"], c["rule"]) for c in record["claims"]],
    )


def import_(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        ..., metavar="PATH", help="TOML files, or folders of them (e.g. sources/)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and report, write nothing."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Import declared sources and claims. Everything is validated before anything is written."""
    from factcheck.declarations.files import read_declarations
    from factcheck.storage import catalog

    with transaction(ctx) as session:
        declared = read_declarations(
            paths, known_source_formats=catalog.source_formats(session=session)
        )
        report = _apply(session, declared)
        if dry_run:
            session.rollback()
    _say_imported(report, files=len(declared.files), dry_run=dry_run)
    if dry_run:
        _say_as_judged(declared.claims)
    if as_json:
        print_json(
            {
                "dry_run": dry_run,
                "files": [str(f) for f in declared.files],
                **{name: _entries(getattr(report, name)) for name in _OUTCOMES},
            }
        )


_OUTCOMES = ("created", "updated", "unchanged")


def _apply(session: Session, declared: Declarations) -> ImportReport:
    """Write the declarations a step at a time, sources before claims (as one call would), so
    that a long import shows its progress."""
    from factcheck.cli.progress import progress
    from factcheck.storage import catalog

    steps = [
        *(
            replace(declared, sources=declared.sources[i : i + IMPORT_STEP], claims=())
            for i in range(0, len(declared.sources), IMPORT_STEP)
        ),
        *(
            replace(declared, sources=(), claims=declared.claims[i : i + IMPORT_STEP])
            for i in range(0, len(declared.claims), IMPORT_STEP)
        ),
    ]
    total = catalog.ImportReport()
    entries = len(declared.sources) + len(declared.claims)
    with progress("import", total=entries, unit="entries") as t:
        for step in steps:
            done = catalog.apply_declarations(session=session, declared=step, now=utcnow())
            for name in _OUTCOMES:
                getattr(total, name).extend(getattr(done, name))
            t.advance(len(step.sources) + len(step.claims))
    return total


def _entries(names: Sequence[str]) -> list[dict[str, str]]:
    """'source k' / 'claim k' as {"kind": "source", "key": "k"}."""
    return [dict(zip(("kind", "key"), name.split(" ", 1), strict=True)) for name in names]


def _say_imported(report: ImportReport, *, files: int, dry_run: bool) -> None:
    created, updated = ("would create", "would update") if dry_run else ("created", "updated")
    for name in report.created:
        say(f"{created} {name}")
    for name in report.updated:
        say(f"{updated} {name}")
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
