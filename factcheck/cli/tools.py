"""Tools for admins writing rules: `factcheck quantity` and `factcheck rule test`.

Both only read: they show what the normaliser and a rule find, and write nothing.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from factcheck.cli.common import (
    JSON_OPTION,
    parse_options,
    plain,
    print_json,
    say,
    state,
    transaction,
)
from factcheck.cli.output import print_table
from factcheck.domain import RuleKind, SourceFormat

if TYPE_CHECKING:
    from factcheck.config import Settings
    from factcheck.declarations.inputs import LinkInput
    from factcheck.domain import Fetched, Hit, Quantity

    Probed = tuple[Fetched, tuple[Hit, ...], tuple[Quantity | None, ...]]

rule_app = typer.Typer(
    help="Extraction rules: try one against a source, writing nothing.", no_args_is_help=True
)


def quantity(
    text: str = typer.Argument(..., help="Text to read, or - to read lines from stdin."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the quantities the normaliser finds in TEXT (English or Chinese)."""
    from factcheck.normalising.quantities import describe, parse_quantities, to_json

    lines = [line.strip() for line in sys.stdin if line.strip()] if text == "-" else [text]
    results = [
        {"text": line, "quantities": [to_json(q) for q in parse_quantities(line)]} for line in lines
    ]
    if as_json:
        print_json(results if text == "-" else results[0])
        return
    rows: list[tuple[object, ...]] = []
    for line in lines:
        found = parse_quantities(line)
        if not found:
            rows.append((line, None, None, None, None, "no quantity"))
        for q in found:
            amount = to_json(q)["amount"]
            rows.append((line, q.text, amount, q.unit, q.bound.value, describe(q)))
    print_table(["text", "found", "amount", "unit", "bound", "reads as"], rows)


@rule_app.command("test")
def rule_test(
    ctx: typer.Context,
    target: str = typer.Argument(..., metavar="SOURCE_OR_URL", help="A source key, or a URL."),
    rule_kind: RuleKind = typer.Option(..., "--rule-kind", help="How the rule reads the page."),
    rule: str = typer.Option("", "--rule", metavar="EXPR", help="The rule's expression."),
    option: list[str] | None = typer.Option(
        None, "--option", metavar="NAME=VALUE", help="A rule option NAME=VALUE (VALUE may be JSON)."
    ),
    fmt: SourceFormat | None = typer.Option(
        None, "--format", help="What the URL serves (default: the source's, or html)."
    ),
    numeric: bool = typer.Option(
        True, "--numeric/--text", help="Read figures from the hits (default) or not."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Fetch a source now and show what a rule extracts there, with the figures it reads."""
    from factcheck.declarations.inputs import validate_link

    url, source_format = _rule_target(ctx, target, fmt=fmt)
    link = validate_link(
        {
            "source": "probe",
            "rule_kind": plain(rule_kind),
            "rule": rule,
            "options": parse_options(option),
        },
        fmt=source_format,
    )
    fetched, hits, quantities = _probe(
        state(ctx).settings, url, fmt=source_format, link=link, numeric=numeric
    )
    if as_json:
        from factcheck.storage.records import hit_json

        print_json(
            {
                "url": fetched.final_url,
                "status": fetched.status,
                "encoding": fetched.encoding,
                "hits": [hit_json(h, q) for h, q in zip(hits, quantities, strict=True)],
            }
        )
        return
    _hit_table(hits, quantities)
    say(f"{len(hits)} hit(s) from {fetched.final_url} (HTTP {fetched.status})")


def _rule_target(
    ctx: typer.Context, target: str, *, fmt: SourceFormat | None
) -> tuple[str, SourceFormat]:
    """The URL and format to probe: a URL as given (html by default), or a declared source's."""
    from factcheck.declarations.fields import check_url
    from factcheck.storage import catalog

    if "://" in target:
        url = check_url(target, "url", schemes=("http", "https", "file"))
        return url, SourceFormat(fmt or "html")
    with transaction(ctx) as session:
        source = catalog.get_source(session=session, key=target)
    return source.url, SourceFormat(fmt or source.format)


def _probe(
    settings: Settings, url: str, *, fmt: SourceFormat, link: LinkInput, numeric: bool
) -> Probed:
    """Fetch, extract and read figures behind the run's fault boundary: whatever the page makes
    us raise is an ExtractError with its error code, one line, as a run would record it."""
    from factcheck.errors import ExtractError
    from factcheck.extraction.rules import apply_rule, parse_document
    from factcheck.fetching.fetcher import Fetcher
    from factcheck.normalising.hits import normalise
    from factcheck.verification.source_unit import Fault, contain, limits_for

    limits = limits_for(settings)  # the run's caps and budgets, so a test sees what a run would

    def probe() -> Probed:
        with Fetcher(settings) as fetcher:
            fetched = fetcher.fetch(url, fmt=fmt)
        document = parse_document(fetched.body, fmt=fmt, encoding=fetched.encoding, limits=limits)
        hits, quantities = normalise(
            apply_rule(document, link.rule, limits=limits), unit=link.unit, numeric=numeric
        )
        return fetched, hits, quantities

    outcome = contain(probe, what=f"rule test on {url}", log_traceback=False)
    if isinstance(outcome, Fault):
        raise ExtractError(outcome.code, f"{outcome.code}: {outcome.message}")
    return outcome


def _hit_table(hits: tuple[Hit, ...], quantities: tuple[Quantity | None, ...]) -> None:
    """The hits as a table: each raw text beside the figure read from it, nothing cut."""
    from factcheck.normalising.quantities import describe

    print_table(
        ["key", "raw", "figure", "location", "excerpt"],
        [
            (hit.key, hit.raw, describe(q) if q else None, hit.location, hit.excerpt)
            for hit, q in zip(hits, quantities, strict=True)
        ],
    )


def register(app: typer.Typer) -> None:
    app.command("quantity")(quantity)
    app.add_typer(rule_app, name="rule")
