"""The `json_path` rule kind: RFC 9535 paths select records, options read them.

A path is RFC 9535 JSONPath, run by python-jsonpath within bounds (see
`factcheck.extraction.jsonenv`), with its `#` extension for the current key::

    $['gpt-4o-2024-05-13']                  a member by name ($.extract for plain names)
    $.data[*]  $.data[0]  $.data[-1]        every element; the first; the last
    $[?match(#, '(?i).*llama.*405b.*')]     members whose whole key matches a regex
    $[?search(#, '405[bB]')]                ... whose key contains a match
    $[?@.input_cost_per_token > 4e-6]       members whose field passes a comparison
    $..input_cost_per_token                 that field anywhere below

A path that selects nothing reports `rule_no_match`. Old-dialect rules (`[?key~"glob"]`) are
refused with their RFC 9535 form (`factcheck.extraction.legacypath`).

Each selected value is a *record*, named (Hit.key) by the last key or index of its
normalized path, and located as "json:" + that path (`json:$['gpt-4o']`). Options (see
`factcheck.extraction.rules` for the whole rule vocabulary):

    where      {field: value}: keep records whose field equals value (a list: any of them);
               strings compare exactly, numbers as Decimals, booleans as booleans
    field      read this field of each record (records without it are skipped)
    weights    {field: weight}: the weighted mean sum(w*v)/sum(w) of numeric fields of each
               record, as an exact Decimal in Hit.value; records missing one are skipped
    key_field  the record field that names each hit in Hit.key; "$key" (the default) is the
               last key or index of the record's path

Selection is lazy (the library yields one match at a time), so a path over two million
records holds one record at a time; hits beyond the collector's cap are counted, never built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING

from factcheck.domain import Hit
from factcheck.errors import ExtractError, ValidationError
from factcheck.extraction.legacypath import convert_legacy_path, quote
from factcheck.extraction.limits import HitCollector
from factcheck.extraction.snippets import excerpt_of

if TYPE_CHECKING:
    from jsonpath import JSONPathMatch

OPTIONS = frozenset({"field", "key_field", "weights", "where"})
KEY = "$key"  # key_field value meaning "the key the record was found under"
LOCATION = "json:"  # Hit.location prefix before the normalized path


def check_path(expression: str) -> None:
    """Raise ValidationError (one line) for a path that cannot run; an old-dialect path is
    refused with its RFC 9535 form."""
    from factcheck.extraction.jsonenv import compile_path  # the library loads on first use

    try:
        compile_path(expression)
    except ValidationError:
        converted = convert_legacy_path(expression)
        if converted is None:
            raise
        raise ValidationError(
            f"json_path rule uses the old dialect; write it as {converted}"
        ) from None


def check_options(options: Mapping[str, object]) -> None:
    """Raise ValidationError for a json_path option with the wrong shape."""
    for name in ("field", "key_field"):
        if name in options and not (isinstance(options[name], str) and options[name]):
            raise ValidationError(f"json_path option {name!r} must be a non-empty string")
    if "field" in options and "weights" in options:
        raise ValidationError("json_path options 'field' and 'weights' cannot be combined")
    if "weights" in options:
        weights = options["weights"]
        if not isinstance(weights, Mapping) or not weights:
            raise ValidationError("json_path option 'weights' must be a table {field: weight}")
        for name, weight in weights.items():
            number = _number(weight)
            if number is None or number <= 0:
                raise ValidationError(
                    f"json_path weight for {name!r} must be a positive number, got {weight!r}"
                )
    if "where" in options:
        where = options["where"]
        if not isinstance(where, Mapping) or not where:
            raise ValidationError("json_path option 'where' must be a table {field: value}")
        for name, wanted in where.items():
            values = wanted if isinstance(wanted, list | tuple) else [wanted]
            if not values or not all(isinstance(v, str | int | float | Decimal) for v in values):
                raise ValidationError(
                    f"json_path 'where' value for {name!r} must be a string, number, boolean "
                    f"or a list of them, got {wanted!r}"
                )


def apply_json_rule(
    data: object, expression: str, options: Mapping[str, object], collector: HitCollector
) -> None:
    """Select records, filter them with `where`, and read `field` or blend `weights`; filters
    and regexes run within `rule_timeout_s` (else rule_timeout)."""
    from factcheck.extraction.jsonenv import BudgetSpent, budget, compile_path, finditer

    shown, seconds = _short(expression), collector.limits.rule_timeout_s
    reader = _Reader(options)
    try:
        with budget(seconds):
            matches = finditer(compile_path(expression), data)
            selected, kept = _collect(matches, reader, collector)
    except BudgetSpent:
        if not collector.full:
            raise ExtractError(
                "rule_timeout", f"json_path {shown} ran out of its {seconds:g} s budget"
            ) from None
        collector.notes.append(  # the hits are kept; only the count of the rest was cut short
            f"counting stopped at the {seconds:g} s budget, so more were dropped than counted"
        )
        return
    if not selected:
        raise ExtractError("rule_no_match", f"json_path {shown} matched nothing")
    if not kept and reader.where is not None:
        where = dict(reader.where)
        raise ExtractError(
            "rule_no_match", f"json_path {shown}: no selected record has where {where}"
        )
    if not collector.hits:
        weighted = ", ".join(map(str, reader.weights or ()))
        needed = f"field {reader.field!r}" if reader.field else f"every weighted field {weighted}"
        raise ExtractError(
            "rule_no_match", f"json_path {shown} selected {kept} records; none has {needed}"
        )


class _Reader:
    """A rule's options, read once: which records count and what each hit holds."""

    __slots__ = ("field", "key_field", "weights", "where")

    def __init__(self, options: Mapping[str, object]) -> None:
        where, weights, field = options.get("where"), options.get("weights"), options.get("field")
        self.where = where if isinstance(where, Mapping) else None
        self.weights = weights if isinstance(weights, Mapping) else None
        self.field = field if isinstance(field, str) else None
        self.key_field = str(options.get("key_field", KEY))

    def would_hit(self, value: object) -> bool:
        """Whether a record gives a hit, cheaply (parsed JSON holds dicts: `dict` is tested,
        as an ABC check costs ~4x more per record)."""
        if self.weights is not None:
            return _blend(value, self.weights) is not None
        if self.field is not None:
            return isinstance(value, dict) and self.field in value
        return True

    def hit(self, match: JSONPathMatch) -> Hit | None:
        """The record's hit, or None when it lacks the field or a weighted figure."""
        value, location = match.obj, LOCATION + match.path
        key = _record_key(match, self.key_field)
        if self.weights is not None:
            blended = _blend(value, self.weights)
            if blended is None:
                return None
            excerpt = _excerpt(key, _render(value), f'"{next(iter(self.weights))}"')
            return Hit(_plain(blended), excerpt, location, key, blended)
        if self.field is not None:
            if not (isinstance(value, Mapping) and self.field in value):
                return None
            figure = value[self.field]
            excerpt = _excerpt(key, _render(value), f'"{self.field}"')
            where = f"{location}[{quote(self.field)}]"
            return Hit(_scalar_text(figure), excerpt, where, key, _exact(figure))
        excerpt = _excerpt(key, _render(value), "")
        return Hit(_scalar_text(value), excerpt, location, key, _exact(value))


def _collect(
    matches: Iterable[JSONPathMatch], reader: _Reader, collector: HitCollector
) -> tuple[int, int]:
    """Add each selected record's hit; past the cap only count them. (selected, kept)."""
    selected = kept = 0
    for match in matches:
        selected += 1
        if reader.where is not None and not _where(match.obj, reader.where):
            continue
        kept += 1
        if collector.full:  # count what would be a hit, build nothing
            collector.skip(int(reader.would_hit(match.obj)))
            continue
        hit = reader.hit(match)
        if hit is not None:
            collector.add(hit)
    return selected, kept


def _where(value: object, where: Mapping[str, object]) -> bool:
    if not isinstance(value, dict):
        return False
    for name, wanted in where.items():
        if name not in value:
            return False
        choices = wanted if isinstance(wanted, list | tuple) else [wanted]
        if not any(_equal(value[name], choice) for choice in choices):
            return False
    return True


def _equal(actual: object, wanted: object) -> bool:
    if isinstance(wanted, bool) or isinstance(actual, bool):
        return actual is wanted
    if isinstance(wanted, str) or isinstance(actual, str):
        return actual == wanted
    a, w = _number(actual), _number(wanted)
    return a is not None and w is not None and a == w


def _number(value: object) -> Decimal | None:
    """A finite Decimal for an int, Decimal, float (via its repr) or numeric string."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _exact(value: object) -> Decimal | None:
    """Hit.value for a JSON number (never for strings: those are left to the judge)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return Decimal(value)


def _blend(value: object, weights: Mapping[str, object]) -> Decimal | None:
    if not isinstance(value, Mapping):
        return None
    total = Decimal(0)
    weight_sum = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = 34
        for name, weight in weights.items():
            field = value.get(name)
            figure = None if isinstance(field, str) else _number(field)  # JSON numbers only
            w = _number(weight)
            if figure is None or w is None:
                return None
            total += w * figure
            weight_sum += w
        return total / weight_sum


def _plain(number: Decimal) -> str:
    """
    >>> _plain(Decimal("7.50E-6"))
    '0.0000075'
    """
    return format(number.normalize(), "f")


def _scalar_text(value: object) -> str:
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str | int):
        return str(value)
    return _render(value)


def _render(value: object, budget: int = 600) -> str:
    """Compact JSON-like text for excerpts; Decimals shown as plain numbers, cut at budget.

    The work is bounded by the budget, not by the value (a record nested 199 deep renders
    its first levels only):

    >>> _render({"a": {"a": {"a": [1, 2]}}, "b": 3}, budget=12)
    '{"a": {"a": {"a": …}}, …}'
    """
    if budget <= 0:
        return "…"
    if isinstance(value, Mapping):
        return "{" + ", ".join(_parts(value.items(), budget, nested=False)) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_parts(enumerate(value[:20]), budget, nested=True)) + "]"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return _scalar_text(value)


def _parts(items: Iterable[tuple[object, object]], budget: int, *, nested: bool) -> list[str]:
    """Rendered members (`"key": value`) or elements, until the budget is spent."""
    parts: list[str] = []
    used = 0
    rest = iter(items)
    for key, item in rest:
        head = "" if nested else f'"{key}": '
        room = budget - used - len(head)
        part = head + _render(item, min(room, budget // 2) if nested else room)
        parts.append(part)
        used += len(part) + 2
        if used > budget:
            if next(rest, None) is not None:
                parts.append("…")
            break
    return parts


def _record_key(match: JSONPathMatch, key_field: str) -> str | None:
    if key_field != KEY and isinstance(match.obj, Mapping):
        named = match.obj.get(key_field)
        if isinstance(named, str | int | Decimal) and not isinstance(named, bool):
            return _scalar_text(named)
    return str(match.parts[-1]) if match.parts else None


def _excerpt(key: str | None, context: str, anchor: str) -> str:
    prefix = f'"{key}": ' if key is not None else ""
    return excerpt_of(prefix + context, anchor or prefix)


def _short(expression: str) -> str:
    return repr(expression if len(expression) <= 80 else expression[:77] + "...")
