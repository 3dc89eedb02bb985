"""Export to PolicyLayer's hosted gateway format (JSON, version "1").

Kept: the documented fields `version`, `default`, `hide`, `all_tools.limits` and
`tools{name: {require, deny_if, limits}}`, plus the per-tool `action: "deny"` and `reason` that
PolicyLayer's product pages describe (they are how a tool is denied with a message; without them
an approval rule could not become "a deny with the same reason"). Dropped: `$schema` and every
`x-*` key. Human approval has no field there, so it is exported fail-closed: `action:
"require_approval"` becomes `action: "deny"` with the same reason, and `require_approval_if`
conditions join `deny_if`. A tool with a condition another Unicode spelling would pass in a
gateway comparing texts as written (`normal_forms`), or another server reading (a path
resolved, a URL's query cut, JSON text parsed: `path_readings`), is exported as denied, except
a refused plain text and a compared number, kept with a `require` in front that denies what a
server may read otherwise (`intercept_guards`); a tool comparing a boolean is denied. Each such
change is reported as a warning.
"""

from __future__ import annotations

from typing import Any

from policytui.export.common import extension_warnings, json_text, plain, quoted
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
from policytui.policy.model import Condition, Limit, Policy, ToolRule

TARGET = "PolicyLayer's format"


def _limit(limit: Limit) -> dict[str, Any]:
    out: dict[str, Any] = {"counter": limit.counter, "window": limit.window, "max": limit.max}
    if limit.scope is not None:
        out["scope"] = limit.scope
    return out


def _condition(condition: Condition) -> dict[str, Any]:
    return {"path": condition.path, "op": condition.op, "value": plain(condition.value)}


def _tool(name: str, rule: ToolRule, warnings: list[ExportWarning]) -> dict[str, Any]:
    base = f"tools.{name}"
    action = rule.effective_action
    if action == "require_approval":
        warnings.append(
            ExportWarning(
                f"{base}.action",
                "needs human approval, which PolicyLayer's format cannot express; "
                "exported as a deny with the same reason",
            )
        )
        return {
            "action": "deny",
            "reason": rule.reason or f"Tool {quoted(name)} requires approval, which this gateway cannot ask for",
        }
    if action == "deny":
        # A denied tool's conditions and limits can never matter, so only the deny is written.
        out: dict[str, Any] = {"action": "deny"}
        if rule.reason:
            out["reason"] = rule.reason
        return out
    judged_otherwise = condition_judged_otherwise(base, rule, spellings_denied_in_front)
    if judged_otherwise is not None:
        # PolicyLayer's documents say nothing of Unicode normal forms: assume, as Intercept
        # does, that texts are compared as written.
        warnings.append(ExportWarning(judged_otherwise[0], spelling_warning("PolicyLayer")))
        return {"action": "deny", "reason": rule.reason or f"Tool {quoted(name)} is denied: "
                "its conditions cannot be checked in every Unicode spelling here"}
    boolean = _first_boolean_comparison(base, rule)
    if boolean is not None:
        # Assumed, as Intercept's engine does, to compare a boolean with a text on its text:
        # the texts "true" and "false" pass where `decide` refuses them as the wrong type.
        warnings.append(ExportWarning(boolean, boolean_warning("PolicyLayer")))
        return {"action": "deny", "reason": rule.reason or f"Tool {quoted(name)} is denied: "
                "its conditions cannot tell a boolean from its text here"}
    read_otherwise = condition_read_otherwise(base, rule, guarded=_guarded)
    if read_otherwise is not None:
        # PolicyLayer's documents describe no reading of paths or URLs: assume, as Intercept's
        # engine does, that the argument is compared as sent.
        warnings.append(ExportWarning(read_otherwise[0], reading_warning("PolicyLayer", read_otherwise[1])))
        return {"action": "deny", "reason": rule.reason or f"Tool {quoted(name)} is denied: "
                "its conditions cannot be checked as a server reads the argument here"}
    out = {}
    if rule.reason:
        out["reason"] = rule.reason
    require = _guard_requirements(base, rule, warnings) + [_condition(c) for c in rule.require or []]
    if require:
        out["require"] = require
    deny_if = [_condition(c) for c in rule.deny_if or []]
    if rule.require_approval_if:
        warnings.append(
            ExportWarning(
                f"{base}.require_approval_if",
                "approval conditions cannot be expressed in PolicyLayer's format; "
                "exported as deny_if conditions, so those calls are denied instead of held",
            )
        )
        deny_if.extend(_condition(c) for c in rule.require_approval_if)
    if deny_if:
        out["deny_if"] = deny_if
    if rule.limits:
        out["limits"] = [_limit(limit) for limit in rule.limits]
    return out


def _guarded(condition: Condition, passes_when_it_holds: bool) -> bool:
    """Is every server reading of this condition's argument that `decide` judges otherwise
    denied by a requirement put in front of it (`_guard_requirements`)?"""
    return guard_for(condition.op, condition.value,
                     passes_when_it_holds=passes_when_it_holds) in GUARDS_EVERY_READING


def _first_boolean_comparison(base: str, rule: ToolRule) -> str | None:
    groups = (("require", rule.require, True), ("deny_if", rule.deny_if, False),
              ("require_approval_if", rule.require_approval_if, False))
    for kind, conditions, passes_when_it_holds in groups:
        for index, condition in enumerate(conditions or []):
            if guard_for(condition.op, condition.value, passes_when_it_holds=passes_when_it_holds) == "boolean":
                return f"{base}.{kind}[{index}]"
    return None


def _guard_requirements(base: str, rule: ToolRule, warnings: list[ExportWarning]) -> list[dict[str, Any]]:
    """The requirements that make each compared argument as strict as `decide` reads it, as in
    the Intercept export (`intercept_guards`): a refused text (`deny_if path eq /etc`) behind
    `regex SAFE_TEXT`, which denies every text a server may read otherwise and every argument
    that is not text (listed: a little more than `decide` denies); a compared number behind
    `lte` the largest double, and a matched text behind `regex ^` (exact)."""
    out: list[dict[str, Any]] = []
    groups = (("require", rule.require, True), ("deny_if", rule.deny_if, False),
              ("require_approval_if", rule.require_approval_if, False))
    for kind, conditions, passes_when_it_holds in groups:
        for index, condition in enumerate(conditions or []):
            guard = guard_for(condition.op, condition.value, passes_when_it_holds=passes_when_it_holds)
            if guard is None or guard == "boolean":
                continue
            if guard in ("safe_text", "safe_path"):
                warnings.append(ExportWarning(f"{base}.{kind}[{index}]", safe_text_warning("PolicyLayer", guard)))
            requirement = guard_condition(condition.path, guard)
            if requirement not in out:
                out.append(requirement)
    return out


def export_policylayer(policy: Policy) -> ExportResult:
    """The policy as a PolicyLayer JSON document plus warnings for what changed."""
    warnings: list[ExportWarning] = []
    doc: dict[str, Any] = {"version": policy.version, "default": policy.default}
    if policy.hide is not None:
        doc["hide"] = list(policy.hide)
    if policy.all_tools is not None and policy.all_tools.limits:
        doc["all_tools"] = {"limits": [_limit(limit) for limit in policy.all_tools.limits]}
    if policy.tools is not None:
        doc["tools"] = {name: _tool(name, rule, warnings) for name, rule in policy.tools.items()}
        warnings.extend(letter_case_warning("PolicyLayer", [
            name for name, rule in doc["tools"].items()
            if ("require" in rule or "deny_if" in rule) and not policy.is_hidden(name)]))
    warnings.extend(extension_warnings(policy, TARGET))
    text = json_text(doc)
    return ExportResult(text, warnings)
