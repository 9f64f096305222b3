"""What would prove a claim, read from its declared fields.

The expected value may be a figure ("405000000000") or words read by the normaliser ("4050 亿",
"$10/M tokens", "above 90", "超过 88 分"); it is stored canonically (an amount in the
registry's canonical unit, a relation, an upper end for `between`) and, when it was written
in words, as written too (`expected_text`), so that `claim show` can say how it was read. A
text that could be read two ways is refused, never guessed.

Over multi-record evidence a claim may name a quantifier (all, any, most, "80%") and the
conditions a record must meet to count ("value > 0", "key !~ *preview*"). Every error is a
ValidationError naming the field, so that import names the file and entry too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from factcheck.declarations.claim_fields import FIELDS, QUANTIFIERS
from factcheck.declarations.fields import _fail, check_decimal, check_partial_date, check_text
from factcheck.domain import ClaimKind, Quantifier, RecordCondition, Relation, Rule, RuleKind
from factcheck.normalising.expected import ExpectedReading, read_expected
from factcheck.normalising.measures import UnknownUnit, lookup_unit, to_canonical

_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SHARE = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_CONDITION = re.compile(r"(key|value)\s*(!~|~|!=|>=|<=|=|>|<)\s*(.+)", re.IGNORECASE)
_KEY_OPS, _VALUE_OPS = ("~", "!~"), ("=", "!=", ">", ">=", "<", "<=")
_SINGLE_ONLY = (Relation.EXACT, Relation.INCLUDES)  # what a set's relation may be


def validate_expected(kind: ClaimKind, data: Mapping[str, Any]) -> dict[str, Any]:
    """The ClaimInput fields of the expected value: amount(s), unit, relation, text, tolerance."""
    out: dict[str, Any] = {}
    unit_text = FIELDS["unit"].validate(data) if data.get("unit") is not None else None
    unit = _canonical_unit(unit_text)
    if data.get("tolerance") is not None:
        out["tolerance"] = FIELDS["tolerance"].validate(data)
    comparison = FIELDS["comparison"].validate(data)
    if comparison != "approx" and kind is not ClaimKind.RATIO:
        raise _fail("comparison", "only ratio claims compare with lt/gt")
    out["comparison"] = comparison
    given = FIELDS["relation"].validate(data) if data.get("relation") is not None else None
    value = data.get("expected")
    if kind is ClaimKind.RATIO and comparison != "approx":
        relation = Relation.LESS_THAN if comparison == "lt" else Relation.MORE_THAN
        if given not in (None, relation) or value not in (None, 1, "1", Decimal(1)):
            raise _fail("comparison", f"{comparison} means {relation.value} 1; give one or other")
        return out | {"relation": relation, "expected_amount": Decimal(1)}
    if kind in (ClaimKind.QUANTITY, ClaimKind.RATIO):
        return out | _figure(kind, value, unit_text, unit, given)
    if kind is ClaimKind.QUANTITY_SET:
        return out | _figure_set(value, unit_text, unit, given)
    if given not in (None, Relation.EXACT):
        raise _fail("relation", f"a {kind.value} claim has no relation")
    if unit_text is not None and kind in (ClaimKind.TEXT, ClaimKind.DATE):
        raise _fail("unit", f"a {kind.value} claim has no unit")
    if kind is ClaimKind.TEXT and value is not None:
        out["expected_pattern"] = check_text(value, "expected")
    elif kind is ClaimKind.DATE:
        if value is None:
            raise _fail("expected", "a date claim needs an expected date")
        out["expected_date"], out["expected_precision"] = check_partial_date(value, "expected")
        if isinstance(value, str) and not re.fullmatch(r"\d{4}(-\d{2}){0,2}", value.strip()):
            out["expected_text"] = check_text(value, "expected", max_len=200)
    return out


def _canonical_unit(unit_text: str | None) -> str | None:
    if unit_text is None:
        return None
    try:
        return lookup_unit(unit_text).canonical
    except UnknownUnit as exc:
        raise _fail("unit", str(exc)) from None


def _read(value: Any, unit_text: str | None, field: str = "expected") -> ExpectedReading:
    """One expected figure, from a number or from words; the declared unit applies to it."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _fail(field, "expected a number or a figure in words")
    text = check_text(str(value), field, required=True, max_len=200).strip()
    try:
        if _PLAIN.fullmatch(text):  # a figure as digits: exact, in the declared unit
            amount = check_decimal(text, field)
            if unit_text is None:
                return ExpectedReading(Relation.EXACT, amount, None, None, text)
            canonical_amount, canonical = to_canonical(amount, unit_text)
            return ExpectedReading(Relation.EXACT, canonical_amount, None, canonical, text)
        return read_expected(text, unit=unit_text)
    except UnknownUnit as exc:
        raise _fail("unit", str(exc)) from None
    except (ValueError, InvalidOperation) as exc:
        raise _fail(field, str(exc)) from None


def _as_written(value: Any, unit_text: str | None, reading: ExpectedReading) -> str | None:
    """The expected text to keep, when it was words: as written when it reads back the same
    beside the stored (canonical) unit, so that an edit revalidates it unchanged; with the
    declared unit added only when that unit had a scale of its own ("at least 10" in "USD/M
    tokens" is kept as "at least 10 USD/M tokens": beside "USD/token" it would read 10)."""
    text = str(value).strip()
    if _PLAIN.fullmatch(text):
        return None
    for candidate in (text, f"{text} {unit_text}" if unit_text else None):
        if candidate is None or len(candidate) > 200:
            continue
        try:
            again = read_expected(candidate, unit=reading.unit)
        except ValueError:
            continue
        if again == ExpectedReading(reading.relation, reading.amount, reading.upper,
                                    reading.unit, again.text):  # fmt: skip
            return candidate
    return None


def _merge(reading: Relation, given: Relation | None, value: Any) -> Relation:
    """The words in the expected value and the relation field must not disagree."""
    if given is None or given is reading:
        return reading
    if reading is Relation.EXACT:
        return given
    raise _fail(
        "relation",
        f"expected {str(value)!r} already says {reading.value}, relation says {given.value}",
    )


def _figure(
    kind: ClaimKind, value: Any, unit_text: str | None, unit: str | None, given: Relation | None
) -> dict[str, Any]:
    if value is None:
        raise _fail("expected", f"a {kind.value} claim needs an expected amount")
    if given is Relation.INCLUDES:
        raise _fail("relation", "includes is for quantity_set claims (a value among a set)")
    if isinstance(value, list):  # between, as two figures
        if given is not Relation.BETWEEN or len(value) != 2:
            raise _fail("expected", "two values need relation = 'between'")
        low, high = (_read(v, unit_text) for v in value)
        if low.relation is not Relation.EXACT or high.relation is not Relation.EXACT:
            raise _fail("expected", "the two ends of a between are plain figures")
        reading = ExpectedReading(Relation.BETWEEN, low.amount, high.amount, low.unit, "")
        if high.unit != low.unit:
            raise _fail("expected", "the two ends of a between are in different units")
    else:
        reading = _read(value, unit_text)
    relation = _merge(reading.relation, given, value)
    if relation is Relation.BETWEEN and (reading.upper is None or reading.upper < reading.amount):
        raise _fail("expected", "between needs a low and a high end: '35 to 45 million'")
    result_unit = reading.unit if reading.unit is not None else unit
    if kind is ClaimKind.RATIO and result_unit is not None:
        raise _fail("expected", "a ratio is a bare number (0.5 for half), without a unit")
    text = None if isinstance(value, list) else _as_written(value, unit_text, reading)
    return {
        "relation": relation,
        "expected_amount": reading.amount,
        "expected_upper": reading.upper if relation is Relation.BETWEEN else None,
        "expected_unit": result_unit,
        "expected_text": text,
    }


def _figure_set(
    value: Any, unit_text: str | None, unit: str | None, given: Relation | None
) -> dict[str, Any]:
    if not isinstance(value, list) or not value:
        raise _fail("expected", "a quantity_set claim needs a non-empty list of amounts")
    if given is not None and given not in _SINGLE_ONLY:
        raise _fail("relation", "a quantity_set claim is exact (the whole set) or includes")
    readings = [_read(v, unit_text) for v in value]
    if any(r.relation is not Relation.EXACT for r in readings):
        raise _fail("expected", "each value of a set is a plain figure ('405B', '4050 亿')")
    units = {r.unit if r.unit is not None else unit for r in readings}
    if len(units) > 1:
        raise _fail("expected", "the values of a set are in different units")
    return {
        "relation": given or Relation.EXACT,
        "expected_amounts": tuple(r.amount for r in readings),
        "expected_unit": units.pop(),
    }


def parse_quantifier(text: str) -> tuple[Quantifier, Decimal | None]:
    """ "all", "any", "most" or a share "80%" -> (quantifier, share in (0, 1]).

    >>> parse_quantifier("80%")
    (<Quantifier.SHARE: 'share'>, Decimal('0.8'))
    """
    word = text.strip().lower()
    if word in QUANTIFIERS:
        return Quantifier(word), None
    match = _SHARE.fullmatch(word)
    if match and 0 < Decimal(match.group(1)) <= 100:
        return Quantifier.SHARE, Decimal(match.group(1)) / 100
    raise _fail("quantifier", f"{text!r} is not all, any, most or a share such as 80%")


def parse_condition(text: str, unit: str | None) -> RecordCondition:
    """ "value > 0" / "key !~ *preview*" -> a RecordCondition; a value operand may be in words
    ("$1/M tokens") and is compared in the claim's canonical unit.

    >>> parse_condition("key !~ *preview*", None).op
    '!~'
    """
    match = _CONDITION.fullmatch(text.strip())
    if match is None:
        raise _fail("where", f"{text!r} is not 'key ~ GLOB', 'key !~ GLOB' or 'value OP FIGURE'")
    field, op, operand = match.group(1).lower(), match.group(2), match.group(3).strip()
    if field == "key":
        if op not in _KEY_OPS:
            raise _fail("where", f"{text!r}: keys are matched with ~ or !~ and a glob")
        return RecordCondition("key", op, operand, text.strip())
    if op not in _VALUE_OPS:
        raise _fail("where", f"{text!r}: values are compared with = != > >= < <=")
    reading = _read(operand, None, "where")
    if reading.relation is not Relation.EXACT or reading.unit not in (None, unit):
        raise _fail("where", f"{text!r}: the figure must be plain, in the claim's unit")
    return RecordCondition("value", op, format(reading.amount.normalize(), "f"), text.strip())


def selects_many(rule: Rule) -> bool:
    """Whether a rule can find several records (a quantifier needs it): a JSON path with a
    wildcard, filter, slice, union or descent; a CSS rule not limited to its first match; a
    regex; a table rule not limited to one row label."""
    if rule.kind is RuleKind.JSON_PATH:
        bare = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "", rule.expression)
        return any(mark in bare for mark in ("*", "?", "..", ":", ","))
    if rule.kind is RuleKind.CSS:
        return rule.options.get("all") is not False
    if rule.kind is RuleKind.TABLE:
        return "row" not in rule.options
    return rule.kind is RuleKind.REGEX


def check_quantified_links(kind: ClaimKind, rules: Sequence[tuple[str, Rule]]) -> None:
    """A quantifier needs a counted link (value, or numerator for a ratio) that can find more
    than one record; `rules` are the links' (role, rule). No links yet is fine (linked later)."""
    counted = "numerator" if kind is ClaimKind.RATIO else "value"
    linked = [rule for role, rule in rules if role == counted]
    if linked and not any(selects_many(rule) for rule in linked):
        raise _fail("quantifier", f"no {counted} link finds more than one record")


def validate_records(
    kind: ClaimKind, data: Mapping[str, Any], rules: Sequence[tuple[str, Rule]], unit: str | None
) -> dict[str, Any]:
    """quantifier and where: on quantity and ratio claims, over links that find many records.
    `rules` are the links' (role, rule)."""
    quantifier, where = data.get("quantifier"), data.get("where")
    if where is not None and not isinstance(where, list):
        where = [where]
    if quantifier is None and not where:
        return {}
    field = "quantifier" if quantifier is not None else "where"
    if kind not in (ClaimKind.QUANTITY, ClaimKind.RATIO):
        raise _fail(field, f"a {kind.value} claim has no records to quantify")
    if quantifier is None:
        raise _fail("where", "conditions on records need a quantifier (all, any, most, 80%)")
    text = check_text(quantifier, "quantifier", required=True, max_len=12)
    parse_quantifier(text)
    check_quantified_links(kind, rules)
    conditions = [check_text(c, "where", required=True, max_len=200) for c in where or []]
    for condition in conditions:
        if ";" in condition:
            raise _fail("where", "one condition per entry (';' separates them in CSV)")
        parse_condition(condition, unit)
    return {"quantifier": text.strip().lower(), "record_filter": tuple(conditions)}
