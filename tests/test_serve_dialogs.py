"""The editor's dialogs in `policytui serve`, typed into in Debian's Chromium.

A bad value gets one sentence in the dialog's own words, and the sentence says what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serve_support import BrowserScreen, Served, table_row

VIEWPORT = {"width": 1200, "height": 800}


def test_applying_with_a_bad_max_calls_in_the_form_says_to_correct_it(
    chromium: Any, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.json"
    folder = tmp_path / "home"
    folder.mkdir()
    served = Served(
        ["kestra", "--offline", "--policy", str(policy), "--no-open"],
        cwd=tmp_path, env={"HOME": str(folder), "XDG_CONFIG_HOME": str(folder / ".config")},
    )
    try:
        page = chromium.new_context(viewport=VIEWPORT).new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the editor", lambda s: bool(table_row(s, "manage_apps")))
        page.keyboard.press("l")
        screen.wait("the limits dialog", lambda s: "max calls" in s and "Apply" in s)
        page.keyboard.type("-5")
        page.keyboard.press("Enter")
        text = screen.wait("the error", lambda s: "not -5" in s)
        assert "max calls must be a whole number from 1 to" in text, text
        # Apply with it still in the form: Enter would not add it, so the line says to correct it.
        page.keyboard.press("Control+s")
        text = screen.wait("Apply refused", lambda s: "correct it" in s)
        assert "not -5: correct it, or empty max calls" in text, text
        assert "press Enter to add it" not in text, text
        page.keyboard.press("Escape")
        screen.wait("the dialog closed", lambda s: "max calls" not in s)
        assert "unsaved" not in screen.text()
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)
    assert "Traceback" not in "".join(served.stderr)
