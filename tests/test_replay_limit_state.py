"""Replay of rate-limit denials whose window was used before the recording began.

A gateway with a limit and `--record` runs in front of the real everything server until the
limit bites; it is restarted with a new recording in the same window (the counters live on in
its state folder), and the calls of the second recording are denied from the first. Replaying
that recording against the very policy that made it must report nothing changed (they are
counted apart as `limit_state_not_in_recording`), and a looser limit must still show them as
newly allowed: replay simulates counters from the recording alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = [pytest.mark.servers, pytest.mark.usefixtures("one_window")]

POLICYTUI = Path(sys.executable).parent / "policytui"


def _limited(tmp: Path, name: str, limit: dict[str, Any]) -> Path:
    path = tmp / name
    path.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"echo": {"limits": [limit]}}}),
                    encoding="utf-8")
    return path


def _calls(tmp: Path, policy: Path, recording: str, count: int, server: Path) -> list[bool]:
    """Make `count` echo calls through a recording gateway; whether each was refused."""
    import anyio

    refused: list[bool] = []

    async def traffic() -> None:
        params = StdioServerParameters(
            command=str(POLICYTUI),
            args=["gateway", "--policy", str(policy), "--state-dir", str(tmp / "state"),
                  "--record", str(tmp / recording), "--log", str(tmp / "gateway.log"), "--", str(server)],
            cwd=str(tmp), env=dict(os.environ),
        )
        async with Client(stdio_client(params), mode="legacy", read_timeout_seconds=60) as client:
            for i in range(count):
                result = await client.call_tool("echo", {"message": f"call {i}"})
                refused.append(bool(result.is_error))

    anyio.run(traffic)
    return refused


def replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(POLICYTUI), "replay", *args], capture_output=True, text=True, timeout=120)


def test_denials_from_before_the_recording_are_unchanged_under_the_same_policy(
        tmp_path: Path, test_servers: Path, terminal: Any) -> None:
    server = test_servers / "everything" / "node_modules" / ".bin" / "mcp-server-everything"
    if not server.exists():
        pytest.skip(f"everything server is not installed at {server} (run tests/servers/install.sh)")
    live = _limited(tmp_path, "live.json", {"counter": "echoes", "window": "hour", "max": 3})
    assert _calls(tmp_path, live, "first.jsonl", 4, server) == [False, False, False, True]
    # The gateway restarted mid-window: its counters are in the state folder, not in this file.
    assert _calls(tmp_path, live, "second.jsonl", 2, server) == [True, True]
    second = str(tmp_path / "second.jsonl")

    same = replay(second, "--policy", str(live), "--json")
    assert same.returncode == 0, same.stderr
    report = json.loads(same.stdout)
    assert report["changed"]["newly_allowed"] == 0
    assert report["limit_state_not_in_recording"] == 2
    assert report["outcomes"] == {"rate_limited": 2}
    text = replay(second, "--policy", str(live))
    assert text.returncode == 0
    assert "Changes: no call changes." in text.stdout
    assert "Unchanged: 2 denied by a rate limit whose window was used before the recording began" in text.stdout

    # The same limit written anew (another file), counting every caller's calls, and stricter.
    stricter = _limited(tmp_path, "stricter.json", {"counter": "echoes", "window": "day", "max": 2, "scope": "global"})
    report = json.loads(replay(second, "--policy", str(stricter), "--json").stdout)
    assert report["changed"]["newly_allowed"] == 0
    assert report["limit_state_not_in_recording"] == 2

    # A looser limit would let them through: that is a change, whatever the counters held.
    looser = _limited(tmp_path, "looser.json", {"counter": "echoes", "window": "hour", "max": 10})
    report = json.loads(replay(second, "--policy", str(looser), "--json").stdout)
    assert report["changed"]["newly_allowed"] == 2
    assert report["limit_state_not_in_recording"] == 0
    # A narrower scope may count fewer calls than the live one did: not called unchanged either.
    narrower = _limited(tmp_path, "narrower.json",
                        {"counter": "echoes", "window": "hour", "max": 3, "scope": "session"})
    report = json.loads(replay(second, "--policy", str(narrower), "--json").stdout)
    assert report["changed"]["newly_allowed"] == 2

    # The editor's Replay tab, on the policy as saved, says what the command says.
    terminal.start([str(POLICYTUI), "connect", "--policy", str(live), "--replay", second, "--", str(server)],
                   cwd=tmp_path, size=(150, 30))
    terminal.wait("the tools in the table", lambda s: "13 tools" in s or "tools" in s and "echo" in s, timeout=60)
    terminal.keys("6")
    screen = terminal.wait("the replay summary", lambda s: "recorded calls from second.jsonl" in s, timeout=30)
    # The panel's lines, right of the table, joined as one text (they wrap in the pane).
    flat = " ".join(" ".join(line.split("│", 1)[1].split()) for line in screen.splitlines() if "│" in line)
    assert "PASS" in flat and "no call changes" in flat, screen
    assert "Unchanged: 2 denied by a rate limit whose window was used before the recording" in flat, screen
    assert "newly allowed" not in flat, screen


def test_a_stricter_limit_is_never_passed_on_a_window_the_recording_began_in(
        tmp_path: Path, test_servers: Path, terminal: Any) -> None:
    """Six calls, then a restart with a new recording and three more, all under a limit of ten
    an hour: a draft's limit of five would have denied the three, but the recording alone
    shows three calls in the hour. Replay must not pass that draft."""
    server = test_servers / "everything" / "node_modules" / ".bin" / "mcp-server-everything"
    if not server.exists():
        pytest.skip(f"everything server is not installed at {server} (run tests/servers/install.sh)")
    live = _limited(tmp_path, "live.json", {"counter": "echoes", "window": "hour", "max": 10})
    assert _calls(tmp_path, live, "first.jsonl", 6, server) == [False] * 6
    assert _calls(tmp_path, live, "second.jsonl", 3, server) == [False] * 3
    second = str(tmp_path / "second.jsonl")
    stricter = _limited(tmp_path, "stricter.json", {"counter": "echoes", "window": "hour", "max": 5})

    done = replay(second, "--policy", str(stricter), "--json")
    assert done.returncode == 1, done.stdout
    report = json.loads(done.stdout)
    assert report["passed"] is False
    assert report["allowed_now_limit_unknown"] == 3
    assert [(c["tool"], c["change"], c["calls"]) for c in report["changes"]] == [("echo", "limit_unknown", 3)]
    text = replay(second, "--policy", str(stricter))
    assert "Failed: 3 calls that were allowed may be denied by a limit whose window was under way" in text.stdout
    assert "give --against the policy the recording was made under" in text.stdout
    # Against the policy in force it is stricter still: no --against makes it pass.
    assert replay(second, "--policy", str(stricter), "--against", str(live)).returncode == 1

    # The very policy in force passes; a looser one passes once replay knows the one in force.
    assert replay(second, "--policy", str(live)).returncode == 0
    looser = _limited(tmp_path, "looser.json", {"counter": "echoes", "window": "hour", "max": 20})
    assert replay(second, "--policy", str(looser)).returncode == 1
    known = replay(second, "--policy", str(looser), "--against", str(live), "--json")
    assert known.returncode == 0 and json.loads(known.stdout)["changed"]["limit_unknown"] == 0

    # The editor's Replay tab: the stricter draft fails there too.
    terminal.start([str(POLICYTUI), "connect", "--policy", str(stricter), "--replay", second, "--", str(server)],
                   cwd=tmp_path, size=(150, 30))
    terminal.wait("the tools in the table", lambda s: "echo" in s and "tools" in s, timeout=60)
    terminal.keys("6")
    screen = terminal.wait("the replay summary", lambda s: "recorded calls from second.jsonl" in s, timeout=30)
    panel = " ".join(" ".join(line.split("│", 1)[1].split()) for line in screen.splitlines() if "│" in line)
    assert "FAIL" in panel and "unknown: limit count before the recording 3" in panel, screen
