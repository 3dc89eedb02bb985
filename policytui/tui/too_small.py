"""Under the smallest terminal the editor can be used in, one centred line says so.

40x12 is the smallest size at which every part of the editor was found usable: the table
keeps its Decision column (with the `*`) and shows four tools, the status line keeps the
policy's part, the limits and conditions forms have a line per field, and every dialog keeps
its buttons in view while the rest scrolls. Below it nothing works: at 20x6 the status line
was cut to ` pol… (new) │`, the OFFLINE banner took every other row and no tool showed; at
15x5 only the footer's `? Help` was left, and a dialog showed its title and nothing else.

Below the minimum a notice covers whatever is open, the editor or a dialog, until the
terminal grows again; what was behind it (unsaved edits, a half-filled dialog, the focus)
is untouched, since nothing there runs or takes keys meanwhile. Only quitting works
(`ctrl+q`, `ctrl+c`); with unsaved changes the notice asks first, with the keys of the
"Unsaved changes" dialog. And saving: ctrl+s writes the policy when nothing needs answering
first (tui/actions_file.py), and the notice says so on a line of its own under its own, where
it shows what the editor said since the notice came (Textual's notices have no room here).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.notifications import Notification
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from policytui.editor.text import one_line

MIN_WIDTH = 40
MIN_HEIGHT = 12

# The unsaved-changes dialog's answers, with its keys; the notice gives the same choice.
QUIT_ANSWERS = {"s": "save", "q": "discard", "escape": "cancel"}
# Keys that quit, which the notice takes at once.
QUIT_KEYS = frozenset(("ctrl+q", "ctrl+c"))


def too_small(size: Size) -> bool:
    return size.width < MIN_WIDTH or size.height < MIN_HEIGHT


def notice_text(size: Size, browser: bool = False) -> str:
    """The longest wording that fits on one line; on the narrowest terminals the shortest,
    wrapped. In a browser (`policytui serve`) the terminal is the window, whose size is not
    counted in characters by its user: it is made larger, or the page zoomed out."""
    needed = f"{MIN_WIDTH}x{MIN_HEIGHT}"
    if browser:
        return fit_line(size.width, [
            f"Window too small: policytui needs {needed} characters · make it larger or zoom "
            "out · ctrl+q quits",
            "Window too small: make it larger or zoom out · ctrl+q quits",
            "Too small: enlarge or zoom out · ctrl+q quits",
        ])
    return fit_line(size.width, [
        f"Terminal too small ({size.width}x{size.height}): policytui needs {needed} · ctrl+q quits",
        f"Terminal too small: needs {needed} · ctrl+q quits",
        f"Too small: needs {needed} · ctrl+q quits",
    ])


def question_text(policy_name: str, width: int, unapplied: str | None = None, can_save: bool = True,
                  keys_pending: bool = False) -> str:
    """The "Unsaved changes" dialog's question on one line. With `unapplied` (an open dialog's
    changes not applied yet, "the conditions for manage_flow") it says, as the dialog does,
    that quitting drops them and how to keep them; without `can_save` (nothing else is
    unsaved) it offers only what the dialog then offers: quitting, dropping them, or going back.
    With `keys_pending` (nothing unsaved yet, but keys typed before ctrl+q still on their way)
    it says, as the dialog does, that those keys may be what quitting loses: "has unsaved
    changes" would name changes the policy does not have."""
    if keys_pending and can_save:
        if unapplied is None:
            return fit_line(width, [
                f"Keys typed before ctrl+q have not reached {policy_name} yet (quitting may leave "
                "what they change unsaved): s save and quit · q quit without saving · esc back",
                "Keys typed before ctrl+q not applied yet (quitting may lose them): s save and "
                "quit · q quit without saving · esc back",
            ])
        return fit_line(width, [
            f"Keys typed before ctrl+q have not reached {policy_name} yet, and the changes to "
            f"{unapplied} in the open dialog are not applied yet (quitting drops them; esc back, "
            "then apply them with ctrl+s): s save and quit · q quit without saving · esc back",
            "Keys typed before ctrl+q, and a dialog's changes, not applied (quitting drops them): "
            "s save and quit · q quit without saving · esc back",
        ])
    if unapplied is None:
        return fit_line(width, [
            f"{policy_name} has unsaved changes: s save and quit · q quit without saving · esc back",
            "Unsaved changes: s save and quit · q quit without saving · esc back",
        ])
    if not can_save:
        return fit_line(width, [
            f"The changes to {unapplied} in the open dialog are not applied yet, and quitting "
            "drops them: q quit, dropping them · esc back, then apply them (ctrl+s) to keep them",
            "A dialog's changes are not applied yet: q quit, dropping them · esc back",
        ])
    return fit_line(width, [
        f"{policy_name} has unsaved changes, and the changes to {unapplied} in the open dialog "
        "are not applied yet (quitting drops them; esc back, then apply them with ctrl+s): "
        "s save and quit · q quit without saving · esc back",
        "Unsaved changes, and a dialog's not applied (quitting drops them): s save and quit · "
        "q quit without saving · esc back",
    ])


def fit_line(width: int, wordings: list[str]) -> str:
    return next((text for text in wordings if len(text) <= width), wordings[-1])


class TooSmallScreen(Screen[None]):
    """The notice: in place of the editor (a whole screen, not a dialog: the editor drawn
    around it at 20x6 was a jumble), takes every key, and goes when there is room."""

    DEFAULT_CSS = """
    TooSmallScreen {
        align: center middle;
    }
    TooSmallScreen #too-small, TooSmallScreen #too-small-said {
        width: 100%;
        height: auto;
        text-align: center;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._answer: Callable[[str], None] | None = None
        self._keys = QUIT_ANSWERS  # the keys that answer the question it asks (`ask_unsaved`)
        # Notices raised from this time (Unix time, as Textual's) are shown on the second line.
        self.shown_since = time.time()

    def compose(self) -> ComposeResult:
        yield Static(Text(notice_text(self.app.size, self.app.is_web)), id="too-small")
        said = Static("", id="too-small-said")
        said.display = False  # the notice alone stays centred as it was until there is news
        yield said

    def show_said(self, notifications: Iterable[Notification]) -> None:
        """The newest notice raised since this came and not yet timed out (a save's "Saved
        policy.json", or why ctrl+s did not save), as plain text under the notice line."""
        said = [n for n in notifications if n.raised_at >= self.shown_since]
        text = one_line(" ".join(said[-1].message.split()), 300) if said else ""
        if self.is_mounted:
            line = self.query_one("#too-small-said", Static)
            line.update(Text(text))
            line.display = bool(text)
        if said:
            # No toast here to time it out: the line is cleared when the notice's time is up
            # (the collection drops timed-out notices as it is read).
            self.set_timer(said[-1].time_left + 0.05, lambda: self.show_said(notifications))

    def _extend_compose(self, widgets: list[Widget]) -> None:
        """Without Textual's rack of notices: drawn here, a notice (the file an earlier editor
        kept, for 20 s) covered the line and the quit question on it. Notices wait for the
        editor, which shows those not yet timed out when the terminal grows."""
        super()._extend_compose(widgets)
        widgets[:] = [widget for widget in widgets if widget.id != "textual-toastrack"]

    def on_resize(self, event: events.Resize) -> None:
        if self._answer is None:
            self.query_one("#too-small", Static).update(Text(notice_text(event.size, self.app.is_web)))

    @property
    def asking(self) -> bool:
        """Whether it shows the unsaved-changes question (quit was asked)."""
        return self._answer is not None

    def answers(self, key: str) -> bool:
        """Whether `key` answers the question it shows (`ask_unsaved`)."""
        return self._answer is not None and key in self._keys

    def ask_unsaved(self, policy_name: str, answer: Callable[[str], None], unapplied: str | None = None,
                    can_save: bool = True, keys_pending: bool = False) -> None:
        """Quit asked with unsaved changes: the question of the "Unsaved changes" dialog, on
        one line, answered with the same keys. Without `can_save` there is no `s`: the dialog
        then has no Save and quit either, since a save would write the policy without what an
        open dialog holds (`unapplied`), and call that saved. With `keys_pending`, what may be
        lost is keys typed before ctrl+q that have not taken effect yet (`question_text`)."""
        self._answer = answer
        self._keys = dict(QUIT_ANSWERS) if can_save else {k: v for k, v in QUIT_ANSWERS.items() if v != "save"}
        self.query_one("#too-small", Static).update(
            Text(question_text(policy_name, self.app.size.width, unapplied, can_save, keys_pending)))

    def on_key(self, event: events.Key) -> None:
        answer = self._answer
        if answer is None or event.key not in self._keys:
            return
        event.stop()
        self._answer = None
        self.query_one("#too-small", Static).update(Text(notice_text(self.app.size, self.app.is_web)))
        answer(self._keys[event.key])


def fit_terminal(app: App[Any], size: Size) -> None:
    """Show the notice when `size` is under the minimum; take it away when it is not."""
    notice = app.screen if isinstance(app.screen, TooSmallScreen) else None
    if too_small(size) and notice is None:
        app.push_screen(TooSmallScreen())
    elif not too_small(size) and notice is not None:
        asking = notice.asking
        app.pop_screen()
        if asking:
            # The quit question it showed goes on as the dialog, not away with the notice (the
            # answer key would then reach the editor: `s` sorted the table).
            app.call_later(app.run_action, "quit")


def answers_notice(app: App[Any], key: str) -> bool:
    """Whether `key` quits from the notice shown now, or answers the question it asks: it goes
    to the notice at once, never held behind keys waiting for the notice to go (which would
    wait for ever while the terminal stays small)."""
    if not notice_shown(app):
        return False
    notice = app.screen
    return key in QUIT_KEYS or (isinstance(notice, TooSmallScreen) and notice.answers(key))


def notice_shown(app: App[Any]) -> bool:
    # No screen at all once the app has closed its screens on the way out, where what was
    # queued before the quit (a check of held keys) still runs: no notice either.
    return bool(app.screen_stack) and isinstance(app.screen, TooSmallScreen)
