"""A person's use of `policytui serve` across tabs and reloads, in Debian's Chromium.

A reload, or a second tab, opens a new connection that waits (up to 5 seconds) for the editor
before it to end. The person may leave meanwhile (reload again, close the tab): the editor
must still come back on the next load, and serve's terminal must show no traceback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from serve_support import VIEWPORT, BrowserScreen, Served, home_of, kestra_in_chromium, table_row


def test_a_reload_left_while_it_waits_for_the_editor_leaves_the_file_free(
    chromium: Any, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.json"
    served = Served(
        ["kestra", "--offline", "--policy", str(policy), "--no-open"],
        cwd=tmp_path, env=home_of(tmp_path),
    )
    try:
        browser = chromium.new_context(viewport=VIEWPORT)
        page = browser.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the editor", lambda s: bool(table_row(s, "manage_apps")))
        page.keyboard.press("d")  # an unsaved edit: the editor takes a moment to keep it and end
        screen.wait("the edit", lambda s: "unsaved" in s)
        # Reloaded twice in quick succession: the first reload's connection waits for the
        # editor, and is gone before that editor has ended.
        page.evaluate("location.reload()")
        # Reloaded again once the first reload's page is up, its connection waiting (a reload
        # in the middle of loading it is refused by the browser: "Not attached to an active page").
        screen.wait_for_sockets(2, "the first reload's connection")
        page.reload()
        deadline = time.monotonic() + 30
        while not table_row(screen.text(), "manage_apps") or screen.sockets < 3:
            if "busy" in page.url:
                page.wait_for_timeout(1000)
                page.goto(served.url)
            assert time.monotonic() < deadline, (
                f"the editor did not come back; the page is {page.url}: {page.inner_text('body')}"
            )
            page.wait_for_timeout(200)
        # A second tab that is closed while it waits for the first one's editor.
        tab = browser.new_page()
        tab_screen = BrowserScreen(tab)
        tab.goto(served.url)
        tab_screen.wait_for_sockets(1, "the second tab's connection")
        tab.close()
        page.wait_for_timeout(6000)  # past the 5 seconds that tab's connection would wait
        page.keyboard.press("a")
        screen.wait("the editor still answering", lambda s: "unsaved" in s)
    finally:
        code = served.stop()
    errors = "".join(served.stderr)
    assert code == 130, errors
    assert "Traceback" not in errors and "Error handling request" not in errors, errors


def test_a_reload_mid_edit_asks_first_and_names_where_the_edit_was_kept(
    chromium: Any, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.json"
    with kestra_in_chromium(chromium, tmp_path, home_of(tmp_path), policy) as editor:
        screen, page = editor.screen, editor.page
        screen.click("manage_apps")
        page.keyboard.press("r")
        screen.wait("the edit", lambda s: "unsaved" in s)
        page.reload()
        assert editor.asked == ["beforeunload"], "the browser asks before the reload ends the editor"
        text = screen.wait(
            "the reloaded editor naming the kept edit",
            lambda s: screen.sockets == 2 and "were kept" in s and ".unsaved-" in s,
        )
        assert "(new)" in text.splitlines()[0], "the new editor opens the policy as saved"
    kept = list(tmp_path.glob("policy.json.unsaved-*.json"))
    assert len(kept) == 1, kept
    assert json.loads(kept[0].read_text())["tools"]["manage_apps"]["action"] == "require_approval"
    assert kept[0].name in "".join(editor.served.stderr)
    assert not policy.exists()


def test_a_reload_right_behind_a_key_asks_first_and_one_after_a_key_that_changed_nothing_does_not(
    chromium: Any, tmp_path: Path
) -> None:
    """`d` and, in the same instant, a reload: the browser asks first, though the editor has
    not yet said that the `d` left an unsaved edit (the page asks while keys it sent have not
    been counted by the editor). Before, the reload went ahead without a word. A reload after
    a key that changed nothing, once the editor has counted it, still asks nothing."""
    policy = tmp_path / "policy.json"
    all_counted = "!(window.policyKeysSent > (window.policyKeysCounted || 0))"
    with kestra_in_chromium(chromium, tmp_path, home_of(tmp_path), policy) as editor:
        screen, page = editor.screen, editor.page
        page.wait_for_function(all_counted, timeout=20_000)  # the terminal's own replies
        # The key and the reload as close together as a script can: the editor has not
        # answered the key yet.
        page.keyboard.press("d")
        page.evaluate("location.reload()")
        assert editor.asked == ["beforeunload"], "the browser did not ask before the reload ended the editor"
        # (Its edit is kept if the editor applied it before it was asked to quit; the
        # question was answered "leave", which may also drop it.)
        screen.wait("the reloaded editor", lambda s: screen.sockets == 2 and bool(table_row(s, "manage_apps")))
        page.keyboard.press("ArrowDown")  # moves the cursor, edits nothing
        page.wait_for_function(all_counted, timeout=20_000)
        page.reload()
        assert editor.asked == ["beforeunload"], "a reload with nothing unsaved asked first"
        screen.wait("the editor again", lambda s: screen.sockets == 3 and bool(table_row(s, "manage_apps")))


def test_a_second_tab_is_told_the_editor_is_in_another_tab_of_this_browser(
    chromium: Any, tmp_path: Path
) -> None:
    """The second tab is not told to close "that window": in the same window as the editor's
    tab, that would close both. Another browser is still told of another browser window."""
    policy = tmp_path / "policy.json"
    served = Served(
        ["kestra", "--offline", "--policy", str(policy), "--no-open"],
        cwd=tmp_path, env=home_of(tmp_path),
    )
    try:
        browser = chromium.new_context(viewport=VIEWPORT)
        page = browser.new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the editor", lambda s: bool(table_row(s, "manage_apps")))
        tab = browser.new_page()
        tab.goto(served.url)
        tab.wait_for_url("**/busy", timeout=20_000)
        said = " ".join(tab.inner_text("body").split())
        assert ("policy.json is already being edited in another tab of this browser." in said
                and "Go on editing in that tab, or quit the editor there (ctrl+q) or close that "
                "tab, then reload this page." in said), said
        other = chromium.new_context(viewport=VIEWPORT).new_page()
        refused = other.goto(served.url)
        assert refused is not None and refused.status == 409
        said = " ".join(other.inner_text("body").split())
        assert "being edited in another browser window" in said and "close that window" in said
    finally:
        assert served.stop() == 130
