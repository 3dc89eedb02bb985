"""Which policy decided a call: every audit line names the policy file's SHA-256, the one the
gateway logs when it loads the policy and when it reloads it, so an operator reading the audit
of a gateway whose policy changed while it ran can tell which rules applied to each call.

The installed gateway listens on loopback (`--listen 127.0.0.1:0`) in front of the real
server-everything; the mcp SDK's client calls `echo` as an agent does, the policy file is
rewritten between two calls, and the audit log, the recording and the gateway's log are read.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import anyio
import pytest
from audit_support import outcome_lines, sent_lines
from gateway_support import call_text, sdk_client

pytestmark = pytest.mark.servers

FIRST = {"version": "1", "default": "allow"}
SECOND = {"version": "1", "default": "allow", "tools": {"echo": {"action": "deny", "reason": "echo is off now"}}}
LOGGED = re.compile(r"policy \S+ (loaded|reloaded) \(sha256 ([0-9a-f]{64})\)")


async def test_each_audit_line_names_the_policy_that_decided_before_and_after_a_reload(
    tmp_path: Path, everything: Path
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(FIRST), encoding="utf-8")
    first = hashlib.sha256(policy.read_bytes()).hexdigest()
    log, audit, recording = tmp_path / "gateway.log", tmp_path / "audit.jsonl", tmp_path / "recording.jsonl"
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--audit", str(audit),
               "--record", str(recording), "--reload-interval", "0.1"]
    async with sdk_client("http", "legacy", options, [str(everything), "stdio"], log) as client:
        before = await client.call_tool("echo", {"message": "before"})
        policy.write_text(json.dumps(SECOND, indent=2), encoding="utf-8")
        second = hashlib.sha256(policy.read_bytes()).hexdigest()
        with anyio.fail_after(20):
            while "reloaded" not in log.read_text(encoding="utf-8"):
                await anyio.sleep(0.05)
        after = await client.call_tool("echo", {"message": "after"})
    assert call_text(before) == "Echo: before" and not before.is_error
    assert after.is_error and "echo is off now" in call_text(after)

    # The log names each policy as it comes into force, by the hash `sha256sum` gives.
    assert LOGGED.findall(log.read_text(encoding="utf-8")) == [("loaded", first), ("reloaded", second)]
    lines = [line for line in outcome_lines(audit) if line["tool"] == "echo"]
    assert [(line["decision"], line["policy_sha256"]) for line in lines] == [("allowed", first), ("denied", second)]
    assert [line["policy_sha256"] for line in sent_lines(audit) if line["tool"] == "echo"] == [first]
    recorded = [json.loads(text) for text in recording.read_text(encoding="utf-8").splitlines()]
    assert [(r["tool"], r["policy_sha256"]) for r in recorded if r["tool"] == "echo"] == [("echo", first), ("echo", second)]
