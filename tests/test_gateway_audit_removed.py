"""An audit log, recording or log removed, renamed or left without its folder while the gateway runs.

A gateway kept the descriptor it opened at start and went on writing into it: after `rm
audit.jsonl` (a clean-up) or `mv audit.jsonl audit.jsonl.1` (a rotation) every call was still
forwarded, and its lines went into a file no name leads to, or into the rotated one, while the
path the operator reads stayed missing: calls reached the server with no line anyone could read,
and nothing said so. Now each line is written to the file at the path as named: one that is
gone or replaced is opened anew (owner-only, symbolic links refused as at start), the log says
so once, and when it cannot be (its folder is gone) calls are denied, as for a full disk.

The installed gateway listens on loopback in front of the real server-everything; the mcp
SDK's client calls `echo` as an agent does, and the files on disk and the gateway's log are read.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import anyio
import pytest
from audit_support import outcome_lines, sent_lines
from gateway_support import call_text, sdk_client

pytestmark = pytest.mark.servers

POLICY = {"version": "1", "default": "allow"}


def _policy(tmp_path: Path) -> Path:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(POLICY), encoding="utf-8")
    return policy


def _echoed(path: Path) -> list[tuple[str, str]]:
    """(decision, upstream) of each echo outcome line in the file at `path`."""
    return [(line["decision"], line.get("upstream", "")) for line in outcome_lines(path) if line["tool"] == "echo"]


async def test_an_audit_log_and_recording_removed_while_in_use_are_written_anew_at_their_paths(
    tmp_path: Path, everything: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    audit, recording, log = logs / "audit.jsonl", logs / "calls.jsonl", tmp_path / "gateway.log"
    options = ["--policy", str(_policy(tmp_path)), "--state-dir", str(tmp_path / "state"),
               "--audit", str(audit), "--record", str(recording)]
    async with sdk_client("http", "legacy", options, [str(everything), "stdio"], log) as client:
        first = await client.call_tool("echo", {"message": "first"})
        audit.unlink()
        recording.unlink()
        second = await client.call_tool("echo", {"message": "second"})
    assert call_text(first) == "Echo: first" and call_text(second) == "Echo: second"

    # The call made after the removal is in a new file at the path, sent line and outcome both.
    assert _echoed(audit) == [("allowed", "ok")]
    assert [line["tool"] for line in sent_lines(audit)] == ["echo"]
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    recorded = [json.loads(text) for text in recording.read_text(encoding="utf-8").splitlines()]
    assert [r["arguments"] for r in recorded if r["tool"] == "echo"] == [{"message": "second"}]
    text = log.read_text(encoding="utf-8")
    assert f"the audit log {audit} was removed or replaced while in use; writing a new one there" in text
    assert f"the recording {recording} was removed or replaced while in use; writing a new one there" in text


async def test_a_rotated_audit_log_keeps_its_lines_and_the_next_calls_go_to_the_path(
    tmp_path: Path, everything: Path
) -> None:
    audit, log = tmp_path / "audit.jsonl", tmp_path / "gateway.log"
    rotated = tmp_path / "audit.jsonl.1"
    options = ["--policy", str(_policy(tmp_path)), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    async with sdk_client("http", "legacy", options, [str(everything), "stdio"], log) as client:
        await client.call_tool("echo", {"message": "before"})
        audit.rename(rotated)
        await client.call_tool("echo", {"message": "after"})
        await client.call_tool("echo", {"message": "after again"})
    assert _echoed(rotated) == [("allowed", "ok")]
    assert _echoed(audit) == [("allowed", "ok"), ("allowed", "ok")]


async def test_an_audit_log_whose_folder_is_removed_denies_calls_until_it_is_back(
    tmp_path: Path, everything: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    audit, log = logs / "audit.jsonl", tmp_path / "gateway.log"
    options = ["--policy", str(_policy(tmp_path)), "--state-dir", str(tmp_path / "state"), "--audit", str(audit)]
    async with sdk_client("http", "legacy", options, [str(everything), "stdio"], log) as client:
        await client.call_tool("echo", {"message": "before"})
        shutil.rmtree(logs)
        refused = await client.call_tool("echo", {"message": "unaudited"})
        logs.mkdir()
        # Denied while the log fails, as for a full disk; its line, once written, ends that.
        recovering = await client.call_tool("echo", {"message": "recovering"})
        back = await client.call_tool("echo", {"message": "back"})
    # The server never echoed the calls no line could be written for.
    for denied in (refused, recovering):
        assert denied.is_error and "the audit log cannot be written" in call_text(denied)
    assert call_text(back) == "Echo: back"
    assert _echoed(audit) == [("denied", ""), ("allowed", "ok")]
    assert "cannot write the audit log" in log.read_text(encoding="utf-8")


async def test_the_default_audit_log_comes_back_with_its_state_folder(tmp_path: Path, everything: Path) -> None:
    """The state folder is the gateway's own, made at start: a clean-up that removes it whole
    (`rm -rf ~/.local/state/policytui`) left every call denied until someone made the folder
    again by hand, as the audit log in it could not be opened. It is made again, owner-only."""
    state, log = tmp_path / "state", tmp_path / "gateway.log"
    options = ["--policy", str(_policy(tmp_path)), "--state-dir", str(state)]
    async with sdk_client("http", "legacy", options, [str(everything), "stdio"], log) as client:
        await client.call_tool("echo", {"message": "before"})
        shutil.rmtree(state)
        after = await client.call_tool("echo", {"message": "after"})
    assert call_text(after) == "Echo: after"
    assert _echoed(state / "audit.jsonl") == [("allowed", "ok")]
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


async def test_a_gateway_log_removed_while_in_use_is_written_anew(tmp_path: Path, everything: Path) -> None:
    """`rm gateway.log` to clear it: the gateway's later lines (here a reload; as well an
    outage, an audit log that cannot be written, a held call's approve command) went into the
    removed file, where nobody reads them."""
    policy, log = _policy(tmp_path), tmp_path / "gateway.log"
    options = ["--policy", str(policy), "--state-dir", str(tmp_path / "state"), "--reload-interval", "0.1"]
    async with sdk_client("http", "legacy", options, [str(everything), "stdio"], log) as client:
        log.unlink()
        policy.write_text(json.dumps({**POLICY, "default": "deny"}), encoding="utf-8")
        with anyio.fail_after(20):
            while not (log.exists() and "reloaded" in log.read_text(encoding="utf-8")):
                await anyio.sleep(0.05)
        denied = await client.call_tool("echo", {"message": "after"})
    assert denied.is_error
    text = log.read_text(encoding="utf-8")
    assert f"the log {log} was removed or replaced while in use; writing a new one there" in text
