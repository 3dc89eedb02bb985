"""The table's columns as a person sees them after starting or resizing the terminal: tool
names whole first, the other columns sharing what is left, the table beside the panels no
wider than its rows, and after any resize the same layout as a fresh start at that size."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text
from textual.geometry import Size
from tui_support import drawn, until

from policytui.tui import make_app
from policytui.tui.table import ToolTable, fit_widths

RULED = ("manage_tests", "manage_apps", "manage_announcements", "namespace_file_action")


def write_policy(path: Path) -> Path:
    """Rules with limits, conditions and approval on some Kestra tools (as `init --preset
    recommended` writes them): the Approval and Conditions columns have long text."""
    tools = {
        name: {
            "action": "allow",
            "reason": "actions allowed by this policy: create, run, delete",
            "require": [{"path": "args.action", "op": "in", "value": ["create", "run", "delete"]}],
            "require_approval_if": [{"path": "args.action", "op": "in", "value": ["delete"]}],
            "limits": [{"counter": f"{name}_rate", "window": "minute", "max": 10, "scope": "grant"}],
        }
        for name in RULED
    }
    path.write_text(json.dumps({"version": "1", "default": "deny", "tools": tools}), encoding="utf-8")
    return path


def table_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The table's own lines as drawn (header first), cut to its region on screen."""
    table = app.query_one(ToolTable)
    region = table.region
    lines = screen_text(app).splitlines()
    return [line[region.x:region.right] for line in lines[region.y:region.bottom]]


def name_cells(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each shown row's Tool cell, by the tool's name (what is drawn in the first column)."""
    table = app.query_one(ToolTable)
    width = table._widths(table.scrollable_content_region.width)[0]
    return {
        line[1:1 + width].strip().rstrip("…"): line[1:1 + width]
        for line in table_lines(app)[1:] if line.strip()
    }


async def laid_out(pilot) -> None:  # type: ignore[no-untyped-def]
    """Until the table has measured its rows and the screen has laid out and painted whatever
    that asked for (a table wider or narrower than its first layout lays the screen out again,
    a message later)."""
    app = pilot.app
    table = app.query_one(ToolTable)
    natural = table.get_content_width(Size(0, 0), Size(0, 0))
    await until(lambda: table._laid_out_width == natural, "the table drawn at its rows' width")
    await pilot.pause()  # the layout it asked for (a message on the table) is handled
    await until(lambda: drawn(app), "the screen laid out and painted")


async def test_tool_names_are_whole_at_80_columns_and_conditions_share_the_rest(tmp_path: Path) -> None:
    app = make_app(policy_path=write_policy(tmp_path / "policy.json"), listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        lines = table_lines(app)
        assert "Cond" in lines[0], lines[0]  # the Conditions column is there, summarised
        cells = name_cells(app)
        assert cells and not any("…" in cell for cell in cells.values()), cells
        longest = max(len(row.label) for row in app.query_one(ToolTable).rows)
        assert app.query_one(ToolTable)._widths(app.query_one(ToolTable).scrollable_content_region.width)[0] == longest


async def test_beside_the_panels_the_table_is_as_wide_as_its_rows(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(200, 50)) as pilot:
        await ready(pilot)
        table = app.query_one(ToolTable)
        longest = max(len(row.label) for row in table.rows)
        assert table._widths(table.scrollable_content_region.width)[0] == longest  # not 71
        panels = app.query_one("#panels")
        assert panels.region.x == table.region.right  # the panel starts where the rows end
        assert panels.region.width > 100  # and gets the room the Tool column used to pad


async def test_after_resizes_the_layout_is_a_fresh_start_at_the_new_size(tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "policy.json")
    sizes = [(200, 50), (120, 40), (80, 24), (160, 45), (120, 40)]
    fresh: dict[tuple[int, int], list[str]] = {}
    for size in set(sizes):
        app = make_app(policy_path=policy, listing=kestra())
        async with app.run_test(size=size) as pilot:
            await ready(pilot)
            await laid_out(pilot)
            fresh[size] = table_lines(app)
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=sizes[0]) as pilot:
        await ready(pilot)
        for size in sizes[1:]:
            await pilot.resize_terminal(*size)
            await until(lambda size=size: table_lines(app) == fresh[size], f"the fresh start's layout after resizing to {size}",
                        shows=lambda size=size: "\n".join(table_lines(app)) + "\nwhere a fresh start shows:\n"
                        + "\n".join(fresh[size]))
            # And it stays so once everything the resize asked for is laid out and painted.
            await laid_out(pilot)
            assert table_lines(app) == fresh[size], f"after resizing to {size}"


def test_spare_cells_stay_after_the_last_column_and_names_come_first() -> None:
    natural = [26, 11, 8, 8, 6, 40, 60]
    minimum = [12, 0, 0, 0, 0, 4, 4]
    flexible = [True, False, False, False, False, True, True]
    assert fit_widths(natural, minimum, flexible, 300) == natural  # nothing padded
    tight = fit_widths(natural, minimum, flexible, 120)
    assert sum(tight) == 120 and tight[:5] == natural[:5]  # names whole, short columns too
    assert abs(tight[5] - tight[6]) <= 1  # the two wide ones share what is left
    squeezed = fit_widths(natural, minimum, flexible, 26 + 33 + 8)
    assert squeezed[0] == 26 and squeezed[5:] == [4, 4]
    cramped = fit_widths(natural, minimum, flexible, 50)  # then the name gives way too
    assert cramped[0] == 12 and cramped[5:] == [4, 4]


async def test_in_ansi_dark_the_editor_stays_visible_behind_a_dialog(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra(), theme="ansi-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("l")  # the limits dialog
        await until(lambda: type(app.screen).__name__ == "LimitsScreen", "the limits dialog")
        await until(lambda: drawn(app) and "Limits for" in screen_text(app), "the limits dialog drawn",
                    shows=lambda: screen_text(app))
        text = screen_text(app)
        # Not a blank screen with one stray row: the header and the rows above the dialog show.
        assert "policytui" in text.splitlines()[0]
        assert all(name in text for name in ("invite_user", "manage_tests", "search_apps")), text
        await pilot.press("escape")
        await pilot.press("a")  # an unsaved change, then ctrl+q asks about it
        await pilot.press("ctrl+q")
        await until(lambda: app.screen is not app.main, "the question about the unsaved change")
        await until(lambda: drawn(app) and "Unsaved changes" in screen_text(app), "the question drawn",
                    shows=lambda: screen_text(app))
        text = screen_text(app)
        assert all(name in text for name in ("invite_user", "manage_tests", "search_apps")), text


# Every word a column's header may show, whole: at 71 columns the Approval column's was cut
# to "Appr", and a column the right edge cut had its header cut with it.
HEADER_WORDS = {"Tool", "Category", "Severity", "Decision", "Limits", "Approval", "Ask",
                "Conditions", "Conds", "Drift"}
WIDTHS = (120, 100, 80, 71, 60)


def header_words(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The words of the table's header line as drawn (its scrollbar left out), without the
    sort arrow."""
    header = table_lines(app)[0][:app.query_one(ToolTable).scrollable_content_region.width]
    return [word for word in header.split() if word not in ("▲", "▼")]


async def headers_at_each_sort_and_width(
        tmp_path: Path, ruled: bool, widths: tuple[int, ...]) -> AsyncIterator[tuple[list[str], str]]:
    """The header's words (and the table as shown, for a failure) at each of `widths`, reached
    by resizing, with the table in server order and then sorted by each column in turn (its
    header two cells wider for the arrow)."""
    policy = write_policy(tmp_path / "policy.json") if ruled else tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=(WIDTHS[0], 24)) as pilot:
        await ready(pilot)
        table = app.query_one(ToolTable)
        columns = len(table.columns)
        for sort in range(columns + 1):  # server order, then sorted by each column in turn
            if sort:
                await pilot.press("s")
                await until(lambda sort=sort: table.sort_key == table.columns[sort - 1].key, "the next sort")
            for width in widths:
                await pilot.resize_terminal(width, 24)
                await until(lambda width=width: app.size.width == width, f"the terminal at {width}")
                await laid_out(pilot)
                shown = f"at {width} columns, sorted by {table.sort_key}:\n" + "\n".join(table_lines(app))
                yield header_words(app), shown
            await pilot.resize_terminal(WIDTHS[0], 24)


@pytest.mark.parametrize("ruled", [False, True], ids=["no rules", "rules with conditions"])
async def test_every_header_is_a_whole_word_from_60_columns_up_whatever_the_sort(
        ruled: bool, tmp_path: Path) -> None:
    async with aclosing(headers_at_each_sort_and_width(tmp_path, ruled, WIDTHS)) as headers:
        async for words, shown in headers:
            assert set(words) <= HEADER_WORDS, shown
            assert words[:5] == ["Tool", "Category", "Severity", "Decision", "Limits"], shown
            # The Approval column gives way to no other: the table has room for it.
            assert words[5] in ("Approval", "Ask"), shown


# Under 60 columns: the short words of Category, Severity, Decision and Limits too.
NARROW_WIDTHS = (59, 50, 45, 40)
SHORT_WORDS = {"Cat", "Sev", "Dec", "Lim"}


@pytest.mark.parametrize("ruled", [False, True], ids=["no rules", "rules with conditions"])
async def test_every_header_is_a_whole_word_under_60_columns_whatever_the_sort(
        ruled: bool, tmp_path: Path) -> None:
    """From 59 down to 40 columns, by resizing, sorted by each column in turn: every header is
    a whole word, and Decision and the columns before it are always drawn. Before, Category's
    was cut to "Categor" at 40."""
    async with aclosing(headers_at_each_sort_and_width(tmp_path, ruled, NARROW_WIDTHS)) as headers:
        async for words, shown in headers:
            assert set(words) <= HEADER_WORDS | SHORT_WORDS, shown
            assert words[0] == "Tool" and words[1] in ("Category", "Cat"), shown
            assert words[2] in ("Severity", "Sev") and words[3] in ("Decision", "Dec"), shown
