"""Check boxes whose state reads without colour: `[x]` ticked, `[ ]` not.

Textual draws every box as `▐X▌` and tells ticked from unticked by colour alone, which an
ANSI theme, a monochrome terminal or colour blindness loses.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.content import Content
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Checkbox, SelectionList

TICKED = "[x]"
UNTICKED = "[ ]"


class TickBox(Checkbox):
    """A Checkbox drawn as `[x] label` / `[ ] label`."""

    @property
    def _button(self) -> Content:
        return Content.assemble((TICKED if self.value else UNTICKED, self.get_visual_style("toggle--button")))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One line, or as many as its label takes where a stylesheet lets it wrap (a narrow
        dialog): Textual's checkbox is always one line, which cut the label's last words."""
        if self.styles.text_wrap != "wrap":
            return 1
        return max(1, Widget.get_content_height(self, container, viewport, width))


class TickList(SelectionList[Any]):
    """A SelectionList whose boxes read `[x]` / `[ ]`."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        segments = list(line)
        # The list draws each option as BUTTON_LEFT, BUTTON_INNER, BUTTON_RIGHT, " ", prompt.
        if len(segments) < 3 or segments[1].text != Checkbox.BUTTON_INNER:
            return line
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except Exception:  # a line below the last option
            return line
        ticked = selection.value in self._selected
        style = segments[1].style
        box = Segment(TICKED if ticked else UNTICKED, style)
        return Strip([box, *segments[3:]], line.cell_length)
