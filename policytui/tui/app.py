"""The policy editor application.

`make_app(...)` builds it for the CLI, Pilot tests and snapshot tests alike: give it a
ServerListing to start with tools already there, or a `load_listing` callable that a worker
runs after the first paint (that is where `import mcp` and the server start happen).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Footer,
    Input,
    Label,
    LoadingIndicator,
    Static,
    TabbedContent,
    TabPane,
)

from policytui.editor import (
    CONDITION_KINDS,
    EditError,
    EditorState,
    PendingSave,
    RowFilter,
    one_line,
    schema_args,
    visible,
)
from policytui.editor.rows import SORT_KEYS
from policytui.toolinfo import ServerListing
from policytui.tui.detail import render_detail
from policytui.tui.screens.conditions import ConditionsScreen, RuleResult
from policytui.tui.screens.dialogs import Choice, ChoiceScreen, tail_text
from policytui.tui.screens.filters import FilterScreen
from policytui.tui.screens.help import HelpScreen
from policytui.tui.screens.limits import LimitsResult, LimitsScreen
from policytui.tui.screens.picker import ServerChoice, ServerPickerScreen
from policytui.tui.keys import ACTIONS, APP_ACTIONS, editor_bindings
from policytui.tui.panels import (
    render_decision,
    render_diff,
    render_preview,
    render_problems,
)
from policytui.tui.table import ToolTable

DECISION_VERBS = {"allow": "Allowed", "deny": "Denied", "hide": "Hid", "approve": "Set approval on"}
DEFAULT_THEME = "ansi-dark"

ListingLoader = Callable[[], ServerListing]


class PolicyApp(App[int]):
    """Read a server's tools, decide, and leave with a valid policy.json."""

    CSS_PATH = "policytui.tcss"
    TITLE = "policytui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = editor_bindings()

    def __init__(
        self,
        *,
        policy_path: Path,
        listing: ServerListing | None = None,
        load_listing: ListingLoader | None = None,
        load_offline: ListingLoader | None = None,
        target_label: str = "",
        theme: str | None = None,
        pick_from: list[ServerChoice] | None = None,
        loaders_for: Callable[[str], tuple[ListingLoader, ListingLoader | None]] | None = None,
    ) -> None:
        super().__init__()
        if listing is None and load_listing is None and not (pick_from and loaders_for):
            raise ValueError("give a listing, a way to load one, or servers to pick from")
        self.pick_from = pick_from or []
        self.loaders_for = loaders_for
        self.policy_path = Path(policy_path)
        self.initial_listing = listing
        self.load_listing = load_listing
        self.load_offline = load_offline
        self.target_label = target_label
        self.state: EditorState | None = None
        self.row_filter = RowFilter()
        self.report: Any = None
        self.started_at = time.monotonic()
        self._panel_timer: Any = None
        self._loading_timer: Any = None
        self._exiting = False
        # Set once the tools are on screen; tests and scripts `await app.loaded.wait()`.
        self.loaded = asyncio.Event()
        self.theme = theme or terminal_theme()

    @property
    def main(self) -> Screen:
        """The editor's own screen, even while a dialog is on top (App.query_one asks the top one)."""
        return self.screen_stack[0]

    # ----- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text("policytui"), id="status")
        yield Static("", id="banner")
        yield Input(placeholder="filter tools by name (Enter: back to the table, Esc: clear)", id="filter")
        with Vertical(id="body"):
            with Vertical(id="loading"):
                yield LoadingIndicator()
                yield Static(Text("Starting…"), id="loading-text")
            yield ToolTable(id="tools")
            with TabbedContent(id="panels", initial="tab-tool"):
                with TabPane("Tool", id="tab-tool"):
                    with VerticalScroll(id="detail-scroll"):
                        yield Static(Text(""), id="detail")
                with TabPane("Problems", id="tab-problems"):
                    with VerticalScroll():
                        yield Static(Text(""), id="problems")
                with TabPane("JSON", id="tab-json"):
                    with VerticalScroll():
                        yield Static(Text(""), id="preview")
                with TabPane("Diff", id="tab-diff"):
                    with VerticalScroll():
                        yield Static(Text(""), id="diff")
                with TabPane("Try", id="tab-try"):
                    with Vertical(id="try"):
                        with Horizontal(classes="try-row"):
                            yield Label("tool ")
                            yield Input(placeholder="tool name", id="try-tool")
                        with Horizontal(classes="try-row"):
                            yield Label("args ")
                            yield Input(placeholder='{"action": "delete"}', id="try-args")
                        yield Static(Text("Enter arguments as JSON and press Enter.", style="dim"), id="try-result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.main.query_one("#filter").display = False
        self.main.query_one("#banner").display = False
        self.main.query_one("#tools").display = False
        self.main.query_one("#panels").display = False
        self._paint_status()
        self._loading_timer = self.set_interval(0.1, self._tick_loading)
        if self.pick_from:
            self._pick_server()
        else:
            self.discover()

    def on_resize(self) -> None:
        if not self._alive:
            return
        self.main.query_one("#body").set_class(self.size.width >= 150, "-wide")
        self._paint_status()

    # ----- discovery ----------------------------------------------------------------------

    @property
    def _alive(self) -> bool:
        """False while the app shuts down: late timers and workers must not touch the screen."""
        return bool(self.screen_stack) and self.is_running and not self._exiting

    def exit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._exiting = True
        super().exit(*args, **kwargs)

    def _tick_loading(self) -> None:
        if not self._alive:
            return
        elapsed = time.monotonic() - self.started_at
        if self.initial_listing is not None:
            text = Text(f"Reading {len(self.initial_listing.tools):,} tools and classifying them… {elapsed:.1f} s")
        else:
            text = Text("Starting ")
            text.append(one_line(self.target_label or "the server", 120), style="bold")
            text.append(f" and listing its tools… {elapsed:.1f} s")
        for widget in self.main.query("#loading-text").results(Static):
            widget.update(text)  # (absent while the app shuts down)

    @work(exclusive=True, group="discover", exit_on_error=False)
    async def discover(self, offline: bool = False) -> None:
        """Start the server (or read the snapshot) off the UI thread; never crash on failure."""
        self.started_at = time.monotonic()
        loader = self.load_offline if offline else self.load_listing
        try:
            if self.initial_listing is not None and not offline:
                listing = self.initial_listing
            else:
                assert loader is not None
                listing = await asyncio.to_thread(loader)
            state = await asyncio.to_thread(EditorState.open, listing, self.policy_path)
        except Exception as exc:  # every failure becomes a dialog, never a traceback
            if self._alive:
                self._discovery_failed(exc)
            return
        if self._alive:
            self._install(state)

    def _pick_server(self) -> None:
        def picked(name: str | None) -> None:
            if not name or self.loaders_for is None:
                self.exit(0)
                return
            try:
                self.load_listing, self.load_offline = self.loaders_for(name)
            except Exception as exc:  # an unusable entry: say why, let the user pick again
                self.notify(one_line(str(exc), 200), severity="error", markup=False)
                self._pick_server()
                return
            self.target_label = name
            self._paint_status()
            self.discover()

        self.push_screen(ServerPickerScreen(self.pick_from), picked)

    def _discovery_failed(self, exc: BaseException) -> None:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        stderr = getattr(exc, "stderr_tail", "") or ""
        choices = [Choice("retry", "Retry", "r", "primary")]
        if self.load_offline is not None:
            choices.append(Choice("offline", "Use offline snapshot", "o"))
        choices.append(Choice("quit", "Quit", "q", "error"))
        screen = ChoiceScreen(
            "Could not list the server's tools",
            visible(message),
            choices,
            detail=tail_text(stderr) if stderr else None,
            cancel="quit",
            id="failure",
            detail_at_end=True,
        )

        def answered(answer: str | None) -> None:
            # After the dialog is gone: a fast failure must not push its dialog under this one.
            if answer == "retry":
                self.call_after_refresh(self.discover)
            elif answer == "offline":
                self.call_after_refresh(self.discover, True)
            else:
                self.exit(1, return_code=1)

        self.push_screen(screen, answered)

    def _install(self, state: EditorState) -> None:
        self.state = state
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self.main.query_one("#loading").display = False
        table = self.main.query_one(ToolTable)
        table.display = True
        self.main.query_one("#panels").display = True
        listing = state.listing
        banner = self.main.query_one("#banner", Static)
        if listing.offline_reason:
            text = Text("OFFLINE ", style="bold")
            text.append(one_line(listing.offline_reason, 200))
            text.append(f" Showing the recorded tools ({one_line(listing.source or 'snapshot', 100)}).", style="dim")
            banner.update(text)
            banner.display = True
        table.empty_text = "The server lists no tools." if not state.rows else "No tool matches the filter."
        self._refresh_view()
        table.focus()
        self._changed(full=True)
        if state.load_problems:
            self._show_load_problems()
        self.loaded.set()

    def _show_load_problems(self) -> None:
        assert self.state is not None
        detail = Text("\n".join(visible(p) for p in self.state.load_problems[:30]))
        self.push_screen(
            ChoiceScreen(
                f"{self.policy_path.name} is not a valid policy",
                "The file stays as it is. You can start a new policy here; saving will ask "
                "before replacing the file (a .bak copy is kept).",
                [Choice("edit", "Start a new policy", "n", "primary"), Choice("quit", "Quit", "q", "error")],
                detail=detail,
                cancel="edit",
                id="load-problems",
            ),
            lambda answer: self.exit(1, return_code=1) if answer == "quit" else None,
        )

    # ----- drawing ------------------------------------------------------------------------

    def _paint_status(self) -> None:
        status = Text(no_wrap=True, overflow="ellipsis")
        if self.size.width >= 110:
            status.append(" policytui ", style="reverse bold")
        state = self.state
        if state is None:
            status.append("  ")
            status.append(one_line(self.target_label, 60))
            status.append("  starting…", style="dim")
            self.main.query_one("#status", Static).update(status)
            return
        listing = state.listing
        status.append(" ")
        status.append(one_line(listing.server_name or "server", 40), style="bold")
        if listing.server_version:
            status.append(" " + one_line(listing.server_version, 20))
        status.append(f" · {listing.transport} · {len(listing.tools)} tools")
        shown = len(self.main.query_one(ToolTable).view)
        if self.row_filter.active:
            status.append(f" ({shown} shown)", style="bold")
        marked = len(self.main.query_one(ToolTable).marked)
        if marked:
            status.append(f" ({marked} marked)", style="bold")
        status.append(" │ ")
        status.append(visible(self.policy_path.name))
        if state.dirty:
            status.append(" ● unsaved", style="bold")
        elif state.saved_text is None:
            status.append(" (new)", style="dim")
        status.append(" │ default ")
        status.append(state.policy.default, style="bold reverse")
        report = self.report
        if report is not None:
            if report.errors:
                status.append(f" │ ✗ {len(report.errors)} errors", style="bold")
            elif report.warnings:
                status.append(f" │ ! {len(report.warnings)} warnings")
            else:
                status.append(" │ ✓ valid")
        self.main.query_one("#status", Static).update(status)

    def _refresh_view(self, keep: str | None = None) -> None:
        state = self.state
        if state is None:
            return
        table = self.main.query_one(ToolTable)
        if keep is None and table.current_row is not None:
            keep = table.current_row.name
        view = state.view(self.row_filter, table.sort_key, table.sort_reverse)
        table.set_view(state.rows, view, keep=keep)
        self._paint_status()

    def _changed(self, *, full: bool = False) -> None:
        """After an edit: repaint rows and status now, the heavier panels a moment later."""
        table = self.main.query_one(ToolTable)
        state = self.state
        # Re-filter and re-sort when the edit can change what is shown or where; otherwise
        # the rows changed in place and a repaint is enough.
        if full or self.row_filter.active or table.sort_key is not None or (
            state is not None and table.rows is not state.rows
        ):
            self._refresh_view()
        else:
            table.rows = self.state.rows if self.state else []
            table.rows_changed()
        self._paint_status()
        self._show_detail(table.current_row.name if table.current_row else None)
        if self._panel_timer is not None:
            self._panel_timer.stop()
        self._panel_timer = self.set_timer(0.15, self._after_edit)

    def _show_detail(self, name: str | None) -> None:
        if self.state is None:
            return
        self.main.query_one("#detail", Static).update(render_detail(self.state, name))

    @on(ToolTable.Highlighted)
    def _highlighted(self, event: ToolTable.Highlighted) -> None:
        if not self._alive:
            return
        self._show_detail(event.name)

    @on(ToolTable.MarksChanged)
    def _marks_changed(self) -> None:
        if not self._alive:
            return
        self._paint_status()

    @on(ToolTable.SortRequested)
    def _sort_requested(self, event: ToolTable.SortRequested) -> None:
        if not self._alive:
            return
        table = self.main.query_one(ToolTable)
        if table.sort_key == event.key:
            table.sort_reverse = not table.sort_reverse
        else:
            table.sort_key, table.sort_reverse = event.key, False
        self._refresh_view()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        if not self._alive:
            return
        self._refresh_panels()

    def _refresh_panels(self) -> None:
        """Fill the JSON or diff panel if it is the one showing (they cost most at scale)."""
        if self.state is None:
            return
        active = self.main.query_one("#panels", TabbedContent).active
        if active == "tab-json":
            self._show_preview()
        elif active == "tab-diff":
            self.show_diff()

    def _show_preview(self) -> None:
        assert self.state is not None
        self.main.query_one("#preview", Static).update(
            render_preview(self.state.preview_text(), dark=self.current_theme.dark)
        )

    @work(exclusive=True, group="diff", exit_on_error=False)
    async def show_diff(self) -> None:
        state = self.state
        if state is None:
            return
        path = self.policy_path

        def read() -> str | None:
            try:
                return path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None

        disk = await asyncio.to_thread(read)
        if not self._alive:
            return
        diff = state.diff_against(disk)
        self.main.query_one("#diff", Static).update(render_diff(diff, dark=self.current_theme.dark))

    def _after_edit(self) -> None:
        """Validate and refresh the visible panel once typing pauses (not on every key)."""
        if not self._alive:
            return  # the timer outlived the app (quit right after an edit)
        self.validate()
        self._refresh_panels()

    def validate(self) -> None:
        """Validate the document as edited (about 30 ms at 10,000 rules) and show the problems."""
        state = self.state
        if state is None:
            return
        try:
            self.report = state.validate()
        except Exception as exc:  # a validator bug must not take the editor down
            self.main.query_one("#problems", Static).update(Text(f"Validation failed: {exc}"))
            return
        self._show_problems()
        self._paint_status()

    def _show_problems(self) -> None:
        state = self.state
        if state is None:
            return
        errors = len(getattr(self.report, "errors", None) or [])
        label = f"Problems ({errors})" if errors else "Problems"
        self.main.query_one("#panels", TabbedContent).get_tab("tab-problems").label = label  # type: ignore[assignment]
        self.main.query_one("#problems", Static).update(render_problems(state, self.report))

    # ----- helpers ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in APP_ACTIONS and self.state is None and action not in ("quit", "help"):
            return False  # nothing to edit, filter or sort until the tools are there
        # While a dialog is open its own keys apply; the editor's keys wait (quit still works).
        if action in APP_ACTIONS and action != "quit" and isinstance(self.screen, ModalScreen):
            return False
        return True

    def _current(self) -> str | None:
        row = self.main.query_one(ToolTable).current_row
        if row is None:
            self.notify("No tool selected.", severity="warning")
            return None
        return row.name

    def _edit(self, operation: Callable[[], Any], *, full: bool = False) -> Any:
        """Run one editor operation; its error becomes a notification, never a crash."""
        try:
            result = operation()
        except EditError as exc:
            self.notify(one_line(str(exc), 300), severity="error", markup=False)
            return None
        self._changed(full=full)
        return result

    # ----- actions: deciding --------------------------------------------------------------

    def action_decide(self, decision: str) -> None:
        name = self._current()
        if name is None or self.state is None:
            return
        state = self.state
        changed = self._edit(lambda: state.set_decision([name], decision))
        if changed == 0:
            self.notify(f"Already {decision}: nothing to change.", timeout=1.5)

    def action_reset(self) -> None:
        name = self._current()
        if name is None or self.state is None:
            return
        state = self.state
        self._edit(lambda: state.clear_rules([name]), full=True)

    def action_toggle_default(self) -> None:
        if self.state is None:
            return
        state = self.state
        new = self._edit(state.toggle_default, full=True)
        if new:
            self.notify(f"Default is now {new}: unlisted tools are {'allowed' if new == 'allow' else 'denied'}.")

    def action_bulk(self) -> None:
        if self.state is None:
            return
        table = self.main.query_one(ToolTable)
        if table.marked:
            names = [n for n in self.state.row_indexes if n in table.marked]
            scope = f"the {len(names)} marked tools"
        else:
            names = table.visible_names
            scope = f"the {len(names)} tools shown" if self.row_filter.active else f"all {len(names)} tools"
        if not names:
            self.notify("No tools shown.", severity="warning")
            return
        choices = [
            Choice("allow", "Allow", "a", "success"),
            Choice("deny", "Deny", "d", "error"),
            Choice("hide", "Hide", "h"),
            Choice("approve", "Approval", "r", "warning"),
            Choice("reset", "Reset", "x"),
            Choice("cancel", "Cancel", "escape"),
        ]
        filter_text = "" if table.marked else self.row_filter.describe()

        def answered(answer: str | None) -> None:
            state = self.state
            if state is None or answer in (None, "cancel"):
                return
            if answer == "reset":
                self._edit(lambda: state.clear_rules(names), full=True)
                table.marked.clear()
                self.notify(f"Reset {len(names)} tools to the default.")
                return
            changed = self._edit(lambda: state.set_decision(names, answer), full=True)
            table.marked.clear()
            if changed is not None:
                self.notify(f"{DECISION_VERBS[answer]} {changed} of {len(names)} tools.")

        self.push_screen(
            ChoiceScreen(
                "Bulk decision",
                f"Apply to {scope}" + (f" ({filter_text})" if filter_text else "") + ". One ctrl+z undoes it.",
                choices,
                id="bulk",
            ),
            answered,
        )

    def action_preset(self) -> None:
        if self.state is None:
            return
        from policytui.risk.presets import PRESET_SUMMARIES, PRESETS

        names = list(PRESETS)
        choices = [
            Choice(name, f"{name}: {PRESET_SUMMARIES.get(name, '')}", str(i + 1))
            for i, name in enumerate(names[:9])
        ]
        choices.append(Choice("cancel", "Cancel", "escape"))

        def answered(answer: str | None) -> None:
            state = self.state
            if state is None or answer in (None, "cancel"):
                return
            self._edit(lambda: state.apply_preset(answer), full=True)
            self.notify(f"Applied preset {answer}. ctrl+z undoes it.", markup=False)

        self.push_screen(
            ChoiceScreen(
                "Apply a preset",
                "Replaces every rule with one built from the tools' risk categories.",
                choices,
                id="preset",
            ),
            answered,
        )

    def action_override(self) -> None:
        name = self._current()
        if name is None or self.state is None:
            return
        from policytui.risk import CATEGORIES

        choices = [Choice(c, c, str(i + 1)) for i, c in enumerate(CATEGORIES)]
        choices += [Choice("__auto__", "Classifier's choice", "0"), Choice("cancel", "Cancel", "escape")]

        def answered(answer: str | None) -> None:
            state = self.state
            if state is None or answer in (None, "cancel"):
                return
            category = None if answer == "__auto__" else answer
            self._edit(lambda: state.set_override(name, category))

        self.push_screen(
            ChoiceScreen("Risk category", f"Category of {one_line(name, 60)}", choices, id="override"),
            answered,
        )

    # ----- actions: limits and conditions -------------------------------------------------

    def action_limits(self) -> None:
        name = self._current()
        if name is None or self.state is None:
            return
        state = self.state

        def done(result: LimitsResult | None) -> None:
            if result is not None:
                self._edit(lambda: state.edit_limits(name, result.tool_limits, result.shared_limits), full=True)

        self.push_screen(LimitsScreen(name, state.limits_of(name), state.limits_of(None)), done)

    def action_conditions(self) -> None:
        name = self._current()
        if name is None or self.state is None:
            return
        state = self.state
        tool = state.tools_by_name.get(name)
        args = schema_args(tool.input_schema) if tool else []
        rule = state.policy.rule(name)
        conditions = {k: state.conditions_of(name, k) for k in CONDITION_KINDS}

        def done(result: RuleResult | None) -> None:
            if result is not None:
                self._edit(lambda: state.edit_rule(name, reason=result.reason, conditions=result.conditions))

        self.push_screen(ConditionsScreen(name, args, conditions, rule.reason if rule else None), done)

    # ----- actions: filtering and sorting -------------------------------------------------

    def action_filter(self) -> None:
        box = self.main.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.row_filter.text = event.value
        self._refresh_view()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        table = self.main.query_one(ToolTable)
        if not event.value:
            event.input.display = False
        table.focus()
        table.cursor = 0

    def on_key(self, event: Any) -> None:
        box = self.main.query_one("#filter", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.value = ""
            box.display = False
            self.main.query_one(ToolTable).focus()

    def action_clear_filter(self) -> None:
        table = self.main.query_one(ToolTable)
        if table.marked:
            table.marked.clear()  # first Esc drops the marks, the next one the filter
            table.refresh()
            self._paint_status()
            return
        if not self.row_filter.active:
            return
        self.row_filter = RowFilter()
        box = self.main.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self._refresh_view()

    def action_filter_menu(self) -> None:
        if self.state is None:
            return
        categories = sorted({r.category for r in self.state.rows})

        def done(result: RowFilter | None) -> None:
            if result is not None:
                result.text = self.row_filter.text
                self.row_filter = result
                self._refresh_view()
                self.main.query_one(ToolTable).cursor = 0

        self.push_screen(FilterScreen(self.row_filter, categories), done)

    def filter_by(self, **values: Iterable[str]) -> None:
        """Narrow the table, e.g. filter_by(categories=["Destructive"]) (palette and tests)."""
        for key, items in values.items():
            setattr(self.row_filter, key, frozenset(items))
        self._refresh_view()
        self.main.query_one(ToolTable).cursor = 0

    def action_sort(self) -> None:
        table = self.main.query_one(ToolTable)
        order: list[str | None] = [None, *SORT_KEYS]
        table.sort_key = order[(order.index(table.sort_key) + 1) % len(order)]
        table.sort_reverse = False
        self._refresh_view()
        self.notify(f"Sorted by {table.sort_key or 'server order'}.", timeout=1.5)

    def action_reverse_sort(self) -> None:
        table = self.main.query_one(ToolTable)
        table.sort_reverse = not table.sort_reverse
        self._refresh_view()

    # ----- actions: history ---------------------------------------------------------------

    def action_undo(self) -> None:
        if self.state is None:
            return
        label = self.state.undo()
        if label is None:
            self.notify("Nothing to undo.", timeout=1.5)
            return
        self._changed(full=True)
        self.notify(f"Undid: {one_line(label, 120)}", markup=False, timeout=2)

    def action_redo(self) -> None:
        if self.state is None:
            return
        label = self.state.redo()
        if label is None:
            self.notify("Nothing to redo.", timeout=1.5)
            return
        self._changed(full=True)
        self.notify(f"Redid: {one_line(label, 120)}", markup=False, timeout=2)

    # ----- actions: panels, try a call ----------------------------------------------------

    def action_panel(self, tab: str) -> None:
        self.main.query_one("#panels", TabbedContent).active = tab

    def action_try_call(self) -> None:
        state = self.state
        name = self._current()
        if state is None or name is None:
            return
        self.action_panel("tab-try")
        self.main.query_one("#try-tool", Input).value = name
        args_box = self.main.query_one("#try-args", Input)
        if not args_box.value:
            tool = state.tools_by_name.get(name)
            sample = {}
            for arg in schema_args(tool.input_schema if tool else {}):
                if "." in arg.name:
                    continue
                if arg.choices:
                    sample[arg.name] = arg.choices[-1]
                elif arg.required:
                    sample[arg.name] = ""
            args_box.value = json.dumps(sample, ensure_ascii=False)
        args_box.focus()

    @on(Input.Submitted, "#try-tool")
    @on(Input.Submitted, "#try-args")
    def _try_submitted(self) -> None:
        state = self.state
        if state is None:
            return
        tool = self.main.query_one("#try-tool", Input).value
        raw = self.main.query_one("#try-args", Input).value.strip() or "{}"
        out = self.main.query_one("#try-result", Static)
        try:
            args = json.loads(raw)
        except json.JSONDecodeError as exc:
            out.update(Text(f"The arguments are not valid JSON: {exc.msg} (column {exc.colno}).", style="bold"))
            return
        if not isinstance(args, dict):
            out.update(Text("The arguments must be a JSON object.", style="bold"))
            return
        out.update(render_decision(state.try_call(tool, args)))

    # ----- actions: saving, exporting, quitting -------------------------------------------

    def action_save(self, then_quit: bool = False) -> None:
        state = self.state
        if state is None:
            return
        if state.needs_overwrite_consent:
            self.push_screen(
                ChoiceScreen(
                    f"Replace {self.policy_path.name}?",
                    "The file on disk is not a valid policy. Replace it with this one? "
                    "The old file is kept as a .bak copy.",
                    [Choice("replace", "Replace", "y", "error"), Choice("cancel", "Cancel", "n")],
                    detail=Text("\n".join(visible(p) for p in state.load_problems[:20])),
                    id="confirm-replace",
                ),
                lambda answer: self.save(force=True, then_quit=then_quit) if answer == "replace" else None,
            )
            return
        errors = getattr(self.report, "errors", None)
        if errors:
            self.push_screen(
                ChoiceScreen(
                    "The policy has problems",
                    f"{len(errors)} validation error(s): a gateway may refuse this file. Save anyway?",
                    [Choice("save", "Save anyway", "y", "warning"), Choice("cancel", "Cancel", "n")],
                    detail=Text("\n".join(visible(p.format()) for p in errors[:20])),
                    id="confirm-invalid",
                ),
                lambda answer: self.save(then_quit=then_quit) if answer == "save" else None,
            )
            return
        self.save(then_quit=then_quit)

    @work(exclusive=True, group="save", exit_on_error=False)
    async def save(self, force: bool = False, then_quit: bool = False) -> None:
        """Write atomically off the UI thread; a conflict or an I/O error asks or explains."""
        state = self.state
        if state is None:
            return
        from policytui.policy.files import PolicyFileConflict

        pending: PendingSave = state.prepare_save()
        try:
            result = await asyncio.to_thread(state.write, pending, force=force)
        except PolicyFileConflict:
            self.push_screen(
                ChoiceScreen(
                    f"{self.policy_path.name} changed on disk",
                    "Someone else wrote the file after it was opened here. Overwrite their version? "
                    "(It is kept as a .bak copy; the Diff panel shows what would change.)",
                    [Choice("overwrite", "Overwrite", "y", "error"), Choice("cancel", "Cancel", "n")],
                    id="confirm-conflict",
                ),
                lambda answer: self.save(force=True, then_quit=then_quit) if answer == "overwrite" else None,
            )
            return
        except Exception as exc:  # PolicyFileError, EditError, OSError: one sentence, file intact
            self.notify(f"Not saved: {one_line(str(exc) or exc.__class__.__name__, 200)}", severity="error", markup=False)
            return
        state.mark_saved(pending, result)
        if not self._alive:
            return
        self._paint_status()
        self._refresh_panels()
        self.notify(f"Saved {one_line(str(self.policy_path), 120)}", markup=False, timeout=2)
        if then_quit:
            self.exit(0)

    def action_export(self) -> None:
        state = self.state
        if state is None:
            return
        from policytui.tui.screens.export import ExportScreen

        self.push_screen(ExportScreen(state.policy_for_save(), self.policy_path))

    def action_copy_json(self) -> None:
        if self.state is None:
            return
        self.copy_to_clipboard(self.state.preview_text())
        self.notify("Copied the policy JSON to the clipboard.", timeout=2)

    async def action_quit(self) -> None:
        state = self.state
        if state is None or not state.dirty:
            self.exit(0)
            return

        def answered(answer: str | None) -> None:
            if answer == "save":
                self.action_save(then_quit=True)
            elif answer == "discard":
                self.exit(0)

        self.push_screen(
            ChoiceScreen(
                "Unsaved changes",
                f"{self.policy_path.name} has changes that are not saved.",
                [
                    Choice("save", "Save and quit", "s", "primary"),
                    Choice("discard", "Quit without saving", "q", "error"),
                    Choice("cancel", "Cancel", "escape"),
                ],
                id="confirm-quit",
            ),
            answered,
        )

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self))

    # ----- command palette ----------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is not self.screen or self.state is None:
            return
        for key, action, description, _id, _show, help_text in ACTIONS:
            key_text = self.get_key_display(Binding(key, action))
            yield SystemCommand(help_text, f"{description} · key {key_text}", partial(self.run_action, action))
        for category in sorted({r.category for r in self.state.rows}):
            yield SystemCommand(f"Filter: {category}", f"Show only {category} tools",
                                partial(self.filter_by, categories=[category]), discover=False)
        for decision in ("allow", "deny", "hide", "approve"):
            yield SystemCommand(f"Filter: decision {decision}", f"Show only tools decided {decision}",
                                partial(self.filter_by, decisions=[decision]), discover=False)
        yield SystemCommand("Filter: drift", "Show only new, changed and missing tools",
                            partial(self._filter_drift), discover=False)
        yield SystemCommand("Limits for all tools", "Edit the shared all_tools limits",
                            self._shared_limits)

    def _filter_drift(self) -> None:
        self.row_filter.drift_only = True
        self._refresh_view()

    def _shared_limits(self) -> None:
        state = self.state
        if state is None:
            return
        row = self.main.query_one(ToolTable).current_row
        name = row.name if row else ""

        def done(result: LimitsResult | None) -> None:
            if result is not None:
                if name:
                    self._edit(lambda: state.edit_limits(name, result.tool_limits, result.shared_limits), full=True)
                else:
                    self._edit(lambda: state.set_limits(None, result.shared_limits), full=True)

        self.push_screen(
            LimitsScreen(name or "(no tool)", state.limits_of(name) if name else [], state.limits_of(None), shared_first=True),
            done,
        )


def terminal_theme(environ: dict[str, str] | None = None) -> str:
    """The ANSI theme matching the terminal: its own colours, light or dark.

    Terminals such as rxvt, Konsole and iTerm2 set COLORFGBG ("15;0" = light text on dark);
    a background of 7 or 15 means a light terminal.
    """
    import os

    value = (environ if environ is not None else os.environ).get("COLORFGBG", "")
    background = value.rsplit(";", 1)[-1]
    return "ansi-light" if background in ("7", "15") else DEFAULT_THEME


def make_app(
    *,
    policy_path: Path | str = "policy.json",
    listing: ServerListing | None = None,
    load_listing: ListingLoader | None = None,
    load_offline: ListingLoader | None = None,
    target_label: str = "",
    theme: str | None = None,
    pick_from: list[ServerChoice] | None = None,
    loaders_for: Callable[[str], tuple[ListingLoader, ListingLoader | None]] | None = None,
) -> PolicyApp:
    """Build the editor.

    With `listing`, no server is needed (tests, snapshots, `--from`); with `load_listing`, a
    worker calls it after the first paint; with `pick_from` and `loaders_for`, the user first
    picks one of the known servers. `load_offline`, when given, is offered if loading fails.
    `await app.loaded.wait()` inside `run_test` waits until the tools are on screen.
    """
    return PolicyApp(
        policy_path=Path(policy_path),
        listing=listing,
        load_listing=load_listing,
        load_offline=load_offline,
        target_label=target_label or (listing.server_name if listing else ""),
        theme=theme,
        pick_from=pick_from,
        loaders_for=loaders_for,
    )
