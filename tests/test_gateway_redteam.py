"""The gateway attacked as a hostile MCP client would, judged only from the server's side.

Every test starts a real `policytui gateway` process in front of a real server and talks to it
as a hostile client: raw bytes on stdio, raw HTTP bodies. Success of an attack is read from
what the server executed (the recording server's own record, the bytes `tee_stdin.py` saw, the
requests a fake Kestra API received) and from the audit log, never from the gateway's reply.

Tests named `test_hole_...` show a way through that exists today: each fails until it is
fixed, and its docstring says what it proves. The others show the gateway holding.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcomes
from gateway_support import close_stdin_and_wait

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

ROOT = Path(__file__).resolve().parent.parent
RECORDING = ROOT / "tests" / "servers" / "recording"
KESTRA_CODE = (
    "import sys, src; sys.path.insert(0, list(src.__path__)[0]); import server; server.main()"
)


# A hostile client on stdio ----------------------------------------------------------------------


class Gateway:
    """A gateway process over stdio with a server behind `tee_stdin.py`; raw lines both ways."""

    def __init__(self, tmp: Path, process: asyncio.subprocess.Process) -> None:
        self.tmp = tmp
        self.process = process
        self.lines: list[bytes] = []
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.lines.append(line)

    async def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        await self.process.stdin.drain()

    async def send(self, message: dict[str, Any]) -> None:
        await self.write(json.dumps(message).encode() + b"\n")

    def messages(self) -> list[dict[str, Any]]:
        out = []
        for line in self.lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"unparsable": line.decode("latin-1")})
        return out

    def raw_answer(self, request_id: Any) -> bytes | None:
        for line in self.lines:
            message = json.loads(line)
            if (
                "method" not in message
                and message.get("id") == request_id
                and type(message.get("id")) is type(request_id)
            ):
                return line
        return None

    async def answer(self, request_id: Any, timeout: float = 30) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.raw_answer(request_id)
            if line is not None:
                return json.loads(line)  # type: ignore[no-any-return]
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.01)
        return None

    async def requests_from_gateway(self, method: str, timeout: float = 30) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.messages() if m.get("method") == method and "id" in m]
            if found:
                return found
            await asyncio.sleep(0.02)
        return []

    def received(self) -> list[dict[str, Any]]:
        """Every message the server read (from the tee)."""
        path = self.tmp / "received.bin"
        raw = path.read_bytes() if path.exists() else b""
        return [json.loads(line) for line in raw.split(b"\n") if line.strip()]

    def received_calls(self) -> list[str]:
        return [
            m["params"]["name"]
            for m in self.received()
            if m.get("method") == "tools/call"
            and not str(m["params"]["name"]).startswith("policytui-probe-")
        ]

    def executed(self) -> list[dict[str, Any]]:
        """What the recording server ran (written by each tool as it runs)."""
        return _json_lines(self.tmp / "executed.jsonl")

    def audit(self) -> list[dict[str, Any]]:
        """One record per call (the lines written just before a call was sent left out)."""
        return outcomes(_json_lines(self.tmp / "audit.jsonl"))

    def audited_calls(self) -> list[dict[str, Any]]:
        return [a for a in self.audit() if a.get("decision") != "probe"]


def _json_lines(path: Path) -> list[dict[str, Any]]:
    """JSON lines split on the newline byte alone (the file's own framing)."""
    raw = path.read_bytes() if path.exists() else b""
    return [json.loads(line) for line in raw.split(b"\n") if line.strip()]


def call(request_id: Any, name: Any, arguments: Any = None) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments or {}},
    }


def flows_server(tmp: Path) -> list[str]:
    return [sys.executable, str(RECORDING / "flows_server.py"), str(tmp / "executed.jsonl")]


def everything_server(test_servers: Path) -> list[str]:
    path = test_servers / "everything" / "node_modules" / ".bin" / "mcp-server-everything"
    if not path.exists():
        pytest.skip(f"server-everything is not installed at {path} (run tests/servers/install.sh)")
    return [str(path), "stdio"]


def kestra_server(test_servers: Path) -> list[str]:
    python = test_servers / "kestra" / "bin" / "python"
    if not python.exists():
        pytest.skip(
            f"the Kestra server is not installed at {python} (run tests/servers/install.sh)"
        )
    return [str(python), "-c", KESTRA_CODE]


@asynccontextmanager
async def stdio_gateway(
    tmp: Path,
    policy: dict[str, Any],
    server: list[str],
    *options: str,
    capabilities: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[Gateway]:
    (tmp / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable,
        "-m",
        "policytui",
        "gateway",
        "--policy",
        str(tmp / "policy.json"),
        "--state-dir",
        str(tmp / "state"),
        "--audit",
        str(tmp / "audit.jsonl"),
        "--log",
        str(tmp / "gateway.log"),
        "--log-level",
        "debug",
        "--reload-interval",
        "0.2",
        *options,
        "--",
        sys.executable,
        str(RECORDING / "tee_stdin.py"),
        str(tmp / "received.bin"),
        "--",
        *server,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
        limit=1 << 25,
    )
    gateway = Gateway(tmp, process)
    try:
        await gateway.send(
            {
                "jsonrpc": "2.0",
                "id": "init",
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": capabilities or {},
                    "clientInfo": {"name": "hostile", "version": "1"},
                },
            }
        )
        if await gateway.answer("init", 120) is None:
            stderr = (await process.stderr.read()).decode() if process.stderr else ""  # type: ignore[union-attr]
            pytest.fail(f"the gateway did not start: {stderr[-2000:]}")
        await gateway.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        yield gateway
    finally:
        await close_stdin_and_wait(process, 30)
        gateway._reader.cancel()


async def listed_then_called(gateway: Gateway, name: str, arguments: dict[str, Any]
                             ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A client's `tools/list` (id 1), then its call of `name` (id 2): the answers to both."""
    await gateway.send({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}})
    listed = await gateway.answer(1)
    await gateway.send(call(2, name, arguments))
    return listed, await gateway.answer(2)


FLOWS_POLICY: dict[str, Any] = {
    "version": "1",
    "default": "deny",
    "hide": ["read_secret"],
    "tools": {"list_flows": {}, "delete_flow": {"action": "deny", "reason": "destructive"}},
}


# Holes: each of these fails today ---------------------------------------------------------------


class FakeKestraAPI:
    """The HTTP API behind the Kestra MCP server: records each request it serves; a request whose
    line mentions "slow" is held for 4 s (a Kestra that takes its time)."""

    def __init__(self) -> None:
        self.served: list[str] = []
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n")[0].decode()
            length = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
            if length:
                await reader.readexactly(int(length.group(1)))
            if "slow" in line:
                try:
                    await asyncio.sleep(4)
                except asyncio.CancelledError:
                    return  # the test is over
            else:
                self.served.append(line)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"
            )
            await writer.drain()
            writer.close()
        except (OSError, asyncio.IncompleteReadError):
            pass

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/api/v1"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()


async def test_hole_late_answer_to_a_cancelled_call_refunds_a_reused_id_past_the_rate_limit(
    tmp_path: Path, test_servers: Path
) -> None:
    """A rate limit of 1 DELETE per hour lets through as many as the client likes.

    The relay sends a client's request upstream under the client's own id and forgets that id
    the moment the client cancels. A server on the mcp 1.x Python SDK (Kestra's, and most
    Python servers in the field) answers a cancelled request with the error "Request
    cancelled". A client that cancels a slow call and at once reuses its id for a limited call
    gets that late error matched to the new call: the gateway refunds the new call's charge
    and audits it `"upstream": "error"` while the server runs it. The Kestra API receives one
    DELETE per attempt, the audit says none succeeded, and the limit is never reached.
    """
    api = FakeKestraAPI()
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {
            "search_flows": {},
            "manage_flow": {
                "limits": [{"counter": "deletes", "max": 1, "window": "hour", "scope": "global"}]
            },
        },
    }
    async with (
        api as base_url,
        stdio_gateway(
            tmp_path,
            policy,
            kestra_server(test_servers),
            env={"KESTRA_BASE_URL": base_url, "KESTRA_API_TOKEN": "kestra-token-never-printed"},
        ) as gw,
    ):
        accepted = 0
        for attempt in range(12):
            request_id = 100 + attempt
            await gw.send(call(request_id, "search_flows", {"query": f"slow{attempt}"}))
            await asyncio.sleep(0.3)  # the slow call is at the server
            await gw.send(
                {
                    "jsonrpc": "2.0",
                    "method": "notifications/cancelled",
                    "params": {"requestId": request_id},
                }
            )
            # Just long enough for the gateway to let the id go; the server's late answer is
            # still on its way.
            await asyncio.sleep(0.002 * (1 + attempt % 6))
            await gw.send(
                call(
                    request_id,
                    "manage_flow",
                    {"action": "delete", "namespace": "prod", "flow_id": f"f{attempt}"},
                )
            )
            if await gw.answer(request_id, 10) is not None:
                accepted += 1
            if accepted >= 3:
                break
        await asyncio.sleep(1)
        deletes = [line for line in api.served if line.startswith("DELETE ")]
        audited = [a for a in gw.audited_calls() if a["tool"] == "manage_flow"]
    assert accepted >= 2, "the attack needs the reused id accepted at least twice"
    assert len(deletes) <= 1, (
        f"a limit of 1 per hour, yet the Kestra API received {len(deletes)} DELETEs: {deletes}; "
        f"audit: {[(a['decision'], a.get('upstream')) for a in audited]}"
    )


async def test_a_refused_name_pasted_into_a_url_with_a_query_never_reaches_the_api(
    tmp_path: Path, test_servers: Path
) -> None:
    """The Kestra server pastes `namespace` and `key` into `/namespaces/{namespace}/kv/{key}`,
    and its HTTP client ends the path at a `?` or `#`: `db_password#` reached the key
    `db_password` past a `deny_if` on it, `prod/.` the namespace `prod`. Each spelling is
    denied and audited; the API receives only the call the policy allows."""
    api = FakeKestraAPI()
    refused = [{"path": "args.namespace", "op": "eq", "value": "prod"},
               {"path": "args.key", "op": "in", "value": ["db_password", "api_token"]}]
    policy = {"version": "1", "default": "deny", "tools": {"manage_kv_store": {"deny_if": refused}}}
    attempts = [
        {"namespace": "dev", "action": "get", "key": "db_password#"},
        {"namespace": "dev", "action": "delete", "key": "api_token?x"},
        {"namespace": "dev", "action": "get", "key": "db_password/.?"},
        {"namespace": "prod/.", "action": "set", "key": "x", "value": "1"},
        {"namespace": "prod?", "action": "list"},
        {"namespace": "dev", "action": "get", "key": "feature_flag"},
    ]
    async with (
        api as base_url,
        stdio_gateway(tmp_path, policy, kestra_server(test_servers),
                      env={"KESTRA_BASE_URL": base_url, "KESTRA_API_TOKEN": "kestra-token-never-printed"}) as gw,
    ):
        for request_id, arguments in enumerate(attempts, start=1):
            await gw.send(call(request_id, "manage_kv_store", arguments))
            assert await gw.answer(request_id, 60) is not None, arguments
        audited = [(a["decision"], a.get("rule")) for a in gw.audited_calls() if a["tool"] == "manage_kv_store"]
    assert [line.split(" ")[:2] for line in api.served] == [["GET", "/api/v1/namespaces/dev/kv/feature_flag"]]
    assert [decision for decision, _ in audited] == ["denied"] * 5 + ["allowed"]


async def test_hole_hidden_tool_answer_differs_from_a_missing_one_under_default_allow(
    tmp_path: Path, test_servers: Path
) -> None:
    """A hidden tool can be told from a missing one, byte for byte (server-everything).

    Under `"default": "allow"` a call to a tool the server does not have is forwarded and the
    server's answer line is passed back as sent (`{"result":...,"jsonrpc":"2.0","id":2}`,
    server-everything's member order), while a hidden tool's answer is written by the gateway
    (`{"jsonrpc":"2.0","id":1,"result":...}`). A client comparing the raw lines knows which
    names are hidden.
    """
    policy = {"version": "1", "default": "allow", "hide": ["get-env"]}
    async with stdio_gateway(tmp_path, policy, everything_server(test_servers)) as gw:
        await gw.send(call(1, "get-env"))
        await gw.send(call(2, "zz-no-such-tool"))
        assert await gw.answer(1) and await gw.answer(2)
        hidden, missing = gw.raw_answer(1), gw.raw_answer(2)
        assert "get-env" not in gw.received_calls()
    assert hidden is not None and missing is not None
    normalized = hidden.replace(b"get-env", b"NAME").replace(b'"id":1', b'"id":N')
    assert normalized == missing.replace(b"zz-no-such-tool", b"NAME").replace(
        b'"id":2', b'"id":N'
    ), f"hidden: {hidden!r}\nmissing: {missing!r}"


async def test_hole_hidden_and_missing_tools_cost_different_budgets_under_default_allow(
    tmp_path: Path, test_servers: Path
) -> None:
    """A hidden tool can be told from a missing one by the shared rate limit.

    Under `"default": "allow"` with an `all_tools` limit, calls to a missing tool are forwarded
    and charged; calls to a hidden tool are answered by the gateway and charged nothing. Two
    calls to a name, then one allowed call: denied after a missing name, served after a hidden
    one.
    """
    answers = {}
    for name in ("get-env", "zz-no-such-tool"):
        tmp = tmp_path / name
        tmp.mkdir()
        policy = {
            "version": "1",
            "default": "allow",
            "hide": ["get-env"],
            "all_tools": {
                "limits": [{"counter": "all", "max": 2, "window": "hour", "scope": "global"}]
            },
        }
        async with stdio_gateway(tmp, policy, everything_server(test_servers)) as gw:
            for request_id in (1, 2):
                await gw.send(call(request_id, name))
                assert await gw.answer(request_id)
            await gw.send(call(3, "echo", {"message": "after"}))
            answer = await gw.answer(3)
            assert answer is not None
            answers[name] = answer["result"]["content"][0]["text"]
    assert answers["get-env"] == answers["zz-no-such-tool"], answers


def test_hole_sqlite_counter_reset_by_a_call_that_read_the_clock_before_the_lock(
    tmp_path: Path,
) -> None:
    """Two gateways sharing the SQLite store let through twice a window's budget at its start.

    `SQLiteStore.reserve` reads the clock before `BEGIN IMMEDIATE`, which may wait (up to the
    5 s busy timeout) for another process's transaction. A call that read the clock just before
    a window boundary and got the lock after calls of the new window were charged finds the
    counter "in another window", counts from zero and writes its own (older) window back: the
    new window's count is lost, and the new window's budget is spent a second time.

    Shown here with two stores on one file and the clocks each process would have read.
    """
    from policytui.decision.counters import Budget, CounterKey
    from policytui.gateway.store.sqlite import SQLiteStore

    boundary = 1_800_000_000.0  # a UTC hour boundary
    assert boundary % 3600 == 0
    late = SQLiteStore(tmp_path / "state.sqlite", policy="p", clock=lambda: boundary - 0.001)
    on_time = SQLiteStore(tmp_path / "state.sqlite", policy="p", clock=lambda: boundary + 0.5)
    budget = Budget(
        CounterKey("deletes", "global", "", "hour", int(boundary)), 3, "tools.delete_flow.limits[0]"
    )
    allowed = 0
    try:
        for _ in range(3):
            allowed += on_time.reserve([budget]).denied is None
        # The call that read its clock at 59:59.999 gets the lock now.
        late.reserve([budget])
        for _ in range(3):
            allowed += on_time.reserve([budget]).denied is None
    finally:
        late.close()
        on_time.close()
    assert allowed == 3, (
        f"a budget of 3 per hour allowed {allowed} calls in the hour that just began"
    )


async def test_approvals_auto_trusts_the_client_application_and_audits_approval_via_elicitation(
    tmp_path: Path,
) -> None:
    """Under `--approvals auto` the client application's answer to the form is the approval.

    This is the documented trust model (docs/gateway.md, "Approvals"): elicitation trusts the
    client application to put the question to a person; the gateway cannot know that one saw
    it, so a client that answers "accept, approve: true" itself gets its held call run, and the
    audit says so (`approval: approved`, `approval_via: elicitation`) for the operator to see.
    Anything but an accepted, switched-on form rejects. `--approvals queue` is for client
    applications that are not trusted (see `test_forged_elicitation_answers_do_not_approve_in_queue_mode`).
    Proven from the recording server: exactly the call the client approved ran.
    """
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {"delete_flow": {"action": "require_approval"}},
    }
    answers = {
        "approved-by-the-client": {"action": "accept", "content": {"approve": True}},
        "switch-off": {"action": "accept", "content": {"approve": False}},
        "declined": {"action": "decline"},
    }
    async with stdio_gateway(
        tmp_path,
        policy,
        flows_server(tmp_path),
        "--approval-timeout",
        "5",
        capabilities={"elicitation": {}},
    ) as gw:
        for request_id, (flow_id, answer) in enumerate(answers.items(), start=5):
            await gw.send(call(request_id, "delete_flow", {"namespace": "prod", "flow_id": flow_id}))
            asked = await gw.requests_from_gateway("elicitation/create", 10)
            assert asked, "the gateway never asked the client"
            await gw.send({"jsonrpc": "2.0", "id": asked[-1]["id"], "result": answer})
            assert await gw.answer(request_id, 15)
            gw.lines.clear()
        ran = [e["arguments"]["flow_id"] for e in gw.executed() if e["tool"] == "delete_flow"]
        audit = [a for a in gw.audit() if a["tool"] == "delete_flow"]
    assert ran == ["approved-by-the-client"]
    assert [(a["decision"], a.get("approval"), a.get("approval_via")) for a in audit] == [
        ("allowed", "approved", "elicitation"),
        ("denied", "rejected", "elicitation"),
        ("denied", "rejected", "elicitation"),
    ]


async def test_hole_approval_form_hides_the_arguments_the_server_runs_with(tmp_path: Path) -> None:
    """A human approving by the form approves what the form shows; the server runs something else.

    The approval message shows the arguments as one sorted JSON text cut at 2000 characters. An
    agent adds an argument the server ignores, named to sort first and 2100 characters long:
    the form shows `"a": "xxxx...` and `... (cut)`, never `namespace` or `flow_id`. The human
    approves; the recording server deletes `prod.billing`. (Format characters such as U+202E
    are also shown raw, so a value can be made to read backwards.)
    """
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {"delete_flow": {"action": "require_approval"}},
    }
    async with stdio_gateway(
        tmp_path,
        policy,
        flows_server(tmp_path),
        "--approval-timeout",
        "10",
        capabilities={"elicitation": {}},
    ) as gw:
        padding = "x" * 2100
        await gw.send(
            call(5, "delete_flow", {"a": padding, "namespace": "prod", "flow_id": "billing"})
        )
        shown = ""
        for request in await gw.requests_from_gateway("elicitation/create", 10):
            shown = request["params"]["message"]
            # A human who approves what the form shows.
            approve = "prod" not in shown and "billing" not in shown
            await gw.send(
                {
                    "jsonrpc": "2.0",
                    "id": request["id"],
                    "result": {"action": "accept", "content": {"approve": approve}},
                }
            )
        await gw.answer(5, 15)
        ran = [e["arguments"] for e in gw.executed() if e["tool"] == "delete_flow"]
    for arguments in ran:
        for key, value in arguments.items():
            assert key in shown and str(value) in shown, (
                f"the server ran delete_flow with {key}={value!r}, which the approval form never showed"
            )


async def until_logged(tmp: Path, text: str) -> None:
    """Wait until the gateway's log (in `tmp`) says `text`: a reload logs each change it reads."""
    log = tmp / "gateway.log"
    async with asyncio.timeout(30):
        while text not in log.read_text(encoding="utf-8"):
            await asyncio.sleep(0.05)


def replace_whole(path: Path, text: str) -> None:
    """Write `path` as an editor that renames does: never seen half written."""
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


async def test_a_policy_made_invalid_or_missing_denies_every_call_until_a_valid_one_returns(tmp_path: Path) -> None:
    """A policy file that no longer validates denies every call (fail closed), audited.

    An operator tightens the policy (deny `list_flows`) and leaves a mistake in the file: the
    previous, looser policy must not keep enforcing. While the file is invalid nothing runs and
    the denial names the file and the problem; the gateway keeps serving and enforces the file
    again once it validates. A file missing for longer than a short grace denies the same way.
    """
    async with stdio_gateway(tmp_path, FLOWS_POLICY, flows_server(tmp_path)) as gw:
        policy = tmp_path / "policy.json"
        await gw.send(call(1, "list_flows", {"namespace": "before"}))
        assert await gw.answer(1)
        broken = json.dumps(
            {**FLOWS_POLICY, "tools": {"list_flows": {"action": "deny"}}, "default": "maybe"}
        )
        # Written whole (a temporary file renamed over it): a reload reading the file half
        # written (empty, under load) logged a second problem, and the count below is of one.
        replace_whole(policy, broken)
        await until_logged(tmp_path, "is not a valid policy")  # read by the reload that comes each second
        for request_id in (2, 3):
            await gw.send(call(request_id, "list_flows", {"namespace": "after-invalid"}))
            answer = await gw.answer(request_id)
            assert answer is not None
            text = answer["result"]["content"][0]["text"]
            assert str(policy) in text and "not a valid policy" in text and "maybe" in text
        replace_whole(policy, json.dumps(FLOWS_POLICY))
        await until_logged(tmp_path, "valid again")
        await gw.send(call(4, "list_flows", {"namespace": "valid-again"}))
        assert await gw.answer(4)
        policy.unlink()
        await asyncio.sleep(0.5)  # within the grace for an editor's rename
        await gw.send(call(5, "list_flows", {"namespace": "missing-briefly"}))
        assert await gw.answer(5)
        await until_logged(tmp_path, "is missing")  # once the grace is over
        await gw.send(call(6, "list_flows", {"namespace": "missing-for-long"}))
        answer = await gw.answer(6)
        assert answer is not None and "is missing" in answer["result"]["content"][0]["text"]
        ran = [e["arguments"]["namespace"] for e in gw.executed()]
        audit = [a for a in gw.audit() if a["decision"] != "probe"]
        log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
    assert ran == ["before", "valid-again", "missing-briefly"], f"calls ran under a policy file that does not validate: {ran}"
    assert [(a["decision"], a["rule"]) for a in audit if a["rule"] == "policy_file"] == [("denied", "policy_file")] * 3
    assert log.count("is not a valid policy") == 1 and log.count("valid again") == 1  # once per change


async def test_hole_lone_surrogates_are_forwarded_to_a_server_that_cannot_read_them(
    tmp_path: Path,
) -> None:
    """An escaped lone surrogate (`"\\ud800"`) passes the wire rules and is forwarded.

    Python's `json` accepts it; the server's parser (pydantic-core in the mcp SDK) does not, and
    drops the message without an answer. The call hangs until `--call-timeout` (300 s by
    default) with its charge kept, and its audit record says it was allowed and reached the
    server, though nothing ran. A message that two JSON parsers read differently is ambiguous:
    refuse it at the gateway.
    """
    async with stdio_gateway(
        tmp_path, FLOWS_POLICY, flows_server(tmp_path), "--call-timeout", "3"
    ) as gw:
        await gw.send(call(1, "list_flows", {"namespace": "a\ud800b"}))
        await gw.answer(1, 10)
        forwarded = [m for m in gw.received() if m.get("id") == 1]
    assert forwarded == [], f"a message with a lone surrogate reached the server: {forwarded}"


async def test_hole_audit_log_is_not_valid_utf8_after_a_lone_surrogate_in_a_tool_name(
    tmp_path: Path,
) -> None:
    """One call with a lone surrogate in its tool name makes the audit log invalid UTF-8.

    `AuditLog.write` encodes with `surrogatepass`, so the record holds the bytes ED A0 80. Every
    strict reader of the file fails on it, `policytui replay` among them ("is not a text file"):
    one hostile call hides every record of the file from such a reader. A raw U+2028 in a name
    also splits the record for readers that break lines on Unicode line separators.
    """
    async with stdio_gateway(tmp_path, FLOWS_POLICY, flows_server(tmp_path)) as gw:
        await gw.send(call(1, "delete_flow", {"namespace": "prod", "flow_id": "x"}))
        await gw.send(call(2, "x\ud800"))
        await gw.send(call(3, "y\u2028z"))
        for request_id in (1, 2, 3):
            assert await gw.answer(request_id)
    raw = (tmp_path / "audit.jsonl").read_bytes()
    from policytui.replay.calls import RecordingError, load_calls

    try:
        load_calls(tmp_path / "audit.jsonl")
        replay_reads = True
    except RecordingError:
        replay_reads = False
    assert replay_reads, "policytui replay cannot read the audit log any more"
    text = raw.decode("utf-8")
    assert len(text.splitlines()) == len(raw.split(b"\n")) - 1


# Where the gateway holds ----------------------------------------------------------------------------


NAME_VARIANTS = [
    "delete_flow ",
    " delete_flow",
    "Delete_flow",
    "DELETE_FLOW",
    "delete_flow\u0000",
    "delete_flow\u200b",
    "d\u0435lete_flow",  # Cyrillic e
    "\uff44elete_flow",  # fullwidth d
    "delete_flow\u2028",
    "delete\u2010flow",
    "delete_flow\n",
]


async def test_name_variants_never_run_the_denied_tool_and_are_audited_as_received(
    tmp_path: Path,
) -> None:
    async with stdio_gateway(
        tmp_path, {**FLOWS_POLICY, "default": "allow"}, flows_server(tmp_path)
    ) as gw:
        for n, name in enumerate(NAME_VARIANTS):
            await gw.write(
                json.dumps(call(n, name, {"namespace": "prod", "flow_id": f"v{n}"})).encode()
                + b"\n"
            )
        # The escaped spelling of the denied name is the denied name.
        await gw.write(
            b'{"jsonrpc":"2.0","id":"esc","method":"tools/call","params":{"name":"del\\u0065te_flow",'
            b'"arguments":{"namespace":"prod","flow_id":"escaped"}}}\n'
        )
        for n in range(len(NAME_VARIANTS)):
            assert await gw.answer(n), NAME_VARIANTS[n]
        escaped = await gw.answer("esc")
        assert escaped is not None and "POLICY DENIED" in json.dumps(escaped)
        await asyncio.sleep(0.3)
        executed = gw.executed()
        received = gw.received_calls()
        audited = [a["tool"] for a in gw.audited_calls() if a.get("upstream") is not None]
    assert [e for e in executed if e["tool"] == "delete_flow"] == []
    assert "delete_flow" not in received
    assert sorted(received) == sorted(audited), (
        "every call that reached the server is audited under the name it got"
    )


METHOD_VARIANTS = [
    "tools/call ",
    " tools/call",
    "Tools/Call",
    "TOOLS/CALL",
    "tools/Call",
    "tools//call",
    "tools\\/call\u200b",
    "tools/calls",
    "tools.call",
    "tools/call/",
]


MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
               "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}}
# A member of a call's params under the field name the MCP Python SDK's models read it by too.
FIELD_NAMED = {"meta": MODERN_META, "input_responses": {"approve": {"action": "accept"}}, "request_state": "forged"}


async def test_a_call_member_under_its_field_name_never_reaches_the_server(tmp_path: Path) -> None:
    """`meta` is `_meta` to the flows server (the Python SDK reads `input_responses` and
    `request_state` as `inputResponses` and `requestState` too): forwarded, this hop's protocol
    envelope and a 2026-07-28 approval's answers, which the gateway keeps from the server,
    reached it. Each such call, handshake-era (served inline) and 2026-07-28, is refused
    -32602 and audited `refused`; the server reads none of them."""
    async with stdio_gateway(tmp_path, FLOWS_POLICY, flows_server(tmp_path)) as gw:
        await gw.send({"jsonrpc": "2.0", "id": "ready", "method": "ping"})
        assert await gw.answer("ready")
        ids, answers = [], []
        for key, value in FIELD_NAMED.items():
            for modern in (False, True):
                message = call(f"{key}-{modern}", "list_flows", {"namespace": key})
                message["params"][key] = value
                if modern:
                    message["params"]["_meta"] = MODERN_META
                ids.append(message["id"])
                # One line a read, each after the last was answered: a handshake-era call is
                # then served inline, in the callback that read it.
                await gw.send(message)
                answers.append(await gw.answer(message["id"]))
        await gw.send(call("after", "list_flows", {"namespace": "after"}))
        assert await gw.answer("after")
        received = [m["params"] for m in gw.received() if m.get("method") == "tools/call"
                    and not m["params"]["name"].startswith("policytui-probe-")]
        audited = [(a["decision"], a["tool"]) for a in gw.audited_calls()]
    assert received == [{"name": "list_flows", "arguments": {"namespace": "after"}}], received
    for answer in answers:
        assert answer is not None and answer["error"]["code"] == -32602, answer
        assert "which a server may read as the member" in answer["error"]["message"], answer
    assert audited == [("refused", "list_flows")] * len(ids) + [("allowed", "list_flows")], audited


# `_meta` keys under the field name the MCP Python SDK reads them by too: its `RequestParamsMeta`
# takes `progress_token` for `progressToken` (and, given both, the latter), where the gateway
# and the SDK's own progress reads only `progressToken`.
META_FIELD_NAMED = [{"progress_token": "other-call"}, {"progressToken": "mine", "progress_token": "other-call"},
                    {"progress_token": "mine", "progressToken": "mine"}]


async def test_a_meta_key_under_its_field_name_never_reaches_the_server(tmp_path: Path) -> None:
    """`_meta.progress_token` is `progressToken` to a server on the MCP Python SDK (`ctx.meta`,
    and the `progressToken` a proxy on it forwards upstream), where the gateway reads only
    `progressToken`: the server would see a token the gateway did not relay progress for, or
    another than the one it did. Each such call, alone or beside `progressToken` (agreeing or
    not), handshake-era and 2026-07-28, is refused -32602 and audited `refused`; the server
    reads none of them."""
    async with stdio_gateway(tmp_path, FLOWS_POLICY, flows_server(tmp_path)) as gw:
        await gw.send({"jsonrpc": "2.0", "id": "ready", "method": "ping"})
        assert await gw.answer("ready")
        answers = []
        for n, meta in enumerate(META_FIELD_NAMED):
            for modern in (False, True):
                message = call(f"meta-{n}-{modern}", "list_flows", {"namespace": f"meta-{n}"})
                message["params"]["_meta"] = {**meta, **(MODERN_META if modern else {})}
                await gw.send(message)
                answers.append(await gw.answer(message["id"]))
        await gw.send(call("after", "list_flows", {"namespace": "after"}))
        assert await gw.answer("after")
        received = [m["params"] for m in gw.received() if m.get("method") == "tools/call"
                    and not m["params"]["name"].startswith("policytui-probe-")]
        audited = [(a["decision"], a["tool"]) for a in gw.audited_calls()]
    assert received == [{"name": "list_flows", "arguments": {"namespace": "after"}}], received
    for answer in answers:
        assert answer is not None and answer["error"]["code"] == -32602, answer
        assert answer["error"]["message"] == ("Invalid params: a key is `_meta.progress_token`, which a server may "
                                              "read as the member `_meta.progressToken` (ambiguous)"), answer
    assert audited == [("refused", "list_flows")] * len(answers) + [("allowed", "list_flows")], audited


async def test_method_variants_are_method_not_found_and_never_forwarded(tmp_path: Path) -> None:
    async with stdio_gateway(tmp_path, FLOWS_POLICY, flows_server(tmp_path)) as gw:
        for n, method in enumerate(METHOD_VARIANTS):
            await gw.send(
                {
                    "jsonrpc": "2.0",
                    "id": n,
                    "method": method,
                    "params": {
                        "name": "delete_flow",
                        "arguments": {"namespace": "prod", "flow_id": "m"},
                    },
                }
            )
        answers = [await gw.answer(n) for n in range(len(METHOD_VARIANTS))]
        forwarded = [
            m.get("method") for m in gw.received() if m.get("id") in range(len(METHOD_VARIANTS))
        ]
    assert all(a is not None and a.get("error", {}).get("code") == -32601 for a in answers), answers
    assert forwarded == []
    assert gw.executed() == []


RAW_LINES: list[tuple[str, bytes]] = [
    (
        "raw U+2028 in the name",
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_flow\u2028","arguments":{}}}'.encode(),
    ),
    (
        "raw U+2028 between members",
        '{"jsonrpc":"2.0","id":2,\u2028"method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}'.encode(),
    ),
    (
        "raw NUL after the name",
        b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_flows\x00","arguments":{}}}',
    ),
    (
        "raw NUL between members",
        b'{"jsonrpc":"2.0","id":4,\x00"method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    ),
    (
        "overlong '/' in the method",
        b'{"jsonrpc":"2.0","id":5,"method":"tools\xc0\xafcall","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    ),
    (
        "overlong 'e' in the name",
        b'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"d\xc1\xa5lete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    ),
    (
        "UTF-8 encoded surrogate",
        b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"delete_flow\xed\xa0\x80","arguments":{}}}',
    ),
    (
        "UTF-16",
        '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}'.encode(
            "utf-16"
        ),
    ),
    (
        "BOM",
        b'\xef\xbb\xbf{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    ),
    (
        "-0 and 1e400",
        b'{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x","n":-0,"m":1e400}}}',
    ),
    (
        "duplicate name deep in _meta",
        b'{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"dup"},"_meta":{"a":{"name":"delete_flow","name":"x"}}}}',
    ),
    (
        "params as an array",
        b'{"jsonrpc":"2.0","id":12,"method":"tools/call","params":["delete_flow",{"namespace":"prod","flow_id":"x"}]}',
    ),
    (
        "id is an object",
        b'{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"objid"}}}',
    ),
    (
        "id is true",
        b'{"jsonrpc":"2.0","id":true,"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"boolid"}}}',
    ),
    (
        "id is 1.0",
        b'{"jsonrpc":"2.0","id":1.0,"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"floatid"}}}',
    ),
    (
        "id is null",
        b'{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"nullid"}}}',
    ),
    (
        "id beyond 2^53",
        b'{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"bigid"}}}',
    ),
    (
        "notification-form call",
        b'{"jsonrpc":"2.0","method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"notif"}}}',
    ),
    (
        "batch",
        b'[{"jsonrpc":"2.0","id":13,"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"batch"}}}]',
    ),
    (
        "jsonrpc 2.00",
        b'{"jsonrpc":"2.00","id":14,"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"v200"}}}',
    ),
]


async def test_raw_framing_and_encoding_tricks_never_reach_the_server(tmp_path: Path) -> None:
    """Each line is refused or decided as itself; nothing but the allowed markers runs."""
    async with stdio_gateway(tmp_path, FLOWS_POLICY, flows_server(tmp_path)) as gw:
        for _, line in RAW_LINES:
            await gw.write(line + b"\n")
        # Many lines in one write, one split across writes in the middle of the name, a CR line end.
        await gw.write(
            b'{"jsonrpc":"2.0","id":"a","method":"ping"}\n{"jsonrpc":"2.0","id":"b","method":"tools/call",'
            b'"params":{"name":"list_flows","arguments":{"namespace":"one-write"}}}\n{"jsonrpc":"2.0","id":"c","me'
        )
        await asyncio.sleep(0.05)
        await gw.write(b'thod":"tools/call","params":{"name":"dele')
        await asyncio.sleep(0.05)
        await gw.write(b'te_flow","arguments":{"namespace":"prod","flow_id":"split"}}}\r\n')
        for request_id in ("a", "b", "c"):
            assert await gw.answer(request_id), request_id
        await gw.send({"jsonrpc": "2.0", "id": "last", "method": "ping"})
        assert await gw.answer("last")
        await asyncio.sleep(0.3)
        executed = gw.executed()
        audited = [(a["tool"], a["decision"]) for a in gw.audited_calls() if a.get("upstream")]
    ran = sorted(e["arguments"]["namespace"] for e in executed)
    assert [e for e in executed if e["tool"] != "list_flows"] == []
    # Only the decided, well-formed allowed calls ran ("dup" carries a duplicate key: refused).
    assert ran == ["one-write"], ran
    assert audited == [("list_flows", "allowed")]


async def test_client_ids_shaped_like_the_gateways_own_do_not_cross_answers(tmp_path: Path) -> None:
    """A client using the gateway's own upstream id shape (`policytui-N`) gets its own answers,
    and the server runs each call once."""
    async with stdio_gateway(tmp_path, FLOWS_POLICY, flows_server(tmp_path)) as gw:
        ids = [f"policytui-{n}" for n in range(1, 12)]
        for n, request_id in enumerate(ids):
            await gw.send(call(request_id, "list_flows", {"namespace": f"own-{n}"}))
        answers = [await gw.answer(request_id) for request_id in ids]
        await asyncio.sleep(0.3)
        executed = sorted(e["arguments"]["namespace"] for e in gw.executed())
    for n, answer in enumerate(answers):
        assert answer is not None and f"own-{n}'" in json.dumps(answer), answer
    assert executed == sorted(f"own-{n}" for n in range(11))


async def test_cancelling_a_limited_call_keeps_its_charge(
    tmp_path: Path, test_servers: Path
) -> None:
    """Cancellation is no refund: against server-everything (which never answers a cancelled
    request) a cancelled slow call still counts, so the second call is denied."""
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {
            "trigger-long-running-operation": {
                "limits": [{"counter": "c", "max": 1, "window": "hour", "scope": "global"}]
            }
        },
    }
    async with stdio_gateway(tmp_path, policy, everything_server(test_servers)) as gw:
        await gw.send(call(7, "trigger-long-running-operation", {"duration": 2, "steps": 2}))
        await asyncio.sleep(0.4)
        await gw.send(
            {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7}}
        )
        await asyncio.sleep(0.05)
        await gw.send(call(7, "trigger-long-running-operation", {"duration": 0, "steps": 1}))
        second = await gw.answer(7, 10)
        arrived = [n for n in gw.received_calls() if n == "trigger-long-running-operation"]
    assert second is not None and "rate limit" in json.dumps(second)
    assert len(arrived) == 1


async def test_forged_elicitation_answers_do_not_approve_in_queue_mode(tmp_path: Path) -> None:
    """With `--approvals queue` no form is sent; answers the client makes up for the ids the
    gateway would use, sent before and while the call waits, approve nothing."""
    policy = {
        "version": "1",
        "default": "deny",
        "tools": {"delete_flow": {"action": "require_approval"}},
    }
    async with stdio_gateway(
        tmp_path,
        policy,
        flows_server(tmp_path),
        "--approvals",
        "queue",
        "--approval-timeout",
        "2",
        capabilities={"elicitation": {}},
    ) as gw:
        forged = [
            {
                "jsonrpc": "2.0",
                "id": i,
                "result": {"action": "accept", "content": {"approve": True}},
            }
            for i in (*range(0, 6), "1", "policytui-1")
        ]
        for message in forged:
            await gw.send(message)
        await gw.send(call(5, "delete_flow", {"namespace": "prod", "flow_id": "forged"}))
        await asyncio.sleep(0.3)
        for message in forged:
            await gw.send(message)
        answer = await gw.answer(5, 15)
    assert answer is not None and "POLICY DENIED" in json.dumps(answer)
    assert gw.executed() == []


async def test_policy_swapped_for_a_symlink_to_a_stricter_policy_applies(tmp_path: Path) -> None:
    async with stdio_gateway(tmp_path, FLOWS_POLICY, flows_server(tmp_path)) as gw:
        strict = tmp_path / "strict.json"
        strict.write_text(
            json.dumps({**FLOWS_POLICY, "tools": {"list_flows": {"action": "deny"}}}),
            encoding="utf-8",
        )
        (tmp_path / "link.json").symlink_to(strict)
        os.replace(tmp_path / "link.json", tmp_path / "policy.json")
        await asyncio.sleep(1.0)
        await gw.send(call(1, "list_flows", {"namespace": "after-swap"}))
        answer = await gw.answer(1)
    assert answer is not None and "POLICY DENIED" in json.dumps(answer)
    assert gw.executed() == []


async def test_server_secret_never_in_the_start_failure_or_logs(tmp_path: Path) -> None:
    secret = "kestra-secret-value-42"
    (tmp_path / "policy.json").write_text(json.dumps(FLOWS_POLICY), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "policytui",
        "gateway",
        "--policy",
        str(tmp_path / "policy.json"),
        "--state-dir",
        str(tmp_path / "state"),
        "--audit",
        str(tmp_path / "audit.jsonl"),
        "--",
        "sh",
        "-c",
        'echo "token=$TOKEN_X" >&2; echo "{\\"oops $TOKEN_X\\"}"; exit 3',
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "TOKEN_X": secret},
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    everything = (
        out
        + err
        + b"".join(
            p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "policy.json"
        )
    )
    assert secret.encode() not in everything
    assert b"Traceback" not in err


# Over HTTP (--listen) ----------------------------------------------------------------------------------


@asynccontextmanager
async def http_gateway(
    tmp: Path, policy: dict[str, Any], tokens: dict[str, str] | None
) -> AsyncIterator[tuple[str, Gateway]]:
    (tmp / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    options = []
    if tokens is not None:
        (tmp / "tokens.json").write_text(json.dumps(tokens), encoding="utf-8")
        options = ["--tokens", str(tmp / "tokens.json")]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "policytui",
        "gateway",
        "--policy",
        str(tmp / "policy.json"),
        "--listen",
        "127.0.0.1:0",
        *options,
        "--state-dir",
        str(tmp / "state"),
        "--audit",
        str(tmp / "audit.jsonl"),
        "--log",
        str(tmp / "gateway.log"),
        "--log-level",
        "debug",
        "--",
        sys.executable,
        str(RECORDING / "tee_stdin.py"),
        str(tmp / "received.bin"),
        "--",
        *flows_server(tmp),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        url = None
        for _ in range(1200):
            await asyncio.sleep(0.1)
            log = tmp / "gateway.log"
            found = re.search(r"http://127\.0\.0\.1:\d+", log.read_text()) if log.exists() else None
            if found:
                url = found.group(0) + "/mcp"
                break
            assert process.returncode is None, "the gateway stopped"
        assert url, "the gateway never said where it listens"
        yield url, Gateway.__new__(Gateway)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def _post(
    session: Any, url: str, headers: dict[str, str], body: bytes
) -> tuple[int, str, Any]:
    async with session.post(url, headers=headers, data=body) as response:
        return response.status, await response.text(), response.headers


HTTP_BODIES: list[bytes] = [
    b'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_flows","name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    b'{"jsonrpc":"2.0","id":3,"method":"tools/list","method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    b'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"nan","note":NaN}}}',
    b'[{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}]',
    b'{"jsonrpc":"2.0","method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"n"}}}',
    b'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"del\\u0065te_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    b'\xef\xbb\xbf{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"list_flows","arguments":{"namespace":"cr"}},"x":\r'
    b'{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}\r}',
    b'{"jsonrpc":"2.0","id":1.5,"method":"tools/call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    b'{"jsonrpc":"2.0","id":10,"method":"Tools/Call","params":{"name":"delete_flow","arguments":{"namespace":"prod","flow_id":"x"}}}',
    b'{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"read_secret","arguments":{}}}',
]


@pytest.mark.parametrize("with_tokens", [True, False], ids=["tokens", "no-tokens"])
async def test_http_bodies_and_headers_never_run_the_denied_or_hidden_tool(
    tmp_path: Path, with_tokens: bool
) -> None:
    import aiohttp

    token = "t" * 32
    async with http_gateway(tmp_path, FLOWS_POLICY, {token: "alice"} if with_tokens else None) as (
        url,
        _,
    ):
        base = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
        auth = {"authorization": f"Bearer {token}"} if with_tokens else {}
        async with aiohttp.ClientSession() as session:
            if with_tokens:
                for bad in (
                    {},
                    {"authorization": "Bearer " + "t" * 31},
                    {"authorization": f"Basic {token}"},
                    {"authorization": f"bearer  {token}x"},
                ):
                    status, _, _ = await _post(session, url, {**base, **bad}, HTTP_BODIES[0])
                    assert status == 401, bad
            init = json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-06-18",
                        "capabilities": {},
                        "clientInfo": {"name": "h", "version": "1"},
                    },
                }
            ).encode()
            status, _, headers = await _post(
                session, url, {**base, **auth, "mcp-protocol-version": "2025-06-18"}, init
            )
            assert status == 200
            session_headers = {**base, **auth, "mcp-protocol-version": "2025-06-18"}
            if headers.get("mcp-session-id"):
                session_headers["mcp-session-id"] = headers["mcp-session-id"]
            await _post(
                session,
                url,
                session_headers,
                b'{"jsonrpc":"2.0","method":"notifications/initialized"}',
            )
            for body in HTTP_BODIES:
                await _post(session, url, session_headers, body)
            # A 2026-07-28 request, no initialize, headers naming an allowed tool, body the denied one.
            modern = {
                **base,
                **auth,
                "mcp-protocol-version": "2026-07-28",
                "mcp-method": "tools/call",
                "mcp-name": "list_flows",
            }
            await _post(
                session,
                url,
                modern,
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": 20,
                        "method": "tools/call",
                        "params": {
                            "name": "delete_flow",
                            "arguments": {"namespace": "prod", "flow_id": "modern"},
                            "_meta": {
                                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                "io.modelcontextprotocol/clientCapabilities": {},
                            },
                        },
                    }
                ).encode(),
            )
        await asyncio.sleep(0.5)
        executed = _json_lines(tmp_path / "executed.jsonl")
        audit = _json_lines(tmp_path / "audit.jsonl")
    assert [e for e in executed if e["tool"] != "list_flows"] == []
    forwarded = [a for a in audit if a.get("upstream") in ("ok", "error_result")]
    assert sorted(a["tool"] for a in forwarded if a["decision"] != "probe") == sorted(
        e["tool"] for e in executed
    )


async def test_http_foreign_host_or_origin_is_refused_without_tokens(tmp_path: Path) -> None:
    """A token-less gateway on loopback refuses a foreign Host or Origin (DNS rebinding).

    Without `--tokens` anything that reaches the port is a client. A web page the user visits
    can make a browser reach it: cross-origin (with an `Origin` header) or, after DNS
    rebinding, same-origin under the attacker's host name (with a foreign `Host` header). The
    MCP specification requires servers to validate `Origin`. Proven from the server's side:
    no call runs.
    """
    import aiohttp

    async with http_gateway(tmp_path, FLOWS_POLICY, None) as (url, _):
        port = url.split(":")[2].split("/")[0]
        base = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
        async with aiohttp.ClientSession() as session:
            for foreign in (
                {"host": f"evil.example:{port}", "origin": f"http://evil.example:{port}"},
                {"origin": "http://evil.example"},
                {"host": "evil.example"},
            ):
                headers = {**base, **foreign}
                init = {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-06-18",
                        "capabilities": {},
                        "clientInfo": {"name": "page", "version": "1"},
                    },
                }
                status, _, answer_headers = await _post(
                    session, url, headers, json.dumps(init).encode()
                )
                session_id = answer_headers.get("mcp-session-id") or ""
                more = {
                    **headers,
                    "mcp-session-id": session_id,
                    "mcp-protocol-version": "2025-06-18",
                }
                await _post(
                    session,
                    url,
                    more,
                    json.dumps(call(2, "list_flows", {"namespace": "rebound"})).encode(),
                )
                modern = {
                    **headers,
                    "mcp-protocol-version": "2026-07-28",
                    "mcp-method": "tools/call",
                    "mcp-name": "list_flows",
                }
                body = call(3, "list_flows", {"namespace": "rebound-modern"})
                body["params"]["_meta"] = {
                    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                    "io.modelcontextprotocol/clientCapabilities": {},
                }
                await _post(session, url, modern, json.dumps(body).encode())
        await asyncio.sleep(0.3)
    assert _json_lines(tmp_path / "executed.jsonl") == [], (
        "a foreign page ran a tool through the gateway"
    )
