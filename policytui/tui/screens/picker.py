"""Pick one of the servers policytui knows (config files and the built-in catalogue)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from policytui.editor import one_line, visible
from policytui.tui.screens.dialogs import DialogScreen, compact_all


@dataclass(frozen=True)
class ServerChoice:
    """A known server: its name (what `policytui connect NAME` takes) and where it is defined."""

    name: str
    detail: str = ""
    usable: bool = True


class ServerPickerScreen(DialogScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Quit", id="picker.cancel",
                        tooltip="Leave without opening a server")]

    def __init__(self, servers: list[ServerChoice]) -> None:
        super().__init__(id="picker")
        self.servers = servers

    def compose(self) -> ComposeResult:
        options = []
        for index, server in enumerate(self.servers):
            label = Text(one_line(server.name, 40), style="bold")
            if server.detail:
                label.append("  " + visible(server.detail), style="dim")
            # Option ids are ours (an index), never the server's name.
            options.append(Option(label, id=f"server-{index}", disabled=not server.usable))
        with Vertical(id="dialog", classes="dialog wide"):
            yield Static(Text("Open which server?  (Enter opens, Esc quits)", style="bold"), id="dialog-title")
            yield OptionList(*options, id="picker-list")

    def on_mount(self) -> None:
        compact_all(self)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        index = int((event.option.id or "server-0").removeprefix("server-"))
        self.dismiss(self.servers[index].name)

    def action_cancel(self) -> None:
        self.dismiss(None)
