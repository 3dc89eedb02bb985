"""Replay under a draft that pins tool definitions decides as the gateway does.

Traffic is recorded by the real gateway (`--record`) in front of tests/servers/misbehaving/
rug_pull.py; the draft turns pinning on and approves the definition of one tool only. The
installed `policytui replay` must report the other tool's calls as newly denied with the
gateway's own reason, and the real gateway under that draft must deny them with it.
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

from policytui.toolinfo import ToolInfo

POLICYTUI = Path(sys.executable).parent / "policytui"
NO_APPROVED = ('Tool "fetch_page" has no approved definition and pinning is on; '
               "approve it in the policy editor")


async def _traffic(tmp: Path, policy: Path, *extra: str) -> tuple[list[str], dict[str, Any]]:
    """Two calls through a real gateway: what the agent was told, and the tools it listed."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "policytui", "gateway", "--policy", str(policy), "--state-dir", str(tmp / "state"),
              "--audit", str(tmp / "audit.jsonl"), "--log", str(tmp / "gateway.log"), *extra,
              "--", *script("rug_pull.py")],
        cwd=str(tmp),
        env={**os.environ, "RUG_PULL_CALLS": str(tmp / "server-calls.txt")},
    )
    told = []
    with open(tmp / "stderr.txt", "a", encoding="utf-8") as errlog:  # noqa: ASYNC230 - opened once
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=30) as client:
            tools = {t.name: t.model_dump(by_alias=True, mode="json", exclude_none=True)
                     for t in (await client.list_tools()).tools}
            for name, args in (("fetch_page", {"url": "https://example.org"}), ("get_time", {})):
                result = await client.call_tool(name, args)
                text = "".join(getattr(c, "text", "") for c in result.content)
                told.append(("denied: " if result.is_error else "") + text)
    return told, tools


def _replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(POLICYTUI), "replay", *args], capture_output=True, text=True, timeout=120)


def test_a_pinning_draft_denies_calls_to_tools_it_approves_no_definition_of(tmp_path: Path) -> None:
    live = tmp_path / "live.json"
    live.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    told, tools = anyio.run(_traffic, tmp_path, live, "--record", str(tmp_path / "recording.jsonl"))
    assert told == ["called fetch_page", "called get_time"]
    get_time = tools["get_time"]
    recording = tmp_path / "recording.jsonl"

    approved = {"get_time": ToolInfo.from_wire(get_time).fingerprint()}
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "allow",
                                 "x-policytui": {"pin": True, "fingerprints": approved}}), encoding="utf-8")
    replayed = _replay(str(recording), "--policy", str(draft), "--json")
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    report = json.loads(replayed.stdout)
    assert [(c["tool"], c["change"], c["calls"], c["first"]["rule"], c["first"]["reason"]) for c in report["changes"]] == [
        ("fetch_page", "newly_denied", 1, "x-policytui.pin", NO_APPROVED)
    ]

    # `gateway --pin` pins whatever the policy says; `replay --pin` decides the same way.
    unpinned = tmp_path / "unpinned.json"
    unpinned.write_text(json.dumps({"version": "1", "default": "allow",
                                    "x-policytui": {"fingerprints": approved}}), encoding="utf-8")
    assert _replay(str(recording), "--policy", str(unpinned)).returncode == 0
    forced = _replay(str(recording), "--policy", str(unpinned), "--pin", "--json")
    assert forced.returncode == 1 and json.loads(forced.stdout)["changes"] == report["changes"]

    # The gateway under the draft: the same call denied with the same reason, never sent.
    (tmp_path / "server-calls.txt").unlink()
    for policy, extra in ((draft, ()), (unpinned, ("--pin",))):
        told, _ = anyio.run(_traffic, tmp_path, policy, *extra)
        assert told == [f"denied: [POLICY DENIED] {NO_APPROVED}", "called get_time"]
    reached = [n for n in (tmp_path / "server-calls.txt").read_text(encoding="utf-8").split()
               if not n.startswith("policytui-probe-")]
    assert reached == ["get_time", "get_time"]


def test_a_hidden_tool_replays_as_hidden_under_a_pinning_draft(tmp_path: Path) -> None:
    """The gateway answers a hidden tool as a missing one whatever its pin, so replay decides
    it by the `hide` rule, not as unapproved."""
    live = tmp_path / "live.json"
    live.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    _, tools = anyio.run(_traffic, tmp_path, live, "--record", str(tmp_path / "recording.jsonl"))
    get_time = tools["get_time"]
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "allow", "hide": ["fetch_page"], "x-policytui": {
        "pin": True, "fingerprints": {"get_time": ToolInfo.from_wire(get_time).fingerprint()}}}), encoding="utf-8")
    replayed = _replay(str(tmp_path / "recording.jsonl"), "--policy", str(draft), "--json")
    assert [(c["tool"], c["change"], c["first"]["rule"]) for c in json.loads(replayed.stdout)["changes"]] == [
        ("fetch_page", "newly_denied", "hide")
    ]


def test_a_call_pinning_denied_for_want_of_an_approved_definition_is_newly_allowed_once_approved(
        tmp_path: Path) -> None:
    """A pinning gateway denied fetch_page, which its policy approved no definition of; a draft
    that approves it lets the call through, which replay says (newly allowed), not "not
    compared": no definition needs comparing, only the draft's approval, which it has."""
    # What the server lists: read through a gateway that does not pin.
    unpinned = tmp_path / "unpinned.json"
    unpinned.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    _, tools = anyio.run(_traffic, tmp_path, unpinned)
    prints = {name: ToolInfo.from_wire(tool).fingerprint() for name, tool in tools.items()}
    live = tmp_path / "live.json"
    live.write_text(json.dumps({"version": "1", "default": "allow", "x-policytui": {
        "pin": True, "fingerprints": {"get_time": prints["get_time"]}}}), encoding="utf-8")
    recording = tmp_path / "recording.jsonl"
    told, _ = anyio.run(_traffic, tmp_path, live, "--record", str(recording))
    assert told == [f"denied: [POLICY DENIED] {NO_APPROVED}", "called get_time"]

    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps({"version": "1", "default": "allow", "x-policytui": {
        "pin": True, "fingerprints": prints}}), encoding="utf-8")
    replayed = _replay(str(recording), "--policy", str(draft), "--json")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr  # as newly allowed always is
    report = json.loads(replayed.stdout)
    assert [(c["tool"], c["change"], c["calls"], c["first"]["rule"]) for c in report["changes"]] == [
        ("fetch_page", "newly_allowed", 1, "default")
    ]
    assert report["drift_not_compared"] == 0 and report["outcomes"] == {"allowed": 2}
    text = _replay(str(recording), "--policy", str(draft)).stdout
    assert "newly allowed" in text and "Not compared" not in text, text

    # The gateway under the draft sends it to the server indeed.
    (tmp_path / "server-calls.txt").unlink()
    told, _ = anyio.run(_traffic, tmp_path, draft)
    assert told == ["called fetch_page", "called get_time"]

    # A draft that approves it and denies it by a rule: denied then and now, nothing to report.
    denying = tmp_path / "denying.json"
    denying.write_text(json.dumps({"version": "1", "default": "allow", "tools": {"fetch_page": {"action": "deny"}},
                                   "x-policytui": {"pin": True, "fingerprints": prints}}), encoding="utf-8")
    report = json.loads(_replay(str(recording), "--policy", str(denying), "--json").stdout)
    assert report["changes"] == [] and report["drift_not_compared"] == 0
    assert report["outcomes"] == {"allowed": 1, "denied": 1}

    # A draft that still approves no definition of it: the gateway's denial, not compared.
    report = json.loads(_replay(str(recording), "--policy", str(live), "--json").stdout)
    assert report["changes"] == [] and report["drift_not_compared"] == 1
