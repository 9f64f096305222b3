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
    from sqlalchemy.engine import make_url

    from factcheck.verification import unit_jobs

    app_state = state(ctx)
    settings = app_state.settings
    if settings.is_sqlite:
        raise ConfigError("factcheck worker needs a PostgreSQL database (FACTCHECK_DATABASE_URL)")
    names = [q.strip() for q in queues.split(",") if q.strip()]
    if not names:
        raise ConfigError("--queues: name at least one queue")
    unknown = [q for q in names if q != unit_jobs.QUEUE]
    if unknown:  # a worker on a queue nobody defers to would wait forever
        raise ConfigError(f"--queues: no job is ever deferred to {unknown[0]!r} (known: units)")
    from factcheck.storage.db import check_at_head, make_engine

    named = f"factcheck worker {unit_jobs.worker_name()}"[:63]  # pg_stat_activity names it
    url = make_url(settings.database_url).update_query_dict({"application_name": named})
    engine = make_engine(url.render_as_string(hide_password=False))
    check_at_head(engine)
    say(f"worker {unit_jobs.worker_name()}: {concurrency} at once, queues {', '.join(names)}")
    unit_jobs.serve(engine=engine, settings=settings, concurrency=concurrency, queues=names)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
