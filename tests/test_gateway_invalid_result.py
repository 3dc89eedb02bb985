"""A call the server answers with a JSON-RPC result that is not a tool's result keeps its
charge, on every way a call reaches a server started as a command.

The server is test_gateway_wire.py's scripted one, whose `bad` tool answers `"result": 5` (or
another shape, `arguments.shape`): the server answered, so the tool ran. Such a call is audited
`invalid` and charged, and its client gets -32603 "the upstream MCP server sent an invalid
result"; with a limit of 1 a day, the second call is denied and never sent (the server's own log
of every line it read says so). Before, it was audited `error` and refunded like a JSON-RPC
error, so a client that could steer a tool into such an answer ran it past every limit. Here
are the shapes such an answer takes (a stdio client's call served inline), a held call (approved
by the client's form, served in a task of its own) and an HTTP client (`--listen`).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from audit_support import outcome_lines
from gateway_support import http_gateway
from test_gateway_wire import SERVER, _calls, wire

pytestmark = pytest.mark.usefixtures("one_window")

INVALID = {"code": -32603, "message": "the upstream MCP server sent an invalid result"}
DENIED = "[POLICY DENIED] rate limit 1 per day reached"
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _policy(**rule: Any) -> dict[str, Any]:
    return {"version": "1", "default": "allow",
            "tools": {"bad": {"limits": [{"counter": "bad", "window": "day", "max": 1}], **rule}}}


def _bad_calls_received(upstream_log: Path) -> int:
    lines = [json.loads(line) for line in upstream_log.read_bytes().splitlines()]
    return sum(1 for m in lines if m.get("method") == "tools/call" and m["params"]["name"] == "bad")


def _call(request_id: int, shape: str = "number") -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
            "params": {"name": "bad", "arguments": {"shape": shape}}}


@pytest.mark.parametrize("shape", ["number", "null", "neither", "both", "both+null"])
async def test_each_answer_that_is_not_a_tools_result_keeps_its_charge(tmp_path: Path, shape: str) -> None:
    """`"result": 5`, `"result": null`, neither a result nor an error, a result beside an error
    (`"result": null` beside one too, as over Streamable HTTP and legacy SSE): the server
    answered, so the tool ran. Before, each was audited `error` and refunded (the `both` one
    also passed the server's line on as it was, a result and an error in one)."""
    async with wire(tmp_path, policy=_policy()) as client:
        await client.send(json.dumps(_call(1, shape)))
        assert json.loads(await client.receive()) == {"jsonrpc": "2.0", "id": 1, "error": INVALID}
        await client.send(json.dumps(_call(2, shape)))
        assert json.loads(await client.receive())["result"]["content"][0]["text"].startswith(DENIED)
        assert _bad_calls_received(client.upstream_log) == 1
    assert [(line["decision"], line.get("upstream")) for line in _calls(client.audit)] == [
        ("allowed", "invalid"), ("denied", None)]


async def test_a_held_call_answered_with_an_invalid_result_keeps_its_charge(tmp_path: Path) -> None:
    policy = _policy(action="require_approval")
    async with wire(tmp_path, policy=policy, capabilities={"elicitation": {}}) as client:
        answers: dict[int, dict[str, Any]] = {}
        for request_id in (1, 2):
            # Each call is held and approved; its limit is charged once it is approved.
            await client.send(json.dumps(_call(request_id)))
            while request_id not in answers:
                message = json.loads(await client.receive())
                if message.get("method") == "elicitation/create":
                    await client.send(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {
                        "action": "accept", "content": {"approve": True}}}))
                else:
                    answers[message["id"]] = message
        assert answers[1] == {"jsonrpc": "2.0", "id": 1, "error": INVALID}
        assert answers[2]["result"]["content"][0]["text"].startswith(DENIED), answers[2]
        assert _bad_calls_received(client.upstream_log) == 1
    assert [(line["decision"], line.get("approval_via"), line.get("upstream")) for line in _calls(client.audit)] == [
        ("allowed", "elicitation", "invalid"), ("denied", "elicitation", None)]


async def test_a_hidden_tool_is_answered_as_a_server_that_answers_unknown_tools_invalidly(tmp_path: Path) -> None:
    """The gateway's start-up probe (a tool no server has) is answered `"result": 5`: its line
    says `invalid`, and a hidden tool gets the same "invalid result" error a tool the server
    does not have gets, so the two cannot be told apart."""
    policy = {"version": "1", "default": "allow", "hide": ["secret"]}
    async with wire(tmp_path, policy=policy, server_args=("invalid",)) as client:
        for request_id, name in ((1, "secret"), (2, "no-such-tool")):
            await client.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                                          "params": {"name": name, "arguments": {}}}))
            assert json.loads(await client.receive()) == {"jsonrpc": "2.0", "id": request_id, "error": INVALID}
    probes = [line for line in outcome_lines(client.audit) if line["decision"] == "probe"]
    assert [line["upstream"] for line in probes] == ["invalid"]


def test_an_http_clients_call_answered_with_an_invalid_result_keeps_its_charge(tmp_path: Path) -> None:
    (tmp_path / "server.py").write_text(SERVER, encoding="utf-8")
    (tmp_path / "policy.json").write_text(json.dumps(_policy()), encoding="utf-8")
    upstream_log, audit = tmp_path / "upstream.log", tmp_path / "audit.jsonl"
    options = ["--policy", str(tmp_path / "policy.json"), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    with http_gateway(options, [sys.executable, str(tmp_path / "server.py"), str(upstream_log)],
                      tmp_path / "gateway.log") as listening, httpx2.Client(timeout=60) as http:
        opened = http.post(listening.url, headers=HEADERS, json={
            "jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        headers = {**HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-06-18"}
        http.post(listening.url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert http.post(listening.url, headers=headers, json=_call(1)).json() == {
            "jsonrpc": "2.0", "id": 1, "error": INVALID}
        again = http.post(listening.url, headers=headers, json=_call(2)).json()
        assert again["result"]["content"][0]["text"].startswith(DENIED), again
        assert _bad_calls_received(upstream_log) == 1
    assert [(line["decision"], line.get("upstream")) for line in _calls(audit)] == [
        ("allowed", "invalid"), ("denied", None)]
