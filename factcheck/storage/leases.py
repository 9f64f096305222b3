"""Who holds a lock and what a held lock can do: the values both lock kinds share.

A holder is named host:pid:token, so that a lease row left by a process on this machine that
no longer exists can be recognised and taken over.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

Clock = Callable[[], datetime]


def new_holder() -> str:
    """host:pid:token, unique per acquisition (two locks taken by one process differ)."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine (signal 0 probes without touching it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def dead_here(holder: str, is_alive: Callable[[int], bool]) -> bool:
    """The holder was a process on this machine that no longer exists."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname()[:120] and pid.isdigit() and not is_alive(int(pid))


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, for `schedule status` and error messages."""

    name: str
    holder: str
    since: datetime | None = None
    expires_at: datetime | None = None  # SQLite leases only
    expired: bool = False  # the lease ran out: the next taker gets it

    def describe(self) -> str:
        text = self.holder
        if self.since is not None:
            text += f" since {self.since:%Y-%m-%d %H:%M:%S} UTC"
        if self.expired:
            text += " (lease expired)"
        return text


class Lease:
    """A held lock. `renew` says whether it is still held; `release` gives it up."""

    def __init__(self, *, name: str, holder: str) -> None:
        self.name = name
        self.holder = holder
        self.beats: list[Callable[[], None]] = []  # also called on each heartbeat

    def renew(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError
