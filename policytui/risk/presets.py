"""Starting policies built from the risk classification of a server's tools.

Each preset maps a tool's (category, severity) to a rule. Multi-action tools (an `action`-like
argument with an enum) get argument conditions instead of one blanket decision: the preset
decides per action, and a `require` condition lists every known action so that an action the
server adds later, or a misspelt one, is denied rather than guessed at.

See docs/risk.md for the table of decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from policytui.policy.model import Policy
from policytui.risk.categories import (
    CRITICAL,
    DESTRUCTIVE,
    EXECUTE,
    FINANCIAL,
    HIGH,
    OTHER,
    READ,
    WRITE,
    risk_key,
)
from policytui.risk.classifier import Classification, classify_all
from policytui.risk.preset_facts import PresetFacts
from policytui.risk.preset_names import (
    LOCKDOWN,
    PERMISSIVE_WITH_APPROVAL,
    PRESET_SUMMARIES,
    PRESETS,
    READ_ONLY,
    RECOMMENDED,
)
from policytui.toolinfo import ServerListing, ToolInfo

# A full classification, or the facts of it a preset reads (`policytui.risk.preset_facts`).
Classified = Classification | PresetFacts

# Calls per minute, per grant, in the recommended preset.
RATE_PER_MINUTE: dict[str, int] = {WRITE: 30, EXECUTE: 10, OTHER: 60, DESTRUCTIVE: 30}


__all__ = ["PRESETS", "PRESET_SUMMARIES", "RATE_PER_MINUTE", "UnknownPreset", "build_policy",
           "counter_name"]


class UnknownPreset(ValueError):
    """A preset name that is not one of PRESETS."""


@dataclass(frozen=True)
class _Decision:
    """What a preset does with one tool or one action."""

    verdict: str  # "allow", "limit", "approve", "hide", "deny", "omit"
    per_minute: int | None = None


_ALLOW = _Decision("allow")
_OMIT = _Decision("omit")  # not listed: the preset's default decides
_HIDE = _Decision("hide")
_APPROVE = _Decision("approve")


def counter_name(tool: str) -> str:
    """The counter a preset gives a tool's rate limit."""
    return f"{tool}_rate"


def _recommended(category: str, severity: str, *, action: bool = False) -> _Decision:
    if category == READ and severity in (HIGH, CRITICAL):
        # Reads secrets, credentials or the environment: one call hands them all to the
        # agent, so a human decides, call by call.
        return _APPROVE
    if category == READ:
        return _ALLOW
    if category == FINANCIAL:
        return _APPROVE
    if category == DESTRUCTIVE:
        # Deleting is hidden outright; changing existing data in place (severity High) is
        # shown but waits for a human. Inside a multi-action tool, hiding is impossible, so
        # every destructive action waits for a human.
        if severity == CRITICAL and not action:
            return _HIDE
        return _Decision("approve", RATE_PER_MINUTE[DESTRUCTIVE])
    if category == EXECUTE and severity == CRITICAL:
        # Runs arbitrary commands or code: anything could happen.
        return _Decision("approve", RATE_PER_MINUTE[EXECUTE])
    if category == OTHER:
        # Nothing tells what it does (the classifier leaves a tool Other rather than guess
        # Read on a weak sign): a human decides, call by call.
        return _Decision("approve", RATE_PER_MINUTE[OTHER])
    return _Decision("limit", RATE_PER_MINUTE.get(category, RATE_PER_MINUTE[OTHER]))


def _read_only(category: str, severity: str, *, action: bool = False) -> _Decision:
    if category == READ and severity in (HIGH, CRITICAL):
        # Reading only, but what it reads is secrets, credentials or the environment: as in
        # `recommended`, a human approves each call.
        return _APPROVE
    return _ALLOW if category == READ else _OMIT


def _lockdown(category: str, severity: str, *, action: bool = False) -> _Decision:
    return _HIDE if category in (DESTRUCTIVE, FINANCIAL) else _OMIT


def _permissive(category: str, severity: str, *, action: bool = False) -> _Decision:
    if category in (DESTRUCTIVE, FINANCIAL, EXECUTE):
        return _APPROVE
    return _OMIT


_RULES = {
    RECOMMENDED: (_recommended, "deny"),
    READ_ONLY: (_read_only, "deny"),
    LOCKDOWN: (_lockdown, "deny"),
    PERMISSIVE_WITH_APPROVAL: (_permissive, "allow"),
}

# The reason a tool needing approval gets. A rule's reason begins the text of every denial of
# the tool, whatever decided it (a rejected approval, or a deny or condition the author adds
# later), so it says what the tool does, which stays true, not what the preset decided.
_APPROVAL_REASON = {
    READ: "this tool reads secrets, credentials or the environment",
    DESTRUCTIVE: "this tool changes or removes existing data",
    FINANCIAL: "this tool moves money",
    OTHER: "nothing tells what this tool does",
    EXECUTE: "this tool runs commands or code",
}


def _limit(tool: str, per_minute: int) -> dict[str, Any]:
    return {"counter": counter_name(tool), "window": "minute", "max": per_minute,
            "scope": "grant"}


def _uses_actions(classification: Classified) -> bool:
    """Decide per action only when the breakdown explains the tool's category: an override or
    an annotation that disagrees with every action makes the tool one thing again."""
    if classification.overridden or not classification.is_multi_action:
        return False
    # An ActionRisk, or the ActionFact kept of one: both name their category and severity.
    risks: list[Any] = list(classification.actions.values())
    worst = max(risks, key=lambda r: risk_key(r.category, r.severity))
    return worst.category == classification.category


def _declared_not_read_only(c: Classified) -> bool:
    """Did the server declare the tool not read-only (readOnlyHint=false, or a destructive
    hint without readOnlyHint=true)? Then no action of it is read-only enough to allow."""
    hints = c.hints
    read_only = hints.get("readOnlyHint")
    destructive = hints.get("destructiveHint")
    if read_only is not None and read_only.source == "declared":
        return not read_only.value
    return destructive is not None and destructive.source == "declared" and destructive.value


def _single_rule(preset: str, tool: str, c: Classified) -> tuple[dict[str, Any] | None, bool]:
    """(rule or None when the tool is not listed, hidden?) for a one-action tool."""
    rule_of, _ = _RULES[preset]
    decision = rule_of(c.category, c.severity)
    if decision.verdict == "hide":
        return None, True
    if decision.verdict == "omit":
        return None, False
    rule: dict[str, Any] = {}
    if decision.verdict == "approve":
        rule["action"] = "require_approval"
        if c.category in _APPROVAL_REASON:
            rule["reason"] = _APPROVAL_REASON[c.category]
    if decision.per_minute is not None:
        rule["limits"] = [_limit(tool, decision.per_minute)]
    return rule, False


def _multi_rule(preset: str, tool: str, c: Classified) -> tuple[dict[str, Any] | None, bool]:
    """Argument conditions for a multi-action tool: allowed actions, actions needing approval,
    and a `require` that the action is one the preset knows about (fail closed)."""
    rule_of, default = _RULES[preset]
    path = c.action_path or "args.action"
    permitted: list[str] = []
    approval: list[str] = []
    per_minute: list[int] = []
    hidden_everything = True
    for action, risk in c.actions.items():
        decision = rule_of(risk.category, risk.severity, action=True)
        if decision.verdict != "hide":
            hidden_everything = False
        if decision.verdict in ("allow", "limit", "approve") or (
            decision.verdict == "omit" and default == "allow"
        ):
            permitted.append(action)
        if decision.verdict == "approve":
            approval.append(action)
        if decision.per_minute is not None and decision.verdict == "limit":
            per_minute.append(decision.per_minute)
    if preset == LOCKDOWN:
        # Lockdown never allows a call; the tool is hidden if its worst action is.
        worst = rule_of(c.category, c.severity)
        return None, worst.verdict == "hide"
    if hidden_everything:
        return None, True
    if not permitted:
        return None, False
    if default == "allow" and not approval:
        return None, False  # nothing to restrict: the default already allows it
    # No reason: the `require` names the permitted actions when it denies, and a reason naming
    # them would begin every other denial of the tool too (an approval refused for one of
    # them, a condition the author adds later), saying the call was allowed.
    rule: dict[str, Any] = {
        "require": [{"path": path, "op": "in", "value": permitted}],
    }
    if approval:
        rule["require_approval_if"] = [{"path": path, "op": "in", "value": approval}]
    if per_minute:
        # A limit covers the whole tool; the strictest of its rate-limited actions applies.
        rule["limits"] = [_limit(tool, min(per_minute))]
    return rule, False


def build_policy(
    listing_or_tools: ServerListing | Iterable[ToolInfo],
    preset: str,
    classifications: Mapping[str, Classified] | None = None,
) -> Policy:
    """A starting policy for these tools. `classifications` (from `classify_all`, overrides
    applied, or their `PresetFacts`) is computed when not given. Tools keep the server's order."""
    return Policy.from_document(build_document(listing_or_tools, preset, classifications))


def build_document(
    listing_or_tools: ServerListing | Iterable[ToolInfo],
    preset: str,
    classifications: Mapping[str, Classified] | None = None,
) -> dict[str, Any]:
    """`build_policy`'s policy as plain data, for a caller that adds to it before building the
    model once (validating 10,000 rules twice took a quarter of a second more)."""
    if preset not in _RULES:
        raise UnknownPreset(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    tools = list(listing_or_tools.tools if isinstance(listing_or_tools, ServerListing)
                 else listing_or_tools)
    known: dict[str, Classified] = dict(classifications or {})
    missing = [t for t in tools if t.name not in known]
    if missing:
        known.update(classify_all(missing))
    _, default = _RULES[preset]

    hide: list[str] = []
    rules: dict[str, Any] = {}
    seen: set[str] = set()
    for tool in tools:
        if tool.name in seen:
            continue  # a server listing a name twice gets one rule
        seen.add(tool.name)
        c = known[tool.name]
        if preset == READ_ONLY and _declared_not_read_only(c):
            continue  # the server says it changes something: the default (deny) decides
        if _uses_actions(c):
            rule, hidden = _multi_rule(preset, tool.name, c)
        else:
            rule, hidden = _single_rule(preset, tool.name, c)
        if hidden and tool.name == "*":
            # "*" in `hide` would hide every tool; deny the tool literally named "*" instead.
            rules[tool.name] = {"action": "deny", "reason": "hidden by policy"}
        elif hidden:
            hide.append(tool.name)
        elif rule is not None:
            rules[tool.name] = rule

    document: dict[str, Any] = {"version": "1", "default": default}
    if hide:
        document["hide"] = hide
    if rules:
        document["tools"] = rules
    return document
