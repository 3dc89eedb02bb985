"""Approval through the approvals queue, answered the way a person answers it: by running the
`policytui approvals approve ID` command the gateway logs, in another process.

Every transport (stdio, `--listen`) and every client mode (handshake-era "legacy", 2026-07-28)
with the mcp SDK's `Client` in front of `python -m policytui gateway --approvals queue` and the
real server-everything. The client could answer an approval form (it has an elicitation
callback that approves everything): under `--approvals queue` it is never asked.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from audit_support import outcome_lines
from gateway_support import POLICYTUI_MODULE, call_text, sdk_client

pytestmark = pytest.mark.servers

POLICY = {
    "version": "1",
    "default": "allow",
    "tools": {"echo": {"reason": "echoes go to the whole team",
                       "require_approval_if": [{"path": "args.message", "op": "regex", "value": "^approve"}]}},
}
WAITS = re.compile(r"waits for approval: (policytui approvals approve .+)$", re.MULTILINE)


async def _logged_command(log: Path, count: int) -> list[str]:
    """The `count`-th command the gateway logged for a held call, as argv (waits up to 20 s)."""
    with anyio.fail_after(20):
        while True:
            found = WAITS.findall(log.read_text(encoding="utf-8")) if log.exists() else []
            if len(found) >= count:
                return shlex.split(found[count - 1])
            await anyio.sleep(0.05)


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    assert argv[0] == "policytui"
    return subprocess.run([*POLICYTUI_MODULE, *argv[1:]], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_a_held_call_is_answered_by_the_logged_approvals_command(
    transport: str, mode: str, tmp_path: Path, everything: Path
) -> None:
    asked: list[str] = []

    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)  # a client that would approve its own calls
        return types.ElicitResult(action="accept", content={"approve": True})

    (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--state-dir", str(tmp_path / "state"),
               "--audit", str(tmp_path / "audit.jsonl"), "--approvals", "queue", "--approval-timeout", "30"]
    log = tmp_path / "gateway.log"
    results: list[Any] = []
    async with sdk_client(transport, mode, options, [str(everything), "stdio"], log,
                          elicitation_callback=elicit) as client:

        async def call(message: str) -> None:
            results.append(await client.call_tool("echo", {"message": message}))

        for count, (message, answer) in enumerate([("approve me", "approve"), ("approve this too", "reject")], 1):
            async with anyio.create_task_group() as tg:
                tg.start_soon(call, message)
                command = await _logged_command(log, count)
                assert command[:3] == ["policytui", "approvals", "approve"]
                # The logged command names the gateway's store: run as logged, from anywhere.
                assert "--state" in command
                # The person deciding reads the author's reason, as the agent does when denied.
                listed = await anyio.to_thread.run_sync(_run, ["policytui", "approvals", *command[4:]])
                assert "echoes go to the whole team" in listed.stdout, listed.stdout + listed.stderr
                answered = await anyio.to_thread.run_sync(_run, [*command[:2], answer, *command[3:]])
                assert answered.returncode == 0, answered.stderr
            assert len(results) == count
    assert call_text(results[0]) == "Echo: approve me" and not results[0].is_error
    assert results[1].is_error and "a human rejected the call" in call_text(results[1])
    assert asked == []
    audit = outcome_lines(tmp_path / "audit.jsonl")
    held = [(line["decision"], line.get("approval"), line.get("approval_via")) for line in audit if line["tool"] == "echo"]
    assert held == [("allowed", "approved", "queue"), ("denied", "rejected", "queue")]


async def test_the_logged_command_finds_a_password_protected_redis_through_the_environment(
    tmp_path: Path, everything: Path
) -> None:
    """The logged command names the Redis store without its password (nothing shows one); run
    where `$POLICYTUI_STATE` holds the password, as docs/gateway.md advises, it must log in
    rather than let its password-less `--state` override the environment's."""
    from state_support import RedisServer

    redis = RedisServer(tmp_path / "redis", "--requirepass", "right-password").start()
    try:
        secret_url = f"redis://:right-password@127.0.0.1:{redis.port}/0"
        (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
        options = ["--policy", str(tmp_path / "policy.json"), "--state", secret_url,
                   "--audit", str(tmp_path / "audit.jsonl"), "--approvals", "queue", "--approval-timeout", "30"]
        log = tmp_path / "gateway.log"
        results: list[Any] = []
        async with sdk_client("stdio", "legacy", options, [str(everything), "stdio"], log) as client:

            async def call() -> None:
                results.append(await client.call_tool("echo", {"message": "approve me"}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                command = await _logged_command(log, 1)
                assert command[command.index("--state") + 1] == redis.url
                env = {**os.environ, "POLICYTUI_STATE": secret_url}
                answered = await anyio.to_thread.run_sync(
                    lambda: subprocess.run([*POLICYTUI_MODULE, *command[1:]], capture_output=True, text=True,
                                           timeout=60, check=False, env=env))
                assert answered.returncode == 0, answered.stderr
        assert call_text(results[0]) == "Echo: approve me"
        assert "right-password" not in log.read_text(encoding="utf-8")
    finally:
        redis.stop()


async def test_an_id_written_in_capitals_answers_the_call(tmp_path: Path, everything: Path) -> None:
    """Hex digits in capitals are the same id. Before, `approvals approve 58AA1B0B71C6` was
    refused as "not an approval id (8 to 32 hex digits, ...)", which it is."""
    import sys

    installed = str(Path(sys.executable).parent / "policytui")
    (tmp_path / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    options = ["--policy", str(tmp_path / "policy.json"), "--state-dir", str(tmp_path / "state"),
               "--no-audit", "--approvals", "queue", "--approval-timeout", "30"]
    log = tmp_path / "gateway.log"
    results: list[Any] = []
    async with sdk_client("stdio", "legacy", options, [str(everything), "stdio"], log) as client:

        async def call() -> None:
            results.append(await client.call_tool("echo", {"message": "approve me"}))

        async with anyio.create_task_group() as tg:
            tg.start_soon(call)
            command = await _logged_command(log, 1)
            shouted = [installed, *command[1:3], command[3].upper(), *command[4:]]
            shown = await anyio.to_thread.run_sync(lambda: subprocess.run(
                [installed, "approvals", "show", command[3].upper(), *command[4:]],
                capture_output=True, text=True, timeout=60, check=False))
            assert shown.returncode == 0 and command[3] in shown.stdout, shown.stderr
            done = await anyio.to_thread.run_sync(lambda: subprocess.run(
                shouted, capture_output=True, text=True, timeout=60, check=False))
            assert done.returncode == 0, done.stderr
            assert done.stdout == f"Call {command[3]} approved and sent to the server.\n"
    assert call_text(results[0]) == "Echo: approve me"
