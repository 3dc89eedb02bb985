"""A stdio gateway gives back what it holds in a shared state store, whichever way it ends.

A counter with plenty of room is charged in leases (SQLite): a gateway counts up to 64 calls
more than it made and hands them out itself, and gives back what it did not use when it stops.
The installed `policytui gateway` over stdio runs in front of the real server-everything, makes
a quick call and then a slow one, and is ended: a signal while the slow call runs or while it is
idle, ctrl+c twice, its client closing its input, its server killed under the call. Judged from
outside: its exit code and how soon it exits, `policytui counters --json` on the same store (the
two calls made, not the lease), the audit line of the interrupted call, and a second gateway on
the same store whose call is counted on top of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from state_support import cli
from test_gateway_stop_signals import (
    EXIT_BOUND,
    LONG,
    Served,
    StdioClient,
    _call,
    stdio_gateway,
    until,
)

from policytui.gateway.runner import STDIO_STOP_SECONDS, _closed_within
from policytui.gateway.store.sqlite import CLOSING_PATIENCE, SQLiteStore

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window"),
              pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")]

# Every call counts against one limit with room enough for a lease of 64 calls.
POLICY = {"version": "1", "default": "allow",
          "all_tools": {"limits": [{"counter": "calls", "window": "day", "max": 100000}]}}


def counted(state: str, policy: Path) -> int:
    """The calls `policytui counters --json` counts in the store, as a user reads them."""
    shown = cli("counters", "--state", state, "--policy", str(policy), "--json")
    assert shown.returncode == 0, shown.stderr
    return sum(row["used"] for row in json.loads(shown.stdout))


async def quick_then_slow(gateway: Served, client: StdioClient) -> None:
    """A quick call (answered), then a slow one that the server is running."""
    client.send(_call(1, "echo", {"message": "hi"}))
    await until(lambda: client.answer(1), 30, "the quick call's answer")
    client.send(_call(2, LONG, {"duration": 60, "steps": 60}))
    await until(lambda: gateway.received_calls() == ["echo", LONG], what="the slow call to reach the server")


async def _sigterm(gateway: Served, client: StdioClient) -> None:
    client.process.send_signal(signal.SIGTERM)


async def _ctrl_c_twice(gateway: Served, client: StdioClient) -> None:
    client.process.send_signal(signal.SIGINT)
    await until(lambda: client.answer(2), 5, "the slow call to be answered")
    client.process.send_signal(signal.SIGINT)


async def _sighup_while_idle(gateway: Served, client: StdioClient) -> None:
    client.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 2}})
    await until(lambda: any(a.get("upstream") == "cancelled" for a in gateway.audit()), 10,
                "the slow call to be cancelled by its client")
    client.process.send_signal(signal.SIGHUP)


async def _client_leaves(gateway: Served, client: StdioClient) -> None:
    assert client.process.stdin is not None
    client.process.stdin.close()  # answered at the call time-out (2 s), then the gateway ends


async def _server_killed_then_sigterm(gateway: Served, client: StdioClient) -> None:
    for pid in gateway.servers_alive():
        os.kill(pid, signal.SIGKILL)
    await until(lambda: client.answer(2), 10, "the slow call to be answered once its server died")
    client.process.send_signal(signal.SIGTERM)


Ending = Callable[[Served, StdioClient], Awaitable[None]]
# How each way out ends the gateway: its exit code and the slow call's `upstream` in the audit log.
ENDINGS: dict[str, tuple[Ending, int, str]] = {
    "SIGTERM-during-the-call": (_sigterm, 0, "cancelled"),
    "ctrl+c-twice": (_ctrl_c_twice, 130, "cancelled"),
    "SIGHUP-while-idle": (_sighup_while_idle, 0, "cancelled"),
    "client-closes-its-input": (_client_leaves, 0, "timeout"),
    "server-killed-then-SIGTERM": (_server_killed_then_sigterm, 0, "lost"),
}


@pytest.mark.parametrize("store", ["sqlite", "redis"])
@pytest.mark.parametrize("ending", list(ENDINGS))
async def test_a_stdio_gateway_gives_back_what_it_leased_however_it_ends(
        tmp_path: Path, everything: Path, store: str, ending: str, request: pytest.FixtureRequest) -> None:
    """Two calls made, two counted once the gateway has ended, and a later gateway's call on
    top of them: before, a signal ended the process without closing its SQLite store, and
    `counters` showed 66 (the lease of 64 taken with the second call kept until the day ends)."""
    state = (request.getfixturevalue("redis_server").url if store == "redis"
             else f"sqlite://{tmp_path / 'shared.sqlite'}")
    end, code, upstream = ENDINGS[ending]
    # The slow call left behind by a client that leaves is answered at the call time-out, kept
    # short as the time-out's length is not what is tested here (long enough for the quick call).
    timeout = ("--call-timeout", "2") if ending == "client-closes-its-input" else ()
    async with stdio_gateway(tmp_path, everything, POLICY, "--state", state, *timeout) as (gateway, client):
        await quick_then_slow(gateway, client)
        await end(gateway, client)
        ended = time.monotonic()
        assert await asyncio.wait_for(client.process.wait(), EXIT_BOUND) == code, gateway.log()[-2000:]
        assert time.monotonic() - ended < EXIT_BOUND
    policy = tmp_path / "policy.json"
    assert counted(state, policy) == 2, gateway.log()[-2000:]
    slow = [a for a in gateway.audit() if a["tool"] == LONG]
    assert [(a["decision"], a.get("upstream")) for a in slow] == [("allowed", upstream)], slow

    async with stdio_gateway(tmp_path, everything, POLICY, "--state", state) as (_, later):
        later.send(_call(1, "echo", {"message": "again"}))
        answered = await until(lambda: later.answer(1), 30, "the later gateway's call")
        assert answered["result"]["content"][0]["text"] == "Echo: again", answered
        later.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(later.process.wait(), EXIT_BOUND) == 0
    assert counted(state, policy) == 3


async def test_a_state_file_locked_as_the_gateway_stops_is_said_and_does_not_hold_the_exit(
        tmp_path: Path, everything: Path) -> None:
    """Another program holds the state file's write lock (a `sqlite3` shell with a transaction
    open) when the gateway gets SIGTERM: it exits within a second or so of waiting for the file,
    with 1, standard error saying in one sentence that the calls it leased stay counted until
    their window ends, and `counters` (once the lock is let go) counts them. Before, it exited
    with 0 and said nothing, the lease counted all the same."""
    path = tmp_path / "shared.sqlite"
    state = f"sqlite://{path}"
    async with stdio_gateway(tmp_path, everything, POLICY, "--state", state,
                             stderr=asyncio.subprocess.PIPE) as (gateway, client):
        await quick_then_slow(gateway, client)
        holder = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            client.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            assert await asyncio.wait_for(client.process.wait(), EXIT_BOUND) == 1
            took = time.monotonic() - signalled
        finally:
            holder.rollback()
            holder.close()
        assert client.process.stderr is not None
        said = (await client.process.stderr.read()).decode()
    # Answering the call, the wait for the file (CLOSING_PATIENCE) and a busy machine.
    assert took < STDIO_STOP_SECONDS + CLOSING_PATIENCE + 3.0, (took, gateway.log()[-2000:])
    assert said.strip().splitlines() == [
        f"policytui gateway: the state file {path} could not be written as the gateway stopped (locked by another "
        "program, or gone), so the 64 calls it leased and did not use stay counted until their window ends."], said
    assert counted(state, tmp_path / "policy.json") == 66


def test_closing_that_does_not_end_in_time_is_said_and_left_behind(capsys: pytest.CaptureFixture[str]) -> None:
    """What the gateway opened is closed on a thread of its own before a signal ends it: a close
    that does not end within the bound is said on standard error and left to the exit."""
    release = threading.Event()
    with contextlib.ExitStack() as opened:
        opened.callback(release.wait, 30)
        started = time.monotonic()
        assert _closed_within(opened, 0.2) is False
        assert time.monotonic() - started < 2
        release.set()
    assert capsys.readouterr().err.startswith("policytui gateway: the state store did not close within 0.2 s")


async def test_a_lease_of_a_killed_gateway_stays_counted_until_its_window_ends(tmp_path: Path, everything: Path) -> None:
    """SIGKILL leaves nothing to run: the lease taken with the second call stays counted (66 of
    the 2 calls made), and is free once the counter's window has ended, when the counter starts
    over, as the gateway page says."""
    path = tmp_path / "shared.sqlite"
    state = f"sqlite://{path}"
    async with stdio_gateway(tmp_path, everything, POLICY, "--state", state) as (gateway, client):
        await quick_then_slow(gateway, client)
        client.process.kill()
        await client.process.wait()
    shown = cli("counters", "--state", state, "--policy", str(tmp_path / "policy.json"), "--json")
    [row] = json.loads(shown.stdout)
    assert row["used"] == 66, row
    policy = row["policy"]
    for at, used in ((row["window_end"] - 1, [66]), (row["window_end"] + 1, [])):
        store = SQLiteStore(path, policy=policy, clock=lambda at=at: at)
        try:
            assert [use.used for use in store.usage()] == used, at
        finally:
            store.close()
