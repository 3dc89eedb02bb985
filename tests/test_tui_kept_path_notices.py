"""The two notices that say where unsaved changes were kept (the next editor of the policy, and
"Load theirs" after ctrl+s found the file changed on disk) break the recovery file's long path
into lines the toast does not fold, at every terminal width: each piece can be copied whole."""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable
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
    "in", to the last piece of its name."""
    lines = message.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(" in")) + 1
    end = next(i for i in range(start, len(lines)) if "".join(lines[start:i + 1]) == str(kept))
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
    for piece in pieces:
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
    kept = await keep_ours_and_load_theirs(policy, size, assert_path_shown_whole)

    # The next editor of the policy says where the changes were kept.
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot)
        await assert_path_shown_whole(app, pilot, "were kept when an editor", kept)


def toast_lines(app: PolicyApp, toast: Toast) -> list[str]:
    """The lines of text the toast draws, as the terminal shows them: without its left border
    and its padding, and without the blank rows of its padding."""
    text = toast.content_region
    rows = screen_text(app).splitlines()[text.y:text.bottom]
    return [row[text.x:text.right].rstrip() for row in rows]


async def assert_path_in_lines_that_fit(app: PolicyApp, pilot, words: str, kept: Path) -> None:  # type: ignore[no-untyped-def]
    await until(lambda: toast_of(app, words) is not None, f"the notice that says {words!r}")
    await pilot.pause()
    toast = toast_of(app, words)
    assert toast is not None
    width = toast.content_region.width
    pieces = path_pieces(str(toast._notification.message), kept)
    assert kept.is_file(), kept
    # Every line of the path fits the toast's text, the file's name too (40 characters, wider
    # than the toast at each size tried): Textual folds none of them at a character of its own.
    assert all(len(piece) <= width for piece in pieces), (width, pieces)
    assert len(kept.name) > width, (kept.name, width)
    # The toast draws them so, one under the other: a copy of them joined is the exact path.
    drawn = toast_lines(app, toast)
    at = next((i for i, line in enumerate(drawn) if line == pieces[0]), None)
    assert at is not None and drawn[at:at + len(pieces)] == pieces, (width, pieces, drawn)
    assert "".join(drawn[at:at + len(pieces)]) == str(kept)


USER_SIZES = [(80, 24), (60, 20), (50, 24)]


async def keep_ours_and_load_theirs(policy: Path, size: tuple[int, int],
                                    shown: Callable[..., Awaitable[None]] | None = None) -> Path:
    """An edit, the file changed on disk, ctrl+s and "Load theirs": the edit is kept in a
    recovery file, and the notice that says where is shown as `shown` asserts (by default in
    lines that fit the toast). The recovery file's path."""
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
        await (shown or assert_path_in_lines_that_fit)(app, pilot, "Your changes were kept in", kept)
    return kept


@pytest.mark.parametrize("size", USER_SIZES, ids=[f"{w}x{h}" for w, h in USER_SIZES])
async def test_the_recovery_file_name_is_broken_at_a_dot_or_a_dash_where_the_toast_is_narrower(
        size: tuple[int, int], tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`policy.json.unsaved-YYYYMMDD-HHMMSS.json` is 40 characters: below about 102 columns
    the toast folded it at whatever character reached its edge (at 60 columns, 26 for text,
    `policy.json.unsaved-202612` and `06-083217.json`). The folder's
    names here are short (`kept0`): each fits a line of the toast at every size tried."""
    folder = tmp_path_factory.mktemp("kept")
    monkeypatch.setenv("XDG_STATE_HOME", str(folder / "state"))
    policy = folder / "policy.json"
    policy.write_text(OURS_ON_OPEN)
    kept = await keep_ours_and_load_theirs(policy, size)

    # The next editor of the policy says where the changes were kept.
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot)
        await assert_path_in_lines_that_fit(app, pilot, "were kept when an editor", kept)


async def test_a_folder_name_wider_than_the_toast_is_broken_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder's name of 30 characters in a toast with 21 for text, at 50 columns."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    folder = tmp_path / "team-policies_for_the_gateways"
    folder.mkdir()
    policy = folder / "policy.json"
    policy.write_text(OURS_ON_OPEN)
    await keep_ours_and_load_theirs(policy, (50, 24))
