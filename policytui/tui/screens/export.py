"""Write the policy in another gateway's format, or copy it to the clipboard."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from policytui.editor import visible
from policytui.output_file import OutputFileError, write_text_atomic, wrote
from policytui.policy.model import Policy
from policytui.tui.inputs import TextInput
from policytui.tui.screens.dialogs import DialogButtons, DialogFrame, DialogScreen, compact_all

# Columns the result area needs to show the rule and what the target does instead side by
# side (the rule column alone takes up to 40).
SIDE_BY_SIDE = 80


class ExportScreen(DialogScreen[None]):
    """Pick a format; the warnings say what the format could not express (exported fail-closed)."""

    # ctrl+s writes the file, as it applies every other dialog: it did nothing here, and the
    # command palette, which lists a dialog's keys, had no way to write the export at all.
    BINDINGS = [
        Binding("ctrl+s", "write", "Write file", id="export.write",
                tooltip="Write the export to the file named"),
        Binding("escape", "close", "Close", id="export.close",
                tooltip="Close the export dialog"),
    ]

    def __init__(self, policy: Policy, policy_path: Path, fmt: str | None = None,
                 on_format: Callable[[str], None] | None = None, *, unsaved: bool = False,
                 folder: Path | None = None) -> None:
        super().__init__(id="export-screen")
        self.policy = policy
        self.policy_path = policy_path
        # Where a relative file name is written: the current folder in a terminal, as a shell
        # command would; in a browser the policy's folder (`folder`), since the page's user
        # cannot see, or choose, the folder `policytui serve` was started in.
        self.folder = folder
        # The export is of the policy as edited: with unsaved changes, the dialog says so, or
        # a user who then quits without saving holds an export its policy file does not match.
        self.unsaved = unsaved
        # The format chosen last in this editor: the dialog opens on it again, and tells the
        # editor each new choice (`on_format`).
        self._first_format = fmt
        self._on_format = on_format
        # True while the question whether to replace an existing file is open, and while a
        # ctrl+s waits for the keys typed before it (`action_write`).
        self._asking = False
        self._write_waiting = False
        # What the result area shows, kept so a resize can lay it out again for the new width.
        self._shown: tuple[Any, str | None, tuple[str, str] | None] | None = None

    def compose(self) -> ComposeResult:
        from policytui.export import FORMATS

        first = self._first_format if self._first_format in FORMATS else FORMATS[0]
        with DialogFrame(id="dialog", classes="dialog wide"):
            title = Text("Export to another gateway", style="bold")
            if self.unsaved:  # on the title's line: a line more would leave no room for notices at 60x20
                title.append(" · unsaved edits included", style="italic")
            yield Static(title, id="dialog-title")
            with Horizontal(classes="export-row"):
                yield Label("format")
                yield Select([(f, f) for f in FORMATS], value=first, allow_blank=False, id="export-format")
            with Horizontal(classes="export-row"):
                yield Label("file")
                yield TextInput(id="export-path")
            with VerticalScroll(id="export-warnings"):
                yield Static(Text(""), id="export-result")
            with DialogButtons(id="dialog-buttons"):
                yield Button(Text("Write file [ctrl+s]"), id="export-write", variant="primary")
                yield Button(Text("Copy to clipboard"), id="export-copy")
                yield Button(Text("Close [esc]"), id="export-close")

    def on_mount(self) -> None:
        compact_all(self)
        self._format_changed()

    def _result(self):  # type: ignore[no-untyped-def]
        from policytui.export import export_policy

        return export_policy(self.policy, str(self.query_one("#export-format", Select).value))

    @on(Select.Changed, "#export-format")
    def _format_changed(self) -> None:
        from policytui.export import SUFFIXES

        fmt = str(self.query_one("#export-format", Select).value)
        if self._on_format is not None:
            self._on_format(fmt)
        stem = self.policy_path.with_suffix("")
        self.query_one("#export-path", Input).value = f"{stem}.{fmt}{SUFFIXES.get(fmt, '.txt')}"
        self._show(self._result())

    def _show(self, result, written: str | None = None,  # type: ignore[no-untyped-def]
              note: tuple[str, str] | None = None) -> None:
        from rich.console import Group
        from rich.padding import Padding
        from rich.table import Table

        from policytui.export import TARGETS
        from policytui.export.lost import INSTEAD_HEADER, RULE_HEADER, lost_rows

        self._shown = (result, written, note)
        text = Text()
        if note is not None:
            message, severity = note
            text.append(message + "\n", style="bold red" if severity == "error" else "bold yellow")
        if written:
            fmt = str(self.query_one("#export-format", Select).value)
            text.append(visible(wrote(written, f"{fmt} format")) + "\n", style="bold")
        if not result.warnings:
            text.append("Everything carries over exactly.")
            self.query_one("#export-result", Static).update(text)
            return
        # The same table `policytui export` prints: the rule, and what the target does instead.
        target = TARGETS.get(str(self.query_one("#export-format", Select).value), "the target")
        text.append(f"What {target} cannot hold as written ({len(result.warnings)}), exported fail-closed:")
        rows = lost_rows(result.warnings[:50])
        if self._room() < SIDE_BY_SIDE:
            # Too narrow for two columns: the rule names alone take 40 columns, which left the
            # other a dozen, one word a line and cut off. Each rule gets a line of its own
            # instead, what the target does in its place indented under it; the area scrolls.
            items: list[Text | Padding] = [text]
            for rule, instead in rows:
                items.append(Text(rule, style="bold", overflow="fold"))
                items.append(Padding(Text(instead), (0, 0, 0, 2)))
            self.query_one("#export-result", Static).update(Group(*items))
            return
        table = Table(box=None, pad_edge=False, show_edge=False)
        # A rule longer than its column goes on over the next lines, as the CLI's table does:
        # cut with an ellipsis, `...require_appro…` could be `require` or `require_approval_if`.
        table.add_column(RULE_HEADER, max_width=40, overflow="fold")
        table.add_column(INSTEAD_HEADER.format(target=target))
        for rule, instead in rows:
            table.add_row(Text(rule, overflow="fold"), Text(instead))
        self.query_one("#export-result", Static).update(Group(text, table))

    def _room(self) -> int:
        """Columns the result area has (before the first layout: the screen's, less the frame)."""
        width = self.query_one("#export-warnings").content_size.width
        return width if width > 0 else self.app.size.width - 6

    def on_resize(self) -> None:
        if self._shown is not None:
            self.call_after_refresh(lambda: self._show(*self._shown))

    def action_write(self) -> None:
        # After the keys typed before ctrl+s: a file name typed in one burst with it is the
        # name written to. One write at a time: a ctrl+s typed while another waits to settle,
        # or while its question is open, does nothing. Before, a second ctrl+s typed behind the
        # first settled only after the question had been answered Replace, and asked again
        # about the file just written.
        if self._asking or self._write_waiting:
            return
        self._write_waiting = True
        self.settle_then(self._start_write)

    def _start_write(self) -> None:
        self._write_waiting = False
        self.write()

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """The buttons no key presses, for the command palette (name, what it does, action)."""
        return [("Copy to clipboard", "copy the export, not the policy, to the clipboard", self._copy)]

    @on(Button.Pressed, "#export-write")
    @on(Input.Submitted, "#export-path")
    def write(self) -> None:
        """Write the export to the file named; a file already there is replaced only once the
        question about it is answered Replace."""
        if self._asking:
            return  # the question about replacing is open: it is answered first, never asked twice
        typed = self.query_one("#export-path", Input).value
        if not typed.strip():
            # Path("") is the current folder, which "exists": the question asked to replace it.
            self._say("Type the name of the file to write the export to.", "error")
            return
        path = Path(typed).expanduser()
        if self.folder is not None and not path.is_absolute():
            path = self.folder / path
        if path.resolve() == self.policy_path.resolve():
            self._say("That is the policy file itself; choose another name.", "error")
            return
        if path.is_dir():
            self._say(f"{visible(str(path))} is a folder; give a file name for the export.", "error")
            return
        if typed.rstrip().endswith(("/", os.sep)):  # Path() drops the slash: a file would be made
            self._say(f"{visible(typed.strip())} ends in a slash, so it names a folder; give a file name "
                      "for the export.", "error")
            return
        # lexists: a link whose target is missing is there too (writing follows it).
        if not os.path.lexists(path):
            self._write_to(path, replace=False)
            return
        # The name is filled in for the user, who may not have seen that something is there
        # already. A second ctrl+s answered the earlier inline question: one typed twice by
        # habit replaced the file before its question could be read. The question is a
        # dialog now, whose only yes is its Replace button or `y` (ctrl+s does nothing there,
        # Enter and Escape cancel).
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

        self._asking = True
        shown = visible(str(path))
        self.app.push_screen(
            ChoiceScreen(
                f"Replace {visible(path.name)}?",
                f"{shown} already exists. Replace it with the export?",
                [Choice("replace", "Replace", "y", "error"), Choice("cancel", "Cancel", "n")],
                id="confirm-export-replace",
            ),
            lambda answer: self._replace_answered(path, answer),
        )

    def _replace_answered(self, path: Path, answer: str | None) -> None:
        self._asking = False
        if answer == "replace":
            self._write_to(path, replace=True)
        else:
            # Once the question is gone: a notice raised while it is still on top is placed
            # beside its box, and, finding no room there, held until every dialog has closed.
            self.call_after_refresh(self._say, f"Not replaced: {visible(str(path))} is kept.", "warning")

    @work(exclusive=True, exit_on_error=False)
    async def _write_to(self, path: Path, *, replace: bool) -> None:
        result = self._result()
        try:
            await asyncio.to_thread(write_text_atomic, path, result.text, replace=replace)
        except OutputFileError as exc:
            self._say(f"Not exported: {visible(str(exc))}", "error")
            return
        self._show(result, written=str(path))

    def _say(self, message: str, severity: str) -> None:
        """What became of a write, at the top of the dialog's own result area as well as in a
        notice: in a window too short for a notice beside the dialog, the notice waits until
        the dialog closes (tui/notices.py), and ctrl+s seemed to do nothing."""
        self.notify(message, severity=severity, markup=False)  # type: ignore[arg-type]
        if self._shown is not None:
            self._show(self._shown[0], note=(message, severity))

    @on(Button.Pressed, "#export-copy")
    def _copy(self) -> None:
        self.app.copy_to_clipboard(self._result().text)
        self.notify("Copied the export to the clipboard.", timeout=2)

    @on(Button.Pressed, "#export-close")
    def action_close(self) -> None:
        self.dismiss(None)

