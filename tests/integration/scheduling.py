"""Helpers for the scheduler, run lock and notice tests: declared sources on a local server,
a child `factcheck` process whose stderr can be waited on line by line."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from tests.support import DatabaseUnderTest, factcheck_bin, seed

UA = "factcheck-test/1.0 (+https://example.org/factcheck; contact: test@example.org)"
CHILD_ENV = {
    "FACTCHECK_ALLOW_LOOPBACK": "1",
    "FACTCHECK_PER_HOST_DELAY_S": "0",
    "FACTCHECK_OBEY_ROBOTS": "0",
    "FACTCHECK_WORKERS": "1",  # sources in declared order, one at a time
    "FACTCHECK_RETRIES": "0",
    "FACTCHECK_USER_AGENT": UA,
}


def declare(database: DatabaseUnderTest, folder: Path, base_url: str, names: list[str]) -> None:
    """One text source per name at {base_url}/{name}.txt, each with one claim: 405B parameters."""
    entries = []
    for name in names:
        entries.append(
            f"""
[[source]]
key = "{name}"
url = "{base_url}/{name}.txt"
format = "text"
title = "{name}"
recheck_hours = 24

[[claim]]
key = "claim-{name}"
statement = "The model has 405B parameters."
kind = "quantity"
expected = "405e9"
unit = "parameters"

  [[claim.evidence]]
  source = "{name}"
  rule_kind = "regex"
  rule = '(?P<value>\\d+B) parameters'
  options = {{ unit = "parameters" }}
"""
        )
    path = folder / "declared.toml"
    path.write_text("".join(entries), encoding="utf-8")
    seed(database, path)


class Child:
    """A `factcheck` subprocess; its stderr is read on a thread so tests wait on lines, not time."""

    def __init__(self, *args: str, db_url: str, cwd: Path, env: dict[str, str] | None = None):
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}
        self.proc = subprocess.Popen(
            [factcheck_bin(), "--db", db_url, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env={**inherited, **CHILD_ENV, **(env or {})},
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, pattern: str, timeout: float = 30.0) -> str:
        """The first stderr line matching `pattern`; fails with what was seen on timeout/EOF."""
        wanted = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}; saw {self.seen}") from None
            if line is None:
                raise AssertionError(f"exited before {pattern!r}; saw {self.seen}")
            self.seen.append(line)
            if wanted.search(line):
                return line

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def finish(self, timeout: float = 30.0) -> int:
        """Wait for exit, reap, close the pipe, join the reader."""
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._reader.join(timeout=10)
            assert self.proc.stderr is not None
            self.proc.stderr.close()
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.seen.append(line)
        return code

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for a condition (polling the database), never for an amount of time."""
    done = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        done.wait(0.05)
    raise AssertionError("condition not met in time")
