"""The tool table: a virtual Line-API widget that draws only the rows on screen.

A stock DataTable needs about 1.2 s to fill 10,000 rows and as long again to refill after a
filter. Here the table holds a list of row indexes (the filtered, sorted view of the editor's
rows) and `render_line` formats just the visible ones, so filtering or editing 10,000 tools is
one list operation plus a repaint. Row text is already made safe by the editor (`visible()`),
and is drawn as plain Segments: it is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from policytui.editor.rows import Row


@dataclass(frozen=True)
class Column:
    key: str  # the editor's sort key
    title: str
    width: int  # 0 = takes the remaining width


COLUMNS: tuple[Column, ...] = (
    Column("name", "Tool", 0),
    Column("category", "Category", 11),
    Column("severity", "Severity", 8),
    Column("decision", "Decision", 8),
    Column("limits", "Limits", 9),
    Column("approval", "Approval", 0),
    Column("drift", "Drift", 7),
)
_GAP = 1


class ToolTable(ScrollView, can_focus=True):
    """Rows of tools; the first line is a fixed header. Click a header to sort by it."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("home,g", "jump(0)", "First", show=False, id="table.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="table.last"),
        Binding("space", "mark", "Mark", show=False, id="table.mark",
                tooltip="Mark the tool for a bulk decision (b) and move down"),
    ]

    COMPONENT_CLASSES = {
        "tool-table--header",
        "tool-table--cursor",
        "tool-table--allow",
        "tool-table--deny",
        "tool-table--hide",
        "tool-table--approve",
        "tool-table--implicit",
        "tool-table--high",
        "tool-table--critical",
        "tool-table--drift",
        "tool-table--dim",
        "tool-table--marked",
    }

    DEFAULT_CSS = """
    ToolTable { background: $surface; overflow-x: hidden; scrollbar-size-vertical: 1; }
    ToolTable > .tool-table--header { text-style: bold; background: $panel; }
    ToolTable > .tool-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; text-style: bold; }
    ToolTable:blur > .tool-table--cursor { background: $block-cursor-blurred-background; color: $foreground; text-style: none; }
    ToolTable > .tool-table--allow { color: $success; }
    ToolTable > .tool-table--deny { color: $error; }
    ToolTable > .tool-table--hide { color: $text-muted; text-style: italic; }
    ToolTable > .tool-table--approve { color: $warning; }
    ToolTable > .tool-table--implicit { text-style: dim; }
    ToolTable > .tool-table--high { color: $warning; }
    ToolTable > .tool-table--critical { color: $error; text-style: bold; }
    ToolTable > .tool-table--drift { color: $accent; }
    ToolTable > .tool-table--dim { text-style: dim; }
    ToolTable > .tool-table--marked { color: $accent; text-style: bold; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor is on a different tool (name is None when the view is empty)."""

        def __init__(self, name: str | None) -> None:
            self.name = name
            super().__init__()

    class MarksChanged(Message):
        """Tools were marked or unmarked with space."""

    class SortRequested(Message):
        def __init__(self, key: str) -> None:
            self.key = key
            super().__init__()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: list[Row] = []
        self.view: list[int] = []
        self.sort_key: str | None = None
        self.sort_reverse = False
        self.empty_text = "No tools."
        self._last_name: str | None = None
        self.show_drift = False
        # Tools marked with space; bulk actions apply to them when there are any.
        self.marked: set[str] = set()

    # ----- data ---------------------------------------------------------------------------

    def set_view(self, rows: list[Row], view: list[int], *, keep: str | None = None) -> None:
        """Show `view` (indexes into `rows`), keeping the cursor on tool `keep` if still shown."""
        self.rows = rows
        self.view = view
        self.show_drift = any(row.drift for row in rows)
        target = 0
        if keep is not None:
            for position, index in enumerate(view):
                if rows[index].name == keep:
                    target = position
                    break
            else:
                target = min(self.cursor, max(len(view) - 1, 0))
        self.virtual_size = Size(self.size.width, len(view) + 1)
        self.cursor = target
        self.refresh()

    def rows_changed(self) -> None:
        """The rows' content changed in place (an edit): repaint only."""
        self.refresh()

    def refresh_rows(self, names: Collection[str]) -> None:
        """The rows of `names` changed in place: repaint only their lines that are on screen.

        Repainting the whole table costs about a millisecond a row; one edited row is one line.
        """
        top = int(self.scroll_y)
        view, rows = self.view, self.rows
        width = max(self.size.width, 1)
        for y in range(1, max(self.scrollable_content_region.height, 1)):
            position = top + y - 1
            if position >= len(view):
                break
            if rows[view[position]].name in names:
                self.refresh(Region(0, y, width, 1))

    @property
    def current_row(self) -> Row | None:
        if 0 <= self.cursor < len(self.view):
            return self.rows[self.view[self.cursor]]
        return None

    @property
    def visible_names(self) -> list[str]:
        """Names of every tool in the current view (the target of bulk actions)."""
        seen: dict[str, None] = {}
        for index in self.view:
            seen.setdefault(self.rows[index].name, None)
        return list(seen)

    # ----- cursor -------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.view) - 1)) if self.view else 0

    def watch_cursor(self, value: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        row = self.current_row
        name = row.name if row else None
        self._last_name = name
        self.post_message(self.Highlighted(name))

    def _scroll_cursor_into_view(self) -> None:
        body = max(self.scrollable_content_region.height - 1, 1)
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(self.scrollable_content_region.height - 2, 1)

    def action_mark(self) -> None:
        row = self.current_row
        if row is None:
            return
        self.marked.symmetric_difference_update({row.name})
        self.cursor += 1
        self.refresh()
        self.post_message(self.MarksChanged())

    def action_jump(self, where: int) -> None:
        self.cursor = 0 if where == 0 else len(self.view) - 1

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.view) + 1)
        self._scroll_cursor_into_view()

    async def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            key = self._column_at(event.x)
            if key:
                self.post_message(self.SortRequested(key))
            return
        position = int(self.scroll_y) + event.y - 1
        if 0 <= position < len(self.view):
            self.cursor = position

    # ----- drawing ------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns drawn: Drift only when some tool drifted."""
        return COLUMNS if self.show_drift else COLUMNS[:-1]

    def _widths(self, width: int) -> list[int]:
        columns = self.columns
        fixed = sum(c.width for c in columns if c.width) + _GAP * (len(columns) - 1)
        rest = max(width - fixed - 1, 16)
        approval = max(8, min(26, rest // 3))
        name = rest - approval
        return [c.width or (name if c.key == "name" else approval) for c in columns]

    def _column_at(self, x: int) -> str | None:
        left = 1
        for column, width in zip(self.columns, self._widths(self.scrollable_content_region.width)):
            if left <= x < left + width + _GAP:
                return column.key
            left += width + _GAP
        return None

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"tool-table--{name}", partial=True)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            return self._render_header(width, base)
        position = int(self.scroll_y) + y - 1
        if not self.view:
            if y == 1:
                return Strip([Segment(set_cell_size(f" {self.empty_text}", width), base + self._style("dim"))])
            return Strip.blank(width, base)
        if position >= len(self.view):
            return Strip.blank(width, base)
        row = self.rows[self.view[position]]
        return self._render_row(row, position == self.cursor, width, base)

    def _render_header(self, width: int, base: Style) -> Strip:
        style = base + self._style("header")
        segments = [Segment(" ", style)]
        for column, col_width in zip(self.columns, self._widths(width)):
            title = column.title
            if column.key == self.sort_key:
                title += " ▼" if self.sort_reverse else " ▲"
            segments.append(Segment(set_cell_size(title, col_width) + " " * _GAP, style))
        return Strip(segments).crop_extend(0, width, style)

    def _render_row(self, row: Row, selected: bool, width: int, base: Style) -> Strip:
        widths = self._widths(width)
        row_style = base + self._style("cursor") if selected else base
        decision_style = self._style(row.decision)
        if not row.explicit:
            decision_style += self._style("implicit")
        severity_style = Style()
        if row.severity == "High":
            severity_style = self._style("high")
        elif row.severity == "Critical":
            severity_style = self._style("critical")
        name = row.label + (" ×2" if row.duplicate else "")
        cells = (
            (name, Style()),
            (row.category, Style()),
            (row.severity, severity_style),
            (row.decision_label, decision_style),
            (row.limits, Style()),
            (row.approval, Style()),
            (row.drift, self._style("drift")),
        )
        marked = row.name in self.marked
        segments = [Segment("●" if marked else " ", row_style + self._style("marked") if marked else row_style)]
        for (text, style), col_width in zip(cells, widths):
            if cell_len(text) > col_width:
                text = set_cell_size(text, max(col_width - 1, 0)) + "…"
            cell_style = row_style + style if not selected else row_style + Style(
                color=style.color, bold=style.bold, italic=style.italic
            )
            segments.append(Segment(set_cell_size(text, col_width), cell_style))
            segments.append(Segment(" " * _GAP, row_style))
        return Strip(segments).crop_extend(0, width, row_style)
