"""Tasks, which the gateway does not offer, used against it by a hostile client.

Each test starts a real `policytui gateway` over stdio in front of a real server-everything (a
TypeScript-SDK server with the `tasks` capability) and judges the attack by what the server
did: the URLs it fetched, as a local HTTP server counts them, and what it answered.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from test_gateway_redteam import FakeKestraAPI, everything_server, stdio_gateway

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]


async def _ask(gw: Any, request_id: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
    await gw.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
    answer = await gw.answer(request_id, 30)
    assert answer is not None, f"no answer to {method} {request_id}"
    return answer


async def test_a_call_asking_for_a_task_never_runs_past_the_rate_limit(tmp_path: Path, test_servers: Path) -> None:
    """server-everything runs an ordinary tool asked for as a task, then answers a JSON-RPC
    error ("Invalid task creation result"). Taken for "the tool did not run", that error used
    to refund the charge: ten fetches went through a limit of two, audited `upstream: error`.
    A call asking for a task is refused before it is decided; the limit binds."""
    policy = {"version": "1", "default": "allow", "tools": {"gzip-file-as-resource": {
        "limits": [{"counter": "fetches", "window": "hour", "max": 2}]}}}
    fetched = FakeKestraAPI()  # any local HTTP server that counts what it is asked for
    async with fetched as base, stdio_gateway(tmp_path, policy, everything_server(test_servers)) as gw:
        for i in range(6):
            answer = await _ask(gw, i, "tools/call", {
                "name": "gzip-file-as-resource", "task": {"ttl": 60000},
                "arguments": {"name": f"t{i}", "data": f"{base}/task/{i}"},
            })
            assert answer.get("error", {}).get("code") == -32602, answer
        for i in range(3):
            answer = await _ask(gw, 100 + i, "tools/call", {
                "name": "gzip-file-as-resource", "arguments": {"name": f"p{i}", "data": f"{base}/plain/{i}"},
            })
            denied = "rate limit" in json.dumps(answer)
            assert denied == (i == 2), answer
        await asyncio.sleep(0.5)
    assert len(fetched.served) == 2, fetched.served
    assert all("/plain/" in line for line in fetched.served), fetched.served
    # What the server received: no call carrying a task ever reached it.
    assert not [m for m in gw.received() if m.get("method") == "tools/call" and "task" in m.get("params", {})]
    forwarded = [r for r in outcome_lines(tmp_path / "audit.jsonl") if r["tool"] == "gzip-file-as-resource"
                 and r["decision"] == "allowed"]
    assert [r.get("upstream") for r in forwarded] == ["ok", "ok"]


async def test_tasks_methods_are_not_offered(tmp_path: Path, test_servers: Path) -> None:
    """Every client of an HTTP gateway shares its one server, whose tasks are no client's own:
    `tasks/list` and `tasks/result` used to show one grant's task results to every other. The
    gateway offers no tasks, so their methods are "Method not found" and never forwarded."""
    async with stdio_gateway(tmp_path, {"version": "1", "default": "allow"}, everything_server(test_servers)) as gw:
        for i, (method, params) in enumerate([("tasks/list", {}), ("tasks/get", {"taskId": "x"}),
                                             ("tasks/result", {"taskId": "x"}), ("tasks/cancel", {"taskId": "x"})]):
            answer = await _ask(gw, i, method, params)
            assert answer.get("error", {}).get("code") == -32601, (method, answer)
        assert not [m for m in gw.received() if str(m.get("method", "")).startswith("tasks/")]


async def test_an_argument_no_path_reading_can_be_made_of_is_denied_and_audited(
    tmp_path: Path, test_servers: Path
) -> None:
    """"~\\u0000..." made reading the argument as a path raise (a home folder named with a NUL)
    outside the conditions' fail-closed guard: the client got "internal error in the gateway"
    and the call had no audit line. A text holding a NUL is now refused at the wire (a server on
    C strings reads it cut short), before any condition reads it: the client is told, the call
    audited `refused`, and the gateway serves on."""
    policy = {"version": "1", "default": "allow", "tools": {"echo": {
        "deny_if": [{"path": "args.message", "op": "regex", "value": "secret"}]}}}
    async with stdio_gateway(tmp_path, policy, everything_server(test_servers)) as gw:
        answer = await _ask(gw, 1, "tools/call", {"name": "echo", "arguments": {"message": "~\u0000/secret"}})
        assert answer.get("error", {}).get("code") == -32600 and "NUL" in answer["error"]["message"], answer
        answer = await _ask(gw, 2, "tools/call", {"name": "echo", "arguments": {"message": "hello"}})
        assert "Echo: hello" in json.dumps(answer), answer
    records = [(r["tool"], r["decision"], r["rule"]) for r in outcome_lines(tmp_path / "audit.jsonl")
               if r["decision"] != "probe"]
    assert records == [(None, "refused", "wire"), ("echo", "allowed", "tools.echo")]
