"""A state file locked by another program holds up only the held call whose record needs it.

A real `python -m policytui gateway --approvals queue` in front of the recording flows server
(behind `tee_stdin.py`: what the server read, byte for byte) holds `delete_flow` for a human in
the approvals queue, kept in its SQLite state file, while another process holds the file's
write lock (`BEGIN EXCLUSIVE`, as `sqlite3 state.sqlite` with a transaction left open does).
Whatever the held call needs written then (putting it in the queue, timing it out, withdrawing
it when its client cancels, recording that it was sent), a ping and an unlimited call
(`list_flows`), of the same client and, over HTTP, of another, are answered at once. The held
call ends as it would have once the file is free in time; a call the queue cannot take within
the busy timeout is denied, with the reason and audit line of a queue that could not keep it;
a record write held up past the timeout is made once the file is free. `policytui approvals`
says in one sentence that the file stayed locked, and lists at once.

Judged from the client (answers and their timing), the server (what reached it and what ran),
the approvals command and the audit log.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from test_gateway_approvals_withdrawn import (
    POLICY,
    _session,
    answer,
    approvals,
    audited,
    cancelled,
    delete,
    until_waiting,
    waiting,
)
from test_gateway_redteam import Gateway, call, flows_server, http_gateway, stdio_gateway
from test_state_locked_file import locked, release, timed

from policytui.gateway.store.sqlite import BUSY_TIMEOUT_MS

pytestmark = pytest.mark.servers

BUSY_TIMEOUT = BUSY_TIMEOUT_MS / 1000
# What "at once" means here: well under the busy timeout, on a shared 2-core machine.
PROMPT = 0.5
UNAVAILABLE = "the approvals queue could not keep the call, so no human could answer"
# Another program writes a human's decision for a held call, then at once holds the file locked:
# the gateway reads the decision (a WAL file is read while locked) and must then record, in the
# locked file, what became of the call.
DECIDE_AND_LOCK = """
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
db.execute("UPDATE approvals SET decision = ? WHERE id = ? AND decision IS NULL",
           (json.dumps({"outcome": "approved", "time": time.time(), "by": "alice"}), sys.argv[2]))
db.execute("COMMIT")
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""

# Another program holds the file locked; told to (a line on its input), it writes a human's
# approval of a held call and at once holds the file locked again.
LOCK_THEN_DECIDE = """
import json, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("UPDATE approvals SET decision = ? WHERE id = ? AND decision IS NULL",
           (json.dumps({"outcome": "approved", "time": time.time(), "by": "alice"}), sys.argv[2]))
db.execute("COMMIT")
db.execute("BEGIN EXCLUSIVE")
print("decided", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


# Another program, started beforehand, that takes the state file's write lock when told to (a
# line on its input): the lock follows at once what the test saw, not a process's start.
LOCK_WHEN_TOLD = """
import sqlite3, sys
print("ready", flush=True)
sys.stdin.readline()
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


def state_file(tmp: Path) -> Path:
    return tmp / "state" / "state.sqlite"


def timed_run(run: Any, *args: Any) -> tuple[Any, float]:
    """`run(*args)` and how many seconds it took."""
    started = time.monotonic()
    result = run(*args)
    return result, time.monotonic() - started


def queued(tmp: Path) -> list[str]:
    """The flow ids of the held calls in the gateway's approvals queue, read as `policytui
    approvals list` reads them."""
    from policytui.gateway.approvals import ApprovalQueue
    from policytui.gateway.store import open_store

    store = open_store(None, tmp / "state")
    try:
        return [str(p.arguments.get("flow_id")) for p in ApprovalQueue(store).pending()]
    finally:
        store.close()


async def until_held(tmp: Path, flow: str, seconds: float) -> float:
    """Wait until the approvals queue holds the call for `flow` (read as `policytui approvals
    list` reads it, without starting that command): when it times out."""
    from policytui.gateway.approvals import ApprovalQueue
    from policytui.gateway.store import open_store

    def expires() -> float | None:
        store = open_store(None, tmp / "state")
        try:
            return next((p.expires for p in ApprovalQueue(store).pending()
                         if p.arguments.get("flow_id") == flow), None)
        finally:
            store.close()

    deadline = time.monotonic() + seconds
    while (found := await asyncio.to_thread(expires)) is None:
        assert time.monotonic() < deadline, f"the call for {flow} was not held within {seconds:g} s"
        await asyncio.sleep(0.05)
    return found


async def answered_at_once(gw: Gateway, request_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """Send `message` over stdio; its answer, which must come well within the busy timeout."""
    started = time.monotonic()
    await gw.send(message)
    reply = await gw.answer(request_id, timeout=BUSY_TIMEOUT + 5)
    seconds = time.monotonic() - started
    assert reply is not None, f"no answer to {message['method']}"
    assert seconds < PROMPT, f"{message['method']} waited {seconds:.2f} s behind a held call's record"
    return reply


async def the_others_at_once(gw: Gateway, tag: str) -> None:
    """A ping and an unlimited call, each answered at once (the call run by the server)."""
    pong = await answered_at_once(gw, f"ping-{tag}", {"jsonrpc": "2.0", "id": f"ping-{tag}", "method": "ping"})
    assert pong["result"] == {}
    listed = await answered_at_once(gw, f"list-{tag}", call(f"list-{tag}", "list_flows", {"namespace": tag}))
    assert "isError" not in listed["result"] or not listed["result"]["isError"], listed


def read_calls(gw: Gateway) -> list[tuple[str, str]]:
    """The tools/call the server read: (tool, namespace)."""
    return [(m["params"]["name"], m["params"]["arguments"].get("namespace", ""))
            for m in gw.received() if m.get("method") == "tools/call"
            and not str(m["params"]["name"]).startswith("policytui-probe-")]


def ran(gw: Gateway) -> list[tuple[str, str, str | None]]:
    """What the server ran: (tool, namespace, flow id)."""
    return [(m["tool"], m["arguments"]["namespace"], m["arguments"].get("flow_id")) for m in gw.executed()]


def logged(tmp: Path) -> str:
    return (tmp / "gateway.log").read_text(encoding="utf-8")


async def test_a_held_call_put_in_the_queue_while_the_state_file_is_locked_waits_alone_and_is_held_once_it_is_free(
    tmp_path: Path,
) -> None:
    """Before, the gateway wrote the held call's record in place: its whole event loop stood
    still until the lock was let go, and the ping and the unlimited call waited with it."""
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await the_others_at_once(gw, "warm")  # the state file exists, the server is up
        with locked(state_file(tmp_path)) as locker:
            await gw.send(delete(5, "a"))
            await asyncio.sleep(0.3)  # the held call waits for the file by now
            await the_others_at_once(gw, "during")
            # Not in the queue yet (a WAL file is read while locked). Read here, as the approvals
            # command reads it: starting that command takes seconds on a loaded machine, and the
            # lock must go well within the busy timeout, or the held call is rightly denied.
            assert await asyncio.to_thread(queued, tmp_path) == []
            await asyncio.sleep(1.0)
            release(locker)
        held = await until_waiting(tmp_path, {"a"}, seconds=BUSY_TIMEOUT)
        assert await asyncio.to_thread(queued, tmp_path) == ["a"]
        approved = await answer(tmp_path, "approve", held["a"])
        assert (approved.returncode, approved.stdout) == (0, f"Call {held['a']} approved and sent to the server.\n"), approved
        done = await gw.answer(5)
        assert done is not None and "deleted prod.a" in json.dumps(done)
    # The server read the unlimited call made while the held one waited for the file, then the held one.
    assert read_calls(gw) == [("list_flows", "warm"), ("list_flows", "during"), ("delete_flow", "prod")]
    assert ran(gw)[-1] == ("delete_flow", "prod", "a")
    assert audited(gw) == [("allowed", None, "ok"), ("allowed", None, "ok"), ("allowed", "approved", "ok")]


async def test_over_http_a_held_call_the_locked_state_file_cannot_keep_is_denied_while_other_clients_go_on(
    tmp_path: Path,
) -> None:
    """The lock outlives the busy timeout: the held call is denied (fail closed, as a queue that
    could not keep it, audited `approval: unavailable`) after it, never reaching the server,
    while its own client's and another client's pings and unlimited calls are answered at once."""
    async with http_gateway(tmp_path, POLICY, None) as (url, _), httpx2.AsyncClient(timeout=60) as http:
        alice, bob = await _session(http, url), await _session(http, url)

        async def at_once(headers: dict[str, str], message: dict[str, Any]) -> str:
            reply, seconds = await timed(http.post(url, headers=headers, json=message))
            assert seconds < PROMPT, f"{message['method']} waited {seconds:.2f} s behind a held call's record"
            assert reply.status_code == 200, reply.text
            return reply.text

        await at_once(bob, call(1, "list_flows", {"namespace": "warm"}))
        with locked(state_file(tmp_path)):
            held = asyncio.create_task(timed(http.post(url, headers=alice, json=delete(7, "a"))))
            await asyncio.sleep(0.3)
            for who, headers in (("alice", alice), ("bob", bob)):
                assert '"result":{}' in (await at_once(headers, {"jsonrpc": "2.0", "id": 2, "method": "ping"})).replace(" ", "")
                assert "isError\":true" not in await at_once(headers, call(3, "list_flows", {"namespace": who}))
            assert not held.done()
            reply, seconds = await held
        assert reply.status_code == 200 and UNAVAILABLE in reply.text, reply.text
        assert BUSY_TIMEOUT - 0.2 < seconds < BUSY_TIMEOUT + 3, seconds
        assert await waiting(tmp_path) == {}
    gw = Gateway.__new__(Gateway)
    gw.tmp = tmp_path
    assert read_calls(gw) == [("list_flows", "warm"), ("list_flows", "alice"), ("list_flows", "bob")]
    assert ran(gw) == [("list_flows", "warm", None), ("list_flows", "alice", None), ("list_flows", "bob", None)]
    lines = [(a["tool"], a["decision"], a.get("approval"), a.get("upstream"), a["reason"]) for a in gw.audited_calls()]
    assert lines == [
        ("list_flows", "allowed", None, "ok", ""),
        ("list_flows", "allowed", None, "ok", ""),
        ("list_flows", "allowed", None, "ok", ""),
        ("delete_flow", "denied", "unavailable", None, f'Tool "delete_flow" requires approval; {UNAVAILABLE}'),
    ]
    assert (f"cannot hold the call in the approvals queue (the state file {state_file(tmp_path)} stayed locked "
            f"by another program for {BUSY_TIMEOUT:g} s); the call is denied") in logged(tmp_path)


async def test_a_held_call_timed_out_while_the_state_file_is_locked_is_denied_as_timed_out_once_it_is_free(
    tmp_path: Path,
) -> None:
    # Time enough to see the call held and lock the file before it times out: the queue is
    # read in this process and the locking program is started before the call, so neither
    # waits for a process to start (seconds on a loaded machine), and the lock follows the
    # sight of the held call within a poll and a line on a pipe.
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue",
                             "--approval-timeout", "6") as gw:
        locker = subprocess.Popen([sys.executable, "-c", LOCK_WHEN_TOLD, str(state_file(tmp_path))],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert locker.stdin is not None and locker.stdout is not None
        try:
            assert await asyncio.to_thread(locker.stdout.readline) == "ready\n"
            await gw.send(delete(5, "a"))
            expires = await until_held(tmp_path, "a", seconds=30)
            locker.stdin.write("\n")
            locker.stdin.flush()
            assert await asyncio.to_thread(locker.stdout.readline) == "locked\n"
            assert time.time() < expires and gw.raw_answer(5) is None, "the call timed out before the file was locked"
            # Past the time-out: the gateway waits for the file to write it.
            await asyncio.sleep(max(0.0, expires - time.time()) + 0.2)
            await the_others_at_once(gw, "during")
            assert gw.raw_answer(5) is None
            release(locker)
        finally:
            release(locker)
            locker.wait(10)
        done = await gw.answer(5)
        assert done is not None and "no human answered in time" in json.dumps(done)
    assert read_calls(gw) == [("list_flows", "during")]
    assert audited(gw) == [("allowed", None, "ok"), ("denied", "timed_out", None)]


async def test_a_held_call_cancelled_while_the_state_file_is_locked_is_withdrawn_once_it_is_free(
    tmp_path: Path,
) -> None:
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        held = await until_waiting(tmp_path, {"a"})
        with locked(state_file(tmp_path)) as locker:
            await gw.send(cancelled(5))
            await asyncio.sleep(0.3)  # the withdrawal waits for the file by now
            await the_others_at_once(gw, "during")
            await asyncio.sleep(0.5)
            release(locker)
        await until_waiting(tmp_path, set(), seconds=BUSY_TIMEOUT)
        late = await answer(tmp_path, "approve", held["a"])
        assert late.returncode == 1 and "was withdrawn by its client" in late.stderr, late
        assert await gw.answer(5, timeout=0.5) is None  # a cancelled request is not answered
    assert read_calls(gw) == [("list_flows", "during")]
    assert audited(gw) == [("denied", "cancelled", None), ("allowed", None, "ok")]  # the cancel is audited at once
    assert f"the call {held['a']} to 'delete_flow' was withdrawn from the approvals queue" in logged(tmp_path)


async def test_an_approved_call_is_sent_at_once_and_its_record_says_so_once_a_long_lock_is_let_go(
    tmp_path: Path,
) -> None:
    """The human's approval is in the file, which another program then holds past the busy
    timeout: the gateway sends the call at once (the client is answered, the other calls go on),
    and writes that it was sent once the file is free, so `show` and a late `approve` say so."""
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        held = await until_waiting(tmp_path, {"a"})
        with locked(state_file(tmp_path), DECIDE_AND_LOCK, held["a"]) as locker:
            done = await gw.answer(5, timeout=PROMPT + 0.3)  # seen within a poll (0.2 s)
            assert done is not None and "deleted prod.a" in json.dumps(done)
            await the_others_at_once(gw, "during")
            await asyncio.sleep(BUSY_TIMEOUT + 1)
            assert read_calls(gw) == [("delete_flow", "prod"), ("list_flows", "during")]
            release(locker)
        deadline = time.monotonic() + BUSY_TIMEOUT
        while '"outcome": "sent"' not in (shown := approvals(tmp_path, "show", held["a"], "--json")).stdout:
            assert time.monotonic() < deadline, shown
            await asyncio.sleep(0.1)
        late = await answer(tmp_path, "approve", held["a"], user="bob")
        assert (late.returncode, late.stdout) == (0, f"Call {held['a']} was already approved by alice and sent to the server.\n"), late
    assert ran(gw) == [("delete_flow", "prod", "a"), ("list_flows", "during", None)]
    assert audited(gw) == [("allowed", "approved", "ok"), ("allowed", None, "ok")]
    log = logged(tmp_path)
    assert f"the held call {held['a']}'s record is not written yet" in log
    assert f"the held call {held['a']}'s record was written once the state file was free" in log


async def test_an_approval_reaches_its_held_call_at_once_while_another_calls_record_waits_for_the_file(
    tmp_path: Path,
) -> None:
    """Two held calls; the client cancels one while the file is locked, so its withdrawal waits
    for the file on the store's thread. The other is approved meanwhile (the approval is in the
    file, which stays locked): it is sent within a poll, not after the withdrawal has waited out
    the lock (before: 4.6 s later)."""
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        await gw.send(delete(5, "a"))
        await gw.send(delete(6, "b"))
        held = await until_waiting(tmp_path, {"a", "b"})
        with locked(state_file(tmp_path), LOCK_THEN_DECIDE, held["a"]) as locker:
            await gw.send(cancelled(6))
            await asyncio.sleep(0.3)  # b's withdrawal waits for the file by now
            assert locker.stdin is not None and locker.stdout is not None
            locker.stdin.write("\n")
            locker.stdin.flush()
            assert (await asyncio.to_thread(locker.stdout.readline)).strip() == "decided"
            done, seconds = await timed(gw.answer(5, timeout=BUSY_TIMEOUT + 3))
            assert done is not None and "deleted prod.a" in json.dumps(done), done
            assert seconds < PROMPT + 0.3, f"the approval reached the held call {seconds:.2f} s late"
        await until_waiting(tmp_path, set(), seconds=BUSY_TIMEOUT + 3)
    assert ran(gw) == [("delete_flow", "prod", "a")]
    assert audited(gw) == [("denied", "cancelled", None), ("allowed", "approved", "ok")]


def test_approvals_command_lists_at_once_and_says_in_one_sentence_that_the_file_stayed_locked(
    tmp_path: Path,
) -> None:
    """`policytui approvals` waits in place for a locked file (it is a process of its own), then
    says so in one sentence. Listing reads the file at once; before, clearing a dead gateway's
    record made it wait out the lock and fail."""
    from policytui.gateway.approvals import ApprovalQueue, PendingApproval
    from policytui.gateway.store import open_store

    store = open_store(None, tmp_path / "state")
    queue = ApprovalQueue(store)
    now = time.time()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    waiting_id, dead_id = (
        queue.submit(PendingApproval(id="", tool="delete_flow", arguments={"flow_id": str(pid)}, args_sha256="",
                                     reason="needs approval", rule="delete_flow", created=now, expires=expires,
                                     pid=pid, host=socket.gethostname())).id
        for pid, expires in ((os.getpid(), now + 300), (dead.pid, now - 120)))
    store.close()
    with locked(state_file(tmp_path)):
        # Three listings, the fastest timed: a loaded machine slows one start by seconds.
        times = []
        for _ in range(3):
            listed, seconds = timed_run(approvals, tmp_path, "list", "--json")
            assert listed.returncode == 0, listed
            assert [entry["id"] for entry in json.loads(listed.stdout)] == [waiting_id]
            times.append(seconds)
        seconds = min(times)
        approved = approvals(tmp_path, "approve", waiting_id)
    # The dead gateway's record is cleared by the next listing with the file free.
    assert approvals(tmp_path, "show", dead_id).returncode == 0
    free, free_seconds = timed_run(approvals, tmp_path, "list", "--json")
    assert free.returncode == 0
    assert approvals(tmp_path, "show", dead_id).stderr == f"policytui approvals: no call is waiting with id {dead_id}.\n"
    # At once: a listing that waited out the lock would take the busy timeout longer than the
    # same listing of the free file (a command's start alone takes seconds on a loaded machine),
    # each of the three.
    assert seconds < free_seconds + BUSY_TIMEOUT - 1, (times, free_seconds)
    assert approved.returncode == 1 and approved.stdout == "", approved
    assert approved.stderr == (f"policytui approvals: the state file {state_file(tmp_path)} stayed locked by "
                               f"another program for {BUSY_TIMEOUT:g} s.\n"), approved
    assert "Traceback" not in approved.stderr
    # Nothing was written: the call still waits, and is answered once the file is free.
    rejected = approvals(tmp_path, "reject", waiting_id)
    assert (rejected.returncode, rejected.stdout) == (0, f"Call {waiting_id} rejected; it will not be sent.\n"), rejected


async def test_a_gateway_stopped_while_a_held_call_waits_for_a_locked_state_file_stops_at_once(
    tmp_path: Path,
) -> None:
    """SIGTERM while the held call's record waits for the file: the gateway does not wait out
    the lock, the call is not sent and has its audit line."""
    async with stdio_gateway(tmp_path, POLICY, flows_server(tmp_path), "--approvals", "queue") as gw:
        with locked(state_file(tmp_path)):
            await gw.send(delete(5, "a"))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            gw.process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(gw.process.wait(), 30) == 0
            stopped = time.monotonic() - started
    assert stopped < BUSY_TIMEOUT - 1, f"the stop waited {stopped:.2f} s"
    assert read_calls(gw) == []
    assert [(a["decision"], a.get("approval"), a["reason"]) for a in gw.audited_calls()] == [
        ("denied", "cancelled", "the gateway is stopping: the call was withdrawn while it waited for approval, and not sent")]
