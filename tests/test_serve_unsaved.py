"""Unsaved changes in the browser editor outlive `policytui serve` and the browser window.

The installed `policytui serve` runs; Debian's Chromium (Playwright) opens the editor, a click
and a key deny a tool, and nothing is saved. Then serve is stopped (ctrl+c, SIGTERM), or the
window is closed: the edit is in a new recovery file beside the policy (0600), the policy file is
as it was, and serve's own standard error says where the edit went.
"""

from __future__ import annotations

import json
import re
import signal
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_support import (
    BrowserScreen,
    Served,
    table_row,
)

VIEWPORT = {"width": 1200, "height": 800}
SAVED = '{\n  "version": "1",\n  "default": "deny",\n  "tools": {\n    "search_apps": {}\n  }\n}\n'


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """serve on a saved policy for Kestra's recorded tools, nothing of the user's around."""
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "policy.json").write_text(SAVED, encoding="utf-8")
    running = Served(
        ["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={"HOME": str(home), "XDG_STATE_HOME": str(home / "state")},
    )
    try:
        yield running
    finally:
        running.stop()


def deny_manage_apps_unsaved(chromium: Any, served: Served) -> Any:
    """Open the editor in a new window and deny manage_apps without saving; the page."""
    return denied_on_screen(chromium, served)[0]


def denied_on_screen(chromium: Any, served: Served) -> tuple[Any, BrowserScreen]:
    """As `deny_manage_apps_unsaved`: the page, and what its terminal shows."""
    page = chromium.new_context(viewport=VIEWPORT).new_page()
    screen = BrowserScreen(page)
    page.goto(served.url)
    screen.wait("the saved policy in the table",
                lambda s: "39 tools" in s and " allow " in table_row(s, "search_apps") + " ")
    screen.click("manage_apps")
    screen.wait("manage_apps picked by the click",
                lambda s: any(line.strip() == "manage_apps" for line in s.splitlines()))
    page.keyboard.press("d")
    screen.wait("manage_apps denied, unsaved",
                lambda s: "unsaved" in s and "deny*" not in table_row(s, "manage_apps")
                and "deny*" not in table_row(s, "manage_apps")
                and " deny " in table_row(s, "manage_apps") + " ")
    return page, screen


def manage_apps_picked(chromium: Any, served: Served) -> tuple[Any, BrowserScreen]:
    """Open the editor in a new window and click manage_apps; the page, and what its terminal shows."""
    page = chromium.new_context(viewport=VIEWPORT).new_page()
    screen = BrowserScreen(page)
    page.goto(served.url)
    screen.wait("the saved policy in the table", lambda s: "39 tools" in s and "manage_apps" in s)
    screen.click("manage_apps")
    screen.wait("manage_apps picked by the click",
                lambda s: any(line.strip() == "manage_apps" for line in s.splitlines()))
    return page, screen


def limit_typed_not_applied(page: Any, screen: BrowserScreen) -> None:
    """Open the limits dialog of the picked manage_apps and type 5 in max calls, not applied."""
    page.keyboard.press("l")
    screen.wait("the limits dialog", lambda s: "Limits for manage_apps" in s and "Apply [ctrl+s]" in s)
    page.keyboard.press("5")
    screen.wait("5 in max calls", lambda s: re.search(r"│ 5\s+minute\b", s) is not None)


def kept_file(folder: Path, timeout: float = 60) -> Path:
    # The editor writes the file once it sees its connection gone: on a loaded machine (a
    # whole test run beside other work) that took over 15 s.
    deadline = time.monotonic() + timeout
    while not (found := sorted(folder.glob("policy.json.unsaved-*.json"))):
        assert time.monotonic() < deadline, "no recovery file beside the policy"
        time.sleep(0.05)
    assert len(found) == 1, found
    return found[0]


def assert_kept(folder: Path, served: Served) -> None:
    kept = kept_file(folder)
    document = json.loads(kept.read_text(encoding="utf-8"))
    assert document["tools"]["manage_apps"] == {"action": "deny"}
    assert document["tools"]["search_apps"] == {}
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert (folder / "policy.json").read_text(encoding="utf-8") == SAVED, "the policy was changed"
    said = ("policytui serve: the browser editor had unsaved changes to policy.json; "
            f"they were kept in {kept}\n")
    deadline = time.monotonic() + 10
    while said not in served.stderr:
        assert time.monotonic() < deadline, f"serve did not say where: {''.join(served.stderr)}"
        time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl+c", "SIGTERM"])
def test_stopping_serve_keeps_the_browser_editors_unsaved_edit(
    chromium: Any, served: Served, tmp_path: Path, stop: signal.Signals
) -> None:
    page = deny_manage_apps_unsaved(chromium, served)
    served.process.send_signal(stop)
    expected = 130 if stop == signal.SIGINT else 0
    assert served.process.wait(timeout=30) == expected, "".join(served.stderr)
    assert_kept(tmp_path, served)
    # The page says that serve stopped, where the edit went, as serve's terminal does, and how
    # to go on, and offers no "Open it again", which would only reach a server that is gone.
    assert closed_page_says(page) == (
        "policytui serve has stopped. The browser editor had unsaved changes to policy.json; "
        f"they were kept in {kept_file(tmp_path)}. Start serve again and open the address it prints."
    ).split()


def closed_page_says(page: Any) -> list[str]:
    """The words of the page serve's stop leaves, which has no button (no "Open it again")."""
    page.wait_for_selector("body.-closed", timeout=20_000)
    closed = page.locator(".closed-dialog")
    assert closed.locator("button").count() == 0
    return list(closed.inner_text().split())


def test_stopping_serve_after_a_save_says_nothing_was_unsaved(
    chromium: Any, served: Served, tmp_path: Path
) -> None:
    """An edit saved with ctrl+s, then serve stopped by ctrl+c: the page says the editor had
    no unsaved changes, and no recovery file is made. It said "Any unsaved changes were kept in
    a file beside the policy", naming a file there was none of."""
    page = deny_manage_apps_unsaved(chromium, served)
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 20
    while '"manage_apps"' not in (tmp_path / "policy.json").read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "ctrl+s did not write the edit"
        time.sleep(0.05)
    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(timeout=30) == 130, "".join(served.stderr)
    assert closed_page_says(page) == (
        "policytui serve has stopped. The browser editor had no unsaved changes. Start serve "
        "again and open the address it prints."
    ).split()
    assert sorted(tmp_path.glob("policy.json.unsaved-*.json")) == []


def test_closing_the_window_keeps_the_unsaved_edit(
    chromium: Any, served: Served, tmp_path: Path
) -> None:
    page = deny_manage_apps_unsaved(chromium, served)
    page.context.close()
    assert_kept(tmp_path, served)
    assert served.process.poll() is None, "serve goes on after a window is closed"
    assert served.stop() == 130


async def test_the_editors_lines_reach_serves_terminal_harmless_and_bounded() -> None:
    """What an editor writes on its standard error is relayed line by line, its control
    characters made visible, its first MAX_LINES and its last LAST_LINES, all of it read."""
    import asyncio

    from policytui.serve.editor_output import LAST_LINES, MAX_LINES, relay_lines

    stream = asyncio.StreamReader()
    stream.feed_data(b"kept in /tmp/p\x1b]0;title\x07.json\n  indented\r\n")
    stream.feed_data(b"".join(b"line %d\n" % n for n in range(MAX_LINES * 2)))
    stream.feed_eof()
    said: list[str] = []
    await relay_lines(stream, said.append)
    assert said[0] == "kept in /tmp/p\\x1b]0;title\\x07.json"
    assert said[1] == "  indented"
    assert len(said) == MAX_LINES + 1 + LAST_LINES and stream.at_eof()
    assert said[MAX_LINES] == f"({MAX_LINES + 2 - LAST_LINES:,} more lines not shown)"
    assert said[-1] == f"line {MAX_LINES * 2 - 1}"


async def test_the_line_saying_where_edits_went_outlives_a_flood_before_it() -> None:
    """An editor's last word comes last: after a long crash traceback (or whatever filled its
    MAX_LINES), the line that says where its unsaved changes were kept is still relayed, also
    when serve stops waiting for an output some other process holds open."""
    import asyncio

    from policytui.serve.editor_output import MAX_LINES, relay_lines

    kept = ("policytui serve: the browser editor had unsaved changes to policy.json; "
            "they were kept in /home/me/policy.json.unsaved-20250131-235959.json")
    for ends in (True, False):
        stream = asyncio.StreamReader()
        stream.feed_data(b"".join(b"  File x.py, line %d\n" % n for n in range(MAX_LINES * 5)))
        stream.feed_data(kept.encode() + b"\n")
        said: list[str] = []
        if ends:
            stream.feed_eof()
            await relay_lines(stream, said.append)
        else:
            relay = asyncio.ensure_future(relay_lines(stream, said.append))
            await asyncio.sleep(0.05)
            relay.cancel()
            with pytest.raises(asyncio.CancelledError):
                await relay
        assert said[-1] == kept, said[-3:]
        assert len(said) < MAX_LINES * 2


def test_a_page_whose_serve_was_killed_says_its_connection_was_lost(
    chromium: Any, served: Served, tmp_path: Path
) -> None:
    """`kill -9` of serve (or serve crashing) closes the page's connection without a word:
    the page says the connection was lost and what to do, where it said "The editor has
    closed." as after ctrl+q. Its button stays: serve may still run."""
    page = deny_manage_apps_unsaved(chromium, served)
    served.process.kill()
    served.process.wait(timeout=30)
    page.wait_for_selector("body.-closed", timeout=20_000)
    closed = page.locator(".closed-dialog")
    assert closed.locator(".message").inner_text().split() == (
        "The connection to policytui serve was lost. Any unsaved changes were kept in a file "
        "beside the policy. If serve still runs, open the editor again; if not, start it "
        "again and open the address it prints."
    ).split()
    assert closed.locator("button").inner_text() == "Open it again"
    kept = json.loads(kept_file(tmp_path).read_text(encoding="utf-8"))
    assert kept["tools"]["manage_apps"] == {"action": "deny"}


def test_a_page_whose_serve_was_killed_with_nothing_unsaved_says_so(
    chromium: Any, served: Served, tmp_path: Path
) -> None:
    """`kill -9` of serve while the editor has nothing unsaved: the page says so, where it said
    "Any unsaved changes were kept in a file beside the policy", naming a file there is none of."""
    page = chromium.new_context(viewport=VIEWPORT).new_page()
    screen = BrowserScreen(page)
    page.goto(served.url)
    screen.wait("the saved policy in the table", lambda s: "39 tools" in s and "manage_apps" in s)
    page.keyboard.press("ArrowDown")  # moves the cursor, edits nothing
    page.wait_for_function("!(window.policyKeysSent > (window.policyKeysCounted || 0))",
                           timeout=20_000)
    served.process.kill()
    served.process.wait(timeout=30)
    page.wait_for_selector("body.-closed", timeout=20_000)
    assert page.locator(".closed-dialog .message").inner_text().split() == (
        "The connection to policytui serve was lost. The editor had no unsaved changes. If serve "
        "still runs, open the editor again; if not, start it again and open the address it prints."
    ).split()
    assert sorted(tmp_path.glob("policy.json.unsaved-*.json")) == []


@pytest.mark.parametrize("denied_first", [False, True], ids=["dialog-only", "with-an-edit"])
def test_a_page_whose_serve_was_killed_says_an_open_dialogs_changes_were_lost(
    chromium: Any, served: Served, tmp_path: Path, denied_first: bool
) -> None:
    """`kill -9` of serve while the limits dialog holds a limit typed and not applied (and,
    in one case, manage_apps denied unsaved): the page says the dialog's changes were lost, as
    they were, where it said "Any unsaved changes were kept in a file beside the policy"."""
    if denied_first:
        page, screen = denied_on_screen(chromium, served)
    else:
        page, screen = manage_apps_picked(chromium, served)
    limit_typed_not_applied(page, screen)
    page.wait_for_function("!(window.policyKeysSent > (window.policyKeysCounted || 0))",
                           timeout=20_000)
    served.process.kill()
    served.process.wait(timeout=30)
    page.wait_for_selector("body.-closed", timeout=20_000)
    outcome = (
        "Unsaved changes to the policy were kept in a file beside it; the changes to the limits "
        "for manage_apps in an open dialog, not applied yet, were lost." if denied_first else
        "The editor had changes to the limits for manage_apps in an open dialog, not applied "
        "yet; they were lost (a dialog's changes are kept once applied)."
    )
    assert page.locator(".closed-dialog .message").inner_text().split() == (
        f"The connection to policytui serve was lost. {outcome} If serve still runs, open the "
        "editor again; if not, start it again and open the address it prints."
    ).split()
    if denied_first:
        kept = json.loads(kept_file(tmp_path).read_text(encoding="utf-8"))
        assert kept["tools"]["manage_apps"] == {"action": "deny"}
        assert "limits" not in kept["tools"]["manage_apps"]
    else:
        time.sleep(2)  # the editor, its input ended, is gone by now: nothing kept, nothing to keep
        assert sorted(tmp_path.glob("policy.json.unsaved-*.json")) == []
    assert (tmp_path / "policy.json").read_text(encoding="utf-8") == SAVED


def test_the_next_editors_notice_breaks_the_kept_files_path_only_after_a_slash(
    chromium: Any, served: Served, tmp_path: Path
) -> None:
    """After a reload, the new page's notice names the recovery file: its folder broken only
    after a `/`, its name whole on a line of its own, so each piece reads and copies whole
    (the notice folded the path anywhere: "...172527.js" and "on." on the next line)."""
    page = deny_manage_apps_unsaved(chromium, served)
    page.on("dialog", lambda dialog: dialog.accept())  # the browser's "leave this page?"
    page.reload()
    screen = BrowserScreen(page)
    assert_kept(tmp_path, served)
    kept = kept_file(tmp_path)
    shown = screen.wait("the notice naming the kept file",
                        lambda s: "Unsaved changes to" in s and "the file." in s)
    assert_path_in_notice(shown, kept)


def assert_path_in_notice(shown: str, kept: Path) -> None:
    """The notice's lines from the one that starts the path to the file's name: each folder
    line ends at a `/`, the name has a line of its own, and together they are the path."""
    lines = [line.split("▌")[-1].strip(" ▆▇█▅▄▃▂▁") for line in shown.splitlines() if "▌" in line]
    start = next((i for i, line in enumerate(lines) if line.startswith(str(kept)[:5])), None)
    assert start is not None and kept.name in lines, lines
    end = lines.index(kept.name)
    assert all(line.endswith("/") for line in lines[start:end]), lines
    assert "".join(lines[start:end + 1]) == str(kept), lines


def test_the_palette_loads_the_kept_edit_unsaved_the_policy_as_saved(
    chromium: Any, served: Served, tmp_path: Path
) -> None:
    """A browser user has no shell to open the recovery file the notice names: the notice says
    how to load it (ctrl+p "Load kept changes"), which puts the kept edit in the editor,
    unsaved, the policy file as it was saved until ctrl+s writes it; ctrl+z takes it back."""
    page = deny_manage_apps_unsaved(chromium, served)
    page.on("dialog", lambda dialog: dialog.accept())  # the browser's "leave this page?"
    page.reload()
    screen = BrowserScreen(page)
    assert_kept(tmp_path, served)
    kept = kept_file(tmp_path)
    shown = screen.wait("the notice saying how to load the kept file",
                        lambda s: "“Load kept changes” loads" in s.replace("\n", " "))
    assert_path_in_notice(shown, kept)
    assert "deny*" in table_row(shown, "manage_apps"), "the saved policy: the default decides"
    page.keyboard.press("Control+p")
    screen.wait("the palette", lambda s: "Search for commands" in s)
    page.keyboard.type("Load kept")
    screen.wait("the palette's Load kept changes", lambda s: f"kept in {kept.name}" in s)
    page.keyboard.press("Enter")
    screen.wait("the kept deny loaded, unsaved",
                lambda s: "Loaded the changes kept in" in s and "deny*" not in table_row(s, "manage_apps")
                and " deny " in table_row(s, "manage_apps") + " ")
    assert (tmp_path / "policy.json").read_text(encoding="utf-8") == SAVED
    page.keyboard.press("Control+z")
    screen.wait("the load undone", lambda s: "deny*" in table_row(s, "manage_apps"))
    page.keyboard.press("Control+y")
    screen.wait("the load redone", lambda s: " deny " in table_row(s, "manage_apps") + " "
                and "deny*" not in table_row(s, "manage_apps"))
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 20
    while '"manage_apps"' not in (tmp_path / "policy.json").read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, "ctrl+s did not write the loaded edit"
        time.sleep(0.05)
    saved = json.loads((tmp_path / "policy.json").read_text(encoding="utf-8"))
    assert saved["tools"]["manage_apps"] == {"action": "deny"}
    assert saved["tools"]["search_apps"] == {}


def test_stopping_serve_says_a_dialogs_changes_were_not_kept(
    chromium: Any, served: Served, tmp_path: Path
) -> None:
    """The limits dialog holds a limit typed and not applied as serve stops: no recovery file
    keeps it, and serve's standard error says so. Before, the editor ended without a word."""
    page, screen = manage_apps_picked(chromium, served)
    limit_typed_not_applied(page, screen)
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0, "".join(served.stderr)
    said = ("policytui serve: the browser editor had changes to the limits for manage_apps in an open "
            "dialog, not applied yet; they were lost (a dialog's changes are kept once applied)\n")
    deadline = time.monotonic() + 10
    while said not in served.stderr:
        assert time.monotonic() < deadline, f"serve did not say: {''.join(served.stderr)}"
        time.sleep(0.05)
    assert sorted(tmp_path.glob("policy.json.unsaved-*.json")) == []
    assert (tmp_path / "policy.json").read_text(encoding="utf-8") == SAVED
    # The page says so too, in the same words.
    assert closed_page_says(page) == (
        "policytui serve has stopped. The browser editor had changes to the limits for manage_apps "
        "in an open dialog, not applied yet; they were lost (a dialog's changes are kept once "
        "applied). Start serve again and open the address it prints."
    ).split()


# Put on serve's PYTHONPATH: in each editor process serve starts (the only processes given the
# connect arguments), the app's handler of the request to end sleeps on the main thread before
# anything else, as an editor stuck on its way out does; the session driver's timer ends it.
STUCK_ON_THE_WAY_OUT = """
import importlib.abc, importlib.util, os, sys, time

class _Stuck(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "policytui.tui.app":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            def on_exit_app(app, request):
                time.sleep(60)
            module.PolicyApp.on_exit_app = on_exit_app

        spec.loader.exec_module = exec_module
        return spec

if "POLICYTUI_SERVE_CONNECT_ARGUMENTS" in os.environ:
    sys.meta_path.insert(0, _Stuck())
"""


def test_an_editor_stuck_on_its_way_out_says_its_open_dialogs_changes_were_lost(
    chromium: Any, tmp_path: Path
) -> None:
    """An unsaved deny, and a limit typed in the limits dialog and not applied, as serve stops;
    the editor is stuck past its 3 seconds on the way out and its timer ends it. What it kept
    says the dialog's limit was lost, on serve's terminal and on the page. Before, the timer's
    line said the unsaved changes were kept, as if all was."""
    home = tmp_path / "home"
    home.mkdir()
    code = tmp_path / "stuck"
    code.mkdir()
    (code / "sitecustomize.py").write_text(STUCK_ON_THE_WAY_OUT, encoding="utf-8")
    (tmp_path / "policy.json").write_text(SAVED, encoding="utf-8")
    served = Served(
        ["kestra", "--offline", "--policy", str(tmp_path / "policy.json"), "--no-open"],
        cwd=tmp_path, env={"HOME": str(home), "XDG_STATE_HOME": str(home / "state"),
                           "PYTHONPATH": str(code)},
    )
    try:
        page, screen = denied_on_screen(chromium, served)
        limit_typed_not_applied(page, screen)
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=30) == 0, "".join(served.stderr)
    finally:
        served.stop()
    kept = kept_file(tmp_path)
    said = ("the browser editor had unsaved changes to policy.json (not the changes to the limits "
            "for manage_apps in its open dialog, not applied yet: those were lost); they were kept "
            f"in {kept}")
    stderr = "".join(served.stderr)
    assert "had not stopped after 3 seconds; ending it" in stderr, stderr
    assert f"policytui serve: {said}\n" in served.stderr, stderr
    assert closed_page_says(page) == (
        f"policytui serve has stopped. {said[:1].upper()}{said[1:]}. Start serve again and open "
        "the address it prints.").split()
    assert json.loads(kept.read_text(encoding="utf-8"))["tools"]["manage_apps"] == {"action": "deny"}
