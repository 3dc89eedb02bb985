"""What a newcomer meets first in the editor: the keys they guess, and what the header says."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from test_tui_app import kestra, ready, screen_text, select
from tui_support import until

from policytui.editor.recovery import keep_document
from policytui.toolinfo import ServerListing
from policytui.tui import make_app

SIZE = (80, 24)


async def test_q_says_which_key_quits_and_quits_nothing(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await until(lambda: "ctrl+q quits" in screen_text(app), "a notice naming ctrl+q")
        assert app.is_running and app.screen is app.main


async def test_the_header_counts_the_warnings_the_problems_tab_lists(tmp_path: Path) -> None:
    tools = [{"name": "fine", "inputSchema": {"type": "object"}}, {"name": "tool_003"}]  # no inputSchema
    listing = ServerListing.from_tool_dicts(tools, server_name="srv", transport="stdio")
    app = make_app(policy_path=tmp_path / "policy.json", listing=listing)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await until(lambda: "could not be read (tool_003)" in screen_text(app), "the Problems tab's warning")
        header = screen_text(app).splitlines()[0]
        assert "! 1 warning" in header, header
        assert "✓" not in header, header


async def test_a_notice_shown_before_a_dialog_opens_never_hides_its_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    policy = tmp_path / "policy.json"
    keep_document(policy, {"version": 1, "default": "deny", "tools": {}})  # an earlier editor's
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(lambda: "Unsaved changes to" in screen_text(app), "the kept-changes notice")
        await select(pilot, "manage_flow")
        await pilot.press("l")
        await until(lambda: "Apply [ctrl+s]" in screen_text(app), "the limits editor")
        await pilot.press("ctrl+u", "0", "enter")
        refused = "max calls must be a whole number from 1 to 1,000,000,000, not 0"
        error = app.screen.query_one(".form-error")
        await until(lambda: refused in str(error.render()), "the limit refused")
        await pilot.pause()
        await pilot.pause()
        shown = screen_text(app)
        # Judged while the notice, shown for 20 seconds, is still up.
        assert any("Unsaved changes to" in str(n.message) and not n.has_expired
                   for n in app._notifications)
        assert refused in " ".join(shown.split()), shown
        assert "Unsaved changes to" not in shown, shown
        assert "Apply [ctrl+s]" in shown and "Cancel [esc]" in shown, shown


@pytest.mark.parametrize("size", [SIZE, (60, 20)], ids=["80x24", "60x20"])
async def test_the_empty_max_calls_field_reads_as_an_example_and_takes_a_number_typed(
        tmp_path: Path, size: tuple[int, int]) -> None:
    """The limits form's empty max calls field shows "e.g. 30", not a bare 30 that reads as a
    limit already set (the format has no default maximum); a number typed replaces it and
    Enter adds that limit."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("l")
        await until(lambda: app.screen.id == "limits-screen" and app.focused is not None
                    and app.focused.id == "tool-max", "the limits form, max calls focused")
        field = app.focused
        assert field is not None and field.id == "tool-max"  # the one `until` waited for

        def shown() -> str:
            region = field.region
            line = screen_text(app).splitlines()[region.y]
            return line[region.x:region.right].strip()

        await until(lambda: shown() == "e.g. 30", "the example in max calls",
                    shows=lambda: repr(shown()) + "\n" + screen_text(app))
        await pilot.press("5")
        await until(lambda: shown() == "5", "the number typed shown alone", shows=lambda: repr(shown()))
        await pilot.press("enter")
        await until(lambda: "1. 5/minute" in screen_text(app), "the limit listed", shows=lambda: screen_text(app))
        await pilot.press("ctrl+s")
        await until(lambda: app.screen is app.main, "the dialog applied")
        assert app.state is not None
        limits = app.state.policy.to_document()["tools"]["manage_flow"]["limits"]
        assert [(limit["max"], limit["window"]) for limit in limits] == [(5, "minute")]


@asynccontextmanager
async def _limits_form_on_one_limit(tmp_path: Path) -> AsyncIterator[tuple[Any, Any]]:
    """The editor on a policy limiting manage_flow to 10 calls a minute per grant, its limits
    form opened with `l` on that tool, max calls focused: (pilot, app)."""
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": "1", "default": "deny", "tools": {"manage_flow": {"limits": ['
                      '{"counter": "manage_flow_rate", "window": "minute", "max": 10, "scope": "grant"}]}}}',
                      encoding="utf-8")
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("l")
        await until(lambda: app.screen.id == "limits-screen" and app.focused is not None
                    and app.focused.id == "tool-max", "the limits form, max calls focused")
        yield pilot, app


async def test_enter_alone_in_the_limits_form_never_changes_a_listed_limit(tmp_path: Path) -> None:
    """The empty max calls field suggests 30 for a new limit. `l` and Enter on a tool limited to
    10 a minute changed that limit to 30 a minute, a limit loosened threefold by a key pressed
    out of habit; the limit stays as it is and the form says how to change it."""
    async with _limits_form_on_one_limit(tmp_path) as (pilot, app):
        await pilot.press("enter")
        await until(lambda: "is listed already: type a number in max" in screen_text(app),
                    "the form saying the limit is listed", shows=lambda: screen_text(app))
        assert "1. 10/minute" in screen_text(app), screen_text(app)
        await pilot.press("ctrl+s")
        await until(lambda: app.screen is app.main, "the dialog applied")
        assert app.state is not None
        limits = app.state.policy.to_document()["tools"]["manage_flow"]["limits"]
        assert [(limit["max"], limit["window"]) for limit in limits] == [(10, "minute")]
        # A number typed still changes it, as before.
        await pilot.press("l")
        await until(lambda: app.screen.id == "limits-screen" and app.focused is not None
                    and app.focused.id == "tool-max", "the limits form again")
        await pilot.press("5", "enter", "ctrl+s")
        await until(lambda: app.screen is app.main, "the dialog applied again")
        limits = app.state.policy.to_document()["tools"]["manage_flow"]["limits"]
        assert [(limit["max"], limit["window"]) for limit in limits] == [(5, "minute")]


async def test_tab_never_stops_on_an_empty_list_of_limits(tmp_path: Path) -> None:
    """An empty list of limits ("no limits") took the focus unseen: shift+Tab from max calls
    stopped there first, and on the shared tab Tab from the tabs did, so the number typed next
    went nowhere and Enter added nothing. Tab passes an empty list by, as in the conditions
    editor; `l`, shift+Tab, Right, Tab, a number and Enter add a limit for all tools."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "search_flows")
        await pilot.press("l")
        await until(lambda: app.screen.id == "limits-screen" and app.focused is not None
                    and app.focused.id == "tool-max", "the limits form, max calls focused")
        await pilot.press("shift+tab")  # to the tabs, past the empty list of this tool's limits
        await pilot.press("right", "tab")  # the shared tab, then its first field
        await until(lambda: app.focused is not None and app.focused.id == "shared-max",
                    "max calls of the shared tab focused", shows=lambda: repr(app.focused))
        await pilot.press("1", "0", "0", "enter")
        await until(lambda: "1. 100/minute (all_calls, grant)" in screen_text(app), "the shared limit listed",
                    shows=lambda: screen_text(app))
        await pilot.press("ctrl+s")
        await until(lambda: app.screen is app.main, "the dialog applied")
        assert app.state is not None
        document = app.state.policy.to_document()
        assert document["all_tools"]["limits"] == [
            {"counter": "all_calls", "window": "minute", "max": 100, "scope": "grant"}]
        assert "search_flows" not in document.get("tools", {})


async def test_del_in_the_list_of_limits_removes_the_limit_it_lands_on(tmp_path: Path) -> None:
    """shift+Tab from max calls focuses the list of limits; it took the focus with no limit
    highlighted, so del (and Update selected) did nothing without a word. Its first limit is
    highlighted and loaded into the form, and del removes it."""
    async with _limits_form_on_one_limit(tmp_path) as (pilot, app):
        await pilot.press("shift+tab")
        await until(lambda: app.focused is not None and app.focused.id == "tool-list", "the list focused")
        await pilot.press("delete")
        await until(lambda: "no limits" in screen_text(app), "the limit removed", shows=lambda: screen_text(app))
        await pilot.press("ctrl+s")
        await until(lambda: app.screen is app.main, "the dialog applied")
        assert app.state is not None
        assert "limits" not in app.state.policy.to_document()["tools"].get("manage_flow", {})


async def test_the_keys_docs_give_for_writes_only_inside_one_folder_write_that_condition(tmp_path: Path) -> None:
    """docs/tui.md, "Writes only inside one folder": the keys it lists, pressed on the
    filesystem server's tools, write a `require` regex on write_file's path, and the call it
    names as refused is refused."""
    import json
    import subprocess
    import sys

    from conftest import load_server_fixture

    from policytui.tui import make_app

    data = load_server_fixture("server-filesystem")
    listing = ServerListing.from_tool_dicts(data["tools"], server_name="filesystem", transport="stdio")
    policy_path = tmp_path / "policy.json"
    policy_path.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"write_file": {}}}))
    app = make_app(policy_path=policy_path, listing=listing)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await select(pilot, "write_file")
        await pilot.press("c")
        await until(lambda: "Conditions for write_file" in screen_text(app), "the conditions dialog")
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "enter", "up", "up", "enter",
                          "tab", "tab", "enter", *["down"] * 8, "enter", "tab", *"^/home/me/project/",
                          "enter", "ctrl+s")
        await until(lambda: app.screen is app.main, "the dialog applied", shows=lambda: screen_text(app))
        await pilot.press("ctrl+s")
        await until(lambda: "require" in policy_path.read_text(), "the policy saved")
    saved = json.loads(policy_path.read_text())
    assert saved["tools"]["write_file"]["require"] == [
        {"path": "args.path", "op": "regex", "value": "^/home/me/project/"}]
    def check(path: str) -> int:
        return subprocess.run([sys.executable, "-m", "policytui", "check", str(policy_path), "write_file",
                               "--args", json.dumps({"path": path})], capture_output=True, timeout=60).returncode

    assert (check("/home/me/project/a.txt"), check("/home/me/project/../.ssh/x")) == (0, 1)
