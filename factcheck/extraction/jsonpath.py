"""A small JSONPath subset (no eval, no scripts) and the `json_path` rule kind over it.

Grammar (no whitespace between steps)::

    path   := "$" step*
    step   := "." name              member by name: [A-Za-z0-9_][A-Za-z0-9_-]*  ($.gpt-4o)
            | "[" quoted "]"        member by any name: ["meta.llama3-1-405b-instruct-v1:0"]
            | "[" int "]"           list element; negative counts from the end ([0], [-1])
            | ".*" | "[*]"          every member of an object / every element of a list
            | "[?key~" quoted "]"   object members whose key matches a glob (* ? [seq]),
            | "[?key!~" quoted "]"  case-insensitively; !~ keeps the members that do not match
    quoted := "..." or '...'; a backslash escapes the next character

A step that does not apply (a name on a list, an index on an object, a missing member)
selects nothing rather than failing; the rule then reports `rule_no_match`.

Each selected value is a *record*, named by the object key (or list index) it was found
under. Options (see `factcheck.extraction.rules` for the whole rule vocabulary):

    where      {field: value}: keep records whose field equals value (a list: any of them);
               strings compare exactly, numbers as Decimals, booleans as booleans
    field      read this field of each record (records without it are skipped)
    weights    {field: weight}: the weighted mean sum(w*v)/sum(w) of numeric fields of each
               record, as an exact Decimal in Hit.value; records missing one are skipped
    key_field  the record field that names each hit in Hit.key; "$key" (the default) is the
               object key or list index the record was found under
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from factcheck.domain import Hit
from factcheck.errors import ExtractError, ValidationError
from factcheck.extraction.snippets import excerpt_of

OPTIONS = frozenset({"field", "key_field", "weights", "where"})
KEY = "$key"  # key_field value meaning "the key the record was found under"
_NAME = r"[A-Za-z0-9_][A-Za-z0-9_\-]*"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
_STEP = re.compile(
    rf"\.(?P<name>{_NAME})"
    rf"|\.(?P<dotstar>\*)"
    rf"|\[\s*(?P<quoted>{_QUOTED})\s*\]"
    r"|\[\s*(?P<index>-?\d+)\s*\]"
    r"|\[\s*(?P<star>\*)\s*\]"
    rf"|\[\?\s*key\s*(?P<op>!?~)\s*(?P<glob>{_QUOTED})\s*\]"
)
_NAME_ONLY = re.compile(_NAME)
_BACKSLASH = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True)
class Step:
    """One path step: `kind` is "name", "index", "all" or "glob"."""

    kind: str
    name: str = ""
    index: int = 0
    negate: bool = False


@dataclass(frozen=True)
class Record:
    """A selected value, the canonical path to it, and the key it was found under."""

    value: object
    path: str
    key: str | None


def parse_path(expression: str) -> tuple[Step, ...]:
    """Parse a path or raise ValidationError naming the column of the first bad step.

    >>> [s.kind for s in parse_path('$.data[*]["a.b"][?key~"*405b*"]')]
    ['name', 'all', 'name', 'glob']
    """
    text = expression.strip()
    if not text.startswith("$"):
        raise ValidationError(f"invalid JSON path {expression!r}: must start with '$'")
    steps: list[Step] = []
    pos = 1
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None:
            raise ValidationError(
                f"invalid JSON path {expression!r}: unexpected {text[pos : pos + 12]!r} "
                f"at column {pos + 1}"
            )
        if m["name"] is not None:
            steps.append(Step("name", name=m["name"]))
        elif m["quoted"] is not None:
            steps.append(Step("name", name=_unquote(m["quoted"])))
        elif m["index"] is not None:
            steps.append(Step("index", index=int(m["index"])))
        elif m["glob"] is not None:
            glob = _unquote(m["glob"]).casefold()
            steps.append(Step("glob", name=glob, negate=m["op"] == "!~"))
        else:
            steps.append(Step("all"))
        pos = m.end()
    return tuple(steps)


def select(data: object, steps: Sequence[Step]) -> list[Record]:
    """Every value the steps reach, in document order."""
    records = [Record(data, "$", None)]
    for step in steps:
        records = [child for record in records for child in _children(record, step)]
    return records


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
    data: object, expression: str, options: Mapping[str, object]
) -> tuple[Hit, ...]:
    """Select records, filter them with `where`, and read `field` or blend `weights`."""
    records = select(data, parse_path(expression))
    shown = _short(expression)
    if not records:
        raise ExtractError("rule_no_match", f"json_path {shown} matched nothing")
    where = options.get("where")
    if isinstance(where, Mapping):
        records = [r for r in records if _matches(r.value, where)]
        if not records:
            raise ExtractError(
                "rule_no_match", f"json_path {shown}: no selected record has where {dict(where)}"
            )
    key_field = str(options.get("key_field", KEY))
    weights = options.get("weights")
    field = options.get("field")
    hits: list[Hit] = []
    for record in records:
        key = _record_key(record, key_field)
        if isinstance(weights, Mapping):
            blended = _blend(record.value, weights)
            if blended is not None:
                raw = _plain(blended)
                context = _render(record.value)
                first = f'"{next(iter(weights))}"'
                hits.append(Hit(raw, _excerpt(key, context, first), record.path, key, blended))
        elif isinstance(field, str):
            if isinstance(record.value, Mapping) and field in record.value:
                value = record.value[field]
                raw = _scalar_text(value)
                context = _render(record.value)
                path = record.path + _step_text(field)
                hits.append(
                    Hit(raw, _excerpt(key, context, f'"{field}"'), path, key, _exact(value))
                )
        else:
            raw = _scalar_text(record.value)
            excerpt = _excerpt(key, _render(record.value), "")
            hits.append(Hit(raw, excerpt, record.path, key, _exact(record.value)))
    if not hits:
        weighted = list(weights) if isinstance(weights, Mapping) else []
        needed = (
            f"field {field!r}" if field else "every weighted field " + ", ".join(map(str, weighted))
        )
        raise ExtractError(
            "rule_no_match", f"json_path {shown} selected {len(records)} records; none has {needed}"
        )
    return tuple(hits)


def _children(record: Record, step: Step) -> list[Record]:
    value = record.value
    if step.kind == "name":
        if isinstance(value, dict) and step.name in value:
            return [Record(value[step.name], record.path + _step_text(step.name), step.name)]
        return []
    if step.kind == "index":
        if isinstance(value, list) and -len(value) <= step.index < len(value):
            index = step.index % len(value)
            return [Record(value[index], f"{record.path}[{index}]", str(index))]
        return []
    if isinstance(value, list) and step.kind == "all":
        return [Record(v, f"{record.path}[{i}]", str(i)) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return []
    return [
        Record(v, record.path + _step_text(k), k)
        for k, v in value.items()
        if step.kind == "all" or fnmatch.fnmatchcase(k.casefold(), step.name) != step.negate
    ]


def _step_text(name: str) -> str:
    if _NAME_ONLY.fullmatch(name):
        return f".{name}"
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'["{escaped}"]'


def _unquote(quoted: str) -> str:
    return _BACKSLASH.sub(r"\1", quoted[1:-1])


def _matches(value: object, where: Mapping[str, object]) -> bool:
    if not isinstance(value, Mapping):
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
    """Compact JSON-like text for excerpts; Decimals shown as plain numbers, cut at budget."""
    if isinstance(value, Mapping):
        parts: list[str] = []
        used = 0
        for k, v in value.items():
            part = f'"{k}": {_render(v, budget - used)}'
            parts.append(part)
            used += len(part) + 2
            if used > budget:
                parts.append("…")
                break
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v, budget // 2) for v in value[:20]) + "]"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return _scalar_text(value)


def _record_key(record: Record, key_field: str) -> str | None:
    if key_field != KEY and isinstance(record.value, Mapping):
        named = record.value.get(key_field)
        if isinstance(named, str | int | Decimal) and not isinstance(named, bool):
            return _scalar_text(named)
    return record.key


def _excerpt(key: str | None, context: str, anchor: str) -> str:
    prefix = f'"{key}": ' if key is not None else ""
    return excerpt_of(prefix + context, anchor or prefix)


def _short(expression: str) -> str:
    return repr(expression if len(expression) <= 80 else expression[:77] + "...")
