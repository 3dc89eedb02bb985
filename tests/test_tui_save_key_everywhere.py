"""ctrl+s wherever a person presses it does something, or says why not: over the command palette
it closes the palette and does what it does where the palette was opened; in a dialog with no
ctrl+s of its own it says how to save; under the too-small notice it saves when saving asks
nothing, and the notice says so. Before, each of these did nothing and said nothing: the
palette and the dialogs are modal and kept the key from the editor, and the notice let only
quitting through."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text
from test_tui_notices_over_dialogs import shown
from tui_support import until

from policytui.tui import PolicyApp, make_app


def on_screen(app: PolicyApp) -> str:
    """The screen's text with its notices, each line's words joined by one space."""
    return " ".join(screen_text(app).replace("▌", " ").split())


def saved_tools(path: Path) -> dict[str, object]:
    tools: dict[str, object] = json.loads(path.read_text())["tools"]
    return tools


async def test_ctrl_s_in_the_palette_over_the_editor_closes_it_and_saves(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("a", "ctrl+p", "l", "i")  # an edit, then the palette with a search typed
        await until(lambda: app.screen.has_class("--textual-command-palette"), "the palette")
        await pilot.press("ctrl+s")
        await until(lambda: policy.exists(), "the policy written")
        await until(lambda: app.screen is app.main, "the palette closed")
        # The file is in place a moment before the editor hears the save finished.
        await until(lambda: app.state is not None and not app.state.dirty, "the editor told of the save")
    assert "backfill_executions" in saved_tools(policy)


async def test_ctrl_s_in_the_palette_over_a_dialog_is_that_dialogs_ctrl_s(tmp_path: Path) -> None:
    """Over the limits dialog, ctrl+s in the palette applies the dialog, as ctrl+s there does;
    the policy file is not written (the dialog's changes go into the editor first)."""
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("a", "l", "5", "0", "enter")
        await until(lambda: app.screen.id == "limits-screen", "the limits dialog")
        await pilot.press("ctrl+p")
        await until(lambda: app.screen.has_class("--textual-command-palette"), "the palette")
        await pilot.press("ctrl+s")
        await until(lambda: app.screen is app.main, "the dialog applied and closed")
        assert app.state is not None
        limits = app.state.policy.tools["backfill_executions"].limits
        assert limits is not None and limits[0].max == 50
        assert not policy.exists()


async def test_ctrl_s_in_a_question_or_the_help_says_how_to_save(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    # Tall enough for the advice beside the help's box (with no room, a notice waits until
    # the dialog is gone, tests/test_tui_notices_over_dialogs.py).
    async with app.run_test(size=(200, 45), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("a", "D")  # an edit, then the question whether to allow by default
        await until(lambda: app.screen.id is not None and "Allow by default?" in on_screen(app), "the question")
        question = app.screen
        await pilot.press("ctrl+s")
        await until(lambda: "To save, answer this question first" in shown(app), "the advice")
        assert "(y Allow by default, n Keep deny" in shown(app) and "then ctrl+s writes policy.json" in shown(app)
        assert app.screen is question and not policy.exists()  # answered nothing, wrote nothing
        await pilot.press("n", "question_mark")
        await until(lambda: "Esc closes this help" in on_screen(app), "the help")
        await pilot.press("ctrl+s")
        await until(lambda: "To save, close this dialog first (Esc), then ctrl+s writes policy.json"
                    in shown(app), "the advice over the help")
        await pilot.press("escape", "ctrl+s")
        await until(lambda: policy.exists(), "the save once the help is closed")


async def test_ctrl_s_under_the_too_small_notice_saves_and_the_notice_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the notice names the file as given: "Saved policy.json"
    policy = Path("policy.json")
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await pilot.resize_terminal(30, 8)
        await until(lambda: "needs 40x12" in on_screen(app), "the notice")
        await pilot.press("ctrl+s")
        await until(lambda: policy.exists(), "the policy written under the notice")
        await until(lambda: "Saved policy.json" in on_screen(app), "the notice saying it saved")
        assert "needs 40x12" in on_screen(app)
        assert "backfill_executions" in saved_tools(policy)
        await pilot.resize_terminal(80, 24)
        await until(lambda: app.screen is app.main, "the editor back")
        assert app.state is not None and not app.state.dirty


async def test_ctrl_s_under_the_notice_applies_no_dialog_and_asks_nothing_unseen(tmp_path: Path) -> None:
    """A dialog under the notice is not applied by ctrl+s, and a policy with problems is not
    written past its question: the notice says why nothing was saved."""
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("a", "l", "5")
        await until(lambda: app.screen.id == "limits-screen", "the limits dialog")
        await pilot.resize_terminal(30, 10)
        await until(lambda: "needs 40x12" in on_screen(app), "the notice")
        await pilot.press("ctrl+s")
        await until(lambda: "Not saved: a dialog is open under this notice" in on_screen(app), "why not")
        await pilot.resize_terminal(80, 24)
        await until(lambda: app.screen.id == "limits-screen", "the dialog back as it was")
        assert not policy.exists()


async def test_ctrl_s_under_the_notice_does_not_replace_an_invalid_file_unasked(tmp_path: Path) -> None:
    """The policy file on disk is not a valid policy: replacing it asks first, so ctrl+s under
    the notice writes nothing and says why."""
    policy = tmp_path / "policy.json"
    policy.write_text("{not json")
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await until(lambda: app.screen.id == "load-problems", "the dialog saying the file is not valid")
        await pilot.press("n", "a")  # start a new policy, and edit it
        await until(lambda: app.state is not None and app.state.dirty, "the edit")
        await pilot.resize_terminal(30, 10)
        await until(lambda: "needs 40x12" in on_screen(app), "the notice")
        await pilot.press("ctrl+s")
        await until(lambda: "Not saved: policy.json on disk is not a valid policy" in on_screen(app), "why not")
        assert policy.read_text() == "{not json"
        await pilot.resize_terminal(80, 24)
        await until(lambda: app.screen is app.main, "the editor back")
        await pilot.press("ctrl+s")  # the question, seen now
        await until(lambda: app.screen.id == "confirm-replace", "the question whether to replace it")
