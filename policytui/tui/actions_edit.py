"""Editing actions: decide, bulk decisions, presets, category overrides, limits, conditions, undo."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text

from policytui.editor.arguments import schema_args
from policytui.editor.rows import SEVERITY_ORDER, Row
from policytui.editor.text import one_line
from policytui.tui.base import EditorBase
from policytui.tui.table import ToolTable

if TYPE_CHECKING:  # the editors' screens load when first opened, after the first frame
    from policytui.tui.screens.conditions import RuleResult
    from policytui.tui.screens.limits import LimitsResult

def count(n: int, noun: str) -> str:
    """`1 tool`, `2 tools`."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def allowed_by_default(rows: list[Row], shown: int = 40) -> Text:
    """The tools a switch to default allow would let through, riskiest first."""
    ranked = sorted(rows, key=lambda r: (-SEVERITY_ORDER.get(r.severity, 0), r.search_key))
    text = Text()
    for row in ranked[:shown]:
        style = "bold" if row.severity in ("High", "Critical") else ""
        text.append(f"{row.label}  ", style=style)
        text.append(f"{row.category}, {row.severity or 'unrated'}\n", style="dim")
    if len(ranked) > shown:
        text.append(f"and {len(ranked) - shown:,} more", style="dim")
    text.rstrip()
    return text


DECISION_VERBS = {"allow": "Allowed", "deny": "Denied", "hide": "Hid", "approve": "Set approval on"}


class EditActions(EditorBase):
    """Every key that changes the policy; each change goes through `_edit` and can be undone."""

    # ----- actions: deciding --------------------------------------------------------------

    def action_decide(self, decision: str) -> None:
        name = self._current()
        if name is None or self.state is None:
            return
        state = self.state
        had_rule = state.policy.rule(name) is not None
        changed = self._edit(lambda: state.set_decision([name], decision), names=[name])
        if changed == 0:
            self.notify(f"Already {decision}: nothing to change.", timeout=1.5)
        elif decision == "hide" and had_rule and state.policy.rule(name) is None:
            # A hidden tool's rule would never apply; it is set aside, not lost.
            self.notify(
                f"Hid {one_line(name, 60)}. Its rule is set aside while it is hidden and comes back "
                "when you allow, deny or approve it again.",
                markup=False,
            )

    def action_reset(self) -> None:
        name = self._current()
        if name is None or self.state is None:
            return
        state = self.state
        self._edit(lambda: state.clear_rules([name]), full=True)

    def action_toggle_default(self) -> None:
        """Switch the default. To deny at once (fails closed); to allow only after a dialog that
        names every tool the switch would let through."""
        state = self.state
        if state is None:
            return
        if state.policy.default == "allow":
            self._toggle_default()
            return
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

        opened = [row for row in state.rows if not row.explicit and row.decision == "deny"]
        # Asked even when every listed tool has a rule of its own: the switch still lets through
        # every tool the server adds later, unseen, which is what a default deny guards against.
        if opened:
            said = (f"Every tool without a rule of its own would be allowed: {count(len(opened), 'tool')}"
                    " (listed below, riskiest first). Tools the server adds later would be allowed too.")
        else:
            said = ("Every tool listed now has a rule of its own, so none of them changes; but tools "
                    "the server adds later would be allowed, unseen.")
        self.push_screen(
            ChoiceScreen(
                "Allow by default?",
                said,
                [Choice("allow", "Allow by default", "y", "error"), Choice("cancel", "Keep deny", "n")],
                detail=allowed_by_default(opened) if opened else None,
                id="confirm-default",
            ),
            lambda answer: self._toggle_default() if answer == "allow" else None,
        )

    def _toggle_default(self) -> None:
        state = self.state
        if state is None:
            return
        new = self._edit(state.toggle_default, full=True)
        if new:
            self.notify(f"Default is now {new}: unlisted tools are {'allowed' if new == 'allow' else 'denied'}.")

    def action_bulk(self) -> None:
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

        if self.state is None:
            return
        table = self.main.query_one(ToolTable)
        if table.marked:
            names = [n for n in self.state.row_indexes if n in table.marked]
            scope = f"the {count(len(names), 'marked tool')}"
        else:
            names = table.visible_names
            scope = f"the {count(len(names), 'tool')} shown" if self.row_filter.active else f"all {count(len(names), 'tool')}"
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
                self.notify(f"Reset {count(len(names), 'tool')} to the default.")
                return
            changed = self._edit(lambda: state.set_decision(names, answer), full=True)
            table.marked.clear()
            if changed is not None:
                self.notify(f"{DECISION_VERBS[answer]} {changed} of {count(len(names), 'tool')}.")

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
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

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
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

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
            self._edit(lambda: state.set_override(name, category), names=[name])

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
        from policytui.tui.screens.limits import LimitsScreen

        def done(result: LimitsResult | None) -> None:
            if result is None:
                return
            unlisted = state.policy.rule(name) is None
            self._edit(lambda: state.edit_limits(name, result.tool_limits, result.shared_limits), full=True)
            if unlisted and result.tool_limits and state.denies(name):
                self.notify(
                    f"{one_line(name, 60)} stays denied. Its limits are kept and take effect once "
                    "you allow it (a).",
                    markup=False,
                )

        self.push_screen(LimitsScreen(name, state.limits_of(name), state.limits_of(None)), done)

    def action_conditions(self) -> None:
        name = self._current()
        if name is None or self.state is None:
            return
        state = self.state
        from policytui.editor.state import CONDITION_KINDS
        from policytui.tui.screens.conditions import ConditionsScreen

        tool = state.tools_by_name.get(name)
        args = schema_args(tool.input_schema) if tool else []
        rule = state.policy.rule(name)
        conditions = {k: state.conditions_of(name, k) for k in CONDITION_KINDS}

        def apply(result: RuleResult, allow: bool) -> None:
            self._edit(
                lambda: state.edit_rule(
                    name, reason=result.reason, conditions=result.conditions, allow=allow
                ),
                names=[name],
            )

        def done(result: RuleResult | None) -> None:
            if result is None:
                return
            if result.conditions == conditions and result.reason == (rule.reason if rule else None):
                return  # nothing changed: no question, no step
            if not state.denies(name) or not any(result.conditions.values()):
                apply(result, allow=False)
                return
            self._ask_keep_denied(name, lambda allow: apply(result, allow))

        self.push_screen(ConditionsScreen(name, args, conditions, rule.reason if rule else None), done)

    def _ask_keep_denied(self, name: str, then: Callable[[bool], None]) -> None:
        """Conditions given to a denied tool: keep it denied (the default) or allow its other calls.

        Conditions apply only to calls a rule allows, so on a denied tool they change nothing
        until it is allowed; allowing it lets through every call that no condition stops.
        """
        from policytui.tui.screens.dialogs import Choice, ChoiceScreen

        shown = one_line(name, 60)

        def answered(answer: str | None) -> None:
            if answer == "keep":
                then(False)
                self.notify(
                    f"{shown} stays denied. Its conditions are kept and take effect once you "
                    "allow it (a).",
                    markup=False,
                )
            elif answer == "allow":
                then(True)

        self.push_screen(
            ChoiceScreen(
                f"{shown} is denied",
                "Conditions apply only to calls the tool's rule allows, so while it is denied "
                "they have no effect. Allow its other calls? Every call no condition stops "
                "would then go through.",
                [
                    Choice("keep", "Keep denied", "n", "primary"),
                    Choice("allow", "Allow other calls", "a", "error"),
                    Choice("cancel", "Cancel", "escape"),
                ],
                id="confirm-conditions-open",
            ),
            answered,
        )

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
