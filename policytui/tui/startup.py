"""Getting the tools on screen: pick a server, list its tools off the UI thread, or explain why not.

The loaders come from `policytui.discovery.lister` (the one place that decides between the
live server and a snapshot); `policytui connect` has already started a stdio server by the
time this runs. Waiting for its tools happens in a worker after the first paint; a failure
becomes a dialog offering retry, the offline snapshot, or quit; `cancel_listing` kills a
server still starting when the user quits.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.widgets import Static

from policytui.discovery.errors import ListingCancelled
from policytui.editor.rows import preview_rows
from policytui.editor.text import one_line, visible
from policytui.toolinfo import ServerListing
from policytui.tui.background import in_daemon_thread
from policytui.tui.base import EditorBase
from policytui.tui.table import ToolTable

if TYPE_CHECKING:  # the dialogs, the picker and the policy model load when first needed
    from policytui.editor.state import EditorState
    from policytui.tui.screens.picker import ServerChoice

ListingLoader = Callable[[], ServerListing]
# The problems of a policy file the not-valid dialog lists, and the terminal keeps on Quit; a
# line after them counts the rest (a file of thousands of bad rules would fill the scrollback).
LOAD_PROBLEMS_SHOWN = 30


def open_state(
    listing: ServerListing, policy_path: Path, classified: dict[str, tuple[str, str]] | None = None
) -> EditorState:
    """Classify the tools and open the policy; run in a worker thread.

    The policy model (pydantic) is imported here, off the UI thread, so it never delays the
    first frame or the loading screen's progress.
    """
    from policytui.editor.state import EditorState

    return EditorState.open(listing, policy_path, classified=classified)


class Startup(EditorBase):
    """From launch to the tools on screen; `PolicyApp.__init__` sets these attributes."""

    pick_from: list[ServerChoice]
    loaders_for: Callable[[str], tuple[ListingLoader, ListingLoader | None]] | None
    initial_listing: ServerListing | None
    load_listing: ListingLoader | None
    load_offline: ListingLoader | None
    started_at: float
    _loading_timer: Any
    loaded: asyncio.Event
    panels_ready: asyncio.Event
    first_frame: asyncio.Event
    _mount_panels: Callable[[], Any]
    mention_kept_versions: Callable[[], Any]
    mention_read_only: Callable[[], Any]
    mention_unpinned_members: Callable[[], Any]

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
        await self.first_frame.wait()  # let the loading screen paint first
        self.started_at = time.monotonic()
        loader = self.load_offline if offline else self.load_listing
        # Daemon threads, not `asyncio.to_thread`: a quit must not wait for a slow server.
        try:
            if self.initial_listing is not None and not offline:
                listing = self.initial_listing
            else:
                assert loader is not None
                # Left set if the wait is cancelled (a quit): the app then stops the server.
                self.listing_in_flight = True
                listing = await in_daemon_thread(loader, "policytui-listing")
                self.listing_in_flight = False
            # The tools on screen first (classifier only); decisions follow with the policy.
            # The policy model (pydantic, about a quarter second of imports) loads only then:
            # imported alongside, it held the interpreter the table was being drawn with.
            rows, classified = await in_daemon_thread(lambda: preview_rows(listing))
            if self._alive and self.state is None:
                self._show_first_rows(rows)
            state = await in_daemon_thread(lambda: open_state(listing, self.policy_path, classified))
        except ListingCancelled:
            return  # the user quit while the server was starting; it is already killed
        except Exception as exc:  # every failure becomes a dialog, never a traceback
            # Keys typed for the editor must not answer the dialog that says so.
            self.key_order.policy_read(keep_keys=False)
            if self._alive:
                self._discovery_failed(exc)
            return
        await self.panels_ready.wait()  # mounted just after the first rows
        if self._alive:
            self._install(state)

    def exit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        # Every way out (ctrl+q, a dialog's Quit): a server still starting is killed now, so
        # the worker waiting for it ends and the app does not wait out the listing timeout.
        self.cancel_listing()
        super().exit(*args, **kwargs)

    def cancel_listing(self) -> None:
        """Kill a server that is still starting, at once (quitting must not wait for it).

        The loaders `policytui connect` passes are `policytui.discovery.lister.Lister`s; a
        plain callable (tests, --from) has nothing to kill.
        """
        for loader in (self.load_listing, self.load_offline):
            cancel = getattr(loader, "cancel", None)
            if cancel is not None:
                cancel()

    def _pick_server(self) -> None:
        from policytui.tui.screens.picker import ServerPickerScreen

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
            self._name_the_page()
            self.discover()

        self.push_screen(ServerPickerScreen(self.pick_from), picked)

    def _discovery_failed(self, exc: BaseException) -> None:
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen, tail_text

        message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        self.listing_failed = True
        self._paint_status()
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
            if answer in ("retry", "offline"):
                self.listing_failed = False
                self._paint_status()
            if answer == "retry":
                self.call_after_refresh(self.discover)
            elif answer == "offline":
                self.call_after_refresh(self.discover, True)
            else:
                # The stderr lines the dialog showed go to the terminal too, as `tools` prints
                # them: quitting must not take the server's own words about why it died.
                from policytui.cli import sentence
                from policytui.discovery.errors import stderr_report

                # The dialog's sentence, begun as a sentence's middle: "...tools: the server
                # command 'x' was not found", as `policytui tools` says it.
                self.exit_with_error(f"could not list the server's tools: {sentence(message)}",
                                     stderr_report(stderr) if stderr.strip() else "")

        self.push_screen(screen, answered)

    def _show_first_rows(self, rows: list[Any]) -> None:
        """The tools in the table before the policy is read (decisions blank, keys waiting)."""
        if self._loading_timer is not None:
            self._loading_timer.stop()
        self.main.query_one("#loading").display = False
        table = self.main.query_one(ToolTable)
        table.set_view(rows, list(range(len(rows))))
        table.display = True
        table.focus()  # arrow keys move in the rows at once; edit keys wait for the policy
        self.key_order.waiting_for_policy()
        self.call_after_refresh(self._mount_panels)  # the rows first, then the panels

    def _name_the_page(self, listing: ServerListing | None = None) -> None:
        """Title the browser page, or the terminal's window, as the header names the server:
        by the name and version it reports once it has listed its tools (`listing`), until
        then by the command or catalogue entry that starts it. In a browser `policytui serve`
        titled the page before any server had started; in a terminal the driver writes the
        title and puts the one it found back on the way out (tui/terminal_driver.py)."""
        from policytui.editor.page_meta import PAGE_TITLE_META
        from policytui.editor.server_name import page_title, server_label
        from policytui.textsafe import visible as escaped

        if listing is None:
            label = server_label("", "", self.target_label) if self.target_label else ""
        else:
            label = server_label(listing.server_name, listing.server_version, self.target_label)
        title = page_title(escaped(self.policy_path.name), label)
        if self.is_web:
            write_meta = getattr(self._driver, "write_meta", None)
            if write_meta is not None and listing is not None:
                write_meta({"type": PAGE_TITLE_META, "title": title})
            return
        name_window = getattr(self._driver, "name_window", None)  # the terminal driver's only
        if name_window is not None:
            name_window(title)

    def _install(self, state: EditorState) -> None:
        self.state = state
        # The listing, classification and policy model live as long as the app, and at 10,000
        # tools are millions of objects: a full garbage collection walking them all took about
        # 85 ms in the middle of a bulk edit. Frozen objects are skipped by the collector (they
        # are still freed by reference counting when an edit replaces them).
        gc.freeze()
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
            self.offline_notice = text
            self._fit_banner(self.size.width, self.size.height)  # one line on a small terminal
            banner.display = True
        table.empty_text = "The server lists no tools." if not state.rows else "No tool matches the filter."
        self._refresh_view()
        self._name_the_page(listing)
        table.focus()
        # The edit keys are live now: the footer and palette ask `check_action` again (the
        # table may have had the focus since the first rows, so focus alone changes nothing).
        self.refresh_bindings()
        self._search_open_palette_again()
        self._changed(full=True)
        # The keys typed while the policy was read go on now, one at a time. Not into the
        # dialog that says the file is no valid policy: they were typed for the editor.
        self.key_order.policy_read(keep_keys=not state.load_problems)
        if state.load_problems:
            self._show_load_problems()
        self.mention_kept_versions()  # unsaved changes an earlier editor was stopped with
        self.mention_read_only()
        self.mention_unpinned_members()  # approvals of an earlier version, which pinned fewer members
        self.loaded.set()
        # Once the editor shows the policy, not before (a thread holds the interpreter too).
        self.call_after_refresh(start_normal_form_tables)

    def _search_open_palette_again(self) -> None:
        """A palette opened while the tools were being listed searched what there was then
        (Textual's own commands): "deny" typed in it listed "Keys: ..." first, and Enter ran
        that. Its search runs again once the editor's commands are there."""
        from textual.command import CommandInput, CommandPalette
        from textual.widgets import Input

        for screen in self.screen_stack:
            if isinstance(screen, CommandPalette):
                search = screen.query_one(CommandInput)
                search.post_message(Input.Changed(search, search.value))

    def _show_load_problems(self) -> None:
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

        assert self.state is not None
        shown = [visible(p) for p in self.state.load_problems[:LOAD_PROBLEMS_SHOWN]]
        more = len(self.state.load_problems) - len(shown)
        if more > 0:
            shown.append(f"… and {more:,} more (policytui validate {visible(str(self.policy_path))} lists them all)")
        detail = Text("\n".join(shown))
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
            # The terminal keeps every line the dialog showed: it printed the first alone.
            lambda answer: self.exit_with_error(
                f"{visible(str(self.policy_path))} is not a valid policy: {shown[0]}", "\n".join(shown[1:])
            ) if answer == "quit" else None,
        )


def start_normal_form_tables() -> None:
    """Build the tables the exports read texts' Unicode spellings from (0.3-0.6 s, once per
    process) in a daemon thread, so the export dialog (E) opens at once instead of building
    them on the UI thread the first time; a quit never waits for it."""
    from policytui.export.normal_forms import build_tables, tables_ready

    if not tables_ready():
        threading.Thread(target=build_tables, name="policytui-normal-forms", daemon=True).start()
