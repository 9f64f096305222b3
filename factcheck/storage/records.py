"""Conversions between stored rows, validated inputs, domain values and plain dicts.

Kept apart from the queries so that `store` says what is read and written, and this says what
it looks like: the JSON of read commands, the TOML-shaped entry that `claim edit` revalidates,
and the `ClaimSpec` the judge sees.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from factcheck.declarations.claim_fields import CLAIM_FIELDS
from factcheck.declarations.expectations import parse_condition, parse_quantifier
from factcheck.declarations.inputs import (
    ClaimInput,
    LinkInput,
    SourceInput,
    join_link_options,
    split_link_options,
)
from factcheck.domain import (
    Bound,
    ClaimKind,
    ClaimSpec,
    ExpectedValue,
    Hit,
    Quantity,
    Relation,
    Rule,
    RuleKind,
)
from factcheck.extraction.snippets import clean_text
from factcheck.normalising.expected import read_expected
from factcheck.storage.models import Claim, ClaimSource, Source, Verdict
from factcheck.verdicts.judge import STALE

if TYPE_CHECKING:
    from factcheck.storage.freshness import SourceState


def canonical(number: Decimal) -> str:
    """Decimal text without exponent or trailing zeros: Decimal("8E+9") -> "8000000000"."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _dec(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def _stored(value: Any) -> Any:
    """A validated value as its Claim column keeps it (enums by value, figures as text)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return canonical(value)
    if isinstance(value, tuple):
        return [_stored(v) for v in value] or None
    return value


def claim_columns(spec: ClaimInput) -> dict[str, Any]:
    """The Claim columns a validated input sets (everything but ids, tags and timestamps):
    each declared field's columns (claim_fields), read from the input's same-named attributes."""
    return {
        column: _stored(getattr(spec, column))
        for claim_field in CLAIM_FIELDS
        for column, _ in claim_field.columns
    }


def source_columns(spec: SourceInput) -> dict[str, Any]:
    return {
        "key": spec.key,
        "url": spec.url,
        "format": spec.format.value,
        "title": spec.title,
        "publisher": spec.publisher,
        "recheck_hours": spec.recheck_hours,
    }


def link_columns(link: LinkInput) -> dict[str, Any]:
    return {
        "rule_kind": link.rule.kind.value,
        "rule": link.rule.expression,
        "rule_options": join_link_options(link.rule.options, link.unit),
        "role": link.role.value,
        "self_published": link.self_published,
        "authoritative": link.authoritative,
        "note": link.note,
    }


def stored_rule(link: ClaimSource) -> Rule:
    """A stored link's extraction rule, its unit held apart (`split_link_options`)."""
    options, _ = split_link_options(link.rule_options or {})
    return Rule(kind=RuleKind(link.rule_kind), expression=link.rule, options=options)


def expected_entry(claim: Claim) -> Any:
    """The claim's expected value as it would be written in a TOML entry: as written when it
    was given in words (the text reads back the same), else canonical."""
    kind = ClaimKind(claim.inner_kind or claim.kind)
    if claim.expected_text:
        return claim.expected_text
    if kind is ClaimKind.QUANTITY_SET:
        return list(claim.expected_amounts or [])
    if kind is ClaimKind.DATE and claim.expected_date is not None:
        text = claim.expected_date.isoformat()
        return {"year": text[:4], "month": text[:7]}.get(claim.expected_precision or "day", text)
    if kind is ClaimKind.TEXT:
        return claim.expected_pattern
    if claim.relation == Relation.BETWEEN.value and claim.expected_upper is not None:
        return [claim.expected_amount, claim.expected_upper]
    return claim.expected_amount


def claim_entry(claim: Claim, tags: Sequence[str]) -> dict[str, Any]:
    """A claim as a TOML-shaped mapping (what `validate_claim` accepts), links left out: every
    declared field (claim_fields), from its one column, or as `expected_entry` and the tags.
    An expected value kept as written carries its own unit; a ratio's lt/gt its relation."""
    entry: dict[str, Any] = {}
    for claim_field in CLAIM_FIELDS:
        if claim_field.name == "expected":
            entry["expected"] = expected_entry(claim)
        elif claim_field.name == "tags":
            entry["tags"] = list(tags)
        else:
            ((column, _),) = claim_field.columns
            entry[claim_field.name] = getattr(claim, column)
    if claim.expected_text and _says_relation(claim.expected_text, claim.expected_unit):
        entry.pop("relation", None)  # the words say it: an edit of them may change it
    if claim.comparison in ("lt", "gt"):
        entry.pop("relation", None)
        entry.pop("expected", None)
    return {k: v for k, v in entry.items() if v is not None}


def _says_relation(text: str, unit: str | None) -> bool:
    """Whether an expected value in words names its relation ("above 90", not "4050 亿")."""
    try:
        return read_expected(text, unit=unit).relation is not Relation.EXACT
    except ValueError:
        return False


def _records(claim: Claim) -> dict[str, Any]:
    """The quantifier and record conditions of a stored claim, as the judge takes them."""
    if not claim.quantifier:
        return {}
    quantifier, share = parse_quantifier(claim.quantifier)
    conditions = tuple(
        parse_condition(text, claim.expected_unit) for text in claim.record_filter or []
    )
    return {"quantifier": quantifier, "share": share, "conditions": conditions}


def stored_expected(claim: Claim) -> str:
    """The expected value as stored (canonical), for a reader checking how words were read."""
    if claim.expected_amounts:
        value = ", ".join(claim.expected_amounts)
    elif claim.expected_date is not None:
        value = f"{claim.expected_date.isoformat()} ({claim.expected_precision or 'day'})"
    elif claim.expected_pattern:
        value = json.dumps(claim.expected_pattern, ensure_ascii=False)
    else:
        value = claim.expected_amount or "-"
        if claim.expected_upper is not None:
            value += f"..{claim.expected_upper}"
    parts = [f"{claim.relation} {value}", f"unit {claim.expected_unit or '-'}"]
    parts.append(f"tolerance {claim.tolerance or '-'}")
    if claim.quantifier:
        parts.append(f"quantifier {claim.quantifier}")
    if claim.record_filter:
        parts.append("where " + "; ".join(claim.record_filter))
    return ", ".join(parts)


def claim_spec(claim: Claim) -> ClaimSpec:
    """The claim as the judge sees it."""
    return ClaimSpec(
        key=claim.key,
        kind=ClaimKind(claim.kind),
        expected=ExpectedValue(
            amount=_dec(claim.expected_amount),
            amounts=tuple(Decimal(a) for a in claim.expected_amounts or []),
            unit=claim.expected_unit,
            pattern=claim.expected_pattern,
            when=claim.expected_date,
            precision=claim.expected_precision,
            comparison=claim.comparison,
            relation=Relation(claim.relation),
            upper=_dec(claim.expected_upper),
            text=claim.expected_text or "",
        ),
        subject=claim.subject,
        property=claim.property,
        tolerance=_dec(claim.tolerance),
        due=claim.due_on,
        inner_kind=ClaimKind(claim.inner_kind) if claim.inner_kind else None,
        statement=claim.statement,
        statement_en=claim.statement_en,
        **_records(claim),
    )


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return canonical(value)
    return value


def claim_record(
    claim: Claim, tags: Sequence[str], latest: Verdict | None, *, freshness: str
) -> dict[str, Any]:
    """A claim as `claim list/show --json` print it: its columns, tags, latest verdict, and
    `freshness` (`freshness.claim_freshness`: fresh, stale, no_evidence or never_checked) with
    the `stale` flag it implies (true only for aged good evidence)."""
    record = {k: jsonable(v) for k, v in claim.model_dump().items()}
    record["tags"] = list(tags)
    record["latest_verdict"] = verdict_record(latest) if latest is not None else None
    record["freshness"] = freshness
    record["stale"] = freshness == STALE
    return record


def source_record(source: Source, state: SourceState) -> dict[str, Any]:
    """A source as `source list/show --json` print it: its columns, then its state
    (`freshness.source_states`): last_status, last_error, last_good_fetch_at, next_due_at."""
    record = {k: jsonable(v) for k, v in source.model_dump().items()}
    record.update({k: jsonable(v) for k, v in asdict(state).items()})
    return record


def link_record(link: ClaimSource, source: Source) -> dict[str, Any]:
    record = {k: jsonable(v) for k, v in link.model_dump().items()}
    record["source_key"] = source.key
    record["source_url"] = source.url
    return record


def verdict_record(verdict: Verdict) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in verdict.model_dump().items()}


# -- scraped text as any database stores it ---------------------------------------------------


def storable(text: str | None) -> str | None:
    """Scraped text with NUL and lone surrogates replaced by U+FFFD (`clean_text`): SQLite and
    PostgreSQL refuse surrogates when encoding, PostgreSQL refuses NUL in text and JSON."""
    return clean_text(text)[0] if text is not None else None


def storable_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row to insert with every text column made `storable` (JSON columns are built so)."""
    return {k: storable(v) if isinstance(v, str) else v for k, v in row.items()}


# -- hits as stored JSON ----------------------------------------------------------------------


def quantity_json(q: Quantity | None) -> dict[str, Any] | None:
    if q is None:
        return None
    return {
        "amount": canonical(q.amount),
        "unit": storable(q.unit),
        "bound": q.bound.value,
        "lower": canonical(q.lower) if q.lower is not None else None,
        "upper": canonical(q.upper) if q.upper is not None else None,
        "text": storable(q.text),
        **({"given": storable(q.given)} if q.given else {}),
    }


def quantity_from_json(data: dict[str, Any] | None) -> Quantity | None:
    if not data:
        return None
    return Quantity(
        amount=Decimal(data["amount"]),
        unit=data.get("unit"),
        bound=Bound(data.get("bound", "exact")),
        lower=Decimal(data["lower"]) if data.get("lower") is not None else None,
        upper=Decimal(data["upper"]) if data.get("upper") is not None else None,
        text=data.get("text", ""),
        given=data.get("given", ""),
    )


def hit_json(hit: Hit, quantity: Quantity | None) -> dict[str, Any]:
    """A hit as stored JSON; every scraped string made `storable` (extraction already did, as
    it counts them; this is the guarantee at the door)."""
    return {
        "raw": storable(hit.raw),
        "excerpt": storable(hit.excerpt),
        "location": storable(hit.location),
        "key": storable(hit.key),
        "value": canonical(hit.value) if hit.value is not None else None,
        "quantity": quantity_json(quantity),
    }


def hits_from_json(
    rows: Sequence[dict[str, Any]],
) -> tuple[tuple[Hit, ...], tuple[Quantity | None, ...]]:
    hits = tuple(
        Hit(
            raw=r.get("raw", ""),
            excerpt=r.get("excerpt", ""),
            location=r.get("location", ""),
            key=r.get("key"),
            value=Decimal(r["value"]) if r.get("value") is not None else None,
        )
        for r in rows
    )
    return hits, tuple(quantity_from_json(r.get("quantity")) for r in rows)
