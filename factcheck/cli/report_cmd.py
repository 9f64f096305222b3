"""`factcheck report`: build the HTML report from the database, or serve a built one.

The build reads the database in one transaction and publishes the site atomically (see
factcheck.reporting.site); `--serve` only reads the built folder, so it needs no database.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from factcheck.cli.common import JSON_OPTION, print_json, say, state, stop_on_signals
from factcheck.cli.progress import progress
from factcheck.config import Settings
from factcheck.errors import FactcheckError, ValidationError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from factcheck.reporting.views import SiteData

DEFAULT_DIR = "report"
log = logging.getLogger("factcheck.report")

OUTPUT = typer.Option(
    None,
    "--output",
    "-o",
    metavar="DIR",
    help="The report's folder (default: $FACTCHECK_REPORT_DIR, else ./report); it becomes a "
    "symlink to the newest build.",
)
SERVE = typer.Option(
    False,
    "--serve",
    help="Serve the built folder read-only on 127.0.0.1 until Ctrl-C (builds nothing).",
)
PORT = typer.Option(
    8000, "--port", min=0, max=65535, help="The port for --serve (0: any free port)."
)


def report_dir(output: str | None, settings: Settings) -> Path:
    return Path(output or settings.report_dir or DEFAULT_DIR)


def build(*, engine: Engine, settings: Settings, out_dir: Path) -> tuple[SiteData, Path]:
    """Read the database once, then publish the site; returns the data and its version folder."""
    from factcheck.domain import utcnow
    from factcheck.reporting.site import write_site
    from factcheck.reporting.views import build_site_data
    from factcheck.storage.db import session_scope

    with session_scope(engine) as session:
        data = build_site_data(session=session, settings=settings, now=utcnow())
    return data, write_site(data, out_dir)


def nightly_rebuild(engine: Engine, settings: Settings) -> Callable[[], None] | None:
    """The scheduler's after-run step when FACTCHECK_REPORT_DIR is set: rebuild the report."""
    if not settings.report_dir:
        return None
    out_dir = Path(settings.report_dir)

    def rebuild() -> None:
        data, version = build(engine=engine, settings=settings, out_dir=out_dir)
        log.info("report rebuilt: %s -> %s (%d claims)", out_dir, version.name, len(data.claims))

    return rebuild


def report(
    ctx: typer.Context,
    output: str | None = OUTPUT,
    serve: bool = SERVE,
    port: int = PORT,
    as_json: bool = JSON_OPTION,
) -> None:
    """Build the HTML report (claims, evidence, charts, runs, review queue, report.json).

    The folder works from file:// and behind any static web server. With --serve, serve the
    built folder on 127.0.0.1 for a quick look instead.
    """
    app_state = state(ctx)
    out_dir = report_dir(output, app_state.settings)
    if serve:
        serve_folder(out_dir, port=port, as_json=as_json)
        return
    with progress("report", total=2, unit="steps") as tracker:
        engine = app_state.open()
        tracker.advance(note="database read")
        data, version = build(engine=engine, settings=app_state.settings, out_dir=out_dir)
        tracker.advance(note="site written")
    if as_json:
        print_json(
            {
                "dir": str(out_dir),
                "version": str(version),
                "index": str(out_dir / "index.html"),
                "generated_at": _iso(data.generated_at),
                "claims": len(data.claims),
                "runs": len(data.runs),
                "review": len(data.review),
                "counts": data.counts,
            }
        )
        return
    say(f"report: {len(data.claims)} claim(s), {len(data.runs)} run(s) in {out_dir}")
    typer.echo(str(out_dir / "index.html"))


def read_only_handler(folder: Path) -> Callable[..., Any]:
    """A request handler serving `folder`: GET and HEAD only, any other method 405; requests
    go to the log (-v). http.server is imported here: `factcheck --help` does not load it."""
    import http.server

    class ReadOnlyHandler(http.server.SimpleHTTPRequestHandler):
        def _refuse(self) -> None:
            self.send_response(405)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return functools.partial(ReadOnlyHandler, directory=str(folder))


def serve_folder(folder: Path, *, port: int, as_json: bool) -> None:
    """Serve `folder` on 127.0.0.1:`port` until SIGINT/SIGTERM (exit 0)."""
    if not (folder / "index.html").is_file():
        raise ValidationError(
            f"{folder}: no report here; build it first with `factcheck report -o {folder}`"
        )
    from http.server import ThreadingHTTPServer

    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), read_only_handler(folder))
    except OSError as exc:
        raise FactcheckError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    if as_json:
        print_json({"dir": str(folder), "url": url})
    say(f"serving {folder} at {url} (read-only; Ctrl-C stops)")
    thread = threading.Thread(target=server.serve_forever, name="report-server", daemon=True)
    stop = threading.Event()
    with stop_on_signals(stop, tell=lambda _message: say("stopping the server")):
        thread.start()
        while not stop.wait(0.5):
            pass
    server.shutdown()
    server.server_close()


def _iso(moment: datetime) -> str:
    from factcheck.reporting.site import iso_utc

    return iso_utc(moment)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
