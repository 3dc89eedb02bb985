"""A call cancelled, or left by its client, before the gateway has begun on it has its audit line.

A real `python -m policytui gateway` over stdio in front of the recording flows server (behind
`tee_stdin.py`: what the server read, byte for byte). A call that cannot be settled the moment
its line is read (one held for a human, or a limited one while another program holds the state
file's lock) is served in a task of its own; the client's `notifications/cancelled` for it, or
the end of its input, can come in the same read as the request, before that task has taken a
step. Each such call was made and must be in the audit log once, as not sent.

Judged from the server's side (what it read and ran), the approvals command and the audit log.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from gateway_support import MOST_IN_PROGRESS_OPTIONS, close_stdin_and_wait
from test_gateway_approvals_withdrawn import cancelled, delete, waiting
from test_gateway_redteam import call, flows_server, stdio_gateway
from test_state_locked_file import locked

from policytui.gateway.enforcer import CANCELLED_BEFORE_START, CANCELLED_IN_CHARGE

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

POLICY: dict[str, Any] = {
    "version": "1",
    "default": "allow",
    "tools": {
        "delete_flow": {"action": "require_approval"},
        "list_flows": {"limits": [{"counter": "flows", "window": "day", "max": 100000, "scope": "global"}]},
    },
}


def _lines(*messages: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(m).encode() + b"\n" for m in messages)


def _ping(request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "ping"}


async def test_a_held_call_cancelled_in_the_same_read_as_its_request_is_audited_and_never_held(
        tmp_path: Path) -> None:
    """Before, each call's task took a step before it was cancelled: the call was put in the
    approvals queue, a question to a human ('waits for approval' in the log), and withdrawn."""
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.write(_lines(*(m for i in range(20) for m in (delete(i, f"f{i}"), cancelled(i))), _ping("p")))
        assert await gw.answer("p") is not None
        # None was ever held: a human was never asked.
        await asyncio.sleep(0.5)
        assert await waiting(tmp_path) == {}
        assert "waits for approval" not in (tmp_path / "gateway.log").read_text(encoding="utf-8")
        assert not [m for m in gw.messages() if "id" in m and m["id"] != "p" and m["id"] != "init"]  # none answered
    assert gw.received_calls() == []
    audit = [a for a in gw.audited_calls() if a["tool"] == "delete_flow"]
    assert len(audit) == 20, audit
    assert {(a["decision"], a.get("approval"), a.get("upstream"), a["rule"], a["reason"]) for a in audit} == {
        ("denied", None, None, "tools.delete_flow.action", CANCELLED_BEFORE_START)}
    assert len({a["args_sha256"] for a in audit}) == 20  # one line for each call, none twice


async def test_limited_calls_cancelled_or_left_in_the_same_read_while_the_state_file_is_locked_are_audited(
        tmp_path: Path) -> None:
    """Before, of 100 calls made with their cancellations, none had an audit line. The client
    then leaves right after 100 more: each of those has its line too."""
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), *MOST_IN_PROGRESS_OPTIONS) as gw:
        await gw.send(call("warm", "list_flows", {"namespace": "warm"}))
        assert await gw.answer("warm") is not None  # the state file exists and is set up
        with locked(tmp_path / "state" / "state.sqlite"):
            await gw.write(_lines(*(m for i in range(100) for m in (
                call(i, "list_flows", {"namespace": f"c{i}"}), cancelled(i))), _ping("p")))
            assert await gw.answer("p") is not None
            # The client leaves with its last calls in the same read as the end of its input.
            assert gw.process.stdin is not None
            gw.process.stdin.write(_lines(*(call(f"e{i}", "list_flows", {"namespace": f"e{i}"})
                                            for i in range(100))))
            # Its input first, so that its last calls are read, then its output.
            gw.process.stdin.close()
            await asyncio.sleep(0.5)
            await close_stdin_and_wait(gw.process, 20)
            assert gw.process.returncode == 0
    assert gw.received_calls() == ["list_flows"]  # the first one alone
    audit = [a for a in gw.audited_calls() if a["tool"] == "list_flows"]
    assert len(audit) == 201, len(audit)
    assert len({a["args_sha256"] for a in audit}) == 201  # one line for each call, none twice
    assert [a.get("upstream") for a in audit].count("ok") == 1
    cancelled_first = [a["reason"] for a in audit[1:101]]
    assert cancelled_first == [CANCELLED_BEFORE_START] * 100
    # Of the calls the client left, those read with the end of its input never began; the
    # others gave up their wait for the file.
    assert {a["reason"] for a in audit[101:]} <= {CANCELLED_BEFORE_START, CANCELLED_IN_CHARGE}


async def test_a_call_carrying_a_request_state_no_parked_call_has_is_audited_when_cancelled_before_it_began(
        tmp_path: Path) -> None:
    """`requestState` resumes a 2026-07-28 call parked for the client's answers, which has its
    own audit line. A call that carries one and resumes nothing (a handshake-era call, or a
    state the gateway never issued) is a call like any other; cancelled in the same read as its
    request, it had no audit line at all."""
    modern_meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                   "io.modelcontextprotocol/clientCapabilities": {}}
    calls = []
    for i in range(6):
        message = delete(i, f"f{i}")
        message["params"]["requestState"] = f"made-up-{i}"
        if i % 2:
            message["params"]["_meta"] = modern_meta
        calls.append(message)
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.write(_lines(*(m for i, c in enumerate(calls) for m in (c, cancelled(i))), _ping("p")))
        assert await gw.answer("p") is not None
        await asyncio.sleep(0.5)
        assert await waiting(tmp_path) == {}
    assert gw.received_calls() == []
    audit = [a for a in gw.audited_calls() if a["tool"] == "delete_flow"]
    assert len(audit) == 6, audit
    assert {(a["decision"], a.get("upstream"), a["reason"]) for a in audit} == {
        ("denied", None, CANCELLED_BEFORE_START)}
