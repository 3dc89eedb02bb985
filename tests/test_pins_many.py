"""The Pins dialog with hundreds of tools to approve: its list reads as it always did (each
tool on its line, a name too long for the width wrapped onto the next, the list six rows
tall), and `a` takes the approved tool out of it, the selection on the next one.

The list measures its options without wrapping those that fit (`replay_panel.ChangeList`):
these are what that must not change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_pins_gateway import _editor, _pins_dialog, _screen_text, _until

from policytui.toolinfo import ServerListing

LONG = "fetch_the_page_" + "and_its_every_linked_resource_" * 3  # wraps at 80 columns


def _listing(count: int) -> ServerListing:
    tools: list[dict[str, Any]] = [{"name": LONG, "description": "Fetches a page.",
                                    "inputSchema": {"type": "object"}}]
    tools += [{"name": f"tool_{i:04d}", "description": f"Reads record {i}.", "inputSchema": {"type": "object"}}
              for i in range(1, count)]
    return ServerListing.from_tool_dicts(tools, server_name="many", server_version="1", transport="snapshot")


def _list_rows(app: Any) -> list[str]:
    """The rows of the dialog's list as the screen shows them, inside its border."""
    region = app.screen.query_one("#pins-list").content_region
    lines = _screen_text(app).splitlines()
    return [lines[y][region.x:region.right].rstrip() for y in range(region.y, region.bottom)]


def _dimmed(app: Any) -> set[str]:
    """The text drawn dim in the dialog's list."""
    region = app.screen.query_one("#pins-list").content_region
    strips = app.screen._compositor.render_strips()
    return {segment.text.strip() for strip in strips[region.y:region.bottom] for segment in strip
            if segment.style is not None and segment.style.dim and segment.text.strip()}


async def test_the_pins_list_of_many_tools_shows_each_on_its_line_and_a_approves_the_selected(tmp_path: Path) -> None:
    """400 tools, none approved yet, at 120 columns: the list is six rows tall with its border,
    the long name wraps with its note, each note dimmed; `a` approves the selected tool, which
    leaves the list (the others now new), and `end` reaches the last tool."""
    async with _editor(tmp_path / "policy.json", {}, listing=_listing(400)) as (pilot, app):
        await pilot.press("P")
        await _pins_dialog(pilot, app, "saving approves all 400")
        assert app.screen.query_one("#pins-list").outer_size.height == 6
        assert _list_rows(app) == [
            "fetch_the_page_and_its_every_linked_resource_and_its_every_linked_resource_and_its_every_linked_resource_  not",
            "approved yet",
            "tool_0001  not approved yet",
            "tool_0002  not approved yet",
        ]
        assert _dimmed(app) == {"not", "approved yet", "not approved yet"}
        await pilot.press("a")
        await _until(pilot, lambda: app.screen.id == "pins" and len(app.screen.changes) == 399,
                     "the Pins dialog after approving the first tool")
        await pilot.pause()
        assert _list_rows(app) == ["tool_0001  new", "tool_0002  new", "tool_0003  new", "tool_0004  new"]
        await pilot.press("end")
        await _until(pilot, lambda: _list_rows(app)[-1] == "tool_0399  new", "end to show the last tool")
        assert app.screen.changes[app.screen.query_one("#pins-list").highlighted].name == "tool_0399"


def _live_name(app: Any) -> str:
    """The tool whose live definition the dialog shows, by its description ("Reads record N.")."""
    import re

    from textual.widgets import Static

    found = re.search(r"Reads record (\d+)\.", str(app.screen.query_one("#pins-live", Static).render()))
    return f"tool_{int(found.group(1)):04d}" if found else ""


async def test_a_list_still_filling_in_takes_end_and_keeps_the_selection_on_the_tool_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3,000 tools: the list starts with its first lines and adds the rest a step per turn of
    the event loop. Here the rest never comes by itself, as on a machine too busy to add it
    before the keys: `end` still reaches the last tool; approving the one above it (a), the
    list is built again and the selection lands on the tool the dialog shows, far past the
    lines a new list starts with, so `a` again approves that tool, never another one that
    happened to be in the list already."""
    from policytui.tui.replay_panel import ChangeList

    async def not_yet(self: ChangeList) -> None:
        """The rest of the lines, not added yet."""

    monkeypatch.setattr(ChangeList, "_add_the_rest", not_yet)
    async with _editor(tmp_path / "policy.json", {}, listing=_listing(3000)) as (pilot, app):
        await pilot.press("P", "end")
        await _pins_dialog(pilot, app, "saving approves all 3,000")
        options = app.screen.query_one("#pins-list", ChangeList)
        await _until(pilot, lambda: options.highlighted == 2999, "end to select the last tool")
        assert app.screen.changes[2999].name == "tool_2999"
        await _until(pilot, lambda: _live_name(app) == "tool_2999", "the last tool shown")
        await pilot.press("up", "a")
        await _until(pilot, lambda: app.screen.id == "pins" and len(app.screen.changes) == 2999,
                     "the Pins dialog after approving tool_2998")
        options = app.screen.query_one("#pins-list", ChangeList)
        await _until(pilot, lambda: options.highlighted is not None, "a selection in the new list")
        selected = app.screen.changes[options.highlighted].name
        assert selected == "tool_2999" and _live_name(app) == "tool_2999", (selected, _live_name(app))
        await pilot.press("a")
        await _until(pilot, lambda: app.screen.id == "pins" and len(app.screen.changes) == 2998,
                     "the Pins dialog after approving tool_2999")
        assert {change.name for change in app.screen.changes}.isdisjoint({"tool_2998", "tool_2999"})
