"""`factcheck worker`: take the (run, source) units of spread runs from the queue (PostgreSQL)."""

from __future__ import annotations

import typer

from factcheck.cli.common import say, state
from factcheck.errors import ConfigError


def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, max=256, help="Units processed at once by this worker."
    ),
    queues: str = typer.Option(
        "units", "--queues", help="Comma-separated queues to take jobs from."
    ),
) -> None:
    """Process the units of runs spread over workers (FACTCHECK_EXECUTOR=procrastinate).

    Runs until SIGTERM or SIGINT, then finishes the units in flight and exits 0. Any number of
    workers, on any machines, may share one PostgreSQL database; a unit whose worker was killed
    is retried by another after FACTCHECK_STALL_TIMEOUT_S.
    """
    from factcheck.verification import unit_jobs

    app_state = state(ctx)
    settings = app_state.settings
    if settings.is_sqlite:
        raise ConfigError("factcheck worker needs a PostgreSQL database (FACTCHECK_DATABASE_URL)")
    names = [q.strip() for q in queues.split(",") if q.strip()]
    if not names:
        raise ConfigError("--queues: name at least one queue")
    engine = app_state.open()
    say(f"worker {unit_jobs.worker_name()}: {concurrency} at once, queues {', '.join(names)}")
    unit_jobs.serve(engine=engine, settings=settings, concurrency=concurrency, queues=names)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
