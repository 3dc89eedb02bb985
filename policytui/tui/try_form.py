"""The Try panel's form: a tool's name and its arguments, with the focus kept between them."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input


class TryForm(Vertical):
    """Tab and Shift+Tab go round the form's two fields and never out of it: out of the form,
    a tool's name typed next reached the table as keys (`a` allowed the selected tool, `f`
    opened the filter dialog). Esc leaves the form, to the table (tui/actions_view.py)."""

    BINDINGS = [
        Binding("tab", "other_field", show=False, priority=False),
        Binding("shift+tab", "other_field", show=False, priority=False),
        # The answer can be longer than the panel (a long reason, wrapped): these scroll it
        # while the focus stays in the form, where the next call is typed.
        Binding("pagedown", "scroll_answer(1)", show=False, priority=False),
        Binding("pageup", "scroll_answer(-1)", show=False, priority=False),
    ]

    def action_scroll_answer(self, direction: int) -> None:
        answer = self.query_one("#try-result-scroll", VerticalScroll)
        # A page less one line, so the line read last stays in view.
        step = max(1, answer.scrollable_content_region.height - 1)
        answer.scroll_relative(y=direction * step, animate=False)

    def action_other_field(self) -> None:
        tool_box = self.query_one("#try-tool", Input)
        args_box = self.query_one("#try-args", Input)
        self.screen.set_focus(args_box if self.screen.focused is tool_box else tool_box)
