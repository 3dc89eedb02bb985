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
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policytui.cli.gateway_cmd import MOST_IN_PROGRESS

# How the tests run the program: the interpreter of this virtualenv, the package as a module.
POLICYTUI_MODULE = (sys.executable, "-m", "policytui")
LISTENING_AT = re.compile(r"at (http://127\.0\.0\.1:\d+/mcp)")
RECORDING = Path(__file__).resolve().parent / "servers" / "recording"
# The most requests in progress a gateway takes from one client, for the tests of a client that
# writes hundreds of calls at once, which a fast server's answers lag behind: what they test is
# not that limit (tests/test_gateway_in_progress_limit.py is).
MOST_IN_PROGRESS_OPTIONS = ("--max-in-progress", str(MOST_IN_PROGRESS))


def flows_behind_tee(tmp: Path) -> list[str]:
    """The command of the Python-SDK flows server behind `tee_stdin.py`: every byte the server
    is sent lands in TMP/received.bin, every tool it runs in TMP/executed.jsonl."""
    return [sys.executable, str(RECORDING / "tee_stdin.py"), str(tmp / "received.bin"), "--",
            sys.executable, str(RECORDING / "flows_server.py"), str(tmp / "executed.jsonl")]


@dataclass
class Listening:
    process: subprocess.Popen[bytes]
    url: str  # the gateway's /mcp endpoint


def start_http_gateway(
    options: Sequence[str], upstream: Sequence[str], log: Path, *,
    command: Sequence[str] = POLICYTUI_MODULE, seconds: float = 60,
) -> Listening:
    """Start `policytui gateway OPTIONS --listen 127.0.0.1:0 --log LOG -- UPSTREAM` and wait
    until it says where it listens (AssertionError, with the log's end, if it never does).
    Its standard error goes to LOG.stderr, next to the log, where the tests' guard reads it."""
    with open(log.with_name(log.name + ".stderr"), "ab") as stderr:
        process = subprocess.Popen(
            [*command, "gateway", *options, "--listen", "127.0.0.1:0", "--log", str(log), "--", *upstream],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
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


def leave(process: asyncio.subprocess.Process) -> None:
    """The client goes away as a process that exits does: its ends of the gateway's input and
    output close together, the output first, so that the gateway finds it closed as soon as it
    reads the end of its input. (Closing the input alone is the end of the requests, each
    still answered.)"""
    transport = getattr(process, "_transport", None)
    output = transport.get_pipe_transport(1) if transport is not None else None
    if output is not None:
        output.close()
    assert process.stdin is not None
    process.stdin.close()


async def close_stdin_and_wait(process: asyncio.subprocess.Process, seconds: float = 20) -> None:
    """End a stdio gateway as its client does when it exits, closing its input and output
    (killed if it has not exited within `seconds`)."""
    if process.returncode is not None:
        return
    leave(process)
    try:
        await asyncio.wait_for(process.wait(), seconds)
    except TimeoutError:
        process.kill()
        await process.wait()


@asynccontextmanager
async def sdk_client(
    transport: str, mode: str, options: Sequence[str], upstream: Sequence[str], log: Path, *,
    token: str | None = None, **client_options: Any,
) -> AsyncIterator[Any]:
    """The mcp SDK's `Client` in `mode` ("legacy", "2026-07-28", "auto") talking to `policytui
    gateway OPTIONS -- UPSTREAM` as an agent's client does: over "stdio" the client starts the
    gateway (logging to LOG, its standard error to LOG.stderr); over "http" the gateway listens (`start_http_gateway`) and the
    client reaches it over streamable HTTP, with `token` as its bearer token when given.
    `client_options` go to `Client` (callbacks, `message_handler`)."""
    import httpx2
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client

    if transport == "stdio":
        params = StdioServerParameters(command=POLICYTUI_MODULE[0], args=[
            *POLICYTUI_MODULE[1:], "gateway", *options, "--log", str(log), "--", *upstream])
        # Its standard error (the agent's terminal) goes next to its log, where the guard reads it.
        with open(log.with_name(log.name + ".stderr"), "a") as errlog:  # noqa: ASYNC230 - opened once, never blocks
            async with Client(stdio_client(params, errlog=errlog), mode=mode, read_timeout_seconds=60,
                              **client_options) as client:
                yield client
        return
    assert transport == "http", transport
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with http_gateway(options, upstream, log) as listening:
        http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(60))
        async with http, Client(streamable_http_client(listening.url, http_client=http), mode=mode,
                                read_timeout_seconds=60, **client_options) as client:
            yield client


def call_text(result: Any) -> str:
    """The text of a tool result, its text parts joined."""
    return "".join(getattr(c, "text", "") for c in result.content)


async def until(check: Callable[[], object], seconds: float = 10) -> None:
    """Wait until `check()` is true (AssertionError after `seconds`)."""
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting")
