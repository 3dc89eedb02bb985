"""Finding commands: the help screen and the command palette (every action plus shortcuts)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette, Hit, Hits
from textual.screen import Screen
from textual.system_commands import SystemCommandsProvider

from policytui.editor.text import one_line
from policytui.tui.base import EditorBase
from policytui.tui.keys import ACTIONS, help_line
from policytui.tui.table import ToolTable

if TYPE_CHECKING:
    from policytui.tui.screens.limits import LimitsResult


def palette_title(name: str, what: str) -> str:
    """Every palette entry's title, in one shape: `Name: what it does`.

    The name (the footer's word, a dialog key's name, Textual's own command) comes first, so
    typing it finds the command; what it does follows in lower case, so typing a word of that
    finds it too (Textual's palette matches titles only). ("Save: write policy.json",
    "Allow: allow the selected tool", "Filter: show only Destructive tools".)
    """
    name = name.rstrip("…. ")
    what = what.strip()
    # "SVG ..." or "JSON ..." keeps its capitals; "Write ..." becomes "write ...".
    if what[:1].isupper() and not what[1:2].isupper():
        what = what[0].lower() + what[1:]
    return f"{name}: {what}" if what else name


# Ranks of a palette entry for what was typed, far apart so that the matcher's own score (a
# few hundred at most for a title) only orders entries within one rank.
RANK_STEP = 100_000.0


def key_names(help_text: str) -> set[str]:
    """The names a user may type for the keys an entry's help shows: `key ^s` -> ^s and
    ctrl+s; `key up,k` -> up and k; `key esc` -> esc and escape. Case is kept: `d` is Deny and
    `D` is Default."""
    if not help_text.startswith("key "):
        return set()
    names: set[str] = set()
    for shown in help_text[4:].split(" (", 1)[0].strip().split(","):
        shown = shown.strip()
        if not shown:
            continue
        names.add(shown)
        if shown.startswith("^") and len(shown) > 1:
            names.add("ctrl+" + shown[1:])
        names.update({"esc": {"escape"}, "?": {"question_mark"}, "/": {"slash"}}.get(shown, set()))
    return names


def palette_rank(typed: str, title: str, help_text: str) -> int:
    """How well an entry answers what was typed, before the matcher's score: 4 one of its keys'
    names (`5`, `^s`, `ctrl+s`), 3 the entry's whole name with a key, 2 its whole name, 1 the
    start of its title, 0 words found only further on."""
    if not typed:
        return 0
    # A letter is its key as typed (`D` is not `d`); a longer name in any case (`CTRL+S`).
    if any(typed == name or (len(name) > 1 and typed.lower() == name.lower())
           for name in key_names(help_text)):
        return 4
    lowered = typed.lower()
    name = title.split(":", 1)[0].strip().lower()
    if lowered == name:
        return 3 if help_text.startswith("key ") else 2
    return 1 if title.lower().startswith(lowered) else 0


class EditorCommandsProvider(SystemCommandsProvider):
    """The palette's search over `get_system_commands`, where the name comes first.

    Textual's matcher scores a word typed at the start of a title no higher than the same word
    anywhere in it: typing `mark` listed "Bulk: apply a decision to the marked tools" before
    "Mark: ...", and `try` listed "Try a call: ..." before "Try: show ...", so
    that Enter ran another command than the one named. Entries are ranked first by
    `palette_rank` (the key's name, then the whole name, then the start of the title), then by
    the matcher's score; typing a key's name (`5`, `^s`, `ctrl+s`) finds its command too.
    """

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        typed = " ".join(query.split())
        for title, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            rank = palette_rank(typed, title, help_text)
            score = matcher.match(title)
            if score > 0 or rank == 4:
                yield Hit(rank * RANK_STEP + (score or 1.0), matcher.highlight(title), callback,
                          help=help_text)


class EditorPalette(CommandPalette):
    """Textual's command palette, with ctrl+c quitting as it does over the editor and its
    dialogs (screens/dialogs.py): the palette is a modal screen, which kept the editor's ctrl+c
    from it, so the key did nothing there. Bound after the screen's own ctrl+c, which copies
    text selected on it (as its search field copies its own selection first)."""

    BINDINGS = [Binding("ctrl+c", "app.interrupt", show=False),
                Binding("ctrl+s", "close_then_save", show=False)]
    opened_at: float | None = None

    def action_close_then_save(self) -> None:
        """ctrl+s: the palette closes and the key does what it does where the palette was
        opened (over the editor it saves; over a dialog, that dialog's ctrl+s). The palette is
        a modal screen, which kept the key from the editor: it did nothing, and said nothing."""
        self._action_escape()
        self.app.call_later(self.app.simulate_key, "ctrl+s")


# The palette's entry for each export format: (format, name, what it does).
EXPORT_ENTRIES = [
    ("cedar", "Cedar", "export the policy as Cedar for ToolHive"),
    ("intercept", "Intercept YAML", "export the policy as Intercept's YAML"),
    ("intercept", "YAML", "export the policy as Intercept's YAML"),
    ("policylayer", "PolicyLayer", "export the policy as PolicyLayer's JSON"),
]


class PaletteCommands(EditorBase):
    """The help screen and the palette's commands; the palette lists the same keys as the help:
    the editor's ACTIONS and the table's own keys."""

    # tui/unsaved.py's: the newest recovery file kept for the policy, and what loads it.
    kept_version: Path | None
    load_kept_version: Callable[[], Any]

    def action_help(self) -> None:
        # Screens load on first use: none of them is needed for the first frame.
        from policytui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self, self.policy_path.name, self.offline_notice))

    # ----- command palette ----------------------------------------------------------------

    def action_command_palette(self) -> None:
        # ctrl+p has priority: the keys typed before it go to the editor first, and those
        # typed after it into the palette's search once it is open (tui/key_order.py).
        self.key_order.after_keys_ahead(self._open_palette)

    def _open_palette(self) -> None:
        # As Textual's own action does, with the editor's palette.
        if not self.use_command_palette or isinstance(self.screen, CommandPalette):
            return
        palette = EditorPalette(id="--command-palette")
        self.push_screen(palette)
        # Notices keep clear of its box as of a dialog's (tui/notices.py): raised since it
        # opened, they go beside its search and hits, which grow as the hits are listed.
        palette.opened_at = time.time()
        self.follow_layout(palette)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from self._editor_commands(screen)
        # The palette itself, by the name README.md and the help give it: typing "command
        # palette" found nothing. Enter opens it anew, its search empty: every action listed.
        yield SystemCommand(
            palette_title("Command palette", "every action, found by a word of its name or of what it does"),
            f"key {self.get_key_display(self._binding_for('command_palette') or Binding('ctrl+p', 'command_palette'))}",
            self.action_command_palette,
        )
        # Textual's own commands come last, worded as the editor's are: the palette keeps this
        # order between equal matches, so "save" runs Save, not "Screenshot: save an SVG ...".
        # Its Quit is replaced by the editor's, which asks about unsaved changes.
        for command in super().get_system_commands(screen):
            if command.title != "Quit":
                yield SystemCommand(palette_title(command.title, command.help), "",
                                    command.callback, command.discover)

    def _editor_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # `screen` is the one the palette was opened over (while it is open, `self.screen` is
        # the palette itself): the editor's commands apply to the editor's own screen only.
        if screen is not self.main:
            # Before the policy has loaded too: the dialog saying a server failed to start
            # answers by its keys (Retry, Quit), which the palette lists.
            yield from self._dialog_commands(screen)
            return
        if self.state is None:
            return
        for key, action, description, _id, _show, help_text in ACTIONS:
            key_text = self.get_key_display(self._binding_for(action) or Binding(key, action))
            yield SystemCommand(
                palette_title(description, help_line(help_text, self.policy_path.name, in_browser=self.is_web)),
                f"key {key_text}", partial(self.run_action, action),
            )
        # The table's own keys (move, mark), which the help lists after the editor's.
        table = self.main.query_one(ToolTable)
        for binding in ToolTable.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                yield SystemCommand(
                    palette_title(binding.description, binding.tooltip or ""),
                    f"key {self.get_key_display(binding)}", partial(table.run_action, binding.action),
                )
        for category in sorted({r.category for r in self.state.rows}):
            yield SystemCommand(palette_title("Filter", f"show only {category} tools"), "",
                                partial(self.filter_by, categories=[category]), discover=False)
        for decision in ("allow", "deny", "hide", "approve"):
            yield SystemCommand(palette_title("Filter", f"show only tools decided {decision}"), "",
                                partial(self.filter_by, decisions=[decision]), discover=False)
        yield SystemCommand(palette_title("Filter", "show only new, changed and missing tools"), "",
                            partial(self._filter_drift), discover=False)
        if self.kept_version is not None:
            from policytui.tui.unsaved import LOAD_KEPT

            yield SystemCommand(
                palette_title(LOAD_KEPT, f"load the unsaved changes kept in {self.kept_version.name}"
                              " as edits, the saved file untouched"),
                "", self.load_kept_version,
            )
        yield SystemCommand(palette_title("Shared limits", "edit the all_tools limits every tool counts against"),
                            "", self._shared_limits)
        # A format's name finds the export dialog opened on that format (Export alone opens on
        # the one chosen last): typing "cedar" and Enter opened it on PolicyLayer.
        for fmt, name, what in EXPORT_ENTRIES:
            yield SystemCommand(palette_title(name, what), "", partial(self.run_action, f"export('{fmt}')"),
                                discover=False)

    def _dialog_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Over a dialog: the dialog's own keys, and a Save that says how to get to it (the
        dialog's changes are not in the policy until it is applied)."""
        choices = getattr(screen, "choices", None) or []
        for binding in screen.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            key_text = self.get_key_display(binding)
            what = binding.tooltip or ""
            # A question whose Esc answers something ("Quit" when a server failed to start)
            # says so, not "close the dialog".
            escape_answer = getattr(screen, "cancel", "cancel")
            if binding.action == "answer('cancel')" and escape_answer != "cancel":
                label = next((c.label for c in choices if c.value == escape_answer), escape_answer)
                what = f"the same as {label}"
            yield SystemCommand(
                palette_title(binding.description, what), f"key {key_text} (this dialog)",
                partial(screen.run_action, binding.action),
            )
        # Buttons no key presses ("Copy to clipboard" in the export dialog), which the palette
        # is then the only keyboard way to find by name.
        for name, what, callback in getattr(screen, "palette_commands", list)():
            yield SystemCommand(palette_title(name, what), "this dialog", callback)
        # A question's answers ("Save and quit [s]", "Allow [a]", a preset's number): each
        # answers it as its key does.
        for choice in choices:
            if choice.key in ("", "escape"):
                continue  # Esc is the dialog's Cancel binding, listed above
            name, _, what = choice.label.partition(": ")
            question = one_line(getattr(screen, "title_text", ""), 60)
            yield SystemCommand(
                palette_title(name, what or choice.does or f"answer “{question}”"), f"key {choice.key} (this dialog)",
                partial(screen.dismiss, choice.value),
            )
        if self.state is None or any(choice.value == "save" for choice in choices):
            # No policy loaded yet (a server failed to start): nothing to save. Or the dialog's
            # own Save (and quit) is listed: no advice to close it first.
            return
        how = self.how_to_save(screen)
        yield SystemCommand(palette_title("Save", how), "", partial(self.say_how_to_save, screen))

    def how_to_save(self, dialog: Screen) -> str:
        """What to do, over `dialog`, before ctrl+s writes the policy."""
        name = self.policy_path.name
        if any(isinstance(b, Binding) and b.action == "apply" for b in dialog.BINDINGS):
            return f"apply this dialog first (ctrl+s), then ctrl+s writes {name}"
        return f"close this dialog first (Esc), then ctrl+s writes {name}"

    def say_how_to_save(self, dialog: Screen) -> None:
        """ctrl+s over a dialog with no ctrl+s of its own (a question, the help, the pins) says
        how to save rather than nothing: the dialog is modal and kept the key from the editor.
        A question with a Save answer names that answer; before the policy is there (a server
        that failed to start), there is nothing to save."""
        if self.state is None:
            self.notify("Nothing to save yet: the tools have not been listed.", markup=False)
            return
        choices = getattr(dialog, "choices", None) or []
        save = next((c for c in choices if c.value == "save"), None)
        if save is not None:
            self.notify(f"To save, answer {save.label} ({save.key}).", markup=False)
        elif choices:  # a question: ctrl+s answers none of them (a second ctrl+s typed by
            # habit would otherwise say yes to what it asks unread)
            answers = ", ".join(f"{'Esc' if c.key == 'escape' else c.key} {c.label}" for c in choices if c.key)
            self.notify(f"To save, answer this question first ({answers}), then ctrl+s writes "
                        f"{self.policy_path.name}.", markup=False)
        else:
            self.notify(f"To save, {self.how_to_save(dialog)}.", markup=False)

    def _binding_for(self, action: str) -> Binding | None:
        """The live binding of `action` (a user keymap may have moved it to another key)."""
        for bindings in self._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.action == action:
                    return binding
        return None

    def filter_by(self, **values: Iterable[str]) -> None:
        """Narrow the table, e.g. filter_by(categories=["Destructive"]) (palette and tests)."""
        for key, items in values.items():
            setattr(self.row_filter, key, frozenset(items))
        self._refresh_view()
        self.main.query_one(ToolTable).cursor = 0

    def _filter_drift(self) -> None:
        self.row_filter.drift_only = True
        self._refresh_view()

    def _shared_limits(self) -> None:
        state = self.state
        if state is None:
            return
        row = self.main.query_one(ToolTable).current_row
        name = row.name if row else ""
        from policytui.tui.screens.limits import LimitsScreen

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
