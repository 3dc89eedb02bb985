"""Stopping a gateway with a signal while clients are connected, calls run and calls wait.

`python -m policytui gateway --listen` runs in front of the real server-everything (behind
`tee_stdin.py`, which copies every byte the server reads to a file). Clients hold sessions and
GET streams, a long call runs at the server and another waits in the approvals queue; then the
gateway gets a real SIGINT, SIGTERM or SIGHUP. Judged from outside: how soon the process exits
and with what code, whether the server processes are gone, what the server read (no call sent
after the signal), what `policytui approvals` says afterwards, the clients' answers and the
audit log. Over stdio the same signal withdraws a held call the same way.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from audit_support import outcome_lines
from gateway_support import start_http_gateway
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from policytui.discovery.stdio import GRACEFUL_EXIT_SECONDS
from policytui.gateway.enforcer import STOPPED_IN_APPROVAL
from policytui.gateway.http_relay import CANCELLED_BY_STOP
from policytui.gateway.runner import STOP_GRACE_SECONDS
from policytui.replay import parse_calls

pytestmark = [pytest.mark.servers, pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")]

ROOT = Path(__file__).resolve().parent.parent
TEE = ROOT / "tests" / "servers" / "recording" / "tee_stdin.py"
TOKEN = "stop-token-0123456789abcdef"
POLICY = {"version": "1", "default": "allow", "tools": {"get-sum": {"action": "require_approval"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
           "Authorization": f"Bearer {TOKEN}"}
LONG = "trigger-long-running-operation"
# How soon a stopped gateway must be gone: the grace for calls in flight, stopping the server, and
# room for a busy machine. Every call in flight here would run for a minute.
EXIT_BOUND = 10.0
CODES = {signal.SIGINT: 130, signal.SIGTERM: 0, signal.SIGHUP: 0}
POLICYTUI = Path(sys.executable).parent / "policytui"


class Served:
    """A gateway over HTTP and what can be seen of it from outside."""

    def __init__(self, tmp: Path, process: subprocess.Popen[bytes], url: str) -> None:
        self.tmp, self.process, self.url = tmp, process, url
        self.server_pids = _descendants(process.pid)

    def received_calls(self) -> list[str]:
        """The tools/call names the server read (the gateway's own start-up probe left out)."""
        path = self.tmp / "received.bin"
        raw = path.read_bytes() if path.exists() else b""
        messages = [json.loads(line) for line in raw.split(b"\n") if line.strip()]
        return [m["params"]["name"] for m in messages if m.get("method") == "tools/call"
                and not str(m["params"]["name"]).startswith("policytui-probe-")]

    def audit(self) -> list[dict[str, Any]]:
        return [a for a in outcome_lines(self.tmp / "audit.jsonl") if a.get("decision") != "probe"]

    def log(self) -> str:
        path = self.tmp / "gateway.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def servers_alive(self) -> list[int]:
        return [pid for pid in self.server_pids if _alive(pid)]

    def approvals(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "policytui", "approvals", *args, "--state-dir",
                               str(self.tmp / "state")], capture_output=True, text=True, timeout=60, check=False)

    def held(self) -> list[dict[str, Any]]:
        listed = self.approvals("list", "--json")
        assert listed.returncode == 0, listed.stderr
        return json.loads(listed.stdout or "[]")  # type: ignore[no-any-return]

    def exit_within(self, seconds: float) -> int:
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"the gateway did not exit within {seconds} s: {self.log()[-3000:]}") from None


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rfind(")") + 2:].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@contextmanager
def served(tmp: Path, everything: Path, *options: str) -> Iterator[Served]:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp / "tokens.json").write_text(json.dumps({TOKEN: "alice"}), encoding="utf-8")
    listening = start_http_gateway(
        ["--policy", str(tmp / "policy.json"), "--tokens", str(tmp / "tokens.json"), "--state-dir",
         str(tmp / "state"), "--audit", str(tmp / "audit.jsonl"), "--log-level", "debug", *options],
        [sys.executable, str(TEE), str(tmp / "received.bin"), "--", str(everything), "stdio"], tmp / "gateway.log")
    gateway = Served(tmp, listening.process, listening.url)
    try:
        assert gateway.server_pids, "the gateway started no server"
        yield gateway
    finally:
        if gateway.process.poll() is None:
            gateway.process.kill()
            gateway.process.wait(timeout=10)
        for pid in gateway.servers_alive():
            os.kill(pid, signal.SIGKILL)


async def _session(http: httpx2.AsyncClient, url: str) -> dict[str, str]:
    """Open an MCP session: the headers of its later requests."""
    opened = await http.post(url, headers=HEADERS, json={
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    assert opened.status_code == 200, opened.text
    headers = {**HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-06-18"}
    initialized = await http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert initialized.status_code == 202
    return headers


def _call(request_id: int, tool: str, arguments: dict[str, Any], progress: bool = False) -> dict[str, Any]:
    params: dict[str, Any] = {"name": tool, "arguments": arguments}
    if progress:
        params["_meta"] = {"progressToken": f"p{request_id}"}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


async def _answer(http: httpx2.AsyncClient, url: str, headers: dict[str, str], message: dict[str, Any]
                  ) -> tuple[int, list[dict[str, Any]]]:
    """POST one request: its status and every message that came back (events of a stream too)."""
    async with http.stream("POST", url, headers=headers, json=message) as response:
        body = (await response.aread()).decode()
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return response.status_code, [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    return response.status_code, [json.loads(body)] if body else []


async def _refused(request: Any) -> bool:
    """Whether a request sent after the signal is refused: 503 from a gateway that still takes
    connections for the calls it finishes, or no connection once it no longer listens."""
    try:
        response = await request
    except httpx2.ConnectError:
        return True
    return response.status_code == 503 and "stopping" in response.json()["error"]["message"]


@asynccontextmanager
async def get_stream(http: httpx2.AsyncClient, url: str, headers: dict[str, str]) -> AsyncIterator[asyncio.Task[str]]:
    """The session's GET stream, read to its end in a task (which gives what it read)."""
    opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def read() -> str:
        async with http.stream("GET", url, headers=headers) as response:
            assert response.status_code == 200
            opened.set_result(None)
            return "".join([chunk async for chunk in response.aiter_text()])

    task = asyncio.get_running_loop().create_task(read())
    await asyncio.wait_for(asyncio.shield(opened), 30)
    try:
        yield task
    finally:
        task.cancel()


async def until(check: Any, seconds: float = 30, what: str = "") -> Any:
    """Wait until `check()` (run in a thread: it may run a command) gives something true."""
    deadline = time.monotonic() + seconds
    while True:
        found = await asyncio.to_thread(check)
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["SIGTERM", "SIGINT", "SIGHUP"])
async def test_a_signal_stops_a_gateway_whose_clients_hold_their_sessions(
        tmp_path: Path, everything: Path, how: int) -> None:
    """Before, a client idling with its session (the mcp SDK's client keeps its GET stream open,
    as `curl -N` does) kept the gateway alive after the signal until the client left."""
    with served(tmp_path, everything) as gateway:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=httpx2.Timeout(60))
        async with http, Client(streamable_http_client(gateway.url, http_client=http), mode="legacy",
                                read_timeout_seconds=60) as client:
            result = await client.call_tool("echo", {"message": "hi"})
            assert not result.is_error
            raw = httpx2.AsyncClient(timeout=httpx2.Timeout(60))
            async with raw:
                headers = await _session(raw, gateway.url)
                async with get_stream(raw, gateway.url, headers) as stream:
                    await asyncio.sleep(0.5)  # both clients idle, holding their sessions
                    gateway.process.send_signal(how)
                    signalled = time.monotonic()
                    await asyncio.wait_for(stream, 5)  # the GET stream ends at once
                    code = await asyncio.to_thread(gateway.exit_within, EXIT_BOUND)
                    took = time.monotonic() - signalled
                    assert code == CODES[how]
                    assert took < STOP_GRACE_SECONDS, f"nothing was in progress, yet the stop took {took:.1f} s"
        await until(lambda: not gateway.servers_alive(), 5, "the server to be gone")
    assert [(a["tool"], a.get("upstream")) for a in gateway.audit()] == [("echo", "ok")]


async def test_a_signal_withdraws_held_calls_and_cancels_calls_in_flight_after_a_short_grace(
        tmp_path: Path, everything: Path) -> None:
    """Before, the gateway waited for a one-minute call to end, and a call held for approval could
    still be approved and sent to the server after the operator had pressed ctrl+c."""
    with served(tmp_path, everything, "--approvals", "queue") as gateway:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(90)) as http:
            headers = await _session(http, gateway.url)
            async with get_stream(http, gateway.url, headers) as stream:
                post = asyncio.get_running_loop().create_task
                long = post(_answer(http, gateway.url, headers, _call(1, LONG, {"duration": 60, "steps": 60}, True)))
                held = post(_answer(http, gateway.url, headers, _call(2, "get-sum", {"a": 1, "b": 2})))
                await until(lambda: gateway.received_calls() == [LONG], what="the long call to reach the server")
                waiting = await until(gateway.held, what="the held call to be listed")
                # A call that ends within the grace gets its answer.
                short = post(_answer(http, gateway.url, headers, _call(3, LONG, {"duration": 1.5, "steps": 1})))
                await until(lambda: gateway.received_calls() == [LONG, LONG], what="the short call to reach the server")

                gateway.process.send_signal(signal.SIGINT)
                signalled = time.monotonic()
                # At once: the held call is withdrawn and answered, the GET stream ends, nothing
                # new is taken.
                status, answers = await asyncio.wait_for(held, 5)
                assert status == 200 and answers[0]["result"]["isError"] is True
                assert STOPPED_IN_APPROVAL in answers[0]["result"]["content"][0]["text"]
                await asyncio.wait_for(stream, 5)
                late = await asyncio.to_thread(gateway.approvals, "approve", waiting[0]["id"])
                assert late.returncode == 1 and "gateway was stopped" in late.stderr, late
                assert "sent to the server" not in late.stdout + late.stderr
                assert await _refused(http.post(gateway.url, headers=headers, json=_call(4, "echo", {"message": "x"})))
                assert await _refused(http.get(gateway.url, headers=headers))

                # The short call finishes within the grace; the long one is cancelled after it.
                status, answers = await asyncio.wait_for(short, STOP_GRACE_SECONDS + 2)
                assert status == 200 and "Long running operation completed" in json.dumps(answers[-1]), answers
                status, answers = await asyncio.wait_for(long, EXIT_BOUND)
                assert answers and answers[-1]["id"] == 1 and answers[-1]["error"]["message"] == CANCELLED_BY_STOP
                code = await asyncio.to_thread(gateway.exit_within, EXIT_BOUND)
                took = time.monotonic() - signalled
        assert code == 130
        assert STOP_GRACE_SECONDS - 0.5 < took < EXIT_BOUND, took
        await until(lambda: not gateway.servers_alive(), 5, "the server to be gone")

    # Nothing reached the server after the signal: only the two calls sent before it.
    assert gateway.received_calls() == [LONG, LONG]
    shown = gateway.approvals("show", waiting[0]["id"])
    assert "its gateway was stopped" in shown.stdout and "then: not sent: the gateway was stopped" in shown.stdout
    audited = sorted((a["tool"], a["decision"], a.get("approval"), a.get("upstream"), a["reason"])
                     for a in gateway.audit())
    assert audited == [
        ("get-sum", "denied", "cancelled", None, STOPPED_IN_APPROVAL),
        (LONG, "allowed", None, "cancelled", ""),
        (LONG, "allowed", None, "ok", ""),
    ], audited
    assert "its client cancelled" not in gateway.log()
    recorded = parse_calls((tmp_path / "audit.jsonl").read_text(encoding="utf-8")).calls
    assert sorted((c.tool, c.recorded_outcome) for c in recorded) == [("get-sum", "held"), (LONG, "allowed"),
                                                                       (LONG, "allowed")]


async def test_a_second_signal_ends_the_grace_at_once(tmp_path: Path, everything: Path) -> None:
    """A call of a session and a 2026-07-28 call (no session) in flight, and a request whose
    body is still arriving: a second signal ends them all at once, without waiting for the grace
    (nor for the 10 s a body may take)."""
    modern_call = _call(9, LONG, {"duration": 60, "steps": 60})
    modern_call["params"]["_meta"] = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                      "io.modelcontextprotocol/clientCapabilities": {}}
    modern_headers = {**HEADERS, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": LONG}
    with served(tmp_path, everything) as gateway:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(90)) as http:
            headers = await _session(http, gateway.url)
            post = asyncio.get_running_loop().create_task
            long = post(_answer(http, gateway.url, headers, _call(1, LONG, {"duration": 60, "steps": 60})))
            modern = post(_answer(http, gateway.url, modern_headers, modern_call))
            await until(lambda: gateway.received_calls() == [LONG, LONG], what="the long calls to reach the server")
            host, port = gateway.url.split("//")[1].split("/")[0].split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(f"POST /mcp HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {TOKEN}\r\n"
                         "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"".encode())
            await writer.drain()
            await asyncio.sleep(0.3)  # the gateway reads the body, which never ends
            gateway.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            gateway.process.send_signal(signal.SIGINT)
            second = time.monotonic()
            for request_id, answered in ((1, long), (9, modern)):
                status, answers = await asyncio.wait_for(answered, EXIT_BOUND)
                assert status == 503 and answers[0]["id"] == request_id, answers
                assert answers[0]["error"]["message"] == CANCELLED_BY_STOP
            cut = await asyncio.wait_for(reader.read(), 5)
            assert cut.startswith(b"HTTP/1.1 503") and b"stopping" in cut, cut
            writer.close()
            assert time.monotonic() - second < STOP_GRACE_SECONDS - 1
            assert await asyncio.to_thread(gateway.exit_within, EXIT_BOUND) == 0  # the first signal's code
            # Nor does the server get the wait to exit on its own: it is stopped at once.
            assert time.monotonic() - second < GRACEFUL_EXIT_SECONDS, gateway.log()[-2000:]
        await until(lambda: not gateway.servers_alive(), 5, "the server to be gone")
    assert [(a["tool"], a.get("upstream")) for a in gateway.audit()] == [(LONG, "cancelled")] * 2

BIG_ANSWER = ROOT / "tests" / "servers" / "misbehaving" / "big_answer.py"


async def test_a_second_signal_cuts_a_connection_whose_client_does_not_read_its_answer(tmp_path: Path) -> None:
    """A client that takes none of a large answer holds its connection open. Before, a second
    signal did not shorten the HTTP server's wait for it: the gateway exited only when that
    wait ran out, 5 s after the first signal, however soon the second came. Now the second
    signal cuts it within about a second."""
    (tmp_path / "policy.json").write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    listening = start_http_gateway(
        ["--policy", str(tmp_path / "policy.json"), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)],
        [sys.executable, str(BIG_ANSWER)], tmp_path / "gateway.log", command=(str(POLICYTUI),))
    gateway = Served(tmp_path, listening.process, listening.url)
    writer = None
    try:
        host, port = gateway.url.split("//")[1].split("/")[0].split(":")
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "big", "arguments": {"mb": 40}, "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {}}}}).encode()
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"POST /mcp HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                     "Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\n"
                     f"Mcp-Method: tools/call\r\nMcp-Name: big\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        # The server answered; the gateway's answer waits for a client that reads nothing.
        await until(lambda: [(a["tool"], a.get("upstream")) for a in gateway.audit()] == [("big", "ok")],
                    what="the big call to be answered")

        gateway.process.send_signal(signal.SIGTERM)
        await until(lambda: _not_listening(host, int(port)), 10, "the gateway to stop listening")
        gateway.process.send_signal(signal.SIGINT)
        second = time.monotonic()
        code = await asyncio.to_thread(gateway.exit_within, EXIT_BOUND)
        took = time.monotonic() - second
    finally:
        if writer is not None:
            writer.close()
        if gateway.process.poll() is None:
            gateway.process.kill()
            gateway.process.wait(timeout=10)
    assert code == 0  # the first signal's
    assert took < STOP_GRACE_SECONDS, f"the gateway took {took:.1f} s to exit after the second signal"
    logged = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert "Traceback" not in logged and "ERROR" not in logged, logged


def _not_listening(host: str, port: int) -> bool:
    import socket

    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError:
        return True
    return False


class StdioClient:
    """A client on a stdio gateway's own pipes, as an MCP client that spawned it: every line the
    gateway wrote, and each answer found by its request's id."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.lines: list[dict[str, Any]] = []
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.lines.append(json.loads(line))

    def answer(self, request_id: int) -> dict[str, Any] | None:
        return next((m for m in self.lines if m.get("id") == request_id and "method" not in m), None)

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")


@asynccontextmanager
async def stdio_gateway(tmp_path: Path, everything: Path, policy: dict[str, Any],
                        *options: str, stderr: int = asyncio.subprocess.DEVNULL) -> AsyncIterator[tuple[Served, StdioClient]]:
    """The installed `policytui gateway` over stdio in front of server-everything (behind the
    tee), initialized by a client on its pipes; killed at the end if a test left it running.
    Its standard error is dropped unless `stderr` says otherwise (PIPE: `process.stderr`)."""
    (tmp_path / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        str(POLICYTUI), "gateway", "--policy", str(tmp_path / "policy.json"), "--state-dir",
        str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl"), "--log", str(tmp_path / "gateway.log"),
        *options, "--", sys.executable, str(TEE), str(tmp_path / "received.bin"), "--", str(everything), "stdio",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr)
    gateway = Served(tmp_path, process, "")  # type: ignore[arg-type]
    client = StdioClient(process)
    try:
        client.send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        await until(lambda: client.answer(0), 60, "the gateway to start")
        gateway.server_pids = _descendants(process.pid)
        client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield gateway, client
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        client.reader.cancel()


async def test_a_signal_withdraws_a_held_call_over_stdio_too(tmp_path: Path, everything: Path) -> None:
    """Over stdio a signal cancels the calls in flight at once, as before; a held call is
    withdrawn because the gateway stopped (before, the log and `approve` blamed its client)."""
    async with stdio_gateway(tmp_path, everything, POLICY, "--approvals", "queue") as (gateway, client):
        client.send(_call(1, LONG, {"duration": 60, "steps": 60}))
        client.send(_call(2, "get-sum", {"a": 1, "b": 2}))
        await until(lambda: gateway.received_calls() == [LONG], what="the long call to reach the server")
        waiting = await until(gateway.held, what="the held call to be listed")

        client.process.send_signal(signal.SIGTERM)  # standard input stays open: the client did not leave
        assert await asyncio.wait_for(client.process.wait(), EXIT_BOUND) == 0
        await asyncio.wait_for(client.reader, 5)
        assert STOPPED_IN_APPROVAL in json.dumps(client.answer(2)), client.lines  # the held call's client is told
        assert client.answer(1)["error"]["message"] == CANCELLED_BY_STOP, client.lines  # type: ignore[index]
    await until(lambda: not gateway.servers_alive(), 5, "the server to be gone")
    late = gateway.approvals("approve", waiting[0]["id"])
    assert late.returncode == 1 and "gateway was stopped" in late.stderr, late
    assert gateway.received_calls() == [LONG]
    audited = sorted((a["tool"], a["decision"], a.get("approval"), a.get("upstream"), a["reason"])
                     for a in gateway.audit())
    assert audited == [("get-sum", "denied", "cancelled", None, STOPPED_IN_APPROVAL),
                       (LONG, "allowed", None, "cancelled", "")], audited
    assert "its client cancelled" not in gateway.log()


async def test_a_second_signal_over_stdio_stops_the_server_at_once(tmp_path: Path, everything: Path) -> None:
    """Over stdio the first ctrl+c answers the call in flight and then gives the server its
    wait to exit on its own (its input closed: server-everything, running a long operation,
    takes all of it); a second ctrl+c stops it at once, and the gateway exits with 130."""
    async with stdio_gateway(tmp_path, everything, {"version": "1", "default": "allow"},
                             "--log-level", "debug") as (gateway, client):
        client.send(_call(1, LONG, {"duration": 60, "steps": 60}))
        await until(lambda: gateway.received_calls() == [LONG], what="the long call to reach the server")
        client.process.send_signal(signal.SIGINT)
        first = time.monotonic()
        await until(lambda: client.answer(1), 5, "the call in flight to be answered")
        client.process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(client.process.wait(), EXIT_BOUND) == 130
        assert time.monotonic() - first < GRACEFUL_EXIT_SECONDS, gateway.log()[-2000:]
        assert client.answer(1)["error"]["message"] == CANCELLED_BY_STOP, client.lines  # type: ignore[index]
    await until(lambda: not gateway.servers_alive(), 5, "the server to be gone")
    assert [(a["tool"], a.get("upstream")) for a in gateway.audit()] == [(LONG, "cancelled")]
    assert "a further signal: the server is stopped now" in gateway.log()


@pytest.mark.parametrize(("how", "options"), [(signal.SIGTERM, ()), (signal.SIGINT, ()), (signal.SIGTERM, ("--dry-run",))],
                         ids=["SIGTERM", "SIGINT", "SIGTERM-dry-run"])
async def test_a_signal_answers_each_stdio_call_in_flight_with_an_error(
        tmp_path: Path, everything: Path, how: int, options: tuple[str, ...]) -> None:
    """Over stdio, as over HTTP, a call the server was running when the gateway was stopped is
    answered under its own id with an error that says why, and audited `cancelled`; before, the
    installed command exited with that call unanswered and its client waiting for good. Calls
    decided at once are served inline; a dry run serves them each in a task of its own."""
    async with stdio_gateway(tmp_path, everything, {"version": "1", "default": "allow"}, *options) as (gateway, client):
        client.send(_call(1, LONG, {"duration": 60, "steps": 60}))
        client.send(_call(2, LONG, {"duration": 60, "steps": 60}, progress=True))
        await until(lambda: gateway.received_calls() == [LONG, LONG], what="the long calls to reach the server")

        client.process.send_signal(how)  # standard input stays open: the client did not leave
        assert await asyncio.wait_for(client.process.wait(), EXIT_BOUND) == CODES[how]
        await asyncio.wait_for(client.reader, 5)
    await until(lambda: not gateway.servers_alive(), 5, "the server to be gone")
    for request_id in (1, 2):
        answered = client.answer(request_id)
        assert answered is not None, client.lines
        assert answered["error"]["message"] == CANCELLED_BY_STOP, answered
    assert [(a["tool"], a["decision"], a.get("upstream")) for a in gateway.audit()] == \
        [(LONG, "allowed", "cancelled")] * 2


async def test_a_signal_while_the_gateway_stops_its_server_stops_it_at_once(tmp_path: Path, everything: Path) -> None:
    """A client that leaves (closes the gateway's input) and then sends SIGTERM while the
    gateway waits for its server to exit, as the SDK's client does after two seconds: the signal
    hurries the stop, the server (still busy with a long call answered after the call timeout,
    so it does not exit on its own) is gone, the gateway exits 0, and its log holds no traceback.
    Before, the signal raised SystemExit in the middle of the stop: the server was left running
    and the log held an exception group's traceback."""
    async with stdio_gateway(tmp_path, everything, {"version": "1", "default": "allow"},
                             "--log-level", "debug", "--call-timeout", "1") as (gateway, client):
        client.send(_call(1, LONG, {"duration": 60, "steps": 60}))
        await until(lambda: gateway.received_calls() == [LONG], what="the long call to reach the server")
        assert client.process.stdin is not None
        client.process.stdin.close()
        await until(lambda: "serving has ended" in gateway.log(), 10, "the gateway to begin stopping its server")
        client.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert await asyncio.wait_for(client.process.wait(), EXIT_BOUND) == 0
        assert time.monotonic() - signalled < GRACEFUL_EXIT_SECONDS, gateway.log()[-2000:]
    await until(lambda: not gateway.servers_alive(), 5, "the server to be gone")
    logged = gateway.log()
    assert "serving has ended: the server is stopped now" in logged, logged[-2000:]
    assert "Traceback" not in logged and "ERROR" not in logged, logged[-3000:]


async def test_a_gateway_started_under_nohup_outlives_the_hang_up_and_stops_on_sigterm(
        tmp_path: Path, everything: Path) -> None:
    """`nohup policytui gateway ... &`: SIGHUP (the operator's terminal closing) was ignored when
    the gateway started, and stays ignored; its calls go on, and SIGTERM stops it as ever.
    Before, the gateway put its own handler in place and stopped at the hang-up."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    listening = start_http_gateway(
        ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)],
        [str(everything), "stdio"], tmp_path / "gateway.log", command=["nohup", str(POLICYTUI)])
    try:
        http = httpx2.AsyncClient(timeout=httpx2.Timeout(60))
        async with http, Client(streamable_http_client(listening.url, http_client=http), mode="legacy",
                                read_timeout_seconds=60) as client:
            before = await client.call_tool("echo", {"message": "before the hang-up"})
            listening.process.send_signal(signal.SIGHUP)
            after = await client.call_tool("echo", {"message": "after the hang-up"})
        assert listening.process.poll() is None
        listening.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(listening.process.wait, 20)
    finally:
        if listening.process.poll() is None:
            listening.process.kill()
            listening.process.wait()
    assert (before.is_error, after.is_error) == (False, False), after
    assert code == 0
    assert "stopping on signal SIGHUP" not in (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert [a.get("upstream") for a in outcome_lines(audit) if a["tool"] == "echo"] == ["ok", "ok"]
