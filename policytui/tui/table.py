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
from policytui.tui.inputs import keys_through_screen


@dataclass(frozen=True)
class Column:
    key: str  # the editor's sort key, and the Row field the column shows
    title: str
    flexible: bool = False  # shrinks (with "…") when the row does not fit; others keep their width
    minimum: int = 0
    # A shorter word for the header of a column narrower than its title: a header is never
    # cut mid-word (at 71 columns the Approval column's read "Appr").
    short: str = ""

    def header(self, width: int, arrow: str = "") -> str:
        """The longest of the column's header words that fits `width` with the sort arrow;
        the shortest, cut, only in a terminal under the sizes the editor is laid out for."""
        words = (self.title, self.short) if self.short else (self.title,)
        for word in words:
            if text_width(word + arrow) <= width:
                return word + arrow
        return words[-1] + arrow

    def narrowest(self, arrow: str = "") -> int:
        """The fewest cells its header needs whole: its shortest word with the sort arrow."""
        return text_width((self.short or self.title) + arrow)


COLUMNS: tuple[Column, ...] = (
    Column("name", "Tool", flexible=True, minimum=12),
    # Under SHORT_HEADERS_BELOW columns the headers give way to these words before a column
    # gives way to the edge: "Category" and "Severity" had none, and were cut to "Categor".
    Column("category", "Category", short="Cat"),
    Column("severity", "Severity", short="Sev"),
    Column("decision", "Decision", short="Dec"),
    Column("limits", "Limits", short="Lim"),
    # "Ask": whether, or when, a person is asked to approve the call (`r` sets it).
    Column("approval", "Approval", flexible=True, short="Ask"),
    # "Conds": the footer's word for the key that edits them (`c`).
    Column("conditions", "Conditions", flexible=True, short="Conds"),
    Column("drift", "Drift"),  # as short as a header gets
)
# Under this many columns a header gives way to its short word before its column gives way
# to the edge (ToolTable._natural_in).
SHORT_HEADERS_BELOW = 60
# Columns drawn only when some row has something in them.
OPTIONAL_COLUMNS = frozenset({"conditions", "drift"})
_GAP = 1
# The header's sort arrow (" ▲") needs two more cells than the title.
_ARROW = 2


def text_width(text: str) -> int:
    """Cells `text` takes; `len` for ASCII (25x faster than `cell_len` over 10,000 names)."""
    return len(text) if text.isascii() else cell_len(text)


def fit_widths(natural: list[int], minimum: list[int], flexible: list[bool], room: int) -> list[int]:
    """Column widths for `room` cells.

    Every column gets its natural (content) width when they fit; spare cells are left after
    the last column (a Tool column padded to the panel's edge pushed the others away from the
    names and took the room the side panel could use). When the row does not fit, the first
    column (the tool's name) stays whole as long as the other flexible columns can keep their
    minimum; those then share what is left at one common width (the widest shrink first).
    """
    total = sum(natural)
    if total <= room:
        return list(natural)
    fixed = sum(n for n, flex in zip(natural, flexible) if not flex)
    flex_room = room - fixed
    others = [i for i in range(1, len(natural)) if flexible[i]]
    widths = list(natural)
    if flexible and flexible[0]:
        reserved = sum(min(minimum[i], natural[i]) for i in others)
        widths[0] = max(min(natural[0], flex_room - reserved), min(minimum[0], natural[0]))
        flex_room -= widths[0]
    wanted = sorted(natural[i] for i in others)
    cap = 0
    left, count = flex_room, len(wanted)
    for n in wanted:  # water-filling: columns narrower than the cap keep their width
        if n * count <= left:
            left -= n
            count -= 1
            cap = n
            continue
        cap = max(left // max(count, 1), 0)
        break
    for i in others:
        widths[i] = max(min(natural[i], cap), min(minimum[i], natural[i]))
    # A column held at a minimum above the common width took cells the others then give back,
    # the widest first (the Conditions column's header, wider than the Approval one's).
    over = sum(widths) - room
    while over > 0:
        wider = [i for i in others if widths[i] > min(minimum[i], natural[i])]
        if not wider:
            break
        widths[max(wider, key=lambda i: widths[i])] -= 1
        over -= 1
    # Cells lost to rounding go to a column that was cut.
    spare = room - sum(widths)
    if spare > 0:
        cut = [i for i, (w, n) in enumerate(zip(widths, natural)) if w < n]
        if cut:
            widths[cut[0]] += spare
    return widths


# Columns that give up cells (cut with "…") when even the Decision column would not fit.
_SQUEEZED = (("category", 4), ("severity", 4), ("name", 6))


def keep_decision_whole(widths: list[int], keys: list[str], width: int) -> list[int]:
    """Narrow Category, Severity, then Tool so the Decision column ends inside `width`.

    The columns after it may still fall off the right edge, but a decision is always read
    whole, `*` (decided by the default) included.
    """
    if "decision" not in keys:
        return widths
    last = keys.index("decision")
    over = 1 + sum(widths[: last + 1]) + _GAP * last - width
    widths = list(widths)
    for key, smallest in _SQUEEZED:
        if over <= 0:
            break
        if key in keys[:last]:
            i = keys.index(key)
            give = min(over, max(widths[i] - smallest, 0))
            widths[i] -= give
            over -= give
    return widths


def give_way_at_the_edge(widths: list[int], headers: list[int], width: int) -> list[int]:
    """`widths` for the columns that fit a line `width` cells wide with their header whole
    (`headers`: the fewest cells each one's needs): the one the edge cuts is narrowed to end
    there if its header still fits, else left out with every column after it."""
    fitted: list[int] = []
    left = 1  # the mark cell
    for i, col_width in enumerate(widths):
        room = width - left
        if col_width > room:
            if i > 0 and room < headers[i]:
                break  # the first column (the tool's name) is always drawn
            col_width = room
        fitted.append(col_width)
        left += col_width + _GAP
    return fitted


class ToolTable(ScrollView, can_focus=True):
    """Rows of tools; the first line is a fixed header. Click a header to sort by it."""

    BINDINGS = [
        # The tooltips are the help screen's lines and, after the name, the palette's entries
        # ("Mark: mark the tool ..."): every key here is in the palette too.
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up", tooltip="Move up one tool"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down", tooltip="Move down one tool"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.page_up", tooltip="Move up one page"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.page_down",
                tooltip="Move down one page"),
        Binding("home,g", "jump(0)", "First", show=False, id="table.first", tooltip="Go to the first tool"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="table.last", tooltip="Go to the last tool"),
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

    # The scroll bar is always there (overflow-y: scroll): one that appears and goes as a
    # filter narrows the rows would re-lay out the whole screen on those keystrokes.
    DEFAULT_CSS = """
    ToolTable { background: $surface; overflow-x: hidden; overflow-y: scroll; scrollbar-size-vertical: 1; }
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
        # Tools marked with space; bulk actions apply to them when there are any.
        self.marked: set[str] = set()
        # Widest cell of each column over every row, by column key (None: measure again).
        self._content_widths: dict[str, int] | None = None
        self._laid_out_width: int | None = None

    def post_message(self, message: Message) -> bool:
        # Its keys go up through the screen, as the filter box's do (policytui.tui.inputs): a
        # key typed before `/` then reaches the app before the keys typed into the filter.
        return keys_through_screen(self, message) or super().post_message(message)

    # ----- data ---------------------------------------------------------------------------

    def set_view(self, rows: list[Row], view: list[int], *, keep: str | None = None) -> None:
        """Show `view` (indexes into `rows`), keeping the cursor on tool `keep` if still shown."""
        self.rows = rows
        self.view = view
        self._content_widths = None
        target = 0
        if keep is not None:
            for position, index in enumerate(view):
                if rows[index].name == keep:
                    target = position
                    break
            else:
                target = min(self.cursor, max(len(view) - 1, 0))
        self._set_line_count(len(view) + 1)
        self.cursor = target
        self.refresh()

    def _set_line_count(self, lines: int) -> None:
        """Make the scrollable height `lines`, without a layout pass of the whole screen.

        `virtual_size` is a layout reactive: setting it re-arranges and re-renders every
        widget (the detail pane's tables too), which made each filter keystroke cost a full
        layout. The table's own size never depends on its rows, so only the scroll bar is
        updated; it triggers a layout itself in the rare case that it appears or goes.
        """
        size = Size(self.size.width, lines)
        if size != self.virtual_size:
            self.set_reactive(ToolTable.virtual_size, size)
            self._scroll_update(size)

    def rows_changed(self) -> None:
        """The rows' content changed in place (an edit): measure the columns again, repaint."""
        self._content_widths = None
        self.refresh()

    def refresh_rows(self, names: Collection[str]) -> None:
        """The rows of `names` changed in place: repaint only their lines that are on screen.

        Repainting the whole table costs about a millisecond a row; one edited row is one line.
        """
        widths = self._content_widths
        if widths is not None:
            before = dict(widths)
            for row in self.rows:
                if row.name in names:
                    for key in widths:
                        widths[key] = max(widths[key], text_width(self._cell_text(row, key)))
            if widths != before:  # a column grew: every line moves
                self.refresh()
                return
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
        """The columns drawn: Conditions and Drift only when some tool has them."""
        widths = self._measure()
        return tuple(
            c for c in COLUMNS if c.key not in OPTIONAL_COLUMNS or widths.get(c.key, 0) > 0
        )

    @staticmethod
    def _cell_text(row: Row, key: str) -> str:
        if key == "name":
            return row.label + (" ×2" if row.duplicate else "")
        if key == "decision":
            return row.decision_label
        return str(getattr(row, key))

    def _measure(self) -> dict[str, int]:
        """The widest cell of each column over all rows (not only the filtered ones, so the
        columns stay put while a filter is typed)."""
        if self._content_widths is None:
            rows = self.rows
            self._content_widths = {
                c.key: max((text_width(self._cell_text(r, c.key)) for r in rows), default=0)
                for c in COLUMNS
            }
        return self._content_widths

    def _natural(self) -> list[int]:
        content = self._measure()
        return [
            max(content[c.key], text_width(c.title) + (_ARROW if c.key == self.sort_key else 0))
            for c in self.columns
        ]

    def _natural_in(self, width: int) -> list[int]:
        """The natural widths for a line `width` cells wide. In a terminal under
        SHORT_HEADERS_BELOW columns (the table's own width is less by its scroll bar), where
        the row does not fit with every header's whole title, the columns wider than their
        cells only for their title take their short word's width instead, from the right
        (Drift, Conditions, ..., Category) until the row fits. There the Decision column's
        title took three cells its `deny*` did not need, and Limits and Approval fell off the
        edge for them. From SHORT_HEADERS_BELOW on the tool names keep that room."""
        natural = self._natural()
        columns = self.columns
        over = 1 + sum(natural) + _GAP * len(columns) - width
        if over <= 0 or self.app.size.width >= SHORT_HEADERS_BELOW:
            return natural
        content = self._measure()
        for i in reversed(range(len(columns))):
            column = columns[i]
            compact = max(content[column.key], column.narrowest(self._arrow(column)))
            over -= natural[i] - compact
            natural[i] = compact
            if over <= 0:
                break
        return natural

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """The width of a whole row: the table's width where the stylesheet says `auto` (beside
        the panels, which take what the table does not need)."""
        natural = self._natural()
        return 1 + sum(natural) + _GAP * len(natural)

    def _check_natural_width(self) -> None:
        """Lay the screen out again when a row's whole width changed (a longer rule, a new
        column), but not on every repaint: only an `auto` width depends on it."""
        width = self.get_content_width(Size(0, 0), Size(0, 0))
        if width != self._laid_out_width:
            first = self._laid_out_width is None
            self._laid_out_width = width
            if not first or self.styles.width is not None and self.styles.width.is_auto:
                self.call_later(self.refresh, layout=True)

    def _arrow(self, column: Column) -> str:
        if column.key != self.sort_key:
            return ""
        return " ▼" if self.sort_reverse else " ▲"

    def _widths(self, width: int) -> list[int]:
        """The widths of the columns drawn in a line `width` cells wide, from the first: the
        columns that would not fit with their header whole are left out (their cells are in
        the Tool panel), so that no header is cut by the edge of the table."""
        columns = self.columns
        natural = self._natural_in(width)
        self._check_natural_width()
        room = max(width - 1 - _GAP * len(columns), 0)  # the mark cell and the gaps
        minimum = [max(c.minimum, c.narrowest(self._arrow(c))) if c.flexible else c.minimum for c in columns]
        widths = fit_widths(natural, minimum, [c.flexible for c in columns], room)
        widths = keep_decision_whole(widths, [c.key for c in columns], width)
        return give_way_at_the_edge(widths, [c.narrowest(self._arrow(c)) for c in columns], width)

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
            title = column.header(col_width, self._arrow(column))
            segments.append(Segment(set_cell_size(title, col_width) + " " * _GAP, style))
        return Strip(segments).crop_extend(0, width, style)

    def _render_row(self, row: Row, selected: bool, width: int, base: Style) -> Strip:
        widths = self._widths(width)
        row_style = base + self._style("cursor") if selected else base
        # A blank decision: the first rows, drawn before the policy is read.
        decision_style = self._style(row.decision) if row.decision else Style()
        if not row.explicit:
            decision_style += self._style("implicit")
        severity_style = Style()
        if row.severity == "High":
            severity_style = self._style("high")
        elif row.severity == "Critical":
            severity_style = self._style("critical")
        styles = {
            "severity": severity_style,
            "decision": decision_style,
            "drift": self._style("drift"),
        }
        plain = Style()
        cells = [
            (self._cell_text(row, column.key), styles.get(column.key, plain))
            for column in self.columns
        ]
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
