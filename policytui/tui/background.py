"""Slow start-up work that a quit must never wait for.

Listing a server (starting it, `import mcp`, the handshake) and classifying its tools run off
the UI thread. `asyncio.to_thread` would put them on the default executor, whose threads the
interpreter joins on the way out: ctrl+q during a 30-second server start then blanked the
screen and the process lived on until the listing timed out. Here each step runs in a daemon
thread the interpreter does not wait for, and `stop_started_servers` ends the server processes
a listing left behind, so quitting takes effect at once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# How long a server gets to leave after SIGTERM before SIGKILL.
TERM_GRACE_SECONDS = 0.5


async def in_daemon_thread(function: Callable[[], T], name: str = "policytui-startup") -> T:
    """`await function()` run in a daemon thread; cancelling the await abandons the thread."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(setter: Callable[[], None]) -> None:
        try:
            loop.call_soon_threadsafe(setter)
        except RuntimeError:
            pass  # the loop is closed: the app has left and nobody waits for the answer

    def run() -> None:
        try:
            result = function()
        except BaseException as exc:  # handed to the awaiting coroutine, re-raised there
            error = exc
            deliver(lambda: None if future.done() else future.set_exception(error))
        else:
            deliver(lambda: None if future.done() else future.set_result(result))

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future


def _children_leading_groups() -> list[int]:
    """Our child processes that lead their own process group (how servers are started)."""
    me = os.getpid()
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found  # no /proc: nothing to look through (the servers end with their stdin)
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode("utf-8", "replace")
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) >= 3 and fields[0] != "Z" and int(fields[1]) == me and int(fields[2]) == int(entry):
            found.append(int(entry))
    return found


def stop_started_servers() -> None:
    """End every server process (and its process group) this process started and left running."""
    groups = _children_leading_groups()
    for group in groups:
        _signal(group, signal.SIGTERM)
    deadline = time.monotonic() + TERM_GRACE_SECONDS
    while groups and time.monotonic() < deadline:
        groups = [g for g in groups if _reap(g)]
        time.sleep(0.02)
    for group in groups:
        _signal(group, signal.SIGKILL)
        _reap(group)


def _signal(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _reap(pid: int) -> bool:
    """True while `pid` still runs."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0
