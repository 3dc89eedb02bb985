"""Small things a person meets: help and palette name the file being edited, the conditions
dialog offers no Remove for an empty list, and the OFFLINE banner keeps to one line on a small
terminal (its whole text on `?`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text
from textual.command import CommandPalette
from tui_support import PaletteSearches, until

from policytui.toolinfo import ServerListing
from policytui.tui import make_app

REASON = "--offline asked for the recorded snapshot."
SOURCE = "built-in snapshot of kestra-io/mcp-server-python at commit 14fe3a3, 39 tools"


def offline_kestra() -> ServerListing:
    listing = kestra()
    listing.offline_reason = REASON
    listing.source = SOURCE
    return listing


def one_line_banner(text: str) -> bool:
    lines = text.splitlines()
    return any("OFFLINE" in line and line.rstrip().endswith("(? says why)") for line in lines)


async def test_help_and_palette_name_the_file_being_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "ev3.json", listing=kestra())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await until(lambda: "Write ev3.json" in screen_text(app), "the help's Save row", shows=lambda: screen_text(app))
        assert "policy.json" not in screen_text(app)
        await pilot.press("escape", "ctrl+p")
        await until(lambda: isinstance(app.screen, CommandPalette), "the command palette")
        await pilot.press(*"save")
        await until(lambda: searches.done(app, "save"), "the palette's search for 'save'")
        await until(lambda: "Save: write ev3.json" in screen_text(app), "Save listed", shows=lambda: screen_text(app))
        assert "policy.json" not in screen_text(app)


async def test_the_conditions_dialog_shows_remove_only_with_something_to_remove(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        # The dialog's list is drawn with what it holds; no Remove is drawn with it.
        await until(lambda: "no conditions" in screen_text(app), "the conditions dialog", shows=lambda: screen_text(app))
        assert "Remove selected" not in screen_text(app)


async def test_the_offline_banner_is_one_line_on_a_small_terminal_and_whole_on_help(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=offline_kestra())
    async with app.run_test(size=(60, 15)) as pilot:
        await ready(pilot)
        lines = screen_text(app).splitlines()
        banner = [i for i, line in enumerate(lines) if "OFFLINE" in line]
        assert len(banner) == 1 and "Tool" in lines[banner[0] + 1], lines[:4]
        assert "…" not in lines[banner[0]] and lines[banner[0]].rstrip().endswith("(? says why)")
        await pilot.press("question_mark")
        # The whole text is one key away.
        await until(lambda: REASON in screen_text(app), "the reason on the help", shows=lambda: screen_text(app))
        await pilot.press("escape")
        await until(lambda: app.screen is app.main, "the editor")
        await pilot.resize_terminal(120, 40)  # room again: the whole banner, from the resize
        await until(lambda: REASON in screen_text(app) and "commit 14fe3a3" in screen_text(app),
                    "the whole banner at 120x40", shows=lambda: screen_text(app))
        await pilot.resize_terminal(60, 15)
        # Drawn again at 60x15: the banner is one line again, ending where ? says why.
        await until(lambda: one_line_banner(screen_text(app)), "the one-line banner at 60x15",
                    shows=lambda: screen_text(app))
        assert REASON not in screen_text(app)
