"""An HTTP gateway for the tests, started as its users start it.

`policytui gateway --listen 127.0.0.1:0` picks a free port and writes the URL it serves at in
its log; every test that talks HTTP to a gateway starts it here, waits for that line, and stops
it with a signal, as a service manager would.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# How the tests run the program: the interpreter of this virtualenv, the package as a module.
POLICYTUI_MODULE = (sys.executable, "-m", "policytui")
LISTENING_AT = re.compile(r"at (http://127\.0\.0\.1:\d+/mcp)")


@dataclass
class Listening:
    process: subprocess.Popen[bytes]
    url: str  # the gateway's /mcp endpoint


def start_http_gateway(
    options: Sequence[str], upstream: Sequence[str], log: Path, *,
    command: Sequence[str] = POLICYTUI_MODULE, seconds: float = 60,
) -> Listening:
    """Start `policytui gateway OPTIONS --listen 127.0.0.1:0 --log LOG -- UPSTREAM` and wait
    until it says where it listens (AssertionError, with the log's end, if it never does)."""
    process = subprocess.Popen(
        [*command, "gateway", *options, "--listen", "127.0.0.1:0", "--log", str(log), "--", *upstream],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + seconds
    while True:
        text = log.read_text(encoding="utf-8") if log.exists() else ""
        found = LISTENING_AT.search(text)
        if found:
            return Listening(process, found.group(1))
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise AssertionError(f"the HTTP gateway did not start listening: {text[-2000:]}")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes], how: int = signal.SIGTERM) -> int:
    """Stop a gateway with a signal, SIGTERM unless told (killed if it has not exited within
    20 s): its exit code."""
    if process.poll() is None:
        process.send_signal(how)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=10)


@contextmanager
def http_gateway(
    options: Sequence[str], upstream: Sequence[str], log: Path, *,
    command: Sequence[str] = POLICYTUI_MODULE, how: int = signal.SIGTERM,
) -> Iterator[Listening]:
    """`start_http_gateway`, stopped with `how` when the block ends."""
    listening = start_http_gateway(options, upstream, log, command=command)
    try:
        yield listening
    finally:
        stop(listening.process, how)


async def close_stdin_and_wait(process: asyncio.subprocess.Process, seconds: float = 20) -> None:
    """End a stdio gateway as its client does, by closing its input (killed if it has not
    exited within `seconds`)."""
    if process.returncode is not None:
        return
    assert process.stdin is not None
    process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), seconds)
    except TimeoutError:
        process.kill()
        await process.wait()
