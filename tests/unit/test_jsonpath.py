"""json_path rules in RFC 9535 (python-jsonpath): selection, options, bounds, the old dialect.

Pages are built inline; the stored corpus is read in test_extract.py. Durations are not
asserted: a time bound is asserted by its error code (as in test_extract_limits.py).
"""

from __future__ import annotations

import fnmatch
import importlib.util
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
import regex
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from factcheck.declarations.inputs import rule_fingerprint
from factcheck.domain import Rule, RuleKind, SourceFormat
from factcheck.errors import ExtractError, ValidationError
from factcheck.extraction.legacypath import convert_legacy_path, glob_regex
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
            "json_path rule uses the old dialect; write it as $[?match(#, '(?i).*llama.*405b.*')]",
        ),
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
        "json_path rule uses the old dialect; write it as $[?match(#, '(?i).*llama.*405b.*')]"
    )


# --- the old dialect --------------------------------------------------------------------------

LEGACY = [
    ('$[?key~"*llama*405b*"]', "$[?match(#, '(?i).*llama.*405b.*')]"),
    ('$[?key!~"*-*"]', "$[?!match(#, '(?i).*-.*')]"),
    ('$[?key~"azure_ai/*405b?"]', "$[?match(#, '(?i)azure_ai/.*405b.')]"),
    ('$[?key~"meta.llama[0-9]*"]', "$[?match(#, '(?i)meta\\\\.llama[0-9].*')]"),
    ('$[?key~"[!a]*"]', "$[?match(#, '(?i)[^a].*')]"),
    ("$[?key~'it\\'s (new)']", "$[?match(#, '(?i)it\\'s \\\\(new\\\\)')]"),
    ("$.gpt-4o.input_cost_per_token", "$['gpt-4o'].input_cost_per_token"),
    ('$["a\\"b"][0][*].*[-1]', "$['a\"b'][0][*][*][-1]"),
    ("$", "$"),
    ("$[?match(#, 'x')]", None),
    ("gpt-4o", None),
    ("$.a[?key=1]", None),
]


@pytest.mark.parametrize(("old", "new"), LEGACY)
def test_convert_legacy_path(old: str, new: str | None) -> None:
    assert convert_legacy_path(old) == new


@pytest.mark.parametrize(("old", "new"), [(o, n) for o, n in LEGACY if n is not None])
def test_converted_paths_are_valid_rfc_9535(old: str, new: str) -> None:
    validate_rule(Rule(RuleKind.JSON_PATH, new))


GLOBS = st.text(alphabet="aB1-.*?[]!/", max_size=8)
KEYS = st.text(alphabet="aAbB1-./![]", max_size=8)


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


# --- the migration's frozen converter ---------------------------------------------------------


@pytest.fixture(scope="module")
def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0007", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("old", "new"), LEGACY)
def test_the_frozen_converter_agrees(migration: ModuleType, old: str, new: str | None) -> None:
    assert migration.convert_legacy_path(old) == new


@settings(max_examples=200, deadline=None)
@given(glob=GLOBS)
def test_the_frozen_converter_agrees_on_any_glob(glob: str) -> None:
    spec = importlib.util.spec_from_file_location("migration_0007_h", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    old = f'$[?key~"{glob}"]'
    assert module.convert_legacy_path(old) == convert_legacy_path(old)


def test_the_migration_converts_only_what_reads_differently(migration: ModuleType) -> None:
    assert migration.needs_conversion('$[?key~"*405b*"]')
    assert migration.needs_conversion('$["a\\"b"]')
    for same in ('$["gpt-4o-2024-05-13"]', "$.extract", "$.data[*]", "$[?match(#, 'x')]"):
        assert not migration.needs_conversion(same)


def test_the_migration_downgrades_only_trivial_rules(migration: ModuleType) -> None:
    for old in ('$[?key~"*llama*405b*"]', '$.a[?key!~"azure_ai/*405b?"]'):
        assert migration.legacy_form(convert_legacy_path(old)) == old
    assert migration.legacy_form("$[?match(#, '(?i)a+')]") is None
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
