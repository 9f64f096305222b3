"""`factcheck demo`: the whole pipeline offline, on example pages and a throwaway database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from factcheck.cli.common import JSON_OPTION, ExitCode, say, state
from factcheck.cli.progress import progress
from factcheck.cli.run_report import report_run

if TYPE_CHECKING:
    from factcheck.demo import DemoResult


def demo(
    ctx: typer.Context,
    keep: Path | None = typer.Option(
        None,
        "--keep",
        metavar="DIR",
        file_okay=False,
        help="Keep the demo database in DIR (created if missing) instead of deleting it.",
    ),
    sources: Path | None = typer.Option(
        None,
        "--sources",
        metavar="DIR",
        exists=True,
        file_okay=False,
        help="The declared claims to verify (default: the repository's sources/).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Verify the declared claims offline: example pages served on 127.0.0.1, a throwaway
    SQLite database. Your own database is not touched; exits 3 when some sources failed.
    """
    from factcheck.demo import find_sources_dir, run_demo

    with progress("sources", unit="sources") as tracker:
        result = run_demo(
            settings=state(ctx).settings,
            sources_dir=sources or find_sources_dir(),
            keep=keep.resolve() if keep else None,
            on_planned=lambda plan: tracker.set_total(len(plan.sources)),
            on_source=lambda source: tracker.advance(note=source.plan.key),
        )
    about = {
        "sources_dir": str(result.sources_dir),
        "site_url": result.site_url,
        "pages": result.pages,
        "claims_imported": result.claims,
        "database_url": result.database_url,
    }
    report_run(result.summary, as_json=as_json, dry_run=False, extra={"demo": about})
    say(_explain(result))
    if result.summary.failed_sources:
        raise typer.Exit(ExitCode.SOURCES_FAILED)


def _explain(result: DemoResult) -> str:
    where = (
        f"kept in {result.kept}; look around with "
        f"`factcheck --db {result.database_url} claim show llama-3.1-450b-headline`"
        if result.kept
        else "deleted now"
    )
    return (
        f"demo: imported {result.claims} claims from {result.sources_dir} with their declared "
        f"rules, served {result.pages} example pages shipped with factcheck on {result.site_url} "
        f"in place of the real sources, and verified every claim on a throwaway SQLite database "
        f"({where}). The verdicts come from the example pages; to check the real sources run "
        "`factcheck init && factcheck import sources/ && factcheck verify`."
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
