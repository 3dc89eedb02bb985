"""Where a notice (toast) goes while a dialog is open: never over the dialog's box.

Textual draws notices at the screen's lower right, on top of everything: one raised while a
dialog was open (the export dialog's "already exists; write again to replace it") covered the
dialog's lines and buttons. Over a dialog, the notices raised since it opened go in the rows
above or below its box, whichever has more, as many of the newest as fit there (shown in
full width and without padding, so a short terminal still has room for one). The others are
held, and shown once there is room: over the next dialog with room, or over the editor when
the dialogs are gone, each then for its whole time, since it was never seen.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from textual.content import Content
from textual.geometry import Region
from textual.notifications import Notification

# A notice beside a dialog: at most this wide (Textual's own toast width), less its left
# border and its padding of one column each side.
TOAST_WIDTH = 60
TOAST_FRAME_COLUMNS = 3
# The class the toast rack gets while it sits beside a dialog (styled in dialogs.tcss).
BESIDE_DIALOG = "-beside-dialog"


def notice_lines(notice: Notification, screen_width: int) -> int:
    """The lines a notice's toast takes beside a dialog (dialogs.tcss): its text wrapped at
    the toast's width, its title's line, and the blank line that parts it from its neighbour."""
    width = max(1, min(TOAST_WIDTH, screen_width) - TOAST_FRAME_COLUMNS)
    try:
        text = Content.from_markup(notice.message) if notice.markup else Content(notice.message)
    except Exception:  # markup Textual cannot read: the toast shows it as it is
        text = Content(notice.message)
    lines = len(text.wrap(width)) or 1
    return lines + (1 if notice.title else 0) + 1


def free_band(screen_height: int, box: Region) -> tuple[str, int]:
    """The side ("top" or "bottom") of the dialog's box with more free rows, and how many."""
    above = box.y
    below = screen_height - box.bottom
    return ("bottom", below) if below >= above else ("top", above)


class HeldNotices:
    """The notices raised while a dialog was open that found no room beside it yet."""

    def __init__(self) -> None:
        self._held: dict[str, Notification] = {}

    def beside_dialog(self, notices: Iterable[Notification], rows: int, screen_width: int) -> list[Notification]:
        """Of `notices` (raised since the dialog opened, oldest first), the newest that fit in
        `rows`, oldest first; the others are held. Held notices come first, as the oldest."""
        pending = {**self._held, **{notice.identity: notice for notice in notices}}
        shown: list[Notification] = []
        left = rows
        for notice in reversed(list(pending.values())):
            needed = notice_lines(notice, screen_width)
            if needed > left:
                break  # an older one is never shown in front of a newer one held
            left -= needed
            shown.append(notice)
        shown.reverse()
        self._hold([notice for notice in pending.values() if notice not in shown])
        self._show([notice for notice in shown if notice.identity in self._held])
        return shown

    def release(self) -> list[Notification]:
        """Every held notice, now to be shown for its whole time; none is held after."""
        held = list(self._held.values())
        self._show(held)
        return held

    def _hold(self, notices: list[Notification]) -> None:
        for notice in notices:
            self._held[notice.identity] = notice

    def _show(self, notices: list[Notification]) -> None:
        """Start the time of notices leaving the hold: a toast is shown for its time left."""
        now = time.time()
        for notice in notices:
            notice.raised_at = now
            del self._held[notice.identity]
