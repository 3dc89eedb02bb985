"""Helpers shared by the discovery tests: the project's misbehaving servers, process checks."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

MISBEHAVING = Path(__file__).resolve().parent / "servers" / "misbehaving"
PYTHON = sys.executable


# What the real docker CLI says on standard error, and its exit code, when it cannot use the
# daemon: none running, and one whose socket refuses the user (not in the docker group).
DOCKER_STOPPED = ("docker: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                  "Is the docker daemon running?", 125)
DOCKER_DENIED = ("docker: permission denied while trying to connect to the Docker daemon socket at "
                 "unix:///var/run/docker.sock: Head \"http://%2Fvar%2Frun%2Fdocker.sock/_ping\": dial unix "
                 "/var/run/docker.sock: connect: permission denied.\nSee 'docker run --help'.", 1)


def fake_docker(folder: Path, behaviour: tuple[str, int]) -> Path:
    """A folder, for PATH, with a `docker` that prints `behaviour`'s lines on standard error
    and exits with its code, as the real CLI does when it cannot use the daemon."""
    message, code = behaviour
    folder.mkdir()
    docker = folder / "docker"
    printed = "".join(f"echo {_sh_quoted(line)} >&2\n" for line in message.splitlines())
    docker.write_text(f"#!/bin/sh\n{printed}exit {code}\n")
    docker.chmod(0o755)
    return folder


def _sh_quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


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
