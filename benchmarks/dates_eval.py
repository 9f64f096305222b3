"""Print how `dateparser` reads the date golden table, against our own reader.

    pip install dateparser    # into your own environment; it is not a dependency of factcheck
    python benchmarks/dates_eval.py [--runs 3]

For each reader: rows agreeing with tests/unit/dates_golden.tsv (the date at the expected
precision, and that precision; "no date" rows agree when nothing is read), the wrong reads,
and strings per second. Readers:
  factcheck          `factcheck.normalising.dates.parse_dates`, the first date found.
  dateparser.parse   one `DateDataParser(languages=["en", "zh"])` (what `dateparser.parse`
                     builds per call), whose `get_date_data` also gives the precision (period).
  search_dates       `dateparser.search.search_dates(text, languages=["en", "zh"])`, the first
                     date found; its precision from `get_date_data` on the found substring.
Both dateparser readers get a fixed RELATIVE_BASE and PREFER_DAY_OF_MONTH="first", so a
missing day or month is not filled from today's date.

Measured on the shared 2-core box (6 agents busy; rates are noisy), dateparser 1.5.0, 87 rows:
  factcheck before this change (verdicts/dates.py)  66/87 agree
  factcheck (normalising/dates.py)                  87/87 agree   ~30,000 strings/s
  dateparser.parse                                  54/87 agree      ~300 strings/s
  dateparser search_dates                           56/87 agree       ~90 strings/s
  import dateparser: 0.10-0.17 s; its first parse (locale data loaded lazily): 0.34 s more.
dateparser's misses are of kind, not of tuning: it guesses "3/4/2024" as March 4 and reads
"3.7.2024" month first; it reads numbers that are no dates ("1335 ±4", "$1,2005", "3.2007",
"13.13.2024", "v1.2.2024") and fills a missing year from today ("Sept 25" -> 2026); `parse`
reads nothing from a sentence ("released June 29, 2007"), `search_dates` loses the day of
"Sept. 25, 2024" and reads "2024年9月" as 0001-04; neither knows "二〇〇七年六月二十九日".
Decision: keep the hand-written reader (the golden table is its test); dateparser stays out
of the dependencies.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from factcheck.normalising.dates import parse_dates
from factcheck.verdicts.dates import show_date

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "unit" / "dates_golden.tsv"
SETTINGS = {"RELATIVE_BASE": datetime(2026, 1, 1), "PREFER_DAY_OF_MONTH": "first"}
LANGUAGES = ["en", "zh"]
PERIODS = {"day": "day", "week": "day", "time": "day", "month": "month", "year": "year"}

Read = tuple[date, str] | None  # (date, precision) or nothing read
Reader = Callable[[str], Read]


class Row(NamedTuple):
    text: str
    expected: str  # the date as far as its precision goes; "" for no date
    precision: str


def golden_rows() -> list[Row]:
    rows = []
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            text, expected, precision = line.split("\t")
            rows.append(Row(text.replace("\\n", "\n"), expected, precision))
    return rows


def read_factcheck(text: str) -> Read:
    found = parse_dates(text)
    return (found[0].when, found[0].precision) if found else None


def dateparser_readers() -> dict[str, Reader]:
    """The two dateparser readers, or none when dateparser is not installed."""
    try:
        from dateparser.date import DateDataParser
        from dateparser.search import search_dates
    except ImportError:
        return {}
    parser = DateDataParser(languages=LANGUAGES, settings=SETTINGS)

    def read_parse(text: str) -> Read:
        data = parser.get_date_data(text)
        if data.date_obj is None:
            return None
        return data.date_obj.date(), PERIODS.get(data.period or "day", "day")

    def read_search(text: str) -> Read:
        found: Any = search_dates(text, languages=LANGUAGES, settings=SETTINGS)
        if not found:
            return None
        substring, when = found[0]
        period = parser.get_date_data(substring).period or "day"
        return when.date(), PERIODS.get(period, "day")

    return {"dateparser.parse": read_parse, "search_dates": read_search}


def shown(read: Read) -> str:
    return "nothing" if read is None else f"{show_date(read[0], read[1])} ({read[1]})"


def agrees(row: Row, read: Read) -> bool:
    if not row.expected:
        return read is None
    return read is not None and (show_date(read[0], row.precision), read[1]) == (
        row.expected,
        row.precision,
    )


def strings_per_second(reader: Reader, texts: list[str], *, runs: int) -> float:
    start = time.perf_counter()
    for _ in range(runs):
        for text in texts:
            reader(text)
    return runs * len(texts) / (time.perf_counter() - start)


def import_seconds() -> tuple[float, float] | None:
    """(import dateparser, first parse after it) in a fresh interpreter."""
    code = (
        "import time; t = time.perf_counter(); import dateparser; i = time.perf_counter() - t;"
        "t = time.perf_counter(); dateparser.parse('Sept 25, 2024', languages=['en', 'zh']);"
        "print(i, time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode != 0:
        return None
    first, second = done.stdout.split()
    return float(first), float(second)


def report(name: str, reader: Reader, rows: list[Row], *, runs: int) -> None:
    reads = [reader(row.text) for row in rows]
    wrong = [(row, read) for row, read in zip(rows, reads, strict=True) if not agrees(row, read)]
    rate = strings_per_second(reader, [row.text for row in rows], runs=runs)
    print(f"\n{name}: {len(rows) - len(wrong)}/{len(rows)} agree, {rate:,.0f} strings/s")
    for row, read in wrong:
        want = f"{row.expected} ({row.precision})" if row.expected else "nothing"
        print(f"  {row.text!r:40} expected {want:20} read {shown(read)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed passes over the table")
    args = parser.parse_args()
    rows = golden_rows()
    readers: dict[str, Reader] = {"factcheck": read_factcheck, **dateparser_readers()}
    if len(readers) == 1:
        print("dateparser is not importable: pip install dateparser (not a project dependency)")
    elif seconds := import_seconds():
        print(f"import dateparser: {seconds[0]:.2f} s; first parse: {seconds[1]:.2f} s")
    for name, reader in readers.items():
        report(name, reader, rows, runs=args.runs)


if __name__ == "__main__":
    main()
