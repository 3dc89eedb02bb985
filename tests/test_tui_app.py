"""The editor driven like a user drives it: keys in, policy model and written file checked."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest
from conftest import load_server_fixture

from policytui.discovery.errors import DiscoveryError
from policytui.toolinfo import ServerListing
from policytui.tui import PolicyApp, make_app
from policytui.tui.table import ToolTable

SIZE = (100, 30)


def kestra() -> ServerListing:
    data = load_server_fixture("kestra-head-14fe3a3")
    return ServerListing.from_tool_dicts(
        data["tools"], server_name="kestra", server_version="0.1.0", transport="stdio"
    )


def screen_text(app: PolicyApp) -> str:
    """What the terminal shows now, as plain text (one line per row)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def until(condition, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.app.loaded.wait()
    await pilot.pause()


async def select(pilot, name: str) -> None:  # type: ignore[no-untyped-def]
    """Filter to `name` with / and go back to the table with it selected."""
    await pilot.press("slash", *name, "enter")
    table = pilot.app.query_one(ToolTable)
    await until(lambda: table.current_row is not None and table.current_row.name == name
                and pilot.app.focused is table, f"{name} selected in the table")


def document(app: PolicyApp) -> dict:
    assert app.state is not None
    return app.state.policy.to_document()


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    return tmp_path / "policy.json"


async def test_header_and_table_show_the_server(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        text = screen_text(app)
        assert "kestra 0.1.0 · stdio · 39 tools" in text
        assert "default deny" in text
        assert "backfill_executions" in text
        assert "Category" in text and "Severity" in text and "Approval" in text
        assert app.query_one(ToolTable).current_row.name == "backfill_executions"
        await pilot.press("down", "down")
        assert app.query_one(ToolTable).current_row.name == "manage_tests"


async def test_decision_keys_and_default_toggle(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "down", "d", "down", "h", "down", "r")
        await pilot.pause()
        assert document(app) == {
            "version": "1",
            "default": "deny",
            "hide": ["manage_tests"],
            "tools": {
                "backfill_executions": {},
                "invite_user": {"action": "deny"},
                "manage_apps": {"action": "require_approval"},
            },
        }
        assert "● unsaved" in screen_text(app)
        # Allowing by default asks first, naming the tools it would let through.
        await pilot.press("D")
        await until(lambda: app.screen.id == "confirm-default", "the allow-by-default question")
        await pilot.pause()
        shown = screen_text(app)
        assert "Allow by default?" in shown and "35 tools" in shown, shown
        assert "manage_flow  Destructive, Critical" in shown  # the riskiest are listed first
        assert "execute_flow" in app.screen.detail.plain  # every one of them, further down
        await keep_deny_then_allow_by_default(pilot, app)
        assert "default allow" in screen_text(app)
        # Back to deny fails closed: no question.
        await pilot.press("D")
        await pilot.pause()
        assert document(app)["default"] == "deny"


async def test_allowing_by_default_asks_even_when_every_listed_tool_has_a_rule(policy_path: Path) -> None:
    """With a rule for every tool listed, no listed tool changes, but every tool the server adds
    later would be allowed unseen: D still asks, and says so."""
    listing = kestra()
    policy_path.write_text(json.dumps({"version": "1", "default": "deny",
                                       "tools": {tool.name: {"action": "deny"} for tool in listing.tools}}))
    app = make_app(policy_path=policy_path, listing=listing)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("D")
        await until(lambda: app.screen.id == "confirm-default", "the allow-by-default question")
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        assert "Allow by default?" in shown and "tools the server adds later would be allowed" in shown, shown
        await keep_deny_then_allow_by_default(pilot, app)


async def keep_deny_then_allow_by_default(pilot, app: PolicyApp) -> None:  # type: ignore[no-untyped-def]
    """With the allow-by-default question open: "Keep deny" keeps it, and asked again, "Allow by
    default" switches it."""
    await pilot.press("n")
    await pilot.pause()
    assert document(app)["default"] == "deny"
    await pilot.press("D")
    await until(lambda: app.screen.id == "confirm-default", "the question again")
    await pilot.press("y")
    await until(lambda: document(app)["default"] == "allow", "the default switched to allow")


async def test_limits_editor_adds_a_tool_limit_and_a_shared_one(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("3", "0", "enter")  # max 30 per minute, counter manage_flow_rate
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert document(app)["tools"] == {
            "manage_flow": {
                # Unlisted under default deny: it stays denied (tests/test_tui_fail_closed_and_narrow.py).
                "action": "deny",
                "limits": [{"counter": "manage_flow_rate", "window": "minute", "max": 30, "scope": "grant"}],
            }
        }
        # The shared tab: all_tools limits, from the same editor.
        await pilot.press("l")
        await pilot.pause()
        app.screen.query_one("TabbedContent").active = "tab-shared"
        await pilot.pause()
        app.screen.query_one("#shared-max").focus()
        await pilot.press("1", "0", "0", "0", "enter", "ctrl+s")
        await pilot.pause()
        assert document(app)["all_tools"] == {
            "limits": [{"counter": "all_calls", "window": "minute", "max": 1000, "scope": "grant"}]
        }
        # A bad value is refused with a sentence, nothing is added.
        await pilot.press("l")
        await pilot.pause()
        await pilot.press("0", "enter")
        await pilot.pause()
        assert "max calls must be a whole number from 1 to 1,000,000,000, not 0" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert len(document(app)["tools"]["manage_flow"]["limits"]) == 1


async def test_an_absurd_limit_is_refused_in_one_sentence_that_gives_the_range(policy_path: Path) -> None:
    """10^23 calls a minute was accepted (and written); 0 read "max: max must be at least 1"."""
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("l")
        await pilot.pause()
        for typed in ("0", "1" + "0" * 23, "1000000001"):
            await pilot.press("ctrl+u", *typed, "enter")
            await pilot.pause()
            shown = " ".join(screen_text(app).split())
            assert f"max calls must be a whole number from 1 to 1,000,000,000, not {typed}" in shown, shown
            assert "max: max" not in shown
        # The largest number the gateway and validate accept is accepted here too.
        await pilot.press("ctrl+u", *"1000000000", "enter", "ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert document(app)["tools"]["manage_flow"]["limits"] == [
            {"counter": "manage_flow_rate", "window": "minute", "max": 1_000_000_000, "scope": "grant"}
        ]


async def test_a_limit_typed_but_not_added_keeps_the_dialog_open_on_apply(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        # `l 77 ctrl+s`, typed in one go: 77 was never added, so applying would drop it.
        await pilot.press("l", "7", "7", "ctrl+s")
        await pilot.pause()
        assert app.screen.id == "limits-screen"
        assert "the limit in the form (77/minute) is not added yet" in screen_text(app)
        assert "manage_flow" not in document(app).get("tools", {})
        assert app.focused is not None and app.focused.id == "tool-max"
        await pilot.press("enter", "ctrl+s")
        await pilot.pause()
        assert app.screen.id != "limits-screen"
        assert document(app)["tools"]["manage_flow"]["limits"] == [
            {"counter": "manage_flow_rate", "window": "minute", "max": 77, "scope": "grant"}
        ]
        # A number typed on the shared tab is waited for too, and the dialog shows that tab.
        await pilot.press("l")
        await pilot.pause()
        app.screen.query_one("TabbedContent").active = "tab-shared"
        await pilot.pause()
        app.screen.query_one("#shared-max").focus()
        await pilot.press("5", "0", "0")
        app.screen.query_one("TabbedContent").active = "tab-tool"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "limits-screen"
        assert app.screen.query_one("TabbedContent").active == "tab-shared"
        assert "(500/minute) is not added yet" in screen_text(app)
        # Emptied, the field waits for nothing: Apply closes with the limits as listed.
        await pilot.press("ctrl+u", "ctrl+s")
        await pilot.pause()
        assert app.screen.id != "limits-screen"
        assert "all_tools" not in document(app)
        assert document(app)["tools"]["manage_flow"]["limits"][0]["max"] == 77


async def test_undo_and_redo_say_which_tool_or_how_many(policy_path: Path) -> None:
    """They read "Undid: allow 1 tool(s)" and "Redid: deny 10000 tool(s)"."""
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)

        def said() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await select(pilot, "manage_flow")
        await pilot.press("a", "ctrl+z")
        await until(lambda: "Undid: allow manage_flow" in said(), "the undo named", timeout=10)
        await pilot.press("escape", "escape", "b", "d")  # every tool shown: all 39
        await until(lambda: document(app).get("tools", {}).get("search_flows") == {"action": "deny"},
                    "the bulk deny")
        await pilot.press("ctrl+z", "ctrl+y")
        await until(lambda: "Redid: deny 39 tools" in said(), "the redo counted", timeout=10)
        assert "Undid: deny 39 tools" in said()
        assert not [line for line in said() if "tool(s)" in line]


async def test_a_hidden_tools_rule_comes_back_in_the_next_editor(policy_path: Path) -> None:
    """Hiding sets a tool's rule aside and allowing it brings the rule back, but only within
    one editor: saved while hidden, the limits and conditions were gone from the file, and the
    next editor allowed the tool with no limit and no condition."""
    rule = {"action": "require_approval", "require": [{"path": "args.action", "op": "in", "value": ["get_yaml"]}],
            "limits": [{"counter": "flows", "window": "minute", "max": 5, "scope": "grant"}]}
    policy_path.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"manage_flow": rule}}))
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("h", "ctrl+s")
        await until(lambda: app.state is not None and not app.state.dirty, "the save")
        await app.workers.wait_for_complete()
        await pilot.press("ctrl+q")
    saved = json.loads(policy_path.read_text())
    assert saved["hide"] == ["manage_flow"] and "manage_flow" not in saved.get("tools", {})

    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.state is not None and not app.state.dirty
        assert app.state.try_call("manage_flow", {"action": "get_yaml"}).outcome.value == "hidden"
        await select(pilot, "manage_flow")
        await pilot.press("r")  # approve it again: the rule it had is back, whole
        await until(lambda: "manage_flow" in document(app).get("tools", {}), "manage_flow decided")
        assert document(app)["tools"]["manage_flow"] == rule
        assert "hide" not in document(app)
        assert app.state.try_call("manage_flow", {"action": "delete"}).outcome.value == "denied"


def dialog_text(app: PolicyApp) -> str:
    """What the open dialog's box shows, its lines joined (so a wrapped sentence reads whole)."""
    inside = [line.split("│")[-2] for line in screen_text(app).splitlines() if line.count("│") >= 2]
    return " ".join(" ".join(inside).split())


async def test_enter_twice_or_a_new_number_never_lists_a_counter_twice(policy_path: Path) -> None:
    """`l 50 Enter Enter ctrl+s` wrote 50/minute twice, and a new number typed to replace the
    limit was listed beside it (`50/minute +1` in the table): of two limits of one counter over
    one window only the smaller binds, so raising it to 80 that way changed nothing at all."""
    rate = {"counter": "manage_flow_rate", "window": "minute", "scope": "grant"}
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("l", "5", "0", "enter", "enter")
        await pilot.pause()
        assert "50/minute (manage_flow_rate, grant) is already listed" in dialog_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id != "limits-screen"
        assert document(app)["tools"]["manage_flow"]["limits"] == [{**rate, "max": 50}]

        # Raised: typed but not entered, Apply waits and says what Enter will do.
        await pilot.press("l", "ctrl+u", "8", "0", "ctrl+s")
        await pilot.pause()
        assert app.screen.id == "limits-screen"
        assert ("the limit in the form (80/minute) is not applied yet: press Enter to change the listed "
                "50/minute of manage_flow_rate to it") in dialog_text(app), dialog_text(app)
        await pilot.press("enter", "ctrl+s")
        await pilot.pause()
        assert app.screen.id != "limits-screen"
        assert document(app)["tools"]["manage_flow"]["limits"] == [{**rate, "max": 80}]

        # Another counter is another budget, added beside it; Update cannot make it a second
        # limit of the first counter.
        await pilot.press("l", "ctrl+u", "9", "tab", "tab", "ctrl+u", *"other", "enter")
        await pilot.pause()
        assert [one.describe() for one in app.screen.query_one("#tool-editor").limits] == [
            "80/minute (manage_flow_rate, grant)", "9/minute (other, grant)"]
        await pilot.press("ctrl+u", *"manage_flow_rate", "tab", "tab", "tab")  # to Update selected
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "tool-update"
        await pilot.press("enter")
        await pilot.pause()
        assert ("limit 1 already counts manage_flow_rate per minute: change that one, or give this "
                "one another counter name") in dialog_text(app), dialog_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert document(app)["tools"]["manage_flow"]["limits"] == [{**rate, "max": 80}]


async def test_a_listed_limit_without_a_scope_or_a_removed_one_does_not_hold_apply(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny", "tools": {"manage_flow": {"limits": [
        {"counter": "a", "window": "minute", "max": 5}, {"counter": "b", "window": "hour", "max": 9}]}}}))
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("l")
        await pilot.pause()
        listed = app.screen.query_one("#tool-list")
        listed.focus()
        listed.highlighted = 0  # loads 5/minute into the form, as the file has it (no scope)
        await pilot.pause()
        assert app.screen.query_one("#tool-max").value == "5"
        await pilot.press("delete", "delete")  # both removed: the form holds neither
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id != "limits-screen"
        assert "limits" not in document(app)["tools"].get("manage_flow", {})


async def test_a_condition_typed_but_not_added_keeps_the_dialog_open_on_apply(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_kv_store")
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#cond-kind").value = "deny_if"
        screen.query_one("#cond-op").value = "in"
        await pilot.pause()
        screen.query_one("#cond-value").focus()
        # A deny_if typed and applied without Enter: dropped, it would leave the calls it was
        # written to stop allowed.
        await pilot.press(*"set, delete", "ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert "the condition in the form is not added yet" in screen_text(app)
        assert "manage_kv_store" not in document(app).get("tools", {})
        assert app.focused is screen.query_one("#cond-value")
        await pilot.press("enter", "ctrl+s")
        await until(lambda: app.screen.id == "confirm-conditions-open", "the keep-denied question")
        await pilot.press("a")
        await pilot.pause()
        assert document(app)["tools"]["manage_kv_store"] == {
            "deny_if": [{"path": "args.action", "op": "in", "value": ["set", "delete"]}],
        }
        # A listed condition changed in the form and not updated is waited for too.
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+e", "enter")
        await pilot.pause()
        assert screen.editing == ("deny_if", 0)
        screen.query_one("#cond-value").value = "delete"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
        assert "the change to the condition being edited is not saved yet" in screen_text(app)
        await pilot.press("escape", "ctrl+s")  # stop editing: Apply keeps the listed condition
        await pilot.pause()
        assert app.screen is not screen
        assert document(app)["tools"]["manage_kv_store"]["deny_if"][0]["value"] == ["set", "delete"]


async def test_approval_only_when_action_is_delete_in_a_few_keys(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        # c, open the value list, type "del", pick it, Tab to Add, Enter, ctrl+s to apply;
        # the tool is denied by default, so the editor asks: `a` allows its other calls.
        await pilot.press("c", "enter", "d", "e", "l", "enter", "tab", "enter", "ctrl+s")
        await until(lambda: app.screen.id == "confirm-conditions-open", "the keep-denied question")
        await pilot.press("a")
        await pilot.pause()
        assert document(app)["tools"] == {
            "manage_flow": {
                "require_approval_if": [{"path": "args.action", "op": "eq", "value": "delete"}]
            }
        }
        assert 'approval if: args.action eq "delete"' in screen_text(app)
        # Try a call: the panel decides with the same engine as the gateway.
        await pilot.press("t")
        await pilot.pause()
        args_box = app.query_one("#try-args")
        args_box.value = '{"action": "delete", "namespace": "a", "flow_id": "b"}'
        await pilot.press("enter")
        await pilot.pause()
        assert "NEEDS APPROVAL" in screen_text(app)
        args_box.value = '{"action": "enable", "namespace": "a", "flow_id": "b"}'
        await pilot.press("enter")
        await pilot.pause()
        assert "ALLOWED" in screen_text(app)


async def test_reason_and_deny_if_from_the_conditions_editor(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_kv_store")
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#cond-kind").value = "deny_if"
        screen.query_one("#cond-op").value = "in"
        await pilot.pause()
        screen.query_one("#cond-value").focus()
        await pilot.press(*"set, delete", "enter")
        screen.query_one("#rule-reason").focus()
        await pilot.press(*"read only", "enter")
        await until(lambda: app.screen.id == "confirm-conditions-open", "the keep-denied question")
        await pilot.press("a")  # allow the calls the deny_if does not stop
        await pilot.pause()
        assert document(app)["tools"]["manage_kv_store"] == {
            "reason": "read only",
            "deny_if": [{"path": "args.action", "op": "in", "value": ["set", "delete"]}],
        }


async def test_bulk_deny_every_destructive_tool_then_undo_redo(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f")
        await pilot.pause()
        categories = app.screen.query_one("#filter-categories")
        assert categories.has_focus
        index = [categories.get_option_at_index(i).value for i in range(categories.option_count)].index("Destructive")
        await pilot.press(*["down"] * index, "space", "ctrl+s")
        await pilot.pause()
        table = app.query_one(ToolTable)
        shown = table.visible_names
        assert shown and all(app.state.classifications[n].category == "Destructive" for n in shown)
        await pilot.press("b", "d")
        await pilot.pause()
        assert document(app)["tools"] == {name: {"action": "deny"} for name in shown}
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert document(app) == {"version": "1", "default": "deny"}
        assert not app.state.dirty
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert len(document(app)["tools"]) == len(shown)
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert len(table.view) == 39


async def test_save_writes_the_previewed_json(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await pilot.press("3")  # JSON panel
        await until(lambda: "backfill_executions" in document(app).get("tools", {}), "backfill_executions allowed")
        preview = app.state.preview_text()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert policy_path.read_text(encoding="utf-8") == preview
        written = json.loads(preview)
        assert written["tools"] == {"backfill_executions": {}}
        assert "backfill_executions" in written["x-policytui"]["fingerprints"]
        assert not app.state.dirty
        assert "● unsaved" not in screen_text(app)


async def test_quit_with_unsaved_changes_asks(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "ctrl+q")
        await pilot.pause()
        assert app.screen.id == "confirm-quit"
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.screen.id != "confirm-quit"
        await pilot.press("ctrl+q", "q")
        await pilot.pause()
    assert not policy_path.exists()
    assert app.return_code == 0


async def test_quit_can_save_first(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "ctrl+q", "s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert json.loads(policy_path.read_text())["tools"] == {"backfill_executions": {"action": "deny"}}


async def test_clean_quit_does_not_ask(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "ctrl+z", "ctrl+q")
        await pilot.pause()
    assert app.return_code == 0 and not policy_path.exists()


async def test_invalid_policy_file_is_shown_and_kept_until_the_user_says(policy_path: Path) -> None:
    text = '{"version": "1", "default": "deny", "tools": {"manage_flow": {"limts": []}}}\n'
    policy_path.write_text(text)
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.screen.id == "load-problems"
        assert "limts" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("a", "ctrl+s")
        await pilot.pause()
        assert app.screen.id == "confirm-replace"
        await pilot.press("n")
        await pilot.pause()
        assert policy_path.read_text() == text
        await pilot.press("ctrl+s", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert json.loads(policy_path.read_text())["tools"] == {"backfill_executions": {}}
    assert policy_path.with_name("policy.json.bak").read_text() == text


@pytest.mark.parametrize("text", [
    '{"version": "1", "default": "deny", "tools": {',  # not JSON
    '{"version": "1", "default": "deny", "tools": {"manage_flow": {"limts": []}}}\n',  # not a policy
], ids=["malformed-json", "invalid-policy"])
async def test_header_behind_the_load_dialog_does_not_call_the_file_valid(
    policy_path: Path, text: str
) -> None:
    policy_path.write_text(text)
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.screen.id == "load-problems"
        header = screen_text(app).splitlines()[0]
        assert "valid" not in header and "✓" not in header, header
        assert "policy.json ✗ not loaded, new policy" in header, header
        await pilot.press("n", "a", "ctrl+s", "y")  # start a new policy, save it over the file
        await app.workers.wait_for_complete()
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert "not loaded" not in header and "✓ valid" in header, header


async def test_file_changed_on_disk_asks_before_overwriting(policy_path: Path) -> None:
    policy_path.write_text('{"version": "1", "default": "deny"}\n')
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        policy_path.write_text('{"version": "1", "default": "allow"}\n')
        await pilot.press("a", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.id == "confirm-conflict"
        await pilot.press("n")
        await pilot.pause()
        assert json.loads(policy_path.read_text())["default"] == "allow"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert json.loads(policy_path.read_text())["tools"] == {"backfill_executions": {}}


async def test_overwrite_replaces_the_version_it_asked_about_and_no_later_one(policy_path: Path) -> None:
    """Overwrite, answered to a file changed on disk, replaced whatever was there by then: a
    third writer's version saved while the question was open was lost without a word."""
    policy_path.write_text('{"version": "1", "default": "deny"}\n')
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        policy_path.write_text('{"version": "1", "default": "allow"}\n')  # a second writer
        await pilot.press("a", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.id == "confirm-conflict"
        third = '{"version": "1", "default": "allow", "hide": ["manage_flow"]}\n'
        policy_path.write_text(third)  # a third, while the question is open
        await pilot.press("y")
        await until(lambda: app.screen.id == "confirm-conflict" or app.saves_in_flight == 0 and app.screen.id != "confirm-conflict"
                    and policy_path.read_text() != third, "the save answered")
        await pilot.pause()
        assert policy_path.read_text() == third
        await until(lambda: app.screen.id == "confirm-conflict", "asked again, about the third version")
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert json.loads(policy_path.read_text())["tools"] == {"backfill_executions": {}}
    assert policy_path.with_name("policy.json.bak").read_text() == third


async def test_overwrite_asked_again_while_the_answered_question_is_slow_to_go_asks_again(
        policy_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a machine too busy for the answered "changed on disk" question to leave at once, the
    one about the next version still opens: the editor waited 2 s for the old one to go, then
    opened the new one under the same name, which Textual refused, and the save neither
    happened nor said why."""
    from policytui.tui.screens.dialogs import ChoiceScreen

    async def slow_unmount(self) -> None:  # type: ignore[no-untyped-def]
        # Textual takes a screen out of the app only after its unmount has been handled.
        if self.id == "confirm-conflict":
            await asyncio.sleep(3.0)

    monkeypatch.setattr(ChoiceScreen, "on_unmount", slow_unmount, raising=False)
    policy_path.write_text('{"version": "1", "default": "deny"}\n')
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        policy_path.write_text('{"version": "1", "default": "allow"}\n')  # a second writer
        await pilot.press("a", "ctrl+s")
        await until(lambda: app.screen.id == "confirm-conflict", "asked about the second version")
        third = '{"version": "1", "default": "allow", "hide": ["manage_flow"]}\n'
        policy_path.write_text(third)  # a third, while the question is open
        await pilot.press("y")
        await until(lambda: app.screen.id == "confirm-conflict" and app.saves_in_flight == 0,
                    "asked again, about the third version")
        assert policy_path.read_text() == third
        await pilot.press("y")
        await until(lambda: app.saves_in_flight == 0 and app.screen.id != "confirm-conflict", "the overwrite")
    assert json.loads(policy_path.read_text())["tools"] == {"backfill_executions": {}}


async def test_replacing_an_invalid_file_replaces_it_as_loaded_and_no_later_version(policy_path: Path) -> None:
    text = '{"version": "1", "default": "deny", "tools": {"manage_flow": {"limts": []}}}\n'
    policy_path.write_text(text)
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.screen.id == "load-problems"
        await pilot.press("n", "a", "ctrl+s")
        await pilot.pause()
        assert app.screen.id == "confirm-replace"
        fixed = '{"version": "1", "default": "deny", "tools": {"manage_flow": {"limits": []}}}\n'
        policy_path.write_text(fixed)  # its author fixes it while the question is open
        await pilot.press("y")
        await until(lambda: app.screen.id == "confirm-conflict" or policy_path.read_text() != fixed,
                    "the save answered")
        assert policy_path.read_text() == fixed
        assert app.screen.id == "confirm-conflict"


async def test_discovery_failure_is_a_dialog_with_retry_and_offline(policy_path: Path) -> None:
    attempts: list[str] = []

    def failing() -> ServerListing:
        attempts.append("live")
        raise DiscoveryError(
            "Server 'x' exited with code 1 before answering initialize.",
            stderr_tail="Traceback\nImportError: no module named \x1b[31mfoo",
        )

    def offline() -> ServerListing:
        listing = kestra()
        listing.offline_reason = "the server could not start"
        return listing

    app = make_app(policy_path=policy_path, load_listing=failing, load_offline=offline, target_label="x")
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.id == "failure"
        text = screen_text(app)
        assert "exited with code 1" in text
        assert "␛[31mfoo" in text and "\x1b" not in text
        await pilot.press("r")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert attempts == ["live", "live"] and app.screen.id == "failure"
        await pilot.press("o")
        await ready(pilot)
        assert "OFFLINE" in screen_text(app)
        assert len(app.query_one(ToolTable).view) == 39


async def test_help_lists_the_default_keys(policy_path: Path) -> None:
    """Each key on the help screen, a command with a second key (`/` and ctrl+f) with both on
    its row: ctrl+f, which filters as `/` does, was left out."""
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(100, 50)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        for key, words in [
            ("a", "Allow"), ("d", "Deny"), ("h", "Hide"), ("r", "approval"), ("l", "limits"),
            ("c", "conditions"), ("D", "default"), ("/,^f", "Filter"), ("^s", "policy.json"),
            ("^z", "Undo"), ("^y", "Redo"), ("?", "key"), ("^q", "Quit"),
        ]:
            lines = [line.strip("│ ") for line in text.splitlines()]
            assert any(line.startswith(key + " ") and words in line for line in lines), key
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id != "help"


async def test_every_action_is_in_the_command_palette(policy_path: Path) -> None:
    from textual.binding import Binding

    from policytui.tui.app import ACTIONS
    from policytui.tui.commands import palette_title
    from policytui.tui.keys import help_line

    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {
            palette_title(name, help_line(help_text, policy_path.name))
            for _k, _a, name, _i, _s, help_text in ACTIONS
        } <= titles
        # Each action is found by its footer word.
        for _key, _action, name, *_rest in ACTIONS:
            assert any(title.lower().startswith(name.lower().rstrip("…")) for title in titles), name
        # The table's own keys too (space marks a tool), which the help lists after ACTIONS:
        # going over ACTIONS alone missed them. (test_tui_palette goes over every key the
        # footer, the help and docs/tui.md list, typed into the palette.)
        for binding in ToolTable.BINDINGS:
            assert isinstance(binding, Binding)
            assert palette_title(binding.description, binding.tooltip or "") in titles, binding.description
        assert "Filter: show only Destructive tools" in titles
        # One shape for every entry, Textual's own too: "Name: what it does".
        for title in titles:
            assert re.fullmatch(r"[A-Z][A-Za-z ]*: [a-z0-9'].*", title), title
        binding_ids = {b.id for b in app.BINDINGS}
        assert {"policytui.allow", "policytui.save", "policytui.quit"} <= binding_ids


async def test_keymap_rebinds_by_id(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        app.update_keymap({"policytui.allow": "y"})
        await pilot.press("y")
        await pilot.pause()
        assert document(app)["tools"] == {"backfill_executions": {}}


async def test_export_writes_a_gateway_format(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "E")
        await pilot.pause()
        target = app.screen.query_one("#export-path").value
        assert target.endswith(".policylayer.json")
        await pilot.click("#export-write")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert json.loads(Path(target).read_text())["tools"] == {"backfill_executions": {}}


async def test_export_replaces_an_existing_file_only_when_the_question_is_answered_replace(
    policy_path: Path,
) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "E")
        await pilot.pause()
        target = Path(app.screen.query_one("#export-path").value)
        target.write_text("an earlier file\n", encoding="utf-8")
        app.screen.query_one("#export-path").focus()
        await pilot.press("enter")  # the path's Enter writes, as the button does
        await until(lambda: app.screen.id == "confirm-export-replace", "the question whether to replace")
        message = str(app.screen.query_one("#dialog-message").render())
        assert message == f"{target} already exists. Replace it with the export?"
        await pilot.press("enter")  # Enter is Cancel: a stray one keeps the file
        await until(lambda: app.screen.id == "export-screen", "the question cancelled")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert target.read_text(encoding="utf-8") == "an earlier file\n"
        await pilot.press("enter")
        await until(lambda: app.screen.id == "confirm-export-replace", "the question asked again")
        await pilot.press("y")
        await until(lambda: app.screen.id == "export-screen", "the question answered")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert json.loads(target.read_text())["tools"] == {"backfill_executions": {}}


async def test_export_to_a_link_whose_target_is_missing_asks_then_writes_the_target(
    policy_path: Path,
) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "E")
        await pilot.pause()
        link = policy_path.parent / "out.json"
        link.symlink_to("missing.json")
        app.screen.query_one("#export-path").value = str(link)
        app.screen.query_one("#export-path").focus()
        await pilot.press("enter")
        await until(lambda: app.screen.id == "confirm-export-replace", "the question whether to replace")
        assert "--force" not in str(app.screen.query_one("#dialog-message").render())  # no such thing here
        await pilot.press("y")
        await until(lambda: app.screen.id == "export-screen", "the question answered")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert link.is_symlink()
        target = policy_path.parent / "missing.json"
        assert json.loads(target.read_text())["tools"] == {"backfill_executions": {}}


async def test_mouse_selects_rows_and_sorts(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = app.query_one(ToolTable)
        await pilot.click(ToolTable, offset=(3, 3))
        assert table.current_row.name == "manage_tests"
        category_x = 1 + table._widths(table.scrollable_content_region.width)[0] + 2
        await pilot.click(ToolTable, offset=(category_x, 0))  # the Category header
        await pilot.pause()
        assert table.sort_key == "category"
        assert table.current_row.name == "manage_tests"  # the selection follows the tool


async def test_preset_override_reset_and_sort_keys(policy_path: Path) -> None:
    from policytui.risk.presets import PRESETS

    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("p")
        await pilot.pause()
        assert app.screen.id == "preset"
        await pilot.press(str(PRESETS.index("lockdown") + 1))
        await pilot.pause()
        lockdown = document(app)
        assert lockdown["default"] == "deny" and lockdown.get("hide")
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert document(app) == {"version": "1", "default": "deny"}
        # Correct a category: the classifier's choice is overridden and written down.
        await select(pilot, "search_flows")
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("4")  # Destructive
        await pilot.pause()
        assert document(app)["x-policytui"]["overrides"] == {"search_flows": "Destructive"}
        assert app.query_one(ToolTable).current_row.category == "Destructive"
        # Reset removes the rule so the default decides again.
        await pilot.press("d")
        await pilot.pause()
        assert document(app)["tools"] == {"search_flows": {"action": "deny"}}
        await pilot.press("x")
        await pilot.pause()
        assert "tools" not in document(app)
        await pilot.press("escape", "s", "s", "s")  # server order -> name -> category -> severity
        await pilot.pause()
        table = app.query_one(ToolTable)
        assert table.sort_key == "severity"
        await pilot.press("S")
        await pilot.pause()
        assert table.rows[table.view[0]].severity == "Critical"


async def test_everything_fits_an_80_by_24_terminal(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        # The footer follows the bindings a frame or two after the tools are installed.
        await until(lambda: "^s Save" in screen_text(app), "the editing keys in the footer")
        text = screen_text(app)
        assert "default deny" in text and "Tool" in text and "Decision" in text
        assert sum("deny*" in line for line in text.splitlines()) >= 5
        assert "^s Save" in text and "? Help" in text
        await select(pilot, "manage_flow")
        for key, must_show in [
            ("l", ["Limits for manage_flow", "Apply [ctrl+s]", "Cancel [esc]", "max calls"]),
            ("c", ["Conditions for manage_flow", "Apply [ctrl+s]", "Add [enter]", "reason shown"]),
            ("b", ["Bulk decision", "Deny", "Cancel"]),
            ("p", ["Apply a preset", "lockdown", "Cancel"]),
            ("f", ["Filter tools", "Apply [ctrl+s]", "only new, changed or missing"]),
            ("E", ["Export to another gateway", "Write file"]),
        ]:
            await pilot.press(key)
            await pilot.pause()
            text = screen_text(app)
            for words in must_show:
                assert words in text, (key, words)
            await pilot.press("escape")
            await pilot.pause()


async def test_a_condition_can_be_taken_back_and_changed(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("c", "enter", "d", "e", "l", "enter", "enter")
        await pilot.pause()
        app.screen.query_one("#cond-list").focus()
        await pilot.press("enter")  # take the condition back into the form
        await pilot.pause()
        assert app.screen.query_one("#cond-choice").value == 5  # "delete"
        app.screen.query_one("#cond-kind").value = "deny_if"
        await pilot.pause()
        app.screen.query_one("#cond-add").press()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(lambda: app.screen.id == "confirm-conditions-open", "the keep-denied question")
        await pilot.press("a")
        await pilot.pause()
        assert document(app)["tools"]["manage_flow"] == {
            "deny_if": [{"path": "args.action", "op": "eq", "value": "delete"}]
        }


async def test_a_condition_is_edited_in_place_and_esc_keeps_it(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("c")
        await pilot.pause()
        screen = app.screen
        for value in ("a", "b", "c"):  # three conditions on args.namespace, in order
            screen.query_one("#cond-path").value = "args.namespace"
            await pilot.pause()
            screen.query_one("#cond-value").value = value
            screen.query_one("#cond-add").press()
            await pilot.pause()
        listed = screen.query_one("#cond-list")
        await pilot.press("ctrl+e", "up")  # to the list (last one highlighted), then the middle one
        assert app.focused is listed and listed.highlighted == 1
        await pilot.press("enter")  # edit it
        await pilot.pause()
        assert screen.editing == ("require_approval_if", 1)
        assert "Update" in str(screen.query_one("#cond-add").label)
        assert screen.query_one("#cond-value").value == "b"
        await pilot.press("escape")  # stop editing: nothing changes, the dialog stays
        await pilot.pause()
        assert app.screen is screen and screen.editing is None
        assert "Add" in str(screen.query_one("#cond-add").label)
        listed.focus()
        listed.highlighted = 1
        await pilot.press("enter")
        await pilot.pause()
        screen.query_one("#cond-value").value = "B"
        screen.query_one("#cond-add").press()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(lambda: app.screen.id == "confirm-conditions-open", "the keep-denied question")
        await pilot.press("a")
        await pilot.pause()
        assert document(app)["tools"]["manage_flow"] == {
            "require_approval_if": [
                {"path": "args.namespace", "op": "eq", "value": v} for v in ("a", "B", "c")
            ]
        }


async def test_marked_tools_get_the_bulk_decision(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("space", "down", "space", "b", "h")
        await pilot.pause()
        assert document(app)["hide"] == ["backfill_executions", "manage_tests"]
        assert not app.query_one(ToolTable).marked


async def test_one_tool_in_a_bulk_decision_is_counted_as_one_tool(policy_path: Path) -> None:
    """The bulk dialog and its notice say "1 marked tool" and "1 of 1 tool"; before, "Apply to
    the 1 marked tools." and "Denied 1 of 1 tools."."""
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("space", "b")
        await until(lambda: app.screen.id == "bulk", "the bulk dialog")
        await until(lambda: "Apply to the 1 marked tool. One ctrl+z undoes it." in " ".join(screen_text(app).split()),
                    "the dialog counting one tool")
        await pilot.press("d")
        await until(lambda: [str(n.message) for n in app._notifications] == ["Denied 1 of 1 tool."],
                    "the notice counting one tool")
        assert document(app)["tools"] == {"backfill_executions": {"action": "deny"}}


async def test_picker_opens_the_chosen_server(policy_path: Path) -> None:
    from policytui.tui.screens.picker import ServerChoice

    asked: list[str] = []

    def loaders_for(name: str):  # type: ignore[no-untyped-def]
        asked.append(name)
        return kestra, None

    choices = [
        ServerChoice("broken\x1b[31m", "config · stdio", usable=False),
        ServerChoice("kestra", "built-in catalogue"),
    ]
    app = make_app(policy_path=policy_path, pick_from=choices, loaders_for=loaders_for)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.id == "picker"
        text = screen_text(app)
        assert "broken␛[31m" in text and "\x1b" not in text
        await pilot.press("down", "enter")
        await ready(pilot)
        assert asked == ["kestra"]
        assert len(app.query_one(ToolTable).view) == 39


async def test_reversing_the_server_order_says_so(policy_path: Path) -> None:
    """In server order no column header carries the sort arrow, so S says what it did: the last
    tool comes first and the notice reads "reversed"; S again puts it back."""
    listing = kestra()
    app = make_app(policy_path=policy_path, listing=listing)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        table = app.query_one(ToolTable)
        assert table.sort_key is None
        await pilot.press("S")
        await until(lambda: any(n.message == "Sorted by server order, reversed." for n in app._notifications),
                    "the reversed notice")
        assert table.rows[table.view[0]].name == listing.tools[-1].name
        await pilot.press("S")
        await until(lambda: any(n.message == "Sorted by server order, not reversed." for n in app._notifications),
                    "the notice of the order restored")
        assert table.rows[table.view[0]].name == listing.tools[0].name


async def test_the_footer_keeps_its_keys_in_place_as_the_tools_arrive(tmp_path: Path) -> None:
    """While the server is being listed the editing keys are shown dimmed, where they will be:
    the footer held only `? Help ^q Quit` and then redrew itself as the rows came, so a click
    aimed at `? Help` just then landed on `a Allow` and allowed a tool."""
    import threading

    listed = threading.Event()

    def slow_listing() -> ServerListing:
        # Until the test lets it: a whole-suite run on a busy machine can take longer than a
        # fixed wait between the start and the test's look at the screen while listing.
        listed.wait(240)
        return kestra()

    app = make_app(policy_path=tmp_path / "policy.json", load_listing=slow_listing, target_label="kestra")
    async with app.run_test(size=SIZE) as pilot:
        try:
            await until(lambda: "Help" in screen_text(app).splitlines()[-1], "the footer")
            await pilot.pause()
            before = screen_text(app).splitlines()[-1]
            listed.set()
            await ready(pilot)
            await until(lambda: app.state is not None, "the policy")
            await pilot.pause()
            after = screen_text(app).splitlines()[-1]
        finally:
            listed.set()  # the listing thread ends even when the test failed before letting it
    assert "a Allow" in before, before
    assert before == after
