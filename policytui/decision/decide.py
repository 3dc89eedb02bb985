"""The one function that decides a tool call. The simulator, the TUI's preview, `policytui check`
and the gateway all call `decide`, so they can never disagree.

Order (docs/policy-format.md): hide -> default -> action deny -> require/deny_if -> approval ->
tool limits -> all_tools limits -> allowed. A later step can only deny; nothing turns a deny into
an allow.
"""

from __future__ import annotations

import enum
import json
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from policytui.decision.argument_size import MOST_VALUES, holds_too_many_values
from policytui.decision.conditions import (
    NORMAL_FORM_NOTE,
    RELATIVE_PATH_NOTE,
    RESOLVED_PATH_NOTE,
    evaluate,
    normal_form_decides,
    relative_path_decides,
    resolved_path_decides,
    server_readings,
    undecided_because,
)
from policytui.decision.counters import Budget, CounterKey, CounterStore, seconds_left, window_start

if TYPE_CHECKING:
    # Annotations only: `policytui check` decides on a plain view of the document and
    # never loads pydantic.
    from policytui.policy.model import Condition, Limit, Policy


class Outcome(str, enum.Enum):
    ALLOWED = "allowed"
    DENIED = "denied"
    HIDDEN = "hidden"
    NEEDS_APPROVAL = "needs_approval"


class Approval(str, enum.Enum):
    """What a human said about a held call. Passed back into `decide` for the second pass."""

    APPROVED = "approved"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    # Nobody could answer: the approvals queue could not hold the call, lost it, or could not
    # be read until the deadline. Told apart from a time-out so no one reads it as a human's silence.
    UNAVAILABLE = "unavailable"
    # Nobody answered: the client cancelled the call (or left) while it waited, and it was
    # withdrawn. Recorded in the audit log; a call never goes on with it (decided, it denies).
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: `grant` is the client credential, `session` one connection."""

    grant: str = "default"
    session: str = "default"


# How the gateway decides a call for a tool its server does not list, whatever the policy
# says (policytui.gateway.unknown): never forwarded, answered as the server answers it.
UNLISTED_RULE = "server.tools"
UNLISTED_REASON = "the server does not list this tool"
# A call whose arguments hold too many values to judge (policytui.decision.argument_size).
TOO_MANY_VALUES = (f"the arguments hold more than {MOST_VALUES:,} values, more than the gateway reads to judge "
                   "a call by its conditions or to show it for approval; send fewer")
# What the agent reads for a hidden tool's call and for an unlisted one (the same answer).
HIDDEN_AGENT_SEES = "the server's own answer to a tool it does not have (a hidden tool looks missing)"
UNLISTED_AGENT_SEES = "the server's own answer to a tool it does not have, as for a hidden tool"


def unlisted_decision() -> Decision:
    """The gateway's decision for a call to a tool its server does not list."""
    return Decision(Outcome.DENIED, UNLISTED_REASON, UNLISTED_RULE)


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    # The text the agent sees after "[POLICY DENIED] " (empty when allowed).
    reason: str
    # Which rule decided, as a path into the policy: "hide", "default", "tools.X.deny_if[0]", ...
    rule: str
    # Counters to charge if the call is forwarded (allowed calls only).
    charges: tuple[CounterKey, ...] = field(default=())
    # For a rate-limit denial: seconds until the window resets.
    retry_after: int | None = None
    # The same counters with their maxima, for a state store's atomic check-and-charge.
    budgets: tuple[Budget, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    def agent_text(self) -> str:
        """What a gateway answers the agent for a blocked call."""
        return f"[POLICY DENIED] {self.reason}"

    def agent_sees(self) -> str:
        """What the agent reads for this blocked call, in words for a person (`check`, the
        editor's Try panel): the gateway answers a hidden tool as its server answers a tool it
        does not have, never with the reason, which would tell the agent the tool is there."""
        if self.outcome is Outcome.HIDDEN:
            return HIDDEN_AGENT_SEES
        return UNLISTED_AGENT_SEES if self.rule == UNLISTED_RULE else self.agent_text()

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "reason": self.reason,
            "rule": self.rule,
            "retry_after": self.retry_after,
        }


@lru_cache(maxsize=4096)
def _quote(name: str) -> str:
    # Cached: decide runs for every call (and 10,000 times per edit in the replay panel).
    return json.dumps(name, ensure_ascii=False)


def _holds(condition: Condition, args: Any, readings: list[tuple[Any, bool]] | None) -> bool:
    """For deny_if / require_approval_if: missing or wrong-typed arguments count as holding."""
    result = evaluate(condition, args, readings)
    return True if result is None else result


def _satisfied(condition: Condition, args: Any, readings: list[tuple[Any, bool]] | None) -> bool:
    """For require: missing or wrong-typed arguments count as failing."""
    return evaluate(condition, args, readings) is True


def _key(limit: Limit, caller: Caller, now: float) -> CounterKey:
    scope = limit.effective_scope
    if scope == "grant":
        scope_id = caller.grant
    elif scope == "session":
        scope_id = caller.session
    elif scope == "global":
        scope_id = "*"
    else:
        raise KeyError(scope)
    return CounterKey(limit.counter, scope, scope_id, limit.window, window_start(limit.window, now))


def rate_limit_denial(max_calls: int, window: str, rule: str, now: float) -> Decision:
    """The denial of a call whose limit is full, `now` on the clock that keeps the windows."""
    wait = seconds_left(window, now)
    return Decision(
        Outcome.DENIED,
        f"rate limit {max_calls} per {window} reached; retry in {wait} s",
        rule,
        retry_after=wait,
    )


def _check_limits(
    limits: list[tuple[str, Limit]], caller: Caller, counters: CounterStore | None, now: float
) -> Decision | tuple[Budget, ...]:
    """Either the denial of the first limit that is full, or the budgets to charge."""
    if len(limits) == 1:  # the common case, without the merging below
        rule_path, limit = limits[0]
        key = _key(limit, caller, now)
        if (counters.count(key) if counters is not None else 0) + 1 > limit.max:
            return rate_limit_denial(limit.max, limit.window, rule_path, now)
        return (Budget(key, limit.max, rule_path),)
    budgets: dict[CounterKey, Budget] = {}
    for rule_path, limit in limits:
        key = _key(limit, caller, now)
        used = counters.count(key) if counters is not None else 0
        if used + 1 > limit.max:
            return rate_limit_denial(limit.max, limit.window, rule_path, now)
        # Two limits on one counter charge it once per call; the smaller maximum binds.
        known = budgets.get(key)
        if known is None or limit.max < known.max:
            budgets[key] = Budget(key, limit.max, rule_path)
    return tuple(budgets.values())


def decide(
    policy: Policy,
    tool: str,
    args: Any = None,
    counters: CounterStore | None = None,
    *,
    caller: Caller = Caller(),
    now: float | None = None,
    approval: Approval | None = None,
) -> Decision:
    """Decide one `tools/call`. Pure: reads counters, never changes them.

    A call that needs a human comes back NEEDS_APPROVAL; ask, then call again with `approval`.
    """
    if now is None:
        now = time.time()
    if args is None:
        args = {}

    # 1. Hidden tools do not exist for the agent.
    if policy.is_hidden(tool):
        return Decision(Outcome.HIDDEN, f"Tool {_quote(tool)} is hidden by policy", "hide")

    shared = policy.all_tools.limits if policy.all_tools else None
    global_limits = [(f"all_tools.limits[{i}]", limit) for i, limit in enumerate(shared)] if shared else []
    rule = policy.rule(tool)

    # 2. Unlisted tools: the default decides.
    if rule is None:
        if policy.default == "deny":
            return Decision(
                Outcome.DENIED, f"Tool {_quote(tool)} is not allowed by policy (default deny)", "default"
            )
        outcome = _check_limits(global_limits, caller, counters, now)
        if isinstance(outcome, Decision):
            return outcome
        return _allowed("default", outcome)

    base = f"tools.{tool}"

    # 3. A denied tool.
    action = rule.effective_action
    if action == "deny":
        return Decision(
            Outcome.DENIED, rule.reason or f"Tool {_quote(tool)} is denied by policy", f"{base}.action"
        )

    # 4. Argument conditions, on every reading a server may make of the arguments (worked out
    # once per call, and only for a tool with conditions).
    has_conditions = bool(rule.require or rule.deny_if or rule.require_approval_if)
    if (has_conditions or action == "require_approval") and holds_too_many_values(args):
        # Too many to read every way a server may, or to show a person (argument_size): doing
        # either would hold up every other call. Denied unread, as a condition that cannot be
        # judged counts against the caller.
        return Decision(Outcome.DENIED, _with_reason(rule.reason, TOO_MANY_VALUES), f"{base}.arguments")
    readings: list[tuple[Any, bool]] | None
    try:
        readings = server_readings(args) if has_conditions else []
    except Exception:  # noqa: BLE001
        # An argument no reading can be made of ("~\x00", a home folder's name with a NUL):
        # left to `evaluate`, which reads it again, fails the same way and counts it against
        # the caller. The call is decided, audited and never forwarded, rather than crash.
        readings = None
    for i, condition in enumerate(rule.require or []):
        if not _satisfied(condition, args, readings):
            text = f"required condition not met: {condition.describe()}"
            text += _why_undecided(condition, args)
            return Decision(
                Outcome.DENIED, _with_reason(rule.reason, text), f"{base}.require[{i}]"
            )
    for i, condition in enumerate(rule.deny_if or []):
        if _holds(condition, args, readings):
            text = f"denied because {condition.describe()}"
            text += _why_undecided(condition, args)
            return Decision(
                Outcome.DENIED, _with_reason(rule.reason, text), f"{base}.deny_if[{i}]"
            )

    # 5. Human approval.
    approval_rule: str | None = None
    approval_text = ""
    if action == "require_approval":
        approval_rule, approval_text = f"{base}.action", f"Tool {_quote(tool)} requires approval"
    else:
        for i, condition in enumerate(rule.require_approval_if or []):
            if _holds(condition, args, readings):
                approval_rule = f"{base}.require_approval_if[{i}]"
                approval_text = f"approval required because {condition.describe()}"
                approval_text += _why_undecided(condition, args)
                break
    if approval_rule is not None:
        if approval is None:
            # The human asked reads the author's reason too, as the agent does when denied.
            return Decision(Outcome.NEEDS_APPROVAL, _with_reason(rule.reason, approval_text), approval_rule)
        answer = _answer(approval)
        if answer is Approval.REJECTED:
            return Decision(
                Outcome.DENIED,
                _with_reason(rule.reason, f"{approval_text}; a human rejected the call"),
                approval_rule,
            )
        if answer is Approval.UNAVAILABLE:
            return Decision(
                Outcome.DENIED,
                _with_reason(rule.reason, f"{approval_text}; the approvals queue could not keep the call, so no human could answer"),
                approval_rule,
            )
        if answer is not Approval.APPROVED:  # timed out, or anything we do not understand
            return Decision(
                Outcome.DENIED,
                _with_reason(rule.reason, f"{approval_text}; no human answered in time"),
                approval_rule,
            )

    # 6. Limits: the tool's own, then the shared ones.
    tool_limits = [(f"{base}.limits[{i}]", limit) for i, limit in enumerate(rule.limits or [])]
    outcome = _check_limits(tool_limits + global_limits, caller, counters, now)
    if isinstance(outcome, Decision):
        return outcome

    # 7. Allowed.
    return _allowed(approval_rule or base, outcome)


def _allowed(rule: str, budgets: tuple[Budget, ...]) -> Decision:
    return Decision(Outcome.ALLOWED, "", rule, charges=tuple([b.key for b in budgets]), budgets=budgets)


def _answer(approval: Any) -> Approval | None:
    """The human's answer as an Approval; anything unrecognised is None (and denies)."""
    try:
        return Approval(approval)
    except ValueError:
        return None


def _why_undecided(condition: Condition, args: Any) -> str:
    """What a condition's denial adds when the value as sent did not decide it: the argument
    was missing or of another type, or a server would read it otherwise (a path resolved)."""
    missing = undecided_because(condition, args)
    if missing is not None:
        return f" ({missing})"
    if resolved_path_decides(condition, args):
        return f", {RESOLVED_PATH_NOTE}"
    if normal_form_decides(condition, args):
        return f", {NORMAL_FORM_NOTE}"
    if relative_path_decides(condition, args):
        return f", {RELATIVE_PATH_NOTE}"
    return ""


def _with_reason(reason: str | None, text: str) -> str:
    """A condition's or an approval's denial: the rule's reason (about the whole tool), then, in
    parentheses, the part of the rule that decided this call."""
    return f"{reason} ({text})" if reason else text


def visible_tools(policy: Policy, names: list[str]) -> list[str]:
    """The names an agent sees in `tools/list`: hidden ones removed, order kept."""
    return [n for n in names if not policy.is_hidden(n)]
