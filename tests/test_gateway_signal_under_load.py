"""A signal stops the gateway however busy it is.

A real `python -m policytui gateway` over stdio in front of the recording flows server (behind
`tee_stdin.py`) has 20,000 limited calls queued for its state file, which another process holds
locked (`BEGIN EXCLUSIVE`). The client cancels them all at once: each gives up its wait on the
store's thread, and each result is handed back to the event loop; SIGTERM comes just then.
Judged from outside: whether and how soon the process exits, with what code, what the server
read and the audit log.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from test_gateway_redteam import call, flows_server, stdio_gateway
from test_state_locked_file import locked

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

CALLS = 20000
POLICY: dict[str, Any] = {
    "version": "1",
    "default": "allow",
    "tools": {"list_flows": {"limits": [{"counter": "flows", "window": "day", "max": 100000, "scope": "global"}]}},
}
# How soon a stopped gateway must be gone: the calls in progress cancelled and audited, the
# server stopped, and room for a busy machine.
EXIT_BOUND = 10.0
# SIGTERM comes this long after the cancellations are written, while they are being taken.
DELAY = 0.02


@pytest.mark.parametrize("run", range(2))
async def test_sigterm_stops_a_gateway_while_thousands_of_queued_calls_give_up_their_wait(tmp_path: Path, run: int) -> None:
    """Before, the signal's wakeup byte was dropped by the event loop's self-pipe, full of the
    store thread's results, and the gateway never stopped (3 runs of 3 here; the process had to
    be killed)."""
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path)) as gw:
        await gw.send(call("warm", "list_flows", {"namespace": "warm"}))
        assert await gw.answer("warm") is not None  # the state file is set up
        with locked(tmp_path / "state" / "state.sqlite"):
            burst = b"".join(json.dumps(call(i, "list_flows", {"namespace": f"n{i}"})).encode() + b"\n"
                             for i in range(CALLS))
            await gw.write(burst + b'{"jsonrpc":"2.0","id":"p","method":"ping"}\n')
            assert await gw.answer("p", timeout=60) is not None  # every call is read and queued
            # The client cancels them all: each gives up its wait on the store's thread at once,
            # and each result is handed back to the event loop.
            await gw.write(b"".join(json.dumps({"jsonrpc": "2.0", "method": "notifications/cancelled",
                                                "params": {"requestId": i}}).encode() + b"\n" for i in range(CALLS)))
            await asyncio.sleep(DELAY)
            gw.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            try:
                code = await asyncio.wait_for(gw.process.wait(), EXIT_BOUND)
            except TimeoutError:
                gw.process.kill()
                await gw.process.wait()
                raise AssertionError(f"the gateway did not stop within {EXIT_BOUND} s of SIGTERM") from None
            took = time.monotonic() - signalled
    assert code == 0
    assert took < EXIT_BOUND
    assert gw.received_calls() == ["list_flows"]  # the warm-up alone: none was charged, none sent
    audit = gw.audited_calls()
    assert len(audit) == CALLS + 1
    assert len({a["args_sha256"] for a in audit}) == CALLS + 1  # one line for each call, none twice
    assert "stopping on signal SIGTERM" in (tmp_path / "gateway.log").read_text(encoding="utf-8")
