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
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from factcheck.domain import ClaimKind, ClaimStatus, Role, Rule, RuleKind, SourceFormat
from factcheck.errors import SourceFileError, ValidationError
from factcheck.extract import validate_rule

KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
# Limits the schema holds on every backend (SQLite would accept more; PostgreSQL would not).
MAX_URL_CHARS = 2000
MAX_DIGITS = 30  # significant digits of an amount or tolerance
MAX_EXPONENT = 30  # 1e-30 .. 1e30: beyond that a figure is not a claim, and its text is huge
PRECISIONS = ("year", "month", "day")
# Link options read by normalisation, not by the extraction rule: `unit` is the unit of a bare
# number the rule extracts (a CSV "value" column, a per-token price in JSON).
NORMALISE_OPTIONS = ("unit",)
COMPARISONS = ("approx", "lt", "gt")


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
    rule: Rule
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
    tolerance: Decimal | None = None
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


def _fail(name: str, message: str) -> ValidationError:
    return ValidationError(f"field '{name}': {message}")


def check_key(value: object, name: str = "key") -> str:
    if not isinstance(value, str) or not KEY_PATTERN.match(value):
        raise _fail(
            name, f"{value!r} is not a key (lower-case letters, digits, '.', '_', '-'; max 120)"
        )
    return value


def check_tag(value: object) -> str:
    if not isinstance(value, str) or not TAG_PATTERN.match(value):
        raise _fail(
            "tags", f"{value!r} is not a tag (lower-case letters, digits, '.', '_', '-'; max 60)"
        )
    return value


def check_text(value: object, name: str, *, required: bool = False, max_len: int = 0) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _fail(name, f"expected text, got {type(value).__name__}")
    if required and not value.strip():
        raise _fail(name, "is required")
    if max_len and len(value) > max_len:
        raise _fail(name, f"longer than {max_len} characters")
    return value


def check_url(value: object, name: str, *, schemes: Iterable[str] = ("http", "https")) -> str:
    allowed = tuple(schemes)
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        raise _fail(name, f"{value!r} is not a URL")
    if len(value) > MAX_URL_CHARS:
        raise _fail(name, f"longer than {MAX_URL_CHARS} characters")
    parts = urlsplit(value)
    if parts.scheme not in allowed:
        raise _fail(name, f"{value!r} is not a URL ({' or '.join(allowed)} only)")
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise _fail(name, f"{value!r} is not a URL (no host)")
    if parts.scheme == "file" and not parts.path:
        raise _fail(name, f"{value!r} is not a URL (no path)")
    return value


def check_decimal(
    value: object, name: str, *, minimum: Decimal | None = None, max_chars: int = 80
) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise _fail(name, f"expected a number, got {type(value).__name__}")
    try:
        number = (
            Decimal(value.strip().replace("_", "")) if isinstance(value, str) else Decimal(value)
        )
    except InvalidOperation:
        raise _fail(name, f"{value!r} is not a number") from None
    if not number.is_finite():
        raise _fail(name, f"{value!r} is not a finite number")
    digits = len(number.normalize().as_tuple().digits)
    if abs(number.adjusted()) > MAX_EXPONENT or digits > MAX_DIGITS:
        raise _fail(
            name, f"{value!r} is out of range (at most {MAX_DIGITS} digits, 1e±{MAX_EXPONENT})"
        )
    if len(format(number.normalize(), "f")) > max_chars:
        raise _fail(name, f"{value!r} needs more than {max_chars} characters written out")
    if minimum is not None and number < minimum:
        raise _fail(name, f"{value} is below {minimum}")
    return number


def check_date(value: object, name: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise _fail(name, f"{value!r} is not a date (YYYY-MM-DD)") from None
    raise _fail(name, f"expected a date, got {type(value).__name__}")


def check_partial_date(value: object, name: str) -> tuple[date, str]:
    """A date at its stated precision: "2007" (year), "2007-06" (month), "2007-06-29" (day)."""
    if isinstance(value, date):
        return value, "day"
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}", text):
                return date(int(text), 1, 1), "year"
            if re.fullmatch(r"\d{4}-\d{2}", text):
                return date(int(text[:4]), int(text[5:]), 1), "month"
            return date.fromisoformat(text), "day"
        except ValueError:
            pass
    raise _fail(name, f"{value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    options = list(choices)
    if value not in options:
        raise _fail(name, f"{value!r} is not one of {', '.join(options)}")
    return str(value)


def check_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, f"expected true or false, got {value!r}")
    return value


def check_int(value: object, name: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(name, f"expected a whole number >= {minimum}, got {value!r}")
    return value


def _unknown_fields(data: Mapping[str, Any], known: Iterable[str]) -> None:
    extra = sorted(set(data) - set(known))
    if extra:
        raise _fail(extra[0], "unknown field")


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
CLAIM_FIELDS = (
    "key",
    "statement",
    "language",
    "statement_en",
    "speaker",
    "said_on",
    "said_where",
    "subject",
    "property",
    "kind",
    "inner_kind",
    "expected",
    "unit",
    "tolerance",
    "comparison",
    "due",
    "status",
    "tags",
    "evidence",
)


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
        recheck_hours=check_int(data.get("recheck_hours", 24), "recheck_hours", minimum=1),
    )


def validate_link(data: Mapping[str, Any], *, fmt: SourceFormat | None = None) -> LinkInput:
    _unknown_fields(data, LINK_FIELDS)
    kind = check_choice(data.get("rule_kind"), "rule_kind", [k.value for k in RuleKind])
    expression = check_text(data.get("rule"), "rule", required=kind != RuleKind.TABLE)
    options = data.get("options", {})
    if not isinstance(options, Mapping):
        raise _fail("options", "expected a table of rule options")
    options = _plain(options)
    if "unit" in options:
        check_text(options["unit"], "options.unit", required=True, max_len=40)
    rule = Rule(kind=RuleKind(kind), expression=expression, options=options)
    extraction_only = {k: v for k, v in options.items() if k not in NORMALISE_OPTIONS}
    try:
        validate_rule(Rule(kind=rule.kind, expression=expression, options=extraction_only), fmt=fmt)
    except ValidationError as exc:
        raise _fail("rule", str(exc)) from None
    return LinkInput(
        source_key=check_key(data.get("source"), "source"),
        rule=rule,
        role=Role(check_choice(data.get("role", "value"), "role", [r.value for r in Role])),
        self_published=check_bool(data.get("self_published", False), "self_published"),
        authoritative=check_bool(data.get("authoritative", False), "authoritative"),
        note=check_text(data.get("note"), "note"),
    )


def _plain(value: Any) -> Any:
    """Rule options as JSON-safe values (TOML decimals become strings or ints)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def validate_claim(
    data: Mapping[str, Any], *, source_formats: Mapping[str, SourceFormat] | None = None
) -> ClaimInput:
    """One claim entry; `source_formats` (when known) lets each link's rule be checked."""
    _unknown_fields(data, CLAIM_FIELDS)
    key = check_key(data.get("key"))
    kind = ClaimKind(check_choice(data.get("kind"), "kind", [k.value for k in ClaimKind]))
    inner: ClaimKind | None = None
    due: date | None = None
    if kind is ClaimKind.PREDICTION:
        inner_choices = [k.value for k in ClaimKind if k is not ClaimKind.PREDICTION]
        inner = ClaimKind(check_choice(data.get("inner_kind"), "inner_kind", inner_choices))
        if data.get("due") is None:
            raise _fail("due", "a prediction needs a due date")
        due = check_date(data.get("due"), "due")
    elif data.get("inner_kind") is not None:
        raise _fail("inner_kind", "only predictions have an inner kind")
    elif data.get("due") is not None:
        due = check_date(data.get("due"), "due")
    expected = _validate_expected(inner or kind, data)
    said_where = data.get("said_where")
    tags = data.get("tags", [])
    if not isinstance(tags, list):
        raise _fail("tags", "expected a list of tags")
    links: list[LinkInput] = []
    for index, entry in enumerate(data.get("evidence", []) or []):
        if not isinstance(entry, Mapping):
            raise _fail(f"evidence[{index}]", "expected a table")
        fmt = (source_formats or {}).get(str(entry.get("source")))
        try:
            links.append(validate_link(entry, fmt=fmt))
        except ValidationError as exc:
            raise ValidationError(f"evidence[{index}]: {exc}") from None
    return ClaimInput(
        key=key,
        statement=check_text(data.get("statement"), "statement", required=True),
        kind=kind,
        language=check_text(data.get("language", "en"), "language", required=True, max_len=16),
        statement_en=check_text(data.get("statement_en"), "statement_en"),
        speaker=check_text(data.get("speaker"), "speaker", max_len=200),
        said_on=check_date(data["said_on"], "said_on") if data.get("said_on") is not None else None,
        said_where=check_url(said_where, "said_where") if said_where else None,
        subject=check_text(data.get("subject"), "subject", max_len=200),
        property=check_text(data.get("property"), "property", max_len=200),
        inner_kind=inner,
        due_on=due,
        status=ClaimStatus(
            check_choice(data.get("status", "active"), "status", [s.value for s in ClaimStatus])
        ),
        tags=tuple(check_tag(t) for t in tags),
        links=tuple(links),
        **expected,
    )


def _validate_expected(kind: ClaimKind, data: Mapping[str, Any]) -> dict[str, Any]:
    value = data.get("expected")
    out: dict[str, Any] = {}
    unit = data.get("unit")
    if unit is not None:
        out["expected_unit"] = check_text(unit, "unit", max_len=40) or None
    if data.get("tolerance") is not None:
        out["tolerance"] = check_decimal(
            data["tolerance"], "tolerance", minimum=Decimal(0), max_chars=40
        )
    comparison = check_choice(data.get("comparison", "approx"), "comparison", COMPARISONS)
    if comparison != "approx" and kind is not ClaimKind.RATIO:
        raise _fail("comparison", "only ratio claims compare with lt/gt")
    out["comparison"] = comparison
    if kind is ClaimKind.QUANTITY or (kind is ClaimKind.RATIO and comparison == "approx"):
        if value is None:
            raise _fail("expected", f"a {kind.value} claim needs an expected amount")
        out["expected_amount"] = check_decimal(value, "expected")
    elif kind is ClaimKind.RATIO:
        if value is not None:
            out["expected_amount"] = check_decimal(value, "expected")
    elif kind is ClaimKind.QUANTITY_SET:
        if not isinstance(value, list) or not value:
            raise _fail("expected", "a quantity_set claim needs a non-empty list of amounts")
        out["expected_amounts"] = tuple(check_decimal(v, "expected") for v in value)
    elif kind is ClaimKind.TEXT:
        if value is not None:
            out["expected_pattern"] = check_text(value, "expected")
    elif kind is ClaimKind.DATE:
        if value is None:
            raise _fail("expected", "a date claim needs an expected date")
        out["expected_date"], out["expected_precision"] = check_partial_date(value, "expected")
    return out


# -- files ----------------------------------------------------------------------------------


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given, folders as their *.toml files in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                raise SourceFileError(f"{path}: no .toml files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise SourceFileError(f"{path}: no such file or folder")
    return files


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle, parse_float=Decimal)
    except OSError as exc:
        raise SourceFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SourceFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceFileError(f"{path}: not valid TOML: {exc}") from None


def read_declarations(
    paths: Sequence[Path], *, known_source_formats: Mapping[str, SourceFormat] | None = None
) -> Declarations:
    """Read and validate every file before anything is written; the first error wins.

    `known_source_formats` are sources already in the store, which claims may link to.
    """
    files = expand_paths(paths)
    raw: list[tuple[Path, dict[str, Any]]] = [(f, load_toml(f)) for f in files]
    sources: list[SourceInput] = []
    seen_sources: dict[str, Path] = {}
    seen_urls: dict[str, str] = {}
    for path, doc in raw:
        extra = sorted(set(doc) - {"source", "claim"})
        if extra:
            raise SourceFileError(
                f"{path}: unknown table '{extra[0]}' (expected [[source]], [[claim]])"
            )
        for index, entry in enumerate(_entries(path, doc, "source")):
            where = f"{path}: source {entry.get('key', f'#{index + 1}')!r}"
            try:
                spec = validate_source(entry)
            except ValidationError as exc:
                raise SourceFileError(f"{where}: {exc}") from None
            if spec.key in seen_sources:
                raise SourceFileError(f"{where}: duplicate key (also in {seen_sources[spec.key]})")
            if spec.url in seen_urls:
                raise SourceFileError(
                    f"{where}: field 'url': same URL as source {seen_urls[spec.url]!r}"
                )
            seen_sources[spec.key] = path
            seen_urls[spec.url] = spec.key
            sources.append(spec)
    formats = dict(known_source_formats or {})
    formats.update({s.key: s.format for s in sources})
    claims: list[ClaimInput] = []
    seen_claims: dict[str, Path] = {}
    for path, doc in raw:
        for index, entry in enumerate(_entries(path, doc, "claim")):
            where = f"{path}: claim {entry.get('key', f'#{index + 1}')!r}"
            try:
                claim = validate_claim(entry, source_formats=formats)
            except ValidationError as exc:
                raise SourceFileError(f"{where}: {exc}") from None
            if claim.key in seen_claims:
                raise SourceFileError(f"{where}: duplicate key (also in {seen_claims[claim.key]})")
            for index_link, link in enumerate(claim.links):
                if link.source_key not in formats:
                    raise SourceFileError(
                        f"{where}: evidence[{index_link}]: field 'source': "
                        f"unknown source {link.source_key!r}"
                    )
            seen_claims[claim.key] = path
            claims.append(claim)
    return Declarations(sources=tuple(sources), claims=tuple(claims), files=tuple(files))


def _entries(path: Path, doc: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    entries = doc.get(name, [])
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise SourceFileError(f"{path}: '{name}' must be an array of tables ([[{name}]])")
    return entries
