"""The editor's dialogs in `policytui serve`, typed into in Debian's Chromium.

A bad value gets one sentence in the dialog's own words, and the sentence says what to do.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from serve_support import VIEWPORT, BrowserScreen, Served, home_of, kestra_in_chromium


def test_applying_with_a_bad_max_calls_in_the_form_says_to_correct_it(
    chromium: Any, tmp_path: Path
) -> None:
    with kestra_in_chromium(chromium, tmp_path, home_of(tmp_path)) as editor:
        screen = editor.screen
        page = screen.page
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


def test_the_export_question_in_the_browser_is_answered_by_y_never_by_another_ctrl_s(
    chromium: Any, tmp_path: Path
) -> None:
    """The browser editor shares the export dialog: ctrl+s twice onto a file already there
    opens one question, a third ctrl+s leaves it open and the file as it was, and `y`
    replaces the file."""
    exported = tmp_path / "policy.policylayer.json"
    exported.write_text("an earlier file\n", encoding="utf-8")
    with kestra_in_chromium(chromium, tmp_path, home_of(tmp_path)) as editor:
        screen = editor.screen
        page = screen.page
        page.keyboard.press("E")
        screen.wait("the export dialog", lambda s: "Export to another gateway" in s and "policylayer" in s)
        page.keyboard.press("Control+s")
        page.keyboard.press("Control+s")
        text = screen.wait("the question", lambda s: "Replace policy.policylayer.json?" in s)
        assert text.count("Replace policy.policylayer.json?") == 1, text
        page.keyboard.press("Control+s")
        screen.wait("the question still open", lambda s: "Replace [y]" in s and "Cancel [n]" in s)
        assert exported.read_text(encoding="utf-8") == "an earlier file\n"
        page.keyboard.press("y")
        screen.wait("the export written", lambda s: "(policylayer format)" in s)
        assert '"version": "1"' in exported.read_text(encoding="utf-8")
        page.keyboard.press("Escape")
        screen.wait("the dialog closed", lambda s: "Export to another gateway" not in s)


def test_a_file_name_typed_in_the_browsers_export_dialog_is_written_beside_the_policy(
    chromium: Any, tmp_path: Path
) -> None:
    """`policytui serve --policy policies/policy.json`, and in the browser's export dialog the
    file name `mine.json` typed in place of the one offered: the export is written in the
    policy's folder, and the dialog names the file in full. Before, it was written in the
    folder serve was started in, which the page's user cannot see ("wrote mine.json")."""
    (tmp_path / "policies").mkdir()
    with kestra_in_chromium(chromium, tmp_path, home_of(tmp_path), policy="policies/policy.json") as editor:
        screen = editor.screen
        page = screen.page
        page.keyboard.press("E")
        screen.wait("the export dialog", lambda s: "Export to another gateway" in s and "policylayer" in s)
        page.keyboard.press("Tab")  # from the format to the file name
        page.keyboard.press("End")
        page.keyboard.press("Control+u")
        screen.wait("the file name cleared", lambda s: "policy.policylayer.json" not in s)
        page.keyboard.type("mine.json")
        page.keyboard.press("Control+s")
        written = tmp_path / "policies" / "mine.json"
        text = screen.wait("the export written", lambda s: "(policylayer format)" in s)
        # The dialog's lines joined: a long path (a test's folder under xdist) wraps after
        # "wrote", or within itself, and the format's name may wrap to the next line.
        inside = [line.split("│")[1].strip() for line in text.splitlines() if line.count("│") >= 2]
        assert f"wrote{written}" in "".join(inside).replace(" ", ""), text
        assert '"version": "1"' in written.read_text(encoding="utf-8")
        assert not (tmp_path / "mine.json").exists()
        page.keyboard.press("Escape")
        screen.wait("the dialog closed", lambda s: "Export to another gateway" not in s)


def test_quitting_over_an_invalid_policy_says_why_on_serves_terminal_as_serve(
    chromium: Any, tmp_path: Path
) -> None:
    """The policy file is no valid policy, and the browser's user answers the question about it
    with Quit: serve's terminal says why in serve's name. It said "policytui serve: policytui
    connect: ... is not a valid policy", naming a command its user never ran."""
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "allo"}\n', encoding="utf-8")
    served = Served(
        ["kestra", "--offline", "--policy", str(policy), "--no-open"], cwd=tmp_path, env=home_of(tmp_path),
    )
    try:
        page = chromium.new_context(viewport=VIEWPORT).new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the question about the file", lambda s: "is not a valid policy" in s and "Quit [q]" in s)
        page.keyboard.press("q")
        page.wait_for_selector("body.-closed", timeout=20_000)
        # The page closes when the editor's connection ends; the editor's last line reaches
        # serve's terminal through its own pipe, maybe a moment later.
        deadline = time.monotonic() + 30
        while True:
            served.read_so_far()
            said = [line for line in served.stderr if "is not a valid policy" in line]
            if said or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert said == [f'policytui serve: {policy} is not a valid policy: default: "allo" is not one of '
                        "allow, deny (line 1, col 29)\n"], served.stderr
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)
    assert policy.read_text(encoding="utf-8") == '{"version": "1", "default": "allo"}\n'
