"""The limits editor: a tool's rate limits, and a tab for the limits shared by all tools.

Typing a number and pressing Enter adds a limit with the suggested counter name (or changes
the maximum of the listed limit that counts the same calls); ctrl+s applies everything as one
undoable edit, Escape throws the changes away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import (
    Button,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from policytui.editor import EditError, make_limit, one_line
from policytui.policy.model import SCOPES, WINDOWS, Limit
from policytui.tui.inputs import TextInput
from policytui.tui.screens.dialogs import DialogButtons, DialogFrame, DialogScreen, compact_all

# The number an empty max calls field stands for, so that Enter alone adds a limit. The policy
# format has no default maximum (`max` is required): the field shows it as an example, never
# as a bare "30", which read as a limit already set or a number already typed.
DEFAULT_MAX = "30"
MAX_EXAMPLE = f"e.g. {DEFAULT_MAX}"


@dataclass(frozen=True)
class LimitsResult:
    tool_limits: list[Limit]
    shared_limits: list[Limit]


class LimitEditor(Vertical):
    """A list of limits plus a form to add, change or remove one."""

    BINDINGS = [Binding("delete", "remove", "Remove limit", id="limits.remove",
                        tooltip="Remove the selected limit")]

    def __init__(self, limits: list[Limit], default_counter: str, *, prefix: str) -> None:
        super().__init__(id=f"{prefix}-editor", classes="limit-editor")
        self.limits = list(limits)
        self.default_counter = default_counter
        self.prefix = prefix

    def compose(self) -> ComposeResult:
        yield OptionList(id=f"{self.prefix}-list", classes="limit-list")
        with Horizontal(classes="limit-form"):
            with Vertical(classes="field"):
                yield Label("max calls")
                yield TextInput(placeholder=MAX_EXAMPLE, id=f"{self.prefix}-max", type="integer", classes="max")
            with Vertical(classes="field"):
                yield Label("per")
                yield Select(
                    [(w, w) for w in WINDOWS], value="minute", allow_blank=False,
                    id=f"{self.prefix}-window",
                )
            with Vertical(classes="field counter"):
                yield Label("counter (shared by name)", classes="wide-only")
                yield Label("counter", classes="narrow-only")
                yield TextInput(value=self.default_counter, id=f"{self.prefix}-counter")
            with Vertical(classes="field"):
                yield Label("scope")
                yield Select(
                    [(s, s) for s in SCOPES], value="grant", allow_blank=False,
                    id=f"{self.prefix}-scope",
                )
        with Horizontal(classes="limit-buttons"):
            yield Button(Text("Add"), id=f"{self.prefix}-add", variant="primary")
            yield Button(Text("Update selected"), id=f"{self.prefix}-update")
            yield Button(Text("Remove selected"), id=f"{self.prefix}-remove", variant="error")
        yield Static("", id=f"{self.prefix}-error", classes="form-error")

    def on_mount(self) -> None:
        self._refill()

    def _refill(self, highlight: int | None = None) -> None:
        if isinstance(self.screen, DialogScreen):
            self.screen.unapplied_may_have_changed()
        options = self.query_one(f"#{self.prefix}-list", OptionList)
        options.clear_options()
        # An empty list has nothing to show the focus on: Tab passes it by (on the shared tab,
        # Tab from the tabs stopped there unseen, and a number typed went nowhere).
        if not self.limits and options.has_focus:
            self.query_one(f"#{self.prefix}-max", Input).focus()
        options.can_focus = bool(self.limits)
        if not self.limits:
            options.add_option(Option(Text("no limits", style="dim"), disabled=True))
            return
        options.add_options(
            Option(Text(f"{i + 1}. {one_line(limit.describe(), 100)}")) for i, limit in enumerate(self.limits)
        )
        if highlight is not None and self.limits:
            options.highlighted = min(highlight, len(self.limits) - 1)

    def _form_limit(self) -> Limit | None:
        error = self.query_one(f"#{self.prefix}-error", Static)
        try:
            limit = make_limit(
                self.query_one(f"#{self.prefix}-counter", Input).value or self.default_counter,
                str(self.query_one(f"#{self.prefix}-window", Select).value),
                # An empty field means the suggested number it shows, so Enter alone adds it.
                self.query_one(f"#{self.prefix}-max", Input).value or DEFAULT_MAX,
                str(self.query_one(f"#{self.prefix}-scope", Select).value),
            )
        except EditError as exc:
            error.update(Text(str(exc)))
            return None
        error.update("")
        return limit

    def unadded(self) -> str | None:
        """Why Apply must wait: a number is in the form and the limit it makes is not in the
        list (Enter, Add or Update was never pressed). The empty field only suggests 30."""
        typed = self.query_one(f"#{self.prefix}-max", Input).value.strip()
        if not typed:
            return None
        try:
            limit = make_limit(
                self.query_one(f"#{self.prefix}-counter", Input).value or self.default_counter,
                str(self.query_one(f"#{self.prefix}-window", Select).value),
                typed,
                str(self.query_one(f"#{self.prefix}-scope", Select).value),
            )
        except EditError as exc:
            # Enter would not add it either: say what to correct.
            return f"{exc}: correct it, or empty max calls to apply without it"
        else:
            index = self._counting_the_same(limit)
            if index is not None and self.limits[index].max == limit.max:
                return None  # listed as it is
            if index is not None:
                return (f"the limit in the form ({limit.max}/{limit.window}) is not applied yet: press "
                        f"Enter to change the listed {self.limits[index].max}/{limit.window} of "
                        f"{one_line(limit.counter, 60)} to it, or empty max calls to apply without it")
        shown = f"{one_line(typed, 20)}/{self.query_one(f'#{self.prefix}-window', Select).value}"
        return (f"the limit in the form ({shown}) is not added yet: press Enter to add it, "
                "or empty max calls to apply without it")

    def show_unadded(self, message: str) -> None:
        self.query_one(f"#{self.prefix}-error", Static).update(Text(message))
        self.query_one(f"#{self.prefix}-max", Input).focus()

    def _selected(self) -> int | None:
        index = self.query_one(f"#{self.prefix}-list", OptionList).highlighted
        if index is None or not self.limits or index >= len(self.limits):
            return None
        return index

    def _counting_the_same(self, limit: Limit, skip: int | None = None) -> int | None:
        """The listed limit (other than `skip`) that counts the same calls as `limit`: the same
        counter over the same window and scope (a listed limit with no scope is `grant`, as the
        gateway reads it). Two such limits are never two budgets: only the smaller binds."""
        key = (limit.counter, limit.window, limit.effective_scope)
        for index, listed in enumerate(self.limits):
            if index != skip and (listed.counter, listed.window, listed.effective_scope) == key:
                return index
        return None

    def _say(self, message: str) -> None:
        self.query_one(f"#{self.prefix}-error", Static).update(Text(message))

    def add(self) -> None:
        """Add the form's limit; for a counter the list already limits over that window and
        scope, change that limit's maximum instead: Enter pressed twice wrote the same limit
        twice, and a new number typed to replace the old one kept both (the smaller binding)."""
        limit = self._form_limit()
        if limit is None:
            return
        index = self._counting_the_same(limit)
        if index is None:
            self.limits.append(limit)
            self._refill(len(self.limits) - 1)
        elif not self.query_one(f"#{self.prefix}-max", Input).value.strip():
            # The empty field suggests 30 for a new limit; it never changes a listed one: `l`
            # and Enter alone turned a 10/minute into 30/minute, a limit loosened unasked.
            self._say(f"{one_line(self.limits[index].describe(), 100)} is listed already: "
                      "type a number in max calls to change it")
        elif self.limits[index].max == limit.max:
            self._say(f"{one_line(limit.describe(), 100)} is already listed")
        else:
            self.limits[index] = limit
            self._refill(index)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.add()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = (event.button.id or "").removeprefix(f"{self.prefix}-")
        if button == "add":
            self.add()
        elif button == "update":
            index = self._selected()
            limit = self._form_limit()
            if index is not None and limit is not None:
                other = self._counting_the_same(limit, skip=index)
                if other is not None:
                    self._say(f"limit {other + 1} already counts {one_line(limit.counter, 60)} per "
                              f"{limit.window}: change that one, or give this one another counter name")
                    return
                self.limits[index] = limit
                self._refill(index)
        elif button == "remove":
            self.action_remove()

    def action_remove(self) -> None:
        index = self._selected()
        if index is not None:
            del self.limits[index]
            # The form held the removed limit: emptied, it waits for nothing (the next limit,
            # if any, is loaded into it as it is highlighted).
            self.query_one(f"#{self.prefix}-max", Input).value = ""
            self._refill(index)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # The list takes the focus with no limit highlighted: del and Update selected did
        # nothing, unseen. Its first limit is highlighted (and loaded into the form) instead.
        options = self.query_one(f"#{self.prefix}-list", OptionList)
        if event.widget is options and options.highlighted is None and self.limits:
            options.highlighted = 0

    @on(OptionList.OptionHighlighted)
    def _load(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        index = self._selected()
        if index is None:
            return
        limit = self.limits[index]
        self.query_one(f"#{self.prefix}-counter", Input).value = limit.counter
        self.query_one(f"#{self.prefix}-max", Input).value = str(limit.max)
        self.query_one(f"#{self.prefix}-window", Select).value = limit.window
        self.query_one(f"#{self.prefix}-scope", Select).value = limit.effective_scope


class LimitsScreen(DialogScreen[LimitsResult | None]):
    """Edit one tool's limits and the shared all_tools limits together."""

    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="limits.apply",
                tooltip="Give the tools these limits"),
        Binding("escape", "cancel", "Cancel", id="limits.cancel",
                tooltip="Close the dialog, the limits unchanged"),
    ]

    def __init__(
        self, tool: str, tool_limits: list[Limit], shared_limits: list[Limit], *, shared_first: bool = False
    ) -> None:
        super().__init__(id="limits-screen")
        self.tool = tool
        self.tool_limits = tool_limits
        self.shared_limits = shared_limits
        self.shared_first = shared_first

    def compose(self) -> ComposeResult:
        with DialogFrame(id="dialog", classes="dialog wide"):
            title = Text("Limits for ", style="bold")
            title.append(one_line(self.tool, 80))
            yield Static(title, id="dialog-title")
            with TabbedContent(initial="tab-shared" if self.shared_first else "tab-tool"):
                with TabPane("This tool", id="tab-tool"):
                    yield LimitEditor(self.tool_limits, _counter_name(self.tool), prefix="tool")
                with TabPane("All tools (shared)", id="tab-shared"):
                    yield LimitEditor(self.shared_limits, "all_calls", prefix="shared")
            with DialogButtons(id="dialog-buttons"):
                yield Button(Text("Apply [ctrl+s]"), id="limits-apply", variant="primary")
                yield Button(Text("Cancel [esc]"), id="limits-cancel")

    def on_mount(self) -> None:
        compact_all(self)
        prefix = "shared" if self.shared_first else "tool"
        self.query_one(f"#{prefix}-max", Input).focus()
        # Then back to the top: on a short terminal the focus scrolled the dialog past its
        # title, which says whose limits these are (the field still shows at 40x12).
        self.call_after_refresh(self.query_one("#dialog").scroll_home, animate=False)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """The form's buttons, for the command palette (name, what it does, action): none has
        a key of its own (Enter adds only from a field, del removes only from the list)."""
        prefix = "shared" if self.query_one(TabbedContent).active == "tab-shared" else "tool"
        which = "the shared limits" if prefix == "shared" else "this tool's limits"
        return [
            (label, f"{what} ({which} tab)", self.query_one(f"#{prefix}-{button}", Button).press)
            for button, label, what in (
                ("add", "Add", "add the limit in the form"),
                ("update", "Update selected", "replace the selected limit with the one in the form"),
                ("remove", "Remove selected", "remove the selected limit"),
            )
        ]

    def unapplied(self) -> str | None:
        """The limits as changed and not applied: one added, changed or removed in either
        list, or one in either form that Apply would wait for."""
        try:
            editors = [(self.query_one(f"#{prefix}-editor", LimitEditor), opened) for prefix, opened
                       in (("tool", self.tool_limits), ("shared", self.shared_limits))]
            changed = any(editor.limits != opened or editor.unadded() is not None
                          for editor, opened in editors)
        except NoMatches:  # closing: its fields are gone
            return None
        return f"the limits for {one_line(self.tool, 60)}" if changed else None

    @on(Button.Pressed, "#limits-apply")
    def action_apply(self) -> None:
        self.settle_then(self._apply)

    def _apply(self) -> None:
        for prefix, tab in (("tool", "tab-tool"), ("shared", "tab-shared")):
            editor = self.query_one(f"#{prefix}-editor", LimitEditor)
            unadded = editor.unadded()
            if unadded is not None:
                self.query_one(TabbedContent).active = tab
                editor.show_unadded(unadded)
                return
        self.dismiss(
            LimitsResult(
                list(self.query_one("#tool-editor", LimitEditor).limits),
                list(self.query_one("#shared-editor", LimitEditor).limits),
            )
        )

    @on(Button.Pressed, "#limits-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _counter_name(tool: str) -> str:
    """A readable default counter name; odd characters in a tool name are kept out of it."""
    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in tool)[:60].strip("_")
    return f"{safe or 'tool'}_rate"
