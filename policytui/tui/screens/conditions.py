"""The conditions editor: a tool's reason and its require / deny_if / require_approval_if lists.

The argument list comes from the tool's input schema, and where the schema lists allowed
values they are offered as choices: "approve manage_flow only when action is delete" is
`c`, pick "delete", Tab (to Add), Enter, ctrl+s. Focus stays where the user put it, so
Tab always moves in screen order. Enter on a listed condition edits it in place: the
form fills with it, the Add button becomes Update, and Esc stops editing without a change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from policytui.editor import (
    CONDITION_KINDS,
    ArgInfo,
    EditError,
    make_condition,
    one_line,
    parse_condition_value,
)
from policytui.policy.model import OPS, Condition
from policytui.tui.inputs import TextInput
from policytui.tui.screens.dialogs import DialogButtons, DialogFrame, DialogScreen, compact_all

KIND_LABELS = {
    "require_approval_if": "needs approval if",
    "deny_if": "deny if",
    "require": "require (else deny)",
}
CUSTOM_PATH = "__custom__"


@dataclass(frozen=True)
class RuleResult:
    reason: str | None
    conditions: dict[str, list[Condition]]


class ConditionsScreen(DialogScreen[RuleResult | None]):
    """Edit one tool's conditions and reason; returns them all, applied as one undo step."""

    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="conditions.apply",
                tooltip="Give the tool these conditions and this reason"),
        Binding("escape", "cancel", "Cancel", id="conditions.cancel",
                tooltip="Close the dialog, the tool unchanged"),
        Binding("delete", "remove", "Remove condition", id="conditions.remove",
                tooltip="Remove the selected condition"),
        Binding("ctrl+e", "to_list", "Edit a listed condition", id="conditions.to_list",
                priority=True, tooltip="Go to the list to pick a condition to change"),
    ]

    def __init__(
        self,
        tool: str,
        args: list[ArgInfo],
        conditions: dict[str, list[Condition]],
        reason: str | None,
    ) -> None:
        super().__init__(id="conditions-screen")
        self.tool = tool
        self.args = args
        self.by_path = {a.path: a for a in args}
        self.conditions = {k: list(conditions.get(k, [])) for k in CONDITION_KINDS}
        self.opened_with = {k: list(v) for k, v in self.conditions.items()}  # (`unapplied`)
        self.reason = reason or ""
        # (kind, index) of the listed condition the form is editing; None: the form adds.
        self.editing: tuple[str, int] | None = None

    # ----- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        first = next((a for a in self.args if a.choices), self.args[0] if self.args else None)
        with DialogFrame(id="dialog", classes="dialog wide"):
            title = Text("Conditions for ", style="bold")
            title.append(one_line(self.tool, 48))
            title.append("   ctrl+e: edit a listed condition", style="dim")
            yield Static(title, id="dialog-title")
            yield OptionList(id="cond-list")
            # Removing acts on the list, so its button sits under the list, away from Add:
            # Tab from a picked value reaches Add, and the next Tab the reason, never Remove.
            with Horizontal(classes="cond-buttons", id="cond-list-buttons"):
                yield Button(Text("Remove selected [del]"), id="cond-remove", variant="error")
            with Horizontal(classes="cond-form"):
                with Vertical(classes="field"):
                    yield Label("when")
                    yield Select(
                        [(KIND_LABELS[k], k) for k in CONDITION_KINDS],
                        value="require_approval_if", allow_blank=False, id="cond-kind",
                    )
                with Vertical(classes="field"):
                    yield Label("argument")
                    options = [(Text(self._arg_label(a)), a.path) for a in self.args]
                    options.append((Text("other path…"), CUSTOM_PATH))
                    yield Select(
                        options, value=first.path if first else CUSTOM_PATH,
                        allow_blank=False, id="cond-path",
                    )
                with Vertical(classes="field small"):
                    yield Label("op")
                    yield Select([(o, o) for o in OPS], value="eq", allow_blank=False, id="cond-op")
                with Vertical(classes="field"):
                    yield Label("value")
                    yield Select([], id="cond-choice", prompt="pick a value")
                    yield TextInput(placeholder="value (JSON or text)", id="cond-value", takes_json=True)
            yield TextInput(placeholder="args.some.path", id="cond-custom-path")
            with Horizontal(classes="cond-buttons"):
                yield Button(Text("Add [enter]"), id="cond-add", variant="primary")
            yield Static("", id="cond-error", classes="form-error")
            yield Label("reason shown to the agent when this tool is denied (optional)", classes="reason-label")
            yield TextInput(value=self.reason, id="rule-reason", placeholder="e.g. deleting flows needs a ticket")
            with DialogButtons(id="dialog-buttons"):
                yield Button(Text("Apply [ctrl+s]"), id="cond-apply", variant="primary")
                yield Button(Text("Cancel [esc]"), id="cond-cancel")

    @staticmethod
    def _arg_label(arg: ArgInfo) -> str:
        label = one_line(arg.name, 40)
        if arg.choices:
            label += f" ({len(arg.choices)} values)"
        elif arg.type:
            label += f" ({one_line(arg.type, 20)})"
        return label

    def on_mount(self) -> None:
        compact_all(self)
        self._refill()
        self._path_changed()
        choice = self.query_one("#cond-choice", Select)
        field = choice if choice.display else self.query_one("#cond-value", Input)
        # On a short terminal the focus scrolled the dialog past its title, which names the tool
        # whose conditions these are (Textual centres a field focused before the layout is
        # known): the dialog stays at its top, and scrolls only as far as the field needs.
        self.set_focus(field, scroll_visible=False)
        self.call_after_refresh(self._show_title_and_field, field)

    def _show_title_and_field(self, field: Widget) -> None:
        if self.focused is not field:
            return  # keys typed behind `c` moved on (Tab to Add): that one is scrolled to
        self.query_one("#dialog").scroll_home(animate=False, immediate=True)
        field.scroll_visible(animate=False, immediate=True)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Textual scrolls to a focused widget only when it lies outside the box, and Add, just
        # under the value field, lies inside it behind the docked row of buttons: scrolled to
        # here, the docked row is allowed for.
        self.call_after_refresh(event.widget.scroll_visible, animate=False)

    # ----- form behaviour -----------------------------------------------------------------

    def _current_arg(self) -> ArgInfo | None:
        return self.by_path.get(str(self.query_one("#cond-path", Select).value))

    @on(Select.Changed, "#cond-path")
    def _path_changed(self) -> None:
        arg = self._current_arg()
        if arg and arg.choices:
            self.query_one("#cond-choice", Select).set_options(
                (Text(one_line(json.dumps(v, ensure_ascii=False), 60)), i)
                for i, v in enumerate(arg.choices)
            )
        self.query_one("#cond-custom-path", Input).display = arg is None
        self._op_changed()

    @on(Select.Changed, "#cond-op")
    def _op_changed(self) -> None:
        op = str(self.query_one("#cond-op", Select).value)
        arg = self._current_arg()
        # Lists, numbers and regexes are typed; a single enum value is picked.
        use_choice = bool(arg and arg.choices) and op in ("eq", "neq", "contains")
        self.query_one("#cond-choice", Select).display = use_choice
        self.query_one("#cond-value", Input).display = not use_choice
        if op == "exists" and not self.query_one("#cond-value", Input).value:
            self.query_one("#cond-value", Input).value = "true"

    def _form_condition(self) -> tuple[str, Condition] | None:
        error = self.query_one("#cond-error", Static)
        try:
            made = self._read_form()
        except EditError as exc:
            error.update(Text(str(exc)))
            return None
        error.update("")
        return made

    def _read_form(self) -> tuple[str, Condition]:
        """The condition the form holds, with its kind; EditError says what is missing."""
        kind = str(self.query_one("#cond-kind", Select).value)
        op = str(self.query_one("#cond-op", Select).value)
        arg = self._current_arg()
        path = arg.path if arg else self.query_one("#cond-custom-path", Input).value
        choice = self.query_one("#cond-choice", Select)
        if choice.display:
            if choice.value is Select.NULL:
                raise EditError("pick a value first")
            value: Any = arg.choices[int(choice.value)]  # type: ignore[union-attr, arg-type]
        else:
            typed = self.query_one("#cond-value", Input).value
            if not typed.strip() and op != "exists":
                raise EditError("type a value first")
            value = parse_condition_value(typed, op, arg.type if arg else "")
        return kind, make_condition(path, op, value)

    def _unadded(self) -> str | None:
        """Why Apply must wait: the form holds a condition (or a change to the one being
        edited) that Add or Update has not put in the list. Applying without it would drop
        it silently, and a `deny_if` the author believes is there would not be."""
        choice = self.query_one("#cond-choice", Select)
        op = str(self.query_one("#cond-op", Select).value)
        if choice.display:
            filled = choice.value is not Select.NULL
        else:
            filled = bool(self.query_one("#cond-value", Input).value.strip()) or op == "exists"
        if self.editing is None and not filled:
            return None
        try:
            kind, condition = self._read_form()
        except EditError:
            pass
        else:
            if condition in self.conditions[kind]:
                return None
        if self.editing is not None:
            return "the change to the condition being edited is not saved yet: press Enter to update it, or Esc to stop editing"
        if op == "exists" and not choice.display:
            return "the exists condition in the form is not added yet: press Enter to add it, or pick another op to apply without it"
        return "the condition in the form is not added yet: press Enter to add it, or empty its value to apply without it"

    def unapplied(self) -> str | None:
        """The conditions or reason as changed and not applied: a condition added, changed or
        removed in the list, the reason edited, or one in the form that Apply would wait for."""
        try:
            changed = (self.conditions != self.opened_with
                       or self.query_one("#rule-reason", Input).value != self.reason
                       or self._unadded() is not None)
        except NoMatches:  # closing: its fields are gone
            return None
        return f"the conditions for {one_line(self.tool, 60)}" if changed else None

    def _refill(self, highlight: int | None = None) -> None:
        self.unapplied_may_have_changed()
        options = self.query_one("#cond-list", OptionList)
        options.clear_options()
        entries = [(k, i, c) for k in CONDITION_KINDS for i, c in enumerate(self.conditions[k])]
        # An empty list has nothing to show the focus on: Tab passes it by, and Remove, which
        # would have nothing to remove, is not shown.
        options.can_focus = bool(entries)
        self.query_one("#cond-remove", Button).disabled = not entries
        self.query_one("#cond-list-buttons").display = bool(entries)
        if not entries:
            options.add_option(Option(Text("no conditions", style="dim"), disabled=True))
            return
        for kind, index, condition in entries:
            text = Text("✎ editing  ", style="bold") if self.editing == (kind, index) else Text()
            text.append(f"{KIND_LABELS[kind]}: {one_line(condition.describe(), 120)}")
            options.add_option(Option(text))
        options.highlighted = len(entries) - 1 if highlight is None else min(highlight, len(entries) - 1)

    def _position_of(self, kind: str, index: int) -> int:
        """The list row of condition `index` of `kind`."""
        before = CONDITION_KINDS[: CONDITION_KINDS.index(kind)]
        return sum(len(self.conditions[k]) for k in before) + index

    def _set_editing(self, editing: tuple[str, int] | None) -> None:
        self.editing = editing
        self.query_one("#cond-add", Button).label = Text("Update [enter]" if editing else "Add [enter]")
        self.query_one("#cond-error", Static).update(
            Text("Editing the marked condition: change it and press Enter (Esc: stop editing).", style="dim")
            if editing
            else ""
        )

    def _entry_at(self, index: int) -> tuple[str, int] | None:
        position = 0
        for kind in CONDITION_KINDS:
            for i in range(len(self.conditions[kind])):
                if position == index:
                    return kind, i
                position += 1
        return None

    def action_to_list(self) -> None:
        """Go to the list of conditions: Enter there edits one, del removes it."""
        self.query_one("#cond-list", OptionList).focus()

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Add, for the command palette (name, what it does, action): its Enter adds only from
        the value field."""
        return [("Add", "add the condition in the form (Update while one is being edited)", self.action_add)]

    @on(Button.Pressed, "#cond-add")
    @on(Input.Submitted, "#cond-value")
    def action_add(self) -> None:
        made = self._form_condition()
        if made is None:
            return
        kind, condition = made
        if self.editing is not None:
            old_kind, old_index = self.editing
            self._set_editing(None)
            if kind == old_kind:
                self.conditions[kind][old_index] = condition  # same place in the list
                self._refill(self._position_of(kind, old_index))
                return
            del self.conditions[old_kind][old_index]
        if condition in self.conditions[kind]:
            self._refill()
            self.query_one("#cond-error", Static).update(Text("that condition is already listed"))
            return
        self.conditions[kind].append(condition)
        self._clear_value()
        self._refill()

    def _clear_value(self) -> None:
        """Empty the value field after Add, so Enter again never repeats the condition."""
        self.query_one("#cond-value", Input).value = ""
        self.query_one("#cond-choice", Select).clear()
        self._op_changed()  # `exists` takes `true` again

    @on(Button.Pressed, "#cond-remove")
    def action_remove(self) -> None:
        index = self.query_one("#cond-list", OptionList).highlighted
        found = self._entry_at(index) if index is not None else None
        if found:
            kind, i = found
            if self.editing is not None:
                self._set_editing(None)  # the edited condition moved or went away
                self._clear_value()  # the form held it: nothing in it is waiting to be added
            del self.conditions[kind][i]
            self._refill(index)

    @on(OptionList.OptionSelected, "#cond-list")
    def _edit_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a condition fills the form with it; Update writes it back in its place."""
        event.stop()
        found = self._entry_at(event.option_index)
        if not found:
            return
        kind, i = found
        condition = self.conditions[kind][i]
        self._set_editing((kind, i))
        self._refill(event.option_index)
        self.query_one("#cond-kind", Select).value = kind
        path_select = self.query_one("#cond-path", Select)
        if condition.path in self.by_path:
            path_select.value = condition.path
        else:
            path_select.value = CUSTOM_PATH
            self.query_one("#cond-custom-path", Input).value = condition.path
        self.query_one("#cond-op", Select).value = condition.op
        self._path_changed()
        arg = self.by_path.get(condition.path)
        choice = self.query_one("#cond-choice", Select)
        if choice.display and arg and condition.value in arg.choices:
            choice.value = arg.choices.index(condition.value)
        else:
            value = condition.value
            text = ", ".join(map(str, value)) if isinstance(value, list) and all(
                isinstance(v, str) and "," not in v for v in value
            ) else (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            self.query_one("#cond-value", Input).value = text
        (choice if choice.display else self.query_one("#cond-value", Input)).focus()

    @on(Input.Submitted, "#rule-reason")
    @on(Button.Pressed, "#cond-apply")
    def action_apply(self) -> None:
        self.settle_then(self._apply)

    def _apply(self) -> None:
        unadded = self._unadded()
        if unadded is not None:
            self.query_one("#cond-error", Static).update(Text(unadded))
            choice = self.query_one("#cond-choice", Select)
            (choice if choice.display else self.query_one("#cond-value", Input)).focus()
            return
        reason = self.query_one("#rule-reason", Input).value.strip() or None
        self.dismiss(RuleResult(reason, {k: list(v) for k, v in self.conditions.items()}))

    @on(Button.Pressed, "#cond-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        if self.editing is not None:  # first Esc stops editing, the next one closes
            position = self._position_of(*self.editing)
            self._set_editing(None)
            self._clear_value()  # the abandoned change is not left in the form to be added
            self._refill(position)
            return
        self.dismiss(None)
