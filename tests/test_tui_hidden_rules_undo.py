"""Undoing a hide or a decision puts back the rules set aside for hidden tools exactly as they
were, so no rule of an undone hide is left to come back later: not through a later decision,
not in the file a later save writes (x-policytui.hidden_rules), and none is lost."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from test_tui_app import document, kestra, ready, select, until

from policytui.tui import PolicyApp, make_app

SIZE = (120, 40)
RULE = {"action": "require_approval",
        "limits": [{"counter": "flows", "window": "minute", "max": 5, "scope": "grant"}]}


def hidden(app: PolicyApp) -> list[str]:
    return list(document(app).get("hide") or [])


async def press(app: PolicyApp, pilot, key: str, hidden_after: list[str], what: str) -> None:  # type: ignore[no-untyped-def]
    """Press `key` and wait until the hidden tools are `hidden_after`."""
    await pilot.press(key)
    await until(lambda: hidden(app) == hidden_after, what)


@asynccontextmanager
async def editing(tmp_path: Path, document_on_disk: dict[str, Any]) -> AsyncIterator[tuple[PolicyApp, Any]]:
    """The editor on a policy.json holding `document_on_disk`, with manage_flow selected."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(document_on_disk))
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        yield app, pilot


async def save(app: PolicyApp, pilot) -> dict:  # type: ignore[no-untyped-def]
    """ctrl+s, and the document the file then holds."""
    assert app.state is not None
    await pilot.press("ctrl+s")
    await until(lambda: app.state is not None and not app.state.dirty, "the save")
    await app.workers.wait_for_complete()
    return json.loads(app.state.path.read_text(encoding="utf-8"))


async def test_a_save_after_an_undone_hide_writes_the_document_as_before_the_hide(tmp_path: Path) -> None:
    async with editing(tmp_path, {"version": "1", "default": "deny", "tools": {"manage_flow": RULE}}) as (app, pilot):
        assert app.state is not None
        as_opened = app.state.preview_text()
        await press(app, pilot, "h", ["manage_flow"], "manage_flow hidden")
        saved = await save(app, pilot)
        assert saved["x-policytui"]["hidden_rules"] == {"manage_flow": RULE}, saved
        await press(app, pilot, "ctrl+z", [], "the hide undone")
        assert app.state.preview_text() == as_opened
        saved = await save(app, pilot)
        assert saved["tools"] == {"manage_flow": RULE}, saved
        assert "hidden_rules" not in saved.get("x-policytui", {}), saved
        assert "hidden_rules" not in document(app).get("x-policytui", {}), document(app)


async def test_an_undone_hide_leaves_no_rule_to_come_back(tmp_path: Path) -> None:
    async with editing(tmp_path, {"version": "1", "default": "deny", "tools": {"manage_flow": RULE}}) as (app, pilot):
        await press(app, pilot, "h", ["manage_flow"], "manage_flow hidden")
        await press(app, pilot, "ctrl+z", [], "the hide undone")
        await pilot.press("x")  # reset: the rule is gone, by the user's say
        await until(lambda: "manage_flow" not in document(app).get("tools", {}), "manage_flow reset")
        await press(app, pilot, "h", ["manage_flow"], "manage_flow hidden again")
        saved = await save(app, pilot)
        assert "hidden_rules" not in saved.get("x-policytui", {}), saved
        await press(app, pilot, "a", [], "manage_flow allowed")
        assert document(app)["tools"]["manage_flow"] == {}


async def test_an_undone_decision_keeps_the_hidden_tools_rule_set_aside(tmp_path: Path) -> None:
    async with editing(tmp_path, {"version": "1", "default": "deny", "hide": ["manage_flow"],
                                  "x-policytui": {"hidden_rules": {"manage_flow": RULE}}}) as (app, pilot):
        await press(app, pilot, "a", [], "manage_flow allowed")
        assert document(app)["tools"]["manage_flow"] == {"limits": RULE["limits"]}
        await press(app, pilot, "ctrl+z", ["manage_flow"], "the allow undone")
        await press(app, pilot, "d", [], "manage_flow denied")
        assert document(app)["tools"]["manage_flow"] == {**RULE, "action": "deny"}
        await press(app, pilot, "ctrl+z", ["manage_flow"], "the deny undone")
        await select(pilot, "search_flows")  # another tool's edit, so there is something to save
        await pilot.press("a")
        await until(lambda: "search_flows" in document(app).get("tools", {}), "search_flows allowed")
        saved = await save(app, pilot)
        assert saved["x-policytui"]["hidden_rules"] == {"manage_flow": RULE}, saved


async def test_reset_removes_a_hidden_tools_set_aside_rule_and_undo_puts_it_back(tmp_path: Path) -> None:
    async with editing(tmp_path, {"version": "1", "default": "deny", "tools": {"manage_flow": RULE}}) as (app, pilot):
        await press(app, pilot, "h", ["manage_flow"], "manage_flow hidden")
        await pilot.press("x")  # reset: the default decides, with no rule kept to come back
        await until(lambda: not hidden(app), "manage_flow reset")
        await press(app, pilot, "h", ["manage_flow"], "manage_flow hidden again")
        saved = await save(app, pilot)
        assert "hidden_rules" not in saved.get("x-policytui", {}), saved
        await press(app, pilot, "a", [], "manage_flow allowed")
        assert document(app)["tools"]["manage_flow"] == {}
        await pilot.press("ctrl+z", "ctrl+z", "ctrl+z")  # the allow, the hide, the reset
        await until(lambda: any(n.message == "Undid: reset manage_flow" for n in app._notifications),
                    "the reset undone")
        assert hidden(app) == ["manage_flow"]
        await press(app, pilot, "r", [], "manage_flow approved")
        assert document(app)["tools"]["manage_flow"] == RULE


async def test_a_rule_set_aside_and_then_dropped_is_an_unsaved_change(tmp_path: Path) -> None:
    """A file that keeps a rule for its hidden tool; the tool allowed (its rule back), reset (the
    rule gone) and hidden again: the tools and hide list read as on disk, but a save would drop
    the kept rule, so ctrl+q asks about the change. Before, the editor took it for saved and
    quit without a word, and the kept rule stayed only because nothing was written."""
    on_disk = {"version": "1", "default": "deny", "hide": ["manage_flow"],
               "x-policytui": {"hidden_rules": {"manage_flow": RULE}}}
    async with editing(tmp_path, on_disk) as (app, pilot):
        assert app.state is not None and not app.state.dirty
        await press(app, pilot, "a", [], "manage_flow allowed")
        await pilot.press("x")
        await until(lambda: "manage_flow" not in document(app).get("tools", {}), "manage_flow reset")
        await press(app, pilot, "h", ["manage_flow"], "manage_flow hidden again")
        await pilot.press("ctrl+q")
        await until(lambda: app.screen.id == "confirm-quit" or not app.is_running, "ctrl+q to act")
        assert app.screen.id == "confirm-quit", "the editor quit as if nothing had changed"
