"""Small things a person meets: help and palette name the file being edited, the conditions
dialog offers no Remove for an empty list, and the OFFLINE banner keeps to one line on a small
terminal (its whole text on `?`)."""

from __future__ import annotations

from pathlib import Path

from test_tui_app import kestra, ready, screen_text

from policytui.toolinfo import ServerListing
from policytui.tui import make_app

REASON = "--offline asked for the recorded snapshot."
SOURCE = "built-in snapshot of kestra-io/mcp-server-python at commit 14fe3a3, 39 tools"


def offline_kestra() -> ServerListing:
    listing = kestra()
    listing.offline_reason = REASON
    listing.source = SOURCE
    return listing


async def test_help_and_palette_name_the_file_being_edited(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "ev3.json", listing=kestra())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "Write ev3.json" in text and "policy.json" not in text
        await pilot.press("escape", "ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"save")
        await pilot.pause(0.5)
        text = screen_text(app)
        assert "Save: write ev3.json" in text and "policy.json" not in text


async def test_the_conditions_dialog_shows_remove_only_with_something_to_remove(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "no conditions" in text and "Remove selected" not in text


async def test_the_offline_banner_is_one_line_on_a_small_terminal_and_whole_on_help(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=offline_kestra())
    async with app.run_test(size=(60, 15)) as pilot:
        await ready(pilot)
        lines = screen_text(app).splitlines()
        banner = [i for i, line in enumerate(lines) if "OFFLINE" in line]
        assert len(banner) == 1 and "Tool" in lines[banner[0] + 1], lines[:4]
        assert "…" not in lines[banner[0]] and lines[banner[0]].rstrip().endswith("(? says why)")
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        assert REASON in screen_text(app)  # the whole text is one key away
        await pilot.press("escape")
        await pilot.resize_terminal(120, 40)  # room again: the whole banner, from the resize
        await pilot.pause(0.2)
        text = screen_text(app)
        assert REASON in text and "commit 14fe3a3" in text
        await pilot.resize_terminal(60, 15)
        await pilot.pause(0.2)
        assert REASON not in screen_text(app)
