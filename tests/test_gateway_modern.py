"""Clients of MCP 2026-07-28 (no handshake, `_meta` on every request) through the gateway, in
front of a handshake-era server (server-everything over stdio), with the mcp SDK as client.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from audit_support import outcome_lines
from gateway_support import http_gateway
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

POLICY = {
    "version": "1",
    "default": "allow",
    "hide": ["get-env"],
    "tools": {
        "gzip-file-as-resource": {"action": "deny", "reason": "no files"},
        "get-sum": {"limits": [{"counter": "sums", "window": "day", "max": 2}]},
        "echo": {"require_approval_if": [{"path": "args.message", "op": "regex", "value": "^approve"}]},
    },
}


def _text(result: Any) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


def _wire(result: Any) -> dict[str, Any]:
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)


def _audit(tmp: Path) -> list[dict[str, Any]]:
    lines = outcome_lines(tmp / "audit.jsonl")
    return [line for line in lines if line["decision"] != "probe"]


@asynccontextmanager
async def modern_client(tmp: Path, everything: Path, mode: str = "2026-07-28", **kwargs: Any) -> AsyncIterator[Client]:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    params = StdioServerParameters(command=sys.executable, args=[
        "-m", "policytui", "gateway", "--policy", str(tmp / "policy.json"), "--state-dir", str(tmp / "state"),
        "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"), "--approval-timeout", "20",
        "--", str(everything), "stdio"])
    with open(os.devnull, "w") as errlog:  # noqa: ASYNC230 - opened once, never blocks
        async with Client(stdio_client(params, errlog=errlog), mode=mode, read_timeout_seconds=60, **kwargs) as client:
            yield client


@pytest.mark.parametrize("mode", ["2026-07-28", "auto"])
async def test_modern_client_allowed_denied_hidden_limited(tmp_path: Path, everything: Path, mode: str) -> None:
    async with modern_client(tmp_path, everything, mode) as client:
        # "auto" probes with server/discover, which the gateway answers (docs/gateway.md)
        assert client.protocol_version == "2026-07-28"
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert "get-env" not in names and "echo" in names
        assert _text(await client.call_tool("echo", {"message": "modern"})) == "Echo: modern"
        denied = await client.call_tool("gzip-file-as-resource", {})
        assert denied.is_error and _text(denied) == "[POLICY DENIED] no files"
        hidden = await client.call_tool("get-env", {})
        missing = await client.call_tool("no-such-tool", {})
        assert hidden.is_error and _text(hidden) == _text(missing).replace("no-such-tool", "get-env")
        assert _wire(hidden) == json.loads(json.dumps(_wire(missing)).replace("no-such-tool", "get-env"))
        sums = [await client.call_tool("get-sum", {"a": 1, "b": 2}) for _ in range(3)]
        assert [r.is_error for r in sums] == [False, False, True]
        assert "rate limit" in _text(sums[2])
    decisions = [(line["tool"], line["decision"]) for line in _audit(tmp_path)]
    assert ("get-env", "hidden") in decisions and decisions.count(("get-sum", "allowed")) == 2


async def test_approval_by_input_required_round_trip(tmp_path: Path, everything: Path) -> None:
    answers = iter([True, False])
    asked: list[str] = []

    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": next(answers)})

    async with modern_client(tmp_path, everything, elicitation_callback=elicit) as client:
        assert _text(await client.call_tool("echo", {"message": "approve me"})) == "Echo: approve me"
        refused = await client.call_tool("echo", {"message": "approve this too"})
    assert refused.is_error and "a human rejected the call" in _text(refused)
    assert len(asked) == 2 and "approve me" in asked[0]
    approvals = [(line.get("approval"), line.get("approval_via")) for line in _audit(tmp_path)]
    assert approvals == [("approved", "input_required"), ("rejected", "input_required")]


@pytest.fixture
def listening(tmp_path: Path, everything: Path) -> Any:
    (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--state-dir", str(tmp_path / "state"),
               "--audit", str(tmp_path / "audit.jsonl"), "--approval-timeout", "20"]
    with http_gateway(options, [str(everything), "stdio"], tmp_path / "gateway.log") as gateway:
        yield gateway.url


async def test_modern_client_over_http(listening: str, tmp_path: Path) -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    answers = iter([True])

    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"approve": next(answers)})

    http = httpx2.AsyncClient(timeout=httpx2.Timeout(60))
    async with http, Client(streamable_http_client(listening, http_client=http), mode="2026-07-28",
                            read_timeout_seconds=60, elicitation_callback=elicit) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert "get-env" not in names and "echo" in names
        assert _text(await client.call_tool("echo", {"message": "modern"})) == "Echo: modern"
        assert _text(await client.call_tool("gzip-file-as-resource", {})) == "[POLICY DENIED] no files"
        hidden = await client.call_tool("get-env", {})
        assert hidden.is_error and "policy" not in _text(hidden).lower()
        # Indistinguishable from a tool the server does not have, to the last byte the client reads.
        missing = await client.call_tool("no-such-tool", {})
        assert _wire(hidden) == json.loads(json.dumps(_wire(missing)).replace("no-such-tool", "get-env"))
        sums = [await client.call_tool("get-sum", {"a": 1, "b": 2}) for _ in range(3)]
        assert [r.is_error for r in sums] == [False, False, True]
        assert _text(sums[2]).startswith("[POLICY DENIED] rate limit 2 per day reached; retry in ")
        assert _text(await client.call_tool("echo", {"message": "approve it"})) == "Echo: approve it"
    assert [line.get("approval_via") for line in _audit(tmp_path) if "approval" in line] == ["input_required"]
    decisions = [(line["tool"], line["decision"]) for line in _audit(tmp_path)]
    assert ("get-env", "hidden") in decisions and decisions.count(("get-sum", "allowed")) == 2
    assert ("get-sum", "denied") in decisions


def _modern_call(name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
        "name": name, "arguments": args, "_meta": {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {}}}}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"mcp-method": "tools/call", "mcp-name": "echo"}, 200, None),
        ({"mcp-method": "tools/call", "mcp-name": "=?base64?ZWNobw==?="}, 200, None),
        ({"mcp-method": "tools/call", "mcp-name": "gzip-file-as-resource"}, 400, -32020),
        ({"mcp-method": "tools/list", "mcp-name": "echo"}, 400, -32020),
        ({"mcp-name": "echo"}, 400, -32020),
        ({"mcp-method": "tools/call"}, 400, -32020),
    ],
)
def test_modern_headers_must_match_the_body(listening: str, tmp_path: Path, headers: dict[str, str], status: int,
                                            code: int | None) -> None:
    import httpx2

    answer = httpx2.post(listening, json=_modern_call("echo", {"message": "hi"}), timeout=30, headers={
        "content-type": "application/json", "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28", **headers})
    assert answer.status_code == status, answer.text
    body = answer.json()
    if code is None:
        assert body["result"]["resultType"] == "complete" and body["result"]["content"][0]["text"] == "Echo: hi"
    else:
        assert body["error"]["code"] == code
        # Refused before anything was decided: one `refused` line, never a `sent` one.
        echo = [line for line in _audit(tmp_path) if line["tool"] == "echo"]
        assert [(line["decision"], line["rule"], line["code"]) for line in echo] == [("refused", "wire", code)], echo


@pytest.fixture
def everything_over_http(everything: Path) -> Any:
    """server-everything serving streamable HTTP on a free port; yields its URL."""
    import signal
    import socket
    import subprocess
    import time

    import httpx2

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([str(everything), "streamableHttp"], env={**os.environ, "PORT": str(port)},
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx2.get(url, timeout=2)
                break
            except httpx2.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


@pytest.mark.parametrize("upstream", ["http", "python-sdk"])
async def test_modern_client_in_front_of_other_upstreams(tmp_path: Path, request: pytest.FixtureRequest,
                                                         upstream: str) -> None:
    """The other kinds of server: one reached over HTTP (through the SDK's client), and one on
    the mcp Python SDK started as a command."""
    if upstream == "http":
        target = [str(request.getfixturevalue("everything_over_http"))]
        allowed, args, expected = "echo", {"message": "m"}, "Echo: m"
    else:
        root = Path(__file__).resolve().parent
        target = ["--", sys.executable, str(root / "servers" / "recording" / "flows_server.py"),
                  str(tmp_path / "executed.jsonl")]
        allowed, args, expected = "list_flows", {"namespace": "m"}, "flows of 'm': hello, nightly"
    policy = {"version": "1", "default": "allow", "hide": ["get-env", "read_secret"],
              "tools": {"gzip-file-as-resource": {"action": "deny"}, "delete_flow": {"action": "deny"}}}
    (tmp_path / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    params = StdioServerParameters(command=sys.executable, args=[
        "-m", "policytui", "gateway", "--policy", str(tmp_path / "policy.json"), "--state-dir", str(tmp_path / "state"),
        "--audit", str(tmp_path / "audit.jsonl"), "--log", str(tmp_path / "gateway.log"), "--timeout", "60", *target])
    with open(os.devnull, "w") as errlog:  # noqa: ASYNC230 - opened once, never blocks
        async with Client(stdio_client(params, errlog=errlog), mode="2026-07-28", read_timeout_seconds=60) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            assert allowed in names and "get-env" not in names and "read_secret" not in names
            assert _text(await client.call_tool(allowed, args)) == expected
            denied = "gzip-file-as-resource" if upstream == "http" else "delete_flow"
            assert (await client.call_tool(denied, {})).is_error
    if upstream == "python-sdk":
        ran = [json.loads(line)["tool"] for line in (tmp_path / "executed.jsonl").read_text().splitlines()]
        assert ran == ["list_flows"]


async def test_a_modern_client_without_elicitation_waits_in_the_approvals_queue(tmp_path: Path, everything: Path) -> None:
    import anyio

    from policytui.gateway import ApprovalQueue
    from policytui.gateway.store import open_store

    async with modern_client(tmp_path, everything) as client:
        async with anyio.create_task_group() as tg:
            results: list[Any] = []

            async def call() -> None:
                results.append(await client.call_tool("echo", {"message": "approve from the queue"}))

            tg.start_soon(call)
            store = open_store(None, tmp_path / "state")
            try:
                queue = ApprovalQueue(store)
                for _ in range(400):
                    pending = queue.pending()
                    if pending:
                        break
                    await anyio.sleep(0.05)
                assert pending and pending[0].tool == "echo"
                queue.answer(pending[0].id, True)
            finally:
                store.close()
    assert _text(results[0]) == "Echo: approve from the queue"
    assert [line.get("approval_via") for line in _audit(tmp_path) if "approval" in line] == ["queue"]
