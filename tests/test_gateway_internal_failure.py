"""A failure of the gateway's own after a call was written to the server keeps the call's charge.

No answer a server can send makes the inline `tools/call` path (`policytui.gateway.inline_call`)
fail on its own, so the fault is injected into a real gateway process, at the one place where
the server's answer is handed to the call: an answer that carries the marker reaches the call
as an error of the gateway's instead. Everything else is real: the gateway's pipes, a server
that logs every line it reads, the audit log and the state file. The call may have run on the
server, so it is audited `lost` and keeps its charge: under a limit of 1 the next call is
denied and never reaches the server.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from gateway_support import close_stdin_and_wait
from test_gateway_inline_attacks import SERVER, Client, limited, reencoded

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


@asynccontextmanager
async def faulty_gateway(tmp: Path) -> AsyncIterator[Client]:
    (tmp / "server.py").write_text(SERVER, encoding="utf-8")
    (tmp / "policy.json").write_text(json.dumps(limited(1, "echo")), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", FAULTY_GATEWAY, "gateway", "--policy", str(tmp / "policy.json"),
        "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"),
        "--", sys.executable, str(tmp / "server.py"), str(tmp / "upstream.log"),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )
    client = Client(process, tmp)
    try:
        await client.send({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
        assert (await client.line(60))["result"]["serverInfo"]["name"] == "scripted"
        await client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield client
    finally:
        await close_stdin_and_wait(process)


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
