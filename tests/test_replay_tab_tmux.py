"""The editor's Replay tab says what `policytui replay` says of the same files.

A pinning gateway (`gateway --pin --record`) stands in front of a real server
(tests/servers/misbehaving/rug_pull.py) whose tool nobody approved yet: its call is denied as
drift, and such a call is not compared. The installed command says so in a line of its own;
the editor (the installed `policytui connect --replay`, in tmux) must say the same, so that a
user comparing the two reads the same numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
from discovery_support import script
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

POLICYTUI = Path(sys.executable).parent / "policytui"


def _record_a_drift_denial(tmp: Path, policy: Path, recording: Path, *, pin: bool = True,
                           tool: str = "fetch_page", env: dict[str, str] | None = None) -> str:
    async def traffic() -> str:
        params = StdioServerParameters(
            command=str(POLICYTUI),
            args=["gateway", *(["--pin"] if pin else []), "--policy", str(policy), "--state-dir", str(tmp / "state"),
                  "--record", str(recording), "--log", str(tmp / "gateway.log"), "--", *script("rug_pull.py")],
            cwd=str(tmp), env={**os.environ, **(env or {})},
        )
        async with Client(stdio_client(params), mode="legacy", read_timeout_seconds=60) as client:
            result = await client.call_tool(tool, {"url": "https://example.com/"})
            assert result.is_error is pin
            return str(result.content[0].text)  # type: ignore[union-attr]

    return anyio.run(traffic)


def test_replay_tab_says_which_calls_were_not_compared(tmp_path: Path, terminal: Any) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    recording = tmp_path / "calls.jsonl"
    said = _record_a_drift_denial(tmp_path, policy, recording)
    assert "has no approved definition and pinning is on" in said
    assert json.loads(recording.read_text(encoding="utf-8").splitlines()[-1])["drift"] is True

    cli = subprocess.run([str(POLICYTUI), "replay", str(recording), "--policy", str(policy)],
                         capture_output=True, text=True, timeout=60)
    # Its one call is not compared: a gate that tested nothing does not pass.
    assert cli.returncode == 1, cli.stderr
    nothing = ("Failed: the one recorded call was not compared (it is counted apart above), "
               "so nothing was tested.")
    assert cli.stdout.splitlines()[-1] == nothing, cli.stdout
    not_compared = [line for line in cli.stdout.splitlines() if line.startswith("Not compared: 1 denied")]
    assert len(not_compared) == 1, cli.stdout
    # The tool was never approved: the line must not say it changed since it was.
    assert "had no approved definition" in not_compared[0], cli.stdout

    terminal.start([str(POLICYTUI), "connect", "--policy", str(policy), "--replay", str(recording),
                    "--", *script("rug_pull.py")], cwd=tmp_path, size=(160, 30))
    terminal.wait("the tools in the table", lambda s: "fetch_page" in s, timeout=60)
    terminal.keys("6")
    screen = terminal.wait("the replay summary", lambda s: "recorded calls from calls.jsonl" in s, timeout=30)
    # The panel's lines, right of the table, joined as one text (they wrap in the pane).
    panel = " ".join(" ".join(line.split("│", 1)[1].split()) for line in screen.splitlines() if "│" in line)
    assert "1 recorded calls" in panel or "1 recorded call" in panel, screen
    assert not_compared[0] in panel, screen
    assert "FAIL" in panel and "PASS" not in panel and nothing in panel, screen


def test_replay_tab_does_not_decide_calls_for_a_tool_the_server_no_longer_lists(
        tmp_path: Path, terminal: Any) -> None:
    """Recorded while the server listed `export_all`; the server the editor lists now does not:
    the gateway would answer such a call itself under any policy, so the tab does not call it
    allowed under the draft, and says so."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    recording = tmp_path / "calls.jsonl"
    _record_a_drift_denial(tmp_path, policy, recording, pin=False, tool="export_all",
                           env={"RUG_PULL_NEW_TOOL": "export_all"})
    assert json.loads(recording.read_text(encoding="utf-8").splitlines()[-1])["decision"] == "allowed"

    terminal.start([str(POLICYTUI), "connect", "--policy", str(policy), "--replay", str(recording),
                    "--", *script("rug_pull.py")], cwd=tmp_path, size=(160, 30))
    terminal.wait("the tools in the table", lambda s: "fetch_page" in s, timeout=60)
    terminal.keys("6")
    screen = terminal.wait("the replay summary", lambda s: "recorded calls from calls.jsonl" in s, timeout=30)
    panel = " ".join(" ".join(line.split("│", 1)[1].split()) for line in screen.splitlines() if "│" in line)
    assert "Not compared: 1 for a tool the server does not list now" in panel, screen
    # As for a recording of another server's tools: nothing was compared, so nothing passed.
    assert "FAIL" in panel and "PASS" not in panel, screen
    assert "the one recorded call was not compared (it is counted apart above), so nothing was tested" in panel, screen
