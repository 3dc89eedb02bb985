"""Small modal dialogs: a question with a few answers, and a read-only message."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.console import RenderableType
from rich.text import Text
from textual import events
from textual._context import NoActiveAppError
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Button, Static

# Rows of buttons that stack one per line when their buttons do not fit side by side.
BUTTON_ROWS = "#dialog-buttons, .limit-buttons, .cond-buttons"


@dataclass(frozen=True)
class Choice:
    """One answer: `value` is returned, `key` answers it from the keyboard. `does` says what
    it does in the command palette, where the words a person types for it find it
    ("discard" finds Quit without saving); without it the palette says which question it
    answers."""

    value: str
    label: str
    key: str = ""
    variant: str = "default"
    does: str = ""


ResultType = TypeVar("ResultType")


class DialogScreen(ModalScreen[ResultType]):
    """Every policytui dialog: centred over a dimmed editor, styled by dialogs.tcss.

    The dialogs' stylesheet loads when the first one opens, so parsing it never delays the
    editor's first frame.
    """

    CSS_PATH = "dialogs.tcss"
    # ctrl+c over a dialog quits as it does over the editor (as ctrl+q): a modal screen keeps
    # the editor's own bindings from the keys, and only ctrl+q, a priority binding, got
    # through, so ctrl+c did nothing in any dialog (the server's failure included). It
    # replaces Textual's ctrl+c on a screen, which copies the selected text: so does this.
    # ctrl+s, in a dialog that has no ctrl+s of its own (a question, the help, the pins), says
    # how to save: it did nothing, for the same reason.
    BINDINGS = [Binding("ctrl+c", "interrupt", show=False, id="dialog.interrupt"),
                Binding("ctrl+s", "how_to_save", show=False, id="dialog.save")]
    # Under 80 columns the forms stack their fields (side by side at 60, the conditions form
    # wrapped "needs approval if" over three lines and cut its value's hint); under 20 rows
    # the lists and messages inside a dialog stop scrolling on their own and the whole
    # dialog scrolls instead.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-roomy")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (20, "-tall")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Notices raised before this (Unix time, as Textual's) are not drawn over it (tui/base.py).
        self.opened_at = time.time()
        # The size classes for the terminal as it is, before the first styles and layout.
        # Textual sets them on the screen's first Resize, which comes after its first layout
        # and frame: each dialog opened under 80 columns was drawn once side by side ("max
        # callsper counter (shared byscope"), for as long as that message waited (a second
        # and more on a busy machine). Each later Resize sets them again as Textual does.
        try:
            size = self.app.size
        except NoActiveAppError:  # made outside a running app: the first Resize sets them
            return
        self.update_classes(self._size_classes(size), update=False)

    def _size_classes(self, size: Size) -> dict[str, bool]:
        """Each breakpoint class, and whether a screen of `size` has it, chosen by Textual's own
        rule (`_get_breakpoint_classes`, which its Resize handler uses)."""
        horizontal, vertical = self.HORIZONTAL_BREAKPOINTS or [], self.VERTICAL_BREAKPOINTS or []
        chosen = (self._get_breakpoint_classes(size.width, horizontal)
                  | self._get_breakpoint_classes(size.height, vertical))
        return {name: name in chosen for _, name in horizontal + vertical}

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Mount) and (getattr(self, "_pruning", False) or not self.children):
            # The editor is ending (or the dialog already closing) as the dialog opens: its
            # widgets are gone already, or were never mounted, so each dialog's `on_mount`,
            # which looks up the field it focuses, would fail (a traceback as the editor
            # quits). Nothing of the dialog will be shown, so nothing of it is set up.
            return
        await super().on_event(event)

    def on_mount(self) -> None:
        self.call_after_refresh(self.fit_buttons)

    def dismiss(self, result: ResultType | None = None) -> AwaitComplete:
        """Close the dialog with `result`, only while it is the screen on top; else nothing.

        Textual's dismiss runs the result callback and then closes whatever screen is on top.
        An answer still on its way when the dialog closed (a button's press behind a key's
        answer) or when another screen came over it (the notice of a terminal made too small,
        the command palette) closed that screen instead: the notice went while the terminal
        was too small, with the question left open and answered already, and a second answer
        then failed with a traceback. A dialog that is covered takes no answer at all: it was
        given before the cover came or is meant for the screen on top, and the dialog waits
        unanswered until it is on top again and answered there (fail closed: nothing it would
        do is done unseen). A caller that means to answer a covered dialog closes what covers
        it first (ctrl+q's `action_quit`, `_answer_under_notice`).
        """
        stack = self.app.screen_stack
        if not stack or stack[-1] is not self:
            return AwaitComplete.nothing()
        return super().dismiss(result)

    async def action_interrupt(self) -> None:
        """ctrl+c: copy the text selected in the dialog, else the editor's ctrl+c (quit as
        ctrl+q does in a terminal, Textual's hint on how to quit in a browser). An input with
        text selected copies it before this, as anywhere."""
        if self.get_selected_text() is not None:
            self.action_copy_text()
            return
        await self.app.run_action("interrupt")

    def unapplied(self) -> str | None:
        """What the dialog holds that its user changed and it has not applied ("the conditions
        for manage_flow"), or None. A dialog that edits the policy says so while its fields or
        lists differ from what it opened with: the browser's page then asks before a reload or
        a close ends the editor, and ctrl+q asks before it quits, as for unsaved edits."""
        return None

    def unapplied_may_have_changed(self) -> None:
        """A field or list of the dialog changed: the editor tells the page once it has settled."""
        told = getattr(self.app, "tell_the_page_unsaved", None)
        if told is not None:
            self.app.call_after_refresh(told)

    def on_input_changed(self) -> None:
        self.unapplied_may_have_changed()

    def on_select_changed(self) -> None:
        self.unapplied_may_have_changed()

    def on_unmount(self) -> None:
        self.unapplied_may_have_changed()  # closed: what it held is applied or dropped

    def action_how_to_save(self) -> None:
        say = getattr(self.app, "say_how_to_save", None)
        if say is not None:
            say(self)

    def settle_then(self, apply: Callable[[], None]) -> None:
        """Run `apply` (ctrl+s, or the Apply button) once the keys typed before it have done all
        they started, and hold the keys typed after it until the dialog is gone.

        A tick by Space (a selection list toggles on a message it sends itself) or a limit
        added by Enter (an input's Submitted message bubbles up to its form) takes effect a
        message or more after its key: a ctrl+s typed right behind applied the dialog without
        it. A callback queued on the focused widget, then on each of its parents up to this
        screen, runs behind every message each of them had queued, so behind all that those
        messages passed on up.
        """
        keys = getattr(self.app, "key_order", None)

        def then() -> None:
            apply()
            if keys is not None and self.is_attached and self in self.app.screen_stack:
                keys.stays_open(self)  # it did not close (nothing to apply): the keys go on

        if keys is None:
            apply()
            return
        keys.closing(self)
        keys.settle(self.focused or self, then)

    def on_resize(self) -> None:
        self.call_after_refresh(self.fit_buttons)
        self.call_after_refresh(place_notices, self)

    def fit_buttons(self) -> None:
        """Stack a row's buttons one per line when they do not fit side by side.

        Measured, not a breakpoint: whether "Save and quit [s]  Quit without saving [q]
        Cancel [esc]" fits depends on the labels, and at 60 columns it did not (the last
        button was cut to "Cancel [e"). A button's natural width never depends on the row's
        layout, so stacking cannot undo itself.
        """
        for row in self.query(BUTTON_ROWS):
            room = row.content_size.width
            buttons = [child for child in row.children if isinstance(child, Button) and child.display]
            if room <= 0 or not buttons or row.has_class("-stacked"):
                continue
            needed = sum(natural_width(button, self.size) for button in buttons)
            needed -= buttons[-1].styles.margin.right  # the last one's margin may overhang
            row.set_class(needed > room, "-wrapped")


class DialogFrame(VerticalScroll, can_focus=False):
    """A dialog's box: it scrolls when the terminal is too short for what it holds, while its
    row of buttons, docked at its foot (dialogs.tcss), stays in view.

    Not focusable itself: the focus stays on the dialog's fields, and the scroll keys (arrows,
    Page Up/Down, Home/End) a field does not use reach it from there.
    """

    def on_resize(self) -> None:
        # A box that grew (a limit added) must not grow under the notices beside it.
        self.call_after_refresh(place_notices, self.screen)


def place_notices(screen: Any) -> None:
    """Lay the notices out beside `screen`'s box again, while it is the dialog on top."""
    app = screen.app
    place = getattr(app, "place_notices", None)  # the editor's app; a bare one has none
    if place is not None and app.screen_stack and app.screen_stack[-1] is screen:
        place()


class DialogButtons(Horizontal):
    """A dialog's row of buttons, docked at its foot, and last in the Tab order.

    Textual orders the focus by where widgets sit in their container's content, and a docked
    row sits at the bottom of the view: in a dialog scrolled on a short terminal that is
    above the fields further down, and Tab jumped from the value field to Apply, past Add.
    """

    @property
    def _focus_sort_key(self) -> tuple[int, int]:
        return (sys.maxsize, 0)


def natural_width(button: Button, screen: Size) -> int:
    """Columns a button takes side by side: its label and padding (or its minimum width)
    plus its margins."""
    width = button.get_content_width(screen, screen) + button.styles.gutter.width
    if button.styles.min_width is not None:
        width = max(width, int(button.styles.min_width.resolve(screen, screen)))
    return width + button.styles.margin.width


class ChoiceScreen(DialogScreen[str]):
    """A question, an optional detail (never parsed as markup), and buttons. Escape = `cancel`."""

    BINDINGS = [Binding("escape", "answer('cancel')", "Cancel", id="dialog.cancel",
                        tooltip="Close the dialog without an answer")]
    # No first focusable widget is focused as the dialog opens: that was the detail's list,
    # which Textual then scrolled to the middle of a dialog taller than the window (20 lines
    # or fewer), so the question ("Allow by default?") and its message opened above the top.
    # on_mount focuses the answer Enter gives, and the docked buttons are in view at any height.
    AUTO_FOCUS = ""

    def __init__(
        self,
        title: str,
        message: str,
        choices: list[Choice],
        *,
        detail: RenderableType | None = None,
        cancel: str = "cancel",
        id: str | None = None,
        detail_at_end: bool = False,
    ) -> None:
        super().__init__(id=id)
        self.title_text = title
        self.message = message
        self.choices = choices
        self.detail = detail
        self.cancel = cancel
        self.detail_at_end = detail_at_end
        self._answered_by_key = False

    def compose(self) -> ComposeResult:
        with DialogFrame(id="dialog", classes="dialog"):
            yield Static(Text(self.title_text, style="bold"), id="dialog-title")
            yield Static(Text(self.message), id="dialog-message")
            if self.detail is not None:
                with VerticalScroll(id="dialog-detail"):
                    yield Static(self.detail)
            # Many answers stack one per line so none falls off an 80-column screen. They are
            # the dialog's content then, and scroll with it; a few stay docked in view.
            stacked = len(self.choices) > 4
            with DialogButtons(id="dialog-buttons", classes="-stacked" if stacked else ""):
                for choice in self.choices:
                    key = "esc" if choice.key == "escape" else choice.key
                    if stacked:
                        label = f"{key:>3}  {choice.label}" if key else choice.label
                    else:
                        label = f"{choice.label} [{key}]" if key else choice.label
                    yield Button(
                        Text(label), id=f"choice-{choice.value}", variant=choice.variant  # type: ignore[arg-type]
                    )

    def on_mount(self) -> None:
        compact_all(self)
        if self.detail_at_end:
            # A server's stderr tail: the last line is usually the reason it died.
            # Anchored, it stays at the end once the wrapped lines are laid out, until the
            # user scrolls it (a scroll to the end at mount would use the height from before
            # the layout and stop in the middle).
            for scroll in self.query("#dialog-detail"):
                scroll.anchor()
                scroll.call_after_refresh(scroll.scroll_end, animate=False)
        first = self._answer_for_enter()
        if first is not None:
            self.query_one(f"#choice-{first}", Button).focus()

    def _answer_for_enter(self) -> str | None:
        """The answer whose button has the focus as the dialog opens, which Enter gives: the
        one the dialog recommends (variant primary: Retry, Keep denied, Save and quit), else
        its way out (Keep deny, Cancel). Never merely the first listed, which is often the one
        that opens the most (Allow by default, a bulk Allow of every tool shown, a preset that
        replaces every rule, the category Read): a security tool fails closed, and a stray
        Enter must not widen the policy."""
        values = [choice.value for choice in self.choices]
        recommended = [choice.value for choice in self.choices if choice.variant == "primary"]
        if recommended:
            return recommended[0]
        if self.cancel in values:
            return self.cancel
        return values[0] if values else None

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        for choice in self.choices:
            if choice.key and event.key == choice.key:
                event.stop()
                # Answered on the app's queue, not here. A key reaches this screen on its way
                # up to the app, where its binding is looked up on the screen on top *then*:
                # a ctrl+s typed to the export question just before its `y` was still on its
                # way when `y` closed the question, found the export dialog on top, and asked
                # again about the file just written. Queued on the app, the answer comes
                # behind every key typed before it, which this screen has passed up already.
                self.app.call_later(self._answer_by_key, choice.value)
                return

    def _answer_by_key(self, value: str) -> None:
        if self._answered_by_key or self.app.screen is not self:
            return  # answered already (a key typed twice), or closed meanwhile
        self._answered_by_key = True
        keys = getattr(self.app, "key_order", None)
        if keys is not None:
            # The keys typed after the answer go to the screen beneath, once this is gone.
            keys.closing(self)
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def action_answer(self, value: str) -> None:
        self.dismiss(self.cancel if value == "cancel" else value)


def tail_text(text: str, lines: int = 12) -> Text:
    """The last lines of a server's stderr, escape characters made visible."""
    from policytui.editor import visible

    kept = text.rstrip().splitlines()[-lines:]
    return Text(visible("\n".join(kept), keep_newlines=True), style="dim")


def compact_all(screen: ModalScreen) -> None:  # type: ignore[type-arg]
    """Borderless inputs, selects and buttons, so editors fit an 80x24 terminal."""
    for widget in screen.query("Input, Select, Button, OptionList, SelectionList, Checkbox"):
        widget.compact = True  # type: ignore[attr-defined]
