"""Tasks, which the gateway does not offer, used against it by a hostile client.

Each test starts a real `policytui gateway` over stdio in front of a real server-everything (a
TypeScript-SDK server with the `tasks` capability) and judges the attack by what the server
did: the URLs it fetched, as a local HTTP server counts them, and what it answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from gateway_support import close_stdin_and_wait

pytestmark = pytest.mark.servers

ROOT = Path(__file__).resolve().parent.parent


def _everything(test_servers: Path) -> list[str]:
    path = test_servers / "everything" / "node_modules" / ".bin" / "mcp-server-everything"
    if not path.exists():
        pytest.skip(f"server-everything is not installed at {path} (run tests/servers/install.sh)")
    return [str(path), "stdio"]


class _Client:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.answers: dict[Any, dict[str, Any]] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            if "id" in message and "method" not in message:
                self.answers[message["id"]] = message

    async def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()

    async def ask(self, request_id: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
        await self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        for _ in range(600):
            if request_id in self.answers:
                return self.answers[request_id]
            await asyncio.sleep(0.05)
        raise AssertionError(f"no answer to {request_id}")


@asynccontextmanager
async def _gateway(tmp: Path, policy: dict[str, Any], server: list[str]) -> AsyncIterator[_Client]:
    (tmp / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable,
        "-m", "policytui", "gateway", "--policy", str(tmp / "policy.json"),
        "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl"),
        "--log", str(tmp / "gateway.log"), "--", *server,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env=dict(os.environ), limit=1 << 24,
    )
    client = _Client(process)
    try:
        opened = await client.ask("init", "initialize", {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "hostile", "version": "1"},
        })
        assert "result" in opened, opened
        assert "tasks" not in opened["result"]["capabilities"]
        await client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield client
    finally:
        await close_stdin_and_wait(process, 30)
        client._reader.cancel()


class _Fetched:
    """A local HTTP server that counts the requests a tool makes of it."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.paths.append(head.split(b"\r\n")[0].decode())
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n"
                         b"connection: close\r\n\r\nok")
            await writer.drain()
            writer.close()
        except (OSError, asyncio.IncompleteReadError):
            pass

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


async def test_a_call_asking_for_a_task_never_runs_past_the_rate_limit(tmp_path: Path, test_servers: Path) -> None:
    """server-everything runs an ordinary tool asked for as a task, then answers a JSON-RPC
    error ("Invalid task creation result"). Taken for "the tool did not run", that error used
    to refund the charge: ten fetches went through a limit of two, audited `upstream: error`.
    A call asking for a task is refused before it is decided; the limit binds."""
    policy = {"version": "1", "default": "allow", "tools": {"gzip-file-as-resource": {
        "limits": [{"counter": "fetches", "window": "hour", "max": 2}]}}}
    fetched = _Fetched()
    async with fetched as base, _gateway(tmp_path, policy, _everything(test_servers)) as gw:
        for i in range(6):
            answer = await gw.ask(i, "tools/call", {
                "name": "gzip-file-as-resource", "task": {"ttl": 60000},
                "arguments": {"name": f"t{i}", "data": f"{base}/task/{i}"},
            })
            assert answer.get("error", {}).get("code") == -32602, answer
        for i in range(3):
            answer = await gw.ask(100 + i, "tools/call", {
                "name": "gzip-file-as-resource", "arguments": {"name": f"p{i}", "data": f"{base}/plain/{i}"},
            })
            denied = "rate limit" in json.dumps(answer)
            assert denied == (i == 2), answer
        await asyncio.sleep(0.5)
    assert len(fetched.paths) == 2, fetched.paths
    assert all("/plain/" in line for line in fetched.paths), fetched.paths
    forwarded = [r for r in outcome_lines(tmp_path / "audit.jsonl") if r["tool"] == "gzip-file-as-resource"
                 and r["decision"] == "allowed"]
    assert [r.get("upstream") for r in forwarded] == ["ok", "ok"]


async def test_tasks_methods_are_not_offered(tmp_path: Path, test_servers: Path) -> None:
    """Every client of an HTTP gateway shares its one server, whose tasks are no client's own:
    `tasks/list` and `tasks/result` used to show one grant's task results to every other. The
    gateway offers no tasks, so their methods are "Method not found" and never forwarded."""
    async with _gateway(tmp_path, {"version": "1", "default": "allow"}, _everything(test_servers)) as gw:
        for i, (method, params) in enumerate([("tasks/list", {}), ("tasks/get", {"taskId": "x"}),
                                             ("tasks/result", {"taskId": "x"}), ("tasks/cancel", {"taskId": "x"})]):
            answer = await gw.ask(i, method, params)
            assert answer.get("error", {}).get("code") == -32601, (method, answer)


async def test_an_argument_no_path_reading_can_be_made_of_is_denied_and_audited(
    tmp_path: Path, test_servers: Path
) -> None:
    """"~\\u0000..." made reading the argument as a path raise (a home folder named with a NUL)
    outside the conditions' fail-closed guard: the client got "internal error in the gateway"
    and the call had no audit line. It is denied and audited, and the gateway serves on."""
    policy = {"version": "1", "default": "allow", "tools": {"echo": {
        "deny_if": [{"path": "args.message", "op": "regex", "value": "secret"}]}}}
    async with _gateway(tmp_path, policy, _everything(test_servers)) as gw:
        answer = await gw.ask(1, "tools/call", {"name": "echo", "arguments": {"message": "~\u0000/secret"}})
        assert "[POLICY DENIED]" in json.dumps(answer), answer
        answer = await gw.ask(2, "tools/call", {"name": "echo", "arguments": {"message": "hello"}})
        assert "Echo: hello" in json.dumps(answer), answer
    records = [(r["decision"], r["rule"]) for r in outcome_lines(tmp_path / "audit.jsonl") if r["tool"] == "echo"]
    assert records == [("denied", "tools.echo.deny_if[0]"), ("allowed", "tools.echo")]
