"""What every part of the editor app shares: its state, the main screen, and drawing.

`PolicyApp` is put together from one class per concern (startup, editing, viewing, files,
commands). Each of them extends `EditorBase` rather than being a plain mixin: Textual only
registers `@on(...)` handlers of classes built by its message-pump metaclass, so a handler on
a plain mixin would never fire. Everything an edit needs to reach the screen lives here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import App
from textual.geometry import Region
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from policytui.editor.rows import RowFilter
from policytui.editor.server_name import server_name_parts
from policytui.editor.text import clip, one_line, visible
from policytui.textsafe import visible as _visible
from policytui.tui.detail import render_detail
from policytui.tui.key_order import KeyOrder
from policytui.tui.keys import APP_ACTIONS
from policytui.tui.notices import HeldNotices
from policytui.tui.panels import file_warnings, render_diff, render_preview, render_problems
from policytui.tui.table import ToolTable
from policytui.tui.too_small import TooSmallScreen, notice_shown

if TYPE_CHECKING:  # the policy model loads in a worker after the first frame
    from policytui.editor.state import EditorState, PendingSave, SaveResult
    from policytui.tui.web_driver import InputMark


# From this terminal size (columns, lines) the OFFLINE banner is whole; below, one line.
BANNER_WHOLE_FROM = (100, 30)

# How long the detail pane waits for a pause in filter typing before it follows the cursor.
DETAIL_WHILE_TYPING_SECONDS = 0.15


class EditorBase(App[int]):
    """The editor's shared state and how it is drawn; `PolicyApp.__init__` sets the state."""

    policy_path: Path
    target_label: str
    state: EditorState | None
    row_filter: RowFilter
    report: Any
    _panel_timer: Any
    _exiting: bool
    key_order: KeyOrder
    # Notices raised while a dialog was open that found no room beside it (tui/notices.py).
    held_notices: HeldNotices
    # Set once the tab panes (the Try panel among them) are mounted.
    panels_ready: asyncio.Event
    # Saves asked for and not finished (the write runs in a worker).
    saves_in_flight: int = 0
    # The last save whose file was written, noted by the writing thread itself: the editor
    # may be quitting meanwhile (a browser window closed right after ctrl+s), and then the
    # worker is cancelled before it records the save, while the thread writes the file all
    # the same. The way out counts it (tui/unsaved.py) rather than keep what is on disk.
    written_save: tuple[PendingSave, SaveResult] | None = None
    # The user's own "Quit without saving": unsaved changes are not kept (tui/unsaved.py).
    unsaved_discarded: bool = False
    # What an open dialog held and had not applied as the editor was asked to end ("the
    # conditions for manage_flow"): no recovery file keeps it, and the line on the way out
    # says so (tui/unsaved.py). Not when the user's own answer to the quit question, which
    # named it (`unapplied_answered`), is why the editor ends.
    unapplied_at_exit: str | None = None
    unapplied_answered: str | None = None
    # Whether `note_unapplied_at_exit` has run: an editor stuck before its way out reached it
    # is read by the session driver's timer instead (tui/web_driver.py).
    unapplied_noted: bool = False
    # True while a detail-pane refresh is queued after the next frame.
    _detail_pending: bool = False
    # What the status line shows now (plain text and styles), to skip repainting it unchanged.
    _status_shown: tuple[Any, ...] | None = None
    # What the browser page was last told of unsaved work (`tell_the_page_unsaved`).
    _page_told_unsaved: bool = False
    _page_told_unapplied: str = ""

    @property
    def main(self) -> Screen:
        """The editor's own screen, even while a dialog is on top (App.query_one asks the top one)."""
        return self.screen_stack[0]

    @property
    def _alive(self) -> bool:
        """False while the app shuts down: late timers and workers must not touch the screen."""
        return bool(self.screen_stack) and self.is_running and not self._exiting

    # True while a worker thread lists the server: a quit then also stops the server.
    listing_in_flight: bool = False
    # The last attempt to list the server failed: the header stops saying "starting".
    listing_failed: bool = False

    def exit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._exiting = True
        super().exit(*args, **kwargs)

    # The OFFLINE banner's whole text (why, and which snapshot); None for a live server.
    offline_notice: Text | None = None

    def _refresh_notifications(self) -> None:
        """Beside a dialog, the command palette or the Try panel, never over its box
        (tui/notices.py): one raised before a dialog opened, such as the kept-changes notice
        shown for 20 seconds, covered the dialog's lower right and cut its error line and
        buttons; one raised while the Try panel was open covered its answer. Over a dialog or
        the palette only the notices raised since it opened show (what its own buttons said);
        the older ones show again over the editor once it is gone, for the rest of their time;
        one held for want of room, for its whole time."""
        from textual.css.query import NoMatches
        from textual.widgets._toast import ToastRack

        from policytui.tui.notices import free_band, place_rack, show_toasts, unplace_rack

        kept_clear = self._box_kept_clear()
        if kept_clear is None:
            self._placed_beside = None
            for notice in self.held_notices.release():
                self._notifications.add(notice)
            if self.screen_stack and isinstance(self.screen, TooSmallScreen):
                self.screen.show_said(self._notifications)  # no room for a notice's box
                return
            if self.screen_stack:
                for rack in self.screen.query_children(ToastRack):
                    unplace_rack(rack)  # the Try panel's, on the editor's own screen
                    # As Textual's own refresh, but with no toast's empty holder left behind.
                    self.call_later(show_toasts, rack, self._notifications)
            return
        screen, box, since = kept_clear
        try:
            rack = screen.get_child_by_type(ToastRack)
        except NoMatches:
            return  # notices are off (a test), or the screen is not composed yet
        notices = [notice for notice in self._notifications if notice.raised_at >= since]
        pending = self.held_notices.pending(notices)
        # Not laid out yet: no room known, so held until the box's first layout places them.
        side, band = (free_band(screen.size, box, pending[-1] if pending else None, self._rows_kept_clear(screen))
                      if box.area else ("bottom", box))
        shown = self.held_notices.beside_dialog(notices, band.height, band.width)
        for notice in shown:
            self._notifications.add(notice)  # one that was held may have timed out meanwhile
        place_rack(rack, side, band)
        self._placed_beside = (screen, box)
        self.call_later(show_toasts, rack, shown)

    # The screen and box the notices were last placed beside (None: in Textual's corner).
    _placed_beside: tuple[Screen, Region] | None = None

    def follow_layout(self, screen: Screen) -> None:
        """Have the notices follow `screen`'s box as it is laid out again (the palette's hits
        listed, the Try panel shown or moved beside the table): placed anew when it moved."""
        screen.screen_layout_refresh_signal.subscribe(self, self._laid_out)

    def _laid_out(self, screen: Screen) -> None:
        if not self._alive:
            return
        kept_clear = self._box_kept_clear()
        if (kept_clear[:2] if kept_clear else None) != self._placed_beside:
            self._refresh_notifications()

    def _box_kept_clear(self) -> tuple[Screen, Region, float] | None:
        """The screen, the box on it that notices keep clear of, and the time from which its
        notices are shown beside it; None when nothing on screen is kept clear of."""
        if not self.screen_stack:
            return None
        top = self.screen_stack[-1]
        opened_at = getattr(top, "opened_at", None)
        if opened_at is None:
            try_panel = self._try_panel_region()
            return None if try_panel is None else (top, try_panel, float("-inf"))
        if top.has_class("--textual-command-palette"):  # Textual's palette, or the editor's
            # Its search line and its hits (drawn over the screen, outside its container).
            box = Region()
            for part in top.query("#--input, CommandList"):
                if part.visible and part.region.area:
                    box = part.region if not box.area else box.union(part.region)
            return top, box, opened_at
        boxes = top.query(".dialog")
        return top, boxes.first().region if boxes else top.region, opened_at

    def _rows_kept_clear(self, screen: Screen) -> int:
        """The rows at the top of `screen` no notice goes over: on the editor's own screen, down
        to the OFFLINE banner's foot while it shows (a notice over it hid that the tools are
        recorded ones, not the live server's); none elsewhere (a dialog is over it, dimmed)."""
        if screen is not self.main or self.offline_notice is None:
            return 0
        banner = self.main.query_one("#banner", Static)
        return banner.region.bottom if banner.display and banner.region.area else 0

    def _try_panel_region(self) -> Region | None:
        """The panels' region while the Try panel shows on the editor's own screen, else None."""
        if self.screen_stack[-1] is not self.main or not self.panels_ready.is_set():
            return None
        from textual.widgets import TabbedContent

        panels = self.main.query("#panels").results(TabbedContent)
        panel = next(panels, None)
        if panel is None or not panel.display or panel.active != "tab-try":
            return None
        return panel.region

    def place_notices(self) -> None:
        """Lay out the notices again, for a box that changed its size or the screen's."""
        if self._alive:
            self._refresh_notifications()

    def _fit_banner(self, width: int, height: int) -> None:
        """The OFFLINE banner for this terminal: whole where there is room, else one line that
        points to the help screen, which carries the whole text."""
        if self.offline_notice is None or not self._alive:
            return
        banner = self.main.query_one("#banner", Static)
        if width >= BANNER_WHOLE_FROM[0] and height >= BANNER_WHOLE_FROM[1]:
            banner.update(self.offline_notice)
        else:
            short = Text("OFFLINE ", style="bold")
            short.append("recorded tools, not the live server (? says why)", style="dim")
            banner.update(short)

    # Why the editor closed on an error; `PolicyApp.run` prints it once the screen is restored,
    # followed by `exit_detail` (lines already made safe to show, such as a server's stderr).
    exit_error: str | None = None
    exit_detail: str = ""

    def exit_with_error(self, sentence: str, detail: str = "") -> None:
        """Leave with status 1 and say why on the terminal: a dialog's text vanishes with the
        screen, and the reason must outlive it (and so must what the dialog showed with it:
        the server's last stderr lines are usually the real error)."""
        self.exit_error = one_line(sentence, 1000)
        self.exit_detail = detail
        self.exit(1, return_code=1)

    # ----- drawing ------------------------------------------------------------------------

    def _paint_status(self) -> None:
        status = Text(no_wrap=True, overflow="ellipsis")
        if self.size.width >= 110:
            status.append(" policytui ", style="reverse bold")
        state = self.state
        if state is None:
            status.append("  ")
            status.append(one_line(self.target_label, 60))
            status.append("  could not list the tools" if self.listing_failed else "  starting…",
                          style="dim")
            self._set_status(status)
            return
        self.tell_the_page_unsaved()
        listing = state.listing
        table = self.main.query_one(ToolTable)
        shown = len(table.view)
        marked = len(table.marked)

        # What the policy is (file, unsaved edits, default, validity) matters most: the
        # server's part gives way first on a narrow terminal (its version, the transport, the
        # end of its name, the tool count, then the name: how many tools there are, and how many
        # the filter shows, say more while editing than how the server is reached), so the
        # policy's part stays whole. Only when the policy's part cannot fit even alone is it
        # shortened: the file name first, then the words after the marks (`●`, `✓`, `!`, `✗`).
        def policy_part(short: bool, name_room: int | None = None, unsaved: bool = False) -> Text:
            part = Text()
            file_name = Text(visible(self.policy_path.name))
            if name_room is not None and file_name.cell_len > name_room:
                file_name.truncate(max(name_room, 4), overflow="ellipsis")
            part.append_text(file_name)
            # A file that could not be read or is not a valid policy was not loaded: what is
            # edited is a new policy, and a ✓ here would vouch for the file on disk.
            not_loaded = bool(state.load_problems)
            if not_loaded:
                part.append(" ✗ not loaded" if short else " ✗ not loaded, new policy", style="bold")
            if state.dirty or unsaved:
                part.append(" ●" if short else " ● unsaved", style="bold")
            elif state.saved_text is None and not not_loaded:
                part.append(" (new)", style="dim")
            part.append(" │ default ")
            part.append(state.policy.default, style="bold reverse")
            report = self.report
            if report is not None:
                if report.errors:
                    words = "" if short else " errors"
                    part.append(f" │ ✗ {len(report.errors)}{words}", style="bold")
                elif (count := len(report.warnings) + len(state.listing.broken_tools)
                      + len(file_warnings(state, report)) + len(state.dropped_rules)):
                    # Counted as the Problems tab lists them: a tool the server sent that could
                    # not be read, or a warning about the file on disk, is one too; the header
                    # said ✓ valid above a tab listing them.
                    words = "" if short else f" warning{'' if count == 1 else 's'}"
                    part.append(f" │ ! {count}{words}")
                elif not not_loaded:
                    part.append(" │ ✓" if short else " │ ✓ valid")
            return part

        counts = Text()
        if self.row_filter.active:
            counts.append(f" ({shown} shown)", style="bold")
        if marked:
            counts.append(f" ({marked} marked)", style="bold")
        # Named as the browser page's title names it (editor/server_name.py).
        name, version = server_name_parts(listing.server_name, listing.server_version, self.target_label)
        transport = f" · {listing.transport}"
        tools = f" · {len(listing.tools)} tools"
        policy = policy_part(short=False)
        width = self.size.width - status.cell_len
        separator = " │ "
        # The server's part is laid out as if the policy had unsaved edits, whether it has or
        # not: an edit or a save must not change how the server is named. (Laid out beside the
        # policy's part as it was, one server was `Kestra MCP · stdio` until a save and
        # `Kestra MCP 1.30.0` after it, at 80 columns.)
        widest = policy_part(short=False, unsaved=True)
        room = width - 1 - cell_len(separator) - widest.cell_len  # for the server's part
        server: Text | None = None
        for drop in ("", "version", "transport"):
            if drop == "version":
                version = ""
            elif drop == "transport":
                transport = ""
            if cell_len(name + version + transport + tools) + counts.cell_len <= room:
                server = Text.assemble((name, "bold"), version, transport + tools, counts)
                break
        else:
            smallest_name = min(cell_len(name), 6)  # `kest…`: the name cut shorter says nothing
            if cell_len(tools) + counts.cell_len + smallest_name <= room:
                cut = Text(name, style="bold")
                cut.truncate(room - cell_len(tools) - counts.cell_len, overflow="ellipsis")
                server = Text.assemble(cut, tools, counts)
            elif cell_len(name + tools) <= room:
                server = Text.assemble((name, "bold"), tools)
            elif smallest_name <= room:
                server = Text(name, style="bold")
                server.truncate(room, overflow="ellipsis")
        status.append(" ")
        if server is not None:
            status.append_text(server)
            status.append(separator)
        else:
            # Not even the policy's part fits alone: cut its file name, then its words.
            file_cells = cell_len(visible(self.policy_path.name))
            for short in (False, True):
                fixed = policy_part(short=short).cell_len - file_cells  # all but the file name
                policy = policy_part(short=short, name_room=width - 1 - fixed)
                if policy.cell_len <= width - 1:
                    break
        status.append_text(policy)
        self._set_status(status)

    def unapplied_dialog(self) -> str | None:
        """What an open dialog holds that its user changed and it has not applied ("the
        conditions for manage_flow"; `DialogScreen.unapplied`), or None."""
        for screen in reversed(self.screen_stack):
            unapplied = getattr(screen, "unapplied", None)
            held = unapplied() if unapplied is not None else None
            if held is not None:
                return str(held)
        return None

    def note_unapplied_at_exit(self) -> None:
        """As the editor is asked to end, while its dialogs are still open: what one of them
        holds unapplied, which the way out cannot read once they have closed."""
        unapplied = self.unapplied_dialog()
        self.unapplied_at_exit = None if unapplied == self.unapplied_answered else unapplied
        self.unapplied_noted = True

    def tell_the_page_unsaved(self) -> None:
        """In a browser, say whether anything would be lost, unsaved edits to the policy or
        changes in a dialog not applied, whenever that changes: the page asks before a reload
        or a close ends the editor only while something would (serve's templates/editor.html).
        Called as the header is painted, which every edit, undo, save and reload of the file
        repaints, so the page hears of it no later than the header's `● unsaved` comes or goes,
        and as a dialog's fields or lists change, and as it closes."""
        if not self.is_web or self.state is None:
            return
        unsaved = self.state.dirty
        held = self.unapplied_dialog()
        # Named as serve's terminal names it (tui/unsaved.py `shown_name`): the page shows it as text.
        unapplied = _visible(clip(held, 200), pictures=True) if held is not None else ""
        if (unsaved, unapplied) == (self._page_told_unsaved, self._page_told_unapplied):
            return
        write_meta = getattr(self._driver, "write_meta", None)
        if write_meta is None:
            return
        from policytui.editor.page_meta import UNAPPLIED_META, UNSAVED_META

        if unapplied != self._page_told_unapplied:
            self._page_told_unapplied = unapplied
            write_meta({"type": UNAPPLIED_META, "unapplied": unapplied})
        if unsaved != self._page_told_unsaved:
            self._page_told_unsaved = unsaved
            write_meta({"type": UNSAVED_META, "unsaved": unsaved})

    def on_input_mark(self, mark: InputMark) -> None:
        """serve's mark behind the page's input (tui/web_driver.py): once every key before it
        has done what it does, the page is told whether anything is unsaved, then that its
        input up to the mark is counted. Until then a reload or a close asks first: a reload
        a moment after `d` went ahead before the editor had said the `d` left an edit. Keys
        still busy after the keys' longest wait are never counted: the page goes on asking."""
        count = mark.count

        def counted() -> None:
            write_meta = getattr(self._driver, "write_meta", None)
            if write_meta is None or not self._alive:
                return
            from policytui.editor.page_meta import INPUT_COUNTED_META

            self.tell_the_page_unsaved()
            write_meta({"type": INPUT_COUNTED_META, "count": count})

        self.key_order.after_keys_so_far(counted)

    def _set_status(self, status: Text) -> None:
        """Show `status`; the line is one row high, so no layout pass, and no repaint if unchanged."""
        shown = (status.plain, tuple(status.spans))
        if shown == self._status_shown:
            return
        self._status_shown = shown
        self.main.query_one("#status", Static).update(status, layout=False)

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

    def _changed(self, *, full: bool = False, names: list[str] | None = None) -> None:
        """After an edit: repaint rows and status now, the heavier panels a moment later.

        `names` are the tools an in-place edit touched (None: any row may have changed).
        """
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
            if names is None:
                table.rows_changed()
            else:
                table.refresh_rows(set(names))  # one line, not the whole table
        self._paint_status()
        # The detail pane is re-laid out when its text changes (about 20 ms at 10,000
        # tools): do it after the frame that shows the edited row, so the row paints first.
        if not self._detail_pending:
            self._detail_pending = True
            self.call_after_refresh(self._show_current_detail)
        if self._panel_timer is not None:
            self._panel_timer.stop()
        self._panel_timer = self.set_timer(0.15, self._after_edit)

    def _show_current_detail(self) -> None:
        self._detail_pending = False
        if not self._alive:
            return
        row = self.main.query_one(ToolTable).current_row
        self._show_detail(row.name if row else None)

    def _show_detail(self, name: str | None) -> None:
        if self.state is None:
            return
        self.main.query_one("#detail", Static).update(render_detail(self.state, name))

    @on(ToolTable.Highlighted)
    def _highlighted(self, event: ToolTable.Highlighted) -> None:
        # After the frame: a filter keystroke or an arrow key shows the table first, and the
        # detail pane (a re-layout of its text) follows; several moves cost one update.
        if not self._alive or self._detail_pending:
            return
        self._detail_pending = True
        if isinstance(self.focused, Input) and self.focused.id == "filter":
            # While a filter is typed, the detail waits for a pause in the typing: each
            # keystroke then paints the table and the count only.
            self.set_timer(DETAIL_WHILE_TYPING_SECONDS, self._show_current_detail)
        else:
            self.call_after_refresh(self._show_current_detail)

    @on(ToolTable.MarksChanged)
    def _marks_changed(self) -> None:
        if not self._alive:
            return
        self._paint_status()

    # Named rather than `@on(TabbedContent.TabActivated)`: the tab widgets load after the first
    # frame (importing them costs it about 9 ms), and a handler's name needs no import.
    def on_tabbed_content_tab_activated(self) -> None:
        if not self._alive:
            return
        self._refresh_panels()
        self._replay_when_shown()
        self.call_after_refresh(self.place_notices)  # beside the Try panel, or back in the corner

    def _refresh_panels(self) -> None:
        """Fill the JSON or diff panel if it is the one showing (they cost most at scale)."""
        if self.state is None:
            return
        from textual.widgets import TabbedContent

        active = self.main.query_one("#panels", TabbedContent).active
        if active == "tab-json":
            self._show_preview()
        elif active == "tab-diff":
            self.show_diff()

    def _show_preview(self) -> None:
        assert self.state is not None
        from policytui.tui.code_view import CodeView

        self.main.query_one("#preview", CodeView).show(
            render_preview(self.state.preview_text(), dark=self.current_theme.dark)
        )

    @work(exclusive=True, group="diff", exit_on_error=False)
    async def show_diff(self) -> None:
        state = self.state
        if state is None:
            return
        path = self.policy_path
        # The document is built here, from the policy as it stands; reading the file and
        # diffing (tens of milliseconds at 10,000 rules) run in a thread.
        text = state.preview_text()
        name = str(state.path or "policy.json")

        def read_and_diff() -> str:
            from policytui.editor.state import policy_diff

            try:
                disk: str | None = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                disk = None
            return policy_diff(name, disk, text)

        diff = await asyncio.to_thread(read_and_diff)
        if not self._alive:
            return
        from policytui.tui.code_view import CodeView

        self.main.query_one("#diff", CodeView).show(render_diff(diff, dark=self.current_theme.dark))

    def _after_edit(self) -> None:
        """Validate and refresh the visible panel once typing pauses (not on every key)."""
        if not self._alive:
            return  # the timer outlived the app (quit right after an edit)
        self.validate()
        self._refresh_panels()
        self._refresh_try()
        self._refresh_replay()

    def _refresh_try(self) -> None:
        """The Try panel (policytui.tui.actions_view) overrides this."""

    def _refresh_replay(self) -> None:
        """The Replay tab (policytui.tui.replay_panel) overrides this; nothing without one."""

    def _replay_when_shown(self) -> None:
        """The Replay tab (policytui.tui.replay_panel) overrides this; nothing without one."""

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
        from textual.widgets import TabbedContent

        self.main.query_one("#panels", TabbedContent).get_tab("tab-problems").label = label  # type: ignore[assignment]
        self.main.query_one("#problems", Static).update(render_problems(state, self.report))

    # ----- helpers ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if notice_shown(self):
            # The terminal is too small: nothing runs unseen but quitting, and saving when it
            # asks nothing (`action_save`), which the notice then reports.
            return action in ("quit", "interrupt", "save")
        # While a dialog is open its own keys apply; the editor's keys wait (quit still works).
        if action in APP_ACTIONS and action != "quit" and isinstance(self.screen, ModalScreen):
            return False
        if action in APP_ACTIONS and self.state is None and action not in ("quit", "help"):
            # Nothing to edit, filter or sort until the tools are there. The keys are shown
            # dimmed meanwhile, not left out: the footer then keeps its layout as the policy
            # arrives, and a click aimed at `? Help` cannot land on `a Allow` drawn in its place.
            return None
        if action == "filter" and isinstance(self.focused, Input):
            return False  # a `/` typed into an input (a path in Try's arguments) is text
        return True

    def _current(self) -> str | None:
        row = self.main.query_one(ToolTable).current_row
        if row is None:
            self.notify("No tool selected.", severity="warning")
            return None
        return row.name

    def _edit(
        self, operation: Callable[[], Any], *, full: bool = False, names: list[str] | None = None
    ) -> Any:
        """Run one editor operation; its error becomes a notification, never a crash.

        `names`: the only tools whose rows the operation can change, so only their lines are
        repainted (None: repaint every row).
        """
        from policytui.editor.values import EditError  # loaded with the state by now

        try:
            result = operation()
        except EditError as exc:
            self.notify(one_line(str(exc), 300), severity="error", markup=False)
            return None
        self._changed(full=full, names=names)
        return result
