"""`--listen` through the relay: JSON when no stream is needed, SSE when one is, the wire rules
over HTTP, sessions bound to their token, approvals, progress, list changes, hidden tools.

The agent side is the mcp SDK's `Client` over streamable HTTP, or plain HTTP requests where
the bytes matter; the server behind is the real server-everything.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import mcp_types as types
import pytest
from audit_support import outcome_lines
from gateway_support import http_gateway
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

pytestmark = pytest.mark.servers

ALICE = "alice-token-0123456789abcdef"
BOB = "bob-token-0123456789abcdef00"
POLICY = {
    "version": "1",
    "default": "allow",
    "hide": ["get-env"],
    "tools": {
        "gzip-file-as-resource": {"action": "deny", "reason": "no files"},
        "echo": {"require_approval_if": [{"path": "args.message", "op": "regex", "value": "^approve"}]},
    },
}
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}


class Served:
    def __init__(self, process: subprocess.Popen[bytes], url: str, tmp: Path) -> None:
        self.process, self.url, self.tmp = process, url, tmp

    def audit(self) -> list[dict[str, Any]]:
        lines = outcome_lines(self.tmp / "audit.jsonl")
        return [line for line in lines if line["decision"] != "probe"]


@pytest.fixture
def served(tmp_path: Path, everything: Path) -> Iterator[Served]:
    (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp_path / "tokens.json").write_text(json.dumps({ALICE: "alice", BOB: "bob"}), encoding="utf-8")
    options = [
        "--policy", str(tmp_path / "policy.json"), "--tokens", str(tmp_path / "tokens.json"),
        "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl"), "--log-level", "debug",
        "--reload-interval", "0.1", "--approval-timeout", "30",
    ]
    with http_gateway(options, [str(everything), "stdio"], tmp_path / "gateway.log") as gateway:
        yield Served(gateway.process, gateway.url, tmp_path)


@asynccontextmanager
async def client_for(url: str, token: str, **kwargs: Any) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(60))
    async with http, Client(streamable_http_client(url, http_client=http), mode="legacy",
                            read_timeout_seconds=60, **kwargs) as client:
        yield client


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


def _session(served: Served, token: str = ALICE) -> str:
    answer = httpx2.post(served.url, headers={**HEADERS, "authorization": f"Bearer {token}"}, timeout=30, json={
        "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    return answer.headers["mcp-session-id"]


def _post(served: Served, session: str, body: bytes, token: str = ALICE) -> httpx2.Response:
    return httpx2.post(served.url, content=body, timeout=30, headers={
        **HEADERS, "authorization": f"Bearer {token}", "mcp-session-id": session})


def test_plain_json_answers_and_hostile_bodies(served: Served) -> None:
    session = _session(served)
    allowed = _post(served, session, b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo",'
                                     b'"arguments":{"message":"hi"}}}')
    assert allowed.status_code == 200 and allowed.headers["content-type"] == "application/json"
    assert allowed.json()["result"]["content"][0]["text"] == "Echo: hi"
    hostile = [
        b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","name":"gzip-file-as-resource"}}',
        b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"message":NaN}}}',
        b'[{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"message":"b"}}}]',
        b'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}},'
        b'"x":{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"gzip-file-as-resource"}}}',
        b'{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo","arguments":{"message":"n"}}}',
        b'\xef\xbb\xbf{"jsonrpc":"2.0","id":8,"method":"ping"}',
    ]
    for body in hostile:
        answer = _post(served, session, body)
        assert answer.status_code == 400, body
        errors = answer.json() if isinstance(answer.json(), list) else [answer.json()]
        assert all(error["error"]["code"] in (-32700, -32600) for error in errors), body
    ping = _post(served, session, b'{"jsonrpc":"2.0","id":"p","method":"ping"}')
    assert ping.json() == {"jsonrpc": "2.0", "id": "p", "result": {}}
    # Each refused call audited as refused (the BOM's ping is no call): named only when its
    # message was read without doubt (the batch's member, the extra member's, the one without
    # an id), never from the duplicate name or the NaN.
    assert [(line["tool"], line["decision"]) for line in served.audit()] == [
        ("echo", "allowed"), (None, "refused"), (None, "refused"), ("echo", "refused"), ("echo", "refused"),
        ("echo", "refused")]


def test_a_session_belongs_to_its_token(served: Served) -> None:
    session = _session(served, ALICE)
    body = b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
    assert _post(served, session, body, BOB).status_code == 404
    assert _post(served, session, body, ALICE).status_code == 200
    assert httpx2.post(served.url, content=body, headers={**HEADERS, "authorization": f"Bearer {ALICE}"},
                       timeout=30).status_code == 400  # no session id


async def test_sdk_client_allowed_denied_hidden_progress(served: Served) -> None:
    steps: list[tuple[float, float | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        steps.append((done, total))

    async with client_for(served.url, ALICE) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert "get-env" not in names and "echo" in names
        assert _text(await client.call_tool("echo", {"message": "über"})) == "Echo: über"
        denied = await client.call_tool("gzip-file-as-resource", {})
        assert denied.is_error and _text(denied) == "[POLICY DENIED] no files"
        hidden = await client.call_tool("get-env", {})
        missing = await client.call_tool("no-such-tool", {})
        assert hidden.is_error and _text(hidden) == _text(missing).replace("no-such-tool", "get-env")
        assert hidden.model_dump_json(exclude_none=True) == missing.model_dump_json(exclude_none=True).replace(
            "no-such-tool", "get-env")
        long = await client.call_tool("trigger-long-running-operation", {"duration": 0.6, "steps": 3},
                                      progress_callback=progress)
        assert not long.is_error
    assert steps == [(1, 3), (2, 3), (3, 3)]


async def test_approval_by_elicitation_over_http(served: Served) -> None:
    answers = iter([True, False])

    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"approve": next(answers)})

    async with client_for(served.url, ALICE, elicitation_callback=elicit) as client:
        assert _text(await client.call_tool("echo", {"message": "approve 1"})) == "Echo: approve 1"
        refused = await client.call_tool("echo", {"message": "approve 2"})
    assert refused.is_error and "a human rejected the call" in _text(refused)
    assert [line.get("approval_via") for line in served.audit()] == ["elicitation", "elicitation"]


async def test_list_changes_reach_the_session_stream(served: Served) -> None:
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    async with client_for(served.url, ALICE, message_handler=on_message) as client:
        assert "echo" in [tool.name for tool in (await client.list_tools()).tools]
        await anyio.sleep(0.5)  # the client opens its GET stream after initialize
        (served.tmp / "policy.json").write_text(json.dumps({**POLICY, "hide": ["get-env", "echo"]}), encoding="utf-8")
        with anyio.fail_after(20):
            await changed.wait()
        assert "echo" not in [tool.name for tool in (await client.list_tools()).tools]


def test_closing_a_post_cancels_its_call_and_fails_closed_when_the_server_is_gone(served: Served) -> None:
    session = _session(served)
    body = (b'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"trigger-long-running-operation",'
            b'"arguments":{"duration":20,"steps":2}}}')
    with pytest.raises(httpx2.TimeoutException):  # the client gives up and closes the connection
        _post_timeout(served, session, body, 1.0)
    for _ in range(200):
        calls = [line for line in served.audit() if line["tool"] == "trigger-long-running-operation"]
        if calls:
            break
        time.sleep(0.05)
    assert [line.get("upstream") for line in calls] == ["cancelled"]

    # The server dies: every request fails closed, and the gateway, of no use without it, exits
    # with 1 for a supervisor to restart it (see test_gateway_server_gone.py).
    import os

    children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _parent(int(p)) == served.process.pid]
    for child in children:
        os.killpg(child, signal.SIGKILL)
    for _ in range(100):
        try:
            answer = _post(served, session, b'{"jsonrpc":"2.0","id":10,"method":"tools/list"}').json()
        except httpx2.TransportError:
            break  # no longer listening
        if "error" in answer:
            assert "unavailable" in answer["error"]["message"]
            break
        time.sleep(0.1)
    assert served.process.wait(timeout=15) == 1


def _post_timeout(served: Served, session: str, body: bytes, seconds: float) -> httpx2.Response:
    return httpx2.post(served.url, content=body, timeout=seconds, headers={
        **HEADERS, "authorization": f"Bearer {ALICE}", "mcp-session-id": session})


def _parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat[stat.rfind(")") + 2:].split()[1])
