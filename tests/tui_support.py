"""Waiting in the editor's tests (Textual's pilot) for what a key or an edit does, never for a
fixed time.

What a key does often happens a message, a timer or a worker later: a dialog composes and
mounts, the panels after an edit follow 0.15 s later, the command palette searches in a worker
and lists its hits in batches. A fixed pause bets that this is done by then, which a busy
machine loses; these wait for the thing itself, with a deadline a busy machine keeps, and say
what they waited for when it never came.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from textual.command import CommandInput, CommandList, CommandPalette
from textual.worker import Worker, WorkerState, get_current_worker

from policytui.tui.base import EditorBase

# In-process waits: nothing is started, only the app's own messages, timers and workers are
# waited for; a loaded machine took seconds for what takes milliseconds.
DEADLINE = 60.0


async def until(condition: Callable[[], object], what: str, timeout: float = DEADLINE,
                shows: Callable[[], object] | None = None) -> None:
    """Return once `condition()` is true; fail naming `what` (and what `shows()` gives: the
    screen, say) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            seen = f"; it shows:\n{shows()}" if shows is not None else ""
            raise AssertionError(f"waited {timeout:.0f} s for {what}{seen}")
        await asyncio.sleep(0.02)


class PaletteSearches:
    """Each search the command palette starts (one per change of what is typed into it), kept
    with the worker that makes it, and which search filled the palette's list last: `done(typed)`
    is true once the search for `typed` is the palette's last, has listed everything it found,
    and the list drawn holds its matches. The list is only final then: hits come in batches,
    each batch sorted anew, so the first entry shown can change until the end; and the search
    field shows what was typed a search or more before the list does (the list of the text
    before the last key, or of none, still shows then)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started: list[tuple[CommandPalette, str, Worker[Any]]] = []
        # The search (its worker) whose matches each palette's list shows.
        self.filled: dict[CommandPalette, Worker[Any]] = {}
        gather = CommandPalette._gather_commands
        refresh = CommandPalette._refresh_command_list

        def recorded(palette: CommandPalette, search_value: str) -> Worker[Any]:
            worker = gather(palette, search_value)  # type: ignore[call-arg]
            self.started.append((palette, search_value, worker))
            return worker

        def refreshed(palette: CommandPalette, command_list: CommandList, commands: list[Any],
                      clear_current: bool) -> None:
            refresh(palette, command_list, commands, clear_current)
            self.filled[palette] = get_current_worker()

        monkeypatch.setattr(CommandPalette, "_gather_commands", recorded)
        monkeypatch.setattr(CommandPalette, "_refresh_command_list", refreshed)

    def done(self, app: Any, typed: str) -> bool:
        palette = app.screen
        if not isinstance(palette, CommandPalette) or palette.query_one(CommandInput).value != typed:
            return False
        last = [(value, worker) for shown, value, worker in self.started if shown is palette]
        if not last:
            return False
        value, worker = last[-1]
        if value != typed.strip() or worker.state != WorkerState.SUCCESS:
            return False
        # The list holds this search's matches (none too: nothing found), and shows them.
        return self.filled.get(palette) is worker and drawn(app)


async def palette_search(pilot: Any, searches: PaletteSearches, typed: str) -> None:
    """ctrl+p (unless the palette shows already), `typed` typed into its search, and the list
    of its matches drawn: what Enter runs now is the first of them."""
    app = pilot.app
    if not isinstance(app.screen, CommandPalette):
        await pilot.press("ctrl+p")
        await until(lambda: isinstance(app.screen, CommandPalette), "the command palette")
    await pilot.press(*typed)
    await until(lambda: searches.done(app, typed), f"the palette's matches for {typed!r}")


def drawn(app: Any) -> bool:
    """Nothing on the screen waits to be laid out or painted again: what is read from it now
    stays until something new happens (a widget's refresh is taken up by the screen on its
    next update, a frame later). Widgets the screen does not show (those of a tab not chosen,
    the Try panel's inputs say) are never painted, so they wait for good: a change that would
    show one lays the screen out again, which counts."""
    screen = app.screen
    if screen._layout_required or screen._repaint_required or screen._dirty_widgets:
        return False
    shown = screen._compositor.visible_widgets
    return not any(w._layout_required or w._repaint_required
                   for w in screen.walk_children(with_self=False) if w in shown)


# Which edit's timer was the editor's last when its panels last followed an edit, by editor.
_FOLLOWED: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_editor_after_edit = EditorBase._after_edit


def _recorded_after_edit(self: EditorBase) -> None:
    """The editor's own `_after_edit`, then a note of the edit whose timer was the last as it
    began: what the editor does is unchanged."""
    timer = self._panel_timer
    _editor_after_edit(self)
    _FOLLOWED[self] = timer


EditorBase._after_edit = _recorded_after_edit  # type: ignore[method-assign]


def panels_followed(app: Any) -> bool:
    """The panels (validation, the JSON and diff panels, the Replay tab) have followed the last
    edit: they do 0.15 s after it, by a timer each edit starts anew. The timer's end is not
    theirs: it only queues the editor's `_after_edit` on the app, which runs once the messages
    ahead of it have (a loaded machine, or a slow validation, read the report before it for
    that long). So this holds once an `_after_edit` has run that began after the last edit."""
    timer = app._panel_timer
    return timer is not None and _FOLLOWED.get(app) is timer


def panels_follow_next_edit(app: Any) -> Callable[[], bool]:
    """Called before the key that edits: a condition that holds once the panels have followed
    that edit (or a later one), never on the run of an edit before the key. The key's action
    may run a turn or more after the press returns (a key held behind another, a loaded
    machine); until then the last timer is the previous edit's, whose run may be over already,
    and `panels_followed` alone then holds on that edit's report."""
    before = app._panel_timer
    return lambda: app._panel_timer is not before and panels_followed(app)
