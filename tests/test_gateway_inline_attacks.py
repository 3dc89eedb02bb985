"""Attacks on the inline `tools/call` path of the stdio gateway, checked from the server's side.

A stdio `tools/call` decided at once is served without a task (`policytui.gateway.inline_call`,
`Enforcer.start_now/finish_now`, `StdioUpstream.relay_now/abandon`). These tests drive it as a
hostile client (bursts in one pipe write, reused ids, stray and early cancellations, leaving
mid-call) and behind a misbehaving server (answers twice, under another call's id, under the
other JSON form of the id, under ids it never got, huge answers, dying mid-call), and prove
from the server's own log of every line it read, the audit log and the state file that:

1. only allowed calls reach the server, each exactly once, re-encoded;
2. every call has exactly one audit line, with the right `upstream` value;
3. calls the server refused are refunded, lost, timed-out and cancelled ones and ones
   answered with a result that is not one (`invalid`) stay charged, and no limit is ever passed;
4. every request gets exactly one answer (cancelled ones none), under its own id, and the
   gateway keeps serving.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines, parse_records
from gateway_support import MOST_IN_PROGRESS_OPTIONS, close_stdin_and_wait, leave, until

from policytui.gateway.audit import args_digest

pytestmark = pytest.mark.usefixtures("one_window")

SERVER = r'''
import json, os, sys, threading, time
log = open(sys.argv[1], "ab", buffering=0)
lock = threading.Lock()
TOOLS = ["echo", "danger", "slow", "err", "die", "twice", "steal", "flip", "ghost", "huge", "late", "secret", "denied", "bad",
         "progress"]

def out(text):
    with lock:
        sys.stdout.buffer.write(text.encode() + b"\n")
        sys.stdout.buffer.flush()

def result(mid, body):
    out('{"result": %s, "id": %s, "jsonrpc": "2.0"}' % (body, json.dumps(mid)))

def text(mid, words):
    result(mid, json.dumps({"content": [{"type": "text", "text": words}], "isError": False}))

for raw in sys.stdin.buffer:
    log.write(raw)
    msg = json.loads(raw)
    method, mid, params = msg.get("method"), msg.get("id"), msg.get("params") or {}
    if mid is None or method is None:
        continue
    args = params.get("arguments") or {}
    name = params.get("name")
    if method == "initialize":
        result(mid, json.dumps({"protocolVersion": params["protocolVersion"],
            "capabilities": {"tools": {}, "resources": {}}, "serverInfo": {"name": "scripted", "version": "1"}}))
    elif method == "tools/list":
        result(mid, json.dumps({"tools": [{"name": t, "inputSchema": {"type": "object"}} for t in TOOLS]}))
    elif method == "resources/read":
        pass  # never answered: a request that is not a tool call, left in flight
    elif method != "tools/call":
        out('{"jsonrpc": "2.0", "id": %s, "error": {"code": -32601, "message": "Method not found"}}' % json.dumps(mid))
    elif name == "slow":
        pass
    elif name == "die":
        os._exit(3)
    elif name == "err":
        out('{"error": {"message": "no such row", "code": -32602}, "id": %s, "jsonrpc": "2.0"}' % json.dumps(mid))
    elif name == "twice":
        text(mid, "first")
        text(mid, "second")
    elif name == "steal":
        text(args["as"], "stolen")  # under another call's id; its own is never answered
    elif name == "flip":
        text(str(mid) if isinstance(mid, int) else int(mid), "flipped")
    elif name == "ghost":
        text("never-sent", "ghost")
        text(987654321, "ghost")
        text(mid, "real")
    elif name == "huge":
        text(mid, "x" * int(args["n"]))
    elif name == "late":
        threading.Timer(float(args["delay"]), text, (mid, "late")).start()
    elif name == "bad":
        result(mid, "5")
    elif name == "progress":  # a notification and the answer in one write
        token = json.dumps((params.get("_meta") or {}).get("progressToken"))
        out('{"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": %s, "progress": 1}}\n'
            '{"result": {"content": []}, "id": %s, "jsonrpc": "2.0"}' % (token, json.dumps(mid)))
    elif name in TOOLS:
        text(mid, json.dumps(args, sort_keys=True))
    else:
        result(mid, '{"content": [{"type": "text", "text": "Unknown tool: %s"}], "isError": true}' % name)
'''

POLICY: dict[str, Any] = {
    "version": "1", "default": "allow", "hide": ["secret"], "tools": {"denied": {"action": "deny", "reason": "no"}},
}


class Client:
    """A raw-pipe MCP client in front of one gateway process."""

    def __init__(self, process: asyncio.subprocess.Process, tmp: Path) -> None:
        self.process = process
        self.upstream_log = tmp / "upstream.log"
        self.audit = tmp / "audit.jsonl"
        self.seen: Counter[Any] = Counter()  # answers by id, over the whole session
        self.fence = 0

    async def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        await self.process.stdin.drain()

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        if isinstance(message, dict):
            message = json.dumps(message)
        data = message.encode() if isinstance(message, str) else message
        await self.write(data.rstrip(b"\n") + b"\n")

    async def line(self, timeout: float = 20) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert raw, "the gateway closed its output"
        message = json.loads(raw)
        if "method" not in message:
            self.seen[_key(message.get("id"))] += 1
        return message

    async def answers(self, ids: list[Any], timeout: float = 20) -> dict[Any, dict[str, Any]]:
        """The answers to `ids` (each exactly once, nothing else in between)."""
        wanted = {_key(i) for i in ids}
        found: dict[Any, dict[str, Any]] = {}
        while len(found) < len(wanted):
            message = await self.line(timeout)
            if "method" in message:
                continue
            key = _key(message.get("id"))
            assert key in wanted, f"an answer to no request asked for: {message}"
            assert key not in found, f"a second answer to {key!r}: {message}"
            found[key] = message
        return found

    async def settle(self) -> None:
        """A ping fence: every answer owed before it has been read, and no stray one arrived."""
        self.fence += 1
        fence = f"fence-{self.fence}"
        await self.send({"jsonrpc": "2.0", "id": fence, "method": "ping"})
        while True:
            message = await self.line()
            if message.get("id") == fence:
                return
            assert "method" in message, f"an answer nobody was owed: {message}"

    def received(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.upstream_log.read_bytes().splitlines()]

    def received_calls(self) -> list[dict[str, Any]]:
        return [m for m in self.received() if m.get("method") == "tools/call"
                and not str(m["params"]["name"]).startswith("policytui-probe")]

    def calls(self) -> list[dict[str, Any]]:
        lines = outcome_lines(self.audit)
        return [line for line in lines if line["decision"] != "probe"]


def _key(request_id: Any) -> Any:
    return (type(request_id).__name__, request_id)


@asynccontextmanager
async def gateway(
    tmp: Path, *extra: str, policy: dict[str, Any] = POLICY, state: Path | None = None, policy_file: Path | None = None,
    server: str = SERVER, python: tuple[str, ...] = ("-m", "policytui"),
) -> AsyncIterator[Client]:
    """A gateway process in `tmp` (`python -m policytui`, or Python with the arguments `python`)
    in front of `server`; `policy` is written to `policy_file` (default `tmp/policy.json`):
    gateways sharing a state file share a policy's counters when they are given one file."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "server.py").write_text(server, encoding="utf-8")
    policy_file = policy_file or tmp / "policy.json"
    policy_file.write_text(json.dumps(policy), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, *python, "gateway", "--policy", str(policy_file),
        "--state-dir", str(state or tmp / "state"), "--audit", str(tmp / "audit.jsonl"),
        "--log", str(tmp / "gateway.log"), *MOST_IN_PROGRESS_OPTIONS, *extra, "--", sys.executable,
        str(tmp / "server.py"),
        str(tmp / "upstream.log"),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        limit=1 << 26,
    )
    client = Client(process, tmp)
    try:
        await client.send({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "attack", "version": "1"}}})
        assert (await client.line(60))["result"]["serverInfo"]["name"] == "scripted"
        await client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield client
    finally:
        await close_stdin_and_wait(process)


def call(request_id: Any, name: str, **args: Any) -> str:
    """A tools/call as a hostile client writes it: spaces, an escaped name, key order of its
    own, so that a forwarded copy of these bytes is told apart from a re-encoded one."""
    escaped = name[:-1] + f"\\u{ord(name[-1]):04x}"
    return (f'{{"params": {{"arguments": {json.dumps(args)}, "name": "{escaped}"}}, '
            f'"method": "tools/call", "id": {json.dumps(request_id)}, "jsonrpc": "2.0"}}')


def reencoded(request_id: Any, name: str, **args: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": name, "arguments": args}}


def cancel(request_id: Any) -> str:
    return json.dumps({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id}})


def counters(state: Path) -> dict[str, int]:
    """The state file's counters: name -> calls counted in the current window."""
    db = sqlite3.connect(state / "state.sqlite")
    try:
        return {json.loads(name)[1]: used for name, used in db.execute("SELECT name, used FROM counters")}
    finally:
        db.close()


def limited(maximum: int, *tools: str) -> dict[str, Any]:
    budget = {"limits": [{"counter": "c", "window": "day", "max": maximum}]}
    return {**POLICY, "tools": {**POLICY["tools"], **{tool: budget for tool in tools}}}


# 1 + 4: a burst in one pipe write ------------------------------------------------------------


async def test_a_burst_of_200_in_one_write_is_decided_charged_and_answered_exactly(tmp_path: Path) -> None:
    """Catches: a call forwarded twice or as the client's bytes, a denied/hidden/over-limit
    call reaching the server, a lost or doubled answer or audit line when 200 requests are
    read from one chunk and served without a task, refunds lost or counters passing 50."""
    policy = limited(50, "echo", "err")
    async with gateway(tmp_path, policy=policy) as client:
        lines, kinds = [], {}
        for i in range(200):
            kind = ["echo", "ping", "denied", "secret", "err", "echo", "echo", "bad"][i % 8]
            kinds[i] = kind
            if kind == "ping":
                lines.append(json.dumps({"jsonrpc": "2.0", "id": i, "method": "ping"}))
            else:
                lines.append(call(i, kind, m=f"k{i}", s="caf\u00e9"))
        await client.write(("\n".join(lines) + "\n").encode())
        answers = await client.answers(list(range(200)))
        await client.settle()

        # The budget is charged in order, at decision time: the first 50 echo/err calls pass.
        charged = [i for i in range(200) if kinds[i] in ("echo", "err")][:50]
        for i in range(200):
            answer = answers[_key(i)]
            assert answer["id"] == i
            if kinds[i] == "ping":
                assert answer["result"] == {}
            elif kinds[i] == "err":
                assert answer["error"]["message"] == "no such row" if i in charged else answer["result"]["isError"]
            elif kinds[i] == "bad":
                assert answer["error"]["code"] == -32603
            elif kinds[i] == "echo" and i in charged:
                assert answer["result"]["isError"] is False
                assert json.loads(answer["result"]["content"][0]["text"]) == {"m": f"k{i}", "s": "caf\u00e9"}
            else:
                assert answer["result"]["isError"] is True
        forwarded = sorted(charged + [i for i in range(200) if kinds[i] == "bad"])
        received = client.received_calls()
        assert sorted(m["id"] for m in received) == forwarded  # each once, nothing else
        for message in received:
            assert message == reencoded(message["id"], kinds[message["id"]], m=f"k{message['id']}", s="caf\u00e9")
        raw = client.upstream_log.read_bytes()
        assert b'"params": {' not in raw and b"\\u006f" not in raw  # never the client's bytes

        # Refunded: the err calls. The bad ones (a result that is not one, audited `invalid`)
        # carried no charge: their tool has no limit here.
        refunded = [i for i in charged if kinds[i] == "err"]
        assert counters(tmp_path / "state") == {"c": 50 - len(refunded)}
        more = list(range(1000, 1000 + len(refunded) + 1))
        await client.write("".join(call(i, "echo", m=f"k{i}") + "\n" for i in more).encode())
        again = await client.answers(more)
        assert [again[_key(i)]["result"]["isError"] for i in more] == [False] * len(refunded) + [True]
        assert counters(tmp_path / "state") == {"c": 50}

    audit = client.calls()
    # Each call that reached the server has exactly one audit line, found by its arguments.
    digests = Counter(c["args_sha256"] for c in audit)
    for message in received:
        digest = args_digest(message["params"]["arguments"])
        assert digests[digest] == 1
        line = next(c for c in audit if c["args_sha256"] == digest)
        assert line["decision"] == "allowed"
        assert line["upstream"] == {"echo": "ok", "err": "error", "bad": "invalid"}[message["params"]["name"]]
    by_tool = Counter((c["tool"], c["decision"], c.get("upstream")) for c in audit)
    echo_ok = sum(kinds[i] == "echo" for i in charged) + len(refunded)
    assert by_tool == Counter({
        ("echo", "allowed", "ok"): echo_ok,
        ("echo", "denied", None): sum(k == "echo" for k in kinds.values()) - sum(kinds[i] == "echo" for i in charged) + 1,
        ("err", "allowed", "error"): len(refunded),
        ("err", "denied", None): sum(k == "err" for k in kinds.values()) - len(refunded),
        ("bad", "allowed", "invalid"): 25,
        ("denied", "denied", None): 25,
        ("secret", "hidden", None): 25,
    })


# 4: ids reused, cancellations stray, twice, early, for other requests ----------------------


async def test_reused_ids_and_stray_cancellations_never_double_or_lose_an_answer(tmp_path: Path) -> None:
    """Catches: a second call under an id in flight being forwarded or answered under that
    id, a cancel for an unknown id / the other JSON form of an id / a finished call / a
    request not yet read touching another call, a cancelled call answered or audited twice,
    a reused id travelling upstream under the id the server may still answer."""
    async with gateway(tmp_path, "--call-timeout", "1.5") as client:
        await client.send(call(7, "slow"))
        await until(lambda: any(m.get("id") == 7 for m in client.received_calls()))
        # The same id while it is in flight: refused, not forwarded, the first call untouched.
        await client.send(call(7, "echo", m="dup"))
        refused = await client.line()
        assert refused["id"] is None and refused["error"]["code"] == -32600
        # Cancels for ids in no flight, for "7" (not 7), for an id whose line comes later.
        for stray in (999, "7", None, [7], 8):
            await client.send(cancel(stray))
        await client.send(call(8, "late", delay=0.2))  # the cancel for 8 came before it: stands
        assert (await client.answers([8]))[_key(8)]["result"]["content"][0]["text"] == "late"
        # A non-inline request in flight, cancelled: no answer, and the call next to it goes on.
        await client.send({"jsonrpc": "2.0", "id": 20, "method": "resources/read", "params": {"uri": "x://y"}})
        await client.send(call(21, "late", delay=0.3))
        await until(lambda: any(m.get("id") == 20 for m in client.received()))
        await client.send(cancel(20))
        await client.send(cancel(20))
        assert (await client.answers([21]))[_key(21)]["result"]["content"][0]["text"] == "late"
        # Cancel 7 twice: no answer, one audit line; then reuse 7 at once.
        await client.send(cancel(7))
        await client.send(cancel(7))
        await client.send(call(7, "echo", m="reuse"))
        reused = (await client.answers([7]))[_key(7)]
        assert json.loads(reused["result"]["content"][0]["text"]) == {"m": "reuse"}
        # A call that times out, and its id reused while the server may still answer it.
        await client.send(call(9, "slow"))
        timed_out = (await client.answers([9], timeout=10))[_key(9)]
        assert timed_out["error"]["code"] == -32001
        await client.send(cancel(9))  # too late: nothing happens
        await client.send(call(9, "late", delay=0.1))
        assert (await client.answers([9]))[_key(9)]["result"]["content"][0]["text"] == "late"
        # A call cancelled after its answer was sent: nothing more.
        await client.send(call(10, "echo", m="done"))
        await client.answers([10])
        await client.send(cancel(10))
        await client.settle()
        received = client.received_calls()
        cancels = [m["params"]["requestId"] for m in client.received() if m.get("method") == "notifications/cancelled"]

    by_id: dict[Any, list[str]] = {}
    for message in received:
        by_id.setdefault(message["params"]["name"], []).append(message["id"])
    # 7 (slow) once under 7; its reuse (echo) under an id of the gateway's own, never 7 again.
    assert by_id["slow"][0] == 7 and by_id["slow"][1] == 9
    assert [m["params"]["arguments"] for m in received if m["params"]["name"] == "echo"] == [
        {"m": "reuse"}, {"m": "done"}]
    echo_ids = [m["id"] for m in received if m["params"]["name"] == "echo"]
    assert echo_ids[0] not in (7, "7") and echo_ids[1] == 10
    late_ids = [m["id"] for m in received if m["params"]["name"] == "late"]
    assert late_ids[:2] == [8, 21] and late_ids[2] not in (9, "9")  # 9 may still be answered
    assert sorted(cancels, key=str) == sorted([7, 9, 20], key=str)  # each told once
    assert client.seen[_key(20)] == 0 and client.seen[_key(7)] == 1  # the reuse's answer only
    # The call under 7 while 7 was in flight: refused before anything was decided or charged,
    # with a line of its own naming the tool and its arguments' digest, as read without doubt.
    assert [(c["tool"], c["decision"], c.get("upstream")) for c in client.calls()] == [
        ("echo", "refused", None), ("late", "allowed", "ok"), ("late", "allowed", "ok"),
        ("slow", "allowed", "cancelled"), ("echo", "allowed", "ok"), ("slow", "allowed", "timeout"),
        ("late", "allowed", "ok"), ("echo", "allowed", "ok")]
    refused_line = client.calls()[0]
    assert refused_line["reason"] == "Invalid Request: the id of a request still in progress"
    assert refused_line["args_sha256"] == args_digest({"m": "dup"})


async def test_cancels_in_the_same_chunk_and_calls_arriving_as_time_outs_fire(tmp_path: Path) -> None:
    """Catches: a call cancelled in the very chunk that carried it (before the server could
    answer) still answered, or its late answer taken for the call reusing its id next in that
    chunk; a time-out firing while other calls are read and forwarded answering or auditing
    the wrong call, refunding a timed-out call, or losing a call in between."""
    policy = limited(1000, "slow", "echo")
    async with gateway(tmp_path, "--call-timeout", "0.6", policy=policy) as client:
        chunk = [call(1, "echo", m="first"), cancel(1), call(1, "echo", m="second"),
                 call(2, "echo", m="gone"), cancel(2), call(3, "slow"), cancel(3), cancel(3)]
        await client.write(("\n".join(chunk) + "\n").encode())
        answer = (await client.answers([1]))[_key(1)]
        assert json.loads(answer["result"]["content"][0]["text"]) == {"m": "second"}
        await client.settle()
        # 30 calls that will time out together, and echo calls streaming in as they do.
        slow = [f"s{i}" for i in range(30)]
        await client.write("".join(call(i, "slow") + "\n" for i in slow).encode())
        echo = []
        loop = asyncio.get_running_loop()
        began = loop.time()
        while loop.time() - began < 1.2:
            batch = [f"e{len(echo) + i}" for i in range(10)]
            echo += batch
            await client.write("".join(call(i, "echo", m=i) + "\n" for i in batch).encode())
            await asyncio.sleep(0.02)
        answers = await client.answers(slow + echo)
        await client.settle()
        assert all(answers[_key(i)]["error"]["code"] == -32001 for i in slow)
        assert all(json.loads(answers[_key(i)]["result"]["content"][0]["text"]) == {"m": i} for i in echo)
        assert client.seen[_key(2)] == 0 and client.seen[_key(3)] == 0
        received = client.received_calls()
        cancels = Counter(m["params"]["requestId"] for m in client.received() if m.get("method") == "notifications/cancelled")
    firsts = [m for m in received if m["params"]["name"] == "echo" and m["params"]["arguments"].get("m") in ("first", "second", "gone")]
    assert [(m["params"]["arguments"]["m"], m["id"] in (1, 2)) for m in firsts] == [
        ("first", True), ("second", False), ("gone", True)]  # "second" under an id of the gateway's
    assert Counter(m["id"] for m in received) == Counter({m["id"]: 1 for m in received})
    assert len(received) == 3 + 1 + 30 + len(echo)
    assert cancels == Counter({1: 1, 2: 1, 3: 1, **{i: 1 for i in slow}})
    audit = Counter((c["tool"], c.get("upstream")) for c in client.calls())
    assert audit == Counter({("echo", "cancelled"): 2, ("echo", "ok"): 1 + len(echo), ("slow", "cancelled"): 1,
                             ("slow", "timeout"): 30})
    assert counters(tmp_path / "state") == {"c": 3 + 1 + 30 + len(echo)}  # nothing refunded


# 4: a misbehaving server -----------------------------------------------------------------------


async def test_a_server_answering_wrongly_cannot_double_an_answer_or_audit_line(tmp_path: Path) -> None:
    """Catches: a second answer from the server reaching the client, an answer under an id
    nobody asked with or under the other JSON form of an id being taken for a call, a call
    answered twice (once by the thief's line, once by its time-out), an audit line missing or
    doubled, a huge answer truncated or blocking the others."""
    policy = limited(100, "twice", "steal", "flip", "ghost", "huge", "slow")
    async with gateway(tmp_path, "--call-timeout", "1.5", policy=policy) as client:
        batch = [
            call(1, "twice"),
            call(2, "slow"),
            call(3, "steal", **{"as": 2}),  # answers 2 with its result; 3 is never answered
            call(4, "flip"),  # answered as "4"
            call("5", "flip"),  # answered as 5
            call(6, "ghost"),
            call(7, "huge", n=8_000_000),
            json.dumps({"jsonrpc": "2.0", "id": 8, "method": "ping"}),
        ]
        await client.write(("\n".join(batch) + "\n").encode())
        answers = await client.answers([1, 2, 3, 4, "5", 6, 7, 8], timeout=15)
        await client.settle()
        assert answers[_key(1)]["result"]["content"][0]["text"] == "first"
        assert answers[_key(2)]["result"]["content"][0]["text"] == "stolen"
        for timed_out in (3, 4, "5"):
            assert answers[_key(timed_out)]["error"]["code"] == -32001
        assert answers[_key(6)]["result"]["content"][0]["text"] == "real"
        assert len(answers[_key(7)]["result"]["content"][0]["text"]) == 8_000_000
        assert answers[_key(8)]["result"] == {}
        # Still serving, and the late/duplicate ids of the server stay out of the way.
        await client.send(call(1, "echo", m="after"))
        await client.send(call(3, "echo", m="after"))
        after = await client.answers([1, 3])
        assert all(not a["result"]["isError"] for a in after.values())
        received = client.received_calls()
    assert sorted((m["params"]["name"], str(m["id"])) for m in received if m["params"]["name"] != "echo") == [
        ("flip", "4"), ("flip", "5"), ("ghost", "6"), ("huge", "7"), ("slow", "2"), ("steal", "3"), ("twice", "1")]
    assert [m["id"] for m in received if m["params"]["name"] == "echo"][1] not in (3, "3")  # 3 is retired
    assert sorted((c["tool"], c.get("upstream")) for c in client.calls()) == sorted([
        ("twice", "ok"), ("slow", "ok"), ("steal", "timeout"), ("flip", "timeout"), ("flip", "timeout"),
        ("ghost", "ok"), ("huge", "ok"), ("echo", "ok"), ("echo", "ok")])
    assert counters(tmp_path / "state") == {"c": 7}  # time-outs keep their charge


# 2 + 3: a server dying, a client leaving --------------------------------------------------------


async def test_a_server_dying_mid_burst_keeps_the_charge_of_every_call_written_to_it(tmp_path: Path) -> None:
    """Catches: an inline call left unanswered or unaudited when the connection fails, a call
    written to the dying server refunded (it may have run), a call after the death forwarded
    anywhere, charged or given a `sent` line."""
    policy = limited(100, "slow", "echo", "die")
    async with gateway(tmp_path, policy=policy) as client:
        await client.write(("\n".join(
            [call(i, "slow") for i in range(10)] + [call(10, "die")] + [call(i, "echo") for i in range(11, 20)]
        ) + "\n").encode())
        answers = await client.answers(list(range(20)))
        for answer in answers.values():
            assert "unavailable" in answer["error"]["message"]
        await client.write((call(20, "echo") + "\n" + call(21, "denied") + "\n").encode())
        after = await client.answers([20, 21])
        assert "unavailable" in after[_key(20)]["error"]["message"]
        assert after[_key(21)]["result"]["isError"] is True
        await client.settle()
    assert [m["id"] for m in client.received_calls()][:11] == list(range(11))
    outcomes = Counter(c.get("upstream") for c in client.calls())
    # Written before the death was known (the slow ones, the one that kills it, and those of
    # the burst after it): `lost`, counted. After it: never sent, not counted.
    assert outcomes["lost"] >= 11 and outcomes["lost"] + outcomes["unavailable"] == 21 and outcomes[None] == 1, outcomes
    assert len([r for r in parse_records(client.audit.read_text(encoding="utf-8"))
                if r.get("upstream") == "sent" and r["decision"] != "probe"]) == outcomes["lost"]
    assert counters(tmp_path / "state") == {"c": outcomes["lost"]}


async def test_a_client_leaving_with_calls_in_flight_has_each_audited_cancelled_and_charged(tmp_path: Path) -> None:
    """Catches: an inline call lost from the audit (or audited twice) when standard input
    closes with it in flight, a cancelled call refunded, a gateway that hangs at exit."""
    policy = limited(1000, "slow", "echo")
    async with gateway(tmp_path, policy=policy) as client:
        await client.write(("\n".join([call(i, "slow") for i in range(60)] + [call(60, "echo")]) + "\n").encode())
        await client.answers([60])
        await until(lambda: len(client.received_calls()) == 61)
        assert client.process.stdin is not None
        leave(client.process)
        assert await asyncio.wait_for(client.process.wait(), 20) == 0
    audit = client.calls()
    assert Counter((c["tool"], c.get("upstream")) for c in audit) == Counter({("slow", "cancelled"): 60, ("echo", "ok"): 1})
    assert counters(tmp_path / "state") == {"c": 61}


@pytest.mark.parametrize("path", ["general", "inline"])
async def test_a_client_that_stopped_reading_is_not_served_further(tmp_path: Path, path: str) -> None:
    """Catches: a gateway that keeps forwarding (and charging) a client's calls after the
    client's end of standard output is gone. The general path (a dry run sends every call
    through `StdioRelay._handle`) notices at the first answer it cannot deliver (`drain()`
    raises); the inline path never drains, and notices because the pipe transport closes
    when its reader goes (a write on it only logs a warning). Either way serving stops."""
    extra = ("--dry-run",) if path == "general" else ()
    async with gateway(tmp_path, *extra) as client:
        await client.send(call(1, "echo"))
        await client.answers([1])
        transport = client.process._transport  # type: ignore[attr-defined]
        transport.get_pipe_transport(1).close()  # the client stops reading: its end is closed
        await asyncio.sleep(0.2)
        for i in range(2, 12):
            try:
                await client.send(call(i, "echo", m=i))
            except (ConnectionError, BrokenPipeError):
                break  # the gateway stopped serving: what it should do
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        after = [m["id"] for m in client.received_calls() if m["id"] != 1]
        assert len(after) <= 1, f"forwarded after the client stopped reading: {after}"
        await asyncio.wait_for(client.process.wait(), 5)  # and it stopped by itself


# 1 + 2: the policy file turning invalid mid-stream ---------------------------------------------


async def test_an_invalid_policy_file_denies_every_inline_call_until_fixed(tmp_path: Path) -> None:
    """Catches: the inline path deciding on the last valid policy instead of failing closed,
    a hidden tool becoming visible or forwarded, calls in flight answered twice."""
    async with gateway(tmp_path, "--reload-interval", "0.1") as client:
        await client.send(call(1, "late", delay=1.0))
        await until(lambda: any(m.get("id") == 1 for m in client.received_calls()))
        (tmp_path / "policy.json").write_text('{"version": "1", "default": "maybe"}', encoding="utf-8")
        probe = 100
        while True:  # until the watcher has seen it
            await client.send(call(probe, "echo"))
            answer = (await client.answers([probe]))[_key(probe)]
            if answer["result"].get("isError"):
                break
            probe += 1
            await asyncio.sleep(0.05)
        first_denied = probe
        burst = list(range(200, 300))
        await client.write("".join(call(i, ["echo", "secret", "denied", "late"][i % 4], delay=0) + "\n"
                                   for i in burst).encode())
        answers = await client.answers([1, *burst])
        assert answers[_key(1)]["result"]["content"][0]["text"] == "late"  # decided before: served
        for i in burst:
            text = answers[_key(i)]["result"]["content"][0]["text"]
            assert answers[_key(i)]["result"]["isError"] is True
            assert (text == "Unknown tool: secret") if i % 4 == 1 else "not a valid policy" in text
        (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
        await until(lambda: "valid again" in (tmp_path / "gateway.log").read_text(encoding="utf-8"))
        await client.send(call(400, "echo", m="fixed"))
        assert not (await client.answers([400]))[_key(400)]["result"]["isError"]
        await client.settle()
    forwarded = [m["id"] for m in client.received_calls()]
    assert forwarded == [1, *range(100, first_denied), 400]
    assert len(client.calls()) == 2 + (first_denied - 100) + 1 + 100
    assert Counter((c["tool"], c["decision"], c["rule"]) for c in client.calls()
                   if c["rule"] in ("policy_file", "hide")) == Counter(
        {("echo", "denied", "policy_file"): 26, ("denied", "denied", "policy_file"): 25,
         ("late", "denied", "policy_file"): 25, ("secret", "hidden", "hide"): 25})


# 3: counters shared by two gateways, leases ---------------------------------------------------


async def test_two_gateways_on_one_state_file_never_pass_a_limit_and_give_leases_back(tmp_path: Path) -> None:
    """Catches: a limit passed when two processes charge the same SQLite counter (exactness
    within 1,024 calls of the limit), refunds of leased calls lost or doubled, leases not given
    back at exit (the file would count calls never made)."""
    state = tmp_path / "shared"
    big = limited(1_000_000, "echo", "err")
    async with gateway(tmp_path / "a", policy=big, state=state, policy_file=tmp_path / "limits.json") as a, gateway(tmp_path / "b", policy=big, state=state, policy_file=tmp_path / "limits.json") as b:
        for round_ in range(3):
            for who, client in (("a", a), ("b", b)):
                ids = [f"{who}{round_}-{i}" for i in range(100)]
                await client.write("".join(call(i, "err" if n % 5 == 0 else "echo") + "\n"
                                           for n, i in enumerate(ids)).encode())
                await client.answers(ids)
        # In the file: the 480 calls charged and up to a lease of 64 per gateway not yet used.
        assert 2 * 3 * 80 <= counters(state)["c"] <= 2 * 3 * 80 + 2 * 64
    assert counters(state) == {"c": 2 * 3 * 80}  # leases given back; the err calls refunded

    # The same file with a lower limit: the calls counted above are part of its budget.
    exact = limited(1100, "echo", "err")
    async with gateway(tmp_path / "c", policy=exact, state=state, policy_file=tmp_path / "limits.json") as a, gateway(tmp_path / "d", policy=exact, state=state, policy_file=tmp_path / "limits.json") as b:
        allowed = {"c": 0, "d": 0}
        denied = {"c": False, "d": False}

        async def burst(who: str, client: Client, round_: int) -> None:
            ids = [f"{who}{round_}-{i}" for i in range(150)]
            await client.write("".join(call(i, "echo") + "\n" for i in ids).encode())
            got = await client.answers(ids)
            ok = sum(not g["result"]["isError"] for g in got.values())
            allowed[who] += ok
            denied[who] = ok < len(ids)

        round_ = 0
        while not all(denied.values()):  # both gateways charging the same counter at once
            round_ += 1
            await asyncio.gather(burst("c", a, round_), burst("d", b, round_))
        assert sum(allowed.values()) == 1100 - 480  # exactly the room there was
        assert counters(state) == {"c": 1100}
    assert len(a.received_calls()) + len(b.received_calls()) == 620


async def test_two_gateways_charging_two_budgets_per_call_at_once_stay_exact(tmp_path: Path) -> None:
    """Catches: a call charged on one budget and not the other, or a limit passed, when two
    gateways charge a tool limit and an `all_tools` limit together (one SQLite transaction)
    for calls served inline at the same moment."""
    state = tmp_path / "shared"
    policy = {**POLICY, "all_tools": {"limits": [{"counter": "all", "window": "hour", "max": 70}]},
              "tools": {**POLICY["tools"], "echo": {"limits": [{"counter": "e", "window": "day", "max": 45}]}}}
    async with gateway(tmp_path / "a", policy=policy, state=state, policy_file=tmp_path / "policy.json") as a, gateway(tmp_path / "b", policy=policy, state=state, policy_file=tmp_path / "policy.json") as b:

        async def burst(who: str, client: Client) -> int:
            ids = [f"{who}-{i}" for i in range(60)]
            await client.write("".join(call(i, "echo" if n % 2 else "late", delay=0) + "\n"
                                       for n, i in enumerate(ids)).encode())
            got = await client.answers(ids)
            return sum(not g["result"]["isError"] for g in got.values())

        allowed = sum(await asyncio.gather(burst("a", a), burst("b", b)))
        used = counters(state)
        received = a.received_calls() + b.received_calls()
    assert allowed == len(received) == used["all"] == 70
    assert used["e"] == sum(m["params"]["name"] == "echo" for m in received) <= 45


@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_a_tighter_limit_on_a_shared_counter_holds_while_calls_are_leased(tmp_path: Path, store: str) -> None:
    """Catches a lease handed to another limit. "Limits with the same counter and scope share one budget"
    (docs/policy.md), each with its own max: here `echo` may use counter c up to 1,000,000 a
    day and `danger` only while c is under 3. After 5 echo calls c is at 5, so every danger
    call must be denied (as the memory store does). Over SQLite the second echo call leased
    64 calls of c (room > 1,024 under echo's max) and `_reserve_one` hands them to `danger`
    too, unless a lease serves only the limit it was taken under (10 danger calls allowed, c =
    15 against a max of 3, before that rule)."""
    extra = ("--state", "memory://") if store == "memory" else ()
    policy = {**POLICY, "tools": {
        "echo": {"limits": [{"counter": "c", "window": "day", "max": 1_000_000}]},
        "danger": {"limits": [{"counter": "c", "window": "day", "max": 3}]},
    }}
    async with gateway(tmp_path, *extra, policy=policy) as client:
        await client.write("".join(call(i, "echo") + "\n" for i in range(5)).encode())
        await client.answers(list(range(5)))
        ids = list(range(10, 20))
        await client.write("".join(call(i, "danger") + "\n" for i in ids).encode())
        got = await client.answers(ids)
        allowed = [i for i in ids if not got[_key(i)]["result"]["isError"]]
        reached = [m["id"] for m in client.received_calls() if m["params"]["name"] == "danger"]
    assert reached == allowed
    assert allowed == []


@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_a_lowered_limit_applies_at_once_even_with_calls_leased(tmp_path: Path, store: str) -> None:
    """Catches a lease outliving its limit through a reload: with room for over 1,024 more calls, the
    second call leases 64 calls of the counter. Tighten the policy from 1,000,000 a day to 10
    a day: the lease must go back, and exactly 8 more calls be allowed, as in memory (without
    that, the next 64 calls were allowed: 66 against a limit of 10)."""
    extra = ("--state", "memory://") if store == "memory" else ()
    async with gateway(tmp_path, "--reload-interval", "0.1", "--log-level", "info", *extra,
                       policy=limited(1_000_000, "echo")) as client:
        await client.write((call(0, "echo") + "\n" + call(1, "echo") + "\n").encode())
        await client.answers([0, 1])
        (tmp_path / "policy.json").write_text(json.dumps(limited(10, "echo")), encoding="utf-8")
        await until(lambda: "reloaded" in (tmp_path / "gateway.log").read_text(encoding="utf-8"), 5)
        ids = list(range(2, 102))
        await client.write("".join(call(i, "echo") + "\n" for i in ids).encode())
        got = await client.answers(ids)
        allowed = 2 + sum(not g["result"]["isError"] for g in got.values())
    assert len(client.received_calls()) == allowed
    assert allowed == 10


async def test_a_pipelined_burst_mixing_inline_calls_and_other_requests_reaches_the_server_in_order(
    tmp_path: Path,
) -> None:
    """Calls decided at once are served in the callback that read them; a line that goes the
    ordinary way holds every later line back until the relay has taken it, so the calls reach
    the server in the client's order, the request between them too, each once, and each call
    is answered and audited once."""
    async with gateway(tmp_path) as client:
        burst = [
            call(1, "echo", n=1),
            json.dumps({"jsonrpc": "2.0", "id": 2, "method": "resources/read", "params": {"uri": "x:/never"}}),
            call(3, "echo", n=3),
            call(4, "denied"),
            json.dumps({"jsonrpc": "2.0", "id": 5, "method": "ping"}),
            call(6, "echo", n=6),
            call(7, "echo", n=7),
        ]
        await client.write("".join(line + "\n" for line in burst).encode())
        answers = await client.answers([1, 3, 4, 5, 6, 7])
        await client.settle()
        await until(lambda: any(m.get("method") == "resources/read" for m in client.received()))
        assert [(m["id"], m["params"]["arguments"]) for m in client.received_calls()] == [
            (1, {"n": 1}), (3, {"n": 3}), (6, {"n": 6}), (7, {"n": 7})]
        reads = [m for m in client.received() if m.get("method") == "resources/read"]
        assert [(m["id"], m["params"]) for m in reads] == [(2, {"uri": "x:/never"})]
        # The read the server never answers is still in progress: the client gives it up.
        await client.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 2}})
        await client.settle()
    assert answers[_key(4)]["result"]["isError"] is True
    assert answers[_key(5)]["result"] == {}
    assert [json.loads(a["result"]["content"][0]["text"]) for k, a in answers.items() if k[1] in (1, 3, 6, 7)] == [
        {"n": 1}, {"n": 3}, {"n": 6}, {"n": 7}]
    assert sorted((c["tool"], c["decision"], c.get("upstream")) for c in client.calls()) == sorted(
        [("echo", "allowed", "ok")] * 4 + [("denied", "denied", None)])
    assert client.seen[_key(2)] == 0  # cancelled: no answer


async def test_a_notification_and_the_answer_in_one_write_reach_the_client_in_that_order(tmp_path: Path) -> None:
    """An answer is settled in the callback that read it, but never ahead of a notification the
    server wrote before it: the progress arrives first, then the answer, each once."""
    async with gateway(tmp_path) as client:
        for n in range(3):
            await client.send({"jsonrpc": "2.0", "id": f"p{n}", "method": "tools/call",
                               "params": {"name": "progress", "arguments": {}, "_meta": {"progressToken": f"t{n}"}}})
            first, second = await client.line(), await client.line()
            assert first == {"jsonrpc": "2.0", "method": "notifications/progress",
                             "params": {"progressToken": f"t{n}", "progress": 1}}
            assert second["id"] == f"p{n}" and second["result"] == {"content": []}
        await client.settle()
    assert [c["tool"] for c in client.calls()] == ["progress"] * 3


async def test_each_relayed_call_times_out_after_its_own_limit_with_answers_in_between(tmp_path: Path) -> None:
    """All relayed calls share one timer, set for the soonest due: a call sent later must time
    out a full limit after it was sent, not with the first; calls answered in between must not
    move or cancel anybody's limit."""
    async with gateway(tmp_path, "--call-timeout", "1") as client:
        loop = asyncio.get_running_loop()
        arrived: dict[Any, tuple[float, dict[str, Any]]] = {}

        async def read() -> None:
            while True:
                message = await client.line(60)
                if "method" not in message:
                    arrived[message["id"]] = (loop.time(), message)

        reader = asyncio.ensure_future(read())
        try:
            sent: dict[str, float] = {}
            for name in ("a", "b", "c"):
                sent[name] = loop.time()
                await client.send(call(name, "slow"))
                for i in range(5):  # calls answered in between
                    await client.send(call(f"{name}{i}", "echo", i=i))
                echoes = [f"{name}{i}" for i in range(5)]
                await until(lambda echoes=echoes: all(e in arrived for e in echoes))
                await asyncio.sleep(0.4 - (loop.time() - sent[name]))
            await until(lambda: all(name in arrived for name in sent), seconds=30)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        await client.settle()
    for name in ("a", "b", "c"):
        assert arrived[name][1]["error"]["code"] == -32001
        assert arrived[name][0] - sent[name] >= 0.95, (name, arrived[name][0] - sent[name])
        assert all(arrived[f"{name}{i}"][1]["result"]["isError"] is False for i in range(5))
    # Sent 0.4 s apart, so timed out about 0.4 s apart: not together with the first.
    assert arrived["b"][0] - arrived["a"][0] >= 0.3 and arrived["c"][0] - arrived["b"][0] >= 0.3
    assert Counter((c["tool"], c.get("upstream")) for c in client.calls()) == Counter(
        {("slow", "timeout"): 3, ("echo", "ok"): 15})
