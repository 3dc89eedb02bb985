"""The policy editor application.

`make_app(...)` builds it for the CLI, Pilot tests and snapshot tests alike: give it a
ServerListing to start with tools already there, or a `load_listing` callable that a worker
runs after the first paint (that is where `import mcp` and the server start happen).

`PolicyApp` owns construction, layout and mounting; its behaviour comes from one class per
concern: `startup` (getting the tools on screen), `actions_edit`, `actions_view`,
`actions_file`, `commands` (help and palette), all on `base.EditorBase` (state and drawing).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, messages
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.driver import Driver
from textual.reactive import Reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from policytui.editor import RowFilter
from policytui.terminal import terminal_problem
from policytui.toolinfo import ServerListing
from policytui.tui.actions_edit import EditActions
from policytui.tui.actions_file import FileActions
from policytui.tui.actions_view import ViewActions
from policytui.tui.background import stop_started_servers
from policytui.tui.commands import EditorCommandsProvider, PaletteCommands
from policytui.tui.escape_keys import read_escape_apart
from policytui.tui.footer import FittingFooter
from policytui.tui.inputs import TextInput
from policytui.tui.key_order import KeyOrder
from policytui.tui.keys import ACTIONS, editor_bindings, name_browser_options
from policytui.tui.notices import HeldNotices
from policytui.tui.replay_panel import ReplayPins
from policytui.tui.startup import ListingLoader, Startup
from policytui.tui.table import ToolTable
from policytui.tui.too_small import TooSmallScreen, fit_terminal, notice_shown, too_small
from policytui.tui.unsaved import EXIT_UNSAVED_LOST, KeepUnsaved, keep_and_say

if TYPE_CHECKING:
    from textual.widgets import TabbedContent

    from policytui.tui.screens.picker import ServerChoice

__all__ = ["ACTIONS", "ListingLoader", "PolicyApp", "make_app", "terminal_theme"]

DEFAULT_THEME = "ansi-dark"
# The panels (and the loading spinner) are mounted after the first rows, or after this long.
PANELS_AFTER_SECONDS = 0.25
# From this width the panels stand beside the table instead of under it.
WIDE_LAYOUT_WIDTH = 150
# The longest a request to end from outside (a reload, a closed window, serve stopped) waits
# for the keys read before it to do what they do: less than the session driver's 3 seconds
# (tui/web_driver.py STOP_GRACE_SECONDS), so the editor still ends its own way, keeping what
# those keys changed.
KEYS_BEFORE_EXIT_SECONDS = 2.0


class MainScreen(Screen):
    """The editor's own screen. It focuses the table, never the first focusable widget: that
    is the hidden filter box, and keys typed while loading (a `/`) went into it unseen."""

    AUTO_FOCUS = "#tools"


class PolicyApp(
    Startup, EditActions, ViewActions, FileActions, PaletteCommands, ReplayPins, KeepUnsaved
):
    """Read a server's tools, decide, and leave with a valid policy.json."""

    CSS_PATH = "policytui.tcss"
    TITLE = "policytui"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = {EditorCommandsProvider}
    BINDINGS = editor_bindings()
    # The usual theme is the default, not set in __init__: setting a theme re-parses every
    # stylesheet once the app starts, which costs the first frame about 7 ms.
    theme: Reactive[str] = Reactive(DEFAULT_THEME)

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
        replay_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.replay_path = Path(replay_path) if replay_path is not None else None  # --replay
        if listing is None and load_listing is None and not (pick_from and loaders_for):
            raise ValueError("give a listing, a way to load one, or servers to pick from")
        self.pick_from = pick_from or []
        self.loaders_for = loaders_for
        self.policy_path = Path(policy_path)
        self.initial_listing = listing
        self.load_listing = load_listing
        self.load_offline = load_offline
        self.target_label = target_label
        self.state = None
        self.row_filter = RowFilter()
        self.report = None
        self.started_at = time.monotonic()
        self._panel_timer = None
        self._loading_timer = None
        self._exiting = False
        self.key_order = KeyOrder(self, self.forward_key)
        self.held_notices = HeldNotices()
        read_escape_apart()  # before the driver starts reading the terminal
        self._panels_started = False
        self._exit_later: asyncio.Task[None] | None = None  # an exit waiting for the panels
        # A request to end from outside waits for the keys read before it ("not yet",
        # "waiting", "done"; `on_exit_app`).
        self._keys_before_exit = "not yet"
        # Set once the tools are on screen; tests and scripts `await app.loaded.wait()`.
        self.loaded = asyncio.Event()
        # Set once the first frame is drawn: the loader's thread (classifying, or `import mcp`)
        # waits for it rather than hold the interpreter while the loading screen is drawn.
        self.first_frame = asyncio.Event()
        # Set once the tab panes are mounted (just after the first frame).
        self.panels_ready = asyncio.Event()
        chosen = theme or terminal_theme()
        if chosen != self.theme:
            self.theme = chosen

    def get_driver_class(self) -> type[Driver]:
        """Textual's own choice, but for a terminal on Linux or macOS: there, a driver that
        does not start again on a terminal that has gone (policytui.tui.terminal_driver)."""
        chosen = super().get_driver_class()
        # By name: the module imports termios, which Windows does not have.
        if f"{chosen.__module__}.{chosen.__qualname__}" == "textual.drivers.linux_driver.LinuxDriver":
            from policytui.tui.terminal_driver import TerminalDriver

            return TerminalDriver
        return chosen

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    # ----- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text("policytui"), id="status")
        yield Static("", id="banner")
        yield TextInput(placeholder="filter tools by name (Enter: back to the table, Esc: clear)", id="filter")
        with Vertical(id="body"):
            with Vertical(id="loading"):  # its spinner is mounted after the first frame
                yield Static(Text("Starting…"), id="loading-text")
            yield ToolTable(id="tools")
        yield FittingFooter(compact=True)

    @staticmethod
    def _panels() -> TabbedContent:
        """The five tab panes under the table, built after the first frame (hidden until loaded)."""
        from textual.containers import Horizontal, VerticalScroll
        from textual.widgets import Label, TabbedContent, TabPane

        from policytui.editor.arguments import GENERIC_ARGUMENTS_HINT
        from policytui.tui.code_view import CodeView
        from policytui.tui.try_form import TryForm

        try_pane = TryForm(
            Horizontal(Label("tool "), TextInput(placeholder="tool name", id="try-tool"), classes="try-row"),
            Horizontal(Label("args "), TextInput(placeholder=GENERIC_ARGUMENTS_HINT, id="try-args", takes_json=True), classes="try-row"),
            # Scrolled: a long reason wraps past the panel's foot at 80x24 (PageDown reads on).
            VerticalScroll(Static(Text("Enter arguments as JSON and press Enter.", style="dim"),
                                  id="try-result"), id="try-result-scroll", can_focus=False),
            id="try",
        )
        panels = TabbedContent(id="panels", initial="tab-tool")
        for pane in (  # as `with TabbedContent(): with TabPane(...)` would add them in compose
            TabPane("Tool", VerticalScroll(Static(Text(""), id="detail"), id="detail-scroll"), id="tab-tool"),
            TabPane("Problems", VerticalScroll(Static(Text(""), id="problems")), id="tab-problems"),
            TabPane("JSON", CodeView(id="preview"), id="tab-json"),
            TabPane("Diff", CodeView(id="diff"), id="tab-diff"),
            TabPane("Try", try_pane, id="tab-try"),
        ):
            panels.compose_add_child(pane)
        panels.display = False
        return panels

    async def _mount_panels(self) -> None:
        """Mount the spinner and the tab panes once the first rows are up, or once loading has
        taken PANELS_AFTER_SECONDS; `_install` waits for this. Mounting them takes the UI thread
        for tens of milliseconds, which a fast listing (a file, a snapshot) would wait for
        before its rows could be drawn. (The spinner alone costs the first frame about 5 ms.)"""
        if self._panels_started:
            return
        self._panels_started = True
        try:
            if self._alive:
                if self.state is None and self.main.query_one("#loading").display:
                    loading = self.main.query_one("#loading")
                    from textual.widgets import LoadingIndicator

                    await loading.mount(LoadingIndicator(), before=0)
                await self.main.query_one("#body").mount(self._panels())
                await self._mount_replay()  # connect --replay: the Replay tab
        finally:  # never leave the loader waiting
            self.panels_ready.set()

    def exit(self, result: int | None = None, return_code: int = 0, message: Any = None) -> None:
        """End the editor; while the tab panes are being mounted, once they are up (tens of
        milliseconds): Textual's tabs, ended in the middle of their own mount, raise on it
        (`No Tab with id ...`), and the way out would end in that traceback."""
        if self._panels_started and not self.panels_ready.is_set() and _in_event_loop():
            self._exit_later = asyncio.get_running_loop().create_task(
                self._exit_once_mounted(result, return_code, message))
            return
        super().exit(result, return_code, message)

    async def _exit_once_mounted(self, result: int | None, return_code: int, message: Any) -> None:
        await self.panels_ready.wait()
        super().exit(result, return_code, message)

    def on_exit_app(self, request: messages.ExitApp) -> None:
        """The same wait for a request to end that does not come through `exit`: in a browser,
        textual-serve's "quit", SIGINT or SIGTERM (serve stopped) and the server gone post
        ExitApp straight to the app (tui/web_driver.py). Runs before Textual's own handler,
        which it holds back until the panes are up."""
        self.note_unapplied_at_exit()  # every way out comes here, its dialogs still open
        keys_can_edit = self.state is not None and bool(self.screen_stack)
        if not self._exiting and keys_can_edit and self._keys_before_exit != "done":
            # Not the editor's own exit: the keys read before the request go first. The
            # session driver posts the request behind the keys it read, but a key is handed
            # to the table a message later, and the request ended the editor before it got
            # there (`d` and a reload in one instant: the deny neither made nor kept).
            request.prevent_default()
            if self._keys_before_exit == "not yet":
                self._keys_before_exit = "waiting"
                self.key_order.after_keys_so_far(self._end_after_keys)
                self.set_timer(KEYS_BEFORE_EXIT_SECONDS, self._end_after_keys)
            return
        if self._panels_started and not self.panels_ready.is_set():
            request.prevent_default()
            self._exit_later = asyncio.get_running_loop().create_task(self._end_once_mounted())

    def _end_after_keys(self) -> None:
        """The keys read before a request to end have done what they do (or their wait is
        over): the request goes on, once; any that came meanwhile were that same request."""
        if self._keys_before_exit == "waiting":
            self._keys_before_exit = "done"
            self.post_message(messages.ExitApp())

    async def _end_once_mounted(self) -> None:
        await self.panels_ready.wait()
        self.post_message(messages.ExitApp())

    def action_panel(self, tab: str) -> None:
        if self.panels_ready.is_set():  # a digit typed while loading: nothing to switch yet
            super().action_panel(tab)

    def on_mount(self) -> None:
        self._end_on_stop_signals()
        if self.is_web:  # known once the driver runs, not when BINDINGS were built
            name_browser_options(self._bindings)
        self.main.query_one("#filter").display = False
        self._follow_filter_box()
        self.main.query_one("#banner").display = False
        self.main.query_one("#tools").display = False
        # The first frame shows the header and the loading line; the panels follow it. The
        # loader is released first, so its thread works while the panels are being mounted.
        self.call_after_refresh(self.first_frame.set)
        self.follow_layout(self.main)  # notices keep clear of the Try panel where it goes
        self.set_timer(PANELS_AFTER_SECONDS, self._mount_panels)
        self._paint_status()
        self._name_the_page()  # the terminal's window, by the command until the server names itself
        self.app_resume_signal.subscribe(self, self._repaint_after_resume)
        self._loading_timer = self.set_interval(0.1, self._tick_loading)
        if self.pick_from:
            self._pick_server()
        else:
            self.discover()
        fit_terminal(self, self.size)  # started in a terminal too small to use

    def _repaint_after_resume(self, _app: object) -> None:
        """Back from a stop (SIGTSTP, a shell's job control: `fg`), the terminal shows a blank
        screen: Textual sends only what changed since its last frame, and nothing has, so the
        editor stayed blank until a key changed something. The whole frame is drawn again."""
        self.refresh(layout=True)

    def on_unmount(self) -> None:
        self._hold_stop_signals()  # until unsaved changes are kept, a signal ends nothing
        # `_install` froze the loaded objects for the collector; hand them back on the way out,
        # so a process that runs the editor more than once (tests, scripts) can free them.
        gc.unfreeze()

    def on_resize(self, event: events.Resize) -> None:
        # The event's size, not `self.size`: this handler runs before Textual's own, which is
        # where `self.size` learns the new size (the layout used to follow the previous one).
        if not self._alive:
            return
        self.main.query_one("#body").set_class(event.size.width >= WIDE_LAYOUT_WIDTH, "-wide")
        self._fit_banner(event.size.width, event.size.height)
        self.call_later(self._paint_status)
        if too_small(event.size) and not notice_shown(self):
            # Once the keys typed before the window shrank have done what they do: handled
            # after the notice, they were dropped by it (`l5` typed just before lost the limits
            # dialog and its 5). The size is read then, as the window may have grown again.
            self.key_order.after_keys_ahead(self._fit_terminal_now)
        else:
            fit_terminal(self, event.size)

    def _fit_terminal_now(self) -> None:
        if self._alive:
            fit_terminal(self, self.size)

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Open a screen; while the terminal is too small, beneath the notice that says so.

        A dialog may open while the notice shows (the server failed to start, a save asks
        first): on top of it, at 20x6, it showed a cut title and nothing else. It waits under
        the notice instead, as what was already open does, until the terminal grows.
        """
        if not notice_shown(self) or isinstance(screen, TooSmallScreen):
            opened = super().push_screen(screen, *args, **kwargs)
            if isinstance(screen, ModalScreen) and not isinstance(screen, TooSmallScreen):
                # The keys typed behind the one that opened it go into it, not nowhere.
                self.key_order.opening(screen)
            return opened
        self.pop_screen()
        opened = super().push_screen(screen, *args, **kwargs)
        super().push_screen(TooSmallScreen())
        return opened

    def run(self, *args: Any, **kwargs: Any) -> int | None:  # type: ignore[override]
        """Run in the terminal; refuse at once, with a sentence, when there is none.

        Without a terminal on standard input (`connect < /dev/null`, a pipe, a cron job)
        there is nobody to answer the editor, and Textual would redraw it for ever.
        """
        problem = None if kwargs.get("headless") else terminal_problem()
        if problem:
            print(f"policytui connect: {problem}", file=sys.stderr)
            return 2
        self.watch_stop_signals = True
        self._note_early_stops()
        try:
            status = super().run(*args, **kwargs)
        finally:
            self._forget_early_stops()  # never mounted
            if self.listing_in_flight:
                stop_started_servers()  # quit while the server was starting: end it too
            if self.exit_error:
                # Plain print, not Rich: one line the terminal wraps, whole when copied.
                # Under serve this line reaches serve's terminal, where "connect" names a
                # command its user never ran.
                command = "serve" if self.in_browser else "connect"
                print(f"policytui {command}: {self.exit_error}", file=sys.stderr)
                if self.exit_detail:
                    print(self.exit_detail, file=sys.stderr)
            # Last: whatever ended the editor, no edit can come any more.
            keep_and_say(self)
        # A SIGTERM or a closed terminal ends the editor with 0, as it does the gateway and
        # serve: but not when it took unsaved changes with it, which a script must be told.
        if self.unsaved_lost and not status:
            return EXIT_UNSAVED_LOST
        return status


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def theme_names() -> list[str]:
    """The themes `--theme` accepts: Textual's built-in ones."""
    from textual.theme import BUILTIN_THEMES

    return sorted(BUILTIN_THEMES)


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
    replay_path: Path | str | None = None,
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
        replay_path=Path(replay_path) if replay_path is not None else None,
    )
