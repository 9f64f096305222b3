"""Declared claims and sources: read TOML files and validate every field into frozen inputs.

The same validators serve `factcheck import` (TOML) and `factcheck claim add` (CLI options), so
a value is accepted or refused for the same reason whichever way it comes in. Errors name the
file, the entry and the field. Nothing here touches the database.

A file holds `[[source]]` and `[[claim]]` entries; a claim's `[[claim.evidence]]` entries link
it to sources with an extraction rule. See sources/*.toml for real examples.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from factcheck.declarations.claim_fields import ENTRY_FIELDS, FIELDS
from factcheck.declarations.expectations import validate_expected, validate_records
from factcheck.declarations.fields import (
    OPTION_INT_MAX,
    OPTION_INT_MIN,
    _fail,
    _unknown_fields,
    check_bool,
    check_choice,
    check_decimal,
    check_int,
    check_key,
    check_plain,
    check_text,
    check_url,
    shown_int,
)
from factcheck.domain import (
    ClaimKind,
    ClaimStatus,
    FrozenMap,
    Relation,
    Role,
    Rule,
    RuleKind,
    SourceFormat,
)
from factcheck.errors import ValidationError
from factcheck.extraction.rules import validate_rule
from factcheck.normalising.measures import UnknownUnit, lookup_unit

# The one declared link option read by normalisation, not by the extraction rule: the unit of
# a bare number the rule extracts (a CSV "value" column, a per-token price in JSON). It is
# declared and stored among the rule's options, and held apart everywhere else.
LINK_UNIT = "unit"


@dataclass(frozen=True)
class SourceInput:
    key: str
    url: str
    format: SourceFormat
    title: str = ""
    publisher: str = ""
    recheck_hours: int = 24


@dataclass(frozen=True)
class LinkInput:
    source_key: str
    rule: Rule  # extraction options only
    unit: str | None = None  # the unit of the bare numbers the rule extracts
    role: Role = Role.VALUE
    self_published: bool = False
    authoritative: bool = False
    note: str = ""


@dataclass(frozen=True)
class ClaimInput:
    key: str
    statement: str
    kind: ClaimKind
    language: str = "en"
    statement_en: str = ""
    speaker: str = ""
    said_on: date | None = None
    said_where: str | None = None
    subject: str = ""
    property: str = ""
    inner_kind: ClaimKind | None = None
    expected_amount: Decimal | None = None
    expected_amounts: tuple[Decimal, ...] = ()
    expected_unit: str | None = None
    expected_pattern: str | None = None
    expected_date: date | None = None
    expected_precision: str | None = None
    comparison: str = "approx"
    relation: Relation = Relation.EXACT
    expected_upper: Decimal | None = None  # between: the upper end
    expected_text: str | None = None  # the expected value as written, when in words
    tolerance: Decimal | None = None
    quantifier: str | None = None  # all | any | most | "80%"
    record_filter: tuple[str, ...] = ()  # conditions a record must meet to count
    due_on: date | None = None
    status: ClaimStatus = ClaimStatus.ACTIVE
    tags: tuple[str, ...] = ()
    links: tuple[LinkInput, ...] = ()


@dataclass(frozen=True)
class Declarations:
    """Everything declared in a set of files, validated and cross-checked."""

    sources: tuple[SourceInput, ...] = ()
    claims: tuple[ClaimInput, ...] = ()
    files: tuple[Path, ...] = field(default=())


# -- field validators: each raises ValidationError("field 'x': ...") -----------------------


# -- entries --------------------------------------------------------------------------------

SOURCE_FIELDS = ("key", "url", "format", "title", "publisher", "recheck_hours")
LINK_FIELDS = (
    "source",
    "rule_kind",
    "rule",
    "options",
    "role",
    "self_published",
    "authoritative",
    "note",
)


def split_link_options(options: Mapping[str, Any]) -> tuple[FrozenMap[object], str | None]:
    """Declared or stored link options -> (the rule's extraction options, the link's unit).

    The only place the two are told apart; `join_link_options` is its inverse.
    """
    unit = options.get(LINK_UNIT)
    rule_options = FrozenMap((k, v) for k, v in options.items() if k != LINK_UNIT)
    return rule_options, (str(unit) if unit else None)


def join_link_options(rule_options: Mapping[str, Any], unit: str | None) -> dict[str, Any]:
    """The stored form of a link's options (`ClaimSource.rule_options`): the rule's options
    with the unit among them, as plain JSON (what `rule_fingerprint` hashes)."""
    plain = rule_options.as_dict() if isinstance(rule_options, FrozenMap) else dict(rule_options)
    return {**plain, LINK_UNIT: unit} if unit else plain


def rule_fingerprint(kind: str, expression: str, options: Mapping[str, Any]) -> str:
    """A short stable hash of a link's whole rule (options too): evidence made with another
    rule is neither reused nor judged as this rule's evidence."""
    text = json.dumps([kind, expression, options], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def validate_source(data: Mapping[str, Any]) -> SourceInput:
    _unknown_fields(data, SOURCE_FIELDS)
    fmt = check_choice(data.get("format", "html"), "format", [f.value for f in SourceFormat])
    return SourceInput(
        key=check_key(data.get("key")),
        url=check_url(data.get("url"), "url", schemes=("http", "https", "file")),
        format=SourceFormat(fmt),
        title=check_text(data.get("title"), "title", max_len=300),
        publisher=check_text(data.get("publisher"), "publisher", max_len=200),
        recheck_hours=check_int(data.get("recheck_hours", 24), "recheck_hours"),
    )


def validate_link(data: Mapping[str, Any], *, fmt: SourceFormat | None = None) -> LinkInput:
    _unknown_fields(data, LINK_FIELDS)
    kind = check_choice(data.get("rule_kind"), "rule_kind", [k.value for k in RuleKind])
    expression = check_text(data.get("rule"), "rule", required=kind != RuleKind.TABLE)
    options = data.get("options", {})
    if not isinstance(options, Mapping):
        raise _fail("options", "expected a table of rule options")
    options = _plain(options, "options")
    if LINK_UNIT in options:
        check_text(options[LINK_UNIT], f"options.{LINK_UNIT}", required=True, max_len=40)
        try:
            lookup_unit(options[LINK_UNIT])
        except UnknownUnit as exc:
            raise _fail(f"options.{LINK_UNIT}", str(exc)) from None
    rule_options, unit = split_link_options(options)
    rule = Rule(kind=RuleKind(kind), expression=expression, options=rule_options)
    try:
        validate_rule(rule, fmt=fmt)
    except ValidationError as exc:
        raise _fail("rule", str(exc)) from None
    return LinkInput(
        source_key=check_key(data.get("source"), "source"),
        rule=rule,
        unit=unit,
        role=Role(check_choice(data.get("role", "value"), "role", [r.value for r in Role])),
        self_published=check_bool(data.get("self_published", False), "self_published"),
        authoritative=check_bool(data.get("authoritative", False), "authoritative"),
        note=check_text(data.get("note"), "note"),
    )


def _plain(value: Any, name: str) -> Any:
    """Rule options as JSON-safe values (TOML decimals become strings or ints), every string
    free of control characters and every number within bounds, checked before any write."""
    if isinstance(value, Mapping):
        return {
            check_plain(str(k), f"{name}.{k}"): _plain(v, f"{name}.{k}") for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_plain(v, f"{name}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        number = check_decimal(str(value), name)
        if number != number.to_integral_value():
            return str(number)
        value = int(number)
    if isinstance(value, int) and not isinstance(value, bool):
        if not OPTION_INT_MIN <= value <= OPTION_INT_MAX:
            raise _fail(
                name,
                f"must be between {OPTION_INT_MIN} and {OPTION_INT_MAX}, got {shown_int(value)}",
            )
        return value
    if isinstance(value, str):
        return check_text(value, name)
    if isinstance(value, date):
        return value.isoformat()
    return value


def validate_claim(
    data: Mapping[str, Any], *, source_formats: Mapping[str, SourceFormat] | None = None
) -> ClaimInput:
    """One claim entry; `source_formats` (when known) lets each link's rule be checked."""
    _unknown_fields(data, ENTRY_FIELDS)
    key = FIELDS["key"].validate(data)
    kind = FIELDS["kind"].validate(data)
    inner: ClaimKind | None = None
    due: date | None = None
    if kind is ClaimKind.PREDICTION:
        inner = FIELDS["inner_kind"].check(data.get("inner_kind"))  # type: ignore[misc]
        if data.get("due") is None:
            raise _fail("due", "a prediction needs a due date")
        due = FIELDS["due"].validate(data)
    elif data.get("inner_kind") is not None:
        raise _fail("inner_kind", "only predictions have an inner kind")
    else:
        due = FIELDS["due"].validate(data)
    expected = validate_expected(inner or kind, data)
    if not isinstance(data.get("tags", []), list):
        FIELDS["tags"].validate(data)  # refuses it, before the links are read
    links: list[LinkInput] = []
    for index, entry in enumerate(data.get("evidence", []) or []):
        if not isinstance(entry, Mapping):
            raise _fail(f"evidence[{index}]", "expected a table")
        fmt = (source_formats or {}).get(str(entry.get("source")))
        try:
            links.append(validate_link(entry, fmt=fmt))
        except ValidationError as exc:
            raise ValidationError(f"evidence[{index}]: {exc}") from None
    rules = [(link.role.value, link.rule) for link in links]
    records = validate_records(inner or kind, data, rules, expected.get("expected_unit"))
    return ClaimInput(
        key=key,
        statement=FIELDS["statement"].validate(data),
        kind=kind,
        language=FIELDS["language"].validate(data),
        statement_en=FIELDS["statement_en"].validate(data),
        speaker=FIELDS["speaker"].validate(data),
        said_on=FIELDS["said_on"].validate(data),
        said_where=FIELDS["said_where"].validate(data),
        subject=FIELDS["subject"].validate(data),
        property=FIELDS["property"].validate(data),
        inner_kind=inner,
        due_on=due,
        status=FIELDS["status"].validate(data),
        tags=FIELDS["tags"].validate(data),
        links=tuple(links),
        **expected,
        **records,
    )


# -- files ----------------------------------------------------------------------------------
