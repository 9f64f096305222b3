"""`factcheck claim add|edit|retire` (`claim_views`: list, show; `claim_links`: link, unlink).

Every write takes `--json` and prints the claim as `claim list --json` shows it; a fixed
vocabulary (kind, inner kind, relation, comparison) is a choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from factcheck.cli.common import (
    JSON_OPTION,
    is_terminal,
    plain,
    print_json,
    say,
    state,
    transaction,
)
from factcheck.declarations.claim_fields import FIELDS
from factcheck.domain import ClaimKind, Relation, utcnow
from factcheck.errors import ValidationError

if TYPE_CHECKING:
    from sqlmodel import Session

    from factcheck.config import Settings
    from factcheck.storage.models import Claim

claim_app = typer.Typer(
    help="Claims: what was said, and what would prove it.", no_args_is_help=True
)

# One option per field; None means "not given" so that `edit` changes only what is given.
# Names and help come from the claim fields' table (declarations/claim_fields.py).
KEY_ARG = typer.Argument(..., help="The claim's key (slug).")


class InnerKind(StrEnum):
    """What a prediction is judged as at its due date: any claim kind but prediction."""

    QUANTITY = ClaimKind.QUANTITY.value
    QUANTITY_SET = ClaimKind.QUANTITY_SET.value
    RATIO = ClaimKind.RATIO.value
    TEXT = ClaimKind.TEXT.value
    DATE = ClaimKind.DATE.value


class Comparison(StrEnum):
    """A ratio's comparison (claim_fields.COMPARISONS)."""

    APPROX = "approx"
    LT = "lt"
    GT = "gt"


# The value word of a free-text option in help; choices show their words instead.
METAVARS = {
    "key": "KEY",
    "language": "LANG",
    "said_on": "DATE",
    "said_where": "URL",
    "expected": "VALUE",
    "tolerance": "NUMBER",
    "quantifier": "QUANTIFIER",
    "where": "CONDITION",
    "due": "DATE",
    "tags": "TAG",
}


def _option(name: str, *, asked: bool = False) -> Any:
    """A field's option; `asked`: required by `claim add`, which prompts for it on a terminal
    (so not required by click), marked `[required]` in help as typer marks the others."""
    help = f"{FIELDS[name].help}  [required]" if asked else FIELDS[name].help
    return typer.Option(None, FIELDS[name].option, metavar=METAVARS.get(name), help=help)


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
WHERE = _option("where")
DUE = _option("due")
ASKED_KEY, ASKED_STATEMENT, ASKED_KIND = (
    _option(name, asked=True) for name in ("key", "statement", "kind")
)
TAGS = typer.Option(None, "--tag", metavar="TAG", help=FIELDS["tags"].help)


def _given(params: Mapping[str, Any], *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The claim fields given on the command line (the command's parameters by name, `--tag`
    as the field tags), choices as their words; what was not given is left out."""
    values = {
        ("tags" if name == "tag" else name): list(value)
        if isinstance(value, tuple)
        else plain(value)
        for name, value in params.items()
        if name not in ("as_json", *skip) and value not in (None, [], ())
    }
    expected = values.get("expected")
    if isinstance(expected, list):
        kind = values.get("inner_kind") or values.get("kind")
        values["expected"] = (
            expected if kind == "quantity_set" else expected[0] if len(expected) == 1 else expected
        )
    return values


def claim_json(session: Session, claim: Claim, settings: Settings) -> dict[str, Any]:
    """A claim as `claim list --json` shows it: its fields, tags, standing verdict, freshness."""
    from factcheck.storage import catalog, freshness, verdicts
    from factcheck.storage.records import claim_record

    session.flush()
    cid = claim.id or 0
    tags = catalog.claim_tags(session=session, claim_ids=[cid])[cid]
    standing = verdicts.effective_verdicts(session=session, claim_ids=[cid]).get(cid)
    fresh = freshness.claim_freshness(session=session, claim_ids=[cid], settings=settings)[cid]
    return claim_record(claim, tags, standing, freshness=fresh)


@claim_app.command("add")
def add(  # the fields are read from ctx.params, by name
    ctx: typer.Context,
    key: str | None = ASKED_KEY,
    statement: str | None = ASKED_STATEMENT,
    language: str | None = LANGUAGE,
    statement_en: str | None = STATEMENT_EN,
    speaker: str | None = SPEAKER,
    said_on: str | None = SAID_ON,
    said_where: str | None = SAID_WHERE,
    subject: str | None = SUBJECT,
    property: str | None = PROPERTY,
    kind: ClaimKind | None = ASKED_KIND,
    inner_kind: InnerKind | None = INNER_KIND,
    expected: list[str] | None = EXPECTED,
    unit: str | None = UNIT,
    tolerance: str | None = TOLERANCE,
    comparison: Comparison | None = COMPARISON,
    relation: Relation | None = RELATION,
    quantifier: str | None = QUANTIFIER,
    where: list[str] | None = WHERE,
    due: str | None = DUE,
    tag: list[str] | None = TAGS,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a claim. Missing required fields are asked for only on a terminal."""
    from factcheck.declarations.inputs import validate_claim
    from factcheck.storage import catalog

    if is_terminal():
        key = key or typer.prompt("key")
        statement = statement or typer.prompt("statement")
        kind = kind or typer.prompt("kind (quantity, quantity_set, ratio, text, date, prediction)")
    fields = _given({**ctx.params, "key": key, "statement": statement, "kind": kind})
    for required in ("key", "statement", "kind"):
        if required not in fields:
            raise ValidationError(f"missing option --{required}")
    spec = validate_claim(fields)
    with transaction(ctx) as session:
        claim = catalog.add_claim(session=session, spec=spec, now=utcnow())
        record = claim_json(session, claim, state(ctx).settings)
    say(f"added claim {spec.key}")
    if as_json:
        print_json(record)


@claim_app.command("edit")
def edit(  # the fields are read from ctx.params, by name
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
    kind: ClaimKind | None = KIND,
    inner_kind: InnerKind | None = INNER_KIND,
    expected: list[str] | None = EXPECTED,
    unit: str | None = UNIT,
    tolerance: str | None = TOLERANCE,
    comparison: Comparison | None = COMPARISON,
    relation: Relation | None = RELATION,
    quantifier: str | None = QUANTIFIER,
    where: list[str] | None = WHERE,
    due: str | None = DUE,
    tag: list[str] | None = TAGS,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change the given fields of a claim; the rest stay as they are."""
    from factcheck.declarations.inputs import validate_claim
    from factcheck.storage import catalog
    from factcheck.storage.records import claim_entry

    changes = _given(ctx.params, skip=("key",))  # the argument: which claim, not a change
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
        record = {**claim_json(session, claim, state(ctx).settings), "changed": changed}
    say(f"updated claim {key}" if changed else f"claim {key} unchanged")
    if as_json:
        print_json(record)


@claim_app.command("retire")
def retire(ctx: typer.Context, key: str = KEY_ARG, as_json: bool = JSON_OPTION) -> None:
    """Retire a claim: it stays in the store with its history but is no longer verified."""
    from factcheck.storage import catalog

    with transaction(ctx) as session:
        claim = catalog.get_claim(session=session, key=key)
        changed = catalog.retire_claim(session=session, claim=claim, now=utcnow())
        record = {**claim_json(session, claim, state(ctx).settings), "changed": changed}
    say(f"retired claim {key}" if changed else f"claim {key} was already retired")
    if as_json:
        print_json(record)


def register(app: typer.Typer) -> None:
    from factcheck.cli import claim_links, claim_views

    claim_views.register(claim_app)
    claim_links.register(claim_app)
    app.add_typer(claim_app, name="claim")
