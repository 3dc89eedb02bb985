"""`policytui serve --replay RECORDING`, which `serve --help` offers as `connect` does: the
editor in the browser has the Replay tab (key 6) over that recording, and a recording that
is not there is a wrong command line (exit 2, one sentence) before anything listens."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from serve_support import POLICYTUI, BrowserScreen, Served, table_row

VIEWPORT = {"width": 1200, "height": 800}


def _home(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "home"
    folder.mkdir()
    return {"HOME": str(folder), "XDG_CONFIG_HOME": str(folder / ".config")}


def _recording(path: Path) -> Path:
    lines = [json.dumps({
        "time": f"2026-12-01T10:00:{i:02d}.000Z", "server": "kestra", "grant": "default",
        "session": "s1", "tool": "search_apps", "decision": "allowed", "rule": "default",
        "reason": "", "args_sha256": "0" * 64, "upstream": "ok", "arguments": {},
    }) for i in range(7)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_editor_in_the_browser_replays_the_recording(chromium: Any, tmp_path: Path) -> None:
    recording = _recording(tmp_path / "calls.jsonl")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "allow"}), encoding="utf-8")
    # Given relative to serve's folder: the editor serve starts must find it all the same.
    served = Served(["kestra", "--offline", "--policy", str(policy), "--replay", recording.name,
                     "--no-open"], cwd=tmp_path, env=_home(tmp_path))
    try:
        page = chromium.new_context(viewport=VIEWPORT).new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the editor", lambda s: bool(table_row(s, "search_apps")))
        page.keyboard.press("6")
        screen.wait("the Replay tab over the 7 recorded calls", lambda s: "7 recorded calls" in s)
        # Help and the palette name the option as the user gave it: serve's, not connect's.
        page.keyboard.press("?")
        screen.wait("the help", lambda s: "Esc closes this help" in s)
        page.keyboard.press("End")
        screen.wait("key 6 in the help, under serve --replay",
                    lambda s: "under this policy (serve --replay)" in s and "connect --replay" not in s)
        page.keyboard.press("Escape")
        screen.wait("the help closed", lambda s: "Esc closes this help" not in s)
        page.keyboard.press("Control+p")
        screen.wait("the palette", lambda s: "Search for commands" in s or "Save" in s)
        page.keyboard.type("Replay")
        screen.wait("the palette's Replay, under serve --replay",
                    lambda s: "(serve --replay)" in s and "connect --replay" not in s)
        # Textual's keys panel (the palette's Keys) shows each key's tooltip: key 6's too.
        page.keyboard.press("Escape")
        screen.wait("the palette closed", lambda s: "Search for commands" not in s)
        page.keyboard.press("Control+p")
        screen.wait("the palette", lambda s: "Search for commands" in s or "Save" in s)
        page.keyboard.type("Keys")
        screen.wait("the palette's Keys", lambda s: "summary of available keys" in s)
        page.keyboard.press("Enter")
        screen.wait("the keys panel", lambda s: "Move up one tool" in s)
        # The panel takes no focus: the wheel over it scrolls it down to the editor's keys.
        line, column = screen.row_of("Move up one tool")
        box = page.locator(".xterm-screen").bounding_box()
        page.mouse.move(box["x"] + (column + 0.5) * box["width"] / screen.screen.columns,
                        box["y"] + (line + 0.5) * box["height"] / screen.screen.lines)
        for _ in range(40):
            if "Compare approved" in screen.text():  # key P's line, after key 6's
                break
            page.mouse.wheel(0, 200)
            page.wait_for_timeout(100)
        # The panel's lines alone (right of its edge), joined: a key's text wraps over several.
        def keys_panel(screen_text: str) -> str:
            return " ".join(" ".join(line.rsplit("▏", 1)[-1].split()) for line in screen_text.splitlines()
                            if "▏" in line)

        panel = screen.wait("the keys panel with key 6 whole",
                            lambda s: "fare under this" in keys_panel(s) and "Compare approved" in keys_panel(s))
        flat = keys_panel(panel)
        assert "connect" not in flat and "(serve --replay)" in flat, panel
    finally:
        served.stop()
    assert "Traceback" not in "".join(served.stderr), served.stderr


def test_a_recording_that_is_not_there_is_refused_before_serving(tmp_path: Path) -> None:
    env = {**_home(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([POLICYTUI, "serve", "kestra", "--offline", "--replay", "missing.jsonl",
                           "--no-open"], capture_output=True, text=True, timeout=60, check=False,
                          cwd=tmp_path, env=env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""  # no address: nothing listens
    # Said as every other command says a file given to it is missing: as `replay` says it.
    assert done.stderr.strip().splitlines() == ["policytui serve: missing.jsonl does not exist."]
    replayed = subprocess.run([POLICYTUI, "replay", "missing.jsonl", "--policy", "missing.json"], capture_output=True,
                              text=True, timeout=60, check=False, cwd=tmp_path, env=env)
    assert replayed.stderr.strip().splitlines() == ["policytui replay: missing.jsonl does not exist."], replayed.stderr
