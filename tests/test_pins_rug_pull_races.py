"""Pinned tool definitions against a server that picks its moment: a rewrite while a call waits
for a person's approval.

The server is tests/servers/misbehaving/rug_pull.py, a real process speaking MCP over stdio,
behind the real gateway; the client is the mcp SDK's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from discovery_support import script
from gateway_support import call_text, sdk_client
from test_gateway_approvals_command import _logged_command, _run
from test_pins_gateway import REWRITTEN, _approve, _audit

from policytui.gateway.pins import PIN_RULE


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_a_tool_rewritten_while_its_call_waits_for_approval_is_not_called(transport: str, tmp_path: Path) -> None:
    """A call to an approved tool waits for a person; meanwhile the server rewrites the tool
    (without a word) and the client's next listing shows it hidden. The person's approval must
    not send the call: the gateway knows the tool is no longer the one approved. It was sent,
    audited `allowed`, and the server ran the rewritten tool."""
    policy = _approve(tmp_path, pin_setting=True)
    doc = json.loads(policy.read_text(encoding="utf-8"))
    doc["tools"]["fetch_page"]["action"] = "require_approval"
    policy.write_text(json.dumps(doc), encoding="utf-8")
    rewritten = tmp_path / "description.txt"
    calls_log = tmp_path / "server-calls.txt"
    server = _server(RUG_PULL_DESCRIPTION_FILE=str(rewritten), RUG_PULL_CALLS=str(calls_log))
    log = tmp_path / "gateway.log"
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(tmp_path / "audit.jsonl"),
               "--approvals", "queue", "--approval-timeout", "60"]
    results: list[Any] = []

    async def run() -> tuple[list[str], Any]:
        async with sdk_client(transport, "legacy", options, server, log) as client:
            async def call() -> None:
                results.append(await client.call_tool("fetch_page", {"url": "https://example.org"}))

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                command = await _logged_command(log, 1)  # the call waits for a person
                rewritten.write_text(REWRITTEN, encoding="utf-8")
                listed = [t.name for t in (await client.list_tools()).tools]
                approved = await anyio.to_thread.run_sync(_run, command)
        return listed, approved

    listed, approved = anyio.run(run)
    assert listed == ["get_time"]  # what the client saw before the person approved
    reason = ('Tool "fetch_page" changed since it was approved (its description differs); '
              "re-approve it in the policy editor")
    assert approved.returncode == 1
    assert approved.stderr.strip().endswith(f"was approved, but the gateway did not send it: {reason}.")
    assert results[0].is_error is True and call_text(results[0]) == f"[POLICY DENIED] {reason}"
    # From the server's side: the rewritten tool was never called.
    reached = calls_log.read_text(encoding="utf-8").split() if calls_log.exists() else []
    assert [name for name in reached if not name.startswith("policytui-probe-")] == []
    lines = [line for line in _audit(tmp_path) if line["tool"] == "fetch_page"]
    assert [(line["decision"], line["rule"], line["reason"], line.get("drift"), line.get("approval"), line.get("upstream"))
            for line in lines] == [("denied", PIN_RULE, reason, True, "approved", None)]


def _server(**env: str) -> list[str]:
    """rug_pull.py's command with these variables set (a stdio gateway started by the SDK's
    client passes on only a few of its own)."""
    return ["env", *(f"{name}={value}" for name, value in env.items()), *script("rug_pull.py")]
