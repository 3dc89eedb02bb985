"""A notice in Textual's own corner (the screen's lower right, no dialog open) is drawn whole
above the footer, whatever column its text wraps at: its last line and its padding under it
stay above the footer's row, which shows its keys as before the notice."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text
from textual.widgets import Footer
from textual.widgets._toast import Toast
from tui_support import until

from policytui.tui import PolicyApp, make_app

SIZES = [(80, 24), (60, 20), (50, 24)]


def saved_notice(name: str) -> str:
    """What ctrl+s says once it has saved the policy file `name` (as given to the editor)."""
    return f"Saved {name}"


def file_name_for_a_notice_of(length: int) -> str:
    """A policy file's name (one word) that makes `saved_notice` `length` characters long."""
    return "n" * (length - len(saved_notice(".json"))) + ".json"


def saved_toast(app: PolicyApp, message: str) -> Toast | None:
    """The toast of the notice `message`, once it has its place on the screen."""
    for toast in app.screen.query(Toast):
        if toast._notification.message == message and toast.region.area:
            return toast
    return None


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("beyond_half", [-4, -3, -2, -1], ids=lambda n: f"half{n:+d}")
async def test_a_notice_that_wraps_in_the_corner_stays_above_the_footer(
        size: tuple[int, int], beyond_half: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A notice one line long as Textual reckoned the height of the toasts' rack, but two as
    the toast drew it: the toast stood a row lower than its rack, its bottom padding hidden
    under the footer, its last line right on the footer (at 80x24 "Saved" and a name of 31
    characters, 37 in all). Textual reckoned the rack's height as if the toast had the 2
    columns the rack keeps for a scrollbar it never draws. The lengths tried go from a little
    shorter to a little longer than a toast's line, half the screen less the toast's border
    and padding: each of them is one line, or two, where one column less or more makes the
    difference."""
    width, height = size
    length = width // 2 + beyond_half
    name = file_name_for_a_notice_of(length)
    notice = saved_notice(name)
    assert len(notice) == length
    monkeypatch.chdir(tmp_path)  # the notice names the file as given to the editor
    app = make_app(policy_path=Path(name), listing=kestra())
    # The notice stays up for 2 s; kept longer here so that a machine stalled between the save
    # and the toast's layout cannot take it away before it is looked at (where it is drawn does
    # not depend on how long it stays).
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda *args, **kwargs: notify(*args, **{**kwargs, "timeout": 60}))
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot)
        footer = app.screen.query_one(Footer)
        footer_row = footer.region.y
        await until(lambda: screen_text(app).splitlines()[footer_row].strip(), "the footer's keys")
        keys = screen_text(app).splitlines()[footer_row]
        await pilot.press("a", "ctrl+s")
        await until(lambda: saved_toast(app, notice) is not None, f"the notice of {length} characters laid out")
        await pilot.pause()
        toast = saved_toast(app, notice)
        assert toast is not None
        shown = screen_text(app).splitlines()
        drawn = "\n".join(line[toast.region.x:toast.region.right] for line in shown[toast.region.y:toast.region.bottom])
        # The toast, its padding under its text too, ends above the footer's row...
        assert toast.region.bottom <= footer_row, (toast.region, footer_row, drawn, shown[footer_row])
        # ...which still shows its keys, and the toast's text is whole above it.
        assert shown[footer_row] == keys, (shown[footer_row], keys)
        assert " ".join(drawn.replace("▌", " ").split()) == notice, drawn
