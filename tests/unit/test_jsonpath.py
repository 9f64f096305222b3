"""json_path rules in RFC 9535 (python-jsonpath): selection, options, bounds, the old dialect.

Pages are built inline; the stored corpus is read in test_extract.py. A time bound is
asserted by its error code, and for paths whose work grows faster than the document (nested
descents) by the rule ending within seconds (SLACK) where it used to run for tens of seconds.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
import regex
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from factcheck.declarations.inputs import rule_fingerprint
from factcheck.domain import Rule, RuleKind, SourceFormat
from factcheck.errors import ExtractError, ValidationError
from factcheck.extraction.jsonenv import compile_path
from factcheck.extraction.legacypath import convert_legacy_path, glob_regex, needs_conversion
from factcheck.extraction.limits import DEFAULT_LIMITS, Limits, RuleResult
from factcheck.extraction.rules import Document, parse_document, run_rule, validate_rule

MIGRATION = (
    Path(__file__).parents[2] / "migrations" / "versions" / "20261129_0007_jsonpath_rfc9535.py"
)
BLEND = {"in": 3, "out": 1}
PRICES = {
    "gpt-4o": {"provider": "openai", "in": 5e-06, "out": 1.5e-05},
    "together/Meta-Llama-3.1-405B-Turbo": {"provider": "together", "in": 3.5e-06, "out": 3.5e-06},
    "bedrock/meta.llama3-1-405b-v1:0": {"provider": "bedrock", "in": 5.32e-06, "out": 1.6e-05},
    "vertex/llama-405b-preview": {"provider": "vertex", "in": 0.0},
    "meta": {"sizes": [{"name": "8B"}, {"name": "405B", "deep": {"name": "inner"}}]},
}


def doc(data: object) -> Document:
    return parse_document(json.dumps(data).encode(), fmt=SourceFormat.JSON, encoding="utf-8")


def run(data: object, path: str, limits: Limits = DEFAULT_LIMITS, **options: object) -> RuleResult:
    page = data if isinstance(data, Document) else doc(data)
    return run_rule(page, Rule(RuleKind.JSON_PATH, path, dict(options)), limits=limits)


def keys(path: str, **options: object) -> list[str | None]:
    return [h.key for h in run(PRICES, path, **options).hits]


def error(data: object, path: str, limits: Limits = DEFAULT_LIMITS) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        run(data, path, limits)
    return caught.value


LLAMAS = ["together/Meta-Llama-3.1-405B-Turbo", "bedrock/meta.llama3-1-405b-v1:0"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$[?match(#, '(?i).*llama.*405b.*')]", [*LLAMAS, "vertex/llama-405b-preview"]),
        ("$[?search(#, '405[B]-')]", ["together/Meta-Llama-3.1-405B-Turbo"]),
        ("$[?!search(#, '/')]", ["gpt-4o", "meta"]),
        ("$['gpt-4o']", ["gpt-4o"]),
        ("$.gpt-4o", ["gpt-4o"]),  # a dashed name: lenient, as python-jsonpath reads it
        ('$["bedrock/meta.llama3-1-405b-v1:0"].provider', ["provider"]),
        ("$[?@.in > 4e-6]", ["gpt-4o", "bedrock/meta.llama3-1-405b-v1:0"]),
        ("$[?@.in == 3.5e-6]", ["together/Meta-Llama-3.1-405B-Turbo"]),  # a Decimal equals it
        ("$[?@.provider == 'vertex' || @.out < 4e-6]", [LLAMAS[0], "vertex/llama-405b-preview"]),
        ("$.meta.sizes[*].name", ["name", "name"]),
        ("$.meta.sizes[-1].name", ["name"]),
        ("$..name", ["name", "name", "name"]),
        ("$..deep", ["deep"]),
        ("$.meta.sizes[?@.name == '405B']", ["1"]),
    ],
)
def test_selection(path: str, expected: list[str]) -> None:
    assert keys(path) == expected


def test_hits_carry_the_record_key_the_normalized_path_and_the_value() -> None:
    (hit,) = run(PRICES, "$['gpt-4o']", field="in").hits
    assert (hit.key, hit.raw, hit.value) == ("gpt-4o", "0.000005", Decimal("0.000005"))
    assert hit.location == "json:$['gpt-4o']['in']"
    (size,) = run(PRICES, "$.meta.sizes[1].name").hits
    assert (size.location, size.raw, size.value) == (
        "json:$['meta']['sizes'][1]['name']",
        "405B",
        None,
    )


def test_weights_blend_each_record_and_key_field_names_it() -> None:
    hits = run(PRICES, "$[?search(#, '(?i)405b')]", weights=BLEND, key_field="provider").hits
    assert [(h.key, h.value) for h in hits] == [
        ("together", Decimal("0.0000035")),
        ("bedrock", (3 * Decimal("5.32e-06") + Decimal("1.6e-05")) / 4),
    ]  # vertex has no output price: skipped
    assert hits[0].location == "json:$['together/Meta-Llama-3.1-405B-Turbo']"


def test_where_filters_the_selected_records() -> None:
    hits = run(PRICES, "$[*]", where={"provider": ["openai", "bedrock"]}, field="out").hits
    assert [h.value for h in hits] == [Decimal("0.000015"), Decimal("0.000016")]


def test_nothing_selected_is_rule_no_match() -> None:
    err = error(PRICES, "$[?match(#, 'claude.*')]")
    assert (err.code, str(err)) == (
        "rule_no_match",
        "json_path \"$[?match(#, 'claude.*')]\" matched nothing",
    )


def test_a_document_that_is_one_string_is_not_read_as_json_twice() -> None:
    page = doc('{"a": [1, 2]}')  # a JSON string whose text looks like JSON
    assert [h.raw for h in run(page, "$").hits] == ['{"a": [1, 2]}']
    assert error(page, "$.a").code == "rule_no_match"


# --- caps and time ----------------------------------------------------------------------------


def test_hits_past_the_cap_are_counted_not_kept() -> None:
    page = doc({f"m{i}": {"v": i} for i in range(3000)})
    result = run(page, "$[?@.v >= 1000]", Limits(max_hits=10), field="v")
    assert [h.value for h in result.hits] == [Decimal(i) for i in range(1000, 1010)]
    assert result.dropped == 1990


def test_a_catastrophic_regex_under_match_is_rule_timeout() -> None:
    bomb = r"\\d+\\s*(?:million|billion)"  # quadratic on a run of digits (a string literal)
    page = doc({"1" * 100_000: "on a key", "v": "2" * 100_000})
    limits = Limits(rule_timeout_s=0.05)
    for path in (f"$[?search(#, '{bomb}')]", f"$[?match(@, '.*{bomb}.*')]"):
        err = error(page, path, limits)
        assert err.code == "rule_timeout"
        assert str(err).endswith("ran out of its 0.05 s budget")


def test_filters_over_a_large_document_stop_at_the_budget() -> None:
    page = doc([{"v": i, "w": [i, {"x": i}]} for i in range(100_000)])
    assert error(page, "$[?count(@..*) > 100]", Limits(rule_timeout_s=0.01)).code == "rule_timeout"


def test_the_budget_spent_while_counting_keeps_the_hits() -> None:
    page = doc([{"v": 7} for _ in range(200_000)])
    result = run(page, "$[?@.v == 7]", Limits(max_hits=5, rule_timeout_s=0.02), field="v")
    assert len(result.hits) == 5
    assert result.notes == (
        "counting stopped at the 0.02 s budget, so more were dropped than counted",
    )


def test_descent_reaches_as_deep_as_a_document_may_nest() -> None:
    deep: object = {"x": 1}
    for _ in range(190):
        deep = {"a": deep}
    (hit,) = run(deep, "$..x").hits
    assert hit.value == 1


def nested(depth: int, key: str, leaf: object) -> object:
    value = leaf
    for _ in range(depth):
        value = {key: value}
    return value


# The rules below ran 20-45 s before the budget held; a few times the 0.3 s budget leaves room
# for a loaded CI machine: these tests are about stopping, not speed (benchmarks/ measure that).
SLACK = 3.0


def timed(
    data: object, path: str, budget: float, max_hits: int = 1000
) -> tuple[float, RuleResult | ExtractError]:
    page, limits = doc(data), Limits(max_hits=max_hits, rule_timeout_s=budget)
    started = time.monotonic()
    try:
        outcome: RuleResult | ExtractError = run(page, path, limits)
    except ExtractError as err:
        outcome = err
    return time.monotonic() - started, outcome


def test_nested_descents_on_a_deep_document_stop_within_the_budget() -> None:
    """~400 bytes nested 199 deep: 1.3 million matches, 20 s before the budget held."""
    seconds, outcome = timed(nested(199, "a", 1), "$..*..*..*", budget=0.3, max_hits=100)
    assert seconds < SLACK
    assert isinstance(outcome, RuleResult)  # the kept hits stay, with a note
    assert (len(outcome.hits), outcome.notes) == (
        100,
        ("counting stopped at the 0.3 s budget, so more were dropped than counted",),
    )


def test_a_descent_below_each_descent_stops_within_the_budget() -> None:
    """~350 KB of {"data": nested 190 deep: 44 s before (the cube of the depth per chain)."""
    chains = [nested(190, "data", {"x": i}) for i in range(200)]
    assert len(json.dumps(chains)) > 300_000
    seconds, outcome = timed(chains, "$..data..price", budget=0.3)
    assert seconds < SLACK
    assert isinstance(outcome, ExtractError) and outcome.code == "rule_timeout"


def test_a_filter_query_that_explodes_stops_within_the_budget() -> None:
    seconds, outcome = timed([nested(150, "a", 1)], "$[?count(@..*..*..*) > 0]", budget=0.3)
    assert seconds < SLACK
    assert isinstance(outcome, ExtractError) and outcome.code == "rule_timeout"


DOCUMENTS = st.recursive(
    st.integers(0, 9) | st.text(alphabet="ab", max_size=2),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "data"]), inner, max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=DOCUMENTS, path=st.sampled_from(["$..*", "$..a", "$..data..a", "$..[0]", "$.*..b"]))
def test_bounded_selection_is_the_librarys(data: object, path: str) -> None:
    """Same nodes in the same order as python-jsonpath's own segments select."""
    from jsonpath import JSONPathEnvironment

    from factcheck.extraction.jsonenv import budget, finditer

    with budget(10):
        ours = [m.path for m in finditer(compile_path(path), data)]
    theirs = [m.path for m in JSONPathEnvironment().finditer(path, data)]
    assert ours == theirs


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("gpt-4o", "invalid JSON path 'gpt-4o': must start with '$'"),
        ("$[?match(#, '(')]", "invalid regex '('"),
        (
            "$[?@.a =~ /x.*/]",
            "regex literals (=~ /.../) are not supported; use match() or search()",
        ),
        ("$.a | $.b", "paths joined with | or & (or rooted at ^) are not RFC 9535"),
        ("$[?nope(#)]", "function 'nope' is not defined"),
        (
            '$[?key~"*llama*405b*"]',
            "json_path rule uses the old dialect; write it as $[?match(#, '(?is).*llama.*405b.*')]",
        ),
        ("$.by_year.2024", "json_path rule uses the old dialect; write it as $.by_year['2024']"),
    ],
)
def test_bad_paths_are_refused_in_one_line(path: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_rule(Rule(RuleKind.JSON_PATH, path), fmt=SourceFormat.JSON)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_old_dialect_message_is_exactly_the_new_form() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_rule(Rule(RuleKind.JSON_PATH, '$[?key~"*llama*405b*"]'))
    assert str(caught.value) == (
        "json_path rule uses the old dialect; write it as $[?match(#, '(?is).*llama.*405b.*')]"
    )


# --- the old dialect --------------------------------------------------------------------------

LEGACY = [
    ('$[?key~"*llama*405b*"]', "$[?match(#, '(?is).*llama.*405b.*')]"),
    ('$[?key!~"*-*"]', "$[?match(#, '(?s).*') && !match(#, '(?is).*-.*')]"),
    ('$[?key~"azure_ai/*405b?"]', "$[?match(#, '(?is)azure_ai/.*405b.')]"),
    ('$[?key~"meta.llama[0-9]*"]', "$[?match(#, '(?is)meta\\\\.llama[0-9].*')]"),
    ('$[?key~"[!a]*"]', "$[?match(#, '(?is)[^a].*')]"),
    ("$[?key~'it\\'s (new)']", "$[?match(#, '(?is)it\\'s \\\\(new\\\\)')]"),
    ("$.gpt-4o.input_cost_per_token", "$['gpt-4o'].input_cost_per_token"),
    ('$["a\\"b"][0][*].*[-1]', "$['a\"b'][0][*][*][-1]"),
    ("$.by_year.2024", "$.by_year['2024']"),
    ("$.0.a", "$['0'].a"),
    ("$.1e5", "$['1e5']"),
    ("$.a-1.b_2._c", "$['a-1'].b_2._c"),
    ("$[007][-0][ -01 ]", "$[7][0][-1]"),
    ('$["a\tb"]', "$['a\\tb']"),  # a raw tab: the RFC wants it escaped
    ('$["\\n"]', "$.n"),  # the old backslash escaped the next character
    (" $.a ", "$.a"),
    ("$", "$"),
    ("$[?match(#, 'x')]", None),
    ("gpt-4o", None),
    ("$.a[?key=1]", None),
    ("$.-a", None),
]


@pytest.mark.parametrize(("old", "new"), LEGACY)
def test_convert_legacy_path(old: str, new: str | None) -> None:
    assert convert_legacy_path(old) == new


@pytest.mark.parametrize(("old", "new"), [(o, n) for o, n in LEGACY if n is not None])
def test_converted_paths_are_valid_rfc_9535(old: str, new: str) -> None:
    validate_rule(Rule(RuleKind.JSON_PATH, new))


GLOBS = st.text(alphabet="aB1-.*?[]!/", max_size=8)
KEYS = st.text(alphabet="aAbB1-./![]\n", max_size=8)


@settings(max_examples=400, deadline=None)
@given(glob=GLOBS, key=KEYS)
def test_a_converted_glob_matches_what_the_old_glob_matched(glob: str, key: str) -> None:
    converted = glob_regex(glob)
    assume(converted is not None)  # a set with a reversed range, which fnmatch drops
    old = fnmatch.fnmatchcase(key.casefold(), glob.casefold())  # the old `~`
    assert bool(regex.fullmatch(converted or "", key)) == old


def test_converted_rules_select_the_same_records() -> None:
    for glob in ("*llama*405b*", "*405B*", "gpt-4?"):
        old = [k for k in PRICES if fnmatch.fnmatchcase(k.casefold(), glob.casefold())]
        assert keys(convert_legacy_path(f'$[?key~"{glob}"]') or "") == old


def test_a_converted_glob_matches_keys_with_newlines() -> None:
    page = {"line\none": 1, "line two": 2, "other": 3}
    assert keys_of(page, '$[?key~"line*"]') == ["line\none", "line two"]
    assert keys_of(page, '$[?key~"line?one"]') == ["line\none"]


def test_a_converted_negated_glob_still_selects_nothing_on_a_list() -> None:
    page = {"l": [1, 2], "d": {"x": 1, "y": 2}}
    assert error(page, convert_legacy_path('$.l[?key!~"x"]') or "").code == "rule_no_match"
    assert keys_of(page, '$.d[?key!~"x"]') == ["y"]


def test_converted_names_select_what_the_old_names_did() -> None:
    page = {"by_year": {"2024": 5}, "0": {"a": 6}, "1e5": 7, "l": [8]}
    for old, value in (("$.by_year.2024", 5), ("$.0.a", 6), ("$.1e5", 7), ("$.l[00]", 8)):
        (hit,) = run(page, convert_legacy_path(old) or "").hits
        assert hit.value == value
    assert error(page, convert_legacy_path("$.l.0") or "").code == "rule_no_match"  # a name


def keys_of(data: object, old: str) -> list[str | None]:
    return [h.key for h in run(data, convert_legacy_path(old) or "").hits]


NAMES = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,5}", fullmatch=True)
OLD_STEPS = st.one_of(
    NAMES.map(lambda name: f".{name}"),
    st.text(alphabet="ab1-.\\\"' \t\n", max_size=5).map(lambda t: json.dumps(t)),
    st.from_regex(r"\[ ?-?[0-9]{1,3} ?\]", fullmatch=True),
    st.sampled_from([".*", "[*]", "[ * ]"]),
    GLOBS.map(lambda glob: f'[?key{"~"}"{glob}"]'),
    GLOBS.map(lambda glob: f'[?key!~"{glob}"]'),
)
OLD_RULES = st.lists(OLD_STEPS, max_size=4).map(lambda steps: "$" + "".join(steps))


@settings(max_examples=300, deadline=None)
@given(rule=OLD_RULES)
def test_every_old_rule_is_converted_or_read_the_same(rule: str) -> None:
    """What migration 0007 leaves is read as the old code read it; what it rewrites runs."""
    converted = convert_legacy_path(rule)
    assume(converted is not None)  # a glob set that fnmatch dropped
    compiled_new = str(compile_path(converted or ""))
    if not needs_conversion(rule):
        assert str(compile_path(rule)) == compiled_new


# --- the migration's frozen converter ---------------------------------------------------------


def load_migration(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def migration() -> ModuleType:
    return load_migration("migration_0007")


@pytest.mark.parametrize(("old", "new"), LEGACY)
def test_the_frozen_converter_agrees(migration: ModuleType, old: str, new: str | None) -> None:
    assert migration.convert_legacy_path(old) == new


@settings(max_examples=200, deadline=None)
@given(glob=GLOBS)
def test_the_frozen_converter_agrees_on_any_glob(glob: str) -> None:
    module = load_migration("migration_0007_h")
    old = f'$[?key~"{glob}"]'
    assert module.convert_legacy_path(old) == convert_legacy_path(old)


def test_the_migration_converts_only_what_reads_differently(migration: ModuleType) -> None:
    for old in ('$[?key~"*405b*"]', '$["a\\"b"]', "$.by_year.2024", "$.0.a", "$.1e5", "$[01]"):
        assert migration.needs_conversion(old)
    for same in ('$["gpt-4o-2024-05-13"]', "$.extract", "$.data[*]", "$[?match(#, 'x')]"):
        assert not migration.needs_conversion(same)


@settings(max_examples=200, deadline=None)
@given(rule=OLD_RULES)
def test_the_frozen_converter_agrees_on_any_old_rule(rule: str) -> None:
    module = load_migration("migration_0007_r")
    assert module.convert_legacy_path(rule) == convert_legacy_path(rule)
    assert module.needs_conversion(rule) == needs_conversion(rule)


def test_the_migration_downgrades_only_trivial_rules(migration: ModuleType) -> None:
    for old in ('$[?key~"*llama*405b*"]', '$.a[?key!~"azure_ai/*405b?"]'):
        assert migration.legacy_form(convert_legacy_path(old)) == old
    assert migration.legacy_form("$[?match(#, '(?i).*405b.*')]") == '$[?key~"*405b*"]'
    assert migration.legacy_form("$[?match(#, '(?i)a+')]") is None
    assert migration.legacy_form("$[?!match(#, '(?i)a')]") is None  # on a list: all, not none
    assert migration.legacy_form("$[?@.in > 1]") is None


def test_the_frozen_fingerprint_is_the_apps(migration: ModuleType) -> None:
    options = {"weights": BLEND, "unit": "USD/token"}
    for rule in ("$.a", "$[?match(#, '(?i)é.*')]"):
        assert migration._fingerprint("json_path", rule, options) == rule_fingerprint(
            "json_path", rule, options
        )


# --- start-up ---------------------------------------------------------------------------------


def test_help_and_rule_modules_do_not_import_the_library() -> None:
    probe = (
        "import sys, contextlib, io\n"
        "import factcheck.extraction.rules\n"
        "from factcheck.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    app(['--help'], prog_name='factcheck')\n"
        "assert 'jsonpath' not in sys.modules, 'jsonpath imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-1000:]


def test_a_key_filter_runs_as_a_loop_over_keys_with_the_librarys_matches() -> None:
    """`[?match(#, ...)]` and `[?search(#, ...)]` take the fast path (jsonenv._select): the
    same records, in the same order, at the same paths as the library's filter gives."""
    from factcheck.extraction import jsonenv

    data = {
        "a-405b": {"p": 1},
        "b": {"p": 2},
        "c-405B-x": {"p": 3},
        "list": [{"p": 4}],
        "nested": {"d-405b": {"p": 5}},
    }
    for expression in (
        "$[?match(#, '(?i).*405b.*')]",
        "$[?search(#, '405')]",
        "$..[?match(#, '.*405b')]",
        "$.list[?match(#, '0')]",
    ):
        path = jsonenv.compile_path(expression)
        assert all(
            jsonenv._key_pattern(selector) is not None
            for segment in path.segments
            for selector in segment.selectors
            if isinstance(selector, jsonenv.Filter)
        )
        with jsonenv.budget(10):
            fast = [(m.path, m.obj) for m in jsonenv.finditer(path, data)]
            library = jsonenv.environment().compile(expression)
            slow = [(m.path, m.obj) for m in library.finditer(data)]
        assert fast == slow, expression
    with jsonenv.budget(10):
        found = jsonenv.finditer(jsonenv.compile_path("$[?search(#, '405')]"), data)
        assert [m.obj for m in found] == [{"p": 1}, {"p": 3}]
