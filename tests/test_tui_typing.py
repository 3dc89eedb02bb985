"""Keys typed in one burst, as a fast typist's terminal delivers them, go where the user meant."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tui_app import document, kestra, ready, screen_text, until
from textual import events

from policytui.tui import make_app
from policytui.tui.app import MainScreen, PolicyApp
from policytui.tui.table import ToolTable
from policytui.tui.too_small import notice_shown

SIZE = (100, 30)


async def burst(app, keys: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """Queue every key before the app handles the first one (Pilot.press waits in between)."""
    for key, character in keys:
        app.post_message(events.Key(key, character))


async def settled(pilot) -> None:  # type: ignore[no-untyped-def]
    """Until every key sent has done what it does: none held or on its way through a dialog
    (the editor's KeyOrder), no worker running (a save), nothing left queued. A dialog's first
    opening alone can take over a second on a busy machine: no fixed pause is long enough."""
    app = pilot.app
    order = app.key_order

    def idle() -> bool:
        return not (order.held or order.early or order.dialog is not None or order.settling
                    or order.ahead or order.waiting
                    or any(worker.is_running for worker in app.workers))

    deadline = time.monotonic() + 30
    while True:
        await pilot.pause()
        if idle():
            await pilot.pause()  # and what the last of them queued
            if idle():
                return
        assert time.monotonic() < deadline, (
            f"waited 30 s for the keys to take effect: held {order.held}, early {order.early}, "
            f"dialog {order.dialog}, settling {len(order.settling)}, ahead {len(order.ahead)}, "
            f"check armed {order.waiting}, workers {list(app.workers)}")
        await asyncio.sleep(0.02)


async def test_letters_typed_right_after_slash_filter_and_never_edit(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = document(app)
        # "/add": as edit keys, `a` would allow and `d` deny the selected tool.
        await burst(app, [("slash", "/"), ("a", "a"), ("d", "d"), ("d", "d")])
        await settled(pilot)
        assert app.main.query_one("#filter").value == "add"
        assert document(app) == before


async def test_slash_inside_an_input_is_text(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash", "a", "slash", "b")
        await pilot.pause()
        assert app.main.query_one("#filter").value == "a/b"


# ----- keys that edit, submit or leave a text input, in a burst -----------------------------

# The character a terminal sends for each named key (what `burst` posts with it).
CHARACTERS = {"slash": "/", "underscore": "_", "space": " ", "enter": "\r", "escape": "\x1b",
              "tab": "\t", "backspace": "\x7f"}


def named(keys: list[str]) -> list[tuple[str, str | None]]:
    """Pilot-style key names (a letter, "slash", "ctrl+u", ...) with their characters."""
    return [(key, key if len(key) == 1 else CHARACTERS.get(key)) for key in keys]


def typed(text: str) -> list[str]:
    return ["underscore" if c == "_" else c for c in text]


def outcome(app) -> dict:  # type: ignore[no-untyped-def]
    """What the person sees and what would be saved."""
    table = app.main.query_one(ToolTable)
    box = app.main.query_one("#filter")
    focused = app.focused
    return {
        "filter": box.value if box.display else None,
        "shown": len(table.view),
        "selected": table.current_row.name if table.current_row else None,
        "screen": app.screen.id,
        "focused": focused.id if focused is not None else None,
        "text": getattr(focused, "value", None),
        # The Try panel: the call named, and the answer under it (a decision, or how to get one).
        "try": (app.main.query_one("#try-tool").value, app.main.query_one("#try-args").value,
                str(app.main.query_one("#try-result").render())),
        "policy": document(app),
    }


async def run_keys(tmp_path: Path, before: list[str], keys: list[str], *, at_once: bool) -> dict:
    """Open the editor, press `before` one by one, then `keys` one by one or in one burst."""
    app = make_app(policy_path=tmp_path / f"policy-{at_once}.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.panels_ready.wait()
        await pilot.pause()
        if before:
            await pilot.press(*before)
            await pilot.pause()
        if at_once:
            await burst(app, named(keys))
        else:
            await pilot.press(*keys)
        await settled(pilot)
        return outcome(app)


SEQUENCES = {
    # The report: with the filter's text cleared by ctrl+u, the name typed was lost and
    # Enter left the first tool selected.
    "ctrl+u then a name": (["G"], ["slash", "ctrl+u", *typed("search_logs"), "enter"]),
    "ctrl+u in an open filter": (["slash", *typed("manage")],
                                 ["ctrl+u", *typed("search_logs"), "enter"]),
    "backspace": ([], ["slash", *typed("searx"), "backspace", *typed("ch_logs"), "enter"]),
    "home and left": ([], ["slash", *typed("logs"), "home", *typed("search_"), "left", "right", "enter"]),
    "the key after Enter": (["G"], ["slash", *typed("search_logs"), "enter", "a"]),
    "the keys after Enter open the right tool's conditions": (
        ["G"], ["slash", "ctrl+u", *typed("manage_kv_store"), "enter", "c"]),
    "Esc, then a key": (["G"], ["slash", *typed("search_logs"), "escape", "a"]),
    "a key before /": ([], ["j", "slash", *typed("ab")]),
    "Enter matching nothing, then a": ([], ["slash", *typed("zzz"), "enter", "a"]),
    "t, then the arguments": ([], ["t", "ctrl+u", *typed("ab")]),
    "Try's Esc, then a key": ([], ["t", "escape", "d"]),
    # Enter after a tool's name moves on to its arguments: the keys behind it are the
    # arguments' (before, they went into the name, and the second Enter named the tool again).
    "Try: a name, Enter, Enter": ([], ["5", *typed("search_flows"), "enter", "enter"]),
    "Try: a name, Enter, then its arguments": ([], ["5", *typed("search_flows"), "enter", "ctrl+u", "enter"]),
    # A dialog's field: Tab to the counter (its text is selected on focus), then edit it.
    "a dialog's field": (["l"], ["tab", "tab", "x", "backspace", "y", "z", "left", "ctrl+u"]),
    # The keys behind the one that opens a dialog go into the dialog as it opens.
    "l, then its maximum": ([], ["l", "5", "0"]),
    "l, its maximum, Enter and ctrl+s": ([], ["l", "5", "0", "enter", "ctrl+s"]),
    "a maximum and ctrl+s in an open dialog": (["l"], ["7", "enter", "ctrl+s"]),
    # ctrl+q has priority: it used to overtake the edit ahead of it and quit without asking.
    "an edit, then ctrl+q": ([], ["a", "ctrl+q"]),
    "an edit in a dialog, then ctrl+q": (["l"], ["7", "enter", "ctrl+s", "ctrl+q"]),
    "edits, then ctrl+q and its answer": (["a"], ["j", "h", "ctrl+q", "escape"]),
    # A second ctrl+q while the question is open leaves that question (it tried to open a
    # second one with the same id and the editor ended with a traceback).
    "an edit, then ctrl+q twice": (["a"], ["ctrl+q", "ctrl+q"]),
    # ctrl+p has priority too: the keys before it are the editor's, those after it the search's.
    "an edit, then ctrl+p": ([], ["a", "ctrl+p"]),
    "a mark and bulk, then ctrl+p": ([], ["space", "b", "ctrl+p", *typed("allow")]),
    "a tick and ctrl+s in the filter dialog": (["f"], ["down", "down", "space", "ctrl+s"]),
    "f, a tick and ctrl+s": ([], ["f", "down", "down", "space", "ctrl+s"]),
    "a digit and ctrl+s in an open dialog": (["l", "7", "enter"], ["backspace", "9", "ctrl+s"]),
    "a reason and ctrl+s in an open dialog": (["c", "tab", "tab", "tab", "tab", "tab", "tab"], [*typed("why"), "ctrl+s"]),
    "a value and ctrl+s in an open dialog": (["c"], ["tab", "tab", "tab", *typed("prod"), "enter", "ctrl+s"]),
    "c, then a value": ([], ["c", "tab", "tab", "tab", *typed("prod")]),
    "E, then a path": ([], ["E", "ctrl+u", *typed("out.json")]),
    "o, then a category": ([], ["o", "down", "down"]),
}


@pytest.mark.parametrize("name", list(SEQUENCES))
async def test_keys_in_a_burst_do_what_they_do_one_by_one(tmp_path: Path, name: str) -> None:
    """However fast the keys come, the editor ends where it ends when they are typed slowly."""
    before, keys = SEQUENCES[name]
    slowly = await run_keys(tmp_path, before, keys, at_once=False)
    at_once = await run_keys(tmp_path, before, keys, at_once=True)
    assert at_once == slowly


async def test_a_filter_typed_in_a_burst_selects_the_tool_typed(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("G")
        await burst(app, named(["slash", "ctrl+u", *typed("search_logs"), "enter", "a"]))
        await settled(pilot)
        assert app.main.query_one("#filter").value == "search_logs"
        assert "39 tools (1 shown)" in screen_text(app)
        assert app.query_one(ToolTable).current_row.name == "search_logs"
        assert document(app)["tools"] == {"search_logs": {}}

        # The filter open with text in it: ctrl+u and a name in one burst.
        await pilot.press("slash", *typed("manage"))
        await burst(app, named(["ctrl+u", *typed("manage_kv_store"), "enter", "c"]))
        await until(lambda: app.screen.id == "conditions-screen", "the conditions editor")
        await pilot.pause()
        assert "Conditions for manage_kv_store" in screen_text(app)


def hold_the_a_key(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Hold every `a` on its way to the editor's table until the returned event is set (or 240 s
    pass)."""
    let_go = asyncio.Event()

    async def slow_key(self, event):  # type: ignore[no-untyped-def]
        if event.key == "a":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(let_go.wait(), 240)

    monkeypatch.setattr(MainScreen, "on_key", slow_key, raising=False)
    return let_go


async def ctrl_q_asks_on_the_notices_line_about_the_keys(app: PolicyApp) -> None:
    """ctrl+q pressed on the too-small notice, an `a` still on its way: the editor stays and its
    one line asks about the keys typed before ctrl+q, word for word."""
    await burst(app, [("ctrl+q", None)])
    await until(lambda: not app.is_running or "esc back" in screen_text(app),
                "the question on the notice's line, or the editor gone")
    assert app.is_running, "ctrl+q quit with the `a` typed before it still on its way"
    said = " ".join(screen_text(app).split())
    assert said == ("Keys typed before ctrl+q have not reached policy.json yet (quitting may "
                    "leave what they change unsaved): s save and quit · q quit without "
                    "saving · esc back"), said


async def test_ctrl_q_behind_an_edit_slow_to_reach_the_editor_asks_about_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`a ctrl+q` in one burst on a machine too busy for the `a` to reach the editor at once:
    the `a` takes effect and ctrl+q asks about it, as typed slowly. ctrl+q waited 0.2 s for the
    keys ahead of it, whether or not they had done what they do by then (a loaded core took
    the editor 0.76 s over such messages), and quit without the edit and without asking."""

    async def slow_key(self, event):  # type: ignore[no-untyped-def]
        # The table's keys go up through its screen (tui/inputs.py), whose messages now wait;
        # the rest of the editor (its timers, its other widgets) goes on, as on a core shared
        # with other work.
        if event.key == "a":
            await asyncio.sleep(1.0)

    monkeypatch.setattr(MainScreen, "on_key", slow_key, raising=False)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.panels_ready.wait()
        await until(lambda: app.focused is app.query_one(ToolTable), "the table focused")
        await burst(app, [("a", "a"), ("ctrl+q", None)])
        await until(lambda: not app.is_running or app.screen.id == "confirm-quit",
                    "the question about the unsaved edit, or the editor gone")
        assert app.is_running, "ctrl+q quit without waiting for the `a` typed before it"
        assert document(app)["tools"] == {"backfill_executions": {}}
        await pilot.press("escape")
        await settled(pilot)


async def test_ctrl_q_behind_an_edit_that_takes_longer_than_keys_wait_asks_before_quitting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`a ctrl+q` with the `a` 6 s on its way (a machine far busier than any seen): keys wait
    at most 5 s for the keys ahead, and the quit then found nothing unsaved and ended the
    editor, the `a` lost without a word. It asks instead, and says why."""

    # The `a` is on its way until the test lets it go, after the question: held a fixed 6 s,
    # one more than the keys wait, a loaded machine took that second over the wait's own end
    # and the `a` arrived first.
    let_go = hold_the_a_key(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        try:
            await ready(pilot)
            await app.panels_ready.wait()
            await until(lambda: app.focused is app.query_one(ToolTable), "the table focused")
            await burst(app, [("a", "a"), ("ctrl+q", None)])
            await until(lambda: not app.is_running or app.screen.id == "confirm-quit",
                        "a question before quitting, or the editor gone")
            assert app.is_running, "ctrl+q quit with the `a` typed before it still on its way"
            await until(lambda: "Keys typed before ctrl+q have not reached policy.json yet"
                        in " ".join(screen_text(app).split()), "the question saying why it asks")
        finally:
            let_go.set()
        await pilot.press("escape")
        await settled(pilot)
        assert app.is_running


async def test_ctrl_q_on_a_too_small_terminal_behind_a_slow_edit_names_the_keys_not_applied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`a ctrl+q`, the terminal made too small while ctrl+q waits for the `a`, still on its way
    after the keys' longest wait: the notice's one line asks as the dialog does, naming the
    keys typed before ctrl+q that have not taken effect. It said "policy.json has unsaved
    changes", which the policy did not have; so did the line asked again after esc."""
    let_go = hold_the_a_key(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(200, 30)) as pilot:
        try:
            await ready(pilot)
            await app.panels_ready.wait()
            await until(lambda: app.focused is app.query_one(ToolTable), "the table focused")
            await burst(app, [("a", "a"), ("ctrl+q", None)])
            await pilot.resize_terminal(200, 10)  # while ctrl+q waits for the `a`
            await until(lambda: notice_shown(app), "the too-small notice")
            # The question comes under the notice, which says ctrl+q quits: the user presses it.
            await until(lambda: not app.is_running or any(
                screen.id == "confirm-quit" for screen in app.screen_stack), "the question, or the editor gone")
            assert app.is_running, "ctrl+q quit with the `a` typed before it still on its way"
            await ctrl_q_asks_on_the_notices_line_about_the_keys(app)
            # Answered at once, the `a` still on its way: `q` was held behind the keys waiting
            # for the notice to go, and the question was never answered.
            await burst(app, [("q", "q")])
            await until(lambda: not app.is_running, "the editor gone, quit without saving")
        finally:
            let_go.set()
    assert not (tmp_path / "policy.json").exists()


async def test_ctrl_q_on_the_too_small_notice_with_a_slow_edit_under_it_asks_and_is_answered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`a`, still on its way to the editor when the terminal became too small (the notice
    shows once the keys' longest wait is over), then ctrl+q on the notice: it asks on the
    notice's line about the keys not applied yet, and `q` answers it at once. It quit without
    asking: the wait behind ctrl+q looked at the notice, where no key was, and not at the
    table under it, where the `a` was."""
    let_go = hold_the_a_key(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=(200, 30)) as pilot:
        try:
            await ready(pilot)
            await app.panels_ready.wait()
            await until(lambda: app.focused is app.query_one(ToolTable), "the table focused")
            await burst(app, [("a", "a")])
            await pilot.resize_terminal(200, 10)
            await until(lambda: notice_shown(app), "the too-small notice, after the keys' longest wait")
            await ctrl_q_asks_on_the_notices_line_about_the_keys(app)
            await burst(app, [("q", "q")])
            await until(lambda: not app.is_running, "the editor gone, quit without saving")
        finally:
            let_go.set()
    assert not (tmp_path / "policy.json").exists()


async def test_enter_in_the_filter_never_leaves_a_tool_selected_that_does_not_match(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = document(app)
        await burst(app, named(["slash", *typed("no_such_tool"), "enter", "a", "d", "h"]))
        await settled(pilot)
        table = app.query_one(ToolTable)
        assert table.current_row is None and table.view == []
        assert document(app) == before
        # Every prefix of the text, as each key of a burst leaves it, selects a matching tool.
        for text in ("s", "se", "search_l", "search_logs"):
            await burst(app, named(["slash", "ctrl+u", *typed(text), "enter"]))
            await settled(pilot)
            assert text in table.current_row.name, text


async def test_a_paste_lands_between_the_keys_around_it(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash", *typed("manage"))
        await burst(app, named(["ctrl+u"]))
        app.post_message(events.Paste("search_logs\nsecond line"))
        await burst(app, named(["enter", "a"]))
        await settled(pilot)
        assert app.main.query_one("#filter").value == "search_logs"
        assert document(app)["tools"] == {"search_logs": {}}


@pytest.mark.parametrize("before, letter", [(["l"], "d"), (["t"], "a"), (["c"], "x")])
async def test_escape_and_a_letter_read_as_one_key_are_the_two_keys_typed(
        tmp_path: Path, before: list[str], letter: str) -> None:
    """A terminal sends Alt+letter as Esc then the letter, so Esc and a letter typed at once
    arrive as one key, Alt+letter. The editor binds no Alt key: it does what Esc, then the
    letter, typed slowly do (close the dialog and deny, leave the Try panel and allow)."""
    slowly = await run_keys(tmp_path, before, ["escape", letter], at_once=False)
    app = make_app(policy_path=tmp_path / "policy-alt.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.panels_ready.wait()
        await pilot.pause()
        await pilot.press(*before)
        await pilot.pause()
        await burst(app, [(f"alt+{letter}", letter)])
        await settled(pilot)
        assert outcome(app) == slowly


async def test_escape_and_a_capital_letter_read_as_one_key_are_the_two_keys_typed(tmp_path: Path) -> None:
    """Esc and `D` read together arrive as Alt+Shift+D: the `D` is the key typed, and toggles
    the default as `D` alone does (it was passed on as shift+d, which no binding names, and
    did nothing)."""
    slowly = await run_keys(tmp_path, [], ["escape", "D"], at_once=False)
    assert slowly["screen"] == "confirm-default"
    app = make_app(policy_path=tmp_path / "policy-alt.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.panels_ready.wait()
        await pilot.pause()
        await burst(app, [("alt+shift+d", "D")])
        await settled(pilot)
        assert outcome(app) == slowly


@pytest.mark.parametrize("data, keys", [
    # Another Esc in the same read: Textual reissued the first Esc as `^`.
    ("\x1b\r\x1b", ["escape", "enter", "escape"]),
    ("\x1b\x13\x1b", ["escape", "ctrl+s", "escape"]),
    ("\x1ba\x1b", ["escape", "a", "escape"]),
    # More than 32 characters in one read behind Esc Enter: the same.
    ("\x1b\r" + "j" * 40, ["escape", "enter", *["j"] * 40]),
    # What Esc keeps its meaning with, and a `^` typed, are as before.
    ("\x1b\t", ["shift+tab"]),
    ("\x1b\x7f", ["ctrl+w"]),
    ("^a", ["circumflex_accent", "a"]),
    ("\x1b[A", ["up"]),
])
async def test_escape_read_with_the_keys_behind_it_is_never_a_caret(
        tmp_path: Path, data: str, keys: list[str]) -> None:
    """The terminal reader the editor runs (patched as the app starts) reads Esc then a control
    key or a letter as the two keys, however many keys follow in the same read."""
    import time

    from textual._xterm_parser import XTermParser

    make_app(policy_path=tmp_path / "policy.json", listing=kestra())  # patches the reader
    parser = XTermParser()
    tokens = list(parser.feed(data))
    time.sleep(0.2)  # past the wait for the rest of an escape sequence
    tokens += list(parser.tick())
    assert [token.key for token in tokens if isinstance(token, events.Key)] == keys


async def test_ctrl_s_then_ctrl_q_at_once_quits_without_asking(tmp_path: Path) -> None:
    """`a ctrl+s ctrl+q` in one burst: the save is written, then the quit finds nothing unsaved
    and quits, as typed slowly (it asked about the changes it had just saved: the write runs in
    a worker, and the quit did not wait for it)."""
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.panels_ready.wait()
        await pilot.pause()
        await burst(app, [("a", "a"), ("ctrl+s", None), ("ctrl+q", None)])
        await until(lambda: not app.is_running, f"the editor to quit (it shows {app.screen})")
    assert app.return_code == 0
    assert json.loads(policy.read_text(encoding="utf-8"))["tools"] == {"backfill_executions": {}}


async def test_ctrl_q_behind_a_save_slower_than_ten_seconds_waits_for_it_and_quits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`a ctrl+s ctrl+q` with a write that takes 12 s (a slow disk, a loaded machine): the quit
    waits for it, says so, and quits with the edit saved, without asking about it. After 10 s
    it asked about "changes that are not saved" while they were being written."""
    from policytui.editor.state import EditorState

    write = EditorState.write

    def slow_write(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(12.0)  # a worker thread: the editor goes on meanwhile
        return write(self, *args, **kwargs)

    monkeypatch.setattr(EditorState, "write", slow_write)
    policy = tmp_path / "policy.json"
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.panels_ready.wait()
        await pilot.pause()
        await burst(app, [("a", "a"), ("ctrl+s", None), ("ctrl+q", None)])
        told: list[str] = []

        def quit_or_asked() -> bool:
            told.extend(str(n.message) for n in app._notifications if str(n.message) not in told)
            return not app.is_running or app.screen.id == "confirm-quit"

        await until(quit_or_asked, f"the editor to quit (it shows {app.screen})", timeout=60.0)
        assert app.is_running is False, "asked about unsaved changes while they were being saved"
        assert "Saving policy.json: the editor quits once it is written." in told, told
    assert app.return_code == 0
    assert json.loads(policy.read_text(encoding="utf-8"))["tools"] == {"backfill_executions": {}}


# ----- keys typed while the policy is read ---------------------------------------------------


# The gates of `_policy_read_waits` not let go yet: each is let go as its test ends, however it
# ends, so that no reading is left waiting in its thread.
_held_reads: list[threading.Event] = []


@pytest.fixture(autouse=True)
def _held_policy_reads_let_go() -> Iterator[None]:
    yield
    while _held_reads:
        _held_reads.pop().set()


def _policy_read_waits(monkeypatch: pytest.MonkeyPatch, *, fails: bool = False):  # type: ignore[no-untyped-def]
    """Hold the reading of the policy (a worker thread) until the returned event is set, so that
    the rows are on screen and the policy not yet read, as for the first fraction of a second
    of every start; with `fails`, reading it then fails. Held until the test lets it go (up to
    240 s): held 10 s, a test on a busy machine still looking at the keys held for the policy
    found it read."""
    from policytui.tui import startup

    gate = threading.Event()
    gate.reads = 0  # type: ignore[attr-defined]
    _held_reads.append(gate)
    read = startup.open_state

    def slow_open_state(*args, **kwargs):  # type: ignore[no-untyped-def]
        gate.reads += 1  # type: ignore[attr-defined]
        gate.wait(240)
        if fails:
            raise OSError("the policy file could not be read")
        return read(*args, **kwargs)

    monkeypatch.setattr(startup, "open_state", slow_open_state)
    return gate


async def first_rows(app) -> ToolTable:  # type: ignore[no-untyped-def]
    """The table, once its first rows show (before the policy is read, with the gate shut)."""
    table = app.main.query_one(ToolTable)
    await until(lambda: table.display and table.view, "the first rows")
    return table


async def test_edit_keys_typed_before_the_policy_is_read_take_effect_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = _policy_read_waits(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        table = await first_rows(app)
        assert app.state is None
        # Down moves at once (the table works before the policy is read); `d` denies the tool
        # it lands on and `down d` the next one, once there is a policy to edit.
        await burst(app, [("down", None), ("d", "d"), ("down", None), ("d", "d")])
        await until(lambda: len(app.key_order.held) == 3, "`d down d` held for the policy")
        # The move goes at once (the table takes it a message after the app handed it on);
        # the keys behind `d` wait for the policy.
        await until(lambda: table.cursor == 1, "the first down, which waits for nothing")
        assert len(app.key_order.held) == 3 and app.state is None
        names = [table.rows[index].name for index in table.view]
        gate.set()
        await ready(pilot)
        assert [table.rows[index].name for index in table.view] == names
        first, second = names[1], names[2]
        await until(lambda: table.cursor == 2, "the held keys")
        await settled(pilot)
        rules = document(app)["tools"]
        assert rules[first] == rules[second] == {"action": "deny"}


async def test_escape_and_a_letter_in_one_read_before_the_policy_is_read_wait_for_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Esc and `a` read as Alt+a while the policy is read: the `a` waits for the policy and
    allows the tool, as `a` typed alone does (it went on at once and did nothing)."""
    gate = _policy_read_waits(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.query_one(ToolTable)
        await until(lambda: table.display and table.view, "the first rows")
        await burst(app, [("alt+a", "a")])
        await until(lambda: app.key_order.held, "the `a` held for the policy")
        first = table.rows[table.view[0]].name
        gate.set()
        await ready(pilot)
        await until(lambda: first in document(app)["tools"], "the held `a`")
        assert document(app)["tools"] == {first: {}}


async def test_keys_typed_before_a_policy_that_fails_to_read_do_not_answer_the_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = _policy_read_waits(monkeypatch, fails=True)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await first_rows(app)
        # `r` opens the rate-limit dialog in the editor, and is Retry in the failure dialog.
        await burst(app, [("r", "r"), ("q", "q")])
        await until(lambda: len(app.key_order.held) == 2, "`r q` held for the policy")
        gate.set()
        await until(lambda: app.screen.id == "failure", "the failure dialog")
        await settled(pilot)
        assert app.screen.id == "failure"
        assert "could not be read" in screen_text(app)
        assert gate.reads == 1  # not retried by the `r`


async def test_keys_typed_before_an_invalid_policy_is_read_do_not_answer_its_question(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = _policy_read_waits(monkeypatch)
    policy = tmp_path / "policy.json"
    policy.write_text('{"version": 1, "tools": [')
    app = make_app(policy_path=policy, listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await first_rows(app)
        # `n` is "Start a new policy" in the question about the invalid file.
        await burst(app, [("n", "n")])
        await until(lambda: app.key_order.held, "`n` held for the policy")
        gate.set()
        await until(lambda: app.screen.id == "load-problems", "the question about the file")
        await settled(pilot)
        assert app.screen.id == "load-problems"


async def test_ctrl_q_behind_an_edit_typed_while_the_policy_is_read_asks_about_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = _policy_read_waits(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE):
        table = await first_rows(app)
        await burst(app, [("d", "d"), ("ctrl+q", None)])
        await until(lambda: len(app.key_order.held) == 2, "`d ctrl+q` held for the policy")
        assert app.is_running  # ctrl+q waits behind the `d`, which waits for the policy
        gate.set()
        await until(lambda: app.screen.id == "confirm-quit", "the question about unsaved changes")
        assert document(app)["tools"][table.rows[table.view[0]].name] == {"action": "deny"}


async def test_ctrl_q_alone_while_the_policy_is_read_quits_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policytui.tui import key_order

    # A ctrl+q that waited for the policy would wait until it is read (the gate is let go only
    # once the test ends), not go on after the usual LONGEST_WAIT: the policy read then says it
    # waited.
    monkeypatch.setattr(key_order, "LONGEST_WAIT", 120.0)
    gate = _policy_read_waits(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    try:
        async with app.run_test(size=SIZE):
            await first_rows(app)
            await burst(app, [("ctrl+q", None)])
            await until(lambda: not app.is_running, "the editor to quit")
            assert app.state is None, "ctrl+q waited for the policy to be read"
    finally:
        gate.set()


async def test_an_editing_key_while_the_server_starts_says_it_does_nothing_yet(tmp_path: Path) -> None:
    started = threading.Event()
    asked = threading.Event()

    def starting_server():  # type: ignore[no-untyped-def]
        asked.set()
        started.wait(60)
        return kestra()

    app = make_app(policy_path=tmp_path / "policy.json", load_listing=starting_server, target_label="slow")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(asked.is_set, "the server asked for its tools")
            await pilot.press("down")  # a move: no notice
            await pilot.press("ctrl+s")
            await until(lambda: any("Nothing to edit or save yet" in str(note.message)
                                    for note in app._notifications), "the notice")
            # The notice for ctrl+s is the only one: the down typed before it gave none.
            assert [str(note.message) for note in app._notifications if "Nothing to edit" not in str(note.message)] == []
            assert not (tmp_path / "policy.json").exists()
            started.set()
            await ready(pilot)
    finally:
        started.set()


async def test_a_key_held_past_the_longest_wait_for_the_policy_says_it_is_still_being_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys wait for the policy at most LONGEST_WAIT (a huge file, a slow disk); then they go
    on, do nothing, and the notice says why: the policy, not the server's tools."""
    from policytui.tui import key_order

    monkeypatch.setattr(key_order, "LONGEST_WAIT", 0.3)
    gate = _policy_read_waits(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    try:
        async with app.run_test(size=SIZE):
            await first_rows(app)
            await burst(app, [("a", "a")])
            await until(lambda: any("policy.json is still being read" in str(note.message)
                                    for note in app._notifications), "the notice")
    finally:
        gate.set()


async def test_keys_held_for_the_policy_wait_while_the_terminal_is_too_small(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`l50 Enter ctrl+s` typed as the rows show, and the window shrinks below the minimum
    before the policy is read: once it grows, the limit is there (the keys were released
    into the too-small notice, which dropped them). ctrl+q still quits from the notice."""
    gate = _policy_read_waits(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        table = await first_rows(app)
        first = table.rows[table.view[0]].name
        await burst(app, [("l", "l"), ("5", "5"), ("0", "0"), ("enter", "\r"), ("ctrl+s", None)])
        await pilot.resize_terminal(30, 8)
        await until(lambda: notice_shown(app), "the too-small notice")
        gate.set()
        await app.loaded.wait()
        # The policy is read, and the keys are still held: under the notice, they wait.
        await until(lambda: not app.key_order.policy_pending and app.key_order.held,
                    "the policy read with the keys still held")
        assert "limits" not in document(app).get("tools", {}).get(first, {})  # still waiting
        await pilot.resize_terminal(*SIZE)
        await until(lambda: "limits" in document(app).get("tools", {}).get(first, {}), "the limit applied")
        assert [limit["max"] for limit in document(app)["tools"][first]["limits"]] == [50]
        await until(lambda: app.screen is app.main, "the dialog applied and closed")


async def _keys_held_under_the_notice(app, pilot, gate) -> None:  # type: ignore[no-untyped-def]
    """`l5` typed while the policy is read, the terminal then too small: once the policy is
    read, the keys wait for the too-small notice to go."""
    await first_rows(app)
    await burst(app, [("l", "l"), ("5", "5")])
    await pilot.resize_terminal(30, 8)
    gate.set()
    await app.loaded.wait()
    await until(lambda: app.key_order.held, "`l5` waiting for the too-small notice to go")


async def test_ctrl_q_on_the_too_small_notice_quits_ahead_of_keys_waiting_for_it_to_go(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = _policy_read_waits(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await _keys_held_under_the_notice(app, pilot, gate)
        await burst(app, [("ctrl+q", None)])
        await until(lambda: not app.is_running, "the editor to quit")


async def test_keys_still_held_as_the_editor_closes_end_it_without_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check for releasing held keys that was already queued when the editor quit runs once
    its screens are gone (the editor closes them first, then handles what was queued): it
    found no screen and the editor ended in a traceback (ScreenStackError) instead of its
    status. Now it lets the keys go nowhere."""
    gate = _policy_read_waits(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _keys_held_under_the_notice(app, pilot, gate)
            # What the editor's closing leaves to run after its screens are gone: the next check.
            close_all = app._close_all

            async def close_all_then_check() -> None:
                await close_all()
                app.call_next(app.key_order._release_when_ready)

            monkeypatch.setattr(app, "_close_all", close_all_then_check)
            await burst(app, [("ctrl+q", None)])
            await until(lambda: not app.is_running, "the editor to quit")
    finally:
        gate.set()
    assert app.return_code == 0

async def test_a_key_that_reaches_the_editor_as_it_closes_ends_it_without_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A key still on its way when the editor is closed (a held key handed on comes back up to
    the editor a message later) can reach it once its screens are gone, when the closing runs
    beside the editor's own message loop (as in Textual's run_test): looking for the focus
    there raised ScreenStackError. Now the key goes nowhere."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        close_all = app._close_all

        async def close_all_then_a_key() -> None:
            await close_all()
            app.post_message(events.Key("a", "a"))
            await asyncio.sleep(0.1)  # the editor's loop runs on meanwhile

        monkeypatch.setattr(app, "_close_all", close_all_then_a_key)
    assert app.return_code in (None, 0)


def notices(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(n.message) for n in app._notifications)


async def test_a_paste_of_several_lines_into_a_one_line_field_says_only_its_first_was_kept(
        tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("slash")
        app.post_message(events.Paste("search_logs\n"))  # one line and its line break: all kept
        await settled(pilot)
        assert app.main.query_one("#filter").value == "search_logs"
        assert "first line" not in notices(app)
        await burst(app, named(["ctrl+u"]))
        app.post_message(events.Paste("search_logs\nsecond line"))
        await settled(pilot)
        assert app.main.query_one("#filter").value == "search_logs"
        await until(lambda: "pasted its first line only" in notices(app), "the notice")
        assert "\n" not in notices(app)  # one line


async def test_json_pasted_whole_into_the_try_arguments_gets_no_notice(tmp_path: Path) -> None:
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("t")
        await until(lambda: app.focused is not None and app.focused.id == "try-args", "the arguments")
        await burst(app, named(["ctrl+u"]))
        app.post_message(events.Paste('{\n  "q": 1\n}\n'))
        await settled(pilot)
        assert app.focused.value == '{   "q": 1 }'
        assert "first line" not in notices(app)


# ----- keys read together in a dialog: each where it was typed ------------------------------

def read_together(app, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    """`keys` as the terminal driver posts one read of them, with the app busy for a moment
    behind them (as while it redraws the screen for a browser)."""
    for key, character in named(keys):
        app.post_message(events.Key(key, character))
    app.call_later(asyncio.sleep, 0.2)


async def test_enter_on_save_and_quit_with_a_q_behind_it_saves(tmp_path: Path) -> None:
    """The quit question opens on Save and quit: Enter saves and quits, and a `q` typed right
    behind has nothing left to answer. Read together, the question took the `q` (Quit without
    saving) on its own queue while Enter's press was still on its way, and the edits were
    dropped."""
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("d", "ctrl+q")
        await until(lambda: app.screen.id == "confirm-quit", "the question about the unsaved edit")
        await settled(pilot)
        read_together(app, ["enter", "q"])
        await until(lambda: not app.is_running, "the editor gone")
    assert not app.unsaved_discarded, "Enter chose Save and quit; the q behind it chose Quit without saving"
    saved = json.loads((tmp_path / "policy.json").read_text(encoding="utf-8"))
    assert saved["tools"] == {"backfill_executions": {"action": "deny"}}


async def test_enter_in_the_palette_with_a_key_behind_it_runs_the_command_then_the_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`allow` found in the palette, then Enter and `d` read together: Enter allows the tool
    and closes the palette, and the `d` denies it in the editor. The `d` was typed into the
    closing palette's search (an input types a character where the key reaches it, Enter's
    binding runs once it is back at the app), and the editor never saw it."""
    from tui_support import PaletteSearches

    searches = PaletteSearches(monkeypatch)
    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await until(lambda: searches.done(app, ""), "the palette's first list")
        await pilot.press(*typed("allow"))
        await until(lambda: searches.done(app, "allow"), "the palette's hits for allow")
        read_together(app, ["enter", "d"])
        await settled(pilot)
        await until(lambda: app.screen is app.main, "the palette closed")
        assert document(app)["tools"] == {"backfill_executions": {"action": "deny"}}


@pytest.mark.parametrize("digits", [1_000, 5_000], ids=["a number", "past Python's digit limit"])
async def test_a_long_number_pasted_as_max_calls_is_refused_in_a_few_lines(
        tmp_path: Path, digits: int) -> None:
    """A max calls value pasted by mistake (thousands of digits) is refused in one short
    sentence that keeps the form's buttons on screen; the sentence quoted the whole value, and
    5,000 digits filled the dialog with fifty lines of nines."""
    from test_tui_app import select

    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("l")
        await until(lambda: "Apply [ctrl+s]" in screen_text(app), "the limits editor")
        app.post_message(events.Paste("9" * digits))
        await settled(pilot)
        await pilot.press("enter")
        error = app.screen.query_one(".form-error")
        await until(lambda: "max calls must be a whole number" in str(error.render()), "the refusal")
        said = str(error.render())
        assert len(said) < 200, said
        assert f"({digits - 40:,} more characters not shown)" in said, said
        shown = screen_text(app)
        assert "Apply [ctrl+s]" in shown and "Cancel [esc]" in shown, shown


@pytest.mark.parametrize(("op", "pasted", "why"), [
    ("gt", "a" * 3_000, "gt needs a number, not 'aaa"),
    ("regex", "(" * 3_000, "does not compile"),
], ids=["a number", "a pattern"])
async def test_a_long_condition_value_pasted_is_refused_in_a_few_lines(
        tmp_path: Path, op: str, pasted: str, why: str) -> None:
    """A condition's value pasted by mistake (thousands of characters) is refused quoting its
    start, the reason still said and the form's buttons on screen; the sentence quoted the
    whole value, and a pattern's reason came after three thousand brackets."""
    from test_tui_app import select

    app = make_app(policy_path=tmp_path / "policy.json", listing=kestra())
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await select(pilot, "manage_flow")
        await pilot.press("c")
        await until(lambda: "Apply [ctrl+s]" in screen_text(app), "the conditions editor")
        screen = app.screen
        screen.query_one("#cond-path").value = "args.namespace"
        screen.query_one("#cond-op").value = op
        await pilot.pause()
        screen.query_one("#cond-value").focus()
        app.post_message(events.Paste(pasted))
        await settled(pilot)
        await pilot.press("enter")
        error = screen.query_one("#cond-error")
        await until(lambda: why in str(error.render()), "the refusal")
        said = str(error.render())
        assert len(said) < 300, said
        assert "more characters not shown)" in said, said
        shown = screen_text(app)
        assert "Apply [ctrl+s]" in shown and "Cancel [esc]" in shown, shown
