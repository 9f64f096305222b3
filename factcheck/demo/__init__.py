"""The demo: the whole pipeline, offline, on a throwaway database and example pages.

`pages/` holds one example page per source of `sources/*.toml`, named after the source key
(`llama-3.1-model-card.md` stands in for the source `llama-3.1-model-card`). The pages are
written for the demo, not copied from the real sources: each contains what the declared rules of
its source look for, so the real rules run unchanged and the seed claims come out as they do
against the real sources. The pages are served by a stdlib HTTP server on 127.0.0.1 (a free
port) in a thread, the sources' URLs are pointed at it, and nothing else is ever reached.

This module knows nothing of the command line; `factcheck.cli.demo` is its skin.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from factcheck.config import Settings
from factcheck.declarations.files import read_declarations
from factcheck.declarations.inputs import Declarations
from factcheck.domain import Trigger, utcnow
from factcheck.errors import ConfigError
from factcheck.storage.catalog import apply_declarations
from factcheck.storage.db import make_engine, session_scope, upgrade
from factcheck.verification.pipeline import Plan, RunSummary, run_verification
from factcheck.verification.source_unit import SourceResult

log = logging.getLogger(__name__)

PAGES_DIR = Path(__file__).with_name("pages")
DATABASE_NAME = "factcheck.db"
POLL_S = 0.05  # how soon the page server notices it should stop
# The repository's declared claims, when factcheck runs from a clone (an editable install).
DECLARED_PACKAGE = "factcheck.declared"  # the repository's sources/, shipped in the package
CONTENT_TYPES = {  # by page suffix: what the server says the page is
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str


@dataclass
class Site:
    """A running page server: its base URL and how often each path was asked for."""

    url: str
    requests: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class DemoResult:
    summary: RunSummary
    site_url: str
    sources_dir: Path
    pages: int  # example pages served
    claims: int  # claims imported from sources_dir
    kept: Path | None  # where the database was kept; None when it was deleted

    @property
    def database_url(self) -> str | None:
        return f"sqlite:///{self.kept / DATABASE_NAME}" if self.kept else None


def load_pages(directory: Path = PAGES_DIR) -> dict[str, Page]:
    """The example pages by source key (the file name without its suffix)."""
    pages = {}
    for path in sorted(directory.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        if path.is_file() and content_type is not None:
            pages[path.stem] = Page(path.read_bytes(), content_type)
    return pages


def find_sources_dir(cwd: Path | None = None) -> Path:
    """The declared sources shipped with factcheck (the repository's `sources/`), else
    `./sources`."""
    from importlib.resources import files

    try:
        shipped: Path | None = Path(str(files(DECLARED_PACKAGE)))
    except ModuleNotFoundError:
        shipped = None
    for candidate in (shipped, (cwd or Path.cwd()) / "sources"):
        if candidate is not None and candidate.is_dir() and any(candidate.glob("*.toml")):
            return candidate
    raise ConfigError(
        "no sources/ folder found: run from a clone of the repository or pass --sources DIR"
    )


@contextmanager
def serve(pages: Mapping[str, Page]) -> Iterator[Site]:
    """Serve `pages` (path without the leading slash -> Page) on 127.0.0.1, any free port.

    Any other path is a 404, robots.txt included (which robots.txt rules read as "allowed").
    """
    site = Site(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            with lock:
                site.requests[path] += 1
            page = pages.get(path.lstrip("/"))
            if page is None:
                self.send_error(404, "no such example page")
                return
            self.send_response(200)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            self.wfile.write(page.body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("demo server: " + format, *args)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, args=(POLL_S,), name="demo-pages", daemon=True
    )
    thread.start()
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def point_sources(declared: Declarations, *, base_url: str) -> Declarations:
    """The same claims, rules and sources, each source's URL now `base_url/<source key>`."""
    sources = tuple(
        dataclasses.replace(source, url=f"{base_url}/{quote(source.key)}")
        for source in declared.sources
    )
    return dataclasses.replace(declared, sources=sources)


def demo_settings(settings: Settings, *, database_url: str) -> Settings:
    """The caller's settings, with loopback allowed (the pages are local) and no pacing."""
    return settings.with_overrides(
        database_url=database_url, allow_loopback=True, per_host_delay_s=0.0
    )


def run_demo(
    *,
    settings: Settings,
    sources_dir: Path,
    keep: Path | None = None,
    pages_dir: Path = PAGES_DIR,
    on_planned: Callable[[Plan], None] | None = None,
    on_source: Callable[[SourceResult], None] | None = None,
) -> DemoResult:
    """Import `sources_dir` into a new SQLite database, serve the example pages, verify all.

    The database lives in a temporary directory that is deleted afterwards, or in `keep`
    (created if missing; it must not already hold a demo database). `on_planned` and
    `on_source` are the run's (for progress).
    """
    declared = read_declarations([sources_dir])
    pages = load_pages(pages_dir)
    with ExitStack() as stack:
        if keep is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="factcheck-")))
        else:
            directory = keep
            if (directory / DATABASE_NAME).exists():
                raise ConfigError(f"{directory / DATABASE_NAME} exists: keep the demo elsewhere")
            directory.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{directory / DATABASE_NAME}"
        engine = make_engine(database_url, must_exist=False)
        stack.callback(engine.dispose)
        upgrade(engine)
        site = stack.enter_context(serve(pages))
        with session_scope(engine) as session:
            apply_declarations(
                session=session,
                declared=point_sources(declared, base_url=site.url),
                now=utcnow(),
            )
        summary = run_verification(
            engine=engine,
            settings=demo_settings(settings, database_url=database_url),
            force=True,
            trigger=Trigger.MANUAL,
            on_planned=on_planned,
            on_source=on_source,
        )
    return DemoResult(
        summary=summary,
        site_url=site.url,
        sources_dir=sources_dir,
        pages=len(pages),
        claims=len(declared.claims),
        kept=keep,
    )
