"""The JSONPath engine of `json_path` rules: python-jsonpath (RFC 9535), bounded.

Why a library: RFC 9535 is a standard editors can look up, and python-jsonpath is maintained
and tested against the RFC's compliance suite. Its non-standard `#` (the current key or index,
inside a filter) selects records by name: `$[?match(#, '(?i).*llama.*405b.*')]`.

Why an environment of our own: a rule is declared text run on hostile documents.
- `match()` and `search()` run on the `regex` package with the rule's time budget (stdlib
  `re` has no timeout); with `concurrent=True` on long values, so the GIL is released while a
  pattern backtracks. A pattern is read as Python regex syntax (a superset of I-Regexp, so
  `(?i)` works); literal patterns are compiled when the rule is validated.
- Every filter evaluation checks the budget too, and so does selection itself: each segment
  (`.name`, `[*]`, `..`, at the top or inside a filter's query) checks it every
  `CHECK_EVERY` nodes it visits or yields. Nested descents (`$..*..*..*`, `$..data..price`)
  grow with the square or the cube of a document's depth, and past the hit cap the rest is
  still counted: whatever the path, a rule stops within its budget.
- Regex literals (`=~ /.../`, a library extension compiled by stdlib `re`) are refused.
- Floats written in a filter (`@.price > 4e-6`) compare as the Decimal of their text, as
  JSON numbers are Decimals here (`0.1 == 0.1` holds).
- The descendant segment `..` may go as deep as a document parse allows; it walks with a
  stack of its own, so a node deep down costs no more to yield than one at the top.

The library costs ~0.1 s to import, so this module is imported only when a json_path rule is
validated or run (`factcheck --help` never loads it).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import lru_cache
from typing import Any

import regex
from jsonpath import JSONPathEnvironment, JSONPathMatch
from jsonpath.exceptions import JSONPathError, JSONPathSyntaxError
from jsonpath.filter import (
    BaseExpression,
    CurrentKey,
    FilterExpression,
    FunctionExtension,
    StringLiteral,
)
from jsonpath.function_extensions import ExpressionType, FilterFunction
from jsonpath.parse import Parser
from jsonpath.path import CompoundJSONPath, JSONPath
from jsonpath.segments import (
    JSONPathChildSegment,
    JSONPathRecursiveDescentSegment,
    JSONPathSegment,
)
from jsonpath.selectors import Filter, JSONPathSelector
from jsonpath.stream import TokenStream

from factcheck.errors import ValidationError
from factcheck.extraction.legacypath import quote

CONCURRENT_FROM = 10_000  # characters: a longer value is matched with the GIL released
CHECK_EVERY = 64  # nodes visited or yielded between two looks at the clock (a power of two)
_DEADLINE: ContextVar[float] = ContextVar("json_path_deadline", default=float("inf"))
_TICKS = itertools.count()  # shared by all rules: only its low bits are read


class BudgetSpent(TimeoutError):
    """The rule's time budget ran out inside a filter or a regex function."""


@contextmanager
def budget(seconds: float) -> Iterator[None]:
    """Filters and regex functions evaluated inside run within `seconds` from now."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _remaining() -> float:
    left = _DEADLINE.get() - time.monotonic()
    if left <= 0:
        raise BudgetSpent("json_path ran out of its time budget")
    return left


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> regex.Pattern[str] | None:
    """The compiled pattern, or None for a bad one (RFC 9535: such a match is false)."""
    try:
        return regex.compile(pattern)
    except regex.error:
        return None


class _BoundedRegexFunction(FilterFunction):
    """match() / search() on the `regex` package, within the rule's time budget."""

    arg_types = [ExpressionType.VALUE, ExpressionType.VALUE]  # noqa: RUF012 (the library's API)
    return_type = ExpressionType.LOGICAL
    whole = True  # match(): the whole value; search(): any part of it

    def __call__(self, value: object, pattern: object) -> bool:
        if not isinstance(value, str) or not isinstance(pattern, str):
            return False
        compiled = _pattern(pattern)
        if compiled is None:
            return False
        concurrent = len(value) >= CONCURRENT_FROM
        find = compiled.fullmatch if self.whole else compiled.search
        try:
            return find(value, timeout=_remaining(), concurrent=concurrent) is not None
        except TimeoutError:
            raise BudgetSpent("a regex in json_path ran out of its time budget") from None


class _Search(_BoundedRegexFunction):
    whole = False


def _check() -> None:
    """Look at the clock once in CHECK_EVERY calls (inlined in the hottest loops)."""
    if not next(_TICKS) & (CHECK_EVERY - 1):
        _remaining()


class _BoundedChild(JSONPathChildSegment):
    """`.name`, `[...]`: the library's child segment, checking the budget as it goes."""

    __slots__ = ()

    def resolve(self, nodes: Iterable[JSONPathMatch]) -> Iterable[JSONPathMatch]:
        for node in nodes:
            _check()
            lean = _lean(node)
            for selector in self.selectors:
                for match in _select(selector, lean):
                    if not next(_TICKS) & (CHECK_EVERY - 1):
                        _remaining()
                    yield match


class _BoundedDescent(JSONPathRecursiveDescentSegment):
    """`..`: every node below each node, depth first and in document order as the library
    visits them, walked with a stack of iterators and checking the budget as it goes."""

    __slots__ = ()

    def resolve(self, nodes: Iterable[JSONPathMatch]) -> Iterable[JSONPathMatch]:
        for node in nodes:
            for visited in self._visit(_lean(node)):
                for selector in self.selectors:
                    for match in _select(selector, visited):
                        _check()
                        yield match

    def _visit(self, node: JSONPathMatch, depth: int = 1) -> Iterable[JSONPathMatch]:
        yield node
        stack = [_containers(node)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                continue
            yield child
            stack.append(_containers(child))


def _select(selector: JSONPathSelector, node: JSONPathMatch) -> Iterable[JSONPathMatch]:
    """The selector's matches under `node`; a key-only filter with a literal pattern
    (`[?match(#, '...')]`: records picked by name) is a loop over the keys, the same matches
    without a filter context and an expression tree evaluated per record (most of a rule's
    time on a big object). An array's keys are numbers, which match() never matches."""
    keyed = _key_pattern(selector) if type(selector) is Filter else None
    return selector.resolve(node) if keyed is None else _keyed(node, *keyed)


def _key_pattern(selector: JSONPathSelector) -> tuple[regex.Pattern[str], bool] | None:
    """(pattern, whole) of a key-only match()/search() filter with a literal pattern."""
    if not isinstance(selector, Filter) or not isinstance(selector.expression, FilterExpression):
        return None
    call = selector.expression.expression
    name, args = (call.name, call.args) if isinstance(call, FunctionExtension) else ("", [])
    if len(args) != 2 or not isinstance(args[0], CurrentKey):
        return None
    if name not in ("match", "search") or not isinstance(args[1], StringLiteral):
        return None
    compiled = _pattern(args[1].value)
    return None if compiled is None else (compiled, name == "match")


def _keyed(node: JSONPathMatch, pattern: regex.Pattern[str], whole: bool) -> Iterator[Any]:
    value = node.obj
    if not isinstance(value, Mapping):
        return
    find = pattern.fullmatch if whole else pattern.search
    for key, item in value.items():
        if not isinstance(key, str):
            continue
        try:
            found = find(key, timeout=_remaining(), concurrent=len(key) >= CONCURRENT_FROM)
        except TimeoutError:
            raise BudgetSpent("a regex in json_path ran out of its time budget") from None
        if found is not None:
            yield node.new_child(item, key)


def _containers(node: JSONPathMatch) -> Iterator[JSONPathMatch]:
    """The node's members or elements the library descends into (strings included, as
    they are Sequences), checking the budget on every one looked at."""
    value = node.obj
    items: Iterable[tuple[int | str, object]]
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, Sequence) and not isinstance(value, str):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        if not next(_TICKS) & (CHECK_EVERY - 1):
            _remaining()
        if isinstance(item, Mapping | Sequence):
            yield node.new_child(item, key)


def _bounded(segment: JSONPathSegment) -> JSONPathSegment:
    kind: type[JSONPathSegment]
    if isinstance(segment, JSONPathRecursiveDescentSegment):
        kind = _BoundedDescent
    elif isinstance(segment, JSONPathChildSegment):
        kind = _BoundedChild
    else:
        return segment
    return kind(env=segment.env, token=segment.token, selectors=segment.selectors)


class _Parser(Parser):
    def parse_query(self, stream: TokenStream) -> Iterable[JSONPathSegment]:
        """Every query, the rule's and each one inside a filter, in bounded segments."""
        return [_bounded(segment) for segment in super().parse_query(stream)]

    def parse_regex(self, stream: TokenStream) -> BaseExpression:
        raise JSONPathSyntaxError(
            "regex literals (=~ /.../) are not supported; use match() or search()",
            token=stream.current(),
        )


class BoundedEnvironment(JSONPathEnvironment):
    """python-jsonpath's lenient (non-strict) environment with the bounds above."""

    parser_class = _Parser
    max_recursion_depth = 10_000  # the document's own depth is bounded when it is parsed

    def setup_function_extensions(self) -> None:
        super().setup_function_extensions()
        self.function_extensions["match"] = _BoundedRegexFunction()
        self.function_extensions["search"] = _Search()

    def is_truthy(self, obj: object) -> bool:
        _remaining()  # once per filter evaluation
        return super().is_truthy(obj)

    def compare(self, left: object, operator: str, right: object) -> bool:
        return super().compare(_exact(left), operator, _exact(right))


def _exact(value: object) -> object:
    return Decimal(repr(value)) if isinstance(value, float) else value


class _LeanMatch(JSONPathMatch):
    """A match that keeps no children and writes its path only when asked.

    The library appends every match to its parent's `children` (so `$.data[*]` over two
    million records would hold them all) and formats each match's path text as it makes it
    (most of the cost of counting records past the hit cap, which never read it).
    """

    __slots__ = ()
    _NO_CHILDREN: list[JSONPathMatch] = []  # noqa: RUF012 (never appended to: see add_child)

    @property
    def path(self) -> str:
        """The normalized path, e.g. "$['data'][3]"."""
        steps = (f"[{quote(k)}]" if isinstance(k, str) else f"[{k}]" for k in self.parts)
        return "$" + "".join(steps)

    @path.setter
    def path(self, value: str) -> None:
        return None  # made from `parts` when read

    def add_child(self, *children: JSONPathMatch) -> None:
        return None

    def new_child(self, obj: object, key: int | str) -> JSONPathMatch:
        child = _LeanMatch.__new__(_LeanMatch)
        child._filter_context = self._filter_context
        child.children = self._NO_CHILDREN
        child.obj = obj
        child.parent = self
        child.parts = (*self.parts, key)
        child.root = self.root
        return child


def _lean(node: JSONPathMatch) -> JSONPathMatch:
    """The node as a _LeanMatch (the root of a filter's query is made by the library)."""
    if isinstance(node, _LeanMatch):
        return node
    lean = _LeanMatch.__new__(_LeanMatch)
    lean._filter_context = node._filter_context
    lean.children = _LeanMatch._NO_CHILDREN
    lean.obj, lean.parent, lean.parts, lean.root = node.obj, node.parent, node.parts, node.root
    return lean


def finditer(path: JSONPath, data: object) -> Iterator[JSONPathMatch]:
    """The path's matches one at a time, as `JSONPath.finditer` yields them but holding none
    (`data` is parsed JSON, never JSON text: the library would parse a string again)."""
    root = _LeanMatch(
        filter_context={},
        obj=data,
        parent=None,
        path="$",
        parts=(),
        root=data,  # type: ignore[arg-type]  # a scalar document has no children to select
    )
    matches: Iterable[JSONPathMatch] = [root]
    for segment in path.segments:
        matches = segment.resolve(matches)
    yield from matches


@lru_cache(maxsize=1)
def environment() -> BoundedEnvironment:
    return BoundedEnvironment()


@lru_cache(maxsize=512)
def compile_path(expression: str) -> JSONPath:
    """The compiled path, or ValidationError (one line) naming what is wrong.

    >>> str(compile_path("$['gpt-4o']"))
    "$['gpt-4o']"
    """
    if not expression.strip().startswith("$"):  # the library would assume a missing root
        raise ValidationError(f"invalid JSON path {_short(expression)}: must start with '$'")
    try:
        path = environment().compile(expression)
    except JSONPathError as err:
        raise ValidationError(f"invalid JSON path {_short(expression)}: {_one_line(err)}") from None
    except RecursionError:
        raise ValidationError(
            f"invalid JSON path {_short(expression)}: nested too deeply"
        ) from None
    if isinstance(path, CompoundJSONPath) or path.pseudo_root:
        raise ValidationError(
            f"invalid JSON path {_short(expression)}: paths joined with | or & (or"
            " rooted at ^) are not RFC 9535; list the selectors in one segment, e.g. $['a', 'b']"
        )
    for pattern in _literal_patterns(path):
        try:
            regex.compile(pattern)
        except regex.error as err:
            raise ValidationError(
                f"invalid regex {_short(pattern)} in JSON path {_short(expression)}: {err}"
            ) from None
    return path


def _literal_patterns(path: JSONPath) -> Iterator[str]:
    """The string patterns given to match() and search() anywhere in the path."""
    stack: list[BaseExpression] = [
        selector.expression
        for segment in path.segments
        for selector in segment.selectors
        if isinstance(selector, Filter)
    ]
    while stack:
        node = stack.pop()
        if isinstance(node, FunctionExtension) and node.name in ("match", "search"):
            pattern = node.args[1] if len(node.args) == 2 else None
            if isinstance(pattern, StringLiteral):
                yield pattern.value
        stack.extend(node.children())


def _one_line(err: JSONPathError) -> str:
    message = str(err.args[0]) if err.args else type(err).__name__
    token = getattr(err, "token", None)
    index = getattr(token, "index", -1)
    column = f" at column {index + 1}" if isinstance(index, int) and index >= 0 else ""
    return f"{message}{column}"


def _short(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")
