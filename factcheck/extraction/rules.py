"""Extraction: fetched bytes -> a parsed `Document` (once per source) -> `Hit`s per rule.

Pure functions: no network, no database. A body is parsed once with `parse_document`
and every rule of every claim on that source runs against the same `Document`; what a rule
kind needs beyond the parse (page text, tables) is computed lazily and kept on it.

HTML is parsed with lxml and selected with cssselect-compiled XPath (compiled selectors are
cached): both run in C, 5-30x faster than BeautifulSoup (benchmarks/extract_speed.py), which
is only the fallback for pages lxml cannot parse whole (see `factcheck.extraction.htmltext`).

Rule kinds, expressions and `Rule.options` (an unknown option is a ValidationError):

css (html)  expression: a CSS selector. Each matched element with non-empty text is a hit,
            location "css:<selector>[i]"; excerpt from the parent's text.
              attr: str      read this attribute instead of the text (elements without it
                             are skipped)
              all: bool      every match (default true); false keeps the first
json_path (json)  expression: an RFC 9535 JSONPath (python-jsonpath, with `#` for the current
            key: $[?match(#, '(?i).*405b.*')]); see `factcheck.extraction.jsonpath` for the
            paths, the hits (location "json:$['gpt-4o']") and the options `field`, `where`,
            `weights` (exact Decimal blend in Hit.value, e.g. {input_cost_per_token = 3,
            output_cost_per_token = 1} gives (3*in+out)/4) and `key_field` (Hit.key). JSON
            numbers are Decimals, never floats; a number read with `field` is also put in
            Hit.value.
regex (any)  expression: a Python regex (run by the `regex` package, see
            `extraction.regexrule`) with a named group. Each match is a hit; its raw
            text is the group, the excerpt ~80 characters either side of the match.
              group: str     the named group (default "value"); must be in the pattern
              flags: str     any of "i" (ignore case), "s" (dot matches newline), "m"
contains (any)  expression: a phrase. Whitespace-insensitive (any run of whitespace matches
            any other) and quote-insensitive (typographic quotes and apostrophes match
            ASCII ones). Every occurrence is a hit, location "char 1234, line 82"; none is
            rule_no_match.
              case_sensitive: bool (default false)
not_contains (any)  as contains, but inverted: an absent phrase returns () and that is its
            success; a present phrase returns its hits, which the caller treats as
            contradicting evidence. It never raises rule_no_match.
table (html, text, csv)  expression: html: a CSS selector for the tables (default "table";
            a matched non-table element contributes the tables inside it); text: "table"
            (every Markdown pipe table and raw HTML <table> in the text, in order); csv:
            "table" (the file). Options `column`, `row`, `row_contains`, `where`; see
            `extraction.tables` (spans are expanded, headers from <thead> or the first row).

regex, contains and not_contains search the document's text: for html the page text
(script/style dropped, a line break per block element and a space per cell, whitespace
collapsed within lines), so "char"/"line" count in that text; otherwise the decoded body.

Hostile pages are bounded by `Limits` (see `factcheck.extraction.limits`), passed in by the
caller: a regex runs with the `regex` package under a time budget with the GIL released
(`rule_timeout_s`, else ExtractError("rule_timeout")) on at most `max_regex_text_chars` of
text (a cut is noted), and so do a json_path rule's filters and match()/search() patterns;
every kind keeps at most `max_hits` hits of bounded size and counts the rest in
`RuleResult.dropped`; JSON and HTML nested deeper than their limits are
ExtractError("parse_error"), and no RecursionError leaves `parse_document` or `run_rule`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache

import cssselect
from lxml import etree
from lxml.cssselect import CSSSelector

from factcheck.domain import Hit, Rule, RuleKind, SourceFormat
from factcheck.errors import ExtractError, ValidationError
from factcheck.extraction import jsonpath
from factcheck.extraction.htmltext import decode_text, element_text, page_text, parse_html
from factcheck.extraction.limits import (
    DEFAULT_LIMITS,
    HitCollector,
    Limits,
    RuleResult,
    json_depth,
)
from factcheck.extraction.regexrule import apply_regex_rule, compile_regex
from factcheck.extraction.snippets import (
    DOUBLE_QUOTES,
    SINGLE_QUOTES,
    LineIndex,
    collapse,
    excerpt,
    excerpt_of,
    head,
    normalise_quotes,
)
from factcheck.extraction.tables import OPTIONS as TABLE_OPTIONS
from factcheck.extraction.tables import (
    Table,
    apply_table_rule,
    csv_table,
    html_table,
    html_table_spans,
    markdown_tables,
)
from factcheck.extraction.tables import check_options as check_table_options

_ANY = frozenset(SourceFormat)
_FORMATS = {
    RuleKind.CSS: frozenset({SourceFormat.HTML}),
    RuleKind.JSON_PATH: frozenset({SourceFormat.JSON}),
    RuleKind.REGEX: _ANY,
    RuleKind.CONTAINS: _ANY,
    RuleKind.NOT_CONTAINS: _ANY,
    RuleKind.TABLE: frozenset({SourceFormat.HTML, SourceFormat.TEXT, SourceFormat.CSV}),
}
_OPTIONS = {
    RuleKind.CSS: frozenset({"attr", "all"}),
    RuleKind.JSON_PATH: jsonpath.OPTIONS,
    RuleKind.REGEX: frozenset({"group", "flags"}),
    RuleKind.CONTAINS: frozenset({"case_sensitive"}),
    RuleKind.NOT_CONTAINS: frozenset({"case_sensitive"}),
    RuleKind.TABLE: TABLE_OPTIONS,
}


class Document:
    """A body parsed once for its format: `root` (html), `data` (json), `rows` (csv), text.

    `parser` says which HTML parser built `root` ("lxml", or "beautifulsoup" on fallback).
    """

    __slots__ = ("_lines", "_tables", "_text", "data", "fmt", "parser", "root", "rows")

    def __init__(
        self,
        fmt: SourceFormat,
        *,
        text: str | None = None,
        root: etree._Element | None = None,
        data: object = None,
        rows: tuple[tuple[str, ...], ...] = (),
        parser: str | None = None,
    ) -> None:
        self.fmt = fmt
        self.root = root
        self.data = data
        self.rows = rows
        self.parser = parser
        self._text = text
        self._lines: LineIndex | None = None
        self._tables: dict[str, tuple[Table, ...]] = {}

    @property
    def text(self) -> str:
        """The searchable text: the page text for HTML, else the decoded body."""
        if self._text is None:
            self._text = page_text(self.root) if self.root is not None else ""
        return self._text

    def line(self, offset: int) -> int:
        if self._lines is None:
            self._lines = LineIndex(self.text)
        return self._lines.line(offset)

    def tables(self, selector: str) -> tuple[Table, ...]:
        """The tables a table rule reads, built on first use and kept."""
        if selector not in self._tables:
            self._tables[selector] = self._build_tables(selector)
        return self._tables[selector]

    def _build_tables(self, selector: str) -> tuple[Table, ...]:
        if self.fmt is SourceFormat.CSV:
            return (csv_table(self.rows),)
        if self.fmt is SourceFormat.HTML and self.root is not None:
            elements: dict[etree._Element, None] = {}  # ordered and O(1) to test
            for el in _css(selector)(self.root):
                for e in [el] if el.tag == "table" else el.iter("table"):
                    elements.setdefault(e)
            return tuple(html_table(el) for el in elements)
        found = markdown_tables(self.text)
        for start, end in html_table_spans(self.text):
            fragment = etree.fromstring(
                self.text[start:end], etree.HTMLParser(remove_comments=True)
            )
            table = fragment.find(".//table") if fragment is not None else None
            if table is not None:
                found.append((start, html_table(table)))
        return tuple(table for _, table in sorted(found, key=lambda pair: pair[0]))


def parse_document(
    body: bytes, *, fmt: SourceFormat, encoding: str | None, limits: Limits = DEFAULT_LIMITS
) -> Document:
    """Parse a fetched body once; malformed or too deeply nested JSON, HTML or CSV raises
    ExtractError("parse_error"), never RecursionError."""
    try:
        return _parse_document(body, fmt=SourceFormat(fmt), encoding=encoding, limits=limits)
    except RecursionError:  # the last line: every known path is bounded before it recurses
        raise ExtractError("parse_error", f"{fmt} nested too deeply to read") from None


def _parse_document(
    body: bytes, *, fmt: SourceFormat, encoding: str | None, limits: Limits
) -> Document:
    if fmt is SourceFormat.HTML:
        root, parser = parse_html(body, encoding, max_depth=limits.max_html_depth)
        return Document(fmt, root=root, parser=parser)
    text = decode_text(body, encoding)
    if fmt is SourceFormat.JSON:
        depth = json_depth(text)
        if depth > limits.max_nesting_depth:
            raise ExtractError(
                "parse_error", f"JSON nested deeper than {limits.max_nesting_depth} ({depth})"
            )
        try:
            data = json.loads(text, parse_float=Decimal, parse_constant=Decimal)
        except json.JSONDecodeError as err:
            raise ExtractError(
                "parse_error", f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"
            ) from None
        except ValueError as err:  # e.g. an integer beyond Python's digit limit
            raise ExtractError("parse_error", f"invalid JSON: {err}") from None
        return Document(fmt, text=text, data=data)
    if fmt is SourceFormat.CSV:
        try:
            rows = tuple(tuple(r) for r in csv.reader(io.StringIO(text, newline="")) if any(r))
        except csv.Error as err:
            raise ExtractError("parse_error", f"invalid CSV: {err}") from None
        return Document(fmt, text=text, rows=rows)
    return Document(fmt, text=text)


def apply_rule(doc: Document, rule: Rule, *, limits: Limits = DEFAULT_LIMITS) -> tuple[Hit, ...]:
    """The hits `run_rule` keeps, for callers that do not report what the caps dropped."""
    return run_rule(doc, rule, limits=limits).hits


def run_rule(doc: Document, rule: Rule, *, limits: Limits = DEFAULT_LIMITS) -> RuleResult:
    """The hits of one rule within `limits`, and what was dropped, cut or replaced.

    No hits raises ExtractError("rule_no_match") (not for not_contains); a regex over its
    time budget ExtractError("rule_timeout"); a tree too deep to walk ("parse_error").
    """
    _validated(rule, doc.fmt)
    collector = HitCollector(limits)
    try:
        _collect(doc, rule, collector)
    except RecursionError:  # the last line: no walk below recurses with the document's depth
        raise ExtractError("parse_error", f"{doc.fmt} nested too deeply to read") from None
    return collector.result()


def _collect(doc: Document, rule: Rule, collector: HitCollector) -> None:
    kind, options = RuleKind(rule.kind), rule.options
    if kind is RuleKind.CSS:
        _apply_css(doc, rule.expression, options, collector)
    elif kind is RuleKind.JSON_PATH:
        jsonpath.apply_json_rule(doc.data, rule.expression, options, collector)
    elif kind is RuleKind.REGEX:
        apply_regex_rule(
            doc.text, line=doc.line, pattern=rule.expression, options=options, collector=collector
        )
    elif kind is RuleKind.TABLE:
        selector = rule.expression.strip() or "table"
        what = repr(selector) if doc.fmt is SourceFormat.HTML else f"in {doc.fmt.value}"
        apply_table_rule(doc.tables(selector), options, collector, what=what)
    else:
        case_sensitive = options.get("case_sensitive") is True
        _find_phrase(doc, rule.expression, collector, case_sensitive=case_sensitive)
        if kind is RuleKind.CONTAINS and not collector.hits:
            raise ExtractError("rule_no_match", f"contains {_short(rule.expression)} not found")


@lru_cache(maxsize=4096)
def _validated(rule: Rule, fmt: SourceFormat) -> None:
    """validate_rule once per (rule, format): a run applies the same rules to many pages (a
    rule that fails raises every time: a raised exception is not cached)."""
    validate_rule(rule, fmt=fmt)


def validate_rule(rule: Rule, *, fmt: SourceFormat | None = None) -> None:
    """Raise ValidationError (one line) if the rule cannot run, before anything is stored."""
    try:
        kind = RuleKind(rule.kind)
    except ValueError:
        raise ValidationError(f"unknown rule kind {rule.kind!r}") from None
    if fmt is not None and SourceFormat(fmt) not in _FORMATS[kind]:
        allowed = ", ".join(sorted(f.value for f in _FORMATS[kind]))
        raise ValidationError(f"a {kind.value} rule cannot apply to {fmt} sources ({allowed})")
    options = rule.options
    if not isinstance(options, Mapping):
        raise ValidationError(f"{kind.value} rule options must be a table")
    unknown = sorted(set(options) - _OPTIONS[kind])
    if unknown:
        allowed = ", ".join(sorted(_OPTIONS[kind]))
        raise ValidationError(
            f"unknown option {unknown[0]!r} for a {kind.value} rule (allowed: {allowed})"
        )
    expression = rule.expression
    if kind is not RuleKind.TABLE and not (isinstance(expression, str) and expression.strip()):
        raise ValidationError(f"a {kind.value} rule needs an expression")
    if kind is RuleKind.CSS:
        _check_css(expression)
        if "attr" in options and not (isinstance(options["attr"], str) and options["attr"]):
            raise ValidationError("css option 'attr' must be an attribute name")
        _check_bool(options, "all", kind)
    elif kind is RuleKind.JSON_PATH:
        jsonpath.check_path(expression)
        jsonpath.check_options(options)
    elif kind is RuleKind.REGEX:
        compile_regex(expression, options)
    elif kind is RuleKind.TABLE:
        check_table_options(options)
        selector = expression.strip() or "table"
        if fmt in (SourceFormat.TEXT, SourceFormat.CSV) and selector != "table":
            raise ValidationError(
                f"a table rule on {fmt} sources takes the expression 'table', not {selector!r}"
            )
        _check_css(selector)
    else:
        _check_bool(options, "case_sensitive", kind)


def _apply_css(
    doc: Document, selector: str, options: Mapping[str, object], collector: HitCollector
) -> None:
    assert doc.root is not None  # validate_rule allows css on html only
    attr = options.get("attr")
    elements = _css(selector)(doc.root)
    contexts: dict[etree._Element, str] = {}  # siblings share their parent's (collapsed) text
    for i, el in enumerate(elements):
        if collector.full:  # count the rest as matched elements, without reading their text
            collector.skip(len(elements) - i)
            break
        raw = collapse(el.get(attr, "")) if isinstance(attr, str) else element_text(el)
        if not raw:
            continue
        parent = el.getparent()
        context = el if parent is None or parent.tag in ("body", "html") else parent
        if context not in contexts:
            contexts[context] = collapse(" ".join(context.itertext()))  # C-speed; cells apart
        shown = excerpt_of(contexts[context], raw, collapsed=True)
        collector.add(Hit(raw, shown, f"css:{selector}[{i}]"))
        if options.get("all") is False:
            break
    if collector.hits:
        return
    if not elements:
        raise ExtractError("rule_no_match", f"css {_short(selector)} matched nothing")
    empty = f"attribute {attr!r}" if isinstance(attr, str) else "text"
    raise ExtractError(
        "rule_no_match",
        f"css {_short(selector)} matched {len(elements)} elements, none with {empty}",
    )


def _find_phrase(
    doc: Document, phrase: str, collector: HitCollector, *, case_sensitive: bool
) -> None:
    """Linear: the phrase pattern is literal words joined by whitespace runs."""
    text = doc.text
    for m in _phrase_pattern(phrase, case_sensitive).finditer(text):
        if collector.full:
            collector.skip()
            continue
        where = f"char {m.start()}, line {doc.line(m.start())}"
        raw = collapse(head(m.group(0), collector.limits.max_hit_chars))
        collector.add(Hit(raw, excerpt(text, m.start(), m.end()), where))


@lru_cache(maxsize=256)
def _phrase_pattern(phrase: str, case_sensitive: bool) -> re.Pattern[str]:
    """A regex for the phrase: any whitespace run between words, any quote style."""
    classes = {"'": f"[{SINGLE_QUOTES}]", '"': f"[{DOUBLE_QUOTES}]"}
    words = normalise_quotes(phrase).split()
    body = r"\s+".join("".join(classes.get(c) or re.escape(c) for c in w) for w in words)
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE)


@lru_cache(maxsize=512)
def _css(selector: str) -> CSSSelector:
    """A compiled selector; cssselect's CSS->XPath translation is the slow part, so keep it."""
    try:
        return CSSSelector(selector, translator="html")
    except cssselect.SelectorError as err:
        raise ValidationError(f"invalid CSS selector {_short(selector)}: {err}") from None


def _check_css(selector: str) -> None:
    _css(selector)


def _check_bool(options: Mapping[str, object], name: str, kind: RuleKind) -> None:
    if name in options and not isinstance(options[name], bool):
        raise ValidationError(f"{kind.value} option {name!r} must be true or false")


def _short(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")
