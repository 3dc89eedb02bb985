"""A server that quotes back a credential it was given (its token in its instructions, a tool
description, a schema default) must not get it into what policytui shows or saves: `tools`,
the editor's panes, and the approved definitions a pinned policy keeps."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policytui.cli.connect_cmd import _loaders
from policytui.discovery import resolve_target
from policytui.toolinfo import ToolInfo
from policytui.tui import make_app

SECRET = "tok_QuotedBack_5d41402abc4b2a76"
SERVER = r'''
import json, os, sys
token = os.environ["MY_API_TOKEN"]
tool = {"name": "lookup", "description": "Looks things up with key " + token,
        "inputSchema": {"type": "object", "properties": {
            "key": {"type": "string", "default": token, "description": "defaults to " + token}}}}
for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message:
        continue
    if message["method"] == "initialize":
        result = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                  "serverInfo": {"name": "quoter", "version": "1"}, "instructions": "token " + token}
    elif message["method"] == "tools/list":
        result = {"tools": [tool]}
    else:
        result = {}
    print(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}), flush=True)
'''


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A servers.json naming the quoting server, its token read from the environment."""
    script = tmp_path / "quoter.py"
    script.write_text(SERVER, encoding="utf-8")
    config = tmp_path / "config"
    config.mkdir()
    entry = {"command": sys.executable, "args": [str(script)], "env": {"MY_API_TOKEN": "${env:QUOTER_TOKEN}"}}
    (config / "servers.json").write_text(json.dumps({"mcpServers": {"quoter": entry}}), encoding="utf-8")
    monkeypatch.setenv("POLICYTUI_CONFIG_DIR", str(config))
    monkeypatch.setenv("QUOTER_TOKEN", SECRET)
    return tmp_path


@pytest.mark.parametrize("json_output", [False, True])
def test_tools_shows_a_quoted_token_as_stars(configured: Path, json_output: bool) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "policytui", "tools", "quoter", *(["--json"] if json_output else [])],
        cwd=configured, env=dict(os.environ), capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "Looks things up with key ***" in result.stdout


async def test_a_pinned_policy_keeps_no_quoted_token(configured: Path) -> None:
    spec = resolve_target("quoter", cwd=configured)
    load, _offline = _loaders(spec, offline=False, timeout=60)
    path = configured / "policy.json"
    app = make_app(policy_path=path, load_listing=load, target_label=spec.describe())
    async with app.run_test(size=(120, 34)) as pilot:
        await app.loaded.wait()

        def screen_text() -> str:
            strips = app.screen._compositor.render_strips()
            return "\n".join("".join(segment.text for segment in strip) for strip in strips)

        # The detail pane fills in after the table selects its first row: wait for it.
        for _ in range(100):
            await pilot.pause(0.05)
            pane = screen_text()
            if "Looks things up" in pane:
                break
        assert "Looks things up with key ***" in pane and SECRET not in pane
        # The Pins dialog: turn pinning on (approves what is shown), close, save.
        await pilot.press("P")
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("escape", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    meta = json.loads(text)["x-policytui"]
    assert meta["pin"] is True
    assert meta["definitions"]["lookup"]["description"] == "Looks things up with key ***"
    # The fingerprint is still of the definition as the server sends it, so the gateway
    # (which sees the real one) does not take the tool for a rewritten one.
    live = ToolInfo.from_wire({
        "name": "lookup", "description": "Looks things up with key " + SECRET,
        "inputSchema": {"type": "object", "properties": {
            "key": {"type": "string", "default": SECRET, "description": "defaults to " + SECRET}}},
    })
    assert meta["fingerprints"]["lookup"] == live.fingerprint()
