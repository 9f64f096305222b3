"""`factcheck claim link|unlink`: tie a claim to a source with the rule that reads it there.

With `--json` each prints the link(s) made or removed as `claim show --json` lists them.
"""

from __future__ import annotations

import typer

from factcheck.cli.common import JSON_OPTION, parse_options, plain, print_json, say, transaction
from factcheck.domain import Role, RuleKind, SourceFormat

CLAIM_KEY = typer.Argument(..., metavar="CLAIM", help="The claim's key.")
SOURCE_KEY = typer.Argument(..., metavar="SOURCE", help="The source's key.")
RULE_KIND = typer.Option(..., "--rule-kind", help="How the rule reads the source.")
RULE_OPTION = typer.Option(
    None, "--option", metavar="NAME=VALUE", help="A rule option NAME=VALUE (VALUE may be JSON)."
)


def link(
    ctx: typer.Context,
    claim_key: str = CLAIM_KEY,
    source_key: str = SOURCE_KEY,
    rule_kind: RuleKind = RULE_KIND,
    rule: str = typer.Option(
        "",
        "--rule",
        metavar="EXPR",
        help="The rule's expression (a selector, a path, a pattern, a phrase).",
    ),
    option: list[str] | None = RULE_OPTION,
    role: Role = typer.Option(Role.VALUE, "--role", help="What the evidence stands for."),
    self_published: bool = typer.Option(
        False, "--self-published", help="The source is the claimant's own."
    ),
    authoritative: bool = typer.Option(
        False, "--authoritative", help="A primary record for what it defines."
    ),
    note: str = typer.Option("", "--note", metavar="TEXT", help="Why this source, in a sentence."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Link a claim to a source with the rule that extracts its evidence there."""
    from factcheck.declarations.inputs import validate_link
    from factcheck.storage import catalog
    from factcheck.storage.records import link_record

    options = parse_options(option)
    with transaction(ctx) as session:
        claim = catalog.get_claim(session=session, key=claim_key)
        source = catalog.get_source(session=session, key=source_key)
        spec = validate_link(
            {
                "source": source_key,
                "rule_kind": plain(rule_kind),
                "rule": rule,
                "options": options,
                "role": plain(role),
                "self_published": self_published,
                "authoritative": authoritative,
                "note": note,
            },
            fmt=SourceFormat(source.format),
        )
        made = catalog.link_claim(session=session, claim=claim, source=source, link=spec)
        record = {**link_record(made, source), "claim_key": claim.key}
    say(f"linked {claim_key} -> {source_key} ({plain(role)}, {plain(rule_kind)})")
    if as_json:
        print_json(record)


def unlink(
    ctx: typer.Context,
    claim_key: str = CLAIM_KEY,
    source_key: str = SOURCE_KEY,
    role: Role | None = typer.Option(None, "--role", help="Only the link with this role."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Remove a claim's link to a source (its evidence history stays)."""
    from factcheck.storage import catalog
    from factcheck.storage.records import link_record

    with transaction(ctx) as session:
        claim = catalog.get_claim(session=session, key=claim_key)
        source = catalog.get_source(session=session, key=source_key)
        removed = [
            {**link_record(made, linked), "claim_key": claim.key}
            for made, linked in catalog.claim_links(session=session, claim_id=claim.id or 0)
            if linked.id == source.id and (role is None or made.role == plain(role))
        ]
        count = catalog.unlink_claim(session=session, claim=claim, source=source, role=plain(role))
    say(f"removed {count} link(s) {claim_key} -> {source_key}")
    if as_json:
        print_json({"claim_key": claim_key, "source_key": source_key, "removed": removed})


def register(claim_app: typer.Typer) -> None:
    claim_app.command("link")(link)
    claim_app.command("unlink")(unlink)
