"""A call cancelled while Redis charges its rate limit still has its audit line, and costs nothing.

`python -m policytui gateway --state redis://...` in front of the recording flows server
(behind `tee_stdin.py`), talking to a real redis-server through a relay that holds back the
gateway's charge (its run of the reserve script) for as long as the test needs, within the
gateway's 1 s time-out for Redis: a Redis slow to answer. While the charge is held the client
cancels the call (`notifications/cancelled`) or goes away (closes standard input).

Judged from the server's side (what it read), the audit log, and the counters in Redis: the
call has exactly one audit line, with the reason `cancelled while its rate limits were being
charged`; the server never read it; its charge was given back, so the budget is whole.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from gateway_support import close_stdin_and_wait, leave
from state_support import RedisServer, write_policy
from test_gateway_approvals_withdrawn import cancelled
from test_gateway_redteam import Gateway, call, flows_server, stdio_gateway

from policytui.gateway.enforcer import CANCELLED_IN_CHARGE
from policytui.gateway.store.redis_store import REFUND, RESERVE, RedisStore
from policytui.policy.model import Policy
from policytui.replay.calls import load_calls
from policytui.replay.engine import replay

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

RESERVE_SHA = hashlib.sha1(RESERVE.encode()).hexdigest()
REFUND_SHA = hashlib.sha1(REFUND.encode()).hexdigest()
RULE = "tools.list_flows"
POLICY: dict[str, Any] = {
    "version": "1",
    "default": "allow",
    "tools": {"list_flows": {"limits": [{"counter": "flows", "window": "day", "max": 1, "scope": "global"}]}},
}


class Hold:
    """One command of the gateway's held back: `reached` once the relay has it, and it goes on
    to Redis when `go` is set."""

    def __init__(self, sha: str) -> None:
        self.sha = sha.encode()
        self.reached = asyncio.Event()
        self.go = asyncio.Event()


class SlowRedis:
    """A TCP relay in front of a real redis-server that holds back the next run of a given Lua
    script (`hold`), byte for byte otherwise."""

    def __init__(self, redis: RedisServer) -> None:
        self.redis = redis
        self.holds: list[Hold] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def hold(self, sha: str) -> Hold:
        hold = Hold(sha)
        self.holds.append(hold)
        return hold

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.redis.port)
        pumps = [asyncio.ensure_future(self._pump(reader, up_writer, held=True)),
                 asyncio.ensure_future(self._pump(up_reader, writer, held=False))]
        for pump in pumps:
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, held: bool) -> None:
        try:
            while data := await source.read(65536):
                for hold in list(self.holds) if held else []:
                    if hold.sha in data:  # a command of a few hundred bytes: read in one piece
                        self.holds.remove(hold)
                        hold.reached.set()
                        await hold.go.wait()
                sink.write(data)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            sink.close()


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def gateway(tmp: Path, redis: RedisServer) -> AsyncIterator[tuple[Gateway, SlowRedis]]:
    write_policy(tmp / "policy.json", POLICY)
    slow = SlowRedis(redis)
    await slow.start()
    try:
        async with stdio_gateway(tmp, POLICY, flows_server(tmp), "--state", slow.url) as gw:
            yield gw, slow
    finally:
        await slow.stop()


async def reached(hold: Hold) -> None:
    await asyncio.wait_for(hold.reached.wait(), 30)


async def audited(gw: Gateway, count: int, seconds: float = 20) -> list[dict[str, Any]]:
    """The audit log's call lines (the lines written before a call was sent left out), once
    there are `count`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while len(lines := gw.audited_calls()) < count and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    return lines


def flows_used(redis: RedisServer) -> list[int]:
    """What the `flows` counter has used in its window, as Redis keeps it (nothing: unused)."""
    store = RedisStore(redis.url, description="test")
    try:
        return [use.used for use in store.usage() if use.counter == "flows"]
    finally:
        store.close()


def line(entry: dict[str, Any]) -> tuple[Any, ...]:
    return entry["decision"], entry["rule"], entry["reason"], entry.get("upstream"), entry.get("approval")


CANCELLED_LINE = ("denied", RULE, CANCELLED_IN_CHARGE, None, None)


async def test_a_call_cancelled_while_redis_charges_it_is_audited_never_sent_and_refunded(
    tmp_path: Path, redis: RedisServer
) -> None:
    async with gateway(tmp_path, redis) as (gw, slow):
        charge = slow.hold(RESERVE_SHA)
        await gw.send(call(1, "list_flows", {"namespace": "prod"}))
        await reached(charge)  # the gateway's worker thread waits on Redis for the charge
        await gw.send(cancelled(1))
        # Read in order with the cancellation: once the ping is answered, the gateway has acted
        # on the cancellation, still within Redis's 1 s.
        await gw.send({"jsonrpc": "2.0", "id": "ping", "method": "ping"})
        assert await gw.answer("ping", 5) is not None
        charge.go.set()

        first = await audited(gw, 1)
        assert [line(entry) for entry in first] == [CANCELLED_LINE]
        assert flows_used(redis) == []  # the charge Redis made was given back
        # The budget of one call a day is whole: the next call is allowed, and the one after
        # it is not.
        await gw.send(call(2, "list_flows", {"namespace": "prod"}))
        allowed = await gw.answer(2)
        assert allowed is not None and "hello, nightly" in str(allowed)
        await gw.send(call(3, "list_flows", {"namespace": "prod"}))
        denied = await gw.answer(3)
        assert denied is not None and "[POLICY DENIED] rate limit 1 per day reached" in str(denied)
        assert await gw.answer(1, timeout=0.5) is None  # a cancelled request is not answered
    assert gw.received_calls() == ["list_flows"]  # the second call alone
    lines = gw.audited_calls()
    assert [line(entry)[:2] + line(entry)[3:] for entry in lines] == [
        ("denied", RULE, None, None), ("allowed", RULE, "ok", None), ("denied", f"{RULE}.limits[0]", None, None)]
    assert lines[0] == first[0]  # one line for the cancelled call, never another
    assert flows_used(redis) == [1]

    # A replay of the audit log under the same policy (the very file, by its SHA-256, so the
    # day's count before the log began was kept under the same limit) finds nothing changed:
    # the cancelled call was the policy's "allowed", and cost nothing, so the third is still
    # the one limited.
    same_file = hashlib.sha256((tmp_path / "policy.json").read_bytes()).hexdigest()
    report = replay(load_calls(tmp_path / "audit.jsonl"), Policy.from_document(POLICY), draft_sha256=same_file)
    assert report.total == 3 and report.changes == [] and report.passed


async def test_a_client_that_cancels_then_leaves_while_the_charge_is_given_back_loses_neither_refund_nor_line(
    tmp_path: Path, redis: RedisServer
) -> None:
    """The client cancels, then goes away while the charge's refund is under way: the second
    cancellation neither loses the refund nor the audit line."""
    async with gateway(tmp_path, redis) as (gw, slow):
        charge = slow.hold(RESERVE_SHA)
        await gw.send(call(1, "list_flows", {"namespace": "prod"}))
        await reached(charge)
        await gw.send(cancelled(1))
        await gw.send({"jsonrpc": "2.0", "id": "ping", "method": "ping"})
        assert await gw.answer("ping", 5) is not None
        refund = slow.hold(REFUND_SHA)
        charge.go.set()
        await reached(refund)  # the charge is made, and its refund on its way to Redis
        assert gw.process.stdin is not None
        leave(gw.process)  # the client goes: the gateway cancels what it still serves
        await asyncio.sleep(0.3)
        refund.go.set()
        await close_stdin_and_wait(gw.process, 30)
        assert gw.process.returncode == 0
    assert [line(entry) for entry in gw.audited_calls()] == [CANCELLED_LINE]
    assert gw.received_calls() == []
    assert flows_used(redis) == []


async def test_a_client_that_leaves_while_redis_charges_its_call_is_audited_and_refunded(
    tmp_path: Path, redis: RedisServer
) -> None:
    async with gateway(tmp_path, redis) as (gw, slow):
        charge = slow.hold(RESERVE_SHA)
        await gw.send(call(1, "list_flows", {"namespace": "prod"}))
        await reached(charge)
        assert gw.process.stdin is not None
        leave(gw.process)
        await asyncio.sleep(0.4)  # the gateway reads the end of its input meanwhile
        charge.go.set()
        await close_stdin_and_wait(gw.process, 30)
    assert [line(entry) for entry in gw.audited_calls()] == [CANCELLED_LINE]
    assert gw.received_calls() == []
    assert flows_used(redis) == []
