"""What the audit log and the rate-limit counters say of a call when the server behind the gateway
dies: one never written to it, one it was running, one it answered.

Each state has one outcome, over stdio and HTTP alike: a call that reaches a server already gone
is never sent (one audit line, `upstream: unavailable`, no `sent` line before it, its charge
given back); a call the server was running when it died may have run, so it is `lost` and keeps
its charge (else a client that can crash the server gets unlimited runs); an answered call is
`ok`. Before, over stdio (a server started as a command) the running call was audited
`unavailable` and refunded, and the call after the death had a `sent` line though it was never
sent; an HTTP gateway also went on answering `initialize` 200 for up to 0.5 s after its server's
output ended.

The installed `policytui gateway` runs in front of `dies_on_call.py`, a real server process, or
of `refusing_sse.py`, a real server reached by URL; the audit log is read from its file and the
counters with `policytui counters`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from audit_support import parse_records
from gateway_support import start_http_gateway, until

ROOT = Path(__file__).resolve().parent.parent
DIES = ROOT / "tests" / "servers" / "misbehaving" / "dies_on_call.py"
POLICYTUI = str(Path(sys.executable).parent / "policytui")
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
LIMITED = {"limits": [{"counter": "c", "window": "day", "max": 10}]}
POLICY = {"version": "1", "default": "allow", "tools": {tool: LIMITED for tool in ("work", "slow", "exit", "mute", "deaf", "deafen")}}
# A call longer than the pipe to the server holds: the server reads its start, then closes its
# input, and the rest of the write fails with a broken pipe (`deafen`).
LONG = {"pad": "x" * 2_000_000}


def _write_policy(tmp: Path) -> Path:
    policy = tmp / "policy.json"
    policy.write_text(json.dumps(POLICY), encoding="utf-8")
    return policy


def _call(request_id: int, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments or {}}}


def _initialize(request_id: int = 0) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


def _http_gateway(tmp: Path, *server_prefix: str) -> Any:
    """The installed gateway over HTTP in front of `dies_on_call.py`, auditing to
    tmp/audit.jsonl and counting in tmp/state (`server_prefix`: words before the server's
    command, such as `env NAME=VALUE`)."""
    return start_http_gateway(
        ["--policy", str(_write_policy(tmp)), "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")],
        [*server_prefix, sys.executable, str(DIES)], tmp / "gateway.log", command=(POLICYTUI,))


async def _session(http: Any, url: str) -> dict[str, str]:
    """Open an MCP session (initialize, then initialized): the headers its calls go with."""
    opened = await http.post(url, headers=HEADERS, json=_initialize())
    headers = {**HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-06-18"}
    await http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    return headers


def _lines(audit: Path) -> list[tuple[str, str | None]]:
    """Each audit line of a call, in order: (tool, upstream)."""
    records = parse_records(audit.read_text(encoding="utf-8")) if audit.exists() else []
    return [(r["tool"], r.get("upstream")) for r in records if r.get("decision") != "probe"]


def _used(state: Path | str, counter: str = "c") -> int:
    """Calls counted on `counter`, as `policytui counters` shows them; `state` is the gateway's
    state folder, or its store's URL."""
    where = ["--state", state] if isinstance(state, str) else ["--state-dir", str(state)]
    shown = subprocess.run([POLICYTUI, "counters", *where, "--json"],
                           capture_output=True, text=True, timeout=60, check=True)
    counted = json.loads(shown.stdout)
    return sum(int(row["used"]) for row in counted if row.get("counter") == counter)


class _StdioGateway:
    """The installed gateway over stdio in front of dies_on_call.py, as its client."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.answers: dict[int, dict[str, Any]] = {}

    async def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()

    async def answer(self, request_id: int) -> dict[str, Any]:
        assert self.process.stdout is not None
        while request_id not in self.answers:
            got = json.loads(await asyncio.wait_for(self.process.stdout.readline(), 60))
            self.answers[got["id"]] = got
        return self.answers[request_id]


async def _deafened_over_stdio(
    tmp: Path, first: dict[str, Any], then: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Call `first` (which makes the server close its input) and `then` through the gateway
    over stdio, and one more `work` call: the answers of the last two."""
    gateway = await asyncio.create_subprocess_exec(
        POLICYTUI, "gateway", "--policy", str(_write_policy(tmp)), "--state-dir", str(tmp / "state"),
        "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"), "--", sys.executable, str(DIES),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    client = _StdioGateway(gateway)
    try:
        await client.send(_initialize())
        assert "result" in await client.answer(0)
        await client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        await client.send(first)
        assert "result" in await client.answer(first["id"])
        await client.send(then)
        answered = await client.answer(then["id"])
        await client.send(_call(9, "work"))
        last = await client.answer(9)
        assert gateway.stdin is not None
        gateway.stdin.close()
        assert await asyncio.wait_for(gateway.wait(), 30) == 0
    finally:
        if gateway.returncode is None:
            gateway.kill()
            await gateway.wait()
    return answered, last


async def test_over_stdio_a_call_whose_write_breaks_as_the_server_closes_its_input_is_lost_and_charged(
    tmp_path: Path,
) -> None:
    """The server reads the start of a long call and closes its input (its output stays open):
    part of the call reached it, so it is `lost` and keeps its charge, and is answered at once.
    Before, that call was never answered (nothing watched the server's input), and the next one
    was audited `sent` and then `unavailable` though it never went."""
    answered, last = await _deafened_over_stdio(tmp_path, _call(1, "deafen"), _call(2, "work", LONG))
    assert _lines(tmp_path / "audit.jsonl") == [
        ("deafen", "sent"), ("deafen", "ok"), ("work", "sent"), ("work", "lost"), ("work", "unavailable")]
    assert _used(tmp_path / "state") == 2
    for got in (answered, last):
        assert "it closed its input" in got["error"]["message"], got


async def test_over_stdio_a_call_after_the_server_closed_its_input_is_never_sent(tmp_path: Path) -> None:
    """The server closes its input and answers (its output stays open): the next call is
    refused before it is sent, one line `unavailable`, refunded. Before, it was audited `sent`
    and then `unavailable`."""
    answered, last = await _deafened_over_stdio(tmp_path, _call(1, "deaf"), _call(2, "work"))
    assert _lines(tmp_path / "audit.jsonl") == [
        ("deaf", "sent"), ("deaf", "ok"), ("work", "unavailable"), ("work", "unavailable")]
    assert _used(tmp_path / "state") == 1
    for got in (answered, last):
        assert "it closed its input" in got["error"]["message"], got


async def test_over_http_a_call_whose_write_breaks_as_the_server_closes_its_input_is_lost_and_charged(
    tmp_path: Path,
) -> None:
    """As over stdio, through an HTTP gateway, which then stops (its server can take nothing
    more). Before, the call was audited `sent` and then `unavailable`, and refunded."""
    audit, state = tmp_path / "audit.jsonl", tmp_path / "state"
    listening = _http_gateway(tmp_path)
    try:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(60)) as http:
            headers = await _session(http, listening.url)
            deafening = await http.post(listening.url, headers=headers, json=_call(1, "deafen"))
            assert deafening.json()["result"]["content"][0]["text"] == "deafening"
            broken = await http.post(listening.url, headers=headers, json=_call(2, "work", LONG))
            assert "unavailable" in broken.json()["error"]["message"], broken.text
        assert _lines(audit) == [("deafen", "sent"), ("deafen", "ok"), ("work", "sent"), ("work", "lost")]
        assert _used(state) == 2
        assert listening.process.wait(timeout=30) == 1  # a server that can read nothing more is gone
    finally:
        if listening.process.poll() is None:
            listening.process.kill()
            listening.process.wait(timeout=10)


async def test_over_stdio_a_call_the_server_died_running_keeps_its_charge_and_one_after_is_never_sent(
    tmp_path: Path,
) -> None:
    audit, state = tmp_path / "audit.jsonl", tmp_path / "state"
    gateway = await asyncio.create_subprocess_exec(
        POLICYTUI, "gateway", "--policy", str(_write_policy(tmp_path)), "--state-dir", str(state),
        "--audit", str(audit), "--log", str(tmp_path / "gateway.log"), "--", sys.executable, str(DIES),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert gateway.stdin is not None and gateway.stdout is not None
    answers: dict[int, dict[str, Any]] = {}

    async def send(message: dict[str, Any]) -> None:
        assert gateway.stdin is not None
        gateway.stdin.write(json.dumps(message).encode() + b"\n")
        await gateway.stdin.drain()

    async def answer(request_id: int) -> dict[str, Any]:
        assert gateway.stdout is not None
        while request_id not in answers:
            got = json.loads(await asyncio.wait_for(gateway.stdout.readline(), 60))
            answers[got["id"]] = got
        return answers[request_id]

    try:
        await send(_initialize())
        assert "result" in await answer(0)
        await send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        await send(_call(1, "work"))
        assert (await answer(1))["result"]["content"][0]["text"] == "ran"  # answered, then it dies
        await send(_call(2, "slow"))
        await until(lambda: ("slow", "sent") in _lines(audit), 30)  # running on the server
        await send(_call(3, "exit", {"code": 3}))
        for request_id in (2, 3):
            assert "it exited with code 3" in (await answer(request_id))["error"]["message"]
        await send(_call(4, "work"))  # the server is gone: never sent
        assert "it exited with code 3" in (await answer(4))["error"]["message"]
        gateway.stdin.close()
        assert await asyncio.wait_for(gateway.wait(), 30) == 0
    finally:
        if gateway.returncode is None:
            gateway.kill()
            await gateway.wait()
    assert _lines(audit) == [
        ("work", "sent"), ("work", "ok"),
        ("slow", "sent"), ("exit", "sent"), ("slow", "lost"), ("exit", "lost"),
        ("work", "unavailable"),
    ] or _lines(audit) == [
        ("work", "sent"), ("work", "ok"),
        ("slow", "sent"), ("exit", "sent"), ("exit", "lost"), ("slow", "lost"),
        ("work", "unavailable"),
    ], _lines(audit)
    # The answered call and the two the server may have run stay counted; the unsent one not.
    assert _used(state) == 3


async def test_over_http_a_call_the_server_died_running_is_lost_and_keeps_its_charge(tmp_path: Path) -> None:
    audit, state = tmp_path / "audit.jsonl", tmp_path / "state"
    listening = _http_gateway(tmp_path)
    try:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(60)) as http:
            headers = await _session(http, listening.url)
            ran = await http.post(listening.url, headers=headers, json=_call(1, "work"))
            assert ran.json()["result"]["content"][0]["text"] == "ran"
            slow = asyncio.get_running_loop().create_task(http.post(listening.url, headers=headers, json=_call(2, "slow")))
            await until(lambda: ("slow", "sent") in _lines(audit), 30)
            died = await http.post(listening.url, headers=headers, json=_call(3, "exit", {"code": 3}))
            assert "it exited with code 3" in died.json()["error"]["message"]
            assert "it exited with code 3" in (await asyncio.wait_for(slow, 30)).json()["error"]["message"]
        assert listening.process.wait(timeout=30) == 1
    finally:
        if listening.process.poll() is None:
            listening.process.kill()
            listening.process.wait(timeout=10)
    assert sorted(line for line in _lines(audit) if line[1] != "sent") == [
        ("exit", "lost"), ("slow", "lost"), ("work", "ok")], _lines(audit)
    assert _used(state) == 3


async def test_an_http_gateway_opens_no_session_once_its_server_output_has_ended(tmp_path: Path) -> None:
    """The server closes its output (and lives on): from then on no `initialize` is answered
    200, also in the 0.5 s the gateway waits to learn whether the process exits (and how)."""
    audit, pids = tmp_path / "audit.jsonl", tmp_path / "pids.txt"
    listening = _http_gateway(tmp_path, "env", f"MISBEHAVING_PIDFILE={pids}")
    server = 0
    try:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(60)) as http:
            opened = await http.post(listening.url, headers=HEADERS, json=_initialize())
            headers = {**HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"],
                       "MCP-Protocol-Version": "2025-06-18"}
            server = int(pids.read_text(encoding="utf-8").split()[0])
            output = Path(f"/proc/{server}/fd/1")
            mute = asyncio.get_running_loop().create_task(http.post(listening.url, headers=headers, json=_call(1, "mute")))
            await until(lambda: not output.exists(), 30)  # the server closed its output
            statuses: list[int] = []
            while not mute.done():
                try:
                    statuses.append((await http.post(listening.url, headers=HEADERS, json=_initialize())).status_code)
                except httpx2.TransportError:
                    break  # the gateway no longer listens
            # One request may be on its way as the gateway reads the end of the output.
            assert statuses.count(200) <= 1, statuses
            assert "it closed its output" in (await mute).json()["error"]["message"]
        assert listening.process.wait(timeout=30) == 1
    finally:
        if listening.process.poll() is None:
            listening.process.kill()
            listening.process.wait(timeout=10)
        if server and Path(f"/proc/{server}").exists():
            os.kill(server, signal.SIGKILL)  # a mute server never exits by itself
    assert [line for line in _lines(audit) if line[1] != "sent"] == [("mute", "lost")]


@pytest.mark.usefixtures("one_window")
def test_a_remote_server_that_dies_running_a_call_leaves_it_lost_and_charged_as_a_local_one(
    tmp_path: Path,
) -> None:
    """A legacy SSE server (reached by URL) takes a call and dies before answering it. The call
    may have run, as with a server process that dies: `lost`, charged; the next call, with the
    server gone, is never sent and has no `sent` line. Before, that next call was audited `sent`
    and then `unavailable`, as over stdio."""
    from test_gateway_sse_refused_posts import echo, received, refusing_gateway

    with refusing_gateway(tmp_path, REFUSE="2=hang") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        client.send(_call(100, "echo", {"n": 2}))
        deadline = time.monotonic() + 30
        while (2, True) not in received(tmp_path):  # the server took it and ran the tool
            assert time.monotonic() < deadline, received(tmp_path)
            time.sleep(0.02)
        client.upstream.kill()
        died = json.loads(client.receive_raw(100, 30))
        assert "unavailable" in died["error"]["message"], died
        # The next call comes once the gateway knows the server is gone (its one ERROR line):
        # one arriving before the gateway has read the connection's end is posted, and finds
        # nothing listening (`unavailable` after its `sent` line).
        log = tmp_path / "gateway.log"
        while "upstream server is unavailable" not in (log.read_text(encoding="utf-8") if log.exists() else ""):
            assert time.monotonic() < deadline + 30, "the gateway never said its server is gone"
            time.sleep(0.02)
        client.send(_call(101, "echo", {"n": 3}))
        assert "unavailable" in json.loads(client.receive_raw(101, 30))["error"]["message"]
    assert [line for line in _lines(tmp_path / "audit.jsonl") if line[0] == "echo"] == [
        ("echo", "sent"), ("echo", "ok"), ("echo", "sent"), ("echo", "lost"), ("echo", "unavailable")]


@pytest.mark.usefixtures("one_window")
def test_a_remote_event_stream_that_ends_after_a_post_was_taken_leaves_the_call_lost_and_charged(
    tmp_path: Path,
) -> None:
    """A legacy SSE server accepts the POST of a call (202), runs it, and its event stream ends
    before the answer. The call may have run: `lost`, charged; the server is gone for the
    gateway, so the next call is never sent (one line, `unavailable`, refunded)."""
    from test_gateway_sse_refused_posts import echo, received, refusing_gateway

    store = f"sqlite:///{tmp_path / 'state.sqlite'}"
    with refusing_gateway(tmp_path, "--state", store, REFUSE="2=cut") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        assert "unavailable (the connection closed)" in echo(client, 2)[0]
        assert "unavailable" in echo(client, 3)[0]
    assert received(tmp_path) == [(1, True), (2, True)]  # the second ran; the third never came
    assert [line for line in _lines(tmp_path / "audit.jsonl") if line[0] == "echo"] == [
        ("echo", "sent"), ("echo", "ok"), ("echo", "sent"), ("echo", "lost"), ("echo", "unavailable")]
    assert _used(store, "echo") == 2


@pytest.mark.usefixtures("one_window")
def test_a_call_after_a_remote_event_stream_ended_is_never_sent_and_has_one_line(tmp_path: Path) -> None:
    """A legacy SSE server answers a call and then ends its event stream, no call waiting on it
    (the server lives on). The gateway reads that end; the next call is never written to the
    server, and its one audit line is `unavailable` (refunded). Before, the gateway saw the end
    only once the call had its `sent` line, so the log claimed a call sent that never was."""
    from test_gateway_sse_refused_posts import echo, received, refusing_gateway

    store = f"sqlite:///{tmp_path / 'state.sqlite'}"
    record = tmp_path / "received.jsonl"
    with refusing_gateway(tmp_path, "--state", store, REFUSE="1=end") as client:
        assert echo(client, 1)[0] == "ran echo 1"
        deadline = time.monotonic() + 30
        while '"stream_ended"' not in (record.read_text(encoding="utf-8") if record.exists() else ""):
            assert time.monotonic() < deadline, "the server never ended its event stream"
            time.sleep(0.02)
        assert "the upstream MCP server is unavailable (the connection closed)" in echo(client, 2)[0]
    assert received(tmp_path) == [(1, True)]  # the second call never reached the server
    assert [line for line in _lines(tmp_path / "audit.jsonl") if line[0] == "echo"] == [
        ("echo", "sent"), ("echo", "ok"), ("echo", "unavailable")]
    assert _used(store, "echo") == 1
