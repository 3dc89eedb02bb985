"""The browser window the editor is drawn in, made too small and large again in Debian's
Chromium: the notice speaks of the window and of what a browser user can do about it (make it
larger, zoom out), not of a terminal and its size in characters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serve_support import BrowserScreen, Served, table_row


def test_a_window_too_small_says_to_make_it_larger_or_zoom_out(
    chromium: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "home"
    folder.mkdir()
    served = Served(
        ["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={"HOME": str(folder), "XDG_CONFIG_HOME": str(folder / ".config")},
    )
    try:
        page = chromium.new_context(viewport={"width": 1200, "height": 800}).new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the editor", lambda s: bool(table_row(s, "manage_apps")))
        page.keyboard.press("d")
        screen.wait("the edit", lambda s: "unsaved" in s)
        page.set_viewport_size({"width": 1200, "height": 200})  # wide, too few lines
        text = screen.wait("the notice", lambda s: "too small" in s.lower())
        assert " ".join(text.split()) == (
            "Window too small: policytui needs 40x12 characters · make it larger or zoom out · "
            "ctrl+q quits"), text
        page.set_viewport_size({"width": 300, "height": 400})  # too few columns
        text = screen.wait("the short notice", lambda s: "enlarge" in s)
        assert " ".join(text.split()) == "Too small: enlarge or zoom out · ctrl+q quits", text
        page.set_viewport_size({"width": 1200, "height": 800})
        screen.wait("the editor back, its edit kept",
                    lambda s: "unsaved" in s and " deny " in table_row(s, "backfill_executions") + " ")
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)


def test_a_question_opens_with_its_title_in_view_in_a_short_window(
    chromium: Any, tmp_path: Path
) -> None:
    """In a window 20 lines high, "Allow by default?" opened scrolled down: its list of the
    tools the switch lets through had taken the focus first and been scrolled into view, so the
    question and its message were above the top, with only the list and the two buttons shown."""
    folder = tmp_path / "home"
    folder.mkdir()
    served = Served(
        ["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={"HOME": str(folder), "XDG_CONFIG_HOME": str(folder / ".config")},
    )
    try:
        page = chromium.new_context(viewport={"width": 640, "height": 420}).new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the editor", lambda s: "Help" in s and bool(table_row(s, "manage_apps")))
        page.keyboard.press("D")
        screen.wait("the question", lambda s: "Keep deny [n]" in s)
        # Whatever the dialog scrolls to as it opens is done once the palette, opened over it
        # by a key typed behind, has come and gone.
        page.keyboard.press("Control+p")
        screen.wait("the palette over the question", lambda s: "Keep deny: " in s)
        page.keyboard.press("Escape")
        text = screen.wait("the question again", lambda s: "Keep deny [n]" in s)
        assert "Allow by default?" in text, text
        assert "Every tool without a rule of its own would be allowed" in " ".join(text.split()), text
        page.keyboard.press("n")
        screen.wait("the question answered", lambda s: "Keep deny [n]" not in s)
        assert "unsaved" not in screen.text(), screen.text()
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)
