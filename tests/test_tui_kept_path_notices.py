"""The two notices that say where unsaved changes were kept (the next editor of the policy, and
"Load theirs" after ctrl+s found the file changed on disk) break the recovery file's long path
into lines the toast does not fold, at every terminal width: each piece can be copied whole."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from test_tui_app import kestra, ready, screen_text, until
from textual.widgets._toast import Toast

from policytui.tui import PolicyApp, make_app

OURS_ON_OPEN = '{"version": "1", "default": "deny"}\n'
THEIRS = '{"version": "1", "default": "deny", "tools": {"invite_user": {"action": "deny"}}}\n'
# Two folders whose names (34 characters, a line of the narrowest toast tried) cannot share a
# line: the second starts one, wherever the test's own folder ends. Then folders of short names
# of assorted lengths (a fixed choice), so that at each width tried some line of the path fills
# the toast's line exactly, or one column more: where a line one column too long folds.
LINE_STARTERS = ("x" * 34, "y" * 34)
_CHOICE = random.Random(4)
FOLDER_NAME_LENGTHS = [_CHOICE.randint(1, 6) for _ in range(60)]


def deep_folder(root: Path) -> Path:
    short = (chr(ord("a") + i % 26) * length for i, length in enumerate(FOLDER_NAME_LENGTHS))
    folder = root.joinpath(*LINE_STARTERS, *short)
    folder.mkdir(parents=True)
    return folder


def kept_files(policy: Path) -> list[Path]:
    return sorted(policy.parent.glob("policy.json.unsaved-*.json"))


def toast_of(app: PolicyApp, words: str) -> Toast | None:
    """The toast on screen of the notice that says `words`, once it has its place."""
    for toast in app.screen.query(Toast):
        if words in str(toast._notification.message) and toast.region.area:
            return toast
    return None


def path_pieces(message: str, kept: Path) -> list[str]:
    """The lines of `message` that give the path of `kept`: those after the one that ends in
    "in", to the one of its name."""
    lines = message.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(" in")) + 1
    end = lines.index(kept.name)
    return lines[start:end + 1]


async def assert_path_shown_whole(app: PolicyApp, pilot, words: str, kept: Path) -> None:  # type: ignore[no-untyped-def]
    await until(lambda: toast_of(app, words) is not None, f"the notice that says {words!r}")
    await pilot.pause()
    toast = toast_of(app, words)
    assert toast is not None
    pieces = path_pieces(str(toast._notification.message), kept)
    assert "".join(pieces) == str(kept), pieces
    # The path fills a line of the toast somewhere: the edge where a toast folds is tried.
    assert max(len(piece) for piece in pieces[:-1]) >= toast.content_region.width, (
        pieces, toast.content_region.width)
    box = toast.region
    drawn = [line[box.x:box.right] for line in screen_text(app).splitlines()[box.y:box.bottom]]
    # The file's name is not broken: in a toast narrower than it (at 80 columns) it folds.
    whole = pieces if len(kept.name) <= toast.content_region.width else pieces[:-1]
    for piece in whole:
        assert any(piece in line for line in drawn), (piece, app.size.width, "\n".join(drawn))


@pytest.mark.parametrize("width", [80, 100, 121, 140])
async def test_the_path_of_kept_changes_is_shown_in_whole_pieces(
        width: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 100 columns a line of the path 47 columns long folded its last character onto the
    next line: the path was broken for a toast of half the screen, but Textual's toast rack
    keeps 2 columns for a scrollbar, and the toast had 46 for text."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    policy = deep_folder(tmp_path) / "policy.json"
    policy.write_text(OURS_ON_OPEN)
    size = (width, 60)

    # ctrl+s onto a file someone else changed, and "Load theirs": our edit is kept first.
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("a")
        await until(lambda: app.state is not None and app.state.dirty, "the edit")
        policy.write_text(THEIRS)
        await pilot.press("ctrl+s")
        await until(lambda: app.screen.id == "confirm-conflict", "the changed-on-disk question")
        await pilot.pause()
        await pilot.press("l")
        await until(lambda: len(kept_files(policy)) == 1, "our edit kept")
        [kept] = kept_files(policy)
        assert json.loads(kept.read_text())["tools"] == {"backfill_executions": {}}
        await assert_path_shown_whole(app, pilot, "Your changes were kept in", kept)

    # The next editor of the policy says where the changes were kept.
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot)
        await assert_path_shown_whole(app, pilot, "were kept when an editor", kept)
