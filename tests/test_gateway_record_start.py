"""`policytui gateway --record FILE` or `--audit FILE` whose start fails leaves no file behind.

A gateway that never served recorded nothing: an empty `calls.jsonl` left by it reads as a
session that ran and saw no calls (and `replay` of it as a policy that decided nothing). So a
start that fails, before the server is started (the state file refused), because the server
exits before answering `initialize`, or because it cannot list its tools, leaves no new file,
and a recording that was there before is left byte for byte as it was. A gateway that served,
even without a call, keeps its recording. The audit log is treated alike: one this start
created and never wrote is removed, one already there (many runs append to one log) stays byte
for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from audit_support import outcome_lines

pytestmark = pytest.mark.servers

# The installed command, as a user runs it.
POLICYTUI = str(Path(sys.executable).with_name("policytui"))
MISBEHAVING = Path(__file__).resolve().parent / "servers" / "misbehaving"
POLICY = {"version": "1", "default": "deny"}
# An earlier session's recording, which a failed start must leave as it was.
EARLIER = b'{"tool": "echo", "decision": "allowed", "arguments": {"text": "earlier"}}\n'

# (what fails, the server, its environment, the state given, the last line of standard error)
FAILED_STARTS = {
    "the state file is refused": (
        [sys.executable, str(MISBEHAVING / "list_fails.py")], {}, "not-a-database",
        "file is not a database."),
    "the server exits before answering initialize": (
        [sys.executable, str(MISBEHAVING / "exits_at_start.py")], {}, "memory://",
        "  | fatal: KESTRA_BASE_URL is not set; cannot start"),
    "the server cannot list its tools": (
        [sys.executable, str(MISBEHAVING / "list_fails.py")], {"LIST_MODE": "error"}, "memory://",
        "failed to list its tools: database connection lost (error -32603)."),
}


def _gateway(tmp: Path, server: list[str], env: dict[str, str], state: str) -> subprocess.CompletedProcess[bytes]:
    (tmp / "policy.json").write_text(json.dumps(POLICY), encoding="utf-8")
    (tmp / "not-a-database").write_bytes(b"this is no SQLite file\n")
    if state == "not-a-database":
        state = f"sqlite:///{tmp / 'not-a-database'}"
    return subprocess.run(
        [POLICYTUI, "gateway", "--policy", str(tmp / "policy.json"), "--state", state,
         "--audit", str(tmp / "audit.jsonl"), "--record", str(tmp / "calls.jsonl"), "--", *server],
        input=b"", capture_output=True, env={**os.environ, **env}, timeout=60, check=False)


@pytest.mark.parametrize("failure", FAILED_STARTS)
def test_a_failed_start_leaves_no_new_recording_and_an_earlier_one_untouched(tmp_path: Path, failure: str) -> None:
    server, env, state, said = FAILED_STARTS[failure]
    fresh = _gateway(tmp_path, server, env, state)
    assert fresh.returncode == 1, fresh.stderr.decode()
    assert fresh.stderr.decode().rstrip().endswith(said), fresh.stderr.decode()
    assert "Traceback" not in fresh.stderr.decode()
    assert not (tmp_path / "calls.jsonl").exists(), "a failed start left an empty recording"

    recording = tmp_path / "calls.jsonl"
    recording.write_bytes(EARLIER)
    os.utime(recording, (1_700_000_000, 1_700_000_000))
    again = _gateway(tmp_path, server, env, state)
    assert again.returncode == 1, again.stderr.decode()
    assert recording.read_bytes() == EARLIER
    assert recording.stat().st_mtime == 1_700_000_000
    # No call was decided, so none is audited (the audit log may hold the start's probes only).
    audit = tmp_path / "audit.jsonl"
    assert [line for line in (outcome_lines(audit) if audit.exists() else []) if line["decision"] != "probe"] == []


def test_a_gateway_that_served_keeps_its_recording_even_without_a_call(tmp_path: Path) -> None:
    served = _gateway(tmp_path, [sys.executable, str(MISBEHAVING / "list_fails.py")], {"LIST_MODE": "loop"},
                      "memory://")
    assert served.returncode == 0, served.stderr.decode()
    assert (tmp_path / "calls.jsonl").read_bytes() == b""


@pytest.mark.parametrize("failure", FAILED_STARTS)
def test_a_failed_start_leaves_no_new_audit_log_and_an_earlier_one_untouched(tmp_path: Path, failure: str) -> None:
    """An audit log a start created and never wrote is removed as the recording is (an empty
    file reads as a gateway that ran and decided nothing; why it stopped is on standard error
    and in --log), while one already there, appended to by earlier runs or left empty for
    them, stays byte for byte and untouched."""
    server, env, state, said = FAILED_STARTS[failure]
    audit = tmp_path / "audit.jsonl"
    fresh = _gateway(tmp_path, server, env, state)
    assert fresh.returncode == 1, fresh.stderr.decode()
    assert fresh.stderr.decode().rstrip().endswith(said), fresh.stderr.decode()
    assert not audit.exists(), f"a failed start left an audit log holding {audit.read_bytes()!r}"

    earlier = b'{"tool": "echo", "decision": "allowed", "reason": "an earlier run"}\n'
    for there in (earlier, b""):
        audit.write_bytes(there)
        os.utime(audit, (1_700_000_000, 1_700_000_000))
        again = _gateway(tmp_path, server, env, state)
        assert again.returncode == 1, again.stderr.decode()
        assert audit.read_bytes() == there
        assert audit.stat().st_mtime == 1_700_000_000


def test_a_gateway_that_served_keeps_its_audit_log(tmp_path: Path) -> None:
    served = _gateway(tmp_path, [sys.executable, str(MISBEHAVING / "list_fails.py")], {"LIST_MODE": "loop"},
                      "memory://")
    assert served.returncode == 0, served.stderr.decode()
    assert (tmp_path / "audit.jsonl").exists()
