"""Print how long parse + CSS select takes on a generated ~30 KB HTML page, and how long
json_path rules take on a generated price list shaped like litellm's (3,000 records).

Compares the hot path (`parse_document` + `apply_rule`: lxml + cssselect) with
BeautifulSoup + soupsieve (what a BeautifulSoup-first design would do) and with the
fallback path (BeautifulSoup's tree converted to lxml, then the same compiled selector).
The JSON part times `apply_rule` alone (the page parsed once, as a run does) for the rule
forms the seed claims use: a key regex with weights, a name, a filter on a field.

    python benchmarks/extract_speed.py [--runs 50] [--rules 10] [--only html|json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable

from bs4 import BeautifulSoup
from lxml.cssselect import CSSSelector

from factcheck.domain import Rule, RuleKind, SourceFormat
from factcheck.extraction.htmltext import element_text, parse_html_soup
from factcheck.extraction.rules import apply_rule, parse_document

SELECTORS = {  # name -> selector
    "one cell": "table.prices tr:nth-child(40) td:nth-child(3)",
    "a column": "table.prices tr td:nth-child(3)",
}


def make_page(target_bytes: int = 30_000) -> bytes:
    """A page with navigation, prose and a price table, grown to about `target_bytes`."""
    head = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Model prices</title>"
        "<style>td{padding:2px}</style></head><body><nav><ul>"
        + "".join(f"<li><a href='/m/{i}'>Model {i}</a></li>" for i in range(20))
        + "</ul></nav><h1>Prices per million tokens</h1>"
    )
    prose = "".join(
        f"<p>Provider {i} serves the <b>{i * 7}B</b> model at a blended price; "
        f"see <a href='/p/{i}'>details</a>.</p>"
        for i in range(30)
    )
    rows: list[str] = []
    i = 0
    while len(head) + len(prose) + sum(map(len, rows)) < target_bytes - 200:
        rows.append(
            f"<tr><td>provider-{i}</td><td>model-{i % 17}-{i}b</td>"
            f"<td>{i % 9}.{i % 100:02d}</td><td>{(i * 3) % 20}.50</td></tr>"
        )
        i += 1
    table = "<table class='prices'><thead><tr><th>Provider</th><th>Model</th><th>Input</th>"
    table += "<th>Output</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    return (head + prose + table + "</body></html>").encode("utf-8")


JSON_RULES = {  # name -> (path, options)
    "key regex + weights": (
        "$[?match(#, '(?i).*llama.*405b.*')]",
        {"weights": {"input_cost_per_token": 3, "output_cost_per_token": 1}},
    ),
    "one name": ("$['gpt-4o-2024-05-13']", {"field": "input_cost_per_token"}),
    "filter on a field": ("$[?@.input_cost_per_token > 4.9e-6]", {"field": "mode"}),
}


def make_prices(records: int = 3_000) -> bytes:
    """A price list shaped like litellm's: provider/model keys, per-token prices; 1% of the
    keys name a 405B model, 2% of the records cost more than 4.9e-6 per input token."""
    models = ["gpt-4o-2024-05-13", "claude-3-5-sonnet", "mistral-large", "llama-3.1-70b"]
    data: dict[str, object] = {}
    for i in range(records):
        model = "Meta-Llama-3.1-405B-Instruct" if i % 100 == 7 else models[i % len(models)]
        key = model if i < len(models) else f"provider-{i % 40}/{model}-v{i}"
        data[key] = {
            "max_tokens": 4096 + i,
            "input_cost_per_token": float(f"{(i % 50 + 1) / 10**7:.2e}"),
            "output_cost_per_token": float(f"{(i % 70 + 1) / 10**7:.2e}"),
            "litellm_provider": f"provider-{i % 40}",
            "mode": "chat" if i % 5 else "embedding",
        }
    return json.dumps(data, indent=4).encode("utf-8")


def json_rule_ms(body: bytes, path: str, options: dict[str, object], *, runs: int) -> float:
    doc = parse_document(body, fmt=SourceFormat.JSON, encoding="utf-8")
    rule = Rule(RuleKind.JSON_PATH, path, options)
    apply_rule(doc, rule)  # warm: the compiled path is cached, as across a run's claims
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        apply_rule(doc, rule)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def lxml_path(body: bytes, selector: str, rules: int) -> int:
    """The hot path: parse once, apply `rules` css rules (Hits with excerpts)."""
    doc = parse_document(body, fmt=SourceFormat.HTML, encoding="utf-8")
    return sum(len(apply_rule(doc, Rule(RuleKind.CSS, selector))) for _ in range(rules))


def soup_path(body: bytes, selector: str, rules: int) -> int:
    """BeautifulSoup first: parse, soupsieve select, text only (no excerpts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(body, "lxml")
    return sum(
        len([" ".join(el.get_text().split()) for el in soup.select(selector)]) for _ in range(rules)
    )


def fallback_path(body: bytes, selector: str, rules: int) -> int:
    """Our fallback: BeautifulSoup's tree converted to lxml, then a compiled selector."""
    root = parse_html_soup(body, "utf-8")
    select = CSSSelector(selector, translator="html")
    return sum(len([element_text(el) for el in select(root)]) for _ in range(rules))


PATHS: dict[str, Callable[[bytes, str, int], int]] = {
    "lxml + cssselect (hot path, Hits)": lxml_path,
    "BeautifulSoup + soupsieve (text)": soup_path,
    "BeautifulSoup -> lxml (fallback)": fallback_path,
}


def median_ms(
    fn: Callable[[bytes, str, int], int], body: bytes, selector: str, *, runs: int, rules: int
) -> float:
    fn(body, selector, rules)  # warm caches (compiled selectors, imports)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(body, selector, rules)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per path (median)")
    parser.add_argument("--rules", type=int, default=1, help="css rules applied per parse")
    parser.add_argument("--only", choices=("html", "json"))
    args = parser.parse_args()
    if args.only != "json":
        html(runs=args.runs, rules=args.rules)
    if args.only != "html":
        prices(runs=args.runs)


def prices(*, runs: int) -> None:
    body = make_prices()
    parse = parse_document(body, fmt=SourceFormat.JSON, encoding="utf-8")
    assert isinstance(parse.data, dict)
    print(f"\nprice list: {len(body):,} bytes, {len(parse.data):,} records; median of {runs} runs")
    for name, (path, options) in JSON_RULES.items():
        hits = len(apply_rule(parse, Rule(RuleKind.JSON_PATH, path, options)))
        ms = json_rule_ms(body, path, options, runs=runs)
        print(f"  {name:20} {path:40} {hits:5} hits {ms:8.2f} ms/page")


def html(*, runs: int, rules: int) -> None:
    args = argparse.Namespace(runs=runs, rules=rules)
    body = make_page()
    print(f"page: {len(body):,} bytes; median of {args.runs} runs; {args.rules} rule(s)/parse")
    for name, selector in SELECTORS.items():
        counts = {fn(body, selector, 1) for fn in PATHS.values()}
        assert len(counts) == 1, f"paths disagree on {selector!r}: {counts}"
        print(f"\n{name}: {selector!r} ({counts.pop()} matches)")
        base = 0.0
        for label, fn in PATHS.items():
            ms = median_ms(fn, body, selector, runs=args.runs, rules=args.rules)
            base = base or ms
            print(f"  {label:36} {ms:8.2f} ms/page  {ms / base:5.1f}x")


if __name__ == "__main__":
    main()
