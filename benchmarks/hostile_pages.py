"""Print what hostile pages cost one extraction with the default limits (a script, not a test).

Each page runs in a child process of its own, so its peak RSS is its own:

    json     two million records matched by one json_path rule (~16 MB, under max_data_bytes)
    html     250,000 elements matched by one css rule
    regex    (?P<value>\\d+)\\s*(?:million|billion) over 2 MB of digits: quadratic without a
             timeout, stopped by rule_timeout_s (the time includes parsing the page)
    jsondeep `$..*..*..*` over ~400 bytes nested 199 deep: 1.3 million matches (the cube of
             the depth), stopped by rule_timeout_s with the first hits kept
    jsonnest `$..data..price` over ~350 KB of {"data": nested 190 deep: a descent below each
             descent, stopped by rule_timeout_s

Before the limits the first took 5.5 GB (killed), the second 1.1 GB and a 100 MB row of hits,
the third minutes with the GIL held, the fourth 20 s and the fifth 44 s (the review's
figures, before every json_path segment checked the budget). The json page's records past
the cap are counted within the budget too, so fewer may be counted, with a note.

    python benchmarks/hostile_pages.py [--only json|html|regex|jsondeep|jsonnest]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from factcheck.domain import Rule, RuleKind, SourceFormat
from factcheck.errors import ExtractError
from factcheck.extraction.limits import DEFAULT_LIMITS
from factcheck.extraction.rules import parse_document, run_rule

PAGES = ("json", "html", "regex", "jsondeep", "jsonnest")


def page(name: str) -> tuple[bytes, SourceFormat, Rule]:
    """The body, its format and the rule that hits it hardest."""
    if name == "json":
        body = b'{"data": [' + b",".join([b'{"v":7}'] * 2_000_000) + b"]}"
        return body, SourceFormat.JSON, Rule(RuleKind.JSON_PATH, "$.data[*]", {"field": "v"})
    if name == "html":
        items = b"".join(b"<li>%d users</li>" % i for i in range(250_000))
        body = b"<html><body><ul>" + items + b"</ul></body></html>"
        return body, SourceFormat.HTML, Rule(RuleKind.CSS, "li")
    if name.startswith("json"):
        deep = name == "jsondeep"
        chain = b'{"data": ' * 190 + b'{"x": 1}' + b"}" * 190
        body = (
            b'{"a": ' * 198 + b"1" + b"}" * 198 if deep else b"[" + b",".join([chain] * 200) + b"]"
        )
        rule = Rule(RuleKind.JSON_PATH, "$..*..*..*" if deep else "$..data..price")
        return body, SourceFormat.JSON, rule
    body = b"1" * 2_000_000
    rule = Rule(RuleKind.REGEX, r"(?P<value>\d+)\s*(?:million|billion)")
    return body, SourceFormat.TEXT, rule


def measure(name: str) -> dict[str, object]:
    """Extract one page in this process; its figures as a dict."""
    body, fmt, rule = page(name)
    size = len(body)
    started = time.perf_counter()
    doc = parse_document(body, fmt=fmt, encoding="utf-8")
    del body
    try:
        result = run_rule(doc, rule)
        outcome = f"{len(result.hits):,} hits kept, {result.dropped:,} dropped"
        outcome += "".join(f" ({note})" for note in result.notes)
    except ExtractError as err:
        outcome = f"{err.code}: {err}"
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "page": name,
        "bytes": size,
        "seconds": seconds,
        "peak_mib": peak_mib,
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=PAGES)
    parser.add_argument("--child", choices=PAGES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print(
        f"limits: max_hits {DEFAULT_LIMITS.max_hits:,}, "
        f"rule_timeout_s {DEFAULT_LIMITS.rule_timeout_s:g}, "
        f"max_regex_text_chars {DEFAULT_LIMITS.max_regex_text_chars:,}"
    )
    for name in [args.only] if args.only else PAGES:
        done = subprocess.run(
            [sys.executable, __file__, "--child", name],
            capture_output=True,
            text=True,
            check=True,
        )
        f = json.loads(done.stdout)
        print(
            f"{f['page']:<8} {f['bytes'] / 2**20:6.2f} MiB page  "
            f"peak RSS {f['peak_mib']:7.1f} MiB  {f['seconds']:6.2f} s  {f['outcome']}"
        )


if __name__ == "__main__":
    main()
