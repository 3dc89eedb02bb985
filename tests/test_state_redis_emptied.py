"""A Redis that comes back without its data while gateways run on it.

Redis run without persistence (`--save ""`, no AOF; the default of many containers), a
`FLUSHALL`, or a failover to an empty replica forget every counter. The gateways went on as if
nothing had happened: each limit started over mid-window, so a limit of 3 an hour let 2 calls
through before the restart and 3 more after it. Now each gateway adds back what it counted in
the current windows (at its next limited call, or within a second from its own thread) and
logs it, so the limit holds across the restart.

Real redis-server on a loopback port, real `policytui gateway` processes over stdio in front of
server-everything, the mcp SDK's client; judged by what the calls were answered, the audit log,
`policytui counters` and the gateways' logs.
"""

from __future__ import annotations

import json
import time
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import pytest
from state_support import RedisServer, cli, replica, text_of, write_policy

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

LIMIT = {"version": "1", "default": "allow", "tools": {"echo": {"limits": [
    {"counter": "echo_rate", "window": "hour", "max": 3, "scope": "global"}]}}}
LOST = "lost its counters (it restarted without its data, or was emptied)"


def _used(url: str) -> int:
    shown = cli("counters", "--state", url, "--json")
    assert shown.returncode == 0, shown.stderr
    return sum(int(row["used"]) for row in json.loads(shown.stdout))


async def test_a_redis_restarted_empty_does_not_start_a_limit_over(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    policy = write_policy(tmp_path / "policy.json", LIMIT)
    extra = ("--state", redis_server.url)
    async with replica(tmp_path / "r", policy, tmp_path / "state", everything, *extra) as (client, run):
        for n in range(2):
            assert text_of(await client.call_tool("echo", {"message": f"before {n}"})) == f"Echo: before {n}"
        redis_server.stop()
        redis_server.restart_same_port()  # no persistence: it comes back empty
        after = [text_of(await client.call_tool("echo", {"message": f"after {n}"})) for n in range(3)]
        used = await anyio.to_thread.run_sync(_used, redis_server.url)
    assert after[0] == "Echo: after 0"
    assert all("rate limit 3 per hour reached" in text for text in after[1:]), after
    assert used == 3
    decisions = [line["decision"] for line in run.audit_lines() if line["tool"] == "echo"]
    assert decisions == ["allowed"] * 3 + ["denied"] * 2
    assert f"{LOST}; the 2 calls this gateway counted" in run.log.read_text(encoding="utf-8")


async def test_every_gateway_puts_back_its_own_calls_within_a_second_even_when_idle(
    tmp_path: Path, everything: Path, redis_server: RedisServer
) -> None:
    policy = write_policy(tmp_path / "policy.json", LIMIT)
    extra = ("--state", redis_server.url)
    async with AsyncExitStack() as stack:
        first, run_a = await stack.enter_async_context(
            replica(tmp_path / "a", policy, tmp_path / "state-a", everything, *extra))
        second, run_b = await stack.enter_async_context(
            replica(tmp_path / "b", policy, tmp_path / "state-b", everything, *extra))
        assert text_of(await first.call_tool("echo", {"message": "a"})) == "Echo: a"
        assert text_of(await second.call_tool("echo", {"message": "b"})) == "Echo: b"
        redis_server.stop()
        redis_server.restart_same_port()
        # Neither gateway is called: each puts its own call back by itself.
        deadline = time.monotonic() + 20
        while (used := await anyio.to_thread.run_sync(_used, redis_server.url)) < 2 and time.monotonic() < deadline:
            await anyio.sleep(0.2)
        assert used == 2
        answers = [text_of(await first.call_tool("echo", {"message": f"a{n}"})) for n in range(2)]
        answers.append(text_of(await second.call_tool("echo", {"message": "b2"})))
    assert answers[0] == "Echo: a0"
    assert all("rate limit 3 per hour reached" in text for text in answers[1:]), answers
    for run in (run_a, run_b):
        assert f"{LOST}; the 1 call this gateway counted" in run.log.read_text(encoding="utf-8")
