"""Which ways out of the editor keep unsaved changes: every one but the user's own "Quit
without saving" (and a save, which leaves nothing unsaved). The line `policytui connect` or
`serve` prints is `keep_unsaved_work()`'s; the real program's signals and browsers are in
tests/test_tui_unsaved_tmux.py and tests/test_serve_unsaved.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_tui_app import SIZE, kestra, ready
from textual import messages

from policytui.tui import make_app


@pytest.fixture(autouse=True)
def own_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("policy.json.unsaved-*.json"))


async def test_an_editor_ended_from_outside_keeps_its_unsaved_changes(tmp_path: Path) -> None:
    """As textual-serve's "quit" does, with the unsaved-changes question open."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "ctrl+q")
        await pilot.pause()
        assert app.screen.id == "confirm-quit"
        app.post_message(messages.ExitApp())
        await pilot.pause()
    line = app.keep_unsaved_work()
    (path,) = kept(tmp_path)
    assert line == ("policytui connect: the editor had unsaved changes to policy.json; "
                    f"they were kept in {path}")
    assert json.loads(path.read_text(encoding="utf-8"))["tools"]
    assert app.keep_unsaved_work() is None, "kept once"
    assert not (tmp_path / "policy.json").exists()


async def test_quit_without_saving_keeps_nothing(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "ctrl+q", "q")
        await pilot.pause()
    assert app.keep_unsaved_work() is None
    assert kept(tmp_path) == []


async def test_save_and_quit_keeps_nothing_more(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "ctrl+q", "s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.keep_unsaved_work() is None
    assert kept(tmp_path) == [] and (tmp_path / "policy.json").exists()


async def test_the_next_editor_names_the_kept_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    first = make_app(policy_path=policy, listing=kestra())
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d")
    first.keep_unsaved_work()
    (path,) = kept(tmp_path)
    second = make_app(policy_path=policy, listing=kestra())
    async with second.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await second.workers.wait_for_complete()
        await pilot.pause()
        notes = [note.message for note in second._notifications]
    assert any(str(path) in note and "were kept" in note for note in notes), notes
