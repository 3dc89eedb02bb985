"""A hostile MCP 2026-07-28 client against the stdio gateway, mixing modern and handshake-era
messages on one connection, checked from the server's side (every byte it read) and the audit log.

The servers: a scripted one (below) that logs every line it reads and can ask its client for
an elicitation in the middle of a call; the mcp Python SDK's server that records every call it
runs (tests/servers/recording/flows_server.py, behind tee_stdin.py); server-everything (npm).

Holes these tests found (fixed in policytui/gateway, see docs/gateway.md "Protocol versions
served"):

1. A request and its `notifications/cancelled` read in one chunk: the request's task was
   cancelled before its first step, so `_handle`'s `finally` never ran and the id stayed "in
   progress" for good (every later request under it refused, one entry left per pair).
2. A `_meta` protocol version of another type (`20260728`, `null`, `["2026-07-28"]`) was
   served as a handshake-era request instead of refused as an unsupported version.
3. A server's request (elicitation, sampling, roots) made during a 2026-07-28 call was relayed
   to the client when an `initialize` on the same connection had announced the capability,
   although the modern request cannot carry it: now the server gets the documented error.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from gateway_support import close_stdin_and_wait, until

from policytui.gateway import wire
from policytui.gateway.audit import args_digest
from policytui.gateway.enforcer import CANCELLED_BEFORE_START

pytestmark = pytest.mark.usefixtures("one_window")

ROOT = Path(__file__).resolve().parent
RECORDING = ROOT / "servers" / "recording"
VERSION = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": VERSION, "io.modelcontextprotocol/clientCapabilities": {}}
CAPABLE = {**META, "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}}}
APPROVE = {"policytui-approval": {"action": "accept", "content": {"approve": True}}}

SERVER = r'''
import json, os, sys
log = open(sys.argv[1], "ab", buffering=0)
TOOLS = os.environ["TOOLS"].split(",")
def out(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()
for raw in sys.stdin.buffer:
    log.write(raw)
    msg = json.loads(raw)
    method, mid, params = msg.get("method"), msg.get("id"), msg.get("params") or {}
    if method is None and isinstance(mid, str) and mid.startswith("ask:"):
        # The client's answer to our elicitation: the call it was for ends with it.
        out({"jsonrpc": "2.0", "id": json.loads(mid[4:]), "result": {
            "content": [{"type": "text", "text": "asked: " + json.dumps(msg, sort_keys=True)}], "isError": False}})
        continue
    if method is None or mid is None:
        continue
    if method == "initialize":
        out({"jsonrpc": "2.0", "id": mid, "result": {"protocolVersion": params["protocolVersion"],
             "capabilities": {"tools": {"listChanged": True}}, "serverInfo": {"name": "scripted", "version": "1"}}})
    elif method == "tools/list":
        out({"jsonrpc": "2.0", "id": mid, "result": {"tools": [{"name": t, "inputSchema": {"type": "object"}}
                                                              for t in TOOLS], "nextCursor": None}})
    elif method != "tools/call":
        out({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "Method not found"}})
    elif params.get("name") == "slow":
        pass  # never answered
    elif params.get("name") == "odd_meta":
        out({"jsonrpc": "2.0", "id": mid, "result": {
            "content": [{"type": "text", "text": "odd"}], "isError": False, "_meta": "not an object"}})
    elif params.get("name") == "ask":
        out({"jsonrpc": "2.0", "id": "ask:" + json.dumps(mid), "method": "elicitation/create",
             "params": {"message": "sure?", "requestedSchema": {"type": "object", "properties": {}}}})
    elif params.get("name") in TOOLS:
        out({"jsonrpc": "2.0", "id": mid, "result": {
            "content": [{"type": "text", "text": json.dumps(params.get("arguments"), sort_keys=True)}], "isError": False}})
    else:
        out({"jsonrpc": "2.0", "id": mid, "result": {
            "content": [{"type": "text", "text": "Unknown tool: %s" % params.get("name")}], "isError": True}})
'''

TOOLS = "echo,slow,ask,held,denied,secret,odd_meta"
POLICY: dict[str, Any] = {
    "version": "1", "default": "allow", "hide": ["secret"],
    "tools": {"denied": {"action": "deny", "reason": "no"}, "held": {"action": "require_approval"}},
}


class Client:
    """A raw-pipe client in front of one gateway process."""

    def __init__(self, process: asyncio.subprocess.Process, tmp: Path, upstream_log: Path) -> None:
        self.process = process
        self.tmp = tmp
        self.upstream_log = upstream_log
        self.fence = 0

    async def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        await self.process.stdin.drain()

    async def send(self, *messages: dict[str, Any] | str) -> None:
        """Every message in one pipe write (one chunk for the gateway's reader)."""
        lines = [m if isinstance(m, str) else json.dumps(m) for m in messages]
        await self.write(("\n".join(lines) + "\n").encode())

    async def raw(self, timeout: float = 20) -> bytes:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert line, "the gateway closed its output"
        return line

    async def line(self, timeout: float = 20) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await self.raw(timeout))
        return message

    async def answers(self, count: int) -> dict[Any, dict[str, Any]]:
        """The next `count` answers by id (notifications skipped; each id once)."""
        found: dict[Any, dict[str, Any]] = {}
        while len(found) < count:
            message = await self.line()
            if "method" in message:
                continue
            key = json.dumps(message.get("id"))
            assert key not in found, f"a second answer under {key}: {message}"
            found[key] = message
        return {json.loads(k): v for k, v in found.items()}

    async def settle(self) -> list[dict[str, Any]]:
        """A ping fence: every message the gateway wrote before the ping's answer."""
        self.fence += 1
        fence = f"fence-{self.fence}"
        await self.send({"jsonrpc": "2.0", "id": fence, "method": "ping"})
        seen = []
        while (message := await self.line()).get("id") != fence:
            seen.append(message)
        return seen

    def received(self) -> list[dict[str, Any]]:
        """What the server read, line by line (its own log of its input)."""
        return [json.loads(line) for line in self.received_lines()]

    def received_lines(self) -> list[bytes]:
        return self.upstream_log.read_bytes().splitlines() if self.upstream_log.exists() else []

    def calls(self) -> list[dict[str, Any]]:
        return [m for m in self.received() if m.get("method") == "tools/call"
                and not str(m["params"]["name"]).startswith("policytui-probe")]

    def audit(self) -> list[dict[str, Any]]:
        path = self.tmp / "audit.jsonl"
        lines = outcome_lines(path)
        return [line for line in lines if line["decision"] != "probe"]


@asynccontextmanager
async def gateway(tmp: Path, *extra: str, policy: dict[str, Any] = POLICY, tools: str = TOOLS,
                  server: list[str] | None = None, upstream_log: Path | None = None) -> AsyncIterator[Client]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "server.py").write_text(SERVER, encoding="utf-8")
    (tmp / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    command = server or [sys.executable, str(tmp / "server.py"), str(tmp / "upstream.log")]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "policytui", "gateway", "--policy", str(tmp / "policy.json"),
        "--state-dir", str(tmp / "state"), "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"),
        "--log-level", "debug", "--reload-interval", "0.1", "--timeout", "60", *extra, "--", *command,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        limit=1 << 24, env={**__import__("os").environ, "TOOLS": tools},
    )
    client = Client(process, tmp, upstream_log or tmp / "upstream.log")
    try:
        yield client
    finally:
        await close_stdin_and_wait(process)


def call(request_id: Any, name: str, args: dict[str, Any] | None = None, meta: Any = META, **more: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": args if args is not None else {}, **more}
    if meta is not None:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def cancel(request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id}}


def initialize(request_id: Any = "init", capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": capabilities or {}, "clientInfo": {"name": "x", "version": "1"}}}


# 1. Cancelled in the same chunk ----------------------------------------------------------------


async def test_a_request_cancelled_in_the_same_chunk_frees_its_id(tmp_path: Path) -> None:
    """A modern request and its cancellation in one pipe write (and the same for handshake-era
    requests that get a task: a list, a call held for approval). Before the fix the task was
    cancelled before it ever ran, its id stayed "in progress" for good and every later request
    under it was refused; now the id is free again, nothing reached the server and each call
    that never started has its audit line, as cancelled before the gateway began on it."""
    async with gateway(tmp_path) as client:
        await client.send(initialize())
        await client.answers(1)
        pairs = []
        for n in range(50):
            pairs += [call(f"c{n}", "echo", {"n": n}), cancel(f"c{n}")]
        pairs += [{"jsonrpc": "2.0", "id": "list", "method": "tools/list"}, cancel("list"),
                  call("held", "held", {"n": 1}, meta=None), cancel("held")]
        await client.send(*pairs)
        assert await client.settle() == []  # a cancelled request is never answered
        # Every id is free again: modern and handshake-era requests under them are served.
        await client.send(*[call(f"c{n}", "echo", {"again": n}) for n in range(50)],
                          call("list", "echo", {"again": "list"}, meta=None), call("held", "echo", {"again": "held"}))
        answers = await client.answers(52)
        assert all(a["result"]["isError"] is False for a in answers.values()), answers
        ran = sorted(json.dumps(c["params"]["arguments"]) for c in client.calls())
        assert ran == sorted(json.dumps({"again": n}) for n in [*range(50), "list", "held"])
        audit = client.audit()
        assert [a["upstream"] for a in audit if "upstream" in a] == ["ok"] * 52
        cancelled = [(a["tool"], a["decision"], a["reason"]) for a in audit if "upstream" not in a]
        assert sorted(cancelled) == sorted([("echo", "denied", CANCELLED_BEFORE_START)] * 50
                                           + [("held", "denied", CANCELLED_BEFORE_START)])


async def test_cancelling_a_modern_call_in_progress(tmp_path: Path) -> None:
    """A modern call cancelled while the server works on it: no answer, one audit line
    (`cancelled`, charge kept), the server told under the id it saw (the gateway's), never
    under the client's; the same client id is then free for a handshake-era call."""
    policy = {**POLICY, "tools": {**POLICY["tools"], "slow": {"limits": [{"counter": "s", "window": "day", "max": 1}]}}}
    async with gateway(tmp_path, policy=policy) as client:
        await client.send(call(7, "slow", {"n": 1}))
        await until(lambda: any(c["params"]["name"] == "slow" for c in client.calls()))
        await client.send(cancel(7), cancel("policytui-5"))
        assert await client.settle() == []
        await client.send(call(7, "echo", {"n": 2}, meta=None), call(8, "slow", {"n": 3}))
        answers = await client.answers(2)
        assert answers[7]["result"]["content"][0]["text"] == '{"n": 2}'
        assert "rate limit" in answers[8]["result"]["content"][0]["text"]  # the cancelled call kept its charge
        sent = next(c for c in client.calls() if c["params"]["name"] == "slow")
        cancels = [m["params"]["requestId"] for m in client.received() if m.get("method") == "notifications/cancelled"]
        assert cancels == [sent["id"]] and sent["id"] != 7
        assert sorted((a["tool"], a["decision"], str(a.get("upstream"))) for a in client.audit()) == [
            ("echo", "allowed", "ok"), ("slow", "allowed", "cancelled"), ("slow", "denied", "None")]


# 2. Which protocol version applies ------------------------------------------------------------


@pytest.mark.parametrize("version", [20260728, None, ["2026-07-28"], {"v": "2026-07-28"}, "2026-07-28 ", "2025-06-18", ""])
async def test_a_meta_version_the_gateway_does_not_serve_is_refused(tmp_path: Path, version: Any) -> None:
    """A `_meta` protocol version that is not exactly one the gateway serves, of any type, is
    -32022 for every method, `server/discover` included; never served as a handshake-era
    request (before the fix, a number, null or a list was)."""
    meta = {"io.modelcontextprotocol/protocolVersion": version, "io.modelcontextprotocol/clientCapabilities": {}}
    async with gateway(tmp_path) as client:
        await client.send(call(1, "echo", {"n": 1}, meta=meta), call(2, "held", {}, meta=meta),
                          {"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"_meta": meta}},
                          {"jsonrpc": "2.0", "id": 4, "method": "server/discover", "params": {"_meta": meta}},
                          {"jsonrpc": "2.0", "id": 5, "method": "ping", "params": {"_meta": meta}})
        answers = await client.answers(5)
        for n in range(1, 6):
            assert answers[n]["error"]["code"] == -32022, answers[n]
            assert answers[n]["error"]["data"]["requested"] == version
        # The two calls refused before anything was decided, each audited as refused.
        assert client.calls() == []
        assert [(a["tool"], a["decision"]) for a in client.audit()] == [("echo", "refused"), ("held", "refused")]


async def test_versions_per_request_and_discover_initialize_in_either_order(tmp_path: Path) -> None:
    """Each request is served by the version its own `_meta` names: an `initialize` that
    announced elicitation does not make a modern request's approval an elicitation request (it
    is an `input_required` result), and a modern `_meta` that announced elicitation does not
    make a handshake-era call's approval one either; `server/discover` after `initialize` and
    `initialize` after `server/discover` are both answered by the gateway alone."""
    async with gateway(tmp_path, "--approval-timeout", "1") as client:
        await client.send({"jsonrpc": "2.0", "id": "d1", "method": "server/discover", "params": {"_meta": META}},
                          initialize("i1", {"elicitation": {}}),
                          {"jsonrpc": "2.0", "id": "d2", "method": "server/discover"})
        answers = await client.answers(3)
        assert VERSION in answers["d1"]["result"]["supportedVersions"] and answers["d1"]["result"] == answers["d2"]["result"]
        assert answers["i1"]["result"]["protocolVersion"] == "2025-06-18"
        # Modern without elicitation in its own _meta: the queue, not the initialize's elicitation.
        await client.send(call(1, "held", {"n": 1}))
        answer = await client.line(10)
        assert answer["id"] == 1 and "no human answered" in answer["result"]["content"][0]["text"]
        # Modern with elicitation: input_required, no request to the client.
        await client.send(call(2, "held", {"n": 2}, meta=CAPABLE))
        assert (await client.line())["result"]["resultType"] == "input_required"
        # Handshake-era: the gateway asks the client (initialize said elicitation).
        await client.send(call(3, "held", {"n": 3}, meta=None))
        asked = await client.line()
        assert asked["method"] == "elicitation/create"
        await client.send({"jsonrpc": "2.0", "id": asked["id"], "result": {"action": "decline"}})
        assert "rejected" in (await client.line())["result"]["content"][0]["text"]
        await client.send({"jsonrpc": "2.0", "id": 4, "method": "initialize", "params": {
            **initialize()["params"], "_meta": META}})
        assert (await client.line())["error"]["code"] == wire.METHOD_NOT_FOUND
    assert client.calls() == []
    assert [(a["approval"], a["approval_via"]) for a in client.audit()] == [
        ("timed_out", "queue"), ("rejected", "elicitation")]


async def test_the_servers_request_in_a_modern_call_goes_to_that_call_only(tmp_path: Path) -> None:
    """The server asks for an elicitation in the middle of a 2026-07-28 call on a connection
    whose `initialize` announced elicitation too: the question comes back in that call's own
    `input_required` (never as a request on the connection), a retry with another call's
    arguments is refused, and the retry with the answer gets the server's result. In a
    handshake-era call it is relayed as a request, as before."""
    async with gateway(tmp_path) as client:
        await client.send(initialize("i", {"elicitation": {}}))
        await client.answers(1)
        await client.send(call(1, "ask", {}, meta=CAPABLE))
        answer = await client.line()
        assert answer["id"] == 1, answer
        needed = answer["result"]
        assert needed["resultType"] == "input_required"
        ((key, asked),) = needed["inputRequests"].items()
        assert asked["method"] == "elicitation/create"
        state = needed["requestState"]
        await client.send(call(2, "ask", {"other": 1}, meta=CAPABLE, requestState=state,
                               inputResponses={key: {"action": "accept"}}))
        assert (await client.line())["error"]["code"] == wire.INVALID_PARAMS
        await client.send(call(3, "ask", {}, meta=CAPABLE, requestState=state,
                               inputResponses={key: {"action": "decline"}}))
        resumed = await client.line()
        assert resumed["id"] == 3 and '"action": "decline"' in resumed["result"]["content"][0]["text"]
        await client.send(call(4, "ask", {}, meta=None))
        asked_legacy = await client.line()
        assert asked_legacy["method"] == "elicitation/create"
        await client.send({"jsonrpc": "2.0", "id": asked_legacy["id"], "result": {"action": "decline"}})
        assert '"action": "decline"' in (await client.line())["result"]["content"][0]["text"]
    # Two calls reached the server (the first, resumed; the handshake-era one), each audited once.
    assert [a.get("upstream") for a in client.audit() if a["tool"] == "ask" and a["decision"] != "refused"] == [
        "ok", "ok"]
    # The call resuming another call's requestState: refused before it was decided, and audited so.
    assert [a["reason"] for a in client.audit() if a["decision"] == "refused"] == [
        "Invalid params: requestState belongs to another call"]


# 3. Approval round trips over stdio ------------------------------------------------------------


async def test_a_request_state_against_policy_changes_other_forms_and_a_burst(tmp_path: Path) -> None:
    """A genuine `requestState` used: (a) in a handshake-era retry (ignored: the call is asked
    for again, here timed out), (b) twice in one pipe write (one passes), (c) after the policy
    denied the tool, (d) after the policy hid it (answered as a missing tool, byte for byte),
    (e) for a tool it was not issued for, with a name the server does not have. Only (b)'s one
    call reaches the server."""
    async with gateway(tmp_path, "--approval-timeout", "0.5") as client:
        states = []
        for n in range(4):
            await client.send(call(n, "held", {"n": n}, meta=CAPABLE))
            states.append((await client.line())["result"]["requestState"])
        retry = {"inputResponses": APPROVE}
        await client.send(call("a", "held", {"n": 0}, meta=None, requestState=states[0], **retry))
        assert "no human answered" in (await client.line(10))["result"]["content"][0]["text"]
        await client.send(call("b1", "held", {"n": 1}, meta=CAPABLE, requestState=states[1], **retry),
                          call("b2", "held", {"n": 1}, meta=CAPABLE, requestState=states[1], **retry))
        burst = await client.answers(2)
        assert sorted(a["result"]["isError"] for a in burst.values()) == [False, True]
        denied = {**POLICY, "tools": {**POLICY["tools"], "held": {"action": "deny", "reason": "changed"}}}
        (tmp_path / "policy.json").write_text(json.dumps(denied), encoding="utf-8")
        await asyncio.sleep(0.6)
        await client.send(call("c", "held", {"n": 2}, meta=CAPABLE, requestState=states[2], **retry))
        assert (await client.line())["result"]["content"][0]["text"] == "[POLICY DENIED] changed"
        (tmp_path / "policy.json").write_text(json.dumps({**POLICY, "hide": ["secret", "held"]}), encoding="utf-8")
        await asyncio.sleep(0.6)
        await client.settle()
        await client.send(call("d", "held", {"n": 3}, meta=CAPABLE, requestState=states[3], **retry))
        hidden = await client.raw()
        await client.send(call("d", "nothing", {"n": 3}, meta=CAPABLE, requestState=states[3], **retry))
        missing = await client.raw()
        assert hidden == missing.replace(b"nothing", b"held")
    assert [c["params"] for c in client.calls()] == [{"name": "held", "arguments": {"n": 1}}]
    assert sorted((a["decision"], str(a.get("approval"))) for a in client.audit()) == sorted([
        ("denied", "timed_out"), ("allowed", "approved"), ("denied", "rejected"), ("denied", "None"),
        ("hidden", "None"), ("denied", "None")])


async def test_queue_mode_issues_no_state_and_takes_no_answer(tmp_path: Path) -> None:
    """`--approvals queue`: a modern client that announces elicitation gets no `input_required`
    (the call waits in the queue), and an answer it makes up is a rejection, never a pass."""
    async with gateway(tmp_path, "--approvals", "queue", "--approval-timeout", "0.5") as client:
        await client.send(call(1, "held", {}, meta=CAPABLE))
        first = await client.line(10)
        assert first["result"].get("resultType") != "input_required"
        assert "no human answered" in first["result"]["content"][0]["text"]
        await client.send(call(2, "held", {}, meta=CAPABLE, inputResponses=APPROVE, requestState="e30." + "A" * 43))
        assert "rejected" in (await client.line())["result"]["content"][0]["text"]
    assert client.calls() == []


# 4. Limits, ids and bytes across the two protocols --------------------------------------------


async def test_one_limit_for_modern_and_legacy_calls_in_one_burst(tmp_path: Path) -> None:
    """Forty calls in one write, modern and handshake-era alternating, ids shared between the
    two forms and shaped like the gateway's own: exactly the limit reaches the server, every
    request has one answer and one audit line."""
    policy = {**POLICY, "tools": {**POLICY["tools"], "echo": {"limits": [{"counter": "e", "window": "day", "max": 7}]}}}
    async with gateway(tmp_path, policy=policy) as client:
        burst = []
        for n in range(40):
            request_id = f"policytui-{n}" if n % 3 == 0 else n
            burst.append(call(request_id, "echo", {"n": n}, meta=META if n % 2 else None))
        await client.send(*burst)
        answers = await client.answers(40)
        passed = [a for a in answers.values() if a["result"]["isError"] is False]
        assert len(passed) == 7
        assert len(client.calls()) == 7
        assert sorted(a["decision"] for a in client.audit()) == ["allowed"] * 7 + ["denied"] * 33


async def test_what_reaches_the_server_is_the_gateways_encoding(tmp_path: Path) -> None:
    """A modern call written with escapes, odd spacing, key order and reserved `_meta` keys: the
    server reads the gateway's compact ASCII encoding of what was decided, without the
    `io.modelcontextprotocol/` keys and without the approval round trip's members."""
    async with gateway(tmp_path) as client:
        text = ('{ "params" :{"arguments":{"t":"caf\\u00e9\\r\\n"},"_meta":{"progressToken":"p",'
                '"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/protocolVersion":"2026-07-28"},'
                '"inputResponses":{},"requestState":"x","name":"\\u0065cho"},"method":"tools/call","id":1,"jsonrpc":"2.0"}')
        await client.send(text)
        assert (await client.answers(1))[1]["result"]["isError"] is False
    line = next(raw for raw in client.received_lines() if b'"echo"' in raw)
    sent = json.loads(line)
    assert sent["params"] == {"name": "echo", "arguments": {"t": "caf\u00e9\r\n"}, "_meta": {"progressToken": sent["id"]}}
    assert line + b"\n" == wire.encode(sent) and sent["id"] != 1
    assert client.audit()[0]["args_sha256"] == args_digest({"t": "caf\u00e9\r\n"})


# 5. Hidden tools look missing to modern clients ------------------------------------------------


async def test_a_modern_list_with_a_hidden_tool_is_the_list_of_a_server_without_it(tmp_path: Path) -> None:
    """The same server once with `secret` hidden and once without `secret` at all: the modern
    `tools/list` answers, and the answers to calling `secret`, are the same bytes."""
    got = []
    for case, (tools, hide) in {"hidden": (TOOLS, ["secret"]), "missing": (TOOLS.replace(",secret", ""), [])}.items():
        async with gateway(tmp_path / case, policy={**POLICY, "hide": hide}, tools=tools) as client:
            await client.send({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": META}})
            listed = await client.raw()
            await client.send(call(2, "secret", {"a": 1}))
            called = await client.raw()
            got.append((listed, called))
            assert client.calls() == []
    assert got[0] == got[1]
    assert json.loads(got[0][0])["result"]["cacheScope"] == "private"


@pytest.mark.servers
@pytest.mark.parametrize("upstream", ["python-sdk", "everything"])
async def test_real_servers_hidden_denied_and_missing_for_modern_clients(
    tmp_path: Path, request: pytest.FixtureRequest, upstream: str
) -> None:
    """In front of the mcp Python SDK's recording server (behind tee_stdin) and server-everything:
    a modern hidden call answers byte for byte as a missing one, denied and hidden calls never
    run, and a mixed modern/legacy session runs exactly the allowed calls, each with one audit
    line naming the tool the server got."""
    received = tmp_path / "received.log"
    if upstream == "python-sdk":
        executed = tmp_path / "executed.jsonl"
        command = [sys.executable, str(RECORDING / "tee_stdin.py"), str(received), "--",
                   sys.executable, str(RECORDING / "flows_server.py"), str(executed)]
        allowed, args, hidden, denied = "list_flows", {"namespace": "n"}, "read_secret", "delete_flow"
    else:
        command = [sys.executable, str(RECORDING / "tee_stdin.py"), str(received), "--",
                   str(request.getfixturevalue("everything")), "stdio"]
        allowed, args, hidden, denied = "echo", {"message": "m"}, "get-env", "get-sum"
    policy = {"version": "1", "default": "allow", "hide": [hidden], "tools": {denied: {"action": "deny"}}}
    async with gateway(tmp_path, policy=policy, server=command, upstream_log=received) as client:
        await client.send(call(1, hidden, {}), call(2, "no-such-tool", {}), call(3, denied, {}),
                          call(4, allowed, args), call(5, allowed, args, meta=None), call(6, denied, {}, meta=None))
        answers = await client.answers(6)
        assert json.dumps(answers[1]["result"]) == json.dumps(answers[2]["result"]).replace("no-such-tool", hidden)
        assert answers[3]["result"]["isError"] is True and "POLICY DENIED" in json.dumps(answers[3])
        assert not answers[4]["result"].get("isError") and answers[4]["result"]["resultType"] == "complete"
        assert not answers[5]["result"].get("isError") and "resultType" not in answers[5]["result"]
        await client.send({"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {"_meta": META}})
        names = [t["name"] for t in (await client.line())["result"]["tools"]]
        assert allowed in names and hidden not in names and denied in names
    ran = [(c["params"]["name"], c["params"]["arguments"]) for c in client.calls()]
    assert ran == [(allowed, args), (allowed, args)]
    forwarded = [a for a in client.audit() if a.get("upstream")]
    assert [(a["tool"], a["args_sha256"]) for a in forwarded] == [(allowed, args_digest(args))] * 2
    assert sorted((a["tool"], a["decision"]) for a in client.audit() if not a.get("upstream")) == sorted(
        [(hidden, "hidden"), ("no-such-tool", "denied"), (denied, "denied"), (denied, "denied")])
    if upstream == "python-sdk":
        assert [json.loads(line)["tool"] for line in executed.read_text().splitlines()] == [allowed, allowed]


async def test_a_server_result_whose_meta_is_no_object_still_reaches_a_modern_client(tmp_path: Path) -> None:
    """The server's result carries `_meta: "not an object"`: the 2026-07-28 client gets the
    result (with the gateway's own `_meta`), not an internal error, as the audit line says ok."""
    async with gateway(tmp_path) as client:
        await client.send(call(1, "odd_meta", {}))
        answer = await client.line()
    result = answer["result"]
    assert result["content"][0]["text"] == "odd" and isinstance(result["_meta"], dict), answer
    assert [a.get("upstream") for a in client.audit() if a["tool"] == "odd_meta"] == ["ok"]


async def test_a_modern_clients_notification_reaches_the_server_without_this_hops_envelope(tmp_path: Path) -> None:
    """`notifications/roots/list_changed` with the 2026-07-28 `_meta` keys and one of the
    client's own: the server gets the client's key only, as with requests."""
    async with gateway(tmp_path) as client:
        await client.send({"jsonrpc": "2.0", "method": "notifications/roots/list_changed",
                           "params": {"_meta": {**META, "trace": "t1"}}})
        await client.send(call(1, "echo", {}))  # answered after the notification was passed on
        await client.line()
    sent = [json.loads(line) for line in client.upstream_log.read_bytes().splitlines()
            if b"roots/list_changed" in line]
    assert [m.get("params") for m in sent] == [{"_meta": {"trace": "t1"}}], sent


async def test_a_notification_with_the_envelope_under_meta_never_reaches_the_server(tmp_path: Path) -> None:
    """`meta` for `_meta`: the MCP Python SDK's models read a member under its field name too,
    so passed on, this hop's envelope would be the server's `_meta` after all. Refused (an
    error under a null id, as for other refused notifications) and never passed on; the
    notification spelled as the spec spells it still is."""
    async with gateway(tmp_path) as client:
        await client.send({"jsonrpc": "2.0", "method": "notifications/roots/list_changed",
                           "params": {"meta": {**META, "trace": "t1"}}})
        await client.send({"jsonrpc": "2.0", "method": "notifications/roots/list_changed",
                           "params": {"_meta": {"trace": "t2"}}})
        await client.send(call(1, "echo", {}))  # answered after the notifications were passed on
        seen: list[dict[str, Any]] = []
        while not any(m.get("id") == 1 for m in seen):
            seen.append(await client.line())
    sent = [json.loads(line) for line in client.received_lines() if b"roots/list_changed" in line]
    assert [m.get("params") for m in sent] == [{"_meta": {"trace": "t2"}}], sent
    assert seen[0] == {"jsonrpc": "2.0", "id": None, "error": {"code": wire.INVALID_PARAMS, "message": (
        "Invalid params: a key is `meta`, which a server may read as the member `_meta` (ambiguous)")}}, seen


async def test_a_replayed_or_forged_request_state_is_a_new_call_decided_and_charged_anew(tmp_path: Path) -> None:
    """The server asks during a 2026-07-28 call; the retry resumes it. The same retry sent
    again (its requestState used up), or one with a made-up state, is no resumption: it is a new
    call, decided and charged like any other, so with a limit of 2 a day the server runs the
    tool at most twice and the third attempt is denied by the limit."""
    policy = {**POLICY, "tools": {**POLICY["tools"],
                                  "ask": {"limits": [{"counter": "ask", "window": "day", "max": 2}]}}}
    async with gateway(tmp_path, policy=policy) as client:
        await client.send(call(1, "ask", {}, meta=CAPABLE))
        needed = (await client.line())["result"]
        ((key, _),) = needed["inputRequests"].items()
        retry = {"requestState": needed["requestState"], "inputResponses": {key: {"action": "decline"}}}
        await client.send(call(2, "ask", {}, meta=CAPABLE, **retry))
        assert '"action": "decline"' in (await client.line())["result"]["content"][0]["text"]
        await client.send(call(3, "ask", {}, meta=CAPABLE, **retry))  # replayed: a new call
        again = (await client.line())["result"]
        assert again["resultType"] == "input_required" and again["requestState"] != needed["requestState"]
        await client.send(call(4, "ask", {}, meta=CAPABLE, requestState="made-up", inputResponses={}))
        denied = (await client.line())["result"]
        assert denied["isError"] is True and "rate limit" in denied["content"][0]["text"], denied
    asked = [json.loads(line) for line in client.upstream_log.read_bytes().splitlines() if b'"ask"' in line]
    assert len(asked) == 2, asked  # the first call and the replay's new call; never the third
    assert all("requestState" not in m["params"] and "inputResponses" not in m["params"] for m in asked)



@pytest.mark.parametrize("leaving", ["closes its input", "SIGTERM", "SIGINT"])
async def test_a_parked_call_whose_client_leaves_keeps_its_charge(tmp_path: Path, leaving: str) -> None:
    """A 2026-07-28 client's limited call is parked (the server asked for an elicitation in
    the middle of it, and the client got `input_required`), then the client closes its input,
    or the gateway is stopped by a signal. The server ran the call, so it is audited
    `cancelled` and keeps its charge, as a handshake-era call in flight does. (It was audited
    `unavailable` and refunded: a client that left each time, a new gateway process each
    time, ran a tool of `max: 1` without end.)"""
    policy = {"version": "1", "default": "allow", "tools": {
        "ask": {"limits": [{"counter": "asks", "window": "day", "max": 1, "scope": "grant"}]}}}
    async with gateway(tmp_path, policy=policy) as first:
        await first.send(call(1, "ask", {}, meta=CAPABLE))
        assert (await first.line())["result"]["resultType"] == "input_required"
        if leaving != "closes its input":
            first.process.send_signal(getattr(signal, leaving))
            await asyncio.wait_for(first.process.wait(), 20)
    # What the server received: the call, once; and it is in the audit log.
    assert [m["params"]["name"] for m in first.calls()] == ["ask"]
    assert [a.get("upstream") for a in first.audit()] == ["cancelled"]
    async with gateway(tmp_path, policy=policy) as second:  # the same policy file and state
        await second.send(call(1, "ask", {}, meta=CAPABLE))
        denied = (await second.line())["result"]
        assert denied.get("isError") is True and "rate limit" in denied["content"][0]["text"], denied
    assert [m["params"]["name"] for m in second.calls()] == ["ask"]  # once, by the first client
    assert [a.get("decision") for a in second.audit()][-1] == "denied"
