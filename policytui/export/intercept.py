"""Export to Intercept's YAML policy format (version "1").

How each part maps (Intercept denies a call when any rule's conditions do not all hold):

- `hide`, `default`: the same fields.
- a tool named `"*"`, which Intercept reads as every tool: left out when its rule allows every
  call; under `default: "allow"` a rule that limits it becomes a deny of every call.
- `action: "deny"`: a rule with `action: "deny"` and `on_deny` from `reason`.
- `require`: one rule per condition, the condition as written.
- `deny_if`: one rule per condition holding the condition's negation (`eq` <-> `neq`, `in` <->
  `not_in`, `lt` <-> `gte`, `lte` <-> `gt`, `exists` flipped). `regex` and `contains` have no
  negation there, so a tool using them in `deny_if` is exported as denied outright.
- approvals (fail-closed): `action: "require_approval"` becomes a deny rule and each
  `require_approval_if` condition becomes a `deny_if` rule, with a warning.
- limits: a counter used by one tool becomes `rate_limit: "N/window"` on that tool (or a `state`
  counter when the tool has two limits in one window). A counter shared by several tools, or
  set in `all_tools`, becomes a `state` counter in the `"*"` rules, because Intercept scopes a
  tool's counters to that tool and only `"*"` counters are shared.

Intercept has no per-client counters and compares loosely, so some limits and conditions come
out stricter or looser; each case is reported as a warning.

Intercept compares texts as written, where `decide` also reads them in Unicode normal form and
as a server reads them (a path resolved, a URL's query cut, JSON text parsed): a tool with a
condition another spelling (`normal_forms`) or another reading (`path_readings`) would pass
there is exported as denied. A `require eq` or `in` of a text every reading leaves alone
(`/srv/a`) is kept: a call passing it as written passes it read any way. So is a refusal of
such a text, and a comparison of a number, each with a condition in front that denies what
Intercept would read otherwise (`intercept_guards`); a comparison of a boolean is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policytui.export.common import extension_warnings, plain, quoted, with_reason
from policytui.export.intercept_guards import (
    GUARDS_EVERY_READING,
    boolean_warning,
    guard_condition,
    guard_for,
    safe_text_warning,
    spellings_denied_in_front,
)
from policytui.export.normal_forms import condition_judged_otherwise, spelling_warning
from policytui.export.path_readings import (
    condition_read_otherwise,
    letter_case_warning,
    reading_warning,
)
from policytui.export.result import ExportResult, ExportWarning
from policytui.export.yaml_writer import Flow, dump
from policytui.policy.model import Condition, Limit, Policy, ToolRule

TARGET = "Intercept's format"
WILDCARD = "*"

_NEGATED = {
    "eq": "neq",
    "neq": "eq",
    "in": "not_in",
    "not_in": "in",
    "lt": "gte",
    "lte": "gt",
    "gt": "lte",
    "gte": "lt",
}


def _negate(condition: Condition) -> dict[str, Any] | None:
    """A condition that holds exactly when `condition` does not, or None when Intercept has none."""
    if condition.op == "exists":
        return _condition(condition.path, "exists", not bool(condition.value))
    op = _NEGATED.get(condition.op)
    if op is None:
        return None
    return _condition(condition.path, op, condition.value)


def _condition(path: str, op: str, value: Any) -> dict[str, Any]:
    value = plain(value)
    return {"path": path, "op": op, "value": Flow(value) if isinstance(value, (list, dict)) else value}


@dataclass
class _Budget:
    """One counter in one window, with every limit that draws on it."""

    counter: str
    window: str
    owners: list[str] = field(default_factory=list)  # tool names, or "*" for all_tools
    paths: list[str] = field(default_factory=list)
    maxes: list[int] = field(default_factory=list)


class _Exporter:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.warnings: list[ExportWarning] = []
        self.rules: dict[str, list[dict[str, Any]]] = {}
        self.denied: set[str] = set()
        self.compared_values = False

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(ExportWarning(path, message))

    # Deny rules and conditions --------------------------------------------------------------

    def tool_rules(self, name: str, rule: ToolRule) -> list[dict[str, Any]]:
        base = f"tools.{name}"
        action = rule.effective_action
        if action == "deny":
            self.denied.add(name)
            return [self._deny_rule("denied by policy", rule.reason or f"Tool {quoted(name)} is denied by policy")]
        if action == "require_approval":
            self.denied.add(name)
            self.warn(
                f"{base}.action",
                "needs human approval, which Intercept cannot ask for; exported as a deny saying so",
            )
            # Its own message: the tool's `reason` explains a denial, and an agent told that
            # text would think the call was refused for that reason, not held for a human.
            return [
                self._deny_rule(
                    "requires approval (exported as deny)",
                    f"Tool {quoted(name)} requires approval, which this gateway cannot ask for",
                )
            ]

        judged_otherwise = condition_judged_otherwise(base, rule, spellings_denied_in_front)
        if judged_otherwise is not None:
            path, condition = judged_otherwise
            self.denied.add(name)
            self.warn(path, spelling_warning("Intercept"))
            unchecked = f"denied because the gateway cannot check {condition.describe()} in every Unicode spelling"
            return [self._deny_rule(f"{path.removeprefix(base + '.')} cannot be checked (exported as deny)",
                                    with_reason(rule.reason, unchecked))]
        boolean = _first_boolean_comparison(base, rule)
        if boolean is not None:
            path, condition = boolean
            self.denied.add(name)
            self.warn(path, boolean_warning())
            unchecked = f"denied because the gateway cannot check {condition.describe()} as policytui does"
            if ".require_approval_if[" not in path:
                unchecked = with_reason(rule.reason, unchecked)
            return [self._deny_rule(f"{path.removeprefix(base + '.')} cannot be checked (exported as deny)",
                                    unchecked)]
        read_otherwise = condition_read_otherwise(base, rule, guarded=_guarded)
        if read_otherwise is not None:
            path, condition = read_otherwise
            self.denied.add(name)
            self.warn(path, reading_warning("Intercept", condition))
            unchecked = f"denied because the gateway cannot check {condition.describe()} as a server reads the argument"
            if ".require_approval_if[" not in path:  # an approval rule never borrows the denial `reason`
                unchecked = with_reason(rule.reason, unchecked)
            return [self._deny_rule(f"{path.removeprefix(base + '.')} cannot be checked (exported as deny)",
                                    unchecked)]
        rules: list[dict[str, Any]] = []
        for i, condition in enumerate(rule.require or []):
            self._note_condition(f"{base}.require[{i}]", condition, negated=False)
            rules.append(
                {
                    "name": f"require[{i}] {condition.describe()}",
                    "conditions": [*self._guards(f"{base}.require[{i}]", condition, passes_when_it_holds=True),
                                   _condition(condition.path, condition.op, condition.value)],
                    "on_deny": with_reason(rule.reason, f"required condition not met: {condition.describe()}"),
                }
            )
        deny_like = [("deny_if", c) for c in rule.deny_if or []]
        approval_like = [("require_approval_if", c) for c in rule.require_approval_if or []]
        if approval_like:
            self.warn(
                f"{base}.require_approval_if",
                "approval conditions cannot be expressed in Intercept; exported as deny_if rules, "
                "so those calls are denied instead of held",
            )
        counters: dict[str, int] = {}
        for kind, condition in deny_like + approval_like:
            index = counters[kind] = counters.get(kind, -1) + 1
            path = f"{base}.{kind}[{index}]"
            negation = _negate(condition)
            if negation is None:
                self.denied.add(name)
                self.warn(
                    path,
                    f"Intercept cannot negate the {condition.op!r} operator, so this condition cannot be "
                    "checked there; the tool is exported as denied",
                )
                unchecked = f"denied because the gateway cannot check {condition.describe()}"
                return [
                    self._deny_rule(
                        f"{kind}[{index}] cannot be checked (exported as deny)",
                        unchecked if kind == "require_approval_if" else with_reason(rule.reason, unchecked),
                    )
                ]
            self._note_condition(path, condition, negated=True)
            guards = self._guards(path, condition, passes_when_it_holds=False)
            if kind == "deny_if":
                text = f"denied because {condition.describe()}"
                name_text = f"deny_if[{index}] {condition.describe()}"
            else:
                name_text = f"require_approval_if[{index}] {condition.describe()} (exported as deny)"
                # An approval rule carries its own message, never the tool's denial `reason`.
                text = f"approval required because {condition.describe()}; this gateway cannot ask for it"
                rules.append({"name": name_text, "conditions": [*guards, negation], "on_deny": text})
                continue
            rules.append({"name": name_text, "conditions": [*guards, negation],
                          "on_deny": with_reason(rule.reason, text)})
        return rules

    def _guards(self, path: str, condition: Condition, *, passes_when_it_holds: bool) -> list[dict[str, Any]]:
        """The condition that makes Intercept's loose comparison as strict as `decide` (none,
        or one), a text refusal's listed as stricter."""
        guard = guard_for(condition.op, condition.value, passes_when_it_holds=passes_when_it_holds)
        if guard is None or guard == "boolean":
            return []
        if guard in ("safe_text", "safe_path"):
            self.warn(path, safe_text_warning("Intercept", guard))
        return [guard_condition(condition.path, guard)]

    @staticmethod
    def _deny_rule(name: str, reason: str) -> dict[str, Any]:
        return {"name": name, "action": "deny", "on_deny": reason}

    def _note_condition(self, path: str, condition: Condition, *, negated: bool) -> None:
        if condition.op != "exists":
            # A guard (`intercept_guards`) makes a compared number, text or boolean as strict
            # as `decide` (or denies the tool); a contains, or a list mixing kinds, stays loose.
            items = condition.value if isinstance(condition.value, list) else [condition.value]
            mixed = len({_kind(item) for item in items}) > 1
            if condition.op == "contains" or (condition.op in ("eq", "neq", "in", "not_in") and mixed):
                self.compared_values = True
            return
        # Intercept reads a present null as absent; policytui does not. Only one direction of
        # that difference lets a call through that policytui would deny.
        lets_null_through = (condition.value is False) != negated
        if lets_null_through:
            self.warn(
                path,
                "Intercept treats an argument that is present but null as absent, "
                "so a call passing null here is allowed there and denied by policytui",
            )

    # Limits -------------------------------------------------------------------------------

    def limit_rules(self) -> None:
        budgets: dict[tuple[str, str], _Budget] = {}
        per_caller: list[str] = []

        def add(owner: str, path: str, limit: Limit) -> None:
            if limit.effective_scope != "global":
                per_caller.append(path)
            budget = budgets.setdefault((limit.counter, limit.window), _Budget(limit.counter, limit.window))
            if owner not in budget.owners:
                budget.owners.append(owner)
            budget.paths.append(path)
            budget.maxes.append(limit.max)

        for name, rule in (self.policy.tools or {}).items():
            if name in self.denied:
                continue  # a denied tool never charges a counter
            for i, limit in enumerate(rule.limits or []):
                add(name, f"tools.{name}.limits[{i}]", limit)
        if self.policy.all_tools is not None:
            for i, limit in enumerate(self.policy.all_tools.limits or []):
                add(WILDCARD, f"all_tools.limits[{i}]", limit)

        for path in per_caller:  # each limit it changes, named (a scope left out is `grant`)
            self.warn(
                path,
                "Intercept has no per-client counters: limits scoped to a grant or session are counted "
                "over all callers together, which is stricter",
            )

        # Counter names must be unique per scope in Intercept, and its key has no window.
        names_in_wildcard: dict[str, int] = {}
        for budget in budgets.values():
            if len(budget.owners) > 1 or budget.owners == [WILDCARD]:
                names_in_wildcard[budget.counter] = names_in_wildcard.get(budget.counter, 0) + 1

        windows_per_tool: dict[str, dict[str, int]] = {}
        for budget in budgets.values():
            if len(budget.owners) == 1 and budget.owners[0] != WILDCARD:
                per_window = windows_per_tool.setdefault(budget.owners[0], {})
                per_window[budget.window] = per_window.get(budget.window, 0) + 1

        for budget in budgets.values():
            max_calls = min(budget.maxes)
            on_deny = f"rate limit {max_calls} per {budget.window} reached"
            if len(set(budget.maxes)) > 1:
                self.warn(
                    budget.paths[0],
                    f"counter {budget.counter!r} has different max values; Intercept keeps one budget per "
                    f"counter, so the smallest ({max_calls}) applies to every call that uses it",
                )
            shared = len(budget.owners) > 1 or budget.owners == [WILDCARD]
            if shared:
                if budget.owners != [WILDCARD] and WILDCARD not in budget.owners:
                    tools = ", ".join(budget.owners)
                    self.warn(
                        budget.paths[0],
                        f"counter {budget.counter!r} is shared by {tools}; Intercept shares counters only "
                        "across all tools, so every tool's calls now use up this budget (stricter)",
                    )
                counter = budget.counter
                if names_in_wildcard[budget.counter] > 1:
                    counter = f"{budget.counter}_{budget.window}"
                self.rules.setdefault(WILDCARD, []).append(
                    self._state_rule("_global", counter, budget.window, max_calls, on_deny)
                )
                continue
            tool = budget.owners[0]
            if windows_per_tool[tool][budget.window] == 1:
                self.rules.setdefault(tool, []).append(
                    {
                        "name": f"limit {budget.counter} {max_calls}/{budget.window}",
                        "rate_limit": f"{max_calls}/{budget.window}",
                        "on_deny": on_deny,
                    }
                )
            else:
                counter = f"{budget.counter}_{budget.window}"
                self.rules.setdefault(tool, []).append(
                    self._state_rule(tool, counter, budget.window, max_calls, on_deny)
                )

    @staticmethod
    def _state_rule(scope: str, counter: str, window: str, max_calls: int, on_deny: str) -> dict[str, Any]:
        return {
            "name": f"limit {counter} {max_calls}/{window}",
            "conditions": [{"path": f"state.{scope}.{counter}", "op": "lte", "value": max_calls}],
            "on_deny": on_deny,
            "state": {"counter": counter, "window": window},
        }

    # Whole document -------------------------------------------------------------------------

    def run(self) -> ExportResult:
        policy = self.policy
        doc: dict[str, Any] = {"version": "1", "default": policy.default}
        if policy.hide:
            doc["hide"] = list(policy.hide)
        for name, rule in (policy.tools or {}).items():
            if name == WILDCARD and policy.default == "allow" and _restricts(rule):
                # Left out, the tool would fall to the default and be allowed: the one rule
                # Intercept can hold for it denies every tool (stricter, never looser).
                self.warn(
                    f"tools.{name}",
                    'a tool named "*" cannot be written: Intercept reads that name as every tool; '
                    "its rule limits calls, so every call is denied",
                )
                self.rules.setdefault(WILDCARD, []).insert(0, self._deny_rule(
                    'rule of the tool named "*" (exported as deny of every call)',
                    'denied because the policy limits the tool named "*", which this gateway '
                    "cannot tell from every tool",
                ))
                continue
            if name == WILDCARD:
                self.warn(
                    f"tools.{name}",
                    'a tool named "*" cannot be written: Intercept reads that name as every tool; it was left out',
                )
                continue
            self.rules[name] = self.tool_rules(name, rule)
        self.limit_rules()
        if self.compared_values:
            self.warn(
                "tools",
                'Intercept compares loosely (the string "5" equals the number 5); policytui counts an '
                "argument of the wrong type against the caller, so such calls may pass Intercept",
            )
        tools: dict[str, Any] = {}
        for name, rules in self.rules.items():
            tools[name] = {"rules": rules}
        doc["tools"] = tools
        self.warnings.extend(letter_case_warning("Intercept", [
            name for name, rules in self.rules.items()
            if name in (policy.tools or {}) and name not in self.denied and not policy.is_hidden(name)
            and any("conditions" in rule for rule in rules)]))
        self.warnings.extend(extension_warnings(policy, TARGET))
        return ExportResult(dump(doc), self.warnings)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def _guarded(condition: Condition, passes_when_it_holds: bool) -> bool:
    """Is every server reading of this condition's argument that `decide` judges otherwise
    denied by the condition put in front of it (`intercept_guards`)?"""
    return guard_for(condition.op, condition.value,
                     passes_when_it_holds=passes_when_it_holds) in GUARDS_EVERY_READING


def _first_boolean_comparison(base: str, rule: ToolRule) -> tuple[str, Condition] | None:
    """The first condition comparing a boolean (its path under `base`, and itself)."""
    groups = (("require", rule.require, True), ("deny_if", rule.deny_if, False),
              ("require_approval_if", rule.require_approval_if, False))
    for kind, conditions, passes_when_it_holds in groups:
        for index, condition in enumerate(conditions or []):
            if guard_for(condition.op, condition.value, passes_when_it_holds=passes_when_it_holds) == "boolean":
                return f"{base}.{kind}[{index}]", condition
    return None


def _restricts(rule: ToolRule) -> bool:
    """Does the rule deny or hold any call (its limits aside, which are exported as shared)?"""
    return rule.effective_action != "allow" or bool(
        rule.require or rule.deny_if or rule.require_approval_if
    )


def export_intercept(policy: Policy) -> ExportResult:
    """The policy as an Intercept YAML document plus warnings for what changed."""
    return _Exporter(policy).run()
