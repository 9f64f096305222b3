"""Print how many strings per second the normaliser reads: quantities and dates.

The texts are the golden tables' own (tests/unit/quantities_golden.tsv and, when present,
dates_golden.tsv), cycled to a fixed count so that runs compare. Evidence excerpts are read
by `parse_quantities` once each, so its rate bounds how many hits a run can judge.

    python benchmarks/normalise_speed.py [--strings 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from factcheck.normalising.quantities import parse_quantities

try:  # the date reader moved into normalising; older trees had it in verdicts
    from factcheck.normalising.dates import parse_dates
except ImportError:  # pragma: no cover - only when measuring an older tree
    from factcheck.verdicts.dates import parse_dates

UNIT = Path(__file__).resolve().parents[1] / "tests" / "unit"


def golden_texts(name: str) -> list[str]:
    """The first column of a golden table, comments and group lines left out."""
    path = UNIT / name
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.split("\t")[0].replace("\\n", "\n") for ln in lines if ln and ln[0] != "#"]


def strings_per_second(read: Callable[[str], object], texts: list[str], *, runs: int) -> float:
    """Median rate over `runs` passes through `texts`."""
    for text in texts[:200]:
        read(text)  # warm regex caches
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for text in texts:
            read(text)
        rates.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--strings", type=int, default=20_000, help="strings per timed pass")
    parser.add_argument("--runs", type=int, default=5, help="timed passes (median)")
    args = parser.parse_args()
    tables = {
        "parse_quantities": (parse_quantities, golden_texts("quantities_golden.tsv")),
        "parse_dates": (parse_dates, golden_texts("dates_golden.tsv")),
    }
    for label, (read, texts) in tables.items():
        if not texts:
            continue
        cycled = list(itertools.islice(itertools.cycle(texts), args.strings))
        rate = strings_per_second(read, cycled, runs=args.runs)
        print(f"{label:18} {len(set(texts)):4} distinct texts  {rate:10,.0f} strings/s")


if __name__ == "__main__":
    main()
