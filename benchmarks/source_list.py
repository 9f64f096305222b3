"""Print how long `source list --json` takes to read its sources and their states.

Builds a database of N sources, each linked to one claim and fetched in R runs (N x R evidence
rows, one in seven failing), then times `catalog.list_sources` alone and with
`catalog.source_states` (the last status, error, good fetch and next due time of every source,
read in one query), and the whole `factcheck source list --json` as a child process.

Target: at 10,000 sources and 30 runs (300,000 evidence rows), the states add well under a
second to the list on both backends.

    python benchmarks/source_list.py [--sources 10000] [--runs 30] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factcheck.storage import catalog, db
from factcheck.storage.models import Claim, ClaimSource, Evidence, Run, Source

PG_DSN = os.environ.get("FACTCHECK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
FACTCHECK = str(Path(sys.executable).parent / "factcheck")
START = datetime(2026, 1, 1, tzinfo=UTC)


def build(engine: Engine, sources: int, runs: int) -> None:
    """N sources and claims, one link each, R runs of evidence (bulk executemany)."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Source.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": i,
                    "key": f"s{i:06d}",
                    "url": f"https://example.org/{i}",
                    "format": "html",
                    "recheck_hours": 24,
                    "last_fetched_at": START + timedelta(days=runs - 1) if i % 7 else None,
                    "created_at": START,
                    "updated_at": START,
                }
                for i in range(1, sources + 1)
            ],
        )
        conn.execute(
            sa.insert(Claim.__table__),  # type: ignore[attr-defined]
            [
                {"id": i, "key": f"c{i:06d}", "statement": "x", "kind": "quantity"}
                | {"created_at": START, "updated_at": START}
                for i in range(1, sources + 1)
            ],
        )
        conn.execute(
            sa.insert(ClaimSource.__table__),  # type: ignore[attr-defined]
            [
                {"claim_id": i, "source_id": i, "rule_kind": "regex", "rule": "x"}
                | {"rule_options": {}, "role": "value", "note": ""}
                for i in range(1, sources + 1)
            ],
        )
        conn.execute(
            sa.insert(Run.__table__),  # type: ignore[attr-defined]
            [
                {"id": r, "trigger": "manual", "status": "succeeded", "started_at": START}
                for r in range(1, runs + 1)
            ],
        )
        for r in range(1, runs + 1):
            conn.execute(
                sa.insert(Evidence.__table__),  # type: ignore[attr-defined]
                [_evidence(r, i) for i in range(1, sources + 1)],
            )


def _evidence(run: int, source: int) -> dict[str, object]:
    failed = source % 7 == 0
    return {
        "run_id": run,
        "claim_id": source,
        "source_id": source,
        "role": "value",
        "rule_kind": "regex",
        "rule": "x",
        "fetched_at": START + timedelta(days=run - 1),
        "http_status": None if failed else 200,
        "url": f"https://example.org/{source}",
        "hits": [],
        "stance": "none",
        "reused": False,
        "error_code": "connection" if failed else None,
        "error_message": "refused" if failed else None,
    }


def timed(engine: Engine, states: bool, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with db.session_scope(engine) as session:
            listed = catalog.list_sources(session=session)
            if states:
                catalog.source_states(session=session, sources=listed)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cli_time(url: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [FACTCHECK, "--db", url, "source", "list", "--json"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")},
    )
    return time.perf_counter() - started


def run_backend(backend: str, sources: int, runs: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        if backend == "sqlite":
            url = f"sqlite:///{folder}/bench.db"
        else:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{schema}"')
            url = f"{PG_DSN}?options=-csearch_path%3D{schema}"
        engine = db.make_engine(url, must_exist=False)
        try:
            db.upgrade(engine)
            build(engine, sources, runs)
            if backend == "postgresql":
                with engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
            alone, with_states = timed(engine, False, repeat), timed(engine, True, repeat)
            print(
                f"{backend}: {sources} sources, {sources * runs} evidence rows: list "
                f"{alone * 1000:.0f} ms, list + states {with_states * 1000:.0f} ms, "
                f"`source list --json` {cli_time(url):.2f} s"
            )
        finally:
            engine.dispose()
            if backend == "postgresql":
                with psycopg.connect(PG_DSN, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run_backend(backend, args.sources, args.runs, args.repeat)


if __name__ == "__main__":
    main()
