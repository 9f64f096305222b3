"""Print how long parse + CSS select takes on a generated ~30 KB HTML page.

Compares the hot path (`parse_document` + `apply_rule`: lxml + cssselect) with
BeautifulSoup + soupsieve (what a BeautifulSoup-first design would do) and with the
fallback path (BeautifulSoup's tree converted to lxml, then the same compiled selector).

    python benchmarks/extract_speed.py [--runs 50] [--rules 10]
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
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
