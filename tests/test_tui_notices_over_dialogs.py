"""A notice raised while a dialog is open never covers the dialog: it shows above or below the
dialog's box when there is room, and otherwise waits, unseen, until the dialog is gone, then
shows over the editor for its whole time. Before, it was drawn at the lower right over the
dialog's lines and buttons (the export dialog's "write again to replace it" over its
"Copy to clipboard" button)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text, until
from textual.widgets._toast import Toast

from policytui.tui import PolicyApp, make_app

ALREADY = "write again to replace it"


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
    """E, then ctrl+s onto a file already there: the dialog stays open and says so."""
    await pilot.press("a", "E")
    await until(lambda: app.screen.id == "export-screen", "the export dialog")
    await pilot.pause()
    target = Path(app.screen.query_one("#export-path").value)
    target.write_text("an earlier file\n", encoding="utf-8")
    await pilot.press("ctrl+s")
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
    result area says that the file is there already, and then that it was written. Before,
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
        await pilot.press("ctrl+s")  # again: replace it
        await until(lambda: "wrote " in screen_text(app), "the dialog to say it wrote the file")
        assert ALREADY not in " ".join(screen_text(app).split()), screen_text(app)
