"""Where a notice (toast) goes while a dialog, the command palette or the Try panel is open:
never over its box.

Textual draws notices at the screen's lower right, on top of everything: one raised while a
dialog was open (the export dialog's "already exists; write again to replace it") covered the
dialog's lines and buttons; one raised while the Try panel or the command palette (ctrl+p)
was open covered the call typed, its answer, or the palette's hits. Over such a box, the
notices go in the rows above or below it, whichever has more, as many of the newest as fit
there (shown in full width and without padding, so a short terminal still has room for one);
where those rows hold none (the Try panel beside the table, as tall as the screen), in the
columns left or right of it. The others are held, and shown once there is room: beside the
next box with room, or over the editor when it is closed, each then for its whole time,
since it was never seen. Over a dialog or the palette only the notices raised since it
opened are shown (the older ones show again over the editor once it closes); beside the Try
panel, which is part of the editor, all of them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from textual.content import Content
from textual.geometry import Region, Size
from textual.notifications import Notification

# A toast beside a box is as wide as Textual makes a toast (`Toast { width: 60 }`) or as the
# band it is in, whichever is less (`max-width: 100%`, policytui.tcss: its rack keeps no
# column for a scrollbar), and its text that less its left border (`border-left: outer`,
# one column, Textual's) and its padding of one column each side (`padding: 0 1`).
TOAST_WIDTH = 60
TOAST_FRAME_COLUMNS = 3
# The class the toast rack gets while it sits beside a box (styled in policytui.tcss).
BESIDE_DIALOG = "-beside-dialog"
# A band left or right of a box narrower than this wraps a notice into too many short lines.
SIDE_BAND_COLUMNS = 30
# The toast rack's inline styles set while it sits beside a box; cleared when it no longer does.
PLACED_STYLES = ("dock", "width", "height", "max_height", "margin")


def corner_text_width(screen_width: int) -> int:
    """The columns a toast in Textual's own corner (the screen's lower right, no box open) has
    for text on a screen `screen_width` columns wide: a toast is `width: 60` but at most half
    its rack (`max-width: 50%`, Textual's), as wide as the screen (it keeps no columns for a
    scrollbar, policytui.tcss), less its border and padding."""
    return max(1, min(TOAST_WIDTH, screen_width // 2) - TOAST_FRAME_COLUMNS)


def notice_lines(notice: Notification, band_width: int) -> int:
    """The lines a notice's toast takes beside a box, in a band `band_width` columns wide
    (policytui.tcss): its title and text wrapped at the toast's width for text, and the
    blank line that parts it from its neighbour."""
    width = max(1, min(TOAST_WIDTH, band_width) - TOAST_FRAME_COLUMNS)
    return (len(toast_text(notice).wrap(width)) or 1) + 1


def toast_text(notice: Notification) -> Content:
    """What a notice's toast shows, as Textual's Toast renders it: its title (if any) on a line
    of its own above its message."""
    try:
        text = Content.from_markup(notice.message) if notice.markup else Content(notice.message)
    except Exception:  # markup Textual cannot read: the toast shows it as it is
        text = Content(notice.message)
    return Content.assemble(notice.title, "\n", text) if notice.title else text


async def show_toasts(rack: Any, notices: Iterable[Notification]) -> None:
    """Have the toast rack show `notices`, each toast in a holder of its own, and no holder
    left without one. Textual's `ToastRack.show` takes a toast away but leaves its empty
    holder, which still takes room in the rack's layout though not in the height Textual
    reckons for the rack: the newest toast, at the rack's foot, was pushed a row down, out
    of it, and its last line cut off."""
    from textual.widgets._toast import Toast, ToastHolder

    notices = list(notices)
    kept = {notice.identity for notice in notices}
    stale = [holder for holder in rack.query_children(ToastHolder)
             if not any(toast._notification.identity in kept for toast in holder.query_children(Toast))]
    if stale:
        await rack.remove_children(stale)
    rack.show(notices)


def free_band(screen: Size, box: Region, newest: Notification | None = None,
              kept_top: int = 0) -> tuple[str, Region]:
    """Where notices go beside `box`: the side ("top" or "bottom") with more free rows, the
    whole width of the screen; or, when the newest notice does not fit there, the side
    ("left" or "right") with more free columns, down to the box's foot, if it fits there.
    The first `kept_top` rows of the screen (the OFFLINE banner, which says the tools are
    recorded ones) are in no band."""
    top = min(kept_top, box.y)
    above = Region(0, top, screen.width, box.y - top)
    below = Region(0, box.bottom, screen.width, max(0, screen.height - box.bottom))
    side, band = ("bottom", below) if below.height >= above.height else ("top", above)
    if newest is None or notice_lines(newest, band.width) <= band.height:
        return side, band
    # From the top of the screen (under the rows kept clear) to the box's foot: the toasts end
    # level with it, and the footer's keys under it stay in view.
    top = min(kept_top, box.bottom)
    left = Region(0, top, box.x, box.bottom - top)
    right = Region(box.right, top, max(0, screen.width - box.right), box.bottom - top)
    wide_side, wide = ("right", right) if right.width >= left.width else ("left", left)
    if wide.width >= SIDE_BAND_COLUMNS and notice_lines(newest, wide.width) <= wide.height:
        return wide_side, wide
    return side, band


def place_rack(rack: Any, side: str, band: Region) -> None:
    """Dock the toast rack in `band`, on `side` of the box it keeps clear of: the toasts at
    the band's foot, to the right, as Textual puts them on the screen's."""
    rack.add_class(BESIDE_DIALOG)
    rack.styles.dock = side
    # A band that starts below the screen's top (under the OFFLINE banner): the rack, docked
    # at the screen's edge, starts there too.
    rack.styles.margin = (band.y if side != "bottom" else 0, 0, 0, 0)
    if side in ("left", "right"):
        rack.styles.width = band.width
        rack.styles.height = band.height
        rack.styles.max_height = band.height
    else:
        rack.styles.clear_rule("width")
        rack.styles.clear_rule("height")
        rack.styles.max_height = band.height  # a toast taller than reckoned is cut, not over the box


def unplace_rack(rack: Any) -> None:
    """Put the toast rack back where Textual keeps it, at the screen's lower right."""
    if rack.has_class(BESIDE_DIALOG):
        rack.remove_class(BESIDE_DIALOG)
        for rule in PLACED_STYLES:
            rack.styles.clear_rule(rule)


class HeldNotices:
    """The notices raised while a dialog was open that found no room beside it yet."""

    def __init__(self) -> None:
        self._held: dict[str, Notification] = {}

    def pending(self, notices: Iterable[Notification]) -> list[Notification]:
        """The held notices, then `notices`: what waits to be shown beside a box, oldest first."""
        return list({**self._held, **{notice.identity: notice for notice in notices}}.values())

    def beside_dialog(self, notices: Iterable[Notification], rows: int, screen_width: int) -> list[Notification]:
        """Of `notices` (those to show beside the box, oldest first), the newest that fit in
        `rows`, oldest first; the others are held. Held notices come first, as the oldest."""
        pending = {notice.identity: notice for notice in self.pending(notices)}
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
