"""A failure of the gateway's own after a call was written to the server keeps the call's charge.

The call may have run on the server, so it is audited `lost` and keeps its charge, and its
client is told "internal error in the gateway": never refunded, never left unanswered. Two
ways in, each through a real gateway process, its pipes, a server that logs every line it reads,
the audit log and the state file:

- a real answer the gateway fails on: a JSON-RPC error whose message is nested just deep enough
  to be read and then to exhaust Python's recursion limit when the gateway handles it;
- a fault injected where the server's answer is handed to the call (an answer that carries a
  marker reaches the call as an error of the gateway's instead): no answer a server can send
  reaches the call that way, so this one is injected. Under a limit of 1 the next call is
  denied and never reaches the server.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from test_gateway_inline_attacks import Client, counters, gateway, limited, reencoded

pytestmark = pytest.mark.usefixtures("one_window")

MARKER = "gateway-fault"

# Runs `policytui gateway` with one fault: the server's answer that carries MARKER reaches the
# waiting call as a RuntimeError, as an error of the gateway's own while handling it would.
FAULTY_GATEWAY = r'''
import sys
from policytui.gateway import upstream_stdio

plain = upstream_stdio._Waiter.set_result

def set_result(self, value):
    if b"MARKER" in value[1]:
        self.set_exception(RuntimeError("the gateway failed handling the answer"))
    else:
        plain(self, value)

upstream_stdio._Waiter.set_result = set_result
from policytui.cli import entry
sys.argv[0] = "policytui"
entry()
'''.replace("MARKER", MARKER)


# A server whose tool `deep` answers with a JSON-RPC error whose message is `n` arrays deep.
DEEP_SERVER = r'''
import json, sys
log = open(sys.argv[1], "ab", buffering=0)
for raw in sys.stdin.buffer:
    log.write(raw)
    msg = json.loads(raw)
    mid, method, params = msg.get("id"), msg.get("method"), msg.get("params") or {}
    if mid is None:
        continue
    if method == "initialize":
        result = {"protocolVersion": params["protocolVersion"], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "scripted", "version": "1"}}
        print(json.dumps({"jsonrpc": "2.0", "id": mid, "result": result}), flush=True)
    elif method == "tools/list":
        tools = [{"name": "deep", "inputSchema": {"type": "object"}}]
        print(json.dumps({"jsonrpc": "2.0", "id": mid, "result": {"tools": tools}}), flush=True)
    elif method == "tools/call" and params.get("name") == "deep":
        n = int(params["arguments"]["n"])
        sys.stdout.write('{"jsonrpc": "2.0", "id": %s, "error": {"code": -32602, "message": %s}}\n'
                         % (json.dumps(mid), "[" * n + "]" * n))
        sys.stdout.flush()
    else:
        print(json.dumps({"jsonrpc": "2.0", "id": mid, "error": {"code": -32602, "message": "Unknown tool"}}), flush=True)
'''


def faulty_gateway(tmp: Path) -> Any:
    """A gateway whose handling of one marked answer fails (FAULTY_GATEWAY), under a limit of 1."""
    return gateway(tmp, policy=limited(1, "echo"), python=("-c", FAULTY_GATEWAY))


async def test_a_call_whose_answer_the_gateway_failed_to_handle_keeps_its_charge(tmp_path: Path) -> None:
    async with faulty_gateway(tmp_path) as client:
        await client.send(reencoded(1, "echo", note=MARKER))
        failed = (await client.answers([1]))[("int", 1)]
        await client.send(reencoded(2, "echo", note="once more"))
        second = (await client.answers([2]))[("int", 2)]
        await client.settle()
        received = [call["params"]["arguments"] for call in client.received_calls()]
        outcomes = [(line["decision"], line.get("upstream")) for line in client.calls()]
    assert failed["error"] == {"code": -32603, "message": "internal error in the gateway"}, failed
    # The first call reached the server (its tool may have run): it is `lost`, its charge kept...
    assert received == [{"note": MARKER}], received
    assert outcomes == [("allowed", "lost"), ("denied", None)], outcomes
    # ...so the limit of 1 denies the second, which never reaches the server.
    assert "rate limit 1 per day reached" in second["result"]["content"][0]["text"], second
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert "handling the answer to tools/call failed: RuntimeError: the gateway failed handling the answer" in log


async def answered_by_id(client: Client, ids: range) -> dict[int, bytes]:
    """The answers to `ids` (integers), as raw lines: one nested this deep is more than this
    process's own JSON reader takes."""
    assert client.process.stdout is not None
    found: dict[int, bytes] = {}
    while len(found) < len(ids):
        try:
            raw = await asyncio.wait_for(client.process.stdout.readline(), 30)
        except TimeoutError:
            raise AssertionError(f"never answered: {sorted(set(ids) - set(found))}") from None
        assert raw, "the gateway closed its output"
        request_id = re.search(rb'"id": ?([0-9]+)', raw)
        assert request_id is not None and b'"method"' not in raw[:40], raw[:200]
        assert int(request_id.group(1)) not in found, f"a second answer: {raw[:200]!r}"
        found[int(request_id.group(1))] = raw
    return found


async def test_an_answer_the_gateway_fails_to_read_is_answered_and_keeps_its_charge(tmp_path: Path) -> None:
    """Errors nested 900 to 999 deep: shallower ones are the server's refusals (refunded), the
    deepest are too deep to parse (read by their outer object alone, each fails its call at
    once as `invalid`, charged; they used to be skipped like a log line, the call timing out),
    and in between one the gateway reads and then fails to handle. That call was left
    unanswered, with no outcome in the audit log; now it is `lost`, charged, and answered."""
    depths = range(900, 1000)
    policy = {"version": "1", "default": "allow", "tools": {"deep": {"limits": [{"counter": "c", "window": "day", "max": 1000}]}}}
    async with gateway(tmp_path, "--call-timeout", "3", policy=policy, server=DEEP_SERVER) as client:
        for n in depths:
            await client.send(reencoded(n, "deep", n=n))
        told = await answered_by_id(client, depths)
        await client.settle()
        received = [call["params"]["arguments"]["n"] for call in client.received_calls()]
        upstream = [line.get("upstream") for line in client.calls()]
        charged = counters(tmp_path / "state").get("c", 0)
    assert received == list(depths)
    assert len(upstream) == len(depths) and set(upstream) <= {"error", "lost", "invalid"}, upstream
    assert sorted(told) == list(depths), sorted(told)
    failed = [n for n in depths if re.search(rb'"message": ?"internal error in the gateway"', told[n])]
    # The gateway failed on at least one answer it had read (else this test proves nothing)...
    assert failed, told
    # ...and each such call is `lost`, charged like every call whose tool may have run.
    assert upstream.count("lost") == len(failed), upstream
    assert charged == upstream.count("lost") + upstream.count("invalid"), (charged, upstream)
    log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert "handling the answer to tools/call failed: RecursionError" in log
