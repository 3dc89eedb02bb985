"""`policytui serve` end to end: the installed command, Debian's Chromium driven by Playwright.

The editor is edited the way a person in a browser does it: click a row on the page, press
keys; the file it saves is then judged by `policytui validate` and `policytui check`. A second
browser (its own cookies) is turned away while the first one edits. A screenshot of the page is
kept in .artifacts/serve/.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from serve_support import (
    ARTIFACTS,
    POLICYTUI,
    VIEWPORT,
    BrowserScreen,
    Served,
    kestra_in_chromium,
    table_row,
)


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """No server configuration of the machine's user leaks into the test."""
    folder = tmp_path / "home"
    folder.mkdir()
    return {
        "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / ".config"),
        "XDG_DATA_HOME": str(folder / ".local" / "share"),
        "XDG_STATE_HOME": str(folder / ".local" / "state"),
        "XDG_CACHE_HOME": str(folder / ".cache"),
    }


def policytui(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [POLICYTUI, *argv], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_a_policy_edited_in_chromium_is_saved_checked_and_locked_to_one_browser(
    chromium: Any, tmp_path: Path, home: dict[str, str]
) -> None:
    policy = tmp_path / "policy.json"
    served = Served(
        ["kestra", "--offline", "--policy", str(policy), "--no-open"], cwd=tmp_path, env=home
    )
    try:
        first = chromium.new_context(viewport=VIEWPORT)
        page = first.new_page()
        screen = BrowserScreen(page)
        response = page.goto(served.url)
        assert response is not None and response.status == 200
        assert "token" not in page.url, "the token stays out of the address bar and history"
        assert page.title() == "policy.json · kestra · policytui"

        screen.wait("Kestra's snapshot in the table",
                    lambda s: "39 tools" in s and bool(table_row(s, "manage_apps")))
        # The page has not been clicked, so the app has no focus: the footer shows the edit
        # keys all the same, for a keyboard-only user.
        screen.wait("the edit keys in the footer", lambda s: "a Allow" in s and "^s Save" in s)
        screen.click("manage_apps")
        screen.wait("manage_apps picked by the click",
                    lambda s: "confidence" in s and any(
                        line.strip() == "manage_apps" for line in s.splitlines()))
        page.keyboard.press("d")
        screen.wait("manage_apps denied explicitly",
                    lambda s: " deny " in table_row(s, "manage_apps") + " "
                    and "deny*" not in table_row(s, "manage_apps"))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "table.png"))  # docs/images/serve.png is one
        screen.click(" JSON ", at=2)  # the panel's tab, by mouse: the document a save would write
        screen.wait("the JSON tab showing the rule",
                    lambda s: '"manage_apps": {' in s and '"action": "deny"' in s)
        page.keyboard.press("Shift+D")
        # Allowing by default lets every unruled tool through: the editor asks first, naming them.
        screen.wait("the editor asking before it allows by default",
                    lambda s: "Allow by default?" in s and "Keep deny" in s)
        page.keyboard.press("y")
        screen.wait("the default switched to allow",
                    lambda s: "default allow" in s and "Allow by default?" not in s)
        page.keyboard.press("Control+s")
        screen.wait("the policy saved",
                    lambda s: policy.exists() and "(new)" not in s and "unsaved" not in s)

        # A reload in the same browser, everything saved, gets the editor back on the saved
        # file without asking (test_a_reload_asks_first_only_while_an_edit_is_unsaved).
        page.reload()
        screen.wait("the editor back after the reload",
                    lambda s: screen.sockets == 2 and "default allow" in s
                    and " deny " in table_row(s, "manage_apps") + " ")
        screen.click("manage_apps")

        page.screenshot(path=str(ARTIFACTS / "editor.png"))
        page.screenshot(path=str(tmp_path / "editor.png"))

        # A second browser, with none of the first one's cookies, gets the printed URL.
        second = chromium.new_context(viewport=VIEWPORT)
        other = second.new_page()
        refused = other.goto(served.url)
        assert refused is not None and refused.status == 409
        assert "already being edited" in other.content()
        other.screenshot(path=str(ARTIFACTS / "already-being-edited.png"))

        # A second tab of the first browser is sent to the same explanation.
        tab = first.new_page()
        tab.goto(served.url)
        tab.wait_for_url("**/busy", timeout=20_000)
        assert "already being edited" in tab.content()
        tab.close()

        # Quitting the editor in the first browser frees the file for the second.
        page.keyboard.press("Control+q")
        page.wait_for_selector("body.-closed", timeout=20_000)
        other_screen = BrowserScreen(other)
        deadline = time.monotonic() + 15  # the editor process takes a moment to end
        while (retried := other.goto(served.url)) is None or retried.status == 409:
            assert time.monotonic() < deadline, "the file stayed locked after the editor quit"
            other.wait_for_timeout(200)
        assert retried.status == 200
        other_screen.wait("the second browser editing the saved policy",
                          lambda s: "default allow" in s and bool(table_row(s, "manage_apps")))
    finally:
        assert served.stop() == 130, "".join(served.stderr)

    validated = policytui("validate", str(policy), cwd=tmp_path)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    denied = policytui("check", str(policy), "manage_apps", cwd=tmp_path)
    assert denied.returncode == 1 and denied.stdout.startswith("denied"), denied.stdout
    allowed = policytui("check", str(policy), "search_apps", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stdout


def test_a_reload_asks_first_only_while_an_edit_is_unsaved(
    chromium: Any, tmp_path: Path, home: dict[str, str]
) -> None:
    """Leaving the page ends its editor. With an edit unsaved the browser asks first (Chromium's
    "Reload site?"); with everything saved it does not: the reload opens the editor again on
    the file as saved, and nothing is lost. Before, it asked whenever the editor ran."""
    policy = tmp_path / "policy.json"
    with kestra_in_chromium(chromium, tmp_path, home, policy) as editor:
        screen, page, asked = editor.screen, editor.page, editor.asked
        screen.click("manage_apps")
        page.keyboard.press("d")
        screen.wait("the edit", lambda s: "unsaved" in s)
        page.keyboard.press("Control+s")
        screen.wait("the policy saved",
                    lambda s: policy.exists() and "(new)" not in s and "unsaved" not in s)
        page.reload()
        screen.wait("the editor after the reload, on the saved file",
                    lambda s: screen.sockets == 2 and " deny " in table_row(s, "manage_apps") + " ")
        assert asked == [], "everything was saved, yet the browser asked before the reload"

        # An edit in the reloaded editor, unsaved: now the reload asks first.
        screen.click("manage_apps")
        page.keyboard.press("a")
        screen.wait("the new edit", lambda s: "unsaved" in s)
        page.reload()
        assert asked == ["beforeunload"], "the browser did not ask before a reload lost an edit"
        screen.wait("the editor after the second reload, naming the kept edit",
                    lambda s: screen.sockets == 3 and "were kept" in s)
    assert json.loads(policy.read_text(encoding="utf-8"))["tools"]["manage_apps"] == {"action": "deny"}


def test_a_reload_asks_first_while_a_dialog_holds_a_change_not_applied(
    chromium: Any, tmp_path: Path, home: dict[str, str]
) -> None:
    """A reason typed into the conditions dialog and not applied yet is lost by a reload as an
    unsaved edit is: the browser asks first, though the policy itself has nothing unsaved. A
    dialog opened and left as it opened does not make it ask."""
    with kestra_in_chromium(chromium, tmp_path, home) as editor:
        screen, page, asked = editor.screen, editor.page, editor.asked
        screen.click("manage_apps")
        page.keyboard.press("c")
        screen.wait("the conditions dialog", lambda s: "Conditions for manage_apps" in s)
        # Until the editor has counted the keys and clicks sent to it, a reload asks: a
        # person's reload comes later than that, a test's at once.
        page.wait_for_function("!(window.policyKeysSent > (window.policyKeysCounted || 0))",
                               timeout=20_000)
        page.reload()
        screen.wait("the editor after the reload",
                    lambda s: screen.sockets == 2 and bool(table_row(s, "manage_apps")))
        assert asked == [], "the dialog held nothing, yet the browser asked before the reload"

        screen.click("manage_apps")
        page.keyboard.press("c")
        screen.wait("the conditions dialog", lambda s: "Conditions for manage_apps" in s)
        screen.click("e.g. deleting flows needs a ticket")
        page.keyboard.type("only with a ticket from the change board")
        screen.wait("the reason typed", lambda s: "only with a ticket from the change board" in s)
        # The editor tells the page as the frame that shows the text is drawn: a person's reload
        # comes later than that, a test's at once.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function("window.policyWouldLose()", timeout=30_000)
        assert "unsaved" not in screen.text().splitlines()[0], "the policy itself has no edit"
        page.reload()
        assert asked == ["beforeunload"], "the browser did not ask before a reload lost the typed reason"


def test_serve_from_a_snapshot_file_names_the_server_the_editor_names(
    chromium: Any, tmp_path: Path, home: dict[str, str]
) -> None:
    """With `--from FILE`, serve's terminal and the page's title name the server whose tools
    the file holds, as the editor's header does (github-mcp-server), and the terminal says
    which file they came from; they named the file, the header the server."""
    snapshot = Path(__file__).parent / "fixtures" / "servers" / "server-github-legacy.json"
    policy = tmp_path / "policy.json"
    served = Served(["--from", str(snapshot), "--policy", str(policy), "--no-open"],
                    cwd=tmp_path, env=home)
    try:
        assert (f"Editing {policy} for github-mcp-server (its tools from {snapshot})"
                in "".join(served.stdout)), served.stdout
        page = chromium.new_context(viewport=VIEWPORT).new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        assert page.title() == "policy.json · github-mcp-server · policytui"
        header = screen.wait("the editor's header", lambda s: " tools " in s.splitlines()[0])
        assert "github-mcp-server" in header.splitlines()[0], header
        assert "server-github-legacy" not in header.splitlines()[0], header
        # The page's title names the server: the terminal's window title sequences, which the
        # editor writes in a terminal, are not sent to the page.
        assert b"\x1b]2;" not in screen.received and b"\x1b[22;0t" not in screen.received
    finally:
        served.stop()


@pytest.mark.servers
def test_the_page_title_names_the_server_as_the_editors_header_does(
    chromium: Any, tmp_path: Path, home: dict[str, str], everything: Path
) -> None:
    """Served by its command, server-everything is titled by the command until the editor has
    listed it, then by its own name and version, the header's `mcp-servers/everything 2.0.0`;
    before, the title kept the command's name (`mcp-server-everything`) beside the header's."""
    policy = tmp_path / "policy.json"
    served = Served(["--policy", str(policy), "--no-open", "--", str(everything), "stdio"],
                    cwd=tmp_path, env=home)
    try:
        page = chromium.new_context(viewport=VIEWPORT).new_page()
        screen = BrowserScreen(page)
        page.goto(served.url)
        assert page.title() == "policy.json · mcp-server-everything · policytui"
        header = screen.wait("the editor's header with the server's tools",
                             lambda s: " tools " in s.splitlines()[0]).splitlines()[0]
        named = "mcp-servers/everything 2.0.0"
        assert f" {named} · stdio · " in header, header
        title = f"policy.json · {named} · policytui"
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function("title => document.title === title", arg=title, timeout=30_000)
        assert page.title() == title, header
    finally:
        served.stop()
