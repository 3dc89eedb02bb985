"""A footer that fits its width: the most useful keys first, never one cut in half.

Textual's Footer lays out every shown binding in one row and cuts the last ones off when the
terminal is narrow (at 80 columns the editor's row ended in `c Co`). This one keeps the order
of `FOOTER_ORDER`, drops whole keys from the end until the row fits, and recomposes when the
width changes. Every key stays in `?` help and the command palette whatever the width.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from policytui.tui.keys import FOOTER_ORDER

# The command palette key keeps its "palette" word only when there is room to spare.
PALETTE_WORD_WIDTH = 110
# Shown at any width, since it leads to every other key.
ALWAYS_SHOWN = frozenset({"help"})


class FittingFooter(Footer):
    """The footer of the editor's main screen."""

    _composed_width = 0

    def compose(self) -> ComposeResult:
        width = self.size.width or self.app.size.width
        self._composed_width = width
        yield from fit_keys(super().compose(), width)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._composed_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)

    def bindings_changed(self, screen: Screen) -> None:
        # Textual's footer waits for the app to have the focus before it shows new keys. In a
        # browser (`policytui serve`) the page has none until clicked, so the footer kept only
        # Help and Quit once the tools loaded: the keys are shown whether focused or not.
        self._bindings_ready = True
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self.recompose)


def key_width(key: FooterKey) -> int:
    """Cells a compact footer key takes: `key description` and one cell of margin."""
    return len(key.key_display) + (1 + len(key.description) if key.description else 0) + 1


def fit_keys(widgets: Iterable[Widget], width: int) -> list[Widget]:
    """The footer's keys in FOOTER_ORDER, as many as fit in `width` cells, palette key last."""
    rank = {action: index for index, action in enumerate(FOOTER_ORDER)}
    palette: list[FooterKey] = []
    keys: list[FooterKey] = []
    others: list[Widget] = []
    for widget in widgets:
        if isinstance(widget, FooterKey) and widget.has_class("-command-palette"):
            palette.append(widget)
        elif isinstance(widget, FooterKey):
            keys.append(widget)
        else:
            others.append(widget)
    if width and width < PALETTE_WORD_WIDTH:
        for key in palette:
            key.description = ""
    room = width - sum(key_width(key) + 2 for key in palette) if width else 10**6
    always = [key for key in keys if key.action in ALWAYS_SHOWN]
    room -= sum(key_width(key) for key in always)
    kept: list[FooterKey] = list(always)
    for key in sorted(keys, key=lambda k: rank.get(k.action, len(rank))):
        if key.action in ALWAYS_SHOWN:
            continue
        needed = key_width(key)
        if needed > room:
            break  # keep the order: a later, shorter key never jumps ahead of a dropped one
        room -= needed
        kept.append(key)
    kept.sort(key=lambda k: rank.get(k.action, len(rank)))
    return [*kept, *others, *palette]
