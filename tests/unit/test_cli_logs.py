"""Logging as set up by the root callback (cli/logs.py): which loggers show at -v, -vv, -vvv, what
a text and a JSON line look like, and the run journal's wording (verification/journal.py; its
doctests run with the package's)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import pytest

from factcheck.cli import logs
from factcheck.verification import journal

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


class Stderr:
    """What was written to sys.stderr (pytest swaps it at each test phase: read it through
    capsys, not a buffer set up in a fixture)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def getvalue(self) -> str:
        return self._capsys.readouterr().err


@pytest.fixture
def stderr(capsys: pytest.CaptureFixture[str]) -> Iterator[Stderr]:
    """stderr as written; the root and factcheck loggers restored afterwards."""
    root, own = logging.getLogger(), logging.getLogger(logs.OWN)
    saved = (root.level, root.handlers[:], own.level)
    try:
        yield Stderr(capsys)
    finally:
        root.setLevel(saved[0])
        root.handlers = saved[1]
        own.setLevel(saved[2])


def _emit() -> None:
    logging.getLogger("factcheck.verification.journal").info("own info")
    logging.getLogger("factcheck.storage.db").debug("own debug")
    logging.getLogger("alembic.runtime.migration").info("library info")
    logging.getLogger("urllib3.connectionpool").warning("library warning")


@pytest.mark.parametrize(
    ("verbose", "shown"),
    [
        (0, ["library warning"]),
        (1, ["own info", "library warning"]),
        (2, ["own info", "own debug", "library warning"]),
        (3, ["own info", "own debug", "library info", "library warning"]),
    ],
)
def test_verbosity_shows_factcheck_first_and_libraries_only_at_vvv(
    stderr: Stderr, verbose: int, shown: list[str]
) -> None:
    logs.setup_logging(verbose)
    _emit()
    assert [line.split(": ", 1)[1] for line in stderr.getvalue().splitlines()] == shown


def test_a_library_that_sets_its_own_level_stays_quiet_below_vvv(stderr: Stderr) -> None:
    chatty = logging.getLogger("werkzeug")
    saved = chatty.level
    chatty.setLevel(logging.INFO)  # what werkzeug does to itself
    try:
        logs.setup_logging(2)
        chatty.info("GET /page 200")
    finally:
        chatty.setLevel(saved)
    assert stderr.getvalue() == ""


def test_setting_up_again_keeps_one_handler(stderr: Stderr) -> None:
    logs.setup_logging(1)
    logs.setup_logging(1, log_format="json")
    logging.getLogger("factcheck.x").info("once")
    assert len(stderr.getvalue().splitlines()) == 1


def test_a_text_line_has_a_utc_timestamp_level_logger_and_message(stderr: Stderr) -> None:
    logs.setup_logging(1)
    logging.getLogger("factcheck.verification.journal").info("source %s: ok", "card")
    assert re.fullmatch(
        rf"{STAMP} INFO factcheck\.verification\.journal: source card: ok\n", stderr.getvalue()
    )


def test_a_json_line_carries_the_extra_fields_and_the_traceback(stderr: Stderr) -> None:
    logs.setup_logging(1, log_format="json")
    log = logging.getLogger("factcheck.verification.journal")
    log.info("source %s", "card", extra={"url": "https://x/é", "status": 503, "ms": 12})
    try:
        raise ValueError("broken")
    except ValueError:
        log.error("failed", exc_info=True)
    first, second = (json.loads(line) for line in stderr.getvalue().splitlines())
    assert re.fullmatch(STAMP, first.pop("ts"))
    assert first == {
        "level": "INFO",
        "logger": "factcheck.verification.journal",
        "msg": "source card",
        "url": "https://x/é",
        "status": 503,
        "ms": 12,
    }
    assert second["level"] == "ERROR" and "ValueError: broken" in second["exc"]


def test_the_scheduler_raises_factcheck_to_info_but_not_above_what_was_asked(
    stderr: Stderr,
) -> None:
    logs.setup_logging(0)
    assert not logs.journal_shows()
    logs.serve_at_info()
    assert logs.journal_shows()
    logs.setup_logging(2)
    logs.serve_at_info()
    assert logging.getLogger(logs.OWN).level == logging.DEBUG


def test_a_run_with_failed_sources_is_never_called_a_plain_success() -> None:
    assert journal.outcome("succeeded", 1) == "completed, some sources failed"
    assert journal.outcome("succeeded", 0) == "completed"
    assert journal.outcome("interrupted", 3) == "interrupted"
