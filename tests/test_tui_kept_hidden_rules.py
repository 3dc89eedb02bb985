"""The rules a save kept for hidden tools (x-policytui.hidden_rules) come back from a recovery
file loaded by the palette's "Load kept changes" as they come back from an opened policy, and
an entry that is no valid rule is named in the Problems panel rather than dropped unsaid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_tui_app import document, kestra, ready, screen_text, select, until
from tui_support import PaletteSearches, drawn, palette_search, panels_follow_next_edit

from policytui.editor.recovery import keep_document
from policytui.tui import make_app

SIZE = (120, 40)
RULE = {"action": "require_approval",
        "limits": [{"counter": "flows", "window": "minute", "max": 5, "scope": "grant"}]}
KEPT = {"version": "1", "default": "deny", "hide": ["manage_flow", "manage_apps"],
        "x-policytui": {"hidden_rules": {"manage_flow": RULE,
                                         "manage_apps": {"action": "sometimes"}}}}
DROPPED = "x-policytui.hidden_rules.manage_apps is not a valid rule"


async def test_load_kept_changes_brings_hidden_rules_back_and_names_a_dropped_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    keep_document(policy, KEPT)  # an earlier editor's, stopped while both tools were hidden
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(lambda: app.kept_version is not None, "the kept changes found")
        await palette_search(pilot, PaletteSearches(monkeypatch), "Load kept")
        await pilot.press("enter")
        await until(lambda: document(app).get("hide") == ["manage_flow", "manage_apps"], "the kept changes loaded")
        # Taken out of the metadata, as opening the policy takes them: not kept there verbatim.
        assert "hidden_rules" not in document(app).get("x-policytui", {}), document(app)
        await pilot.press("2")
        await until(lambda: DROPPED in " ".join(screen_text(app).split()), "the dropped entry named in Problems")
        assert "! 1 warning" in screen_text(app).splitlines()[0]
        await select(pilot, "manage_flow")
        await pilot.press("r")  # approve it again: the rule it had is back, whole
        await until(lambda: "manage_flow" in document(app).get("tools", {}), "manage_flow decided")
        assert document(app)["tools"]["manage_flow"] == RULE


async def test_opening_a_policy_names_a_hidden_rule_that_is_no_rule(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(KEPT), encoding="utf-8")
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await until(lambda: DROPPED in " ".join(screen_text(app).split()), "the dropped entry named in Problems")
        await select(pilot, "manage_flow")
        await pilot.press("r")
        await until(lambda: "manage_flow" in document(app).get("tools", {}), "manage_flow decided")
        assert document(app)["tools"]["manage_flow"] == RULE


async def test_undoing_load_kept_changes_takes_its_hidden_rules_and_dropped_entry_back_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"version": "1", "default": "deny"}), encoding="utf-8")
    keep_document(policy, KEPT)
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(lambda: app.kept_version is not None, "the kept changes found")
        loaded = panels_follow_next_edit(app)
        await palette_search(pilot, PaletteSearches(monkeypatch), "Load kept")
        await pilot.press("enter")
        await until(lambda: document(app).get("hide") == ["manage_flow", "manage_apps"] and loaded(),
                    "the kept changes loaded and validated")
        await pilot.press("2")
        await until(lambda: DROPPED in " ".join(screen_text(app).split()), "the dropped entry named in Problems")
        undone = panels_follow_next_edit(app)
        await pilot.press("ctrl+z")
        await until(lambda: not document(app).get("hide") and undone() and drawn(app), "the load undone and validated")
        assert DROPPED not in " ".join(screen_text(app).split())
        # Hidden and decided again in this session, manage_flow had no rule to come back.
        await select(pilot, "manage_flow")
        await pilot.press("h")
        await until(lambda: "manage_flow" in document(app).get("hide", []), "manage_flow hidden")
        await pilot.press("r")
        await until(lambda: "manage_flow" in document(app).get("tools", {}), "manage_flow decided")
        assert document(app)["tools"]["manage_flow"] == {"action": "require_approval"}
