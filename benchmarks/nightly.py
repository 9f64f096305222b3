"""Print the figures of a nightly verification run against a generated loopback corpus.

    python benchmarks/nightly.py [--sources 1000] [--repeat 1] [--hosts 8] [--latency-ms 200]
                                 [--db postgresql://user@host/postgres]

What it builds: `--sources` sources of about 36 KB, half HTML and half JSON, and two claims
per source whose rules really extract a figure (css on HTML, json_path on JSON, one plain
field and one 3:1 weighted blend), so every claim comes out `supported`. The pages are served
by a threaded stdlib HTTP/1.1 server in ANOTHER PROCESS (this file run with `--serve`), with
strong ETags (If-None-Match -> 304) and a per-response latency that can be changed while it
runs (`GET /_latency?ms=200`).

Why several loopback addresses: the fetcher allows at most `per_host_concurrency` (2) requests
in flight per host, so a corpus on one host would be serialised and measure politeness, not
the pipeline. The server binds 127.0.0.2 ... 127.0.0.(1+hosts) explicitly (one listening
socket per address; all of 127.0.0.0/8 routes to `lo` on Linux) and the sources are spread
over them round-robin, so hosts x 2 >= 16 workers. The benchmark Settings are the defaults
except: `allow_loopback=True` (the SSRF guard refuses 127/8 otherwise), `per_host_delay_s=0`
(no politeness gap between requests to one host) and the database URL. robots.txt is served
(allow all, no Crawl-delay) and obeyed, as in production: one extra request per host per run.

The phases, in one run, side by side:
  bare pool   the same URLs fetched by `requests` in a ThreadPoolExecutor of the same width
              (settings.workers), body read, no parsing, no database, no per-host limit;
              median of max(3, --repeat)
  cold        a fresh database (migrations + declarations, not timed), then
              `run_verification(force=True)`; median of --repeat (each on a fresh database)
  unchanged   `run_verification(force=True)` again on the cold database: conditional GETs,
              every source answers 304, extractions are reused; median of --repeat
  latency     a cold run on a fresh database with --latency-ms added to every response,
              against the ideal sources x latency / workers

Figures: wall time; parse+extract CPU share of wall time (thread CPU time spent inside
`parse_document`, `run_rule` and quantity normalisation, measured by wrapping the names the
pipeline calls, in this process only); client and server CPU seconds; peak RSS of this process
so far (ru_maxrss, so it only grows); database growth per run per claim (SQLite: db + wal
after `wal_checkpoint(TRUNCATE)`; PostgreSQL: pg_database_size of a scratch database).

`--db postgresql://...` names a server and a database to connect to; the benchmark creates
its own scratch databases there (fc_nightly_<pid>_<n>) and drops them at the end.

"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

PAGE_BYTES = 36_000
CLAIMS_PER_SOURCE = 2

# -- the corpus: deterministic pages and the figures their rules extract ---------------------


def is_html(index: int) -> bool:
    return index % 2 == 0


def page_path(index: int) -> str:
    return f"/s/{index:05d}.{'html' if is_html(index) else 'json'}"


def size_b(index: int) -> int:
    """The headline model size of page `index`, in billions of parameters."""
    return 7 + index % 400


def html_price(index: int) -> str:
    return f"{1 + index % 9}.{index % 100:02d}"


def json_prices(index: int) -> tuple[Decimal, Decimal]:
    """Input and output price per token of the target record of JSON page `index`."""
    return Decimal(f"{1 + index % 7}.{index % 10}E-6"), Decimal(f"{2 + index % 11}.5E-6")


def make_html(index: int, target_bytes: int = PAGE_BYTES) -> bytes:
    head = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Model prices, page {index}</title><style>td{{padding:2px}}</style></head><body>"
        "<nav><ul>"
        + "".join(f"<li><a href='/m/{i}'>Model {i}</a></li>" for i in range(20))
        + "</ul></nav><h1>Prices per million tokens</h1>"
        f"<p class='headline'>The family released on page {index} has a largest model of "
        f"<b class='size'>{size_b(index)} billion</b> parameters.</p>"
    )
    prose = "".join(
        f"<p>Provider {i} serves the <b>{i * 7}B</b> model at a blended price; "
        f"see <a href='/p/{i}'>details</a>.</p>"
        for i in range(30)
    )
    rows: list[str] = []
    i = 0
    target_row = (
        f"<tr class='target'><td>provider-target</td><td>model-{index}</td>"
        f"<td class='input'>{html_price(index)}</td><td>9.99</td></tr>"
    )
    budget = target_bytes - 200 - len(head) - len(prose) - len(target_row)
    while sum(map(len, rows)) < budget:
        rows.append(
            f"<tr><td>provider-{i}</td><td>model-{i % 17}-{i}b</td>"
            f"<td>{i % 9}.{i % 100:02d}</td><td>{(i * 3) % 20}.50</td></tr>"
        )
        i += 1
    rows.insert(len(rows) // 2, target_row)
    table = "<table class='prices'><thead><tr><th>Provider</th><th>Model</th><th>Input</th>"
    table += "<th>Output</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    return (head + prose + table + "</body></html>").encode("utf-8")


def make_json(index: int, target_bytes: int = PAGE_BYTES) -> bytes:
    target_in, target_out = json_prices(index)
    records: list[str] = []
    k = 0
    target = (
        f'"page-{index}-405b-target": {{"input_cost_per_token": {target_in}, '
        f'"output_cost_per_token": {target_out}, "max_tokens": 128000, '
        f'"litellm_provider": "target", "mode": "chat"}}'
    )
    while sum(len(r) + 2 for r in records) < target_bytes - len(target) - 100:
        records.append(
            f'"provider-{k % 23}/model-{k}-{k % 70}b": {{"input_cost_per_token": {k % 9 + 1}E-7, '
            f'"output_cost_per_token": {k % 13 + 1}E-7, "max_tokens": {4096 * (1 + k % 8)}, '
            f'"litellm_provider": "provider-{k % 23}", "mode": "chat", '
            f'"supports_function_calling": {"true" if k % 2 else "false"}}}'
        )
        k += 1
    records.insert(len(records) // 2, target)
    body = '{"sample_spec": {"max_tokens": "int"},\n ' + ",\n ".join(records) + "\n}\n"
    return body.encode("utf-8")


def make_page(index: int) -> bytes:
    return make_html(index) if is_html(index) else make_json(index)


def declarations(index: int, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The source entry and its two claim entries, as a TOML file would declare them."""
    key = f"bench-{index:05d}"
    if is_html(index):
        source = {"key": key, "url": url, "format": "html", "title": f"Bench page {index}"}
        claims = [
            {
                "key": f"{key}-size",
                "statement": f"The largest model has {size_b(index)} billion parameters.",
                "kind": "quantity",
                "expected": str(size_b(index) * 10**9),
                "unit": "parameters",
                "evidence": [
                    {
                        "source": key,
                        "rule_kind": "css",
                        "rule": "p.headline b.size",
                        "options": {"unit": "parameters"},
                    }
                ],
            },
            {
                "key": f"{key}-price",
                "statement": f"The target provider charges ${html_price(index)} per million.",
                "kind": "quantity",
                "expected": html_price(index),
                "unit": "USD/Mtok",
                "evidence": [
                    {
                        "source": key,
                        "rule_kind": "css",
                        "rule": "table.prices tr.target td.input",
                        "options": {"unit": "USD/Mtok"},
                    }
                ],
            },
        ]
        return source, claims
    target_in, target_out = json_prices(index)
    blend = (3 * target_in + target_out) / 4
    source = {"key": key, "url": url, "format": "json", "title": f"Bench prices {index}"}
    claims = [
        {
            "key": f"{key}-input",
            "statement": f"The target charges {target_in} per input token.",
            "kind": "quantity",
            "expected": str(target_in),
            "unit": "USD/token",
            "evidence": [
                {
                    "source": key,
                    "rule_kind": "json_path",
                    "rule": f'$["page-{index}-405b-target"]',
                    "options": {"field": "input_cost_per_token", "unit": "USD/token"},
                }
            ],
        },
        {
            "key": f"{key}-blend",
            "statement": f"The 405B model costs {blend} per token, blended 3:1.",
            "kind": "quantity",
            "expected": str(blend),
            "unit": "USD/token",
            "evidence": [
                {
                    "source": key,
                    "rule_kind": "json_path",
                    "rule": "$[?match(#, '(?i).*405b-target')]",
                    "options": {
                        "weights": {"input_cost_per_token": 3, "output_cost_per_token": 1},
                        "unit": "USD/token",
                    },
                }
            ],
        },
    ]
    return source, claims


# -- the server (runs in its own process: `nightly.py --serve`) ------------------------------


class _State:
    latency_s = 0.0
    pages: ClassVar[dict[str, tuple[bytes, str, str]]] = {}  # path -> (body, etag, type)
    requests = 0
    not_modified = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server would
    # Headers and body go out as separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms a response on Linux loopback) and the server is the limit.
    disable_nagle_algorithm = True
    server_version = "nightly-bench/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/_latency":
            _State.latency_s = float(parse_qs(parts.query)["ms"][0]) / 1000
            self._send(200, b"ok\n", "text/plain")
            return
        if parts.path == "/_stats":
            stats = {"requests": _State.requests, "not_modified": _State.not_modified}
            self._send(200, json.dumps(stats).encode(), "application/json")
            return
        _State.requests += 1  # approximate under threads; only for a sanity line
        if _State.latency_s:
            time.sleep(_State.latency_s)
        if parts.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            return
        page = _State.pages.get(parts.path)
        if page is None:
            self._send(404, b"not found\n", "text/plain")
            return
        body, etag, content_type = page
        if self.headers.get("If-None-Match") == etag:
            _State.not_modified += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(200, body, content_type, etag=etag)

    def _send(self, status: int, body: bytes, content_type: str, etag: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def serve(sources: int, hosts: int) -> None:
    """Serve the corpus on 127.0.0.2..; print {"ports": {address: port}} when listening."""
    for index in range(sources):
        body = make_page(index)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        ctype = "text/html; charset=utf-8" if is_html(index) else "application/json"
        _State.pages[page_path(index)] = (body, etag, ctype)
    ports = {}
    for address in host_addresses(hosts):
        server = _Server((address, 0), _Handler)
        ports[address] = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"ports": ports}), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or dies)


def host_addresses(hosts: int) -> list[str]:
    return [f"127.0.0.{2 + n}" for n in range(hosts)]


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    ports: dict[str, int]

    def url(self, index: int) -> str:
        addresses = list(self.ports)
        address = addresses[index % len(addresses)]
        return f"http://{address}:{self.ports[address]}{page_path(index)}"

    def control(self, path: str) -> bytes:
        import urllib.request

        address, port = next(iter(self.ports.items()))
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://{address}:{port}{path}", timeout=10) as reply:
            return bytes(reply.read())

    def set_latency(self, ms: float) -> None:
        self.control(f"/_latency?ms={ms}")

    def cpu_s(self) -> float:
        """utime + stime of the server process (all its threads)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def server_process(sources: int, hosts: int) -> Iterator[ServerProcess]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--sources", str(sources), "--hosts", str(hosts)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise SystemExit("the benchmark server did not start")
        yield ServerProcess(process, json.loads(line)["ports"])
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# -- measuring -------------------------------------------------------------------------------


class CpuMeter:
    """Thread CPU time spent inside wrapped functions, summed over threads."""

    def __init__(self) -> None:
        self.cpu_s: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.cpu_s.clear()
            self.calls.clear()

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.thread_time() - start
                with self._lock:
                    self.cpu_s[name] = self.cpu_s.get(name, 0.0) + spent
                    self.calls[name] = self.calls.get(name, 0) + 1

        return timed

    def total_s(self) -> float:
        return sum(self.cpu_s.values())


class WallMeter:
    """Wall time of the serial steps of a run (plan, judge) as the main thread sees them."""

    def __init__(self) -> None:
        self.wall_s: dict[str, float] = {}

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.wall_s[name] = self.wall_s.get(name, 0.0) + time.perf_counter() - start

        return timed


class Profiles:
    """cProfile on every thread that runs a wrapped function, timed in thread CPU seconds."""

    def __init__(self) -> None:
        self.stats: dict[str, pstats.Stats] = {}
        self.enabled = True
        self._lock = threading.Lock()

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def profiled(*args: Any, **kwargs: Any) -> Any:
            if not self.enabled:
                return fn(*args, **kwargs)
            profile = cProfile.Profile(time.thread_time)
            profile.enable()
            try:
                return fn(*args, **kwargs)
            finally:
                profile.disable()
                with self._lock:
                    if name in self.stats:
                        self.stats[name].add(profile)
                    else:
                        self.stats[name] = pstats.Stats(profile)

        return profiled

    def report(self, title: str, top: int) -> None:
        for name, stats in self.stats.items():
            print(f"\n== profile ({title}): {name}, thread CPU s, top {top} by cumulative ==")
            stats.sort_stats("cumulative").print_stats(top)
        self.stats.clear()


def install_meters(meter: CpuMeter, walls: WallMeter, profiles: Profiles | None) -> None:
    """Wrap what the pipeline calls, as names looked up in its module at call time."""
    from factcheck.verification import pipeline, source_unit

    source_unit.parse_document = meter.wrap("parse", source_unit.parse_document)  # type: ignore[assignment]
    source_unit.run_rule = meter.wrap("extract", source_unit.run_rule)  # type: ignore[assignment]
    source_unit.normalise = meter.wrap("normalise", source_unit.normalise)  # type: ignore[assignment]
    if profiles is not None:
        # Main thread only: profiling the 16 workers slows every SQLite write transaction
        # enough that waiting writers pass the 10 s busy timeout ("database is locked").
        # For the workers use py-spy: py-spy record --format raw -- python nightly.py ...
        pipeline.process_source = profiles.wrap(  # type: ignore[assignment]
            "process_source (workers)", pipeline.process_source
        )
        pipeline.judge_claims = profiles.wrap("judge_claims", pipeline.judge_claims)  # type: ignore[assignment]
        from factcheck.verification import batches

        batches.record_batch = profiles.wrap("record_batch (writer)", batches.record_batch)  # type: ignore[assignment]
        pipeline.plan_run = profiles.wrap("plan_run", pipeline.plan_run)  # type: ignore[assignment]
    pipeline.plan_run = walls.wrap("plan", pipeline.plan_run)  # type: ignore[assignment]
    pipeline.judge_claims = walls.wrap("judge", pipeline.judge_claims)  # type: ignore[assignment]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Figures:
    wall_s: float
    client_cpu_s: float
    server_cpu_s: float
    parse_extract_cpu_s: float = 0.0
    split: dict[str, float] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)  # plan / fetch+record / judge wall s
    growth_bytes: int | None = None
    failed: int = 0
    reused: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    rss_mib: float = 0.0


def median_figures(runs: list[Figures]) -> Figures:
    """The run with the median wall time (its other figures come with it)."""
    ordered = sorted(runs, key=lambda f: f.wall_s)
    return ordered[(len(ordered) - 1) // 2]


# -- databases -------------------------------------------------------------------------------


class Databases:
    """Fresh databases: SQLite files in a temp dir, or scratch PostgreSQL databases."""

    def __init__(self, url: str | None, workdir: Path) -> None:
        self.base = url
        self.workdir = workdir
        self.created: list[str] = []
        self._n = 0

    def fresh(self) -> str:
        self._n += 1
        if self.base is None:
            return f"sqlite:///{self.workdir / f'nightly-{self._n}.db'}"
        import sqlalchemy as sa

        from factcheck.storage.db import make_engine

        name = f"fc_nightly_{os.getpid()}_{self._n}"
        admin = make_engine(self.base).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return sa.engine.make_url(self.base).set(database=name).render_as_string(False)

    def template(self, server: ServerProcess, sources: int) -> str:
        """A database migrated and declared once; each run gets a copy of it."""
        url = self.fresh()
        engine = populate(url, server, sources)
        self.size_bytes(engine)  # (SQLite: checkpointed, so the file is the database)
        engine.dispose()
        return url

    def copy(self, template: str) -> str:
        """A fresh database holding what `template` holds (a file copy, or TEMPLATE)."""
        import sqlalchemy as sa

        if self.base is None:
            self._n += 1
            path = self.workdir / f"nightly-{self._n}.db"
            shutil.copyfile(sa.engine.make_url(template).database or "", path)
            return f"sqlite:///{path}"
        from factcheck.storage.db import make_engine

        self._n += 1
        name = f"fc_nightly_{os.getpid()}_{self._n}"
        source = sa.engine.make_url(template).database
        admin = make_engine(self.base).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        admin.dispose()
        self.created.append(name)
        return sa.engine.make_url(self.base).set(database=name).render_as_string(False)

    def size_bytes(self, engine: Any) -> int:
        import sqlalchemy as sa

        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            path = Path(engine.url.database)
            wal = path.with_name(path.name + "-wal")
            return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        with engine.connect() as conn:
            return int(
                conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
            )

    def drop_all(self) -> None:
        if self.base is None or not self.created:
            return
        import sqlalchemy as sa

        from factcheck.storage.db import make_engine

        admin = make_engine(self.base).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def populate(url: str, server: ServerProcess, sources: int) -> Any:
    """Migrate a fresh database and declare the corpus, as `factcheck import` would."""
    from factcheck.declarations.inputs import validate_claim, validate_source
    from factcheck.domain import utcnow
    from factcheck.storage import catalog
    from factcheck.storage.db import make_engine, session_scope, upgrade

    engine = make_engine(url, must_exist=False)
    upgrade(engine)
    entries = [declarations(i, server.url(i)) for i in range(sources)]
    formats = {}
    with session_scope(engine) as session:
        for source, _ in entries:
            spec = validate_source(source)
            formats[spec.key] = spec.format
            catalog.add_source(session=session, spec=spec, now=utcnow())
        for _, claims in entries:
            for claim in claims:
                catalog.add_claim(
                    session=session,
                    spec=validate_claim(claim, source_formats=formats),
                    now=utcnow(),
                )
    return engine


# -- the bare pools --------------------------------------------------------------------------


def bare_pool(
    urls: list[str],
    *,
    threads: int,
    hosts: int,
    mode: str = "get",
    etags: dict[str, str] | None = None,
) -> tuple[Figures, dict[str, str]]:
    """requests in a thread pool of the same width, no database, no per-host limit.

    mode "get": GET and read the body; "parse": also parse it (lxml for HTML, json.loads for
    JSON), as the pipeline must; "304": conditional GETs with the ETags of a first pass, every
    answer a 304. Returns the figures and the ETags seen.
    """
    import requests
    from lxml import html as lxml_html
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=max(hosts, 1), pool_maxsize=threads)
    session.mount("http://", adapter)
    seen: dict[str, str] = {}

    def get(url: str) -> int:
        headers = {"If-None-Match": etags[url]} if mode == "304" and etags else {}
        reply = session.get(url, timeout=(10, 30), headers=headers)
        if mode == "304":
            assert reply.status_code == 304, reply.status_code
            return 1
        reply.raise_for_status()
        seen[url] = reply.headers.get("ETag", "")
        if mode == "parse":
            if url.endswith(".json"):
                json.loads(reply.content)
            else:
                lxml_html.fromstring(reply.content)
        return len(reply.content)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        total = sum(pool.map(get, urls))
    wall = time.perf_counter() - wall0
    session.close()
    assert total > 0
    figures = Figures(wall_s=wall, client_cpu_s=time.process_time() - cpu0, server_cpu_s=0.0)
    return figures, seen


def bare_pools(
    server: ServerProcess, urls: list[str], args: argparse.Namespace
) -> dict[str, Figures]:
    """The three bare pools, median of max(3, --repeat) each, interleaved."""
    runs: dict[str, list[Figures]] = {"bare pool": [], "pool+parse": [], "bare 304": []}
    etags: dict[str, str] = {}
    for _ in range(max(3, args.repeat)):
        for name, mode in (("bare pool", "get"), ("pool+parse", "parse"), ("bare 304", "304")):
            cpu0 = server.cpu_s()
            f, seen = bare_pool(
                urls, threads=args.threads, hosts=args.hosts, mode=mode, etags=etags
            )
            etags = etags or seen
            f.server_cpu_s = server.cpu_s() - cpu0
            runs[name].append(f)
            print(f"{name}: {f.wall_s:.2f} s", file=sys.stderr)
    return {name: median_figures(r) for name, r in runs.items()}


# -- the pipeline's phases, each in a process of its own ---------------------------------------


@dataclass
class Meters:
    cpu: CpuMeter
    walls: WallMeter
    profiles: Profiles | None
    profile_top: int = 30


def run_phase(url: str, settings: Any, profile_top: int, title: str) -> Figures:
    """One forced run on the database at `url`, in a fresh (spawned) process: its peak RSS
    is this phase's alone, start-up included."""
    from dataclasses import replace

    from factcheck.storage.db import make_engine
    from factcheck.verification.pipeline import run_verification

    meters = Meters(CpuMeter(), WallMeter(), Profiles() if profile_top else None, profile_top)
    install_meters(meters.cpu, meters.walls, meters.profiles)
    engine = make_engine(url)
    settings = replace(settings, database_url=url)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    summary = run_verification(engine=engine, settings=settings, force=True)
    wall = time.perf_counter() - wall0
    engine.dispose()
    figures = Figures(
        wall_s=wall,
        client_cpu_s=time.process_time() - cpu0,
        server_cpu_s=0.0,
        parse_extract_cpu_s=meters.cpu.total_s(),
        split=dict(meters.cpu.cpu_s),
        failed=len(summary.failed_sources),
        reused=sum(1 for s in summary.sources if s.reused),
        rss_mib=peak_rss_mib(),
    )
    plan_s, judge_s = meters.walls.wall_s.get("plan", 0.0), meters.walls.wall_s.get("judge", 0.0)
    figures.steps = {"plan": plan_s, "fetch+record": wall - plan_s - judge_s, "judge": judge_s}
    for claim in summary.claims:
        figures.labels[claim.label] = figures.labels.get(claim.label, 0) + 1
    for source in summary.failed_sources[:3]:
        errors = [source.error_message] + [r.error_message for r in source.links]
        print(f"  ! {source.plan.key}: {[e for e in errors if e]}", file=sys.stderr)
    if meters.profiles:
        meters.profiles.report(title, profile_top)
    return figures


def phase(
    url: str,
    settings: Any,
    args: argparse.Namespace,
    databases: Databases,
    server: ServerProcess,
    title: str,
) -> Figures:
    """run_phase in a spawned child; database growth and server CPU measured from here."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from factcheck.storage.db import make_engine

    engine = make_engine(url)
    size0 = databases.size_bytes(engine)
    server0 = server.cpu_s()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        figures = pool.submit(run_phase, url, settings, args.profile, title).result()
    figures.server_cpu_s = server.cpu_s() - server0
    figures.growth_bytes = databases.size_bytes(engine) - size0
    engine.dispose()
    return figures


@dataclass
class SizeFigures:
    sources: int
    setup_s: float
    cold: Figures
    unchanged: Figures
    latency: Figures | None = None
    bare_latency: Figures | None = None


def measure_size(
    sources: int,
    server: ServerProcess,
    databases: Databases,
    settings: Any,
    args: argparse.Namespace,
    *,
    with_latency: bool,
) -> SizeFigures:
    """Cold (each on a fresh copy of a populated database), unchanged, and latency runs."""
    start = time.perf_counter()
    template = databases.template(server, sources)
    setup_s = time.perf_counter() - start
    print(f"[{sources}] setup (migrate + declare, once) {setup_s:.1f} s", file=sys.stderr)
    cold_runs, url = [], ""
    for _ in range(args.repeat):
        url = databases.copy(template)
        f = phase(url, settings, args, databases, server, f"cold, {sources}")
        cold_runs.append(f)
        print(f"[{sources}] cold: {f.wall_s:.2f} s, RSS {f.rss_mib:.0f} MiB", file=sys.stderr)
    unchanged_runs = []
    for _ in range(args.repeat):
        f = phase(url, settings, args, databases, server, f"unchanged, {sources}")
        unchanged_runs.append(f)
        print(f"[{sources}] unchanged: {f.wall_s:.2f} s", file=sys.stderr)
    figures = SizeFigures(
        sources, setup_s, median_figures(cold_runs), median_figures(unchanged_runs)
    )
    if with_latency and args.latency_ms > 0:
        server.set_latency(args.latency_ms)
        latency_runs = []
        for _ in range(args.repeat):
            f = phase(databases.copy(template), settings, args, databases, server, "latency")
            latency_runs.append(f)
            print(f"[{sources}] latency: {f.wall_s:.2f} s", file=sys.stderr)
        figures.latency = median_figures(latency_runs)
        urls = [server.url(i) for i in range(sources)]
        cpu0 = server.cpu_s()
        figures.bare_latency, _ = bare_pool(urls, threads=args.threads, hosts=args.hosts)
        figures.bare_latency.server_cpu_s = server.cpu_s() - cpu0
        server.set_latency(0)
    return figures


# -- report ----------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def row(name: str, f: Figures, claims: int) -> None:
    share = f"{f.parse_extract_cpu_s / f.wall_s:6.1%}" if f.parse_extract_cpu_s else "     -"
    growth = f"{f.growth_bytes / claims:15.0f}" if f.growth_bytes is not None else " " * 14 + "-"
    pe = f"{f.parse_extract_cpu_s:11.2f}" if f.parse_extract_cpu_s else " " * 10 + "-"
    server = f"{f.server_cpu_s:11.2f}" if f.server_cpu_s else " " * 10 + "-"
    rss = f"{f.rss_mib:13.0f}" if f.rss_mib else " " * 12 + "-"
    print(f"{name:<14}{f.wall_s:8.2f}{f.client_cpu_s:11.2f}{server}{pe} {share}{growth}{rss}")


def print_size(args: argparse.Namespace, bare: dict[str, Figures], size: SizeFigures) -> None:
    claims = size.sources * CLAIMS_PER_SOURCE
    print()
    print(
        f"corpus: {size.sources} sources ({size.sources // 2 + size.sources % 2} HTML, "
        f"{size.sources // 2} JSON, ~{PAGE_BYTES // 1000} KB each), {claims} claims, "
        f"{args.hosts} loopback hosts x 2 per host, {args.threads} threads; database "
        f"{'PostgreSQL' if args.db else 'SQLite'}; setup {size.setup_s:.1f} s; repeat {args.repeat}"
    )
    header = (
        f"{'phase':<14}{'wall s':>8}{'client cpu':>11}{'server cpu':>11}"
        f"{'parse+extr':>11}{'share':>7}{'growth B/claim':>15}{'peak RSS MiB':>13}"
    )
    print(header)
    print("-" * len(header))
    if size.sources == args.sizes[0]:
        for name, f in bare.items():
            row(name, f, claims)
    row("cold", size.cold, claims)
    row("unchanged", size.unchanged, claims)
    if size.latency is not None:
        row(f"latency {args.latency_ms:g}ms", size.latency, claims)
        if size.bare_latency is not None:
            row("  bare pool", size.bare_latency, claims)
        ideal = size.sources * args.latency_ms / 1000 / args.threads
        how = f"{size.sources} x {args.latency_ms / 1000:g} s / {args.threads} threads"
        print(f"{'  ideal':<14}{ideal:8.2f}   ({how})")
    print(
        f"per source: cold {size.cold.wall_s / size.sources * 1000:.2f} ms, unchanged "
        f"{size.unchanged.wall_s / size.sources * 1000:.2f} ms; checks: cold labels "
        f"{dict(sorted(size.cold.labels.items()))} failed {size.cold.failed}; unchanged reused "
        f"{size.unchanged.reused}/{size.sources}, failed {size.unchanged.failed}"
    )
    for name, f in (("cold", size.cold), ("unchanged", size.unchanged), ("latency", size.latency)):
        if f is not None and f.steps:
            parts = ", ".join(f"{k} {v:.2f} s" for k, v in f.steps.items())
            print(f"wall by step ({name}): {parts}")


def target(label: str, figure: str, ok: bool | None, note: str = "") -> None:
    mark = "" if ok is None else verdict(ok)
    print(f"  {label:<48}{figure:>10}  {mark}{'  ' + note if note else ''}")


def print_targets(
    args: argparse.Namespace, bare: dict[str, Figures], sizes: list[SizeFigures]
) -> None:
    first, last = sizes[0], sizes[-1]
    print()
    print(f"targets ({'PostgreSQL' if args.db else 'SQLite'}):")
    ratio = first.cold.wall_s / bare["bare pool"].wall_s
    target(f"cold <= 2.0x bare pool ({first.sources})", f"{ratio:.2f}x", ratio <= 2.0)
    ratio = first.cold.wall_s / bare["pool+parse"].wall_s
    target(f"  (cold vs the pool with parsing: {first.sources})", f"{ratio:.2f}x", None)
    ratio = first.unchanged.wall_s / bare["bare 304"].wall_s
    target(f"unchanged <= 1.5x bare 304 pool ({first.sources})", f"{ratio:.2f}x", ratio <= 1.5)
    if first.latency is not None:
        ideal = first.sources * args.latency_ms / 1000 / args.threads
        lat = first.latency.wall_s / ideal
        target(f"latency {args.latency_ms:g} ms <= 1.10x ideal", f"{lat:.2f}x", lat <= 1.10)
        if first.bare_latency is not None:
            scale = first.bare_latency.wall_s / ideal
            target("  (the bare pool with the same latency)", f"{scale:.2f}x", None)
    if last is not first:
        per = [s.cold.wall_s / s.sources * 1000 for s in (first, last)]
        drift = per[1] / per[0] - 1
        note = f"cold {per[0]:.2f} -> {per[1]:.2f} ms a source"
        label = f"per source at {last.sources} within 15% of {first.sources}"
        target(label, f"{drift:+.1%}", drift <= 0.15, note)
        per = [s.unchanged.wall_s / s.sources * 1000 for s in (first, last)]
        note = f"unchanged {per[0]:.2f} -> {per[1]:.2f} ms a source"
        target("  (unchanged)", f"{per[1] / per[0] - 1:+.1%}", None, note)
        rss = [s.cold.rss_mib for s in (first, last)]
        note = f"cold {rss[0]:.0f} -> {rss[1]:.0f} MiB (a process per phase)"
        target("peak RSS flat", f"{rss[1] / rss[0] - 1:+.0%}", None, note)
    for size in sizes:
        growth = (size.unchanged.growth_bytes or 0) / (size.sources * CLAIMS_PER_SOURCE)
        label = f"growth per unchanged claim <= 300 B ({size.sources})"
        target(label, f"{growth:.0f} B", growth <= 300)


# -- main ------------------------------------------------------------------------------------


def scaling(argv: list[str]) -> int:
    """`--workers 1,2,3`: worker processes, measured by benchmarks/scaling.py (ops)."""
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        import scaling as scaling_module  # type: ignore[import-not-found]
    except ImportError:
        print("benchmarks/scaling.py is not there: no worker-process scaling figures")
        return 1
    return int(scaling_module.main(argv))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--sources", default="1000", help="sources (2 claims each); a list, e.g. 1000,10000"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per slow phase (median)")
    parser.add_argument("--hosts", type=int, default=8, help="loopback addresses to spread over")
    parser.add_argument("--threads", type=int, default=16, help="settings.workers and bare width")
    parser.add_argument(
        "--workers", default=None, help="1,2,3: worker processes (benchmarks/scaling.py)"
    )
    parser.add_argument("--latency-ms", type=float, default=200.0, help="0 skips that phase")
    parser.add_argument(
        "--db", default=None, help="postgresql://... (default: SQLite in a tmp dir)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="TOP",
        help="cProfile (thread CPU time) each phase; print TOP functions",
    )
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files; print where")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = [int(n) for n in str(args.sources).split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.workers is not None:
        rest = [a for a in argv if a != "--workers" and not a.startswith("--workers=")]
        rest = [a for a in rest if a != args.workers]
        return scaling(["--workers", args.workers, *rest])
    if args.serve:
        serve(max(args.sizes), args.hosts)
        return 0
    if args.hosts * 2 < args.threads:
        print(
            f"warning: {args.hosts} hosts x 2 in flight < {args.threads} threads", file=sys.stderr
        )

    from factcheck.config import Settings

    settings = Settings(
        allow_loopback=True,  # the SSRF guard refuses 127.0.0.0/8 otherwise
        per_host_delay_s=0.0,  # no politeness gap: measure the pipeline, not the pacing
        workers=args.threads,
        per_host_concurrency=2,
        obey_robots=True,  # the server serves an allow-all robots.txt
    )
    workdir = Path(tempfile.mkdtemp(prefix="factcheck-nightly-"))
    databases = Databases(args.db, workdir)
    try:
        with server_process(max(args.sizes), args.hosts) as server:
            print(f"server pid {server.process.pid} on {', '.join(server.ports)}", file=sys.stderr)
            urls = [server.url(i) for i in range(args.sizes[0])]
            bare = bare_pools(server, urls, args)
            sizes = [
                measure_size(n, server, databases, settings, args, with_latency=n == args.sizes[0])
                for n in args.sizes
            ]
        for size in sizes:
            print_size(args, bare, size)
        print_targets(args, bare, sizes)
    finally:
        databases.drop_all()
        if args.keep:
            print(f"databases kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
