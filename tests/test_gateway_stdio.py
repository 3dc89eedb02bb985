"""The gateway end to end over stdio: a real MCP client, `policytui gateway`, a real server.

The agent's side is the mcp SDK's `Client`, which starts `python -m policytui gateway ... --
mcp-server-everything stdio` exactly as Claude Desktop or Cursor would start it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from audit_support import outcome_lines
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

ROOT = Path(__file__).resolve().parent.parent


def _write_policy(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


class Run:
    """One gateway process: its files, for assertions after the calls."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.state = tmp / "state"
        self.audit = tmp / "audit.jsonl"
        self.log = tmp / "gateway.log"
        self.errlog = tmp / "stderr.txt"

    def audit_lines(self) -> list[dict[str, Any]]:
        if not self.audit.exists():
            return []
        lines = outcome_lines(self.audit)
        # Without the gateway's start-up probe (how the server answers a tool it does not have).
        return [line for line in lines if line["decision"] != "probe"]

    def approvals(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "policytui", "approvals", *args, "--state-dir", str(self.state)],
            capture_output=True, text=True, timeout=60, check=False,
        )


@asynccontextmanager
async def gateway(
    tmp: Path,
    policy: Path,
    upstream: list[str],
    *extra: str,
    elicitation: Any = None,
    on_message: Any = None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[tuple[Client, Run]]:
    run = Run(tmp)
    params = StdioServerParameters(
        command=sys.executable,
        args=[
            "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(run.state),
            "--audit", str(run.audit), "--log", str(run.log), *extra, "--", *upstream,
        ],
        cwd=str(tmp),
        env=env,
    )
    with open(run.errlog, "w", encoding="utf-8") as errlog:  # noqa: ASYNC230 - a local file, opened once
        async with Client(
            stdio_client(params, errlog=errlog),
            mode="legacy",
            read_timeout_seconds=60,
            elicitation_callback=elicitation,
            message_handler=on_message,
        ) as client:
            yield client, run


@asynccontextmanager
async def direct(everything: Path) -> AsyncIterator[Client]:
    params = StdioServerParameters(command=str(everything), args=["stdio"])
    with open(os.devnull, "w") as errlog:  # noqa: ASYNC230 - opened once, never blocks
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=60) as client:
            yield client


def _text(result: types.CallToolResult) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


def _wire(result: Any) -> dict[str, Any]:
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)


BASE = {
    "version": "1",
    "default": "allow",
    "hide": ["get-env"],
    "tools": {
        "get-sum": {"reason": "sums stay small", "deny_if": [{"path": "args.a", "op": "gt", "value": 100}]},
        "gzip-file-as-resource": {"action": "deny", "reason": "no files from agents"},
        "echo": {"require_approval_if": [{"path": "args.message", "op": "regex", "value": "^approve"}]},
        "get-annotated-message": {
            "limits": [{"counter": "annotated", "window": "day", "max": 10, "scope": "global"}]
        },
    },
}


async def test_check_says_what_the_agent_reads_as_the_gateway_answers_it(tmp_path: Path, everything: Path) -> None:
    """`policytui check` says what the agent reads for a blocked call: the gateway's answer
    itself for a denial, and for a hidden tool the server's own answer to a tool it does not
    have. It said "[POLICY DENIED] Tool "get-env" is hidden by policy", which the gateway never
    sends (that would tell the agent the tool is there)."""
    policy = _write_policy(tmp_path / "policy.json", BASE)
    calls = [("get-sum", {"a": 1000, "b": 1}), ("gzip-file-as-resource", {}), ("get-env", {})]
    async with gateway(tmp_path, policy, [str(everything), "stdio"]) as (client, _run):
        answers = {name: _text(await client.call_tool(name, args)) for name, args in calls}
    said = {}
    for name, args in calls:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "policytui"), "check", str(policy), name, "--args", json.dumps(args)],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert done.returncode == 1, done.stdout + done.stderr
        said[name] = next(line.removeprefix("agent sees: ") for line in done.stdout.splitlines()
                          if line.startswith("agent sees: "))
    assert said["get-sum"] == answers["get-sum"]
    assert said["gzip-file-as-resource"] == answers["gzip-file-as-resource"]
    assert "policy" not in answers["get-env"].lower() and "get-env" in answers["get-env"], answers
    assert said["get-env"] == "the server's own answer to a tool it does not have (a hidden tool looks missing)"


async def test_hidden_denied_and_allowed_calls(tmp_path: Path, everything: Path) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    async with gateway(tmp_path, policy, [str(everything), "stdio"]) as (client, run), direct(everything) as plain:
        through = await client.list_tools()
        straight = await plain.list_tools()
        names = [t.name for t in through.tools]
        assert "get-env" not in names
        # Everything else is listed exactly as the server sent it, in its order. (The gateway
        # tells the server it can relay sampling, elicitation and roots, so server-everything
        # also lists the tools that use them; a client without callbacks does not see those.)
        shown = {t.name for t in straight.tools}
        assert [_wire(t) for t in through.tools if t.name in shown] == [
            _wire(t) for t in straight.tools if t.name != "get-env"
        ]

        denied = await client.call_tool("get-sum", {"a": 1000, "b": 1})
        assert denied.is_error is True
        assert _text(denied) == "[POLICY DENIED] sums stay small (denied because args.a gt 100)"
        hidden = await client.call_tool("get-env", {})
        # A hidden tool answers exactly as the server answers a tool it does not have.
        missing = _wire(await plain.call_tool("no-such-tool", {}))
        assert _wire(hidden) == json.loads(json.dumps(missing).replace("no-such-tool", "get-env"))
        assert "policy" not in _text(hidden).lower()
        refused = await client.call_tool("gzip-file-as-resource", {})
        assert _text(refused) == "[POLICY DENIED] no files from agents"

        for name, args in [
            ("get-sum", {"a": 2, "b": 40}),
            ("get-structured-content", {"location": "Chicago"}),
            ("get-tiny-image", {}),
            ("echo", {"message": "hello ✓ \u202e"}),
        ]:
            assert _wire(await client.call_tool(name, args)) == _wire(await plain.call_tool(name, args)), name

        # Progress of a long call reaches the caller through the gateway.
        steps: list[tuple[float, float | None]] = []

        async def progress(done: float, total: float | None, message: str | None) -> None:
            steps.append((done, total))

        long = await client.call_tool(
            "trigger-long-running-operation", {"duration": 0.6, "steps": 3}, progress_callback=progress
        )
        assert not long.is_error
        assert steps == [(1, 3), (2, 3), (3, 3)]

        # Resources and prompts pass through unchanged.
        assert _wire(await client.list_prompts()) == _wire(await plain.list_prompts())
        resources = await client.list_resources()
        assert _wire(resources) == _wire(await plain.list_resources())
        uri = resources.resources[0].uri
        assert _wire(await client.read_resource(uri)) == _wire(await plain.read_resource(uri))

    lines = run.audit_lines()
    assert [(line["tool"], line["decision"]) for line in lines[:3]] == [
        ("get-sum", "denied"), ("get-env", "hidden"), ("gzip-file-as-resource", "denied")
    ]
    assert {line["decision"] for line in lines[3:]} == {"allowed"}
    assert [line["tool"] for line in lines].count("trigger-long-running-operation") == 1
    assert all(line["upstream"] == "ok" for line in lines[3:])
    text = run.audit.read_text(encoding="utf-8")
    for value in ("Chicago", "hello", "1000"):
        assert value not in text


async def test_fifty_concurrent_calls_meet_the_limit_exactly(tmp_path: Path, everything: Path) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    async with gateway(tmp_path, policy, [str(everything), "stdio"]) as (client, run):
        results = await asyncio.gather(
            *(client.call_tool("get-annotated-message", {"messageType": "success"}) for _ in range(50))
        )
    allowed = [r for r in results if not r.is_error]
    denied = [r for r in results if r.is_error]
    assert len(allowed) == 10
    assert len(denied) == 40
    assert all(_text(r).startswith("[POLICY DENIED] rate limit 10 per day reached; retry in ") for r in denied)
    decisions = [line["decision"] for line in run.audit_lines()]
    assert decisions.count("allowed") == 10 and decisions.count("denied") == 40


async def _wait_pending(run: Run, count: int = 1) -> list[dict[str, Any]]:
    from policytui.gateway import ApprovalQueue
    from policytui.gateway.store import open_store

    store = open_store(None, run.state)
    try:
        queue = ApprovalQueue(store)
        for _ in range(400):
            pending = queue.pending()
            if len(pending) >= count:
                return [request.to_json() for request in pending]
            await anyio.sleep(0.05)
    finally:
        store.close()
    raise AssertionError("no call reached the approvals queue")


async def test_approvals_queue_grants_and_refuses(tmp_path: Path, everything: Path) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    async with gateway(tmp_path, policy, [str(everything), "stdio"], "--approval-timeout", "60") as (client, run):
        # Not held: the condition does not hold.
        assert _text(await client.call_tool("echo", {"message": "plain"})) == "Echo: plain"

        async with anyio.create_task_group() as tg:
            results: dict[str, types.CallToolResult] = {}

            async def call(key: str, message: str) -> None:
                results[key] = await client.call_tool("echo", {"message": message})

            tg.start_soon(call, "yes", "approve me")
            pending = await _wait_pending(run)
            assert pending[0]["tool"] == "echo"
            assert pending[0]["arguments"] == {"message": "approve me"}
            shown = await anyio.to_thread.run_sync(lambda: run.approvals("list", "--json"))
            assert [item["id"] for item in json.loads(shown.stdout)] == [pending[0]["id"]]
            shown = await anyio.to_thread.run_sync(lambda: run.approvals("list"))
            assert pending[0]["id"] in shown.stdout and "approve me" in shown.stdout
            approved = await anyio.to_thread.run_sync(lambda: run.approvals("approve", pending[0]["id"]))
            assert approved.returncode == 0, approved.stderr
        assert _text(results["yes"]) == "Echo: approve me"

        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "no", "approve this too")
            pending = await _wait_pending(run)
            rejected = await anyio.to_thread.run_sync(lambda: run.approvals("reject", pending[0]["id"]))
            assert rejected.returncode == 0, rejected.stderr
            # Answering again changes nothing and says so.
            again = await anyio.to_thread.run_sync(lambda: run.approvals("approve", pending[0]["id"]))
            assert again.returncode == 1
        assert results["no"].is_error is True
        assert "a human rejected the call" in _text(results["no"])

    approvals = [(line.get("approval"), line["decision"]) for line in run.audit_lines() if "approval" in line]
    assert approvals == [("approved", "allowed"), ("rejected", "denied")]
    from policytui.gateway.store import open_store

    # Decided calls leave no arguments behind; their records say what became of them.
    store = open_store(None, run.state)
    try:
        kept = store.approvals()
    finally:
        store.close()
    assert sorted((k.decision["outcome"], k.result["outcome"]) for k in kept) == [("approved", "sent"), ("rejected", "not_sent")]
    assert all(k.request["arguments"] is None for k in kept)


async def test_approval_by_elicitation(tmp_path: Path, everything: Path) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    asked: list[str] = []
    answers = iter([{"approve": True}, {"approve": False}, None])

    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        answer = next(answers)
        if answer is None:
            return types.ElicitResult(action="decline")
        return types.ElicitResult(action="accept", content=answer)

    async with gateway(tmp_path, policy, [str(everything), "stdio"], elicitation=elicit) as (client, run):
        assert _text(await client.call_tool("echo", {"message": "approve 1"})) == "Echo: approve 1"
        second = await client.call_tool("echo", {"message": "approve 2"})
        third = await client.call_tool("echo", {"message": "approve 3"})
    assert second.is_error and "a human rejected the call" in _text(second)
    assert third.is_error and "a human rejected the call" in _text(third)
    assert len(asked) == 3 and '"echo"' in asked[0] and "approve 1" in asked[0]
    assert [line.get("approval_via") for line in run.audit_lines()] == ["elicitation"] * 3


async def test_reload_applies_good_files_and_denies_every_call_while_the_file_is_invalid(
    tmp_path: Path, everything: Path
) -> None:
    policy = _write_policy(tmp_path / "policy.json", {"version": "1", "default": "allow"})
    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    async def until_denied(tool: str, args: dict[str, Any]) -> types.CallToolResult:
        for _ in range(100):
            result = await client.call_tool(tool, args)
            if result.is_error:
                return result
            await anyio.sleep(0.1)
        raise AssertionError("the new policy never came into force")

    async def until_logged(text: str) -> None:
        """Wait until the gateway's reload has logged `text` (each change is logged as it is read)."""
        with anyio.fail_after(30):
            while text not in run.log.read_text(encoding="utf-8"):
                await anyio.sleep(0.05)

    upstream = [str(everything), "stdio"]
    async with gateway(tmp_path, policy, upstream, "--reload-interval", "0.1", on_message=on_message) as (client, run):
        assert not (await client.call_tool("echo", {"message": "a"})).is_error
        _write_policy(policy, {"version": "1", "default": "allow", "tools": {"echo": {"action": "deny", "reason": "v2"}}})
        assert _text(await until_denied("echo", {"message": "b"})) == "[POLICY DENIED] v2"

        # A broken file denies every call (fail closed), naming the file and the problem.
        policy.write_text('{"version": "1", "default": "allow", "tools": {"echo": {"acton": "allow"}}}', encoding="utf-8")
        await until_logged("acton")
        for tool, args in (("echo", {"message": "c"}), ("get-sum", {"a": 1, "b": 2})):
            text = _text(await client.call_tool(tool, args))
            assert text.startswith(f"[POLICY DENIED] the policy file {policy} is not a valid policy") and "acton" in text
        policy.write_text("{ not json", encoding="utf-8")
        await until_logged("invalid JSON")
        assert "invalid JSON" in _text(await client.call_tool("get-sum", {"a": 1, "b": 2}))
        log = run.log.read_text(encoding="utf-8")
        assert "acton" in log and "every call is denied" in log

        # Hiding a tool tells the client to list again.
        _write_policy(policy, {"version": "1", "default": "allow", "hide": ["get-sum"]})
        with anyio.fail_after(10):
            await changed.wait()
        assert "get-sum" not in [t.name for t in (await client.list_tools()).tools]
        assert not (await client.call_tool("echo", {"message": "e"})).is_error  # enforced again


async def test_dry_run_forwards_and_records_the_would_be_decision(tmp_path: Path, everything: Path) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    env = {"SERVER_API_TOKEN": "tok-for-the-server-only"}
    async with gateway(tmp_path, policy, [str(everything), "stdio"], "--dry-run", env=env) as (client, run):
        assert "get-env" in [t.name for t in (await client.list_tools()).tools]
        seen = await client.call_tool("get-env", {})
        # The environment the client gave the gateway reaches the server it starts; the server's
        # credential comes back to the client as *** (the gateway holds it so agents do not).
        assert not seen.is_error and '"SERVER_API_TOKEN": "***"' in _text(seen)
        assert "tok-for-the-server-only" not in _text(seen)
        assert _text(await client.call_tool("get-sum", {"a": 1000, "b": 1})) == "The sum of 1000 and 1 is 1001."
    lines = run.audit_lines()
    assert [(line["tool"], line["decision"], line["dry_run"], line["upstream"]) for line in lines] == [
        ("get-env", "hidden", True, "ok"),
        ("get-sum", "denied", True, "ok"),
    ]


async def test_a_dead_upstream_gives_errors_never_unchecked_calls(tmp_path: Path, everything: Path) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    pid_file = tmp_path / "upstream.pid"
    wrapper = ["/bin/sh", "-c", f'echo $$ > "{pid_file}"; exec "{everything}" stdio']
    async with gateway(tmp_path, policy, wrapper) as (client, run):
        assert not (await client.call_tool("get-sum", {"a": 1, "b": 2})).is_error
        os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        await anyio.sleep(0.5)
        with anyio.fail_after(20):
            with pytest.raises(MCPError, match="upstream MCP server is unavailable"):
                await client.call_tool("get-sum", {"a": 1, "b": 2})
            with pytest.raises(MCPError, match="upstream MCP server is unavailable"):
                await client.list_tools()
            # Denied calls are still answered by the policy, without the server.
            assert (await client.call_tool("get-env", {})).is_error
    assert run.audit_lines()[-2]["upstream"] == "unavailable"


def test_an_invalid_policy_stops_the_gateway_before_it_starts(tmp_path: Path, everything: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "deny", "tools": {"x": {"limits": [{"counter": "c", '
                      '"window": "minutes", "max": 1}]}}}', encoding="utf-8")
    marker = tmp_path / "started"
    result = subprocess.run(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp_path),
         "--", "/bin/sh", "-c", f'touch "{marker}"'],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a valid policy" in lines[0] and "minutes" in lines[0]
    assert not marker.exists()  # the server was never started


@pytest.mark.parametrize("how", ["exits", "closes-stdout"])
def test_a_server_that_fails_at_start_is_reported_in_one_sentence(tmp_path: Path, how: str) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    log = tmp_path / "gateway.log"
    script = {"exits": "exit 3", "closes-stdout": "exec >&-; sleep 0.3; exit 4"}[how]
    result = subprocess.run(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp_path),
         "--log", str(log), "--", "/bin/sh", "-c", script],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert re.fullmatch(r"policytui gateway: server 'sh' exited with code \d before answering initialize\.\n",
                        result.stderr), result.stderr
    # Nothing else said after the sentence, in the log either (no asyncio "never retrieved" noise).
    assert "Future exception" not in log.read_text(encoding="utf-8") and "Traceback" not in log.read_text(encoding="utf-8")


POLICYTUI = str(Path(sys.executable).with_name("policytui"))


@pytest.mark.parametrize("server", ["/bin/false", "/nonexistent/mcp-server"])
def test_a_server_that_will_not_start_is_said_alone_on_standard_error(tmp_path: Path, server: str) -> None:
    """With its log on standard error (the default), the installed command says why the server
    did not start in its one sentence and nothing more; before, the start's routine INFO lines
    (the state store, the policy loaded) came first. `--log-level debug` shows them."""
    policy = _write_policy(tmp_path / "policy.json", BASE)
    command = [POLICYTUI, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--", server]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert re.fullmatch(r"policytui gateway: (server 'false' exited with code 1 before answering initialize|"
                        r"the server command '/nonexistent/mcp-server' does not exist)\.\n", result.stderr), result.stderr
    verbose = subprocess.run([*command[:2], "--log-level", "debug", *command[2:]], capture_output=True, text=True,
                             timeout=60, stdin=subprocess.DEVNULL, check=False)
    assert verbose.returncode == 1
    assert f" INFO policy {policy} loaded" in verbose.stderr, verbose.stderr
    assert verbose.stderr.endswith(result.stderr), verbose.stderr


def test_the_start_is_logged_on_standard_error_once_the_server_has_started(tmp_path: Path, everything: Path) -> None:
    """The start's INFO lines, held while the server starts, are written once it has, in order."""
    policy = _write_policy(tmp_path / "policy.json", BASE)
    result = subprocess.run(
        [POLICYTUI, "gateway", "--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--", str(everything),
         "stdio"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 0, result.stderr
    said = [line.split(" INFO ", 1)[1] for line in result.stderr.splitlines() if " INFO " in line]
    assert [line.split(" ")[0] for line in said] == ["state:", "server:", "policy", "serving", "the"], result.stderr


@pytest.mark.parametrize("how,code", [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_a_signal_while_the_server_starts_stops_the_gateway_and_the_server(
        tmp_path: Path, everything: Path, how: int, code: int) -> None:
    """A signal before the gateway serves (the server still starting) stops both: exit 0 for a
    service manager's SIGTERM, 130 for ctrl+c, as every command exits on it."""
    policy = _write_policy(tmp_path / "policy.json", BASE)
    pid_file = tmp_path / "upstream.pid"
    process = subprocess.Popen(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp_path),
         "--log", str(tmp_path / "gateway.log"), "--", "/bin/sh", "-c",
         f'echo $$ > "{pid_file}.tmp"; mv "{pid_file}.tmp" "{pid_file}"; sleep 30; exec "{everything}" stdio'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists():
            assert time.monotonic() < deadline and process.poll() is None, "the server was never started"
            time.sleep(0.02)
        upstream = int(pid_file.read_text().strip())
        process.send_signal(how)
        assert process.wait(timeout=20) == code
    finally:
        if process.poll() is None:
            process.kill()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert _gone(upstream), "the server outlived the gateway"


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")
async def test_upstream_notifications_reach_the_client(tmp_path: Path, everything: Path) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    logged = anyio.Event()
    updated: list[str] = []
    got_update = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.LoggingMessageNotification):
            logged.set()
        if isinstance(message, types.ResourceUpdatedNotification):
            updated.append(str(message.params.uri))
            got_update.set()

    async with gateway(tmp_path, policy, [str(everything), "stdio"], on_message=on_message) as (client, _run):
        uri = (await client.list_resources()).resources[0].uri
        await client.subscribe_resource(uri)
        assert not (await client.call_tool("toggle-subscriber-updates", {})).is_error
        assert not (await client.call_tool("toggle-simulated-logging", {})).is_error
        with anyio.fail_after(15):
            await logged.wait()
            await got_update.wait()
    assert str(uri) in updated


def test_sigterm_stops_the_gateway_and_its_server(tmp_path: Path, everything: Path) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    pid_file = tmp_path / "upstream.pid"
    log = tmp_path / "gateway.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp_path),
         "--log", str(log), "--", "/bin/sh", "-c", f'echo $$ > "{pid_file}"; exec "{everything}" stdio'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while "serving MCP" not in (log.read_text(encoding="utf-8") if log.exists() else ""):
            assert time.monotonic() < deadline and process.poll() is None, "the gateway did not start"
            time.sleep(0.05)
        upstream = int(pid_file.read_text().strip())
        process.send_signal(signal.SIGTERM)  # standard input stays open: the client did not leave
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert _gone(upstream)


def _gone(pid: int) -> bool:
    """Exited (a zombie nobody reaped yet counts as exited)."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    ("flag", "message"),
    [("--audit", "cannot open the audit log"), ("--log", "cannot open the log file"), ("--tokens", "applies only with --listen")],
)
def test_unusable_files_are_refused_in_one_sentence(tmp_path: Path, flag: str, message: str) -> None:
    policy = _write_policy(tmp_path / "policy.json", BASE)
    marker = tmp_path / "started"
    result = subprocess.run(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp_path),
         flag, "/proc/no/such/dir/file", "--", "/bin/sh", "-c", f'touch "{marker}"'],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False,
    )
    assert result.returncode in (1, 2)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not marker.exists()


@pytest.mark.parametrize(
    ("tokens_json", "grant", "words"),
    [
        ('{"aaaaaaaaaaaaaaaaaaaa-token": "al\\ud800ice"}', None, "token number 1 in"),
        ('{"aaaa\\udc00aaaaaaaaaaaaaaaaaaa": "alice"}', None, "token number 1 in"),
        (None, b"al\xffice", "--grant"),
    ],
    ids=["grant in the tokens file", "token", "--grant not UTF-8"],
)
def test_a_grant_or_token_that_is_not_text_is_refused_before_the_server_starts(
    tmp_path: Path, tokens_json: str | None, grant: bytes | None, words: str
) -> None:
    """A grant name (or token) holding an unpaired surrogate (`"\\ud800"` in the tokens file, or
    `--grant` given bytes that are not UTF-8) cannot be stored: every limited call of that grant
    failed inside the gateway with a traceback, unaudited. Refused at start in one sentence."""
    policy = _write_policy(tmp_path / "policy.json", BASE)
    marker = tmp_path / "started"
    options: list[str | bytes] = []
    if tokens_json is not None:
        (tmp_path / "tokens.json").write_text(tokens_json, encoding="utf-8")
        options = ["--listen", "127.0.0.1:0", "--tokens", str(tmp_path / "tokens.json")]
    if grant is not None:
        options = ["--grant", grant]
    result = subprocess.run(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp_path),
         *options, "--", "/bin/sh", "-c", f'touch "{marker}"'],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False, errors="replace",
    )
    assert result.returncode in (1, 2), result
    assert words in result.stderr and "not valid text" in result.stderr, result.stderr
    assert "aaaaaaaaaaaaaaaaaaa" not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not marker.exists()


def test_a_token_written_twice_is_refused_before_the_server_starts(tmp_path: Path) -> None:
    """`{"T": "admin", "T": "intern"}`: which grant the token stands for would be a guess (a
    JSON reader keeps the last). The gateway refuses the file in one sentence, naming the
    token's place and never the token, and starts nothing."""
    policy = _write_policy(tmp_path / "policy.json", BASE)
    tokens = tmp_path / "tokens.json"
    secret = "aaaaaaaaaaaaaaaaaaaa-token"
    tokens.write_text(f'{{"{secret}": "admin-bot", "bbbbbbbbbbbbbbbbbbbb": "bob", "{secret}": "readonly-intern"}}',
                      encoding="utf-8")
    marker = tmp_path / "started"
    result = subprocess.run(
        [sys.executable, "-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp_path),
         "--listen", "127.0.0.1:0", "--tokens", str(tokens), "--", "/bin/sh", "-c", f'touch "{marker}"'],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False,
    )
    assert result.returncode in (1, 2), result
    assert "token number 3 in" in result.stderr and "is written twice" in result.stderr, result.stderr
    assert secret not in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not marker.exists()
