"""The stdio gateway on the wire: bytes in, bytes out.

A small scripted MCP server (below) records every line it receives and answers in a
formatting no JSON library would reproduce (spaces, key order, `1e5`, `\\u00e9` escapes), so the
tests can tell a message passed through verbatim from one that was parsed and rebuilt: requests
reach the server re-encoded from what the gateway decided, answers reach the client as the
server sent them. The client side is a plain pipe speaking JSON-RPC lines, as an MCP client
does. Hostile lines against real servers are in test_gateway_adversarial.py, behaviour with
real clients in test_gateway_stdio.py.
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
from gateway_support import close_stdin_and_wait, leave

pytestmark = pytest.mark.usefixtures("one_window")

SERVER = r'''
import json, os, sys, threading, time
log = open(sys.argv[1], "ab", buffering=0)
# With a second argument `invalid`, a tool it does not have is answered `"result": 5`.
UNKNOWN_INVALID = sys.argv[2:] == ["invalid"]
lock = threading.Lock()

def out(text):
    with lock:
        sys.stdout.buffer.write(text.encode() + b"\n")
        sys.stdout.buffer.flush()

def result(mid, body):
    out('{"result": %s, "id": %s, "jsonrpc": "2.0"}' % (body, json.dumps(mid)))

for raw in sys.stdin.buffer:
    log.write(raw)
    msg = json.loads(raw)
    method, mid, params = msg.get("method"), msg.get("id"), msg.get("params") or {}
    if mid is None or method is None:
        continue
    if method == "initialize":
        result(mid, json.dumps({"protocolVersion": params["protocolVersion"],
            "capabilities": {"tools": {}, "resources": {}}, "serverInfo": {"name": "scripted", "version": "1"}}))
    elif method == "tools/list":
        if params.get("cursor") == "p2":
            result(mid, '{"tools": [{"name": "b", "inputSchema": {"type": "object"}}], "x-page": 2}')
        else:
            result(mid, '{"tools": [{"name": "a", "inputSchema": {"type": "object"}, "x-tool": 1e5}, '
                        '{"name": "secret", "inputSchema": {"type": "object"}}, {"name": "denied", "inputSchema": {"type": "object"}}, '
                        '{"name": "echo", "inputSchema": {"type": "object"}}, {"name": "slow", "inputSchema": {"type": "object"}}, '
                        '{"name": "die", "inputSchema": {"type": "object"}}, {"name": "err", "inputSchema": {"type": "object"}}, '
                        '{"name": "bad", "inputSchema": {"type": "object"}}], '
                        '"nextCursor": "p2", "x-page": 1}')
    elif method == "tools/call" and params.get("name") == "slow":
        pass  # never answered
    elif method == "tools/call" and params.get("name") == "die":
        sys.stderr.write("fatal: the tool died on purpose\n")
        sys.stderr.flush()
        os._exit(3)
    elif method == "tools/call" and params.get("name") == "err":
        out('{"error": {"message": "no such row", "code": -32602}, "id": %s, "jsonrpc": "2.0"}' % json.dumps(mid))
    elif method == "tools/call" and params.get("name") == "bad":
        # A result that is not a tool's result, in the shape `arguments.shape` names.
        shape = (params.get("arguments") or {}).get("shape", "number")
        if shape == "neither":
            out('{"id": %s, "jsonrpc": "2.0"}' % json.dumps(mid))
        elif shape == "both":
            out('{"result": {"content": []}, "error": {"code": -32602, "message": "no"}, "id": %s, "jsonrpc": "2.0"}'
                % json.dumps(mid))
        elif shape == "deep":
            # A tool's result nested `arguments.depth` arrays deep, its id the last member
            # (none with `arguments.named` false).
            depth = int(params["arguments"]["depth"])
            named = ', "id": %s' % json.dumps(mid) if params["arguments"].get("named", True) else ""
            out('{"jsonrpc": "2.0", "result": {"content": [], "structuredContent": {"deep": %s%s}}%s}'
                % ("[" * depth, "]" * depth, named))
        elif shape == "deep+unclosed":
            # First a line nested 976 arrays deep whose string never closes, a mebibyte of
            # escaped quotes (no message at all), then the call's own answer.
            out('{"jsonrpc": "2.0", "id": %s, "result": {"deep": %s"%s' % (json.dumps(mid), "[" * 976, '\\"' * (1 << 19)))
            result(mid, '{"content": [{"type": "text", "text": "answered after"}]}')
        elif shape == "deep+again":
            # An answer nested `arguments.depth` arrays deep (2,000 unless said) naming the
            # request `arguments.answered` (one answered already), then the call's own answer.
            depth = int(params["arguments"].get("depth", 2000))
            out('{"jsonrpc": "2.0", "result": %s%s, "id": %s}' % ("[" * depth, "]" * depth, json.dumps(params["arguments"]["answered"])))
            result(mid, '{"content": [{"type": "text", "text": "answered after"}]}')
        elif shape == "both+null":
            out('{"result": null, "error": {"code": -32602, "message": "no"}, "id": %s, "jsonrpc": "2.0"}'
                % json.dumps(mid))
        else:
            result(mid, {"number": "5", "null": "null"}[shape])
    elif method == "tools/call" and params.get("name") not in ("a", "b", "secret", "denied", "echo", "slow", "die", "err", "bad"):
        if UNKNOWN_INVALID:
            result(mid, '5')
            continue
        result(mid, '{"content": [{"type": "text", "text": "Unknown tool: %s"}], "isError": true}' % params.get("name"))
    elif method == "tools/call":
        if params.get("name") == "echo":
            out("working on it (not JSON-RPC)")  # stray text on stdout, as some servers print
        result(mid, '{"content": [{"type": "text", "text": "caf\\u00e9"}], "isError": false, "n": 1e5}')
    elif method == "x/custom":
        delay = float(params.get("delay", 0))
        body = '{"b": 1, "a": 1e5, "echo": %s}' % json.dumps(params.get("tag"))
        threading.Timer(delay, result, (mid, body)).start() if delay else result(mid, body)
    elif method == "x/fail":
        out('{"error": {"message": "nope", "code": -32000, "data": {"k": 1e5}}, "id": %s, "jsonrpc": "2.0"}' % json.dumps(mid))
    elif method == "resources/list":
        result(mid, '{"resources": [{"uri": "test://r", "name": "r"}], "nextCursor": "c2"}')
    else:
        out('{"jsonrpc": "2.0", "id": %s, "error": {"code": -32601, "message": "Method not found"}}' % json.dumps(mid))
'''

POLICY = {"version": "1", "default": "allow", "hide": ["secret"], "tools": {"denied": {"action": "deny", "reason": "no"}}}


class Wire:
    """A client on the gateway's standard input/output, one JSON-RPC line at a time."""

    def __init__(self, process: asyncio.subprocess.Process, upstream_log: Path, audit: Path) -> None:
        self.process = process
        self.upstream_log = upstream_log
        self.audit = audit

    async def send(self, line: bytes | str) -> None:
        data = line.encode() if isinstance(line, str) else line
        assert self.process.stdin is not None
        self.process.stdin.write(data.rstrip(b"\n") + b"\n")
        await self.process.stdin.drain()

    async def receive(self, timeout: float = 20) -> bytes:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert line, "the gateway closed its output"
        return line.rstrip(b"\n")

    async def answers(self, count: int) -> dict[Any, bytes]:
        """The next `count` responses, by id."""
        found: dict[Any, bytes] = {}
        while len(found) < count:
            line = await self.receive()
            message = json.loads(line)
            if "method" not in message:
                found[message.get("id")] = line
        return found

    def upstream_lines(self) -> list[bytes]:
        return self.upstream_log.read_bytes().splitlines()


@asynccontextmanager
async def wire(
    tmp: Path, *extra: str, policy: dict[str, Any] = POLICY, capabilities: dict[str, Any] | None = None,
    server_args: tuple[str, ...] = (),
) -> AsyncIterator[Wire]:
    """The gateway over stdio in front of SERVER (given `server_args` after its log's path),
    initialized by a client announcing `capabilities` (none unless told)."""
    script = tmp / "server.py"
    script.write_text(SERVER, encoding="utf-8")
    (tmp / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    upstream_log, audit = tmp / "upstream.log", tmp / "audit.jsonl"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "policytui", "gateway", "--policy", str(tmp / "policy.json"),
        "--state-dir", str(tmp / "state"), "--audit", str(audit), "--log", str(tmp / "gateway.log"),
        *extra, "--", sys.executable, str(script), str(upstream_log), *server_args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    client = Wire(process, upstream_log, audit)
    try:
        await client.send(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": capabilities or {},
            "clientInfo": {"name": "wire", "version": "1"}}}))
        init = json.loads(await client.receive(60))
        assert init["result"]["serverInfo"]["name"] == "scripted"
        await client.send('{"jsonrpc":"2.0","method":"notifications/initialized"}')
        yield client
    finally:
        await close_stdin_and_wait(process)


def _exact(lines: list[bytes], needle: bytes) -> bool:
    return any(line == needle for line in lines)


def _calls(audit: Path) -> list[dict[str, Any]]:
    """The audit records of the agent's calls (without the gateway's start-up probe)."""
    lines = outcome_lines(audit)
    return [line for line in lines if line["decision"] != "probe"]


async def test_requests_reach_the_server_re_encoded_and_answers_come_back_as_sent(tmp_path: Path) -> None:
    async with wire(tmp_path) as client:
        # Resources are not policed, but still re-encoded: compact, ASCII, one line.
        listing = b'{"jsonrpc": "2.0", "method": "resources/list", "id": 7, "params": {"cursor": "caf\xc3\xa9"}}'
        await client.send(listing)
        assert await client.receive() == (
            b'{"result": {"resources": [{"uri": "test://r", "name": "r"}], "nextCursor": "c2"}, "id": 7, "jsonrpc": "2.0"}'
        )
        assert _exact(
            client.upstream_lines(),
            b'{"jsonrpc":"2.0","id":7,"method":"resources/list","params":{"cursor":"caf\\u00e9"}}',
        )
        # An allowed call goes upstream as decided; the answer comes back as the server sent it.
        call = b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"ech\\u006f","arguments":{"x": 1e5}}}'
        await client.send(call)
        assert await client.receive() == (
            b'{"result": {"content": [{"type": "text", "text": "caf\\u00e9"}], "isError": false, "n": 1e5}, '
            b'"id": 8, "jsonrpc": "2.0"}'
        )
        assert _exact(
            client.upstream_lines(),
            b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo","arguments":{"x":100000.0}}}',
        )
        assert not any(b"\r" in line or b" " in line for line in client.upstream_lines())


async def test_stray_text_from_the_server_while_serving_is_skipped_and_logged(tmp_path: Path) -> None:
    async with wire(tmp_path, "--log-level", "debug") as client:
        await client.send('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}')
        assert json.loads(await client.receive())["result"]["isError"] is False
    assert ("skipped a line from the server that is not a JSON-RPC message: working on it (not JSON-RPC)"
            in (tmp_path / "gateway.log").read_text(encoding="utf-8"))


async def test_methods_outside_mcp_are_not_found_and_never_reach_the_server(tmp_path: Path) -> None:
    async with wire(tmp_path, "--log-level", "debug") as client:
        for request_id, method in enumerate(["x/custom", "Tools/Call", "tools/call ", "tools/callx"]):
            await client.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": {"name": "a"}}))
            assert json.loads(await client.receive()) == {
                "jsonrpc": "2.0", "id": request_id, "error": {"code": -32601, "message": "Method not found"}}
    assert not any(b"x/custom" in line or b"Tools" in line or b"callx" in line for line in client.upstream_lines())
    assert "refused a client message (Method not found)" in (tmp_path / "gateway.log").read_text(encoding="utf-8")


async def test_tools_list_drops_hidden_tools_and_keeps_everything_else(tmp_path: Path) -> None:
    async with wire(tmp_path) as client:
        await client.send('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
        first = json.loads(await client.receive())["result"]
        assert first == {
            "tools": [{"name": "a", "inputSchema": {"type": "object"}, "x-tool": 100000.0},
                      {"name": "denied", "inputSchema": {"type": "object"}},
                      {"name": "echo", "inputSchema": {"type": "object"}},
                      {"name": "slow", "inputSchema": {"type": "object"}},
                      {"name": "die", "inputSchema": {"type": "object"}},
                      {"name": "err", "inputSchema": {"type": "object"}},
                      {"name": "bad", "inputSchema": {"type": "object"}}],
            "nextCursor": "p2",
            "x-page": 1,
        }
        await client.send('{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"p2"}}')
        # Nothing hidden on this page: every field as sent, re-encoded from what was filtered
        # (never the server's own line, which could hold a key twice).
        line = await client.receive()
        assert json.loads(line) == {
            "jsonrpc": "2.0", "id": 2,
            "result": {"tools": [{"name": "b", "inputSchema": {"type": "object"}}], "x-page": 2},
        }
        assert line.startswith(b'{"jsonrpc":"2.0","id":2,')
        # A hidden tool answers as a tool the server does not have (the server's own words).
        await client.send('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"secret"}}')
        hidden = json.loads(await client.receive())
        assert hidden == {"jsonrpc": "2.0", "id": 3, "result": {
            "content": [{"type": "text", "text": "Unknown tool: secret"}], "isError": True}}
        await client.send('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"denied","arguments":{}}}')
        assert json.loads(await client.receive())["result"]["content"][0]["text"] == "[POLICY DENIED] no"
    assert not any(b'"secret"' in line or b'"denied"' in line for line in client.upstream_lines())
    assert [(c["tool"], c["decision"]) for c in _calls(client.audit)] == [("secret", "hidden"), ("denied", "denied")]


async def test_a_client_id_shaped_like_the_gateways_own_travels_unchanged(tmp_path: Path) -> None:
    async with wire(tmp_path) as client:
        await client.send('{"jsonrpc":"2.0","id":"policytui-1","method":"resources/list"}')
        assert json.loads(await client.receive())["id"] == "policytui-1"
        # A second request under an id still in progress is refused, not sent on.
        await client.send('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"slow","arguments":{}}}')
        await client.send('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{}}}')
        assert json.loads(await client.receive())["id"] is None
    assert sum(b'"slow"' in line for line in client.upstream_lines()) == 1
    assert not any(b'"echo"' in line for line in client.upstream_lines())


async def test_parse_errors_and_pings_are_answered_by_the_gateway(tmp_path: Path) -> None:
    async with wire(tmp_path) as client:
        await client.send(b"{not json")
        answer = json.loads(await client.receive())
        assert answer["id"] is None and answer["error"]["code"] == -32700
        await client.send('{"jsonrpc":"2.0","id":"p","method":"ping"}')
        assert json.loads(await client.receive()) == {"jsonrpc": "2.0", "id": "p", "result": {}}
        await client.send('{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":7}}')
        assert json.loads(await client.receive())["error"]["code"] == -32602
    assert not any(b'"ping"' in line for line in client.upstream_lines())


async def test_a_line_nested_thousands_deep_is_a_parse_error_not_a_crash(tmp_path: Path) -> None:
    """json.loads gives up on such a line with RecursionError; the gateway answers and goes on."""
    async with wire(tmp_path) as client:
        await client.send(b"[" * 100_000 + b"]" * 100_000)
        answer = json.loads(await client.receive())
        assert answer["id"] is None and answer["error"]["code"] == -32700
        await client.send('{"jsonrpc":"2.0","id":"p","method":"ping"}')
        assert json.loads(await client.receive()) == {"jsonrpc": "2.0", "id": "p", "result": {}}


async def test_a_cancelled_call_is_cancelled_upstream_and_gets_no_answer(tmp_path: Path) -> None:
    async with wire(tmp_path) as client:
        await client.send('{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"slow","arguments":{}}}')
        for _ in range(100):
            if any(b'"slow"' in line for line in client.upstream_lines()):
                break
            await asyncio.sleep(0.05)
        await client.send('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":11}}')
        await client.send('{"jsonrpc":"2.0","id":12,"method":"ping"}')
        assert json.loads(await client.receive())["id"] == 12  # and nothing for 11
        for _ in range(100):
            cancels = [json.loads(line) for line in client.upstream_lines() if b"notifications/cancelled" in line]
            if cancels:
                break
            await asyncio.sleep(0.05)
        assert cancels[0]["params"]["requestId"] == 11
        # The server may still answer 11: a new call reusing the id goes up under another one.
        await client.send('{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"echo","arguments":{}}}')
        assert json.loads(await client.receive())["id"] == 11
        echo = [json.loads(line) for line in client.upstream_lines() if b'"echo"' in line]
        assert len(echo) == 1 and echo[0]["id"] != 11
    assert [(line["tool"], line.get("upstream")) for line in _calls(client.audit)] == [
        ("slow", "cancelled"), ("echo", "ok")]


async def test_a_call_past_the_call_timeout_fails_keeps_its_charge_and_is_cancelled_upstream(tmp_path: Path) -> None:
    async with wire(tmp_path, "--call-timeout", "0.5") as client:
        await client.send('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{}}}')
        error = json.loads(await client.receive())["error"]
        assert error["code"] == -32001 and "timed out" in error["message"]
        for _ in range(100):
            cancels = [json.loads(line) for line in client.upstream_lines() if b"notifications/cancelled" in line]
            if cancels:
                break
            await asyncio.sleep(0.05)
        assert cancels[0]["params"]["requestId"] == 1
    assert [line.get("upstream") for line in _calls(client.audit)] == ["timeout"]


async def test_a_dying_server_fails_pending_and_new_calls(tmp_path: Path) -> None:
    async with wire(tmp_path) as client:
        await client.send('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{}}}')
        await client.send('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"die","arguments":{}}}')
        answers = await client.answers(2)
        for request_id in (1, 2):
            error = json.loads(answers[request_id])["error"]
            assert "upstream MCP server is unavailable" in error["message"]
        await client.send('{"jsonrpc":"2.0","id":3,"method":"resources/list","params":{}}')
        assert "unavailable" in json.loads(await client.receive())["error"]["message"]
        # The policy still answers what it denies.
        await client.send('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"denied"}}')
        assert json.loads(await client.receive())["result"]["isError"] is True
        # The log says why: the exit code and what the server last wrote on stderr.
        log = tmp_path / "gateway.log"
        for _ in range(100):
            if "exited with code 3 while serving" in log.read_text(encoding="utf-8"):
                break
            await asyncio.sleep(0.05)
        text = log.read_text(encoding="utf-8")
        assert "the upstream server exited with code 3 while serving" in text, text
        assert "fatal: the tool died on purpose" in text
    # Both calls were sent and the server died running them: each may have run (charge kept).
    assert sorted(line.get("upstream", "") for line in _calls(client.audit)) == ["", "lost", "lost"]


async def test_clients_that_probe_for_the_newest_protocol_are_served_in_it(
    tmp_path: Path, everything: Path
) -> None:
    """The SDK's default client mode probes with server/discover; the gateway answers it and
    serves the 2026-07-28 protocol in front of a handshake-era server."""
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    policy = {"version": "1", "default": "allow", "hide": ["get-env"]}
    (tmp_path / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "policytui", "gateway", "--policy", str(tmp_path / "policy.json"), "--state-dir",
              str(tmp_path / "state"), "--log", str(tmp_path / "gateway.log"), "--", str(everything), "stdio"],
    )
    with open(os.devnull, "w") as errlog:  # noqa: ASYNC230 - opened once, never blocks
        async with Client(stdio_client(params, errlog=errlog), mode="auto", read_timeout_seconds=60) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            assert "get-env" not in names and "echo" in names
            assert (await client.call_tool("get-env", {})).is_error
            echoed = await client.call_tool("echo", {"message": "modern"})
            assert not echoed.is_error and "modern" in echoed.content[0].text


async def test_a_call_the_server_refuses_is_refunded_and_one_it_answers_wrongly_keeps_its_charge(
    tmp_path: Path,
) -> None:
    """A JSON-RPC error says the tool did not run: refunded. A result that is not a tool's
    result (`bad` answers `"result": 5`) says it did: audited `invalid`, charged, so the second
    call of a limit of 1 is not sent. Before, it was audited `error` and refunded, and a client
    that could steer a tool into such an answer ran it past every limit."""
    # One call a day each, on a counter of its own: a refunded call can be made again, a
    # charged one cannot.
    policy = {"version": "1", "default": "allow", "tools": {
        tool: {"limits": [{"counter": tool, "window": "day", "max": 1}]} for tool in ("err", "bad", "echo")}}
    async with wire(tmp_path, policy=policy) as client:
        for request_id in (1, 2):
            await client.send(f'{{"jsonrpc":"2.0","id":{request_id},"method":"tools/call","params":{{"name":"err"}}}}')
            # The server's own error, as it sent it.
            assert await client.receive() == (
                b'{"error": {"message": "no such row", "code": -32602}, "id": %d, "jsonrpc": "2.0"}' % request_id)
        await client.send('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"bad"}}')
        error = json.loads(await client.receive())["error"]
        assert error == {"code": -32603, "message": "the upstream MCP server sent an invalid result"}
        await client.send('{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"bad"}}')
        assert json.loads(await client.receive())["result"]["content"][0]["text"].startswith(
            "[POLICY DENIED] rate limit 1 per day reached")
        for request_id, limited_now in ((5, False), (6, True)):
            await client.send(f'{{"jsonrpc":"2.0","id":{request_id},"method":"tools/call","params":{{"name":"echo"}}}}')
            answer = json.loads(await client.receive())
            assert answer["id"] == request_id and answer["result"]["isError"] is limited_now
        sent = [json.loads(line) for line in client.upstream_lines() if b'"tools/call"' in line]
        names = [m["params"]["name"] for m in sent if not m["params"]["name"].startswith("policytui-probe")]
        assert names == ["err", "err", "bad", "echo"]
    assert [(line["tool"], line["decision"], line.get("upstream")) for line in _calls(client.audit)] == [
        ("err", "allowed", "error"), ("err", "allowed", "error"), ("bad", "allowed", "invalid"),
        ("bad", "denied", None), ("echo", "allowed", "ok"), ("echo", "denied", None)]


async def test_a_client_that_leaves_mid_call_has_the_call_audited_as_cancelled(tmp_path: Path) -> None:
    async with wire(tmp_path) as client:
        await client.send('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{}}}')
        for _ in range(100):
            if any(b'"slow"' in line for line in client.upstream_lines()):
                break
            await asyncio.sleep(0.05)
        assert client.process.stdin is not None
        leave(client.process)
        assert await asyncio.wait_for(client.process.wait(), 20) == 0
    assert [(line["tool"], line.get("upstream")) for line in _calls(client.audit)] == [("slow", "cancelled")]
