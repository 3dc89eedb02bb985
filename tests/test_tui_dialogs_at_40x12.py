"""The filter and limits dialogs at 40x12, the smallest terminal the editor accepts
(policytui/tui/too_small.py), used by the real keys: every label whole, the title in view when
the dialog opens, each button reached by Tab and scrolled into view."""

from __future__ import annotations

import pytest
from test_tui_app import kestra, ready, screen_text
from textual.widgets import Button, OptionList
from tui_support import until

from policytui.tui import PolicyApp, make_app
from policytui.tui.too_small import MIN_HEIGHT, MIN_WIDTH

SMALLEST = (MIN_WIDTH, MIN_HEIGHT)


def dialog_lines(app: PolicyApp) -> list[str]:
    """The dialog's rows, without its border."""
    return [line.strip("│ ▁▂▃▄▅▆▇█") for line in screen_text(app).splitlines()[1:-1]]


async def tab_to(pilot, widget_id: str) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    for _ in range(12):
        if app.focused is not None and app.focused.id == widget_id:
            break
        await pilot.press("tab")
    await until(lambda: app.focused is not None and app.focused.id == widget_id, f"{widget_id} focused")
    await pilot.pause()


def shows_focused_button(app: PolicyApp) -> bool:
    focused = app.focused
    return isinstance(focused, Button) and str(focused.label) in screen_text(app)


async def test_the_filter_dialog_reads_whole_and_each_button_is_reached_at_40x12(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SMALLEST) as pilot:
        await ready(pilot)
        await pilot.press("f")
        await until(lambda: app.screen.id == "filter-screen", "the filter dialog")
        await pilot.pause()
        opened = screen_text(app)
        assert "Filter tools" in opened, opened
        seen: set[str] = set()
        for widget_id in ("filter-categories", "filter-severities", "filter-decisions", "filter-drift"):
            await tab_to(pilot, widget_id)
            lines = dialog_lines(app)
            shown = "\n".join(lines)
            assert "…" not in shown, shown
            # One column: no two ticks on a line ("Execute[ ] Medium").
            assert all(line.count("[ ]") <= 1 for line in lines), shown
            seen.update(lines)
        for label in ("[ ] Destructive", "[ ] Execute", "[ ] Medium", "[ ] Critical", "[ ] approve",
                      "[ ] only new, changed or missing", "tools"):
            assert label in seen, sorted(seen)
        for button in ("filter-apply", "filter-clear", "filter-cancel"):
            await tab_to(pilot, button)
            assert shows_focused_button(app), screen_text(app)
        # Used from there: tick Destructive, then Apply by Enter on its button.
        await tab_to(pilot, "filter-categories")
        await pilot.press("space")
        await tab_to(pilot, "filter-apply")
        await pilot.press("enter")
        await until(lambda: app.screen.id == "_default", "the filter applied")
        assert app.row_filter.categories == frozenset({"Destructive"})


async def test_the_limits_dialog_opens_on_its_title_and_each_button_is_reached_at_40x12(tmp_path) -> None:  # type: ignore[no-untyped-def]
    tab = "tool"
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SMALLEST) as pilot:
        await ready(pilot)
        await pilot.press("l")
        await until(lambda: app.screen.id == "limits-screen", "the limits dialog")
        await until(lambda: app.focused is not None and app.focused.id == f"{tab}-max", "the form")
        await pilot.pause()
        await pilot.pause()
        opened = screen_text(app)
        assert "Limits for" in opened and "max calls" in opened, opened
        await pilot.press("5")
        for button in (f"{tab}-add", f"{tab}-update", f"{tab}-remove", "limits-apply", "limits-cancel"):
            await tab_to(pilot, button)
            assert shows_focused_button(app), screen_text(app)
        await tab_to(pilot, f"{tab}-add")
        await pilot.press("enter")
        await until(lambda: app.screen.query_one("#tool-list", OptionList).option_count == 1
                    and "5/minute" in str(app.screen.query_one("#tool-list", OptionList).get_option_at_index(0).prompt),
                    "the limit added")



@pytest.mark.parametrize("size", [(60, 20), SMALLEST])
async def test_the_reason_label_of_the_conditions_dialog_reads_whole_on_a_narrow_terminal(tmp_path, size) -> None:  # type: ignore[no-untyped-def]
    """At 60x20 the label over the reason field was cut to "... when this tool is denied (opt"."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await until(lambda: app.screen.id == "conditions-screen", "the conditions dialog")
        await tab_to(pilot, "rule-reason")
        shown = " ".join(" ".join(dialog_lines(app)).split())
        assert "reason shown to the agent when this tool is denied (optional)" in shown, shown


@pytest.mark.parametrize("size", [(60, 20), SMALLEST])
async def test_the_conditions_dialog_opens_on_its_title_with_its_focused_field_in_view(tmp_path, size) -> None:  # type: ignore[no-untyped-def]
    """At 60x20 the conditions dialog opened scrolled past its title, which names the tool whose
    conditions these are: the focus on the value field had scrolled it there. It opens as high
    as the focused field lets it, the title in view wherever the field fits under it."""
    import json

    from conftest import load_server_fixture
    from test_tui_app import select

    from policytui.toolinfo import ServerListing

    listing = ServerListing.from_tool_dicts(load_server_fixture("server-filesystem")["tools"],
                                            server_name="filesystem", transport="stdio")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"write_file": {
        "reason": "writes only in the project folder",
        "require": [{"path": "args.path", "op": "regex", "value": "^/home/me/project/"}]}}}))
    app = make_app(policy_path=policy, listing=listing)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await select(pilot, "write_file")
        await pilot.press("c")
        await until(lambda: app.screen.id == "conditions-screen" and app.focused is not None
                    and app.focused.id in ("cond-value", "cond-choice"), "the conditions form")
        await pilot.pause()
        await pilot.pause()
        dialog = app.screen.query_one("#dialog")
        focused = app.focused
        assert focused is not None
        # The focused field is inside the dialog's visible region.
        region, shown = focused.region, dialog.content_region
        assert shown.y <= region.y and region.bottom <= shown.bottom, (region, shown, screen_text(app))
        if size == (60, 20):
            assert "Conditions for write_file" in screen_text(app), screen_text(app)
