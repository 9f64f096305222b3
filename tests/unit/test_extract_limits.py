"""Hostile pages: every rule bounded in time, hits, characters and nesting; text storable.

Each test builds the page it needs. Nothing here asserts a duration: a timeout is asserted by
its error code, the GIL's release by another thread making progress meanwhile, memory by a
child process that dies if it goes over its address-space limit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factcheck.config import Settings
from factcheck.domain import ErrorCode, Hit, Role, Rule, RuleKind, SourceFormat
from factcheck.errors import ExtractError
from factcheck.extraction.limits import DEFAULT_LIMITS, HitCollector, Limits, RuleResult, json_depth
from factcheck.extraction.rules import Document, parse_document, run_rule
from factcheck.extraction.snippets import clean_text
from factcheck.extraction.tables import MAX_TABLE_CELLS
from factcheck.verification.planning import LinkPlan
from factcheck.verification.source_unit import extract_links, limits_for

HTML, JSON, TEXT = SourceFormat.HTML, SourceFormat.JSON, SourceFormat.TEXT
# Quadratic for a backtracking engine on a run of digits: every start position scans the rest.
BOMB = r"(?P<value>\d+)\s*(?:million|billion)"


def doc(body: str | bytes, fmt: SourceFormat, limits: Limits = DEFAULT_LIMITS) -> Document:
    data = body.encode() if isinstance(body, str) else body
    return parse_document(data, fmt=fmt, encoding="utf-8", limits=limits)


def run(
    document: Document,
    kind: RuleKind,
    expression: str,
    limits: Limits = DEFAULT_LIMITS,
    **options: object,
) -> RuleResult:
    return run_rule(document, Rule(kind, expression, dict(options)), limits=limits)


def error_of(document: Document, kind: RuleKind, expression: str, limits: Limits) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        run(document, kind, expression, limits)
    return caught.value


# --- regex: time budget and text cap -------------------------------------------------------


def test_a_backtracking_regex_runs_out_of_its_budget_as_rule_timeout() -> None:
    page = doc("1" * 200_000, TEXT)
    err = error_of(page, RuleKind.REGEX, BOMB, Limits(rule_timeout_s=0.05))
    assert err.code == ErrorCode.RULE_TIMEOUT.value == "rule_timeout"
    assert "budget" in str(err)


def test_a_regex_releases_the_gil_while_it_matches() -> None:
    """Another thread keeps running during a long match (the run lock's heartbeat, SIGTERM)."""
    page = doc("1" * 200_000, TEXT)
    matching = threading.Event()
    finished = threading.Event()
    ticks = 0

    def heartbeat() -> None:
        nonlocal ticks
        matching.wait()
        while not finished.is_set():
            ticks += 1
            finished.wait(0.001)

    beat = threading.Thread(target=heartbeat)
    beat.start()
    try:
        matching.set()
        with pytest.raises(ExtractError):
            run(page, RuleKind.REGEX, BOMB, Limits(rule_timeout_s=1.0))
    finally:
        finished.set()
        beat.join()
    # Holding the GIL for the whole match would leave the heartbeat one or two ticks at most.
    assert ticks >= 20


def test_a_timeout_while_counting_past_the_cap_keeps_the_hits() -> None:
    page = doc("7" * 1_900_000, TEXT)  # ~2 million one-digit matches to count
    result = run(page, RuleKind.REGEX, r"(?P<value>\d)", Limits(max_hits=10, rule_timeout_s=0.05))
    assert len(result.hits) == 10
    assert result.dropped > 0
    assert result.notes == (
        "counting stopped at the 0.05 s budget, so more were dropped than counted",
    )


def test_text_beyond_the_regex_cap_is_cut_and_the_cut_is_said() -> None:
    page = doc("x" * 100 + " 5 million users " + "y" * 100 + " 7 million users", TEXT)
    limits = Limits(max_regex_text_chars=150)
    result = run(page, RuleKind.REGEX, r"(?P<value>\d+ million) users", limits)
    assert [h.raw for h in result.hits] == ["5 million"]
    assert result.notes == ("regex searched the first 150 of 233 characters",)
    assert result.note() == "regex searched the first 150 of 233 characters"
    err = error_of(page, RuleKind.REGEX, r"(?P<value>7 million)", limits)
    assert err.code == "rule_no_match"
    assert str(err).endswith("matched nothing (regex searched the first 150 of 233 characters)")


def test_named_groups_and_flags_keep_working_with_the_regex_package() -> None:
    page = doc("Users: 5 MILLION\nusers: 7 million", TEXT)
    result = run(page, RuleKind.REGEX, r"^users: (?P<n>\d+ million)$", group="n", flags="im")
    assert [h.raw for h in result.hits] == ["5 MILLION", "7 million"]


# --- hit caps: kept, dropped, counted ------------------------------------------------------


def test_css_keeps_max_hits_and_counts_the_other_matches() -> None:
    page = doc("<ul>" + "".join(f"<li>{i} users</li>" for i in range(3000)) + "</ul>", HTML)
    result = run(page, RuleKind.CSS, "li", Limits(max_hits=100))
    assert len(result.hits) == 100
    assert result.dropped == 2900
    assert result.hits[-1].raw == "99 users"
    assert result.note() == "2,900 more hits dropped (kept 100)"


def test_json_path_counts_records_past_the_cap_without_building_hits() -> None:
    records = [{"n": i} if i % 2 else {"other": i} for i in range(5000)]
    page = doc(json.dumps({"data": records}), JSON)
    result = run(page, RuleKind.JSON_PATH, "$.data[*]", Limits(max_hits=10), field="n")
    assert [h.value for h in result.hits] == [Decimal(i) for i in range(1, 20, 2)]
    assert result.dropped == 2500 - 10  # only records with the field would have been hits


def test_json_path_where_and_weights_count_only_would_be_hits() -> None:
    records = {f"m{i}": {"mode": "chat" if i < 50 else "embed", "a": 1, "b": i} for i in range(80)}
    records["m1"] = {"mode": "chat", "a": 1}  # no "b": cannot be blended
    page = doc(json.dumps(records), JSON)
    result = run(
        page,
        RuleKind.JSON_PATH,
        "$.*",
        Limits(max_hits=5),
        where={"mode": "chat"},
        weights={"a": 1, "b": 1},
    )
    assert len(result.hits) == 5
    assert result.dropped == 49 - 5


def test_contains_and_table_rules_are_capped_too() -> None:
    page = doc("open weights. " * 50, TEXT)
    result = run(page, RuleKind.CONTAINS, "open weights", Limits(max_hits=3))
    assert (len(result.hits), result.dropped) == (3, 47)
    rows = "".join(f"<tr><td>m{i}</td><td>{i}B</td></tr>" for i in range(40))
    table = doc(f"<table><tr><th>Model</th><th>Size</th></tr>{rows}</table>", HTML)
    result = run(table, RuleKind.TABLE, "table", Limits(max_hits=4), column="Size")
    assert [h.raw for h in result.hits] == ["0B", "1B", "2B", "3B"]
    assert result.dropped == 36


def test_hit_text_is_cut_and_a_link_keeps_at_most_its_characters() -> None:
    page = doc("<p>" + "7" * 5000 + " users</p>" + "<p>big</p>" * 10, HTML)
    limits = Limits(max_hit_chars=100, max_link_chars=250)
    result = run(page, RuleKind.CSS, "p", limits)
    first = result.hits[0]
    assert len(first.raw) == len(first.excerpt) == 100
    assert first.raw.endswith("…")
    assert len(result.hits) == 1 + 10 - result.dropped
    assert sum(len(h.raw) + len(h.excerpt) for h in result.hits) <= 250
    assert result.dropped > 0


def test_a_regex_match_of_megabytes_stays_a_small_hit() -> None:
    page = doc("<" + "a" * 1_500_000 + ">", TEXT)
    result = run(page, RuleKind.REGEX, r"<(?P<value>a+)>")
    (hit,) = result.hits
    assert len(hit.raw) == len(hit.excerpt) == DEFAULT_LIMITS.max_hit_chars
    assert result.note() is None  # under max_regex_text_chars: nothing was cut before matching


def test_numeric_links_with_dropped_hits_fail_as_too_many_hits() -> None:
    page = doc(json.dumps([{"n": i} for i in range(50)]), JSON)

    def link(numeric: bool) -> LinkPlan:
        rule = Rule(RuleKind.JSON_PATH, "$[*]", {"field": "n"})
        return LinkPlan(1, "c", Role.VALUE.value, rule, "f", None, numeric, None)

    numeric, text = extract_links(page, [link(True), link(False)], limits=Limits(max_hits=10))
    assert numeric.error_code == ErrorCode.TOO_MANY_HITS.value == "too_many_hits"
    assert numeric.error_message == "json_path found 50 hits; 40 more hits dropped (kept 10)"
    assert (numeric.hits, numeric.dropped) == ((), 40)
    assert text.error_code is None
    assert (len(text.hits), text.dropped) == (10, 40)
    assert text.note == "40 more hits dropped (kept 10)"


def test_settings_defaults_are_the_extraction_defaults() -> None:
    assert limits_for(Settings()) == DEFAULT_LIMITS
    assert limits_for(Settings(max_hits_per_rule=7, rule_timeout_s=0.5)) == Limits(
        max_hits=7, rule_timeout_s=0.5
    )


def test_a_two_million_record_json_page_extracts_in_bounded_memory() -> None:
    """In a child process whose address space is capped at 1.5 GiB: before the caps this
    page took 5.5 GB; the parsed JSON alone is ~0.5 GB. Counting the records past the cap
    runs within the rule's budget too, so on a slow machine fewer are counted, with a note."""
    script = textwrap.dedent(
        """
        import json, resource
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
        from factcheck.domain import Rule, RuleKind, SourceFormat
        from factcheck.extraction.rules import parse_document, run_rule
        body = b'{"data": [' + b",".join([b'{"v":7}'] * 2_000_000) + b"]}"
        assert len(body) < 20 * 2**20, len(body)  # under max_data_bytes
        doc = parse_document(body, fmt=SourceFormat.JSON, encoding="utf-8")
        del body
        result = run_rule(doc, Rule(RuleKind.JSON_PATH, "$.data[*]", {"field": "v"}))
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(json.dumps({"hits": len(result.hits), "dropped": result.dropped, "mib": peak_mib,
                          "notes": result.notes}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["hits"] == 1000
    if figures["dropped"] < 1_999_000:  # counting the rest stopped at the rule's budget
        assert figures["dropped"] > 0
        assert figures["notes"] == [
            "counting stopped at the 2 s budget, so more were dropped than counted"
        ]
    else:
        assert (figures["dropped"], figures["notes"]) == (1_999_000, [])
    assert figures["mib"] < 1024


# --- nesting -------------------------------------------------------------------------------


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[\\"]]]"}], "c": {}}') == 3
    assert json_depth("7") == 0


def _depth(value: object) -> int:
    if isinstance(value, dict | list):
        children = value.values() if isinstance(value, dict) else value
        return 1 + max(map(_depth, children), default=0)
    return 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ aé\x00'),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet='[]{}"\\ b', max_size=4), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, ascii_only=st.booleans())
def test_json_depth_agrees_with_the_parsed_value(value: object, ascii_only: bool) -> None:
    assert json_depth(json.dumps(value, ensure_ascii=ascii_only)) == _depth(value)


def test_json_nested_deeper_than_the_limit_is_a_parse_error() -> None:
    limits = Limits(max_nesting_depth=200)
    assert doc("[" * 200 + "]" * 200, JSON, limits).data is not None
    for depth in (201, 990, 100_000):
        with pytest.raises(ExtractError) as caught:
            doc("[" * depth + "]" * depth, JSON, limits)
        assert caught.value.code == "parse_error"
        assert str(caught.value) == f"JSON nested deeper than 200 ({depth})"


def test_html_nested_beyond_lxml_parses_and_beyond_the_limit_is_a_parse_error() -> None:
    def page(depth: int) -> str:
        return "<html><body>" + "<div>" * depth + "5 million" + "</div>" * depth + "</body></html>"

    deep = doc(page(900), HTML)  # lxml stops at 256; the fallback builds it without recursion
    assert deep.parser == "beautifulsoup"
    assert deep.text == "5 million"
    assert run(deep, RuleKind.CSS, "div").hits[0].raw == "5 million"
    for depth in (1_000, 100_000):
        with pytest.raises(ExtractError) as caught:
            doc(page(depth), HTML)
        assert caught.value.code == "parse_error"
        assert str(caught.value) == "HTML nested deeper than 1000 elements"


def test_no_recursion_error_escapes_a_rule() -> None:
    """The last line: whatever recursion remains (excerpts render nested JSON) is parse_error."""
    page = doc('{"a":' * 150 + "1" + "}" * 150, JSON)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(120)  # an excerpt renders ~80 levels, two frames each: it recurses out
    try:
        with pytest.raises(ExtractError) as caught:
            run(page, RuleKind.JSON_PATH, "$.a")
    finally:
        sys.setrecursionlimit(limit)
    assert caught.value.code == "parse_error"


def test_a_table_whose_spans_expand_past_the_cap_is_a_parse_error() -> None:
    cells = "<td colspan=1000>x</td>" * (MAX_TABLE_CELLS // 1000 + 1)
    page = doc(f"<table><tr><th>Size</th></tr><tr>{cells}</tr></table>", HTML)
    with pytest.raises(ExtractError) as caught:
        run(page, RuleKind.TABLE, "table", column="Size")
    assert caught.value.code == "parse_error"
    assert str(caught.value) == "a table spans more than 1,000,000 cells"


def test_html_tables_in_text_are_found_in_one_pass() -> None:
    # `<table.*?</table>` rescans the rest of the text from every unclosed <table: quadratic
    text = "<table><tr><th>Size</th></tr><tr><td>7B</td></tr></table>" + "<table" * 100_000
    result = run(doc(text, TEXT), RuleKind.TABLE, "table", column="Size")
    assert [h.raw for h in result.hits] == ["7B"]


# --- storable text -------------------------------------------------------------------------


def test_clean_text_replaces_nul_and_lone_surrogates_and_counts_them() -> None:
    assert clean_text("plain") == ("plain", 0)
    assert clean_text("é\x00\ud800x\udfff") == ("é\ufffd\ufffdx\ufffd", 3)
    assert clean_text("😀") == ("😀", 0)  # a real astral character is not a surrogate


def test_json_hits_with_nul_and_surrogates_are_cleaned_and_counted() -> None:
    page = doc(r'{"k\u0000": "a\ud800b", "ok": "\u0000"}', JSON)
    result = run(page, RuleKind.JSON_PATH, "$.*")
    assert [(h.raw, h.key) for h in result.hits] == [("a\ufffdb", "k\ufffd"), ("\ufffd", "ok")]
    assert all("\x00" not in h.location for h in result.hits)
    assert result.replaced >= 4  # raw, key, location (and excerpt) of the first; raw of the second
    assert "unstorable characters replaced with U+FFFD" in (result.note() or "")


def test_the_collector_stops_at_zero_hits_allowed() -> None:
    collector = HitCollector(Limits(max_hits=0))
    assert collector.full
    collector.add(Hit("x", "x", "here"))
    assert (collector.hits, collector.dropped) == ([], 1)
