"""What every command shares: exit codes, shared options, settings and the engine, one-line
errors, signal handling, `--since` parsing and output helpers.

Messages and progress go to stderr; stdout carries only the result (a table, or JSON with
`--json`), so `factcheck ... --json | jq` always works.

Start-up is kept short: this module, like every command module, imports the database and
network toolkits (sqlalchemy, sqlmodel, alembic, requests, lxml) only inside the functions that
use them, so that `factcheck --help` and `factcheck --version` never load them.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import Enum, IntEnum, StrEnum
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # typer vendors click
from typer.core import TyperGroup

import factcheck
from factcheck.cli import parsing
from factcheck.config import Settings
from factcheck.domain import Label
from factcheck.errors import FactcheckError, ValidationError

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

PROG = "factcheck"


class ExitCode(IntEnum):
    """The exit status of every command (README "Exit codes"); FactcheckError subclasses carry
    one of these values as `exit_code`."""

    OK = 0
    FAILURE = 1  # a runtime failure: the database, the network outside any source
    USAGE = 2  # a usage or validation error: nothing was done
    SOURCES_FAILED = 3  # verification ran, some sources failed
    NOT_FOUND = 4  # an unknown claim or source key
    LOCKED = 5  # another run holds the lock
    INTERRUPTED = 130  # SIGINT or SIGTERM stopped the command (128 + SIGINT)


class _LazyConsole:
    """A rich Console made on first use: importing rich.console costs `--help` and
    `--version` ~25 ms of their ~150, and neither prints through it."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def _real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            # Markup off: cells hold scraped text and rules ("[a-z]+", "[/bold]") that must
            # print as they are.
            self._console = Console(
                stderr=self._stderr, soft_wrap=True, markup=False, highlight=False
            )
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __enter__(self) -> Console:  # rich's Live uses `with console:` to buffer a refresh
        return self._real().__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        self._real().__exit__(*exc_info)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))

# Options used by several commands: one definition, one help text.
JSON_OPTION = typer.Option(False, "--json", help="Print JSON on stdout (messages stay on stderr).")
WAIT_OPTION = typer.Option(
    False, "--wait", help="Wait for a run in progress to finish instead of exiting 5."
)
DB_OPTION = typer.Option(
    None,
    "--db",
    metavar="URL",
    help="Database URL (default: $FACTCHECK_DATABASE_URL or sqlite:///factcheck.db); "
    "also accepted after the subcommand.",
)
VERBOSE_OPTION = typer.Option(
    0,
    "--verbose",
    "-v",
    count=True,
    show_default=False,
    help=(
        "factcheck's log at INFO (-v), DEBUG (-vv), libraries too (-vvv); "
        "also accepted after the subcommand."
    ),
)


class LabelFilter(StrEnum):
    """A filter on a claim's standing label: a Label's word, or none (no verdict yet)."""

    SUPPORTED = Label.SUPPORTED.value
    REFUTED = Label.REFUTED.value
    MIXED = Label.MIXED.value
    NOT_ENOUGH_INFO = Label.NOT_ENOUGH_INFO.value
    PENDING = Label.PENDING.value
    NONE = "none"


def plain(value: Any) -> Any:
    """A choice option's value as the core takes it: the enum's word (None stays None)."""
    return value.value if isinstance(value, Enum) else value


class AppState:
    """What a command needs from the root options. Settings are read on first use, so that
    `factcheck SUB --help` works even when the environment or config file is wrong."""

    def __init__(self, load: Callable[[], Settings]) -> None:
        self._load = load
        self._settings: Settings | None = None
        self.engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self._load()
        return self._settings

    def open(self) -> Engine:
        """The engine of an existing database whose schema is at head."""
        if self.engine is None:
            from factcheck.storage.db import check_at_head, make_engine

            engine = make_engine(self.settings.database_url)
            check_at_head(engine)
            self.engine = engine
        return self.engine


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        raise RuntimeError("the CLI callback did not build the settings")
    return root.obj


@contextmanager
def transaction(ctx: typer.Context) -> Iterator[Session]:
    """One command, one transaction: everything or nothing is written."""
    from factcheck.storage.db import session_scope

    with session_scope(state(ctx).open()) as session:
        yield session


@contextmanager
def stop_on_signals(
    stop: threading.Event, *, tell: Callable[[str], None] | None = None
) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` (a clean stop); a second SIGINT interrupts at once.

    `tell` (default: say on stderr) reports the signal; a service passes its log instead."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        (tell or say)(
            f"{signal.Signals(signum).name}: stopping; sources in flight are recorded interrupted"
        )

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def parse_since(text: str | None) -> datetime | None:
    """`--since`: a date (YYYY-MM-DD, midnight UTC) or an ISO 8601 date-time (UTC unless it
    names an offset), as an aware UTC datetime; None when not given.

    >>> parse_since("2026-01-02")
    datetime.datetime(2026, 1, 2, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_since("2026-01-02T03:00:00+02:00")
    datetime.datetime(2026, 1, 2, 1, 0, tzinfo=datetime.timezone.utc)
    """
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"--since {text!r}: expected YYYY-MM-DD or an ISO 8601 date-time"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def say(message: str) -> None:
    """A message on stderr; a JSON line (level INFO, logger factcheck.cli) when the log is
    JSON, so that `2>&1 | jq` never meets plain text."""
    from factcheck.cli.logs import json_active, write_json_line

    if json_active():
        write_json_line(message, logger="factcheck.cli")
        return
    err.print(message, markup=False, highlight=False)


def is_terminal() -> bool:
    return isatty(sys.stdin) and isatty(sys.stderr)


def isatty(stream: object) -> bool:
    """Whether `stream` is a real terminal. Not rich's `is_terminal`, which FORCE_COLOR and
    TTY_COMPATIBLE turn on: those may colour a pipe, never turn its TSV into a folded table or
    put bar frames into a log file. A closed or unusual stream is no terminal."""
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """`--option NAME=VALUE` pairs as a dict; a VALUE that parses as JSON is taken as JSON."""
    options: dict[str, Any] = {}
    for item in pairs or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValidationError(f"--option {item!r}: expected NAME=VALUE")
        try:
            options[name] = json.loads(value)
        except json.JSONDecodeError:
            options[name] = value
    return options


def show_version(value: bool) -> None:
    """The eager `--version` callback: prints before any setting is read or database opened."""
    if value:
        typer.echo(f"{PROG} {factcheck.__version__}")
        raise typer.Exit()


class OneLineErrors(TyperGroup):
    asks_help = False  # `--help` is among the arguments: settings are not read for help
    """The root command group: every error, typer's usage errors included, is one line on
    stderr with its exit code, never click's usage block or a traceback."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        parsing.tidy_help(self)
        if os.environ.get(complete_var or parsing.COMPLETE_VAR):
            parsing.enable_completion()
        args = parsing.hoist_globals(self, sys.argv[1:] if args is None else args)
        self.asks_help = parsing.asks_help(args)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:  # `factcheck` or `factcheck claim` alone: the help
            exc.show()
            sys.exit(exc.exit_code)
        except UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else PROG
            message = _one_line(exc.format_message()).replace("Value error, ", "")  # pydantic's
            _fail(f"{message} (see `{command} --help`)")
            sys.exit(ExitCode.USAGE)
        except typer.TyperException as exc:  # click's other errors (a file that cannot be opened)
            _fail(f"{_one_line(exc.format_message())}")
            sys.exit(exc.exit_code)
        except typer.Abort:
            _fail("aborted")
            sys.exit(ExitCode.FAILURE)
        except FactcheckError as exc:
            _fail(f"{exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted")
            sys.exit(ExitCode.INTERRUPTED)
        except Exception as exc:  # a bug: still one line; the traceback is in the log (-vv)
            logging.getLogger(PROG).debug("unexpected error", exc_info=True)
            _fail(f"internal error: {type(exc).__name__}: {_one_line(str(exc))[:300]}")
            sys.exit(ExitCode.FAILURE)
        sys.exit(code if isinstance(code, int) else ExitCode.OK)


def _fail(message: str) -> None:
    """The command's last word: `error: ...` on stderr, or a JSON log line (level ERROR) when
    FACTCHECK_LOG_FORMAT=json, so that a service's journal is JSON throughout."""
    from factcheck.cli.logs import json_active

    if json_active():
        logging.getLogger(PROG).error(message)
    elif message in ("aborted", "interrupted"):
        say(message)
    else:
        say(f"error: {message}")


def _one_line(message: str) -> str:
    return " ".join(message.split())
