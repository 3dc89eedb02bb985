"""A held call its client gives up on is withdrawn from the approvals queue.

`python -m policytui gateway` in front of the recording flows server (behind `tee_stdin.py`),
over stdio and over HTTP, holds `delete_flow` for a human in the approvals queue. A client that
sends `notifications/cancelled` for the held request, or goes away, withdraws it: it leaves
`policytui approvals` at once, an `approve` given afterwards is told it was withdrawn (exit 1),
nothing reaches the server, and the audit line says `approval: cancelled`. A cancellation that
names an id the client never sent, or another client's id, touches no other held call.

Judged from the server's side (what it read and what it ran), the approvals command and the
audit log.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from test_gateway_redteam import Gateway, call, flows_server, http_gateway, stdio_gateway

pytestmark = pytest.mark.servers

POLICY = {"version": "1", "default": "allow", "tools": {"delete_flow": {"action": "require_approval"}}}
WITHDRAWN = "was withdrawn by its client"


def approvals(tmp: Path, *args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    """`policytui approvals ARGS` on the gateway's state folder, as a person runs it (as `user`,
    the name an answer is recorded under, when given)."""
    env = {**os.environ, "LOGNAME": user, "USER": user} if user else None
    return subprocess.run([sys.executable, "-m", "policytui", "approvals", *args, "--state-dir", str(tmp / "state")],
                          capture_output=True, text=True, timeout=60, check=False, env=env)


async def waiting(tmp: Path) -> dict[str, str]:
    """The held calls `policytui approvals --json` lists: flow id -> approval id."""
    listed = await asyncio.to_thread(approvals, tmp, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return {entry["arguments"]["flow_id"]: entry["id"] for entry in json.loads(listed.stdout or "[]")}


async def until_waiting(tmp: Path, flows: set[str], seconds: float = 20) -> dict[str, str]:
    """Wait until exactly the calls for `flows` are listed; their approval ids."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        listed = await waiting(tmp)
        if set(listed) == flows:
            return listed
        assert loop.time() < deadline, f"listed {sorted(listed)}, expected {sorted(flows)}"
        await asyncio.sleep(0.1)


async def answer(tmp: Path, verb: str, approval_id: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(lambda: approvals(tmp, verb, approval_id, user=user))


def cancelled(request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id}}


def delete(request_id: Any, flow: str) -> dict[str, Any]:
    return call(request_id, "delete_flow", {"namespace": "prod", "flow_id": flow})


def audited(gw: Gateway) -> list[tuple[str, str | None, str | None]]:
    return [(a["decision"], a.get("approval"), a.get("upstream")) for a in gw.audited_calls()]


async def test_a_cancelled_or_abandoned_held_call_is_withdrawn_over_stdio(tmp_path: Path) -> None:
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        await gw.send(delete(6, "b"))
        held = await until_waiting(tmp_path, {"a", "b"})
        # Ids this client never sent (99, and "5" as text: its request 5 is a number) touch nothing.
        await gw.send(cancelled(99))
        await gw.send(cancelled("5"))
        await asyncio.sleep(0.5)
        assert set(await waiting(tmp_path)) == {"a", "b"}

        await gw.send(cancelled(5))
        await until_waiting(tmp_path, {"b"})
        late = await answer(tmp_path, "approve", held["a"])
        assert late.returncode == 1 and WITHDRAWN in late.stderr, late
        shown = await asyncio.to_thread(approvals, tmp_path, "show", held["a"])
        assert "withdrawn by its client" in shown.stdout
        assert (await answer(tmp_path, "approve", held["b"])).returncode == 0
        done = await gw.answer(6)
        assert done is not None and "deleted prod.b" in json.dumps(done)
        assert await gw.answer(5, timeout=0.5) is None  # a cancelled request is not answered

        await gw.send(delete(7, "c"))
        left = await until_waiting(tmp_path, {"c"})
    # The client closed its end while "c" waited.
    assert await waiting(tmp_path) == {}
    late = await answer(tmp_path, "approve", left["c"])
    assert late.returncode == 1 and WITHDRAWN in late.stderr, late
    assert gw.received_calls() == ["delete_flow"]
    assert gw.executed() == [{"tool": "delete_flow", "arguments": {"namespace": "prod", "flow_id": "b"}}]
    assert audited(gw) == [("denied", "cancelled", None), ("allowed", "approved", "ok"), ("denied", "cancelled", None)]


HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def _session(http: httpx2.AsyncClient, url: str) -> dict[str, str]:
    """Open an MCP session: the headers of its later requests."""
    opened = await http.post(url, headers=HEADERS, json={
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    assert opened.status_code == 200, opened.text
    headers = {**HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-06-18"}
    assert (await http.post(url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
            ).status_code == 202
    return headers


async def test_a_cancelled_or_abandoned_held_call_is_withdrawn_over_http(tmp_path: Path) -> None:
    async with http_gateway(tmp_path, POLICY, None) as (url, _), httpx2.AsyncClient(timeout=60) as http:
        alice, bob = await _session(http, url), await _session(http, url)
        # Both sessions hold a call under the same id, 7.
        held_alice = asyncio.create_task(http.post(url, headers=alice, json=delete(7, "a")))
        held_bob = asyncio.create_task(http.post(url, headers=bob, json=delete(7, "b")))
        held = await until_waiting(tmp_path, {"a", "b"})
        assert (await http.post(url, headers=bob, json=cancelled(99))).status_code == 202
        await asyncio.sleep(0.5)
        assert set(await waiting(tmp_path)) == {"a", "b"}

        # Alice cancels her 7: Bob's 7 waits on.
        assert (await http.post(url, headers=alice, json=cancelled(7))).status_code == 202
        await until_waiting(tmp_path, {"b"})
        assert (await held_alice).status_code == 202  # no answer to a cancelled request
        late = await answer(tmp_path, "approve", held["a"])
        assert late.returncode == 1 and WITHDRAWN in late.stderr, late
        assert (await answer(tmp_path, "approve", held["b"])).returncode == 0
        assert "deleted prod.b" in (await held_bob).text

        # Alice's client goes away while her next call waits.
        held_again = asyncio.create_task(http.post(url, headers=alice, json=delete(8, "c")))
        left = await until_waiting(tmp_path, {"c"})
        held_again.cancel()
        await until_waiting(tmp_path, set())
        late = await answer(tmp_path, "approve", left["c"])
        assert late.returncode == 1 and WITHDRAWN in late.stderr, late

    gw = Gateway.__new__(Gateway)
    gw.tmp = tmp_path
    assert gw.received_calls() == ["delete_flow"]
    assert gw.executed() == [{"tool": "delete_flow", "arguments": {"namespace": "prod", "flow_id": "b"}}]
    assert audited(gw) == [("denied", "cancelled", None), ("allowed", "approved", "ok"), ("denied", "cancelled", None)]
