"""A notice raised while a dialog is open never covers the dialog: it shows above or below the
dialog's box when there is room, and otherwise waits, unseen, until the dialog is gone, then
shows over the editor for its whole time. Before, it was drawn at the lower right over the
dialog's lines and buttons (the export dialog's "already exists; write again to replace it"
over its "Copy to clipboard" button)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text
from textual.command import CommandList
from textual.widgets._toast import Toast
from tui_support import PaletteSearches, until

from policytui.tui import PolicyApp, make_app

# What the export dialog says when the user keeps a file it would have replaced.
ALREADY = "Not replaced:"


def toasts(app: PolicyApp) -> list[Toast]:
    return list(app.screen.query(Toast))


def shown(app: PolicyApp) -> str:
    """The text of the notices on screen, as the terminal shows it (what is drawn over them
    hides it), each one's lines joined without its left border."""
    lines = screen_text(app).replace("▌", " ").splitlines()
    return " | ".join(" ".join(" ".join(line[toast.region.x:toast.region.right]
                                        for line in lines[toast.region.y:toast.region.bottom]).split())
                      for toast in toasts(app))


async def open_export_and_write_over_a_file(app: PolicyApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """E, then ctrl+s onto a file already there, and Cancel (`n`) to the question whether to
    replace it: the export dialog stays open and says so."""
    await pilot.press("a", "E")
    await until(lambda: app.screen.id == "export-screen", "the export dialog")
    await pilot.pause()
    target = Path(app.screen.query_one("#export-path").value)
    target.write_text("an earlier file\n", encoding="utf-8")
    await pilot.press("ctrl+s")
    await until(lambda: app.screen.id == "confirm-export-replace", "the question whether to replace")
    await pilot.press("n")
    await until(lambda: any(ALREADY in str(n.message) for n in app._notifications), "the notice raised")


@pytest.mark.parametrize("size", [(80, 18), (60, 20)])
async def test_a_notice_raised_in_a_dialog_shows_beside_its_box(
        size: tuple[int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the notice names the file as the dialog does: in two lines
    app = make_app(policy_path=Path("policy.json"), listing=kestra())
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot)
        await open_export_and_write_over_a_file(app, pilot)
        await until(lambda: ALREADY in shown(app), "the notice on screen")
        box = app.screen.query_one(".dialog").region
        for toast in toasts(app):
            assert not box.overlaps(toast.region), (box, toast.region, screen_text(app))
        assert "Write file [ctrl+s]   Copy to clipboard   Close [esc]" in screen_text(app)


async def test_a_notice_with_no_room_beside_the_dialog_waits_for_it_to_close(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(policy_path=Path("policy.json"), listing=kestra())
    async with app.run_test(size=(80, 13), notifications=True) as pilot:
        await ready(pilot)
        await open_export_and_write_over_a_file(app, pilot)
        notice = next(n for n in app._notifications if ALREADY in str(n.message))
        await until(lambda: ALREADY in " ".join(screen_text(app).split()), "the dialog's own word")
        dialog = screen_text(app)
        await pilot.pause()
        assert not toasts(app), screen_text(app)
        assert "Copy to clipboard" in screen_text(app) and ALREADY not in shown(app), screen_text(app)
        # Held past the time it had: closed only then, the dialog still leaves it to be read.
        expiry = notice.raised_at + notice.timeout
        await until(lambda: time.time() > expiry, "the notice's own time over", timeout=notice.timeout + 30)
        assert screen_text(app) == dialog
        await pilot.press("escape")
        await until(lambda: app.screen is app.main, "the dialog closed")
        await until(lambda: ALREADY in shown(app), "the held notice over the editor")


async def test_a_notice_beside_a_dialog_gives_way_when_the_terminal_shrinks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(policy_path=Path("policy.json"), listing=kestra())
    async with app.run_test(size=(80, 18), notifications=True) as pilot:
        await ready(pilot)
        await open_export_and_write_over_a_file(app, pilot)
        await until(lambda: ALREADY in shown(app), "the notice beside the dialog")
        await pilot.resize_terminal(80, 13)  # no room left beside the box
        await until(lambda: app.screen.size.height == 13 and not toasts(app), "the notice held")
        box = app.screen.query_one(".dialog").region
        assert box.bottom <= 13 and "Copy to clipboard" in screen_text(app), screen_text(app)
        await pilot.press("escape")
        await until(lambda: app.screen is app.main, "the dialog closed")
        await until(lambda: ALREADY in shown(app), "the held notice over the editor")


async def test_where_no_notice_fits_the_export_dialog_says_itself_what_became_of_the_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 80x13 no notice fits beside the export dialog, so the notice waits; the dialog's own
    result area says that the file was kept, and then that it was written. Before,
    ctrl+s seemed to do nothing until the dialog was closed."""
    monkeypatch.chdir(tmp_path)
    app = make_app(policy_path=Path("policy.json"), listing=kestra())
    async with app.run_test(size=(80, 13), notifications=True) as pilot:
        await ready(pilot)
        await open_export_and_write_over_a_file(app, pilot)
        await pilot.pause()
        assert not toasts(app)
        text = " ".join(screen_text(app).split())
        assert ALREADY in text and "Copy to clipboard" in text, screen_text(app)
        await pilot.press("ctrl+s")  # again, and replace it this time
        await until(lambda: app.screen.id == "confirm-export-replace", "the question asked again")
        await pilot.press("y")
        await until(lambda: "wrote " in screen_text(app), "the dialog to say it wrote the file")
        assert ALREADY not in " ".join(screen_text(app).split()), screen_text(app)


def kept_notice(name: str) -> str:
    """What the export dialog says when the user keeps the file `name` it would have replaced."""
    return f"{ALREADY} {name} is kept."


def file_name_for_a_notice_of(length: int) -> str:
    """A file name (one word, shorter than a toast's line) that makes `kept_notice` `length`
    characters long."""
    return "n" * (length - len(kept_notice(".json"))) + ".json"


def toast_laid_out(app: PolicyApp, message: str) -> Callable[[], bool]:
    """Whether the toast of the notice `message` has its place on the screen yet."""
    return lambda: any(toast._notification.message == message and toast.region.area for toast in toasts(app))


# Terminal sizes with room for a notice below the export dialog; the widest a notice's line
# is at each (a toast is 60 columns at most, less its border and padding: 57): the lengths
# of notice tried go from a little shorter to a little longer than that, where one more
# character or one column less makes a second line.
SIZES_AND_LINES = [((60, 20), 57), ((80, 24), 57), ((50, 24), 47), ((40, 24), 37)]


@pytest.mark.parametrize(("size", "line"), SIZES_AND_LINES, ids=[f"{w}x{h}" for (w, h), _ in SIZES_AND_LINES])
async def test_a_notice_beside_a_dialog_is_shown_whole_where_it_wraps(
        size: tuple[int, int], line: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A notice one line long as its height was reckoned, but two as the toast drew it: its
    second line was cut off, at 60x20 "Not exported: policy.policylayer.json is kept as it"
    of a longer message. The toast wrapped 2 columns sooner than reckoned, and Textual gave
    the toasts' rack the height of the text as if it had had those 2 columns: the rack kept
    them for a scrollbar it never draws. And each notice that gave way to a newer one left
    an empty holder behind in the rack, which pushed the newest toast a row down, out of it.
    Each length is typed after the one before, with the dialog open, as a user retrying: the
    whole name first, then one more "n" at its start each time (each name is the one before
    with one more "n"; typing every name whole was most of the test's time)."""
    monkeypatch.chdir(tmp_path)
    app = make_app(policy_path=Path("policy.json"), listing=kestra())
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("a", "E")
        await until(lambda: app.screen.id == "export-screen", "the export dialog")
        await pilot.pause()
        path_field = app.screen.query_one("#export-path")
        for _ in range(5):  # from the format, the first field, to the file's name
            if app.focused is path_field:
                break
            await pilot.press("tab")
        assert app.focused is path_field, app.focused
        for length in range(line - 3, line + 4):
            name = file_name_for_a_notice_of(length)
            notice = kept_notice(name)
            assert len(notice) == length
            Path(name).write_text("an earlier file\n", encoding="utf-8")
            typed = ("ctrl+k", *name) if length == line - 3 else ("n",)
            await pilot.press("home", *typed)
            assert path_field.value == name, (length, path_field.value)
            await pilot.press("ctrl+s")
            await until(lambda: app.screen.id == "confirm-export-replace", "the question whether to replace")
            await pilot.press("n")
            await until(toast_laid_out(app, notice), f"the notice of {length} characters laid out")
            await pilot.pause()
            assert notice in shown(app), (length, screen_text(app))
            box = app.screen.query_one(".dialog").region
            assert not any(box.overlaps(toast.region) for toast in toasts(app)), screen_text(app)


SAVED = "Saved policy.json"


def try_panel_shows_its_form(app: PolicyApp) -> bool:
    text = screen_text(app)
    return "tool  manage_tests" in text and '"action"' in text


@pytest.mark.parametrize("size", [(80, 24), (160, 30)], ids=["panel under the table", "panel beside it"])
async def test_a_notice_raised_while_the_try_panel_is_open_keeps_clear_of_it(
        size: tuple[int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ctrl+s typed in the Try panel: "Saved policy.json" shows above the panel, or left of it
    where the panel stands beside the table as tall as the screen; before, it was drawn at the
    lower right, over the call typed and its answer."""
    monkeypatch.chdir(tmp_path)
    app = make_app(policy_path=Path("policy.json"), listing=kestra())
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("5", *"manage_tests", "enter")  # the tool's sample arguments
        await until(lambda: try_panel_shows_its_form(app), "the Try panel with a call typed")
        await pilot.press("ctrl+s")
        await until(lambda: SAVED in shown(app), "the notice on screen")
        panel = app.main.query_one("#panels").region
        for toast in toasts(app):
            assert not panel.overlaps(toast.region), (panel, toast.region, screen_text(app))
        assert try_panel_shows_its_form(app), screen_text(app)


OFFLINE_REASON = "The server did not list its tools within 30 s."


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (160, 30)])
async def test_a_notice_beside_the_try_panel_keeps_clear_of_the_offline_banner(
        size: tuple[int, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Editing recorded tools (the OFFLINE banner under the header), ctrl+s typed in the Try
    panel: "Saved policy.json" shows between the banner and the panel; before, at 80x24 it
    was drawn at the top of the screen, over the banner's "recorded tools, not the live
    server"."""
    monkeypatch.chdir(tmp_path)
    listing = kestra()
    listing.offline_reason = OFFLINE_REASON
    app = make_app(policy_path=Path("policy.json"), listing=listing)
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot)
        banner = app.main.query_one("#banner")
        await until(lambda: banner.display and banner.region.area > 0, "the OFFLINE banner")
        banner_lines = screen_text(app).splitlines()[banner.region.y:banner.region.bottom]
        assert "OFFLINE" in banner_lines[0], banner_lines
        await pilot.press("a", "5")
        await until(lambda: app.focused is app.query_one("#try-tool"), "the Try panel's form")
        await pilot.press("ctrl+s")
        await until(lambda: SAVED in shown(app), "the notice on screen", shows=lambda: screen_text(app))
        panel = app.main.query_one("#panels").region
        for toast in toasts(app):
            assert not banner.region.overlaps(toast.region), (banner.region, toast.region, screen_text(app))
            assert not panel.overlaps(toast.region), (panel, toast.region, screen_text(app))
        assert screen_text(app).splitlines()[banner.region.y:banner.region.bottom] == banner_lines


async def test_notices_follow_the_try_panel_when_the_terminal_is_resized(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(policy_path=Path("policy.json"), listing=kestra())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("5", *"manage_tests", "enter")
        await until(lambda: try_panel_shows_its_form(app), "the Try panel with a call typed")
        app.notify("The policy file changed on disk.", timeout=60)  # as the editor says it
        await until(lambda: "changed on disk" in shown(app), "the notice on screen")
        await pilot.resize_terminal(160, 30)  # the panel now beside the table, as tall as the screen
        panel = app.main.query_one("#panels")
        await until(lambda: panel.region.x > 0 and "changed on disk" in shown(app) and all(
            toast.region.right <= panel.region.x for toast in toasts(app)), "the notice left of the panel",
            shows=lambda: screen_text(app))


async def test_a_notice_raised_while_the_command_palette_is_open_keeps_clear_of_its_hits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ctrl+s, then ctrl+p and a search: the save's notice, raised as the palette opens, is
    never drawn over its search line or its hits; before, it covered the hits' lower right."""
    monkeypatch.chdir(tmp_path)
    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=Path("policy.json"), listing=kestra())
    # A loaded machine can take longer than the save notice's 2 s to list the palette's hits:
    # the save's notice must still be there to be judged, so every notice lasts 120 s here.
    monkeypatch.setattr(type(app), "NOTIFICATION_TIMEOUT", 120)
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, *args, timeout=None, **kwargs: notify(
        message, *args, timeout=120, **kwargs))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+s", "ctrl+p", *"sort")
        await until(lambda: searches.done(app, "sort") and "key S" in screen_text(app), "the palette's hits")
        await until(lambda: any(SAVED in str(n.message) for n in app._notifications), "the notice raised")
        await pilot.pause()
        palette = app.screen
        box = palette.query_one("#--input").region.union(palette.query_one(CommandList).region)
        for toast in toasts(app):
            assert not box.overlaps(toast.region), (box, toast.region, screen_text(app))
        # One raised while the palette is open shows beside it.
        app.notify("The policy file changed on disk.", timeout=30)
        await until(lambda: "changed on disk" in shown(app), "the notice beside the palette")
        for toast in toasts(app):
            assert not box.overlaps(toast.region), (box, toast.region, screen_text(app))
        await pilot.press("escape")
        await until(lambda: app.screen is app.main, "the palette closed")
        await until(lambda: "changed on disk" in shown(app), "the notice over the editor")
