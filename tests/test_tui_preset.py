"""A preset applied in the editor is the policy `policytui init --preset` writes, and it comes
from what the editor kept of the first classification: applying one to 10,000 tools used to
classify every tool again, the screen frozen for a second and a half."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import load_server_fixture

import policytui.risk
from policytui.discovery import load_snapshot
from policytui.tui import make_app
from policytui.tui.table import ToolTable

# Multi-action tools (Kestra's manage_*), declared read-only and destructive hints (the
# reference servers) and tools that declare nothing, in one list.
SERVERS = ("kestra-head-14fe3a3", "desktop-commander", "server-everything", "server-filesystem")
PRESETS = ("recommended", "read-only", "lockdown", "permissive-with-approval")
# Overridden: a multi-action tool made one thing, and a reader made destructive.
OVERRIDES = {"manage_flow": "Read", "read_file": "Destructive"}


def policytui_command() -> list[str]:
    script = Path(sys.executable).parent / "policytui"
    return [str(script)] if script.exists() else [sys.executable, "-m", "policytui"]


def without_metadata(document: dict) -> dict:
    return {k: v for k, v in document.items() if not k.startswith("x-") and k != "$schema"}


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    tools: list[dict] = []
    for server in SERVERS:
        tools += load_server_fixture(server)["tools"]
    path = tmp_path / "servers.json"
    path.write_text(json.dumps({"server": "several", "tools": tools}), encoding="utf-8")
    return path


@pytest.mark.parametrize("number", range(1, len(PRESETS) + 1))
async def test_a_preset_in_the_editor_is_inits_and_classifies_no_tool_again(
    snapshot: Path, tmp_path: Path, number: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    preset = PRESETS[number - 1]
    overrides = [f"--override={tool}={category}" for tool, category in OVERRIDES.items()]
    written = subprocess.run(
        [*policytui_command(), "init", "--from", str(snapshot), "--preset", preset, *overrides, "-o", "-"],
        capture_output=True, text=True, timeout=60, check=True,
    )
    expected = without_metadata(json.loads(written.stdout))

    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny",
                                  "x-policytui": {"overrides": OVERRIDES}}), encoding="utf-8")
    app = make_app(policy_path=policy, listing=load_snapshot(snapshot))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.app.loaded.wait()
        await pilot.pause()
        assert app.state is not None
        assert app.state.classifications["manage_flow"].category == "Read"
        # The Tool panel shows the selected tool's full classification, kept once worked out:
        # worked out here, its first showing is not counted as the preset's.
        row = app.query_one(ToolTable).current_row
        assert row is not None
        app.state.classifications[row.name]
        classified: list[str] = []
        classify = policytui.risk.classify

        def counted(tool, *args, **kwargs):  # type: ignore[no-untyped-def]
            classified.append(tool.name)
            return classify(tool, *args, **kwargs)

        monkeypatch.setattr(policytui.risk, "classify", counted)
        await pilot.press("p", str(number))
        await pilot.pause()
        assert without_metadata(app.state.policy.to_document()) == expected
        assert app.state.policy.to_document()["x-policytui"]["overrides"] == OVERRIDES
        assert classified == []
