"""`factcheck claim list|show`: claims with their standing verdict and freshness.

One table format whatever the terminal (output.py): a rich table on a terminal, TSV in a pipe.
"""

from __future__ import annotations

from typing import Any

import typer

from factcheck.cli.common import (
    JSON_OPTION,
    LabelFilter,
    plain,
    print_json,
    say,
    state,
    transaction,
)
from factcheck.cli.output import Col, print_fields, print_table, when
from factcheck.domain import ClaimKind, ClaimStatus

KEY_ARG = typer.Argument(..., help="The claim's key (slug).")


def _in_words(claim: Any) -> str:
    """The claim as it will be judged, in words ("at least 250,000 organisations")."""
    from factcheck.declarations.claim_words import describe_claim
    from factcheck.storage.records import claim_spec

    return describe_claim(claim_spec(claim))


def list_(
    ctx: typer.Context,
    status: ClaimStatus | None = typer.Option(None, "--status", help="Only claims in this status."),
    tag: str | None = typer.Option(None, "--tag", metavar="TAG", help="Only claims with this tag."),
    kind: ClaimKind | None = typer.Option(None, "--kind", help="Only claims of this kind."),
    label: LabelFilter | None = typer.Option(
        None,
        "--label",
        help="Only claims whose standing verdict has this label (none: no verdict yet).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List claims with their standing verdict and freshness."""
    from factcheck.storage import catalog
    from factcheck.storage.records import claim_record

    with transaction(ctx) as session:
        rows = catalog.list_claims(
            session=session,
            settings=state(ctx).settings,
            status=plain(status),
            tag=tag,
            kind=plain(kind),
            label=plain(label),
        )
        records = [claim_record(r.claim, r.tags, r.latest, freshness=r.freshness) for r in rows]
    if as_json:
        print_json(records)
        return
    print_table(
        [
            "key",
            "kind",
            "status",
            Col("label", label=True),
            Col("freshness", label=True),
            "verdict at",
            "subject",
            "tags",
        ],
        [
            (
                r["key"],
                r["kind"],
                r["status"],
                (r["latest_verdict"] or {}).get("label"),
                r.get("freshness"),
                when((r["latest_verdict"] or {}).get("created_at")),
                r["subject"],
                ", ".join(r["tags"]),
            )
            for r in records
        ],
    )
    say(f"{len(rows)} claim(s)")


def show(ctx: typer.Context, key: str = KEY_ARG, as_json: bool = JSON_OPTION) -> None:
    """Show a claim, its sources and rules, its latest verdict and the verdict history."""
    from factcheck.storage import catalog, freshness, verdicts
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
        fresh = freshness.claim_freshness(
            session=session, claim_ids=[cid], settings=state(ctx).settings
        )[cid]
        record = claim_record(claim, tags, history[-1] if history else None, freshness=fresh)
        record["sources"] = [link_record(link, source) for link, source in links]
        record["verdict_history"] = [verdict_record(v) for v in history]
        record["judged_as"] = _in_words(claim)
        stored = stored_expected(claim)
    if as_json:
        print_json(record)
        return
    _print_claim(record, stored)


def _print_claim(record: dict[str, Any], stored: str) -> None:
    """The claim's fields, then its sources and its verdicts as tables."""
    from factcheck.cli.output import label_text

    latest = record["latest_verdict"] or {}
    names = ("statement", "statement_en", "speaker", "said_on", "said_where", "subject")
    print_fields(
        [
            ("key", record["key"]),
            ("kind", record["kind"]),
            ("status", record["status"]),
            *((name, record[name]) for name in (*names, "property") if record.get(name)),
            ("judged as", record["judged_as"]),
            ("expected as written", record["expected_text"]),
            ("stored", stored),
            ("tags", ", ".join(record["tags"]) or None),
            ("label", label_text(latest["label"]) if latest else "no verdict yet"),
            ("freshness", label_text(record["freshness"]) if record.get("freshness") else None),
        ]
    )
    print_table(
        ["source", "role", "rule kind", "rule", "url"],
        [
            (s["source_key"], s["role"], s["rule_kind"], s["rule"], s["source_url"])
            for s in record["sources"]
        ],
    )
    print_table(
        ["when", Col("label", label=True), "set by", "reason"],
        [
            (when(v["created_at"]), v["label"], v["set_by"], v["reason"])
            for v in record["verdict_history"]
        ],
    )


def register(claim_app: typer.Typer) -> None:
    claim_app.command("list")(list_)
    claim_app.command("show")(show)
