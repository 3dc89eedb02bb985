"""Viewing actions: filter and sort the table, switch panels, try a call under the policy."""

from __future__ import annotations

import json
import time
from typing import Any

from rich.text import Text
from textual import events, on
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from policytui.editor.arguments import arguments_hint, sample_arguments, schema_args
from policytui.editor.rows import SORT_KEYS, RowFilter
from policytui.editor.text import one_line
from policytui.tui.base import EditorBase
from policytui.tui.escape_keys import escape_then_key
from policytui.tui.inputs import type_into_focused
from policytui.tui.keys import APP_ACTIONS
from policytui.tui.panels import render_decision
from policytui.tui.table import ToolTable

# How often, at most, a key pressed before the tools are listed is answered with a notice.
KEYS_WAIT_NOTICE_SECONDS = 3.0


class ViewActions(EditorBase):
    """Keys that change what is shown, never the policy."""

    _told_keys_wait = float("-inf")  # when the notice last said that keys wait for the tools
    _try_args_tool: str | None = None  # the tool the Try panel's arguments were given for
    _try_answered: tuple[str, Any] | None = None  # the call whose answer the Try panel shows
    _try_shown_for: tuple[str, str] | None = None  # the fields as typed when the answer was shown
    _try_filled_tool: str | None = None  # the tool name the editor put in the Try panel, not the user

    # ----- actions: filtering and sorting -------------------------------------------------

    def action_filter(self) -> None:
        box = self.main.query_one("#filter", Input)
        box.display = True
        # Focus now, not after the queued messages (what `focus()` does): the keys typed right
        # after `/` reach the app after it and must go into the filter, never to the table.
        self.main.set_focus(box)

    def _follow_filter_box(self) -> None:
        """The table follows the filter box's text as it changes, within the key that changed
        it (an `Input.Changed` message would arrive after the keys behind that key: Esc or
        Enter would then act on the rows of an earlier text)."""
        self.watch(self.main.query_one("#filter", Input), "value", self._apply_filter_text, init=False)

    def _apply_filter_text(self, text: str) -> None:
        if self.row_filter.text != text:
            self.row_filter.text = text
            self._refresh_view()

    def _close_filter(self, *, clear: bool) -> None:
        """Enter (clear=False) or Esc (clear=True) in the filter box: back to the table at once.

        The filter applied is the box's text at this key, so that the keys typed behind Enter
        act on the first tool that matches exactly what was typed (or on none, when none
        matches), never on a row of an earlier text.
        """
        box = self.main.query_one("#filter", Input)
        table = self.main.query_one(ToolTable)
        if clear:
            box.value = ""
        self._apply_filter_text(box.value)
        if not box.value:
            box.display = False
        self.main.set_focus(table)
        if not clear:
            table.cursor = 0

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.Paste)) and not self.screen_stack:
            # The editor is closing and its screens are gone: a key still on its way (a held
            # one handed on comes back up a message later) has nowhere to go.
            return
        # Esc and a letter in one read are two keys, not Alt+letter; a key from the terminal
        # while a dialog opens waits for the dialog (tui/key_order.py).
        mac_key = getattr(event, "escape_letter", None) is not None  # a key: screens are there
        split = escape_then_key(event, in_field=mac_key and isinstance(self.focused, Input))
        from_terminal = isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded
        if split is not None:
            self.key_order.take_all(split)
        elif not self.key_order.take(event):
            await super().on_event(event)
            if from_terminal:
                self.key_order.sent(event)

    async def forward_key(self, event: events.Event) -> None:
        """Handle a key as one just come from the terminal (Textual sends it to the focus)."""
        await super().on_event(event)

    def on_key(self, event: Any) -> None:
        if self.key_order.take_back(event):
            return
        if event.character == "{":
            self._arguments_typed_over_the_named_tool()
        if type_into_focused(self, event):
            return
        if self.state is None and self.screen is self.main:
            self._say_keys_wait_for_tools(event.key)
        if event.key == "q" and self.screen is self.main:
            self._say_how_to_quit()
        if self.screen is not self.main and isinstance(self.screen, ModalScreen):
            # In a dialog a key's binding often acts by a message (a button's Pressed): the
            # keys behind it wait until that has been handled (tui/key_order.py).
            self.key_order.settle(self.focused or self.screen)
        if event.key not in ("escape", "enter") or self.screen is not self.main:
            return
        box = self.main.query_one("#filter", Input)
        if self.focused is box:
            # Handled here, before the box's own Enter: the focus must be on the table before
            # the next key, which is handled right after this one.
            event.stop()
            event.prevent_default()
            self._close_filter(clear=event.key == "escape")
        elif event.key == "enter" and isinstance(self.focused, Input) and self.focused.id in ("try-tool", "try-args"):
            # Handled here, not by the field's Submitted, which reaches the app only after
            # the keys typed behind this Enter: Enter after a tool's name must have moved the
            # focus to the arguments before the next key, and Enter in the arguments decides
            # the call as typed up to it. A fast `search_flows Enter Enter` named the tool
            # twice and decided nothing.
            event.stop()
            event.prevent_default()
            if self.focused.id == "try-tool":
                self._try_tool_entered()
            else:
                self._try_entered()
        elif (event.key == "escape" and isinstance(self.focused, Input)
              and self.focused.id in ("try-tool", "try-args")):
            # Esc leaves the Try panel's input (keeping what was typed); the filter stays.
            # prevent_default: the app's Esc binding (clear the filter) must not run as well.
            event.stop()
            event.prevent_default()
            self.main.set_focus(self.main.query_one(ToolTable))

    def _say_how_to_quit(self) -> None:
        """`q`, which quits many terminal programs, did nothing here, silently: say which key
        quits. It does not quit itself: a `q` typed by mistake must not end the session."""
        if self._bindings.key_to_bindings.get("q"):
            return  # a keymap gave `q` an action of its own
        keys = [key for key, bindings in self._bindings.key_to_bindings.items()
                if any(binding.action == "quit" for binding in bindings)]
        if keys:
            self.notify(f"{keys[0]} quits", timeout=4)

    def _say_keys_wait_for_tools(self, key: str) -> None:
        """A key of the editor's, pressed while the server starts (ctrl+s, `a`), does nothing
        yet: say so once in a while, rather than let a save look made."""
        # The app's own bindings, with the user's keymap applied: a binding `check_action`
        # turns off is left out of the screen's active bindings.
        bindings = self._bindings.key_to_bindings.get(key, [])
        actions = {binding.action.split("(")[0] for binding in bindings}
        if not actions & APP_ACTIONS or actions & {"quit", "help"}:
            return
        now = time.monotonic()
        if now - self._told_keys_wait < KEYS_WAIT_NOTICE_SECONDS:
            return
        self._told_keys_wait = now
        if self.listing_failed:
            waiting = "the server's tools could not be listed"
        elif self.main.query_one(ToolTable).display:  # the rows show before the policy is read
            waiting = f"{one_line(self.policy_path.name, 60)} is still being read"
        else:
            waiting = "the server's tools are still being listed"
        self.notify(f"Nothing to edit or save yet: {waiting}.", severity="warning",
                    timeout=KEYS_WAIT_NOTICE_SECONDS)

    def on_paste(self, event: events.Paste) -> None:
        if self.key_order.take_back(event):
            return
        if event.text.lstrip().startswith("{"):
            self._arguments_typed_over_the_named_tool()
        type_into_focused(self, event)

    def _arguments_typed_over_the_named_tool(self) -> bool:
        """A `{` typed (or a JSON object pasted) over the tool's name that `5` put in the Try
        panel, while the arguments' field is empty and shows the tool's sample as its
        placeholder: the user is typing the arguments, since no tool's name begins with `{`.
        The name stays and the focus moves to the arguments, where the text is then typed;
        before, the name was replaced with the arguments and Enter named no tool. True when it
        moved."""
        tool_box = self.focused
        if not isinstance(tool_box, Input) or tool_box.id != "try-tool":
            return False  # checked first: the panels are mounted after the first frame
        args_box = self.main.query_one("#try-args", Input)
        if not tool_box.value or tool_box.value != self._try_filled_tool or args_box.value.strip():
            return False
        self.main.set_focus(args_box)
        return True

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
        from policytui.tui.screens.filters import FilterScreen

        def done(result: RowFilter | None) -> None:
            if result is not None:
                result.text = self.row_filter.text
                self.row_filter = result
                self._refresh_view()
                self.main.query_one(ToolTable).cursor = 0

        self.push_screen(FilterScreen(self.row_filter, categories), done)

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
        # In server order no column header carries the arrow that says the order is reversed.
        order = table.sort_key or "server order"
        self.notify(f"Sorted by {order}, {'reversed' if table.sort_reverse else 'not reversed'}.", timeout=1.5)

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

    # ----- actions: panels, try a call ----------------------------------------------------

    def action_panel(self, tab: str) -> None:
        from textual.widgets import TabbedContent

        panels = self.main.query_one("#panels", TabbedContent)
        if tab == "tab-replay" and getattr(self, "replay_path", None) is None:
            self.notify("No recording: start the editor with --replay RECORDING.", severity="warning")
            return
        panels.active = tab
        if tab == "tab-try":
            # The panel is a form: what is typed next goes into it (the tool's name, or the
            # arguments of the call named already), never to the table behind it, where
            # typing a tool's name ran its letters as keys (`a` allowed the selected tool).
            tool_box = self.main.query_one("#try-tool", Input)
            if self._name_selected_tool_in_try():
                # Focused with the name selected: Enter takes it (and its sample arguments),
                # another name typed replaces it.
                self.main.set_focus(tool_box)
                return
            self.main.set_focus(tool_box if not tool_box.value else self.main.query_one("#try-args", Input))

    def _name_selected_tool_in_try(self) -> bool:
        """Put the selected tool's name in the Try panel's tool field when the field is empty or
        still holds the name put there before (the one `t` or this filled in), so the user need
        not type the name just selected. A name the user typed stays. True when it was put."""
        tool_box = self.main.query_one("#try-tool", Input)
        row = self.main.query_one(ToolTable).current_row
        if row is None or tool_box.value not in ("", self._try_filled_tool):
            return False
        tool_box.value = self._try_filled_tool = row.name
        return True

    def action_try_call(self) -> None:
        state = self.state
        name = self._current()
        if state is None or name is None:
            return
        tool_box = self.main.query_one("#try-tool", Input)
        args_box = self.main.query_one("#try-args", Input)
        named_before = tool_box.value.strip()  # before the panel shown puts the name in
        self.action_panel("tab-try")
        # What was typed is kept for the tool it was typed for; another tool's arguments mean
        # nothing to this one (a sample of its own replaces them).
        if not args_box.value or named_before != name:
            self._try_sample_arguments(name)
        tool_box.value = self._try_filled_tool = name
        # Focus now, as `/` does: keys typed right after `t` go into the arguments, never to
        # the table (where `a` would allow the tool).
        self.main.set_focus(args_box)

    @on(Input.Changed, "#try-tool")
    def _try_tool_changed(self, event: Input.Changed) -> None:
        """The arguments' placeholder follows the tool named: its own arguments, never another
        tool's."""
        state = self.state
        tool = state.tools_by_name.get(event.value.strip()) if state is not None else None
        hint = arguments_hint(tool.input_schema if tool else None)
        self.main.query_one("#try-args", Input).placeholder = one_line(hint, 200)
        self._forget_try_answer_once_edited()

    @on(Input.Changed, "#try-args")
    def _try_args_changed(self) -> None:
        self._forget_try_answer_once_edited()

    def _forget_try_answer_once_edited(self) -> None:
        """An answer left under fields that now name another call told the user what that call
        would not get: once either field differs from what was decided, the answer gives way to
        how to decide the call as typed, and an edit of the policy no longer decides it again."""
        shown = self._try_shown_for
        if shown is None:
            return
        if (self.main.query_one("#try-tool", Input).value,
                self.main.query_one("#try-args", Input).value) == shown:
            return
        self._try_shown_for = self._try_answered = None
        self.main.query_one("#try-result", Static).update(
            Text("Enter in the args field decides the call as typed.", style="dim"))

    def _try_sample_arguments(self, name: str) -> None:
        """Put a sample of `name`'s own arguments, from its schema, in the Try panel."""
        state = self.state
        tool = state.tools_by_name.get(name) if state is not None else None
        sample = sample_arguments(schema_args(tool.input_schema if tool else {}))
        self.main.query_one("#try-args", Input).value = json.dumps(sample, ensure_ascii=False)
        self._try_args_tool = name

    def _try_tool_entered(self) -> None:
        """Enter after a tool's name moves on to its arguments, as a form's next field: it
        decided at once before, with the arguments of the tool named before this one. A tool
        other than the one the arguments were given for gets a sample of its own."""
        state = self.state
        name = self.main.query_one("#try-tool", Input).value.strip()
        args_box = self.main.query_one("#try-args", Input)
        if state is not None and name in state.tools_by_name and (
                not args_box.value.strip() or self._try_args_tool not in (None, name)):
            self._try_sample_arguments(name)
        self.main.set_focus(args_box)

    def _try_entered(self) -> None:
        state = self.state
        if state is None:
            return
        tool = self.main.query_one("#try-tool", Input).value
        self._try_args_tool = tool.strip()  # what was typed is this tool's from now on
        typed = self.main.query_one("#try-args", Input).value
        raw = typed.strip() or "{}"
        out = self.main.query_one("#try-result", Static)
        self._try_shown_for = (tool, typed)
        from policytui.decision.call_arguments import ArgumentsError, read_arguments

        try:
            args = read_arguments(raw)  # as the gateway reads a call's arguments
        except ArgumentsError as exc:
            self._try_answered = None
            out.update(Text(str(exc), style="bold"))
            return
        self._try_answered = (tool, args)
        out.update(render_decision(state.try_call(tool, args), self._try_hint(tool)))

    def _try_hint(self, tool: str) -> str:
        """For a name the server does not list, the tool meant, as `check --tools` names it:
        the answer alone (DENIED, rule server.tools) read as the policy denying the call."""
        from policytui.cli.check_cmd import unknown_tool_hint

        state = self.state
        if state is None:
            return ""
        broken = {b.name for b in state.listing.broken_tools if b.name is not None}
        return unknown_tool_hint(tool, set(state.tools_by_name) | broken, "the tools it lists")

    def _refresh_try(self) -> None:
        """Decide the call on show again under the policy as edited: an answer kept from before
        the edit said NEEDS APPROVAL for a tool denied or hidden since."""
        state = self.state
        if state is None or self._try_answered is None:
            return
        tool, args = self._try_answered
        self.main.query_one("#try-result", Static).update(
            render_decision(state.try_call(tool, args), self._try_hint(tool)))
