"""Evaluate pint against the project's unit registry (factcheck.normalising.measures).

    python benchmarks/units_eval.py [--repeat 5] [--seconds 1]

Prints, when pint is importable (it is not a dependency: `pip install pint` to run this):
  - import time of `pint` and of `factcheck.normalising.measures`, each in a fresh interpreter,
    over `python -c pass` (median of --repeat runs, in turn so a busy moment hurts all alike);
  - the time to build a pint registry from a project unit file (our canonical units as base
    dimensions, Decimal magnitudes, SI and "B"/"T" prefixes);
  - how many rows of tests/unit/units_golden.tsv each reads to the right canonical figure,
    with the units pint cannot read;
  - conversions per second of each over the rows both read;
  - that pint refuses users/week -> users/month (DimensionalityError), as we do.

Measured on the shared 2-core machine, busy (pint 0.25.3, Python 3.11.7):
  import pint 0.38 s (0.27 s measured earlier on a quieter moment; the CLI start-up target is
  0.3 s in all); import measures 0.06 s, most of it factcheck's package and domain; pint
  registry from the project file 0.045 s; golden rows read to the right figure: pint 38 of
  125, ours 125; over the 38 both read, pint 11,700 conversions/s, ours 31,400; pint refuses
  WAU -> MAU with DimensionalityError. pint reads none of "USD/M tokens", "$/1K tokens",
  "B parameters", "K tokens", "RMB", "USD per 1M tokens", "十亿参数", "月活".
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "unit" / "units_golden.tsv"
sys.path.insert(0, str(ROOT))

from factcheck.normalising.measures import (  # noqa: E402
    COUNT_NOUNS,
    CURRENCIES,
    PERIODS,
    UnknownUnit,
    to_canonical,
)

# The project unit file for pint: every canonical unit a base dimension of its own, so that
# nothing converts across them; count nouns and currencies by their canonical names.
_PINT_NAMES = {"%": "percent"} | {f"users/{p}": f"user_{p}" for p in ("day", "week", "month")}


def _project_definitions() -> list[str]:
    lines = [
        "kilo- = 1000 = k- = K-",
        "mega- = 1000000 = M-",
        "giga- = 1000000000 = G- = B-",
        "tera- = 1000000000000 = T-",
        "percent = [share] = % = pct",
        "user_day = [users_day] = DAU",
        "user_week = [users_week] = WAU",
        "user_month = [users_month] = MAU",
        "token = [tokens] = _ = tokens",
        "parameter = [parameters] = params = parameters",
    ]
    for noun in COUNT_NOUNS:
        if noun not in ("tokens", "parameters"):
            lines.append(f"{noun} = [{noun.casefold()}]")
    lines += [f"{c} = [money_{c}]" for c in CURRENCIES]
    lines += [f"{p} = [{p}_period]" for p in PERIODS]
    return lines


def _golden_rows() -> list[tuple[str, Decimal, Decimal, str]]:
    rows = []
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        text, amount, canonical_amount, canonical = line.split("\t")
        if canonical_amount != "!":
            rows.append((text, Decimal(amount), Decimal(canonical_amount), canonical))
    return rows


def _median_import(statement: str, repeat: int) -> float:
    def once(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        return time.perf_counter() - start

    floors, times = [], []
    for _ in range(repeat):
        floors.append(once("pass"))
        times.append(once(statement))
    return statistics.median(times) - statistics.median(floors)


def _pint_reads(registry: Any, row: tuple[str, Decimal, Decimal, str]) -> bool:
    text, amount, expected, canonical = row
    target = _PINT_NAMES.get(canonical, canonical)
    try:
        got = registry.Quantity(amount, text).to(target).magnitude
    except Exception:  # pint raises many kinds for an unreadable unit; any means "not read"
        return False
    return bool(got == expected)


def _ours_reads(row: tuple[str, Decimal, Decimal, str]) -> bool:
    text, amount, expected, canonical = row
    try:
        return to_canonical(amount, text) == (expected, canonical)
    except UnknownUnit:
        return False


def _rate(convert: Any, rows: list[tuple[str, Decimal, Decimal, str]], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for row in rows:
            convert(row)
        done += len(rows)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    try:
        import pint
    except ImportError:
        print("pint is not installed: `pip install pint` to run this evaluation")
        return
    print(f"pint {pint.__version__}, Python {sys.version.split()[0]}")
    print(f"import pint:                 {_median_import('import pint', args.repeat):.3f} s")
    ours = _median_import("import factcheck.normalising.measures", args.repeat)
    print(f"import measures (ours):      {ours:.3f} s")

    start = time.perf_counter()
    registry = pint.UnitRegistry(None, non_int_type=Decimal)
    for definition in _project_definitions():
        registry.define(definition)
    print(f"pint registry from project file: {time.perf_counter() - start:.3f} s")

    rows = _golden_rows()
    pint_ok = [row for row in rows if _pint_reads(registry, row)]
    ours_ok = [row for row in rows if _ours_reads(row)]
    print(f"golden rows read: pint {len(pint_ok)} of {len(rows)}, ours {len(ours_ok)}")
    missed = sorted({row[0] for row in rows} - {row[0] for row in pint_ok})
    print("pint cannot read:", ", ".join(repr(t) for t in missed[:25]), "...")

    both = [row for row in pint_ok if row in ours_ok]
    pint_rate = _rate(lambda row: _pint_reads(registry, row), both, args.seconds)
    ours_rate = _rate(_ours_reads, both, args.seconds)
    print(f"conversions/s over the {len(both)} rows both read:", end=" ")
    print(f"pint {pint_rate:,.0f}, ours {ours_rate:,.0f}")

    try:
        registry.Quantity(Decimal(5), "WAU").to("MAU")
        print("pint converted WAU to MAU (unexpected)")
    except pint.DimensionalityError as refused:
        print(f"pint refuses WAU -> MAU: {type(refused).__name__}")


if __name__ == "__main__":
    main()
