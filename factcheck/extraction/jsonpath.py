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

Selection is lazy (generators, not lists), so a path over two million records holds one
record at a time; hits beyond the collector's cap are counted, never built.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from typing import NamedTuple

from factcheck.domain import Hit
from factcheck.errors import ExtractError, ValidationError
from factcheck.extraction.limits import HitCollector
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


class Record(NamedTuple):
    """A selected value, the key it was found under, and the record it was found in.

    A tuple, and the path text built only when asked: selection makes one per value, and
    past the hit cap they are only counted.
    """

    value: object
    key: str | None
    parent: Record | None = None
    in_list: bool = False  # `key` is a list index

    @property
    def path(self) -> str:
        """The canonical path that selects this record again, e.g. '$.data[3]["a.b"]'."""
        steps: list[str] = []
        record: Record | None = self
        while record is not None and record.parent is not None:
            key = record.key or ""
            steps.append(f"[{key}]" if record.in_list else _step_text(key))
            record = record.parent
        return "$" + "".join(reversed(steps))


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


def select(data: object, steps: Sequence[Step]) -> Iterator[Record]:
    """Every value the steps reach, in document order, one at a time."""
    records: Iterator[Record] = iter([Record(data, None)])
    for step in steps:
        records = _step(records, step)
    return records


def _step(records: Iterable[Record], step: Step) -> Iterator[Record]:
    for record in records:
        yield from _children(record, step)


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
    """Select records, filter them with `where`, and read `field` or blend `weights`."""
    shown = _short(expression)
    where_opt, weights_opt = options.get("where"), options.get("weights")
    where = where_opt if isinstance(where_opt, Mapping) else None
    weights = weights_opt if isinstance(weights_opt, Mapping) else None
    key_field = str(options.get("key_field", KEY))
    field = options.get("field")
    selected = kept = extra = 0
    for record in select(data, parse_path(expression)):
        selected += 1
        if where is not None and not _matches(record.value, where):
            continue
        kept += 1
        if collector.full:  # count what would be a hit, build nothing
            extra += _would_hit(record.value, field, weights)
            continue
        key = _record_key(record, key_field)
        if weights is not None:
            blended = _blend(record.value, weights)
            if blended is not None:
                raw = _plain(blended)
                context = _render(record.value)
                first = f'"{next(iter(weights))}"'
                collector.add(Hit(raw, _excerpt(key, context, first), record.path, key, blended))
        elif isinstance(field, str):
            if isinstance(record.value, Mapping) and field in record.value:
                value = record.value[field]
                raw = _scalar_text(value)
                context = _render(record.value)
                path = record.path + _step_text(field)
                collector.add(
                    Hit(raw, _excerpt(key, context, f'"{field}"'), path, key, _exact(value))
                )
        else:
            raw = _scalar_text(record.value)
            excerpt = _excerpt(key, _render(record.value), "")
            collector.add(Hit(raw, excerpt, record.path, key, _exact(record.value)))
    collector.skip(extra)
    if not selected:
        raise ExtractError("rule_no_match", f"json_path {shown} matched nothing")
    if not kept and where is not None:
        raise ExtractError(
            "rule_no_match", f"json_path {shown}: no selected record has where {dict(where)}"
        )
    if not collector.hits:
        records = kept
        weighted = list(weights) if weights is not None else []
        needed = (
            f"field {field!r}" if field else "every weighted field " + ", ".join(map(str, weighted))
        )
        raise ExtractError(
            "rule_no_match", f"json_path {shown} selected {records} records; none has {needed}"
        )


def _would_hit(value: object, field: object, weights: Mapping[str, object] | None) -> int:
    """1 if a record would give a hit (as `apply_json_rule` decides), cheaply; else 0.

    Parsed JSON holds dicts, so `dict` is tested (an ABC check costs ~4x more per record).
    """
    if weights is not None:
        return int(_blend(value, weights) is not None)
    if isinstance(field, str):
        return int(isinstance(value, dict) and field in value)
    return 1


def _children(record: Record, step: Step) -> Iterator[Record]:
    value = record.value
    if step.kind == "name":
        if isinstance(value, dict) and step.name in value:
            yield Record(value[step.name], step.name, record)
    elif step.kind == "index":
        if isinstance(value, list) and -len(value) <= step.index < len(value):
            index = step.index % len(value)
            yield Record(value[index], str(index), record, True)
    elif isinstance(value, list) and step.kind == "all":
        for i, v in enumerate(value):
            yield Record(v, str(i), record, True)
    elif isinstance(value, dict):
        every = step.kind == "all"
        for k, v in value.items():
            if every or fnmatch.fnmatchcase(k.casefold(), step.name) != step.negate:
                yield Record(v, k, record)


def _step_text(name: str) -> str:
    if _NAME_ONLY.fullmatch(name):
        return f".{name}"
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'["{escaped}"]'


def _unquote(quoted: str) -> str:
    return _BACKSLASH.sub(r"\1", quoted[1:-1])


def _matches(value: object, where: Mapping[str, object]) -> bool:
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
