"""Hostile tool listings render safely: markup stays literal, escapes never reach the terminal,
huge descriptions are cut, duplicate names are flagged, 10,000 tools stay workable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tui_support import until

from policytui.toolinfo import ServerListing
from policytui.tui import PolicyApp, make_app
from policytui.tui.table import ToolTable

SIZE = (100, 30)
SCHEMA = {"type": "object", "properties": {"action": {"type": "string", "enum": ["[red]go[/]", "\x1b[2J"]}}}

HOSTILE = [
    {"name": "[bold red]x[/]", "description": "[link=https://evil.example]click[/link] me", "inputSchema": SCHEMA},
    {"name": "esc\x1b[31mred\x1b[0m", "description": "clear \x1b[2J\x1b]0;pwned\x07 title", "inputSchema": SCHEMA},
    {"name": "osc\x1b]8;;http://evil\x1b\\link", "description": "bidi \u202eevil", "inputSchema": {"type": "object"}},
    {"name": "huge", "description": "A" * 1_000_000, "inputSchema": {"type": "object"}},
    {"name": "dup", "description": "first", "inputSchema": {"type": "object"}},
    {"name": "dup", "description": "second \x9b31m", "inputSchema": {"type": "object"}},
    {"name": "#id.not-a-widget id", "title": "[b]T[/b]\x07", "inputSchema": {"type": "object"}},
]


def screen_text(app: PolicyApp) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def detail_text(app: PolicyApp, name: str) -> str:
    """The whole detail pane for `name` as plain text, scrolled parts included."""
    from rich.console import Console

    from policytui.tui.detail import render_detail

    console = Console(width=200, record=True, color_system=None, file=open("/dev/null", "w"))
    console.print(render_detail(app.state, name))
    return console.export_text()


def assert_no_escape_bytes(text: str) -> None:
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert not bad, f"control characters reached the screen: {bad!r}"


def test_markup_and_escapes_are_shown_literally_in_a_fresh_process() -> None:
    # The editor runs one app per process. Late in a full run of the suite (hundreds of apps
    # in one interpreter) this screen once came up with its rows blank, which no single
    # process shows; the check runs in a process of its own so it tests what a user sees.
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
         f"{__file__}::test_markup_and_escapes_are_shown_literally"],
        capture_output=True, text=True, timeout=240,
        env={**os.environ, "POLICYTUI_HOSTILE_ISOLATED": "1"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def shows(app: Any, expected: str | list[str]) -> bool:
    """Whether the screen shows `expected` (each of them) now; what it shows on the way is
    checked for escape bytes too."""
    text = screen_text(app)
    assert_no_escape_bytes(text)
    return all(shown in text for shown in ([expected] if isinstance(expected, str) else expected))


async def _shown_with(app: Any, expected: str) -> str:
    """The screen once it shows `expected`: the detail pane follows the cursor a frame or more
    later on a busy machine. Every frame is checked for escape bytes on the way."""
    await until(lambda: shows(app, expected), f"{expected!r} on the screen", shows=lambda: screen_text(app))
    return screen_text(app)


async def test_markup_and_escapes_are_shown_literally(tmp_path: Path) -> None:
    if not os.environ.get("POLICYTUI_HOSTILE_ISOLATED"):
        pytest.skip("runs in a process of its own (see the test above)")
    listing = ServerListing.from_tool_dicts(HOSTILE, server_name="[blink]evil\x1b[5m", server_version="1\x07")
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing)
    async with app.run_test(size=SIZE) as pilot:
        await app.loaded.wait()
        # The rows are drawn a frame or more after loading, and not all in one frame; on a busy
        # machine (the whole suite on every core), many.
        expected = ["[bold red]x[/]",  # literal, not bold red "x"
                    "[link=https://evil.example]click[/link]", "esc␛[31mred␛[0m",
                    "[blink]evil␛[5m", "dup ×2"]
        await until(lambda: shows(app, expected), "every hostile name drawn literally", shows=lambda: screen_text(app))
        table = app.query_one(ToolTable)

        for index in range(len(table.view)):
            table.cursor = index
            await pilot.pause()
            shown = screen_text(app)
            assert_no_escape_bytes(shown)
            name = table.current_row.name
            if name == "esc\x1b[31mred\x1b[0m":
                shown = await _shown_with(app, "clear ␛[2J␛]0;pwned␇ title")
                detail = detail_text(app, name)
                assert_no_escape_bytes(detail)
                assert '"[red]go[/]", "\\u001b[2J"' in detail  # enum values from the schema, literal
            if name.startswith("osc"):
                shown = await _shown_with(app, "bidi \\u202eevil")
            if name == "huge":
                detail = detail_text(app, name)
                assert "… (996,000 more characters not shown)" in detail
                assert len(detail) < 20_000
        # Deciding on hostile names works and writes them verbatim (JSON escapes them).
        table.cursor = 1
        await pilot.press("a", "ctrl+s")
        # The save is a worker, started once ctrl+s has been handled: `pilot.press` may return
        # before that on a busy machine, and there is no worker yet to wait for.
        policy = tmp_path / "policy.json"
        await until(lambda: policy.exists() and not app.state.dirty and not app.saves_in_flight,
                    "the policy saved")
        written = json.loads(policy.read_text())
        assert written["tools"] == {"esc\x1b[31mred\x1b[0m": {}}


async def test_hostile_dialogs_stay_literal(tmp_path: Path) -> None:
    listing = ServerListing.from_tool_dicts(HOSTILE)
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing)
    async with app.run_test(size=SIZE) as pilot:
        await app.loaded.wait()
        app.query_one(ToolTable).cursor = 1
        await pilot.press("c")
        # A dialog opens a message or more after its key, its first opening later still.
        await until(lambda: shows(app, "Conditions for esc␛[31mred␛[0m"), "the conditions dialog's title",
                    shows=lambda: screen_text(app))
        await pilot.press("escape", "l")
        await until(lambda: shows(app, "Limits for esc␛[31mred␛[0m"), "the limits dialog's title",
                    shows=lambda: screen_text(app))
        # The suggested counter name keeps odd characters out.
        assert app.screen.query_one("#tool-counter").value == "esc__31mred__0m_rate"


async def test_ten_thousand_tools(tmp_path: Path) -> None:
    verbs = ["get", "list", "delete", "create", "update", "run", "pay"]
    tools = [
        {
            "name": f"{verbs[i % 7]}_item_{i}",
            "description": f"{verbs[i % 7]} item {i}",
            "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}},
        }
        for i in range(10_000)
    ]
    listing = ServerListing.from_tool_dicts(tools, server_name="big")
    path = tmp_path / "policy.json"
    app = make_app(policy_path=path, listing=listing)
    async with app.run_test(size=SIZE) as pilot:
        await app.loaded.wait()
        table = app.query_one(ToolTable)
        assert len(table.view) == 10_000
        # Each key's effect is waited for: it comes a message or more after the key, and at
        # 10,000 tools a loaded machine takes a while over each.
        await until(lambda: "10000 tools" in screen_text(app), "the header's count", shows=lambda: screen_text(app))
        await pilot.press("end")
        await until(lambda: table.current_row.name == "create_item_9999", "the last tool selected")
        await until(lambda: "create_item_9999" in screen_text(app), "the last tool drawn", shows=lambda: screen_text(app))
        # Filter to the delete tools, deny them all in one go, undo, redo.
        await pilot.press("slash", *"delete_", "enter")
        await until(lambda: app.focused is table and app.main.query_one("#filter").value == "delete_",
                    "the filter `delete_` entered and the table focused")
        assert len(table.view) == 1429
        await pilot.press("b", "d")
        await until(lambda: len(app.state.policy.tools or {}) == 1429, "the 1429 delete tools denied")
        await pilot.press("ctrl+z")
        await until(lambda: app.state.policy.tools is None, "the bulk edit undone")
        await pilot.press("ctrl+y", "ctrl+s")
        # The save is a worker, started once ctrl+s has been handled (see above).
        await until(lambda: path.exists() and not app.state.dirty and not app.saves_in_flight, "the policy saved")
        written = json.loads(path.read_text())
        assert len(written["tools"]) == 1429
        assert len(written["x-policytui"]["fingerprints"]) == 10_000


def test_an_unreadable_tool_is_numbered_as_the_cli_numbers_it(tmp_path: Path) -> None:
    from rich.console import Console

    from policytui.editor.state import EditorState
    from policytui.tui.panels import render_problems

    listing = ServerListing.from_tool_dicts([{"name": "fine", "inputSchema": {"type": "object"}}, 42])
    assert [b.index for b in listing.broken_tools] == [1]
    state = EditorState.open(listing, tmp_path / "policy.json")
    console = Console(width=200, record=True)
    console.print(render_problems(state, None))
    assert "could not be read (#2)" in console.export_text()  # `policytui tools` says "Broken tool #2"
