"""Logging, set up once per process by the root callback: what shows, and how a line looks.

`-v` shows factcheck's own loggers at INFO, `-vv` at DEBUG; third-party libraries (alembic,
urllib3, apscheduler, sqlalchemy, ...) stay at WARNING unless `-vvv`. Every line goes to
stderr and starts with a UTC ISO 8601 timestamp:

    2026-11-29T14:03:07.123Z INFO factcheck.verification.pipeline: run 3 completed: ...

`FACTCHECK_LOG_FORMAT=json` writes one JSON object per line instead: `ts`, `level`, `logger`,
`msg`, and every field a call passed with `extra=` (a source's url, status, bytes, ...), so a
journal or a log shipper can filter on them without parsing the message.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime

OWN = "factcheck"  # the logger above every factcheck module
# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def timestamp(record: logging.LogRecord) -> str:
    """The record's time in UTC, ISO 8601 with milliseconds and a Z.

    >>> timestamp(logging.makeLogRecord({"created": 1795961587.1234}))
    '2026-11-29T14:13:07.123Z'
    """
    moment = datetime.fromtimestamp(record.created, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def extra_fields(record: logging.LogRecord) -> dict[str, object]:
    """What a call passed with `extra=`, in the order it was given."""
    return {
        k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")
    }


class TextFormatter(logging.Formatter):
    """`<UTC timestamp> <LEVEL> <logger>: <message>`, a traceback on the lines after."""

    def format(self, record: logging.LogRecord) -> str:
        message = " ".join(record.getMessage().splitlines())  # every line starts with the time
        line = f"{timestamp(record)} {record.levelname} {record.name}: {message}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info).rstrip()
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the `extra=` fields, and `exc`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in extra_fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time: a progress bar that redirects stderr
    while it draws then prints log lines above itself instead of through its frame."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # logging must never fail the command
            self.handleError(record)


def setup_logging(verbose: int, *, log_format: str = "text") -> None:
    """Configure the root logger for this command (again, if called again: one handler)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    if verbose < 3:  # even a library that sets its own logger to INFO (werkzeug) stays quiet
        handler.addFilter(_own_or_warning)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose >= 3 else logging.WARNING)
    own = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.getLogger(OWN).setLevel(own)


def write_json_line(message: str, *, logger: str, level: str = "INFO") -> None:
    """A command's message as a JSON log line, whatever the log level (it is output, not a log
    record that -v turns on)."""
    record = logging.LogRecord(logger, logging.getLevelName(level), "", 0, message, None, None)
    sys.stderr.write(JsonFormatter().format(record) + "\n")
    sys.stderr.flush()


def json_active() -> bool:
    """Whether the log is JSON lines: then a command's final error is one of them too, so a
    journal reader gets nothing but JSON."""
    return any(
        isinstance(h, StderrHandler) and isinstance(h.formatter, JsonFormatter)
        for h in logging.getLogger().handlers
    )


def _own_or_warning(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or record.name.partition(".")[0] == OWN


def serve_at_info() -> None:
    """A service's runs, sources and notices belong in its journal: INFO at least."""
    own = logging.getLogger(OWN)
    if own.getEffectiveLevel() > logging.INFO:
        own.setLevel(logging.INFO)


def journal_shows(name: str = "factcheck.verification") -> bool:
    """Whether INFO lines of `name` are written: then a command does not also say what they
    say (a run's outcome, its failed sources), so nothing is printed twice."""
    return logging.getLogger(name).isEnabledFor(logging.INFO)
