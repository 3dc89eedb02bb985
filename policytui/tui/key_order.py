"""Keys take effect in the order they were typed, however fast they come: `KeyOrder`.

Textual hands a key to the focused widget and runs its binding when the key comes back up to
the app; what a binding does often happens a message or more later. Keys typed in one burst
therefore overtook one another wherever the focus or the screen changed in between:

- a dialog (`l` limits, `c` conditions, ...) composes, mounts and takes its focus in later turns
  of the event loop: `l50` lost the 5 and the 0 (`opening`);
- ctrl+s applied a dialog before a tick by Space or a limit added by Enter ahead of it had taken
  effect, and the keys behind belong to the editor beneath, not to the dialog on its way out
  (`closing`, `settle`; `DialogScreen.settle_then`);
- in a dialog a widget, or the dialog itself, may act on a key where the key reaches it (a
  question's `y`, a character typed into the palette's search), a binding only once the key
  is back up at the app: Enter on the quit question's Save and quit with a `q` right behind
  quit without saving. Each key handed to a dialog holds the keys behind it until it has been
  up and what it started is done (`sent`);
- ctrl+q and ctrl+p are priority bindings, run as they arrive, ahead of the keys typed before
  them: `a ctrl+q` quit without asking about the `a` (`after_keys_ahead`);
- Esc and a letter read together arrive as Alt+letter, and Esc and a control key (Enter,
  ctrl+s) as that key alone (tui/escape_keys.py splits them);
- the table shows its rows a fraction of a second before the policy is read (`waiting_for_policy`):
  `a` typed then did nothing, and the keys behind it went on without it.

Held keys are handed to the app again one at a time, in the order they were typed: those that
arrived from the terminal meanwhile (`take`, before the app forwards them), after those that had
been forwarded earlier and came back to the app unused (`take_back`). No key is held longer than
`LONGEST_WAIT` while the editor shows, so it never stops answering; while the terminal is too
small to use, held keys wait for the too-small notice to go (it would drop them), and ctrl+q
quits from it at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import App, ScreenStackError, UnknownModeError
from textual.screen import ModalScreen, Screen

from policytui.tui.too_small import answers_notice, notice_shown

# The longest keys wait for one dialog, or for the messages of a key ahead (`settle`), before
# they go on regardless. A dialog's first opening imports its module and parses the dialogs'
# stylesheet: on a busy machine that took more than half a second. Only a dialog that never
# mounts (or never closes), or a message the ending editor never handles, is waited for this long.
LONGEST_WAIT = 5.0
# How often held keys check whether the dialog is ready.
POLL_SECONDS = 0.005
# How often held keys check whether the too-small notice has gone.
NOTICE_POLL_SECONDS = 0.05
# Keys that need no policy: moves in the table (which works before the policy is read) and
# quitting. They go at once, unless a key typed before them is held (`a ctrl+q` asks about
# the `a` once it has taken effect).
NEED_NO_POLICY = frozenset(("up", "down", "left", "right", "pageup", "pagedown", "home", "end",
                            "j", "k", "g", "G", "ctrl+q", "ctrl+c"))


def _again(event: events.Key | events.Paste) -> events.Key | events.Paste:
    """A new event for a held one: a message is handled once, and this one was (or was sent on)."""
    if isinstance(event, events.Key):
        return events.Key(event.key, event.character)
    return events.Paste(event.text)


def _bubble_path(widget: Any) -> Any:
    """The widget, then each of its parents up to its screen: the way its messages bubble."""
    node = widget
    while node is not None:
        yield node
        if isinstance(node, Screen):
            return
        node = node.parent


class KeyOrder:
    """The keys held for the app `app` until what was typed before them has taken effect."""

    def __init__(self, app: App[Any], forward: Any) -> None:
        # `forward(event)`: the app's own handling of a key from the terminal (Textual's
        # `App.on_event`), which sends it to the focused widget.
        self.app = app
        self.forward = forward
        self.dialog: Screen[Any] | None = None
        self.closing_dialog = False  # waiting for `dialog` to be gone, not to be mounted
        self.deadline = 0.0
        self.early: list[events.Key | events.Paste] = []
        self.held: list[events.Key | events.Paste] = []
        # A check of the dialog is pending (a timer or the release behind it).
        self.waiting = False
        # Priority keys whose action waits for the keys typed before them (`after_keys_ahead`),
        # a token each with when it started.
        self.ahead: dict[object, float] = {}
        # The held key handed on last, which comes back to the app as any key does.
        self.released: events.Key | events.Paste | None = None
        # Keys whose messages (`settle`) are still on their way up: a token each, with when it
        # started, until the last step of its chain has run (or, at the latest, LONGEST_WAIT).
        self.settling: dict[object, float] = {}
        # The rows are on screen and the policy is being read (`waiting_for_policy`); keys
        # held for it wait at most until `policy_deadline`.
        self.policy_pending = False
        self.policy_deadline = 0.0

    def waiting_for_policy(self) -> None:
        """The rows show before the policy is read: keys other than moves wait for it."""
        self.policy_pending = True
        self.policy_deadline = 0.0  # set by the first key held for it

    def policy_read(self, *, keep_keys: bool) -> None:
        """The policy is read (`keep_keys`) or could not be: keys typed for the editor go on,
        or are dropped (a failure asks in a dialog, and an `r` typed for a rate limit must not
        answer it)."""
        if not self.policy_pending:
            return
        self.policy_pending = False
        if not keep_keys:
            self.held.clear()
            self.early.clear()
        self._arm()

    def _waiting_for_policy(self) -> bool:
        return self.policy_pending and time.monotonic() < self.policy_deadline

    def opening(self, dialog: Screen[Any]) -> None:
        """`dialog` was just pushed: hold the keys behind it until it has its focus."""
        self._wait_for(dialog, closing=False)

    def closing(self, dialog: Screen[Any]) -> None:
        """`dialog` is about to close: hold the keys behind it until it is gone."""
        self._wait_for(dialog, closing=True)

    def settle(self, widget: Any, then: Callable[[], Any] | None = None, *, hold: bool = True,
               late: Callable[[], Any] | None = None) -> None:
        """Hold the keys behind the one being handled until the messages it makes `widget` send
        (a button's Pressed, an input's Submitted, a list's OptionSelected) have been handled
        all the way up to its screen, then run `then` if given: Enter on a dialog's Apply
        closes it, and a ctrl+s typed right behind must find the editor (which saves), not the
        dialog (which applied again).

        The first step is queued on the app, so it runs once the key's binding has run and
        sent its messages; each next one on the widget, then on each of its parents, behind
        whatever each had queued, and the last on the app again, where a key sent on to
        `widget` comes back up and its binding runs. The wait ends when the last step has run,
        however long the messages ahead of the steps take: a loaded core took 0.76 s over
        them, and a fixed 0.2 s let `a ctrl+q` quit before the `a` had reached the editor.
        No step is lost on the way: a widget no longer shown is passed over, one that refuses
        the step (closing) too, and one that closes after taking it handles every message it
        was given before its queue ends (Textual closes a queue behind what it holds). Only a
        step that never runs (the editor ending meanwhile) lets the keys go, after
        `LONGEST_WAIT`, as a dialog that never opens does.

        Without `hold` only `then` waits: for a priority key (ctrl+q), handled as it arrives,
        the keys coming back to the app meanwhile were typed before it and must go on. With
        `late`, that runs instead of `then` when the wait ran out before the last step.
        """
        token = object()
        started = {token: time.monotonic()}
        if hold:
            self.settling[token] = started[token]
        chain = [self.app, *_bubble_path(widget), self.app]

        def finish(*, by_backstop: bool = False) -> None:
            if started.pop(token, None) is None:
                return  # finished already (the chain, or the backstop below)
            if not by_backstop:
                backstop.stop()  # one per key typed in a dialog: none left waiting for nothing
            self.settling.pop(token, None)
            if by_backstop and late is not None:
                late()
            elif then is not None:
                then()
            self._arm()

        def step(at: int) -> None:
            while at < len(chain):
                target = chain[at]
                # A widget of a dialog that has closed (Esc, Apply) handles nothing more: the
                # step goes on past it, as its messages went nowhere.
                if (target is self.app or self._still_shown(target)) and target.call_later(step, at + 1):
                    return
                at += 1
            finish()

        backstop = self.app.set_timer(LONGEST_WAIT, lambda: finish(by_backstop=True))
        step(0)

    def after_keys_ahead(self, action: Callable[[], Any], late: Callable[[], Any] | None = None) -> None:
        """Run a priority key's `action` (ctrl+q, ctrl+p) once the keys typed before it have
        done what they do, and hold the keys typed after it until then.

        A priority binding runs as its key arrives, ahead of the keys typed before it that are
        still on their way to the table or a dialog: `a ctrl+q` quit without asking about the
        `a`, and `a ctrl+p` typed the `a` into the palette's search. With `late`, that runs
        instead of `action` when the keys ahead had still not done so after `LONGEST_WAIT`.
        """
        token = object()
        self.ahead[token] = time.monotonic()

        def done(in_time: bool = True) -> None:
            if self.ahead.pop(token, None) is None:
                return
            try:
                (action if in_time or late is None else late)()
            finally:
                self._arm()

        self.settle(self._key_target(), lambda: self.when_idle(done, late=lambda: done(False)),
                    hold=False, late=lambda: done(False))

    def after_keys_so_far(self, then: Callable[[], Any]) -> None:
        """Run `then` once every key received so far has done what it does, held keys and
        dialogs opening or closing included; never, if that is not so within `LONGEST_WAIT`.
        Nothing is held meanwhile (the browser page's count of keys its editor has applied:
        tui/base.py `on_input_mark`)."""
        deadline = time.monotonic() + LONGEST_WAIT

        def check() -> None:
            busy = (self.dialog is not None or self.early or self.held or self._still_settling()
                    or self._waiting_ahead())
            if not busy:
                then()
            elif time.monotonic() < deadline:
                self.app.set_timer(POLL_SECONDS, check)

        try:
            widget = self._key_target()
        except ScreenStackError:  # no screen yet, or none left on the way out
            return
        self.settle(widget, check, hold=False, late=lambda: None)

    def _key_target(self) -> Any:
        """Where the keys typed so far went: the focused widget, or the screen. Under the
        too-small notice, which takes no key on its way anywhere, the widget beneath it: an
        `a` still on its way to the table as the notice came is there, and ctrl+q's wait
        looked at the notice and quit without asking about it."""
        if notice_shown(self.app) and len(self.app.screen_stack) > 1:
            beneath = self.app.screen_stack[-2]
            return beneath.focused or beneath
        return self.app.focused or self.app.screen

    def _waiting_ahead(self) -> bool:
        now = time.monotonic()
        return any(now - started < LONGEST_WAIT for started in self.ahead.values())

    def when_idle(self, then: Callable[[], Any], late: Callable[[], Any] | None = None) -> None:
        """Run `then` once no key is held or on its way through a dialog (at most after
        `LONGEST_WAIT`): quitting asks about unsaved changes only once the keys typed before
        ctrl+q have done what they do (a limit applied by the ctrl+s ahead of it). With `late`,
        that runs instead of `then` when they were still busy after `LONGEST_WAIT`."""
        deadline = time.monotonic() + LONGEST_WAIT

        def check() -> None:
            # Not the keys held from the terminal: they were typed after, and wait for `then`.
            busy = self.dialog is not None or self.early or self._still_settling()
            if busy and time.monotonic() < deadline:
                self.app.set_timer(POLL_SECONDS, check)
                return
            (late if busy and late is not None else then)()

        check()

    def _still_shown(self, widget: Any) -> bool:
        try:
            screen = widget if isinstance(widget, Screen) else widget.screen
        except Exception:  # noqa: BLE001  # removed from its screen already
            return False
        return bool(widget.is_attached) and screen in self.app.screen_stack

    def stays_open(self, dialog: Screen[Any]) -> None:
        """`dialog` was to close but did not: the keys held for it go on now."""
        if self.dialog is dialog and self.closing_dialog:
            self.deadline = 0.0

    def _wait_for(self, dialog: Screen[Any], *, closing: bool) -> None:
        self.dialog = dialog
        self.closing_dialog = closing
        self.deadline = time.monotonic() + LONGEST_WAIT
        self._arm()

    def _arm(self) -> None:
        """Make sure a check for releasing the held keys is on its way."""
        if not self.waiting:
            self.waiting = True
            # The first check at once, behind what the app has queued (then every
            # POLL_SECONDS): in a dialog each key of a burst waits for the one before (`sent`),
            # and a first wait of POLL_SECONDS each made 40 keys typed into a field take 0.4 s.
            self.app.call_later(self._release_when_ready)

    def _still_settling(self) -> bool:
        # A chain whose backstop has not fired yet, on an event loop too busy to run timers,
        # still lets the keys go after LONGEST_WAIT.
        now = time.monotonic()
        return any(now - started < LONGEST_WAIT for started in self.settling.values())

    def take(self, event: events.Event) -> bool:
        """Hold a key or paste from the terminal while a dialog opens or closes, or while keys
        typed before it are still held. True when held (the caller then does nothing more)."""
        if not isinstance(event, (events.Key, events.Paste)) or event.is_forwarded:
            return False
        if isinstance(event, events.Key) and answers_notice(self.app, event.key):
            # Quitting from the too-small notice, or answering the quit question it asks, ahead
            # of keys waiting for it to go: held behind them, `q` never answered the question.
            return False
        if (self.policy_pending and not self.held and not self.early
                and not (isinstance(event, events.Key) and event.key in NEED_NO_POLICY)):
            # The first key held for the policy starts the wait for it.
            self.policy_deadline = time.monotonic() + LONGEST_WAIT
        elif (self.dialog is None and not self._still_settling() and not self._waiting_ahead()
                and not self.held and not self.early):
            return False
        self.held.append(_again(event))
        self._arm()
        return True

    def sent(self, event: events.Event) -> bool:
        """`event`, a key or paste from the terminal, was just handed to the focused widget.

        In a dialog (the palette and the questions too) the keys behind it wait until it has
        come back up to the app, or was used on its way, and what its binding started there is
        done (`settle`), as typed slowly. A dialog's widget or the dialog itself may act on a
        key where the key reaches it (a question's `y`, a character typed into the palette's
        search), while a key's binding runs only once the key is back at the app: keys read
        together overtook one another. Enter on the quit question's Save and quit with a `q`
        behind quit without saving; Enter on the export question's Cancel with a `y` behind
        replaced the file; Enter in the palette with a `d` behind typed the `d` into the
        closing palette's search, and the editor never saw it. The editor's own screen needs
        no wait: its table and inputs send every key straight up to the app (tui/inputs.py).
        """
        if not isinstance(event, (events.Key, events.Paste)) or not event.is_forwarded or self._closed():
            return False  # not handed on (a priority key's binding took it), or nowhere to go
        screen = self.app.screen
        if not isinstance(screen, ModalScreen) or notice_shown(self.app):
            return False
        self.released = event  # back at the app, it goes on: the wait is for the keys behind
        self.settle(self.app.focused or screen)
        return True

    def take_all(self, keys: list[events.Key]) -> None:
        """Handle `keys` as typed in this order, one at a time, behind any keys held now."""
        if self.policy_pending and not self.held and not self.early:
            # Esc and a letter read as one key (`escape_then_key`) while the policy is read:
            # the letter waits for it, as typed alone (the `a` of `Esc a` did nothing).
            self.policy_deadline = time.monotonic() + LONGEST_WAIT
        self.held.extend(keys)
        self._arm()

    def take_back(self, event: events.Key | events.Paste) -> bool:
        """Hold a key that reached the app unused, after its trip to the widget it was sent to,
        while a dialog opens or closes (it would find no field focused, or the wrong one)."""
        if event is self.released:
            self.released = None
            return False  # on its way after being held: it goes on
        if self.dialog is None and not self._still_settling():
            return False
        event.stop()
        event.prevent_default()
        self.early.append(_again(event))
        self._arm()
        return True

    def _ready(self) -> bool:
        dialog = self.dialog
        if self._still_settling() or self._waiting_for_policy():
            return False
        if notice_shown(self.app):
            # The terminal is too small to use: held keys wait until the editor (or the dialog
            # they are for) shows again; the notice would drop them (`l50` typed as the policy
            # was read, with the window shrinking then, lost the dialog and its limit).
            return False
        if dialog is None or time.monotonic() >= self.deadline:
            return True
        if self.closing_dialog:
            return dialog not in self.app.screen_stack
        if self.app.screen is not dialog:
            # Closed already: the keys go on. Under the too-small notice (the terminal shrank
            # as it opened), it waits to be shown again, as the keys for it do.
            return dialog not in self.app.screen_stack
        # Mounted: its `on_mount` has run, and the focus it gave (Textual focuses later, by a
        # callback on the app) is queued on the app. Focused alone says nothing: Textual first
        # focuses the first widget it finds (a dialog's tabs), then the field the dialog names.
        return dialog.is_mounted

    def _closed(self) -> bool:
        """The app has no screen left: it is closing, and a check armed before (a timer fires
        until the app has stopped) has no screen to read and nothing to hand the keys to."""
        try:
            self.app.screen  # noqa: B018 - raises once the app has no screen
        except (ScreenStackError, UnknownModeError):
            return True
        return False

    async def _release_when_ready(self) -> None:
        if self._closed():
            # The editor is closing (its screens are gone, what was queued before still runs):
            # the held keys have nowhere to go.
            self.waiting = False
            return
        if not self._ready():
            # Under the too-small notice, for as long as the terminal stays small: less often.
            self.app.set_timer(NOTICE_POLL_SECONDS if notice_shown(self.app) else POLL_SECONDS,
                               self._release_when_ready)
            return
        # Behind whatever the app has queued by now: the focus the dialog gives (or, once it
        # is gone, gives back to the editor) comes first.
        self.app.call_later(self._release, self.dialog, self.closing_dialog)

    async def _release(self, dialog: Screen[Any] | None, closing: bool) -> None:
        if self._closed():
            self.waiting = False  # the editor is closing, as in `_release_when_ready`
            return
        if (self.dialog is not dialog or self.closing_dialog != closing or not self._ready()):
            # Another dialog opened (or this one started closing), or the too-small notice
            # came over it, meanwhile: wait for that.
            self.app.set_timer(POLL_SECONDS, self._release_when_ready)
            return
        self.waiting = False
        self.dialog = None
        # One key at a time: the next waits until this one has reached the app and done what
        # it does (`settle`), as it would typed slowly. Handed on all at once, a priority key
        # behind (ctrl+q) ran before the edit ahead of it had reached the table, and quit
        # without asking about it. The keys typed behind a priority key wait for its action
        # (`after_keys_ahead`); those that came back from ahead of it go on.
        if self.early:
            first = self.early.pop(0)
        elif self.held and not self._waiting_ahead():
            first = self.held.pop(0)
        else:
            return
        self.released = first
        await self.forward(first)
        if self.dialog is None and self.sent(first):
            return  # in a dialog: the keys typed after it, held or not, wait for it
        if self.early or self.held:
            if self.dialog is None:
                self.settle(self.app.focused or self.app.screen)
            else:  # it opened a dialog at once (ctrl+q asks first): the rest wait for that
                self._arm()
