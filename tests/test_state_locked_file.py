"""A state file locked by another program holds up only the limited calls that need it.

A real `policytui gateway` process over stdio, in front of server-everything behind
`tee_stdin.py` (what the server read, byte for byte), keeps its counters in a SQLite file that
another process locks (`BEGIN EXCLUSIVE`, as `sqlite3 state.sqlite` with a transaction left
open does). A call to an unlimited tool, and a ping, made while a limited call waits for the
file are answered at once; the limited call is denied (fail closed) once the lock outlives
the busy timeout, or goes through when the lock is released in time. Over HTTP another
client's calls are answered meanwhile, and a gateway stopped while a limited call waits stops
without waiting out the lock. Judged from the client's side (answers and their timing), the
server's (what reached it) and the audit log's.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from audit_support import outcome_lines
from gateway_support import leave
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from state_support import POLICYTUI, http_client, http_replica, text_of, write_policy

from policytui.gateway.store.sqlite import BUSY_TIMEOUT_MS

pytestmark = [
    pytest.mark.servers, pytest.mark.filterwarnings("ignore:ping is removed"), pytest.mark.usefixtures("one_window"),
]

TEE = Path(__file__).resolve().parent / "servers" / "recording" / "tee_stdin.py"
BUSY_TIMEOUT = BUSY_TIMEOUT_MS / 1000
# What "at once" means here: well under the busy timeout, on a shared 2-core machine.
PROMPT = 0.5
DENIED = "[POLICY DENIED] rate-limit state unavailable; retry shortly"
POLICY = {
    "version": "1",
    "default": "allow",
    # Room for 100 calls: under a lease's headroom, so every call is charged in the file.
    "tools": {"echo": {"limits": [{"counter": "echo", "window": "day", "max": 100, "scope": "global"}]}},
}
LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
print("released", flush=True)
"""


class Gateway:
    def __init__(self, folder: Path) -> None:
        self.state = folder / "state" / "state.sqlite"
        self.audit = folder / "audit.jsonl"
        self.log = folder / "gateway.log"
        self.received = folder / "received.jsonl"

    def calls_received(self) -> list[dict[str, Any]]:
        """The tools/call params the server has read so far."""
        if not self.received.exists():
            return []
        messages = [json.loads(line) for line in self.received.read_text(encoding="utf-8").splitlines() if line.strip()]
        calls = [m["params"] for m in messages if m.get("method") == "tools/call"]
        return [p for p in calls if p["name"] in ("echo", "get-sum")]  # not the gateway's probe at start


def calls_audited(gw: Gateway) -> list[dict[str, Any]]:
    """The audit lines of the test's calls (not of the gateway's probe at start)."""
    return [line for line in outcome_lines(gw.audit) if line["tool"] in ("echo", "get-sum")]


@asynccontextmanager
async def gateway(folder: Path, everything: Path) -> AsyncIterator[tuple[Client, Gateway]]:
    gw = Gateway(folder)
    policy = write_policy(folder / "policy.json", POLICY)
    params = StdioServerParameters(
        command=str(POLICYTUI),
        args=[
            "gateway", "--policy", str(policy), "--state-dir", str(gw.state.parent), "--audit", str(gw.audit),
            "--log", str(gw.log), "--", sys.executable, str(TEE), str(gw.received), "--", str(everything), "stdio",
        ],
        cwd=str(folder),
    )
    with open(folder / "stderr.txt", "w", encoding="utf-8") as errlog:  # noqa: ASYNC230 - a local file, opened once
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            yield client, gw


# How long an answer may take, the first one (the gateway and its server starting) included:
# tens of seconds on a loaded machine. A gateway that never answers still fails the test.
ANSWER_SECONDS = 120


@contextmanager
def locked(path: Path, code: str = LOCKER, *args: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the state file's write lock (by `code`, given the file and
    `args`) until it is told to let go (a line on its input, `release`) or the block ends."""
    locker = subprocess.Popen([sys.executable, "-c", code, str(path), *args], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        yield locker
    finally:
        release(locker)
        locker.wait(10)


def release(locker: subprocess.Popen[str]) -> None:
    if locker.poll() is None and locker.stdin is not None and not locker.stdin.closed:
        locker.stdin.write("\n")
        locker.stdin.close()


async def timed(work: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = await work
    return result, time.monotonic() - started


async def meanwhile(client: Client, gw: Gateway, limited: dict[str, Any]) -> None:
    """While `limited` is being waited for: a ping and an unlimited call, each answered at once,
    the call read by the server while the limited one has not been."""
    await anyio.sleep(0.3)  # the limited call is waiting for the file by now
    _, ping = await timed(client.send_ping())
    assert ping < PROMPT, f"a ping waited {ping:.2f} s behind a call waiting for the state file"
    answer, free = await timed(client.call_tool("get-sum", {"a": 2, "b": 3}))
    assert free < PROMPT, f"an unlimited call waited {free:.2f} s behind a call waiting for the state file"
    assert text_of(answer) == "The sum of 2 and 3 is 5."
    assert "done" not in limited, "the limited call ended before the unlimited one was made"
    assert [p["name"] for p in gw.calls_received()] == ["echo", "get-sum"]  # the warm-up, then this one


async def test_a_locked_state_file_holds_up_only_the_limited_call_which_is_denied_after_the_timeout(
    tmp_path: Path, everything: Path
) -> None:
    async with gateway(tmp_path, everything) as (client, gw):
        assert text_of(await client.call_tool("echo", {"message": "warm"})) == "Echo: warm"
        limited: dict[str, Any] = {}

        async def limited_call() -> None:
            limited["result"], limited["seconds"] = await timed(client.call_tool("echo", {"message": "held"}))
            limited["done"] = True

        with locked(gw.state):
            async with anyio.create_task_group() as tg:
                tg.start_soon(limited_call)
                await meanwhile(client, gw, limited)
        assert text_of(limited["result"]) == DENIED and limited["result"].is_error
        assert BUSY_TIMEOUT - 0.2 < limited["seconds"] < BUSY_TIMEOUT + 3, limited["seconds"]
        # Fail closed: the server never read the denied call. The file is free again: the next
        # limited call goes through.
        assert [p["arguments"] for p in gw.calls_received() if p["name"] == "echo"] == [{"message": "warm"}]
        assert text_of(await client.call_tool("echo", {"message": "after"})) == "Echo: after"
    lines = [(line["tool"], line["decision"], line.get("state"), line.get("upstream"), line["reason"])
             for line in calls_audited(gw)]
    assert lines == [
        ("echo", "allowed", None, "ok", ""),
        ("get-sum", "allowed", None, "ok", ""),
        ("echo", "denied", "unavailable", None, "rate-limit state unavailable; retry shortly"),
        ("echo", "allowed", None, "ok", ""),
    ]
    log = gw.log.read_text(encoding="utf-8")
    assert f"stayed locked by another program for {BUSY_TIMEOUT:g} s" in log
    assert "reachable again" in log


async def test_a_limited_call_waiting_for_a_locked_state_file_goes_through_once_it_is_released(
    tmp_path: Path, everything: Path
) -> None:
    async with gateway(tmp_path, everything) as (client, gw):
        assert text_of(await client.call_tool("echo", {"message": "warm"})) == "Echo: warm"
        limited: dict[str, Any] = {}

        async def limited_call() -> None:
            limited["result"], limited["seconds"] = await timed(client.call_tool("echo", {"message": "in time"}))
            limited["done"] = True

        with locked(gw.state) as locker:
            async with anyio.create_task_group() as tg:
                tg.start_soon(limited_call)
                await meanwhile(client, gw, limited)
                await anyio.sleep(1.0)
                assert "done" not in limited
                release(locker)
        assert text_of(limited["result"]) == "Echo: in time"
        assert 1.2 < limited["seconds"] < BUSY_TIMEOUT - 1, limited["seconds"]
        # The server read it after the call it was made before: it waited, the other did not.
        assert [p["name"] for p in gw.calls_received()] == ["echo", "get-sum", "echo"]
    lines = [(line["tool"], line["decision"], line.get("state"), line.get("upstream"))
             for line in calls_audited(gw)]
    assert lines == [
        ("echo", "allowed", None, "ok"),
        ("get-sum", "allowed", None, "ok"),
        ("echo", "allowed", None, "ok"),
    ]


async def test_over_http_another_clients_calls_are_answered_while_one_client_waits_for_a_locked_state_file(
    tmp_path: Path, everything: Path
) -> None:
    policy = write_policy(tmp_path / "policy.json", POLICY)
    tokens = {"alice-token-0123456789abcdef": "alice", "bob-token-0123456789abcdef00": "bob"}
    folder = tmp_path / "http"
    with http_replica(folder, policy, tokens, everything) as url:
        async with (http_client(url, "alice-token-0123456789abcdef") as alice,
                    http_client(url, "bob-token-0123456789abcdef00") as bob):
            assert text_of(await alice.call_tool("echo", {"message": "warm"})) == "Echo: warm"
            limited: dict[str, Any] = {}

            async def limited_call() -> None:
                limited["result"], limited["seconds"] = await timed(alice.call_tool("echo", {"message": "held"}))

            with locked(folder / "state" / "state.sqlite"):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(limited_call)
                    await anyio.sleep(0.3)
                    for _ in range(3):
                        answer, seconds = await timed(bob.call_tool("get-sum", {"a": 1, "b": 1}))
                        assert seconds < PROMPT, f"another client's call waited {seconds:.2f} s"
                        assert text_of(answer) == "The sum of 1 and 1 is 2."
                    assert "result" not in limited
            assert text_of(limited["result"]) == DENIED
            assert BUSY_TIMEOUT - 0.2 < limited["seconds"] < BUSY_TIMEOUT + 3, limited["seconds"]
    lines = [(line["grant"], line["tool"], line["decision"], line.get("state"))
             for line in outcome_lines(folder / "audit.jsonl") if line["tool"] in ("echo", "get-sum")]
    assert lines == [
        ("alice", "echo", "allowed", None),
        *[("bob", "get-sum", "allowed", None)] * 3,
        ("alice", "echo", "denied", "unavailable"),
    ]


async def test_a_gateway_stopped_while_a_limited_call_waits_for_a_locked_state_file_stops_at_once(
    tmp_path: Path, everything: Path
) -> None:
    """SIGTERM while a limited call waits for the file: the gateway does not wait out the lock
    (its stop takes what it takes without one), the call is not sent and has its audit line."""
    gw = Gateway(tmp_path)
    policy = write_policy(tmp_path / "policy.json", POLICY)
    process = await asyncio.create_subprocess_exec(
        str(POLICYTUI), "gateway", "--policy", str(policy), "--state-dir", str(gw.state.parent),
        "--audit", str(gw.audit), "--log", str(gw.log), "--", sys.executable, str(TEE), str(gw.received), "--",
        str(everything), "stdio", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=str(tmp_path))
    assert process.stdin is not None and process.stdout is not None

    async def ask(message: dict[str, Any]) -> dict[str, Any]:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write((json.dumps(message) + "\n").encode())
        return dict(json.loads(await asyncio.wait_for(process.stdout.readline(), ANSWER_SECONDS)))

    try:
        await ask({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
        process.stdin.write(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}\n')
        warm = await ask({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                          "params": {"name": "echo", "arguments": {"message": "warm"}}})
        assert warm["result"]["content"][0]["text"] == "Echo: warm"
        with locked(gw.state):
            process.stdin.write((json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
                "name": "echo", "arguments": {"message": "held"}}}) + "\n").encode())
            await anyio.sleep(0.3)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0
            stopped = time.monotonic() - started
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert stopped < BUSY_TIMEOUT - 1, f"the stop waited {stopped:.2f} s"
    assert [p["arguments"] for p in gw.calls_received() if p["name"] == "echo"] == [{"message": "warm"}]
    lines = [(line["tool"], line["decision"], line["reason"]) for line in calls_audited(gw)]
    assert lines == [("echo", "allowed", ""), ("echo", "denied", "cancelled while its rate limits were being charged")]


REFUSING = Path(__file__).resolve().parent / "servers" / "misbehaving" / "refuses_later.py"
# `work` and `refused` share one counter with plenty of room (no lease: each charge is made in
# the file).
SHARED = {"counter": "shared", "window": "day", "max": 100, "scope": "global"}
REFUND_POLICY = {"version": "1", "default": "allow",
                 "tools": {"work": {"limits": [SHARED]}, "refused": {"limits": [SHARED]}}}


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "the client leaves"])
async def test_calls_waiting_behind_a_refund_for_a_locked_state_file_give_up_at_once_and_are_each_audited(
    tmp_path: Path, how: str
) -> None:
    """A refund (a call the server refused while the file was locked) waits for the file ahead
    of the limited calls made after it, and nothing cancels it. Those calls are cancelled when
    the gateway is stopped, or their client leaves: each gives up at once, without waiting out
    the refund, is never sent and has its audit line, and the gateway is gone at once (over
    stdio a stop ends the process as soon as the server behind has stopped, audited or not)."""
    policy = write_policy(tmp_path / "policy.json", REFUND_POLICY)
    state, audit, received = tmp_path / "state" / "state.sqlite", tmp_path / "audit.jsonl", tmp_path / "received.jsonl"
    process = await asyncio.create_subprocess_exec(
        str(POLICYTUI), "gateway", "--policy", str(policy), "--state-dir", str(state.parent), "--audit", str(audit),
        "--log", str(tmp_path / "gateway.log"), "--", sys.executable, str(REFUSING), str(received),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=str(tmp_path))
    assert process.stdin is not None and process.stdout is not None
    answers: dict[int, dict[str, Any]] = {}

    def send(message: dict[str, Any]) -> None:
        assert process.stdin is not None
        process.stdin.write((json.dumps(message) + "\n").encode())

    async def answer(request_id: int) -> dict[str, Any]:
        assert process.stdout is not None
        while request_id not in answers:
            message = json.loads(await asyncio.wait_for(process.stdout.readline(), ANSWER_SECONDS))
            answers[message["id"]] = message
        return answers[request_id]

    def call(request_id: int, tool: str, arguments: dict[str, Any]) -> None:
        send({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})

    waiting = range(10, 60)
    try:
        send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}})
        await answer(0)
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        call(1, "work", {"n": "warm"})
        assert (await answer(1))["result"]["content"][0]["text"] == 'ran {"n": "warm"}'
        call(2, "refused", {"delay": 1.0})  # charged now, refused once the file is locked
        await anyio.sleep(0.3)
        with locked(state):
            assert "error" in await answer(2)  # its refund now waits for the file, 5 s at most
            for request_id in waiting:
                call(request_id, "work", {"n": request_id})
            await anyio.sleep(0.5)
            started = time.monotonic()
            if how == "the client leaves":
                leave(process)
            else:
                process.send_signal(getattr(signal, how))
            # Gone for its client when its output ends. The process itself then exits; after
            # the client left, Python's own clean-up comes first, which alone took seconds on a
            # loaded machine (a signal ends the process without it).
            await asyncio.wait_for(process.stdout.read(), 30)
            stopped = time.monotonic() - started
            await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert stopped < BUSY_TIMEOUT - 2, f"the gateway took {stopped:.2f} s to end"
    # Nothing waited out the lock on the way out either: the refund would have said so.
    assert "stayed locked" not in (tmp_path / "gateway.log").read_text(encoding="utf-8")
    # Fail closed: the server read the warm-up and the refused call, nothing of those waiting.
    sent = [json.loads(line)["name"] for line in received.read_text(encoding="utf-8").splitlines()]
    assert [name for name in sent if name in ("work", "refused")] == ["work", "refused"]  # not the gateway's probe
    lines = [(line["tool"], line["decision"], line.get("upstream"), line["reason"]) for line in outcome_lines(audit)
             if line["tool"] in ("work", "refused")]
    assert lines[:2] == [("work", "allowed", "ok", ""), ("refused", "allowed", "error", "")]
    assert lines[2:] == [("work", "denied", None, "cancelled while its rate limits were being charged")] * len(waiting)
