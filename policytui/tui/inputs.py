"""Text inputs whose keys take effect in the order they were typed, however fast they come.

Textual's `Input` inserts a typed character the moment the key reaches it, but every other
key it knows (ctrl+u, backspace, the arrows, Enter) is a binding, and bindings run only once
the key has travelled up to the app. Keys that arrive in one burst (a fast typist, a paste
of keystrokes, a busy editor catching up) were therefore applied out of order: in the filter,
`ctrl+u search_logs Enter` inserted the name first, then ctrl+u deleted it and Enter applied an
empty filter, leaving the first tool of the table selected for the next key.

`TextInput` takes no key as it arrives. Each key goes up through its screen to the app, as a
table's keys do, and the app handles the keys in the order they came: a character is typed
into the input that has the focus when the character gets there (`type_into_focused`), and a
binding runs against the focus at that moment. A key that moves the focus (Enter in the
filter, Esc, Tab) therefore sends the keys behind it where the focus went, never into the
input it left. Pasted text takes the same way, so it too lands between the keys around it.
"""

from __future__ import annotations

import json
from typing import Any

from textual import events
from textual.app import App
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input
from textual.widgets.input import Selection


def keys_through_screen(widget: Widget, message: Message) -> bool:
    """Send a key or a paste that the app forwards to `widget` straight to its screen, from
    which it goes up to the app. True when sent that way.

    Every widget the editor's keys go to while typing (the table, the text inputs) does this, so
    that all keys take one way, as long as each other, and reach the app in the order they were
    typed, whichever of them had the focus when a key arrived.
    """
    if not isinstance(message, (events.Key, events.Paste)):
        return False
    try:
        screen = widget.screen
    except Exception:  # not mounted (any more): the key goes nowhere
        return True
    screen.post_message(message)
    return True


class TextInput(Input):
    """An `Input` whose keys and pastes are applied by the app, in the order they came."""

    def __init__(self, *args: Any, select_on_focus: bool = True, takes_json: bool = False,
                 **kwargs: Any) -> None:
        # Textual selects the text when the Focus event is handled, which comes after any
        # characters the app typed meanwhile: they would be selected and replaced by the next
        # one. The selection is made here instead, by whichever comes first.
        super().__init__(*args, select_on_focus=False, **kwargs)
        self.select_all_on_focus = select_on_focus
        self.takes_json = takes_json
        self._focus_taken = False

    def pasted_line(self, text: str) -> str:
        """The one line a paste of `text` types into this input.

        An input holds one line, so a paste is cut at its first line break. JSON copied from a
        document or a log is usually pretty-printed over many lines, and its first line alone
        (`{`) is not what was meant: in an input that takes JSON, pasted text that is JSON as a
        whole is typed whole, its line breaks (legal there only between values) as spaces.
        """
        lines = text.splitlines()
        if len(lines) > 1 and self.takes_json:
            try:
                json.loads(text)
            except ValueError:
                pass
            else:
                return " ".join(lines)
        return lines[0] if lines else ""

    def post_message(self, message: Message) -> bool:
        return keys_through_screen(self, message) or super().post_message(message)

    def _take_focus(self, from_app_focus: bool = False) -> None:
        if self._focus_taken:
            return
        self._focus_taken = True
        if self.select_all_on_focus and not from_app_focus:
            self.selection = Selection(0, len(self.value))

    def _on_focus(self, event: events.Focus) -> None:
        self._take_focus(event.from_app_focus)

    def _on_blur(self, event: events.Blur) -> None:
        self._focus_taken = False

    def type_text(self, text: str) -> None:
        """Type `text` at the cursor, replacing the selection (as a key or a paste does)."""
        self._take_focus()
        self._restart_blink()
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *selection)


def type_into_focused(app: App[Any], event: events.Key | events.Paste) -> bool:
    """Type a printable key's character, or a paste's line (`TextInput.pasted_line`), into the
    focused TextInput.

    Called by the app's key and paste handlers, before the bindings: a character typed into an
    input is text, never the editor's key of the same letter. True when it was typed.
    """
    focused = app.focused
    if not isinstance(focused, TextInput):
        return False
    if isinstance(event, events.Key):
        if not event.is_printable or event.character is None:
            return False
        text = event.character
    else:
        text = focused.pasted_line(event.text)
        if _lines_left_out(event.text, text):
            # Cut silently, a pasted command or list looked typed whole while most of it was
            # gone; a filter or a reason then said less than the user believed.
            app.notify("This field holds one line: pasted its first line only.",
                       severity="warning")
    event.stop()
    event.prevent_default()
    if text:
        focused.type_text(text)
    return True


def _lines_left_out(pasted: str, typed: str) -> bool:
    """True when a paste had text on lines after the one typed (a line break at its end, or
    blank lines, leave nothing out)."""
    lines = pasted.splitlines()
    return typed == (lines[0] if lines else "") and any(line.strip() for line in lines[1:])
