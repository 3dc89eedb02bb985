"""Every key the editor answers to, read from the live bindings (so user keymaps show)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from policytui.tui.keys import help_line
from policytui.tui.screens.dialogs import DialogScreen

if TYPE_CHECKING:
    from textual.app import App

INTRO = (
    "Pick a tool with the arrow keys (or the mouse), decide with a / d / h / r, add limits (l) "
    "and argument conditions (c), watch the Problems and JSON panels, save with ctrl+s. "
    "Bulk: filter (/ or f), then b. Unlisted tools follow the default (shown with a *)."
)


class HelpScreen(DialogScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", id="help.close",
                tooltip="Close the help"),
    ]

    def __init__(self, app: App, policy_name: str = "policy.json", notice: Text | None = None) -> None:
        super().__init__(id="help")
        self.source_app = app
        self.policy_name = policy_name  # the file ctrl+s writes, named on its line
        self.notice = notice  # the OFFLINE banner's whole text (shortened on small terminals)

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 2), show_header=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("action")
        # One row per command; a command with a second key (`/` and ctrl+f, which share an id
        # so that a keymap moving one moves both) shows both keys on its row.
        rows: dict[str, tuple[list[str], str]] = {}
        # The app's live binding map reflects user keymaps (a rebound key shows its new key).
        bindings: list[Binding] = [
            b for group in self.source_app._bindings.key_to_bindings.values() for b in group
        ]
        from policytui.tui.table import ToolTable

        bindings += [b for b in ToolTable.BINDINGS if isinstance(b, Binding)]
        for binding in bindings:
            if binding.system:
                continue
            key = self.source_app.get_key_display(binding)
            row = rows.get(binding.id or binding.action)
            if row is not None:
                if key not in row[0]:
                    row[0].append(key)
                continue
            text = help_line(binding.tooltip or binding.description, self.policy_name,
                             in_browser=self.source_app.is_web)
            rows[binding.id or binding.action] = ([key], text)
        for keys, text in rows.values():
            table.add_row(Text(",".join(keys)), Text(text))
        # The whole help scrolls as one, and takes the focus so the arrows and Page Up/Down
        # scroll it. (The keys had a scrolling box of their own, up to 30 lines tall, inside
        # a dialog the terminal cut shorter: at 80x24 its last keys could not be scrolled to.)
        with VerticalScroll(id="dialog", classes="dialog wide"):
            yield Static(Text("Keys", style="bold"), id="dialog-title")
            if self.notice is not None:
                yield Static(self.notice, id="help-offline")
            yield Static(Text(INTRO), id="help-intro")
            yield Static(table, id="help-keys")
            yield Static(Text("Esc closes this help; arrows and Page Up/Down scroll it.", style="dim"),
                         classes="dialog-foot")

    def on_mount(self) -> None:
        self.query_one("#dialog").focus()

    def action_close(self) -> None:
        self.dismiss(None)
