"""Helpers shared by the discovery tests: the project's misbehaving servers, process checks."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

MISBEHAVING = Path(__file__).resolve().parent / "servers" / "misbehaving"
PYTHON = sys.executable


def script(name: str) -> list[str]:
    """The command line that runs one of the misbehaving servers."""
    return [PYTHON, str(MISBEHAVING / name)]


def alive(pid: int) -> bool:
    """Whether a process still runs (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat[stat.rfind(b")") + 2 :][:1] not in (b"Z", b"X")


def pids_in(path: Path) -> list[int]:
    if not path.exists():
        return []
    return [int(line) for line in path.read_text().split() if line.strip()]


def assert_all_gone(pids: list[int], within: float = 1.0) -> None:
    """Every pid has exited (allowing a moment for the kernel to reap)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    left = [pid for pid in pids if alive(pid)]
    assert not left, f"processes left running: {left}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.05)
    return False
