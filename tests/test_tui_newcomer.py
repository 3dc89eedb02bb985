"""What a newcomer meets first in the editor: the keys they guess, and what the header says."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text, select, until

from policytui.editor.recovery import keep_document
from policytui.toolinfo import ServerListing
from policytui.tui import make_app

SIZE = (80, 24)


async def test_q_says_which_key_quits_and_quits_nothing(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await until(lambda: "ctrl+q quits" in screen_text(app), "a notice naming ctrl+q")
        assert app.is_running and app.screen is app.main


async def test_the_header_counts_the_warnings_the_problems_tab_lists(tmp_path: Path) -> None:
    tools = [{"name": "fine", "inputSchema": {"type": "object"}}, {"name": "tool_003"}]  # no inputSchema
    listing = ServerListing.from_tool_dicts(tools, server_name="srv", transport="stdio")
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await until(lambda: "could not be read (tool_003)" in screen_text(app), "the Problems tab's warning")
        header = screen_text(app).splitlines()[0]
        assert "! 1 warning" in header, header
        assert "✓" not in header, header


async def test_a_notice_shown_before_a_dialog_opens_never_hides_its_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    policy = tmp_path / "policy.json"
    keep_document(policy, {"version": 1, "default": "deny", "tools": {}})  # an earlier editor's
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(lambda: "Unsaved changes to" in screen_text(app), "the kept-changes notice")
        await select(pilot, "manage_flow")
        await pilot.press("l")
        await until(lambda: "Apply [ctrl+s]" in screen_text(app), "the limits editor")
        await pilot.press("ctrl+u", "0", "enter")
        refused = "max calls must be a whole number from 1 to 1,000,000,000, not 0"
        error = app.screen.query_one(".form-error")
        await until(lambda: refused in str(error.render()), "the limit refused")
        await pilot.pause()
        await pilot.pause()
        shown = screen_text(app)
        # Judged while the notice, shown for 20 seconds, is still up.
        assert any("Unsaved changes to" in str(n.message) and not n.has_expired
                   for n in app._notifications)
        assert refused in " ".join(shown.split()), shown
        assert "Unsaved changes to" not in shown, shown
        assert "Apply [ctrl+s]" in shown and "Cancel [esc]" in shown, shown
