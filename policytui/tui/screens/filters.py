"""Narrow the tool table by category, severity, decision and drift."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from policytui.editor import DECISIONS, RowFilter, one_line
from policytui.editor.rows import SEVERITY_ORDER
from policytui.tui.screens.dialogs import DialogButtons, DialogFrame, DialogScreen, compact_all
from policytui.tui.screens.ticks import TickBox, TickList


class FilterScreen(DialogScreen[RowFilter | None]):
    """Tick what to show; nothing ticked in a list means "any"."""

    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="filters.apply",
                tooltip="Show only the tools the ticks describe"),
        Binding("escape", "cancel", "Cancel", id="filters.cancel",
                tooltip="Close the dialog, the filter unchanged"),
    ]

    def __init__(self, current: RowFilter, categories: list[str]) -> None:
        super().__init__(id="filter-screen")
        self.current = current
        self.categories = categories

    def compose(self) -> ComposeResult:
        with DialogFrame(id="dialog", classes="dialog"):
            yield Static("Filter tools  (space ticks, tab moves, ctrl+s applies)", id="dialog-title")
            with Horizontal(id="filter-lists"):
                with Vertical():
                    yield Label("category")
                    yield TickList(
                        *[(one_line(c, 20), c, c in self.current.categories) for c in self.categories],
                        id="filter-categories",
                    )
                with Vertical():
                    yield Label("severity")
                    yield TickList(
                        *[(s, s, s in self.current.severities) for s in SEVERITY_ORDER],
                        id="filter-severities",
                    )
                with Vertical():
                    yield Label("decision")
                    yield TickList(
                        *[(d, d, d in self.current.decisions) for d in DECISIONS],
                        id="filter-decisions",
                    )
            yield TickBox("only new, changed or missing tools", self.current.drift_only, id="filter-drift")
            with DialogButtons(id="dialog-buttons"):
                yield Button(Text("Apply [ctrl+s]"), id="filter-apply", variant="primary")
                yield Button(Text("Clear"), id="filter-clear")
                yield Button(Text("Cancel [esc]"), id="filter-cancel")

    def on_mount(self) -> None:
        compact_all(self)
        # Then back to the top: on a short terminal the focus on the first list scrolled the
        # dialog past its title and the list's label (at 40x12 it opened on "[ ] Destructive").
        self.call_after_refresh(self.query_one("#dialog").scroll_home, animate=False)

    def _chosen(self, selector: str) -> frozenset[str]:
        return frozenset(self.query_one(selector, TickList).selected)

    @on(Button.Pressed, "#filter-apply")
    def action_apply(self) -> None:
        self.settle_then(self._apply)

    def _apply(self) -> None:
        self.dismiss(
            RowFilter(
                text=self.current.text,
                categories=self._chosen("#filter-categories"),
                severities=self._chosen("#filter-severities"),
                decisions=self._chosen("#filter-decisions"),
                drift_only=self.query_one("#filter-drift", TickBox).value,
            )
        )

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Clear, for the command palette (name, what it does, action): it has no key."""
        return [("Clear", "drop every tick and show all tools (the name filter stays)", self._clear)]

    @on(Button.Pressed, "#filter-clear")
    def _clear(self) -> None:
        self.dismiss(RowFilter(text=self.current.text))

    @on(Button.Pressed, "#filter-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
