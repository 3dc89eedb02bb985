"""A real redis-server on a free loopback port, and real `policytui gateway` processes.

Used by the state-store tests. redis-server comes from the system's package manager
(tests/servers/install.d/20-redis.sh); each test starts its own and stops it afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from audit_support import outcome_lines
from gateway_support import http_gateway
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

POLICYTUI = Path(sys.executable).parent / "policytui"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_path() -> str:
    found = shutil.which("redis-server")
    if found is None:
        message = "redis-server is not installed (tests/servers/install.d/20-redis.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


class RedisServer:
    """One redis-server process without persistence, on 127.0.0.1:`port`."""

    def __init__(self, folder: Path, *extra: str) -> None:
        self.binary = redis_server_path()
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.extra = extra
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        for _ in range(5):
            if self._launch(self.port):
                return self
            self.port = free_port()  # taken after all: another one
        raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")

    def restart_same_port(self) -> None:
        """Start again on the port the gateways know (after `stop`)."""
        for _ in range(50):
            if self._launch(self.port):
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not come back on its port")

    def _launch(self, port: int) -> bool:
        with open(self.folder / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                [
                    self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", str(self.folder), *self.extra,
                ],
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return True
            except OSError:
                time.sleep(0.05)
        self.stop()
        return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


def write_policy(path: Path, doc: dict[str, Any]) -> Path:
    """Write a test's policy (the tests that count run inside one window: `one_window` in
    conftest.py)."""
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


class Replica:
    """One `policytui gateway` process's files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.audit = folder / "audit.jsonl"
        self.log = folder / "gateway.log"
        self.errlog = folder / "stderr.txt"

    def audit_lines(self) -> list[dict[str, Any]]:
        if not self.audit.exists():
            return []
        return outcome_lines(self.audit)


@asynccontextmanager
async def replica(
    folder: Path, policy: Path, state_dir: Path, everything: Path, *extra: str
) -> AsyncIterator[tuple[Client, Replica]]:
    """An MCP client talking to its own `policytui gateway` process over stdio, which talks to
    its own server-everything: one replica, as each MCP client window starts one."""
    run = Replica(folder)
    params = StdioServerParameters(
        command=str(POLICYTUI),
        args=[
            "gateway", "--policy", str(policy), "--state-dir", str(state_dir), "--audit", str(run.audit),
            "--log", str(run.log), *extra, "--", str(everything), "stdio",
        ],
        cwd=str(folder),
    )
    with open(run.errlog, "w", encoding="utf-8") as errlog:  # noqa: ASYNC230 - a local file, opened once
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            yield client, run


@asynccontextmanager
async def left_together() -> AsyncIterator[Callable[[AbstractAsyncContextManager[Any]], Awaitable[Any]]]:
    """Like AsyncExitStack: `await enter(context)` enters a context (and gives what it gives)
    before the test goes on; but when the block ends, every context entered is left at once.
    A replica ends as its client leaves it: server-everything does not exit when its input
    closes, so the gateway waits for it, and the SDK's client for the gateway, 2 s before each
    is stopped with SIGTERM; left one by one, a test waits that out once per replica. Each
    context is entered and left in a task of its own."""
    leave = anyio.Event()

    async def hold(context: AbstractAsyncContextManager[Any], *, task_status: Any) -> None:
        async with context as value:
            task_status.started(value)
            await leave.wait()

    async with anyio.create_task_group() as tg:

        async def enter(context: AbstractAsyncContextManager[Any]) -> Any:
            return await tg.start(hold, context)

        try:
            yield enter
        finally:
            leave.set()


# The project's recording server: it appends every call it runs to the file it is given.
FLOWS = Path(__file__).parent / "servers" / "recording" / "flows_server.py"


@asynccontextmanager
async def recorded_gateway(folder: Path, policy: Path, executed: Path, *options: str) -> AsyncIterator[Client]:
    """An MCP client talking over stdio to a `policytui gateway` process (its audit log, log
    and standard error in `folder`, `options` added) in front of the recording server, which
    writes each call it runs to `executed`: what the server received, judged from its side."""
    folder.mkdir(parents=True, exist_ok=True)
    params = StdioServerParameters(
        command=str(POLICYTUI),
        args=[
            "gateway", "--policy", str(policy), "--audit", str(folder / "audit.jsonl"),
            "--log", str(folder / "gateway.log"), *options, "--", sys.executable, str(FLOWS), str(executed),
        ],
        cwd=str(folder),
    )
    with open(folder / "stderr.txt", "w", encoding="utf-8") as errlog:  # noqa: ASYNC230 - a local file, opened once
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            yield client


async def flow_calls(client: Client, tag: str, count: int) -> list[str]:
    """`count` calls of the recording server's `list_flows`, each in a namespace of its own
    (`tag` and its number): "allowed" for each that ran, else the text it was answered."""
    results = [await client.call_tool("list_flows", {"namespace": f"{tag}{n}"}) for n in range(count)]
    return ["allowed" if not r.is_error else text_of(r) for r in results]


def executed_namespaces(executed: Path) -> list[str]:
    """The namespaces of the calls the recording server ran, in order."""
    lines = executed.read_text(encoding="utf-8").splitlines() if executed.exists() else []
    return [json.loads(line)["arguments"]["namespace"] for line in lines]


@contextmanager
def http_replica(
    folder: Path, policy: Path, tokens: dict[str, str], everything: Path, *extra: str
) -> Iterator[str]:
    """A `policytui gateway --listen 127.0.0.1:0` process; yields its /mcp URL."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokens.json").write_text(json.dumps(tokens), encoding="utf-8")
    options = [
        "--policy", str(policy), "--tokens", str(folder / "tokens.json"), "--state-dir", str(folder / "state"),
        "--audit", str(folder / "audit.jsonl"), *extra,
    ]
    with http_gateway(options, [str(everything), "stdio"], folder / "gateway.log", command=[str(POLICYTUI)]) as gateway:
        yield gateway.url


@asynccontextmanager
async def http_client(url: str, token: str) -> AsyncIterator[Client]:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(60))
    async with http, Client(streamable_http_client(url, http_client=http), mode="legacy", read_timeout_seconds=60) as client:
        yield client


def used_in_the_file(state: Path) -> int | None:
    """The calls counted in the state file itself, its log left unread (`immutable`: read as
    it stands, no lock taken); None while it cannot be read (mid-write)."""
    try:
        db = sqlite3.connect(f"file:{state}?immutable=1", uri=True)
        try:
            return int(db.execute("SELECT COALESCE(SUM(used), 0) FROM counters").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return None


async def until_checkpointed(state: Path, used: int) -> None:
    """Until a checkpoint (each gateway makes one each second) has moved `used` counted calls
    from the log into the file itself."""
    deadline = time.monotonic() + 30
    while (found := used_in_the_file(state)) != used:
        assert time.monotonic() < deadline, f"the file itself holds {found} calls counted, not {used}"
        await anyio.sleep(0.05)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `policytui` command, as a user runs it."""
    return subprocess.run(
        [str(POLICYTUI), *args], capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **(env or {})},
    )


def text_of(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)
