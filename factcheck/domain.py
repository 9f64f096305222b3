"""Enums and frozen values shared by every layer: the vocabulary of factcheck.

Figures are `Decimal`, never float. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar, cast


def utcnow() -> datetime:
    """The clock. Only the edges read it (a CLI command, a scheduler job, a run's clock);
    everything below takes `now: datetime` (or a run's `clock`) as an argument."""
    return datetime.now(UTC)


V = TypeVar("V")


class ClaimKind(StrEnum):
    QUANTITY = "quantity"
    QUANTITY_SET = "quantity_set"
    RATIO = "ratio"
    TEXT = "text"
    DATE = "date"
    PREDICTION = "prediction"


class ClaimStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class Label(StrEnum):
    SUPPORTED = "supported"
    REFUTED = "refuted"
    MIXED = "mixed"
    NOT_ENOUGH_INFO = "not_enough_info"
    PENDING = "pending"


class SourceFormat(StrEnum):
    HTML = "html"
    JSON = "json"
    CSV = "csv"
    TEXT = "text"  # plain text or Markdown


class RuleKind(StrEnum):
    CSS = "css"
    JSON_PATH = "json_path"
    REGEX = "regex"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    TABLE = "table"


class Role(StrEnum):
    """What a link's evidence stands for in the judgement of its claim."""

    VALUE = "value"  # the claimed value itself (quantity, set, text, date)
    NUMERATOR = "numerator"  # ratio: the thing claimed cheaper/larger ...
    DENOMINATOR = "denominator"  # ratio: ... than this
    CONTRADICTS = "contradicts"  # text: a phrase that, when present, refutes


class Stance(StrEnum):
    SUPPORTS = "supports"
    REFUTES = "refutes"
    NEUTRAL = "neutral"  # found, but cannot decide alone (e.g. self-published, other unit)
    NONE = "none"  # nothing usable (an error, or no match)


class ErrorCode(StrEnum):
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_STATUS = "http_status"
    TOO_LARGE = "too_large"
    TRUNCATED = "truncated"
    REDIRECT_LOOP = "redirect_loop"
    ROBOTS_BLOCKED = "robots_blocked"
    BLOCKED_ADDRESS = "blocked_address"
    BLOCKED_SCHEME = "blocked_scheme"
    DECODE_ERROR = "decode_error"
    PARSE_ERROR = "parse_error"
    RULE_NO_MATCH = "rule_no_match"
    NO_QUANTITY = "no_quantity"
    INTERNAL_ERROR = "internal_error"  # the source made our code raise something unexpected
    INTERRUPTED = "interrupted"  # the run stopped (SIGTERM) while the source was in flight
    # extraction bounds (hostile pages)
    RULE_TIMEOUT = "rule_timeout"  # a regex rule ran out of its time budget
    TOO_MANY_HITS = "too_many_hits"  # a numeric rule found more figures than are kept
    # fetching: a hostile source fails alone (issue 9)
    INVALID_URL = "invalid_url"  # the declared source URL cannot be parsed or requested
    INVALID_REDIRECT = "invalid_redirect"  # a redirect's Location cannot be parsed or requested


class Trigger(StrEnum):
    MANUAL = "manual"
    SCHEDULE = "schedule"
    CATCH_UP = "catch_up"


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


class SetBy(StrEnum):
    SYSTEM = "system"
    EDITOR = "editor"


class VerdictAction(StrEnum):
    """What a verdict row does: the system judged, an editor overrode, or lifted an override."""

    JUDGED = "judged"  # the system's judgement in a run
    OVERRIDE = "override"  # an editor's verdict, standing over the system's until lifted
    LIFT = "lift"  # an editor lifted the override: the system's newest verdict stands again


class Bound(StrEnum):
    """How a parsed amount relates to the true figure."""

    EXACT = "exact"
    APPROXIMATE = "approximate"  # 约, about, roughly, ~
    AT_LEAST = "at_least"  # 超过, over, more than
    AT_MOST = "at_most"  # 不到, under, less than
    RANGE = "range"  # 数亿: lower..upper


class Relation(StrEnum):
    """How a claimed figure relates to the true one ("above 90", "about 50%", "405B is among
    the sizes"). Tolerances are relative for quantities and absolute for ratios."""

    EXACT = "exact"  # the figure itself, within `tolerance` (None: exactly)
    ABOUT = "about"  # within `tolerance` (default 10%): about, roughly, ~, 约
    NEARLY = "nearly"  # just short of it, towards zero (default 10%): nearly, almost, 近
    AT_LEAST = "at_least"  # >= x: at least, no less than, 不少于, 至少
    MORE_THAN = "more_than"  # > x: more than, over, above, 超过
    AT_MOST = "at_most"  # <= x: at most, up to, no more than, 最多, 不超过
    LESS_THAN = "less_than"  # < x: less than, under, below, 不到, 低于
    BETWEEN = "between"  # amount <= x <= upper (inclusive)
    INCLUDES = "includes"  # sets: every claimed value is among the values found (extras allowed)


class Quantifier(StrEnum):
    """How many records of multi-record evidence must satisfy the claim."""

    ALL = "all"  # every record ("cheaper on every provider")
    ANY = "any"  # at least one record
    MOST = "most"  # more than half
    SHARE = "share"  # at least `ClaimSpec.share` of them ("at least 80%")


@dataclass(frozen=True)
class RecordCondition:
    """A declared condition a record must meet to count towards a quantifier.

    `key ~ *preview*` / `key !~ *preview*` match the record's key (a hit's key: a provider, a
    row label) with a shell-style glob, case-insensitively; `value > 0` (also = != >= < <=)
    compares the record's figure, in the claim's canonical unit, with `operand`. Records that
    fail a condition are excluded, and the reason names them.
    """

    field: str  # "key" | "value"
    op: str  # "~" "!~" for keys; "=" "!=" ">" ">=" "<" "<=" for values
    operand: str  # a glob, or canonical decimal text
    text: str = ""  # as declared, for reasons


class FrozenMap(Mapping[str, V], Generic[V]):
    """An immutable, hashable mapping: a sorted tuple of (key, value) pairs.

    Frozen values hold these instead of dicts so that they can be hashed, compared and used as
    keys. Nested tables become FrozenMaps and lists become tuples; `as_dict()` gives the plain
    JSON-shaped dict back (for storage and output).

    >>> FrozenMap({"b": 1, "a": [2, 3]}) == {"a": (2, 3), "b": 1}
    True
    >>> FrozenMap({"a": {"x": "1"}}).as_dict()
    {'a': {'x': '1'}}
    """

    __slots__ = ("_items",)
    _items: tuple[tuple[str, V], ...]

    def __init__(self, items: Mapping[str, V] | Iterable[tuple[str, V]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        frozen = sorted((str(k), cast(V, _freeze(v))) for k, v in pairs)
        object.__setattr__(self, "_items", tuple(frozen))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrozenMap is immutable")

    def __getitem__(self, key: str) -> V:
        for name, value in self._items:
            if name == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._items == other._items
        return isinstance(other, Mapping) and dict(self._items) == dict(other.items())

    def __repr__(self) -> str:
        return f"FrozenMap({dict(self._items)!r})"

    def as_dict(self) -> dict[str, object]:
        """Plain dicts and lists all the way down (what JSON and TOML take)."""
        return {name: _thaw(value) for name, value in self._items}


def _freeze(value: object) -> object:
    if isinstance(value, Mapping):
        return FrozenMap(value)
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: object) -> object:
    if isinstance(value, FrozenMap):
        return value.as_dict()
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def frozen(mapping: Mapping[str, V]) -> FrozenMap[V]:
    """`mapping` as a FrozenMap (itself when it is one already)."""
    return mapping if isinstance(mapping, FrozenMap) else FrozenMap(mapping)


@dataclass(frozen=True)
class Quantity:
    """A number found in text: `amount` scaled to units (405B -> 405000000000).

    `unit` is a canonical unit name ("parameters", "USD", "USD/token", "%", "users/month") or
    None for a bare number. `lower`/`upper` bound the true figure when `bound` is not EXACT.
    `span` is the (start, end) of the matched text in the input.
    """

    amount: Decimal
    unit: str | None = None
    bound: Bound = Bound.EXACT
    lower: Decimal | None = None
    upper: Decimal | None = None
    span: tuple[int, int] = (0, 0)
    text: str = ""
    given: str = ""  # the figure as declared, when converted to `unit` ("10 USD/M tokens")

    @property
    def approximate(self) -> bool:
        return self.bound is not Bound.EXACT


@dataclass(frozen=True)
class Rule:
    """A declared extraction rule: kind, expression and kind-specific options.

    Options by kind (all optional):
      css        attr: read an attribute instead of the text; all: bool (every match)
      json_path  weights: {field: weight} to blend fields of each selected record;
                 key_field: the field (or "$key") that names each record
      regex      group: named group holding the value (default "value")
      contains   case_sensitive: bool
      table      column: header text; row: row label (first cell); where: {header: value}

    `options` is frozen (a FrozenMap, given as any mapping), so a rule is hashable. A link's
    `unit` is not a rule option: see `declarations.inputs.split_link_options`.
    """

    kind: RuleKind
    expression: str
    options: Mapping[str, object] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", frozen(self.options))


@dataclass(frozen=True)
class Hit:
    """One thing a rule found: the raw text, an excerpt around it, and where it was."""

    raw: str
    excerpt: str
    location: str  # e.g. "css:table tr:nth-child(3) td", "json:$.gpt-4o", "line 82"
    key: str | None = None  # names the record when a rule selects several (e.g. a provider)
    value: Decimal | None = None  # set when the rule computed a figure itself (json weights)


@dataclass(frozen=True)
class Fetched:
    """The result of fetching a source: the body bytes and what the server said about them."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]  # frozen (a FrozenMap) on construction
    body: bytes
    sha256: str
    fetched_at: datetime
    encoding: str | None = None  # the charset the text decodes with (header, document, detection)
    not_modified: bool = False  # a 304: body is empty, reuse the previous extraction
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", frozen(self.headers))

    def text(self) -> str:
        """The body decoded with the chosen charset (gb18030 for GBK/GB2312)."""
        return self.body.decode(self.encoding or "utf-8", errors="replace")


@dataclass(frozen=True)
class ExpectedValue:
    """What would prove a claim: one of the shapes below, by claim kind."""

    amount: Decimal | None = None  # quantity, ratio (the claimed ratio, e.g. 0.5)
    amounts: tuple[Decimal, ...] = ()  # quantity_set
    unit: str | None = None
    pattern: str | None = None  # text: the phrase the source must contain
    when: date | None = None  # date
    precision: str | None = None  # date: "day" | "month" | "year"
    comparison: str = "approx"  # ratio, as declared: "approx" | "lt" | "gt" (see `relation`)
    relation: Relation = Relation.EXACT  # how the true figure relates to `amount` / `amounts`
    upper: Decimal | None = None  # BETWEEN: the upper end (`amount` is the lower)
    text: str = ""  # the expected value as written ("4050 亿", "above 90"), when in words


@dataclass(frozen=True)
class EvidenceItem:
    """One source's contribution to judging one claim (good evidence or an error)."""

    source_key: str
    source_title: str
    role: Role
    fetched_at: datetime
    hits: tuple[Hit, ...] = ()
    quantities: tuple[Quantity | None, ...] = ()  # one per hit, when normalised
    error_code: ErrorCode | None = None
    error_message: str | None = None
    self_published: bool = False  # published by the claimant about itself
    authoritative: bool = False  # a primary record for what it defines (model card, licence)
    url: str = ""


@dataclass(frozen=True)
class Judgement:
    """A verdict before it is stored: label, confidence in [0, 1], a reason with the figures."""

    label: Label
    confidence: Decimal
    reason: str
    figures: Mapping[str, str] = field(default_factory=FrozenMap)  # frozen on construction
    stances: tuple[Stance, ...] = ()  # one per EvidenceItem given to the judge, same order

    def __post_init__(self) -> None:
        object.__setattr__(self, "figures", frozen(self.figures))


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as the judge sees it: what was said and what would prove it."""

    key: str
    kind: ClaimKind
    expected: ExpectedValue
    subject: str = ""
    property: str = ""
    tolerance: Decimal | None = None  # relative, e.g. 0.1 = within 10% of the expected figure
    due: date | None = None  # predictions: judged as `inner_kind` from this date on
    inner_kind: ClaimKind | None = None  # predictions only
    statement: str = ""
    statement_en: str = ""
    quantifier: Quantifier | None = None  # multi-record evidence: how many records must agree
    share: Decimal | None = None  # Quantifier.SHARE: the least share, in (0, 1]
    conditions: tuple[RecordCondition, ...] = ()  # records failing one are excluded
