"""The browser's own keys on the editor's page, pressed in Debian's Chromium.

The page hands every key it can to the editor (xterm.js takes ctrl+f, ctrl+r, F5 and the rest
from the browser), so a key a browser user presses by habit must do that job in the editor, or
the key is dead: nothing on the page moves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serve_support import BrowserScreen, Served, table_row

VIEWPORT = {"width": 1200, "height": 800}


def served_kestra(tmp_path: Path) -> Served:
    folder = tmp_path / "home"
    folder.mkdir()
    return Served(
        ["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={"HOME": str(folder), "XDG_CONFIG_HOME": str(folder / ".config")},
    )


def open_editor(chromium: Any, served: Served) -> tuple[Any, Any, BrowserScreen]:
    """A new browser context on the editor's page, once the editor shows Kestra's tools: the
    context, its page and what that page draws."""
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    screen = BrowserScreen(page)
    page.goto(served.url)
    screen.wait("the editor", lambda s: "39 tools" in s and bool(table_row(s, "manage_apps")))
    return context, page, screen


def test_ctrl_f_finds_tools_by_name_as_slash_does(chromium: Any, tmp_path: Path) -> None:
    """ctrl+f is find in a browser; the page keeps it from the browser (whose find could not
    read the canvas anyway), so in the editor it opens the filter by name."""
    served = served_kestra(tmp_path)
    try:
        _, page, screen = open_editor(chromium, served)
        page.keyboard.press("Control+f")
        page.keyboard.type("search_")
        text = screen.wait("the tools found by name", lambda s: "(3 shown)" in s)
        assert [t for t in ("search_apps", "search_flows", "search_logs", "manage_apps")
                if table_row(text, t)] == ["search_apps", "search_flows", "search_logs"], text
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)


def test_f5_and_ctrl_r_are_left_to_the_browser_to_reload(chromium: Any, tmp_path: Path) -> None:
    """F5 and ctrl+r reload a page; the terminal took them as keys (the editor has no use for
    either), so they did nothing, while ctrl+shift+r reloaded. Now the page leaves them to the
    browser: none reaches the editor, none is cancelled. (A headless Chromium performs no
    shortcut of its own, so the reload itself, and its "Reload site?" question, is not seen
    here; test_serve_tabs reloads the page the way a script does.)"""
    served = served_kestra(tmp_path)
    try:
        page = chromium.new_context(viewport=VIEWPORT).new_page()
        screen = BrowserScreen(page)
        typed: list[str] = []
        page.on("websocket", lambda socket: socket.on(
            "framesent", lambda payload: typed.append(payload) if isinstance(payload, str)
            and payload.startswith('["stdin"') else None))
        page.goto(served.url)
        screen.wait("the editor", lambda s: "39 tools" in s and bool(table_row(s, "manage_apps")))
        page.evaluate("""() => {
            window.cancelled = [];
            window.addEventListener("keydown", (event) => setTimeout(
                () => window.cancelled.push([event.key, event.defaultPrevented]), 0), true);
        }""")
        for key in ("F5", "Control+r", "Control+Shift+R", "d"):
            page.keyboard.press(key)
        screen.wait("d, the editor's, typed after them", lambda s: "unsaved" in s)
        page.wait_for_function("window.cancelled.length >= 4")
        pressed = [entry for entry in page.evaluate("window.cancelled")
                   if entry[0] not in ("Control", "Shift")]
        assert pressed == [["F5", False], ["r", False], ["R", False], ["d", True]], pressed
        # Sent to the editor: d, and none of F5 (ESC [15~) and ctrl+r (0x12); the page's own
        # answers to the terminal's queries go the same way.
        assert '["stdin","d"]' in typed, typed
        assert not [sent for sent in typed if "[15~" in sent or "\\u0012" in sent], typed
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)


def test_ctrl_v_pastes_what_the_browser_holds_into_the_filter(chromium: Any, tmp_path: Path) -> None:
    """ctrl+v pastes in a browser. The terminal took it as a key, and the editor's inputs
    pasted from the editor's own clipboard, empty unless the editor copied something: text
    copied in another program or page went nowhere (ctrl+shift+v pasted it). Now the page
    leaves ctrl+v to the browser, which pastes what it holds into the focused input."""
    served = served_kestra(tmp_path)
    try:
        context, page, screen = open_editor(chromium, served)
        # Copied elsewhere: the page itself may write the clipboard once allowed to.
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.base)
        page.evaluate("navigator.clipboard.writeText('search_')")
        page.keyboard.press("/")
        screen.wait("the filter box", lambda s: "filter tools by name" in s)
        page.keyboard.press("Control+v")
        text = screen.wait("the pasted name filtering the tools", lambda s: "(3 shown)" in s)
        assert table_row(text, "search_flows") and not table_row(text, "manage_apps"), text
        # Pasted on the table, text is no keys: "d" would deny a tool, and nothing changes.
        page.keyboard.press("Enter")
        page.evaluate("navigator.clipboard.writeText('d')")
        page.keyboard.press("Control+v")
        page.keyboard.press("s")  # a key behind it, dealt with after the paste
        screen.wait("the sort behind the paste", lambda s: "Sorted by" in s)
        assert "unsaved" not in screen.text(), screen.text()
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)


def test_pretty_printed_json_pasted_into_the_try_arguments_is_kept_whole(
    chromium: Any, tmp_path: Path
) -> None:
    """JSON copied from a document or a log spans many lines. An input holds one, and a paste
    was cut at the first line break: the Try tab's arguments got `{` alone, and the call was
    refused as JSON cut short. Pasted JSON is now typed whole, its line breaks as spaces."""
    served = served_kestra(tmp_path)
    try:
        context = chromium.new_context(viewport=VIEWPORT)
        page = context.new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        screen.wait("the editor", lambda s: "Bulk" in s and bool(table_row(s, "manage_apps")))
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.base)
        screen.click("Try")
        screen.wait("the Try tab", lambda s: "tool name" in s)
        screen.click("tool name")
        page.keyboard.type("execute_flow")
        page.keyboard.press("Tab")
        page.evaluate("""navigator.clipboard.writeText(
            '{\\n  "namespace": "company.team",\\n  "flow_id": "hello"\\n}\\n')""")
        page.keyboard.press("Control+v")
        page.keyboard.press("Enter")
        text = screen.wait("the call tried", lambda s: "DENIED" in s or "not valid JSON" in s)
        assert '{   "namespace": "company.team",   "flow_id": "hello" }' in text, text
        assert "not valid JSON" not in text, text
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)


def test_a_paste_larger_than_serve_reads_in_one_message_reaches_the_editor(
    chromium: Any, tmp_path: Path
) -> None:
    """The page sends a paste to serve as one message of its text, and serve reads no message
    larger than 4 MB: a larger paste closed the connection, and the page said only "The editor
    has closed." The page now sends it in pieces, and the paste reaches the editor whole."""
    served = served_kestra(tmp_path)
    try:
        context, page, screen = open_editor(chromium, served)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served.base)
        page.keyboard.press("/")
        screen.wait("the filter box", lambda s: "filter tools by name" in s)
        # 4.5 MB of lines: the filter takes the first, and says so once the paste has come
        # whole (a paste is made of everything up to its closing mark). An emoji stands where
        # the page's first piece ends (after the 6 characters of the paste's opening mark):
        # its two halves must stay together. Control characters take 6 bytes in a message.
        page.evaluate("""navigator.clipboard.writeText('search_\\n' + 'x'.repeat(524273)
            + '\\u{1F600}' + '\\u0001'.repeat(100000) + 'x'.repeat(4000000))""")
        page.keyboard.press("Control+v")

        def pasted(text: str) -> bool:
            assert not page.evaluate("document.body.classList.contains('-closed')"), (
                f"the paste closed the editor: {page.inner_text('.closed-dialog')}"
            )
            return "(3 shown)" in text and "pasted its first line only" in text

        text = screen.wait("the paste's first line in the filter", pasted, timeout=120)
        assert table_row(text, "search_flows") and not table_row(text, "manage_apps"), text
        assert screen.sockets == 1
    finally:
        code = served.stop()
    assert code == 130, "".join(served.stderr)
