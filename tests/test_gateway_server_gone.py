"""An HTTP gateway whose server process ends while it serves (it exits, it is killed).

Before, the gateway went on listening as if healthy: a new client's `initialize` was answered
200 with a fresh session, a GET stream opened and stayed open, calls failed with "the upstream
MCP server is unavailable (the connection closed)", the log said two things, and the process
never ended, so no supervisor restarted it. Now each request waiting is answered with how the
server ended, every later request is refused in the same words, the log says it once, and the
gateway exits with 1.

The installed `policytui gateway --listen` runs in front of `dies_on_call.py`, a real server
process that exits (or kills itself) when told; clients speak raw HTTP to it, and the audit log
and the gateway's log are read afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
from audit_support import outcome_lines, sent_lines
from gateway_support import Listening, start_http_gateway, until

ROOT = Path(__file__).resolve().parent.parent
DIES = ROOT / "tests" / "servers" / "misbehaving" / "dies_on_call.py"
HOSTILE = ROOT / "tests" / "servers" / "misbehaving" / "hostile_tools.py"
REFUSING_HTTP = ROOT / "tests" / "servers" / "misbehaving" / "refusing_http.py"
REFUSING_SSE = ROOT / "tests" / "servers" / "misbehaving" / "refusing_sse.py"
POLICYTUI = (str(Path(sys.executable).parent / "policytui"),)
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
MODERN = "2026-07-28"
EXITED = "the upstream MCP server is unavailable (it exited with code 3)"
KILLED = "the upstream MCP server is unavailable (it was killed by signal 9 (SIGKILL))"
# How soon a gateway whose server is gone must have exited: it has nothing left to wait for.
EXIT_BOUND = 15.0


def _start(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    policy = tmp / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    listening = start_http_gateway(
        ["--policy", str(policy), "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl")],
        ["env", f"MISBEHAVING_PIDFILE={tmp / 'pids.txt'}", sys.executable, str(DIES)], tmp / "gateway.log",
        command=POLICYTUI)
    return listening.process, listening.url


def _call(request_id: int, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
            "params": {"name": tool, "arguments": arguments or {}}}


def _modern(request_id: int, tool: str) -> tuple[dict[str, str], dict[str, Any]]:
    message = _call(request_id, tool)
    message["params"]["_meta"] = {"io.modelcontextprotocol/protocolVersion": MODERN,
                                  "io.modelcontextprotocol/clientCapabilities": {}}
    return {**HEADERS, "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": tool}, message


def _initialize() -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


async def _session(http: httpx2.AsyncClient, url: str) -> dict[str, str]:
    opened = await http.post(url, headers=HEADERS, json=_initialize())
    assert opened.status_code == 200, opened.text
    headers = {**HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-06-18"}
    assert (await http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
            ).status_code == 202
    return headers


async def _refused_naming(request: Any, words: str) -> str:
    """How a request after the server's end went: refused with 503 and a JSON-RPC error that
    names how the server ended, or not taken at all as the gateway exits: its connection
    refused once the gateway no longer listens ("gone"), or closed before any answer ("cut").

    The last is HTTP's, not the gateway's to prevent: either end may close an idle persistent
    connection at any moment (RFC 9112, 9.3.1 and 9.6), and a request the client sends on the
    kept-alive connection of the answer before, as the exiting gateway closes it, or on one
    the system accepted for the listener just closed, meets that end unread. What the gateway
    did with it is checked where it would show: the audit log, its own log, its exit."""
    try:
        response = await request
    except httpx2.ConnectError:
        return "gone"
    except (httpx2.ReadError, httpx2.RemoteProtocolError):
        return "cut"
    assert response.status_code == 503, (response.status_code, response.text)
    message = response.json()["error"]["message"]
    assert words.removeprefix("the upstream MCP server is unavailable ") in message, message
    return "refused"


def _exit_code(process: subprocess.Popen[bytes], log: Path) -> int:
    try:
        return process.wait(timeout=EXIT_BOUND)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        raise AssertionError(f"the gateway still runs with its server gone: {log.read_text(encoding='utf-8')[-2000:]}"
                             ) from None


@contextmanager
def _gateway_before_a_refusing_server(tmp: Path, script: Path, refuse: str) -> Iterator[Listening]:
    """`script` (refusing_http.py or refusing_sse.py) told to `REFUSE`, recording what it is sent
    in TMP/received.jsonl, and the installed HTTP gateway in front of it by URL (a URL is the
    TARGET itself, not a command after `--`), allowing everything; both gone afterwards."""
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "REFUSING_RECORD": str(tmp / "received.jsonl"), "REFUSE": refuse})
    assert server.stdout is not None
    try:
        port = int(server.stdout.readline())
        target = [f"http://127.0.0.1:{port}/mcp"] if script == REFUSING_HTTP else ["--sse", f"http://127.0.0.1:{port}/sse"]
        policy = tmp / "policy.json"
        policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
        listening = start_http_gateway(
            ["--policy", str(policy), "--state", "memory://", "--audit", str(tmp / "audit.jsonl"), *target],
            [], tmp / "gateway.log", command=POLICYTUI)
        try:
            yield listening
        finally:
            if listening.process.poll() is None:
                listening.process.kill()
                listening.process.wait(timeout=10)
    finally:
        server.kill()
        server.wait(timeout=10)


async def test_a_server_that_exits_ends_the_gateway_and_every_client_is_told_how(tmp_path: Path) -> None:
    process, url = _start(tmp_path)
    log = tmp_path / "gateway.log"
    try:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(60)) as http:
            headers = await _session(http, url)
            async with http.stream("GET", url, headers=headers) as stream:
                assert stream.status_code == 200
                slow = asyncio.get_running_loop().create_task(http.post(url, headers=headers, json=_call(1, "slow")))
                modern_headers, modern_call = _modern(2, "slow")
                modern = asyncio.get_running_loop().create_task(http.post(url, headers=modern_headers,
                                                                          json=modern_call))
                # Both calls reach the server before it goes.
                await until(lambda: [r["tool"] for r in sent_lines(tmp_path / "audit.jsonl")] == ["slow", "slow"], 30)
                died = await http.post(url, headers=headers, json=_call(3, "exit", {"code": 3}))
                # The call that ended the server, and each call it was running, are told how it ended.
                assert died.json()["error"]["message"] == EXITED, died.text
                for request_id, answered in ((1, slow), (2, modern)):
                    answer = (await asyncio.wait_for(answered, 10)).json()
                    assert answer["id"] == request_id and answer["error"]["message"] == EXITED, answer
                # The session's GET stream ends instead of staying open for a server that is gone.
                await asyncio.wait_for(stream.aread(), 10)
            # Whatever comes now is refused in the same words, until the gateway no longer listens.
            outcomes = [
                await _refused_naming(http.post(url, headers=HEADERS, json=_initialize()), EXITED),
                await _refused_naming(http.post(url, headers=headers, json=_call(4, "work")), EXITED),
                await _refused_naming(http.post(url, headers=_modern(5, "work")[0], json=_modern(5, "work")[1]), EXITED),
                await _refused_naming(http.get(url, headers=headers), EXITED),
            ]
            assert set(outcomes) <= {"refused", "gone", "cut"}, outcomes
        assert _exit_code(process, log) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    text = log.read_text(encoding="utf-8")
    errors = [line for line in text.splitlines() if " ERROR " in line]
    assert [line.split(" ERROR ", 1)[1] for line in errors] == [
        "the upstream server exited with code 3 while serving; the last lines it wrote to stderr:"], text
    assert "  | fatal: the backend went away" in text
    # Three calls reached the server and died with it: each may have run (`lost`, charge kept);
    # nothing after its end is a call.
    assert sorted((r["tool"], r.get("upstream")) for r in outcome_lines(tmp_path / "audit.jsonl")
                  if r["decision"] != "probe") == [("exit", "lost"), ("slow", "lost"), ("slow", "lost")]


async def test_a_server_killed_by_a_signal_is_named_by_its_signal(tmp_path: Path) -> None:
    process, url = _start(tmp_path)
    log = tmp_path / "gateway.log"
    try:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(60)) as http:
            modern_headers, modern_call = _modern(1, "kill")
            killed = await http.post(url, headers=modern_headers, json=modern_call)
            assert killed.json()["error"]["message"] == KILLED, killed.text
            started = time.monotonic()
            outcome = await _refused_naming(http.post(url, headers=HEADERS, json=_initialize()), KILLED)
            assert outcome in ("refused", "gone", "cut")
        assert _exit_code(process, log) == 1
        assert time.monotonic() - started < EXIT_BOUND
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    text = log.read_text(encoding="utf-8")
    assert "the upstream server was killed by signal 9 (SIGKILL) while serving (nothing on stderr)" in text, text
    assert text.count(" ERROR ") == 1, text
    # The call that killed the server is the only one there was: nothing later was taken.
    assert [(r["tool"], r.get("upstream")) for r in outcome_lines(tmp_path / "audit.jsonl")
            if r["decision"] != "probe"] == [("kill", "lost")]



async def test_a_server_that_closes_its_output_and_lives_on_ends_the_gateway_too(tmp_path: Path) -> None:
    """Alive but mute: nothing it says can be read any more, so the gateway is of no more use
    than with a dead server. It stops, and stops the server with it."""
    process, url = _start(tmp_path)
    log = tmp_path / "gateway.log"
    try:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(60)) as http:
            modern_headers, modern_call = _modern(1, "mute")
            muted = await http.post(url, headers=modern_headers, json=modern_call)
            assert muted.json()["error"]["message"] == "the upstream MCP server is unavailable (it closed its output)"
        assert _exit_code(process, log) == 1
        server = int((tmp_path / "pids.txt").read_text(encoding="utf-8").split()[0])
        await until(lambda: not _alive(server), 10)  # stopped by the gateway, not left behind
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        _kill_left_behind(tmp_path / "pids.txt")  # a mute server never exits by itself
    assert "upstream server is unavailable: it closed its output" in log.read_text(encoding="utf-8")


async def test_over_stdio_the_gateway_stays_for_its_client_and_names_the_exit(tmp_path: Path) -> None:
    """Over stdio the client started the gateway and owns its life: the gateway answers each
    request with how the server ended, calls the policy denies still get their denial, and it
    exits 0 when the client leaves."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"work": {"action": "deny"}}}),
                      encoding="utf-8")
    gateway = await asyncio.create_subprocess_exec(
        *POLICYTUI, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"),
        "--audit", str(tmp_path / "audit.jsonl"), "--log", str(tmp_path / "gateway.log"),
        "--", sys.executable, str(DIES), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert gateway.stdin is not None and gateway.stdout is not None
    try:
        async def ask(message: dict[str, Any]) -> dict[str, Any]:
            assert gateway.stdin is not None and gateway.stdout is not None
            gateway.stdin.write(json.dumps(message).encode() + b"\n")
            await gateway.stdin.drain()
            return json.loads(await asyncio.wait_for(gateway.stdout.readline(), 60))  # type: ignore[no-any-return]

        assert "result" in await ask(_initialize())
        gateway.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        assert (await ask(_call(1, "exit", {"code": 3})))["error"]["message"] == EXITED
        assert (await ask(_call(2, "slow")))["error"]["message"] == EXITED
        denied = await ask(_call(3, "work"))
        assert denied["result"]["isError"] is True and "[POLICY DENIED]" in denied["result"]["content"][0]["text"]
        gateway.stdin.close()
        assert await asyncio.wait_for(gateway.wait(), EXIT_BOUND) == 0
    finally:
        if gateway.returncode is None:
            gateway.kill()
            await gateway.wait()
    assert sorted((r["tool"], r.get("upstream")) for r in outcome_lines(tmp_path / "audit.jsonl")
                  if r["decision"] != "probe") == [("exit", "lost"), ("slow", "unavailable"), ("work", None)]
    # The call after the server's end was never sent: no line says it was.
    assert [r["tool"] for r in sent_lines(tmp_path / "audit.jsonl")] == ["exit"]


def _kill_left_behind(pids: Path) -> None:
    for pid in (int(text) for text in (pids.read_text(encoding="utf-8").split() if pids.exists() else [])):
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


async def test_a_remote_server_that_ends_the_session_ends_an_http_gateway_too(tmp_path: Path) -> None:
    """A Streamable HTTP server that answers 404 no longer knows the gateway's session, and the
    gateway opens no other: restarting it is the only way on, which a supervisor does once it
    exits with 1. Before, it went on listening, refusing every call, until someone restarted it."""
    ended = "it ended the gateway's session, answering HTTP 404; restart the gateway to open a new one"
    log = tmp_path / "gateway.log"
    with _gateway_before_a_refusing_server(tmp_path, REFUSING_HTTP, "2=expire") as listening:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(60)) as http:
            headers = await _session(http, listening.url)
            first = await http.post(listening.url, headers=headers, json=_call(1, "echo", {"n": 1}))
            assert first.json()["result"]["content"][0]["text"] == "ran echo 1", first.text
            second = await http.post(listening.url, headers=headers, json=_call(2, "echo", {"n": 2}))
            assert second.json()["error"]["message"] == f"the upstream MCP server {ended.removeprefix('it ')}"
            outcome = await _refused_naming(http.post(listening.url, headers=HEADERS, json=_initialize()),
                                            f"the upstream MCP server is unavailable ({ended})")
            assert outcome in ("refused", "gone", "cut")
        assert _exit_code(listening.process, log) == 1
    errors = [line for line in log.read_text(encoding="utf-8").splitlines() if " ERROR " in line]
    assert len(errors) == 1 and ended in errors[0], errors


async def test_a_remote_event_stream_that_ends_with_no_call_waiting_ends_an_http_gateway(tmp_path: Path) -> None:
    """A legacy SSE server answers a call and then closes its event stream, the only way its
    answers come, with no call waiting and no client saying anything more. The gateway hears
    the end at once: it says so once and exits with 1, for a supervisor to restart it. Before,
    nothing woke it: it went on listening for a server it could no longer hear until the next
    message came, and a call whose POST failed as its server died left it just as unaware."""
    log = tmp_path / "gateway.log"
    with _gateway_before_a_refusing_server(tmp_path, REFUSING_SSE, "1=end") as listening:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(60)) as http:
            headers = await _session(http, listening.url)
            first = await http.post(listening.url, headers=headers, json=_call(1, "echo", {"n": 1}))
            assert first.json()["result"]["content"][0]["text"] == "ran echo 1", first.text
        assert _exit_code(listening.process, log) == 1
    lines = [json.loads(line) for line in (tmp_path / "received.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"stream_ended": True} in lines
    assert [line["message"]["params"]["arguments"] for line in lines
            if line.get("message", {}).get("method") == "tools/call"
            and line["message"]["params"]["name"] == "echo"] == [{"n": 1}]
    errors = [line for line in log.read_text(encoding="utf-8").splitlines() if " ERROR " in line]
    assert [line.split(" ERROR ", 1)[1] for line in errors] == [
        "upstream server is unavailable: the connection closed"], errors
    assert [(r["tool"], r.get("upstream")) for r in outcome_lines(tmp_path / "audit.jsonl")
            if r["decision"] != "probe"] == [("echo", "ok")]


async def test_a_server_stopped_for_a_message_over_the_limit_ends_an_http_gateway_too(tmp_path: Path) -> None:
    """A server that sends a line over 64 MiB is stopped as if it had died (it is broken or
    hostile): an HTTP gateway stops with it, as when it dies, instead of listening on for a
    server it stopped itself."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    log = tmp_path / "gateway.log"
    listening = start_http_gateway(
        ["--policy", str(policy), "--state", "memory://", "--audit", str(tmp_path / "audit.jsonl")],
        ["env", "HUGE_REPLY_MB=70", f"HOSTILE_RECORD={tmp_path / 'received.txt'}", sys.executable, str(HOSTILE)],
        log, command=POLICYTUI)
    try:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(60)) as http:
            modern_headers, modern_call = _modern(1, "huge")
            answer = await http.post(listening.url, headers=modern_headers, json=modern_call)
            assert answer.json()["error"]["message"] == (
                "the upstream MCP server is unavailable (it sent a message larger than 64 MiB and was stopped)")
        assert _exit_code(listening.process, log) == 1
    finally:
        if listening.process.poll() is None:
            listening.process.kill()
            listening.process.wait(timeout=10)
    assert [(r["tool"], r.get("upstream")) for r in outcome_lines(tmp_path / "audit.jsonl")
            if r["decision"] != "probe"] == [("huge", "too_large")]
