"""Every claim field, declared once: its name, types, validator, CSV column and CLI help.

A claim field is named the same in a TOML entry, a CSV column of `export claims` /
`import-csv`, and (with '-' for '_') a `claim add/edit` option. From this table come the
single-field validators of `inputs.validate_claim`, the claim columns of the CSV export and the
columns `import-csv` reads (by header name), and the row conversions of `storage.records`.
Rules that tie fields together (an expected value read by kind, a prediction's inner kind and
due date, lt/gt for ratios only) stay in `validate_claim`.

The SQLModel table (`storage.models.Claim`) stays hand-written, as the schema migrations are
written against; `columns` names the model columns each field is stored in, with their types,
and tests/unit/test_claim_fields.py checks that they agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from factcheck.declarations.fields import (
    _fail,
    check_choice,
    check_date,
    check_decimal,
    check_key,
    check_tag,
    check_text,
    check_url,
)
from factcheck.domain import ClaimKind, ClaimStatus, Relation

COMPARISONS = ("approx", "lt", "gt")
RELATIONS = tuple(r.value for r in Relation)
QUANTIFIERS = ("all", "any", "most")  # or a share: "80%"


@dataclass(frozen=True)
class ClaimField:
    name: str  # TOML entry key, CSV column, CLI option (--said-on for said_on)
    columns: tuple[tuple[str, Any], ...]  # the Claim model columns holding it, with their types
    csv_kind: str  # the CSV cell kind (editorial.columns: text, number, number_or_text, date)
    doc: str  # what the CSV column holds (the README's table)
    help: str  # the CLI option's help
    check: Callable[[Any], Any] | None = None  # one given value -> validated (None: cross-field)
    default: Any = None  # the value when the field is not given
    blank_unsets: bool = False  # an empty CSV cell means "not given" (the default applies)
    editable: bool = True  # import-csv reads it back

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def validate(self, data: Any) -> Any:
        """The field's value in a TOML-shaped entry, validated (its default when absent)."""
        assert self.check is not None, f"{self.name} is validated with the fields it depends on"
        value = data.get(self.name)
        return self.check(self.default if value is None else value)


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else check(value)


def _check_tags(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail("tags", "expected a list of tags")
    return tuple(check_tag(t) for t in value)


_KINDS = [k.value for k in ClaimKind]
_INNER_KINDS = [k.value for k in ClaimKind if k is not ClaimKind.PREDICTION]

CLAIM_FIELDS: tuple[ClaimField, ...] = (
    ClaimField(
        "key",
        (("key", str),),
        "text",
        "the claim's key (rows are matched on it by import-csv)",
        "A stable unique key (slug).",
        check=check_key,
    ),
    ClaimField(
        "statement",
        (("statement", str),),
        "text",
        "as said, in its own language",
        "The statement as said, in its own language.",
        check=lambda v: check_text(v, "statement", required=True),
    ),
    ClaimField(
        "language",
        (("language", str),),
        "text",
        "language of the statement (BCP 47)",
        "Language of the statement (BCP 47, e.g. zh).",
        check=lambda v: check_text(v, "language", required=True, max_len=16),
        default="en",
        blank_unsets=True,
    ),
    ClaimField(
        "statement_en",
        (("statement_en", str),),
        "text",
        "English rendering",
        "English rendering of the statement.",
        check=lambda v: check_text(v, "statement_en"),
    ),
    ClaimField(
        "speaker",
        (("speaker", str),),
        "text",
        "who said it",
        "Who said it.",
        check=lambda v: check_text(v, "speaker", max_len=200),
    ),
    ClaimField(
        "said_on",
        (("said_on", date | None),),
        "date",
        "when it was said (YYYY-MM-DD)",
        "When it was said (YYYY-MM-DD).",
        check=_optional(lambda v: check_date(v, "said_on")),
        blank_unsets=True,
    ),
    ClaimField(
        "said_where",
        (("said_where", str | None),),
        "text",
        "where it was said (URL)",
        "Where it was said (URL).",
        check=lambda v: check_url(v, "said_where") if v else None,
        blank_unsets=True,
    ),
    ClaimField(
        "subject",
        (("subject", str),),
        "text",
        "what it is about",
        'What it is about, e.g. "Llama 3.1 405B".',
        check=lambda v: check_text(v, "subject", max_len=200),
    ),
    ClaimField(
        "property",
        (("property", str),),
        "text",
        "which property of the subject",
        'Which property, e.g. "parameter count".',
        check=lambda v: check_text(v, "property", max_len=200),
    ),
    ClaimField(
        "kind",
        (("kind", str),),
        "text",
        "quantity, quantity_set, ratio, text, date or prediction",
        "quantity, quantity_set, ratio, text, date or prediction.",
        check=lambda v: ClaimKind(check_choice(v, "kind", _KINDS)),
    ),
    ClaimField(
        "inner_kind",
        (("inner_kind", str | None),),
        "text",
        "predictions: the kind judged at the due date",
        "For predictions: the kind judged at the due date.",
        check=lambda v: ClaimKind(check_choice(v, "inner_kind", _INNER_KINDS)),
        blank_unsets=True,
    ),
    ClaimField(
        "expected",
        (
            ("expected_amount", str | None),
            ("expected_amounts", list[str] | None),
            ("expected_pattern", str | None),
            ("expected_date", date | None),
            ("expected_precision", str | None),
            ("expected_upper", str | None),
            ("expected_text", str | None),
        ),
        "number_or_text",
        "expected value as in TOML (words too: 'above 90', '4050 亿'); a set is '; '-separated",
        'Expected value: an amount (in words too: "above 90", "4050 亿", "$10/M tokens"), a '
        "date, a phrase; repeat for a quantity set or for the two ends of a between.",
        blank_unsets=True,  # read by kind in validate_claim
    ),
    ClaimField(
        "relation",
        (("relation", str),),
        "text",
        "exact, about, nearly, at_least, more_than, at_most, less_than, between or includes",
        "How the true figure relates to the expected one: exact (default), about, nearly, "
        "at_least, more_than, at_most, less_than, between; includes for sets. Words in "
        "--expected ('above 90') set it too.",
        check=lambda v: Relation(check_choice(v, "relation", RELATIONS)),
        blank_unsets=True,  # read with the expected value in validate_claim
    ),
    ClaimField(
        "unit",
        (("expected_unit", str | None),),
        "text",
        "unit of the expected amount",
        'Unit of the expected amount, e.g. "parameters", "USD/token".',
        check=lambda v: check_text(v, "unit", max_len=40) or None,
        blank_unsets=True,
    ),
    ClaimField(
        "tolerance",
        (("tolerance", str | None),),
        "number",
        "tolerance",
        "Tolerance (see README: relative for quantities).",
        check=_optional(lambda v: check_decimal(v, "tolerance", minimum=Decimal(0), max_chars=40)),
        blank_unsets=True,
    ),
    ClaimField(
        "comparison",
        (("comparison", str),),
        "text",
        "ratios: approx, lt or gt",
        "Ratios: approx (default), lt or gt.",
        check=lambda v: check_choice(v, "comparison", COMPARISONS),
        default="approx",
        blank_unsets=True,
    ),
    ClaimField(
        "quantifier",
        (("quantifier", str | None),),
        "text",
        "multi-record evidence: all, any, most or a share such as 80%",
        "Over multi-record evidence (a price per provider): all, any, most (more than half) "
        "or a share such as 80%.",
        blank_unsets=True,  # read with the links in validate_claim
    ),
    ClaimField(
        "where",
        (("record_filter", list[str] | None),),
        "text",
        "conditions a record must meet to count, '; '-separated ('value > 0; key !~ *preview*')",
        'A condition a record must meet to count, e.g. "value > 0", "key !~ *preview*"; '
        "repeat for several.",
        blank_unsets=True,  # read with the claim's unit in validate_claim
    ),
    ClaimField(
        "due",
        (("due_on", date | None),),
        "date",
        "predictions: due date",
        "Predictions: the due date (YYYY-MM-DD).",
        check=_optional(lambda v: check_date(v, "due")),
        blank_unsets=True,
    ),
    ClaimField(
        "status",
        (("status", str),),
        "text",
        "active or retired",
        "active or retired.",
        check=lambda v: ClaimStatus(check_choice(v, "status", [s.value for s in ClaimStatus])),
        default=ClaimStatus.ACTIVE.value,
        blank_unsets=True,
    ),
    ClaimField(
        "tags",
        (),  # the claimtag table, one row per tag
        "text",
        "tags, ', '-separated",
        "A tag; repeat for several (replaces the tags on edit).",
        check=_check_tags,
        default=[],
    ),
)

FIELDS: dict[str, ClaimField] = {f.name: f for f in CLAIM_FIELDS}
EDITABLE_FIELDS: tuple[ClaimField, ...] = tuple(f for f in CLAIM_FIELDS if f.editable)
# A TOML claim entry: fields, links, and `draft` (a `factcheck spot` draft: import refuses it)
ENTRY_FIELDS: tuple[str, ...] = (*FIELDS, "evidence", "draft")
