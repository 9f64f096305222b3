"""`factcheck claim ...`: add, list, show, edit, retire, link and unlink claims."""

from __future__ import annotations

from typing import Any

import typer

from factcheck.cli.common import (
    JSON_OPTION,
    is_terminal,
    out,
    parse_options,
    print_json,
    say,
    transaction,
)
from factcheck.declarations.claim_fields import FIELDS
from factcheck.domain import ClaimKind, ClaimStatus, Label, SourceFormat, utcnow
from factcheck.errors import ValidationError

claim_app = typer.Typer(
    help="Claims: what was said, and what would prove it.", no_args_is_help=True
)

# One option per field; None means "not given" so that `edit` changes only what is given.
# Names and help come from the claim fields' table (declarations/claim_fields.py).
KEY_ARG = typer.Argument(..., help="The claim's key (slug).")


def _option(name: str) -> Any:
    return typer.Option(None, FIELDS[name].option, help=FIELDS[name].help)


STATEMENT = _option("statement")
LANGUAGE = _option("language")
STATEMENT_EN = _option("statement_en")
SPEAKER = _option("speaker")
SAID_ON = _option("said_on")
SAID_WHERE = _option("said_where")
SUBJECT = _option("subject")
PROPERTY = _option("property")
KIND = _option("kind")
INNER_KIND = _option("inner_kind")
EXPECTED = _option("expected")
UNIT = _option("unit")
TOLERANCE = _option("tolerance")
COMPARISON = _option("comparison")
RELATION = _option("relation")
QUANTIFIER = _option("quantifier")
WHERE = typer.Option(None, "--where", help=FIELDS["where"].help)
DUE = _option("due")
TAGS = typer.Option(None, "--tag", help=FIELDS["tags"].help)


def _given(**fields: Any) -> dict[str, Any]:
    values = {k: v for k, v in fields.items() if v is not None and v != []}
    expected = values.get("expected")
    if isinstance(expected, list):
        kind = values.get("inner_kind") or values.get("kind")
        values["expected"] = (
            expected if kind == "quantity_set" else expected[0] if len(expected) == 1 else expected
        )
    return values


def _in_words(claim: Any) -> str:
    """The claim as it will be judged, in words ("at least 250,000 organisations")."""
    from factcheck.declarations.claim_words import describe_claim
    from factcheck.storage.records import claim_spec

    return describe_claim(claim_spec(claim))


@claim_app.command("add")
def add(
    ctx: typer.Context,
    key: str | None = _option("key"),
    statement: str | None = STATEMENT,
    language: str | None = LANGUAGE,
    statement_en: str | None = STATEMENT_EN,
    speaker: str | None = SPEAKER,
    said_on: str | None = SAID_ON,
    said_where: str | None = SAID_WHERE,
    subject: str | None = SUBJECT,
    property: str | None = PROPERTY,
    kind: str | None = KIND,
    inner_kind: str | None = INNER_KIND,
    expected: list[str] | None = EXPECTED,
    unit: str | None = UNIT,
    tolerance: str | None = TOLERANCE,
    comparison: str | None = COMPARISON,
    relation: str | None = RELATION,
    quantifier: str | None = QUANTIFIER,
    where: list[str] | None = WHERE,
    due: str | None = DUE,
    tag: list[str] | None = TAGS,
) -> None:
    """Add a claim. Missing required fields are asked for only on a terminal."""
    from factcheck.declarations.inputs import validate_claim
    from factcheck.storage import catalog

    if is_terminal():
        key = key or typer.prompt("key")
        statement = statement or typer.prompt("statement")
        kind = kind or typer.prompt("kind (quantity, quantity_set, ratio, text, date, prediction)")
    fields = _given(
        key=key,
        statement=statement,
        language=language,
        statement_en=statement_en,
        speaker=speaker,
        said_on=said_on,
        said_where=said_where,
        subject=subject,
        property=property,
        kind=kind,
        inner_kind=inner_kind,
        expected=expected,
        unit=unit,
        tolerance=tolerance,
        comparison=comparison,
        relation=relation,
        quantifier=quantifier,
        where=where,
        due=due,
        tags=tag,
    )
    for required in ("key", "statement", "kind"):
        if required not in fields:
            raise ValidationError(f"missing option --{required}")
    spec = validate_claim(fields)
    with transaction(ctx) as session:
        catalog.add_claim(session=session, spec=spec, now=utcnow())
    say(f"added claim {spec.key}")


@claim_app.command("edit")
def edit(
    ctx: typer.Context,
    key: str = KEY_ARG,
    statement: str | None = STATEMENT,
    language: str | None = LANGUAGE,
    statement_en: str | None = STATEMENT_EN,
    speaker: str | None = SPEAKER,
    said_on: str | None = SAID_ON,
    said_where: str | None = SAID_WHERE,
    subject: str | None = SUBJECT,
    property: str | None = PROPERTY,
    kind: str | None = KIND,
    inner_kind: str | None = INNER_KIND,
    expected: list[str] | None = EXPECTED,
    unit: str | None = UNIT,
    tolerance: str | None = TOLERANCE,
    comparison: str | None = COMPARISON,
    relation: str | None = RELATION,
    quantifier: str | None = QUANTIFIER,
    where: list[str] | None = WHERE,
    due: str | None = DUE,
    tag: list[str] | None = TAGS,
) -> None:
    """Change the given fields of a claim; the rest stay as they are."""
    from factcheck.declarations.inputs import validate_claim
    from factcheck.storage import catalog
    from factcheck.storage.records import claim_entry

    changes = _given(
        statement=statement,
        language=language,
        statement_en=statement_en,
        speaker=speaker,
        said_on=said_on,
        said_where=said_where,
        subject=subject,
        property=property,
        kind=kind,
        inner_kind=inner_kind,
        expected=expected,
        unit=unit,
        tolerance=tolerance,
        comparison=comparison,
        relation=relation,
        quantifier=quantifier,
        where=where,
        due=due,
        tags=tag,
    )
    if not changes:
        raise ValidationError("nothing to change: give at least one option")
    with transaction(ctx) as session:
        claim = catalog.get_claim(session=session, key=key)
        tags = catalog.claim_tags(session=session, claim_ids=[claim.id or 0])[claim.id or 0]
        entry = claim_entry(claim, tags)
        if "expected" in changes and "relation" not in changes:
            entry.pop("relation", None)  # new words say their own relation; plain figures: exact
        spec = validate_claim({**entry, **changes})
        changed = catalog.update_claim(session=session, claim=claim, spec=spec, now=utcnow())
    say(f"updated claim {key}" if changed else f"claim {key} unchanged")


@claim_app.command("retire")
def retire(ctx: typer.Context, key: str = KEY_ARG) -> None:
    """Retire a claim: it stays in the store with its history but is no longer verified."""
    from factcheck.storage import catalog

    with transaction(ctx) as session:
        changed = catalog.retire_claim(
            session=session, claim=catalog.get_claim(session=session, key=key), now=utcnow()
        )
    say(f"retired claim {key}" if changed else f"claim {key} was already retired")


@claim_app.command("list")
def list_(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", help="active or retired."),
    tag: str | None = typer.Option(None, "--tag", help="Only claims with this tag."),
    kind: str | None = typer.Option(None, "--kind", help="Only claims of this kind."),
    label: str | None = typer.Option(
        None, "--label", help="Only claims whose latest verdict has this label (none: no verdict)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List claims with their latest verdict."""
    from rich.table import Column, Table

    from factcheck.storage import catalog
    from factcheck.storage.records import claim_record

    _check_choice("--status", status, [s.value for s in ClaimStatus])
    _check_choice("--kind", kind, [k.value for k in ClaimKind])
    _check_choice("--label", label, [*(v.value for v in Label), "none"])
    with transaction(ctx) as session:
        rows = catalog.list_claims(session=session, status=status, tag=tag, kind=kind, label=label)
    if as_json:
        print_json([claim_record(r.claim, r.tags, r.latest) for r in rows])
        return
    if out.width < 120:  # a pipe or a narrow terminal: one line per claim
        for r in rows:
            verdict = r.latest.label if r.latest else "no verdict"
            tags = f" [{', '.join(r.tags)}]" if r.tags else ""
            out.print(f"{r.claim.key}: {verdict} ({r.claim.kind}, {r.claim.status}){tags}")
        say(f"{len(rows)} claim(s)")
        return
    table = Table(Column("key", no_wrap=True), "kind", "status", "subject", "verdict", "tags")
    for r in rows:
        table.add_row(
            r.claim.key,
            r.claim.kind,
            r.claim.status,
            r.claim.subject,
            r.latest.label if r.latest else "-",
            ", ".join(r.tags),
        )
    out.print(table)
    say(f"{len(rows)} claim(s)")


def _check_choice(option: str, value: str | None, choices: list[str]) -> None:
    if value is not None and value not in choices:
        raise ValidationError(f"{option} {value!r} is not one of {', '.join(choices)}")


@claim_app.command("show")
def show(ctx: typer.Context, key: str = KEY_ARG, as_json: bool = JSON_OPTION) -> None:
    """Show a claim, its sources and rules, its latest verdict and the verdict history."""
    from rich.table import Table
    from rich.text import Text

    from factcheck.storage import catalog, verdicts
    from factcheck.storage.records import (
        claim_record,
        link_record,
        stored_expected,
        verdict_record,
    )

    with transaction(ctx) as session:
        claim = catalog.get_claim(session=session, key=key)
        cid = claim.id or 0
        tags = catalog.claim_tags(session=session, claim_ids=[cid])[cid]
        links = catalog.claim_links(session=session, claim_id=cid)
        history = verdicts.verdict_history(session=session, claim_id=cid)
    latest = history[-1] if history else None
    record = claim_record(claim, tags, latest)
    record["sources"] = [link_record(link, source) for link, source in links]
    record["verdict_history"] = [verdict_record(v) for v in history]
    record["judged_as"] = _in_words(claim)
    if as_json:
        print_json(record)
        return
    out.print(Text(claim.key, style="bold") + Text(f"  {claim.kind}  ({claim.status})"))
    for name in (
        "statement",
        "statement_en",
        "speaker",
        "said_on",
        "said_where",
        "subject",
        "property",
    ):
        if record.get(name):
            out.print(f"  {name}: {record[name]}", markup=False)
    out.print(f"  judged as: {record['judged_as']}", markup=False)
    if claim.expected_text:
        out.print(f"  expected as written: {claim.expected_text}", markup=False)
    out.print(f"  stored: {stored_expected(claim)}", markup=False)
    table = Table("source", "role", "rule", "url")
    for link, source in links:
        table.add_row(source.key, link.role, f"{link.rule_kind}: {link.rule}", source.url)
    out.print(table)
    if latest is None:
        out.print("  no verdict yet")
    for verdict in history:
        out.print(
            f"  {verdict.created_at:%Y-%m-%d %H:%M} {verdict.label} ({verdict.set_by}): "
            f"{verdict.reason}",
            markup=False,
        )


@claim_app.command("link")
def link(
    ctx: typer.Context,
    claim_key: str = typer.Argument(..., help="The claim's key."),
    source_key: str = typer.Argument(..., help="The source's key."),
    rule_kind: str = typer.Option(
        ..., "--rule-kind", help="css, json_path, regex, contains, not_contains or table."
    ),
    rule: str = typer.Option(
        "", "--rule", help="The rule's expression (a selector, a path, a pattern, a phrase)."
    ),
    option: list[str] | None = typer.Option(
        None, "--option", help="A rule option NAME=VALUE (VALUE may be JSON)."
    ),
    role: str = typer.Option(
        "value", "--role", help="value, numerator, denominator or contradicts."
    ),
    self_published: bool = typer.Option(
        False, "--self-published", help="The source is the claimant's own."
    ),
    authoritative: bool = typer.Option(
        False, "--authoritative", help="A primary record for what it defines."
    ),
    note: str = typer.Option("", "--note", help="Why this source, in a sentence."),
) -> None:
    """Link a claim to a source with the rule that extracts its evidence there."""
    from factcheck.declarations.inputs import validate_link
    from factcheck.storage import catalog

    options = parse_options(option)
    with transaction(ctx) as session:
        claim = catalog.get_claim(session=session, key=claim_key)
        source = catalog.get_source(session=session, key=source_key)
        spec = validate_link(
            {
                "source": source_key,
                "rule_kind": rule_kind,
                "rule": rule,
                "options": options,
                "role": role,
                "self_published": self_published,
                "authoritative": authoritative,
                "note": note,
            },
            fmt=SourceFormat(source.format),
        )
        catalog.link_claim(session=session, claim=claim, source=source, link=spec)
    say(f"linked {claim_key} -> {source_key} ({role}, {rule_kind})")


@claim_app.command("unlink")
def unlink(
    ctx: typer.Context,
    claim_key: str = typer.Argument(..., help="The claim's key."),
    source_key: str = typer.Argument(..., help="The source's key."),
    role: str | None = typer.Option(None, "--role", help="Only the link with this role."),
) -> None:
    """Remove a claim's link to a source (its evidence history stays)."""
    from factcheck.storage import catalog

    with transaction(ctx) as session:
        claim = catalog.get_claim(session=session, key=claim_key)
        source = catalog.get_source(session=session, key=source_key)
        count = catalog.unlink_claim(session=session, claim=claim, source=source, role=role)
    say(f"removed {count} link(s) {claim_key} -> {source_key}")


def register(app: typer.Typer) -> None:
    app.add_typer(claim_app, name="claim")
