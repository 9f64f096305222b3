"""How a run spread over workers shows: its units queued / running / done / failed, followed
until the run is judged (`verify --wait`), or left to the workers (`verify`)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import typer

from factcheck.cli.common import ExitCode, print_json, say
from factcheck.cli.progress import Tracker

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from factcheck.verification.spread import Progress

SAY_EVERY_S = 2.0


def units_line(units: dict[str, int]) -> str:
    """`queued 3, running 2, done 50, failed 1`"""
    return ", ".join(f"{state} {units.get(state, 0)}" for state in _STATES)


_STATES = ("queued", "running", "done", "failed")


def follow(
    *,
    engine: Engine,
    run_id: int,
    wait: bool,
    as_json: bool,
    tracker: Tracker,
    stop: threading.Event,
) -> None:
    """After a spread run was deferred: report it, or (`wait`) follow it until it is judged.
    Exits 3 when units failed or sources had errors, 130 when the wait was stopped."""
    from factcheck.verification import spread

    now = spread.progress(engine=engine, run_id=run_id)
    tracker.set_total(sum(now.units.values()))
    if not wait:
        _show(now, as_json=as_json, note="deferred to the workers")
        return
    finished_seen, said_at, said = [0], [0.0], [""]

    def on_progress(p: Progress) -> None:
        finished = p.units["done"] + p.units["failed"]
        if finished > finished_seen[0]:
            tracker.advance(finished - finished_seen[0])
            finished_seen[0] = finished
        line = units_line(p.units)
        if line != said[0] and time.monotonic() - said_at[0] >= SAY_EVERY_S:
            say(f"run {run_id}: {line}")
            said[0], said_at[0] = line, time.monotonic()

    final = spread.wait_for_run(
        engine=engine, run_id=run_id, on_progress=on_progress, should_stop=stop.is_set
    )
    if final.status == "running":
        _show(final, as_json=as_json, note="still on the workers (stopped waiting)")
        raise typer.Exit(ExitCode.INTERRUPTED)
    failures = _failures(engine, run_id)
    _show(final, as_json=as_json, note="judged", errors=len(failures))
    if not as_json:
        for key, code, status, url, message in failures:  # as a local `verify` lists them
            http = f", HTTP {status}" if status else ""
            say(f"failed: {key} ({code}{http}) {url}: {message}")
    if final.units["failed"] or failures:
        raise typer.Exit(ExitCode.SOURCES_FAILED)


def _failures(engine: Engine, run_id: int) -> list[tuple[str, str, int | None, str, str]]:
    from factcheck.storage import units
    from factcheck.storage.db import session_scope

    with session_scope(engine) as session:
        return units.run_failures(session=session, run_id=run_id)


def _show(p: Progress, *, as_json: bool, note: str, errors: int | None = None) -> None:
    if as_json:
        shown: dict[str, object] = {"run_id": p.run_id, "status": p.status, "units": p.units}
        if errors is not None:
            shown["errors"] = errors
        print_json(shown)
        return
    from factcheck.verification.journal import outcome

    extra = f", {errors} source(s) with errors" if errors else ""
    ended = outcome(p.status, errors or 0)
    say(f"run {p.run_id} {ended}, {note}: units {units_line(p.units)}{extra}")
