"""ctrl+s on a policy file someone else changed since the editor read it: the question offers
to load their version (this session's edits kept in a recovery file first), says how much
differs, opens on Cancel, and explains a file that was deleted or is no policy any more."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text, select, until
from textual.widgets import Button

from policytui.tui import PolicyApp, make_app

SIZE = (100, 30)
OURS_ON_OPEN = '{"version": "1", "default": "deny"}\n'
THEIRS = '{"version": "1", "default": "deny", "tools": {"invite_user": {"action": "deny"}}}\n'


@pytest.fixture
def policy_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = tmp_path / "policy.json"
    path.write_text(OURS_ON_OPEN)
    return path


def notices(app: PolicyApp) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


def kept_files(policy_path: Path) -> list[Path]:
    return sorted(policy_path.parent.glob("policy.json.unsaved-*.json"))


async def edit_then_save_over(pilot, policy_path: Path, on_disk: str | None) -> None:  # type: ignore[no-untyped-def]
    """Allow the first tool, let another writer change the file, press ctrl+s."""
    app = pilot.app
    await ready(pilot)
    await pilot.press("a")
    await until(lambda: app.state.dirty, "the edit")
    if on_disk is None:
        policy_path.unlink()
    else:
        policy_path.write_text(on_disk)
    await pilot.press("ctrl+s")
    await until(lambda: app.screen.id == "confirm-conflict", "the changed-on-disk question")
    await pilot.pause()


async def test_load_theirs_keeps_our_edits_in_a_recovery_file_and_takes_the_file_as_saved(
        policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await edit_then_save_over(pilot, policy_path, THEIRS)
        shown = screen_text(app)
        assert "2 tools' rules differ" in app.screen.message, app.screen.message
        assert "Load theirs [l]" in shown, shown
        # A stray Enter changes nothing: the focus is on Cancel, not Overwrite.
        assert isinstance(app.focused, Button) and app.focused.id == "choice-cancel"
        await pilot.press("l")
        await until(lambda: app.screen.id != "confirm-conflict" and kept_files(policy_path)
                    and not app.state.dirty, "their version loaded")
        assert app.state.policy.to_document()["tools"] == {"invite_user": {"action": "deny"}}
        assert policy_path.read_text() == THEIRS  # loading writes nothing to the policy
        [kept] = kept_files(policy_path)
        assert json.loads(kept.read_text())["tools"] == {"backfill_executions": {}}
        await until(lambda: kept.name in notices(app), "the notice naming the recovery file")
        assert "Load kept changes" in notices(app)
        # The file as loaded is the saved version: the next ctrl+s asks nothing.
        await pilot.press("down", "down", "d")
        await until(lambda: app.state.dirty, "the next edit")
        await pilot.press("ctrl+s")
        await until(lambda: app.saves_in_flight == 0 and not app.state.dirty, "the save")
        assert app.screen.id != "confirm-conflict"
        assert json.loads(policy_path.read_text())["tools"] == {
            "invite_user": {"action": "deny"}, "manage_tests": {"action": "deny"}}


async def test_undo_after_loading_theirs_brings_our_version_back_unsaved(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await edit_then_save_over(pilot, policy_path, THEIRS)
        await pilot.press("l")
        await until(lambda: not app.state.dirty and kept_files(policy_path), "their version loaded")
        await pilot.press("ctrl+z")
        await until(lambda: app.state.dirty, "the undo")
        assert app.state.policy.to_document()["tools"] == {"backfill_executions": {}}


@pytest.mark.parametrize(("on_disk", "said"), [
    (None, "it was deleted"),
    ('{"version": "1", "default": ', "not a valid policy now"),
], ids=["deleted", "not-json"])
async def test_a_file_that_cannot_be_loaded_is_said_in_one_sentence_and_nothing_is_lost(
        policy_path: Path, on_disk: str | None, said: str) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await edit_then_save_over(pilot, policy_path, on_disk)
        shown = screen_text(app)
        assert said in app.screen.message, app.screen.message
        assert "Load theirs" not in shown  # nothing there to load
        assert isinstance(app.focused, Button) and app.focused.id == "choice-cancel"
        await pilot.press("l", "enter")  # l answers nothing here; Enter is Cancel
        await until(lambda: app.screen.id != "confirm-conflict", "the question answered")
        assert app.state.dirty
        assert app.state.policy.to_document()["tools"] == {"backfill_executions": {}}
        assert kept_files(policy_path) == []
        assert (policy_path.read_text() if on_disk is not None else None) == on_disk


async def test_a_file_spoilt_after_the_question_loads_nothing_and_says_why(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await edit_then_save_over(pilot, policy_path, THEIRS)
        policy_path.write_text("{")  # spoilt while the question is open
        await pilot.press("l")
        await until(lambda: "Nothing loaded" in notices(app), "the refusal")
        assert "not a valid policy now" in notices(app)
        assert app.state.dirty and app.state.policy.to_document()["tools"] == {"backfill_executions": {}}
        assert kept_files(policy_path) == []
        assert policy_path.read_text() == "{"


async def test_load_theirs_puts_the_files_hidden_rules_in_force_and_undo_takes_them_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    ours_rule = {"action": "deny", "reason": "kept while hidden"}
    theirs_rule = {"action": "require_approval"}
    policy_path = tmp_path / "policy.json"
    policy_path.write_text(json.dumps({
        "version": "1", "default": "deny", "hide": ["manage_flow"],
        "x-policytui": {"hidden_rules": {"manage_flow": ours_rule}}}))
    theirs = json.dumps({
        "version": "1", "default": "deny", "hide": ["manage_flow", "manage_apps"],
        "x-policytui": {"hidden_rules": {"manage_apps": theirs_rule}}})
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await edit_then_save_over(pilot, policy_path, theirs)
        await pilot.press("l")
        await until(lambda: not app.state.dirty and kept_files(policy_path), "their version loaded")
        # Taken out of the metadata as opening the file takes them.
        assert "x-policytui" not in app.state.policy.to_document()
        # Their file kept no rule for manage_flow: a save writes their set, not ours.
        await select(pilot, "invite_user")
        await pilot.press("d")
        await until(lambda: app.state.dirty, "the next edit")
        await pilot.press("ctrl+s")
        await until(lambda: app.saves_in_flight == 0 and not app.state.dirty, "the save")
        saved = json.loads(policy_path.read_text())
        assert saved["x-policytui"]["hidden_rules"] == {"manage_apps": theirs_rule}, saved
        # Undoing the edit and the load: our hidden rules are back, theirs gone.
        await pilot.press("ctrl+z", "ctrl+z")
        await until(lambda: app.state.policy.to_document().get("hide") == ["manage_flow"], "the load undone")
        await pilot.press("ctrl+s")
        await until(lambda: app.screen.id == "confirm-conflict" or (
            app.saves_in_flight == 0 and not app.state.dirty), "the save of our version")
        if app.screen.id == "confirm-conflict":
            await pilot.press("o")
            await until(lambda: app.saves_in_flight == 0 and not app.state.dirty, "the overwrite")
        saved = json.loads(policy_path.read_text())
        assert saved["x-policytui"]["hidden_rules"] == {"manage_flow": ours_rule}, saved
