"""ctrl+c in the editor: it quits as ctrl+q does (asking about unsaved changes), still copies
selected text in an input, and in a browser, where ctrl+c means copy, never ends the editor."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_app import SIZE, kestra, ready
from textual.widgets import Input

from policytui.tui import PolicyApp, make_app


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    return tmp_path / "policy.json"


async def test_ctrl_c_quits_at_once_when_nothing_is_unsaved(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0 and not policy_path.exists()


async def test_ctrl_c_asks_about_unsaved_changes_as_ctrl_q_does(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "ctrl+c")
        await pilot.pause()
        assert app.screen.id == "confirm-quit"
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.state is not None and app.state.dirty
        await pilot.press("ctrl+c", "q")  # "Quit without saving"
        await pilot.pause()
    assert app.return_code == 0 and not policy_path.exists()


async def test_ctrl_c_copies_text_selected_in_an_input(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"manage")
        await pilot.pause()
        field = app.focused
        assert isinstance(field, Input) and field.value == "manage"
        field.select_all()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and app.screen.id != "confirm-quit"
        assert app.clipboard == "manage"


async def test_ctrl_c_in_a_browser_does_not_end_the_editor(
    policy_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PolicyApp, "is_web", property(lambda self: True))
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running
        hints = [note.message for note in app._notifications]
        assert any("ctrl+q" in hint for hint in hints), hints  # Textual's hint: how to quit


@pytest.mark.parametrize("dialog", ["l", "question_mark", "E"], ids=["limits", "help", "export"])
async def test_ctrl_c_over_a_dialog_asks_about_unsaved_changes_as_ctrl_q_does(policy_path: Path, dialog: str) -> None:
    """A dialog keeps the editor's own keys from it, and ctrl+c did nothing there while ctrl+q
    quit: a person who pressed it over the limits form, the help or the export dialog stayed
    in it, with nothing said."""
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", dialog)
        await pilot.pause()
        opened = app.screen
        assert opened is not app.main
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.screen.id == "confirm-quit", f"ctrl+c over {opened!r} left {app.screen!r} on top"
        await pilot.press("q")  # "Quit without saving"
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0 and not policy_path.exists()


async def test_ctrl_c_over_a_dialog_quits_at_once_when_nothing_is_unsaved(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("l")
        await pilot.pause()
        assert app.screen.id == "limits-screen"
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0 and not policy_path.exists()


async def test_ctrl_c_copies_text_selected_in_a_dialog_input(policy_path: Path) -> None:
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("l", "1", "2")
        await pilot.pause()
        field = app.focused
        assert app.screen.id == "limits-screen" and isinstance(field, Input) and field.value == "12"
        field.select_all()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and app.screen.id == "limits-screen"
        assert app.clipboard == "12"


async def test_ctrl_c_copies_text_selected_in_a_dialog(policy_path: Path) -> None:
    """Text selected on a dialog (with the mouse: the reason a server failed, a help line) is
    copied by ctrl+c, as Textual's own ctrl+c on a screen does, and the editor stays."""
    from textual.selection import Selection
    from textual.widgets import Static

    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "ctrl+q")  # the unsaved-changes question
        await pilot.pause()
        dialog = app.screen
        assert dialog.id == "confirm-quit"
        message = dialog.query_one("#dialog-message", Static)
        dialog.selections = {message: Selection(None, None)}  # all of it, as a drag over it selects
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and app.screen is dialog
        assert app.clipboard == "policy.json has changes that are not saved."


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c"])
@pytest.mark.parametrize("palette", [False, True], ids=["over-the-question", "in-the-palette-over-it"])
async def test_quitting_the_invalid_policy_question_by_ctrl_q_or_ctrl_c_says_why(
        policy_path: Path, key: str, palette: bool) -> None:
    """Over the question about a policy file that is no valid policy, the keys that quit
    answer its Quit: the editor exits 1 and says why on the terminal, the file as it was.
    They exited 0 and said nothing, the file's problems gone with the screen; so did they in the
    command palette opened over the question."""
    text = '{"version": "1", "default": "deny", "tools": {"manage_flow": {"limts": []}}}\n'
    policy_path.write_text(text)
    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.screen.id == "load-problems"
        if palette:
            from textual.command import CommandPalette

            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
        await pilot.press(key)
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 1 and policy_path.read_text() == text
    assert app.exit_error is not None and "is not a valid policy" in app.exit_error and "limts" in app.exit_error


async def test_ctrl_c_in_the_command_palette_asks_about_unsaved_changes_as_ctrl_q_does(policy_path: Path) -> None:
    """The palette is a modal screen too: ctrl+c there did nothing, with or without a search
    typed, while ctrl+q quit."""
    from textual.command import CommandPalette

    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("a", "ctrl+p", *"sav")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.screen.id == "confirm-quit"
        await pilot.press("q")  # "Quit without saving"
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0 and not policy_path.exists()


async def test_ctrl_c_copies_text_selected_in_the_palettes_search(policy_path: Path) -> None:
    from textual.command import CommandPalette

    app = make_app(policy_path=policy_path, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p", *"save")
        await pilot.pause()
        field = app.focused
        assert isinstance(app.screen, CommandPalette) and isinstance(field, Input) and field.value == "save"
        field.select_all()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, CommandPalette)
        assert app.clipboard == "save"
