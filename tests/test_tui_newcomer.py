"""What a newcomer meets first in the editor: the keys they guess, and what the header says."""

from __future__ import annotations

from pathlib import Path

from test_tui_app import kestra, ready, screen_text, until

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
