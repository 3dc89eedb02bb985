"""Deciding recorded calls under a draft policy and comparing with what happened.

Every call is decided by `policytui.decision.decide`, the function the gateway uses, in file
order with its recorded caller and time, so rate limits count as they would have: a call that
the draft allows is charged to the draft's own counters (unless the recorded upstream call
failed in a way the gateway refunds, or its client cancelled it while it was being charged),
and a call the draft holds for a human is charged as the recorded answer says (approved when
there was none), as a dry-run gateway does.

A decision that needs argument values the file does not have (an audit log, or a value
redacted as a secret) is reported as unknown, never guessed; unknown calls charge nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from policytui.decision import Approval, Decision, Outcome, decide
from policytui.decision.counters import Budget
from policytui.decision.decide import rate_limit_denial
from policytui.gateway.pins import PIN_RULE, approved_fingerprints, pinning_on, unapproved
from policytui.gateway.store.memory import MemoryStore
from policytui.policy.model import Condition, Limit, Policy
from policytui.redaction import REDACTED, is_redacted, redact_arguments
from policytui.replay.calls import Calls, RecordedCall
from policytui.replay.server_match import ServerMatch

# The kinds of change, in the order they are reported.
CHANGE_KINDS = ("newly_denied", "rate_limited", "newly_held", "newly_allowed", "unknown", "limit_unknown")
CHANGE_TITLES = {
    "newly_denied": "newly denied",
    "rate_limited": "rate-limited",
    "newly_held": "newly held for approval",
    "newly_allowed": "newly allowed",
    "unknown": "unknown: arguments not recorded or redacted",
    "limit_unknown": "unknown: limit count before the recording",
}
# What a replay compares with when no --against is given.
RECORDED = "recorded decisions"
# Upstream outcomes after which the gateway gives the charge back (enforcer.REFUND_ON); every
# other one (`invalid`, `lost`, `timeout`, ...) kept it, `error_asked` too: a JSON-RPC error for
# a call during which the server asked a client something (enforcer.ERROR_ASKED), whose tool ran.
_REFUNDED = frozenset({"error", "unavailable"})
_DENIALS = frozenset({"denied", "rate_limited"})
# The recorded answers after which a held call was denied.
_ENDED_IN_A_DENIAL = frozenset({"rejected", "timed_out", "unavailable"})


@dataclass(frozen=True)
class Verdict:
    """One call's outcome under one policy: allowed, held, denied, rate_limited or unknown."""

    outcome: str
    rule: str = ""
    reason: str = ""


UNKNOWN = Verdict("unknown", "", "arguments not recorded or redacted")
# Said of a call the draft lets through a limit whose window was under way when the recording
# began: what that window had counted before is not in the recording.
LIMIT_UNKNOWN_REASON = ("its limit's window was under way when the recording began, and what it had counted "
                        "before is not in the recording")


@dataclass
class Change:
    """All calls of one tool that changed the same way, with the first of them."""

    tool: str
    kind: str
    count: int
    first: RecordedCall
    before: Verdict
    after: Verdict

    def to_json(self) -> dict[str, Any]:
        example: dict[str, Any] = {
            "line": self.first.line,
            "time": self.first.time,
            "grant": self.first.caller.grant,
            "session": self.first.caller.session,
            "before": self.before.outcome,
            "after": self.after.outcome,
            "rule": self.after.rule,
            "reason": self.after.reason,
        }
        if self.first.arguments is not None:
            # A recording made by hand or by an older version may hold what a recording made
            # now would have redacted; a report goes to terminals and CI logs, so it never
            # shows such a value (the decision above was taken on the value itself).
            example["arguments"] = redact_arguments(self.first.arguments)
        return {"tool": self.tool, "change": self.kind, "calls": self.count, "first": example}


@dataclass
class ReplayReport:
    total: int
    against: str  # "recorded decisions" or the baseline policy's name
    changes: list[Change] = field(default_factory=list)
    # Draft outcomes over all calls (allowed, held, denied, rate_limited, unknown).
    outcomes: Counter[str] = field(default_factory=Counter)
    # Calls that were allowed and are now denied or cannot be decided: the gate fails.
    allowed_now_denied: int = 0
    allowed_now_unknown: int = 0
    # Calls that were allowed and that the draft lets through a limit whose count before the
    # recording began is not known: a stricter limit may deny them, so the gate fails.
    allowed_now_limit_unknown: int = 0
    with_arguments: bool = True
    # Calls the gateway denied because their tool had drifted (pinning): they say nothing
    # about a policy's rules, so they are not compared.
    drift: int = 0
    # Calls denied because the gateway's state store was down: not compared either.
    outage: int = 0
    # Calls denied because the gateway's policy file was invalid or its audit log unwritable.
    fault: int = 0
    # Calls for a tool the server does not list, which the gateway denies under any policy.
    unlisted: int = 0
    # Calls their client cancelled before the gateway decided them.
    undecided: int = 0
    # Calls for a tool the server lists no longer (the editor knows its live listing): the
    # gateway answers them itself now, under any policy, so no draft decides them.
    gone: int = 0
    # Calls a rate limit denied whose window had been used before the recording began (or by
    # another gateway sharing the counters): the draft's counters, simulated from the recording
    # alone, have room for them, but its limit is the recorded one or stricter, so the draft
    # would deny them too. Unchanged, and counted apart.
    limit_state: int = 0
    # How the recorded calls' tools meet the tools the draft names, when the command checked it
    # (the editor knows its server's name and says so itself): a recording of another server's
    # calls cannot test the draft, and the gate fails on it.
    server_match: ServerMatch | None = None

    @property
    def compared(self) -> int:
        """How many calls were decided under the draft and compared (the rest are counted apart)."""
        return self.total - (self.drift + self.outage + self.fault + self.unlisted + self.undecided + self.gone)

    @property
    def passed(self) -> bool:
        """Nothing that was allowed becomes denied (or undecidable, which fails closed), and at
        least one call was compared: a gate that tested nothing does not pass."""
        return (self.compared > 0 and self.allowed_now_denied == 0 and self.allowed_now_unknown == 0
                and self.allowed_now_limit_unknown == 0 and not (self.server_match and self.server_match.fails))

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def counts(self) -> dict[str, int]:
        totals = dict.fromkeys(CHANGE_KINDS, 0)
        for change in self.changes:
            totals[change.kind] += change.count
        return totals

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.total,
            "against": self.against,
            "arguments_recorded": self.with_arguments,
            "changed": self.counts(),
            "outcomes": dict(sorted(self.outcomes.items())),
            "allowed_now_denied": self.allowed_now_denied,
            "allowed_now_unknown": self.allowed_now_unknown,
            "allowed_now_limit_unknown": self.allowed_now_limit_unknown,
            "drift_not_compared": self.drift,
            "outage_not_compared": self.outage,
            "fault_not_compared": self.fault,
            "unlisted_not_compared": self.unlisted,
            "cancelled_not_compared": self.undecided,
            "gone_not_compared": self.gone,
            "limit_state_not_in_recording": self.limit_state,
            "recording_server": self.server_match.to_json() if self.server_match else None,
            "passed": self.passed,
            "changes": [change.to_json() for change in self.changes],
        }


def _verdict(decision: Decision) -> Verdict:
    outcome = decision.outcome
    if outcome is Outcome.ALLOWED:
        return Verdict("allowed", decision.rule)
    if outcome is Outcome.NEEDS_APPROVAL:
        return Verdict("held", decision.rule, decision.reason)
    if ".limits[" in decision.rule or decision.rule.startswith("all_tools.limits"):
        return Verdict("rate_limited", decision.rule, decision.reason)
    return Verdict("denied", decision.rule, decision.reason)


def _recorded(call: RecordedCall) -> Verdict:
    outcome = call.recorded_outcome
    if outcome == "denied" and (".limits[" in call.rule or call.rule.startswith("all_tools.limits")):
        outcome = "rate_limited"
    return Verdict(outcome, call.rule)


def _touches_unrecorded(args: dict[str, Any], path: str) -> bool:
    """Does the value at `path` (or the way to it) include something redacted?"""
    node: Any = args
    for part in path.split(".")[1:]:
        if isinstance(node, str):
            return node == REDACTED
        if isinstance(node, dict):
            if part not in node:
                return any(key.startswith("[redacted key ") for key in node)
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return is_redacted(node)


class _Decider:
    """One policy's decisions over a sequence of calls, with its own simulated counters."""

    def __init__(self, policy: Policy, *, pin: bool = False, began: float = float("-inf"),
                 recorded_under: dict[str, Policy] | None = None) -> None:
        self.policy = policy
        # When the recording began (its first call), and the policies known to have made its
        # calls, by the SHA-256 of their file (`policy_sha256`).
        self._began = began
        self._recorded_under = recorded_under or {}
        # Whether the last call let through charged a limit whose count before the recording
        # began is unknown (see `_unknown_before`).
        self.limit_unknown = False
        self._not_stricter: dict[tuple[str, str, str], bool] = {}
        # Pinning (the policy's `x-policytui.pin`, or `gateway --pin`): a call to a tool the
        # policy approves no definition of is denied before any rule is read, as the gateway
        # denies it. Whether an approved tool's live definition still matches is not in a
        # recording; the approval is taken as standing (calls the gateway denied as drifted
        # are not compared).
        self._approved: dict[str, str] | None = approved_fingerprints(policy) if pin or pinning_on(policy) else None
        # The gateway's state-store interface, kept in memory on the recorded calls' clock, so
        # a replay charges, refunds and resets windows exactly as the gateway does.
        self._at = 0.0
        self.store = MemoryStore(policy="replay", clock=lambda: self._at)
        self._conditions: dict[str, list[Condition]] = {}
        # Tools whose calls all get one decision (no argument conditions, no counters): decided
        # once per tool by `decide` and reused, which keeps the editor's panel fast.
        self._constant: dict[str, Decision | None] = {}
        self._shared_limits = bool(policy.all_tools and policy.all_tools.limits)

    def approves(self, tool: str) -> bool:
        """Whether the policy pins and approves a definition of `tool`: a call a pinning
        gateway denied for want of one is then decided by the policy's rules (a policy that
        does not pin is left uncompared: the gateway may pin anyway, `gateway --pin`)."""
        return self._approved is not None and tool in self._approved

    def _constant_decision(self, tool: str, call: RecordedCall) -> Decision | None:
        if tool in self._constant:
            return self._constant[tool]
        if self._approved is not None and tool not in self._approved and not self.policy.is_hidden(tool):
            found: Decision | None = Decision(Outcome.DENIED, unapproved(tool), PIN_RULE)
            self._constant[tool] = found
            return found
        policy = self.policy
        rule = policy.rule(tool)
        blocked = policy.is_hidden(tool) or (
            rule.effective_action == "deny" if rule is not None else policy.default == "deny"
        )
        counted = self._shared_limits or bool(rule is not None and rule.limits)
        found = None
        if blocked or (not counted and not self.conditions(tool)):
            found = decide(policy, tool, call.arguments, None, caller=call.caller, now=call.at)
        self._constant[tool] = found
        return found

    def conditions(self, tool: str) -> list[Condition]:
        """The conditions that can decide this tool's calls (none when hidden or denied first)."""
        found = self._conditions.get(tool)
        if found is None:
            policy = self.policy
            rule = policy.rule(tool)
            if policy.is_hidden(tool) or rule is None or rule.effective_action == "deny":
                found = []
            else:
                found = [*(rule.require or []), *(rule.deny_if or []), *(rule.require_approval_if or [])]
            self._conditions[tool] = found
        return found

    def decide(self, call: RecordedCall) -> Verdict:
        decision = self.decision(call)
        return UNKNOWN if decision is None else _verdict(decision)

    def decision(self, call: RecordedCall) -> Decision | None:
        """The draft's decision (None: it needs values that were not recorded); charges counters."""
        constant = self._constant.get(call.tool) if call.tool in self._constant else self._constant_decision(call.tool, call)
        if constant is not None:
            return constant
        conditions = self._conditions.get(call.tool)
        if conditions is None:
            conditions = self.conditions(call.tool)
        args = call.arguments
        if conditions:
            if args is None or any(_touches_unrecorded(args, c.path) for c in conditions):
                return None
        self._at = call.at
        self.limit_unknown = False
        policy = self.policy
        decision = decide(policy, call.tool, args, None, caller=call.caller, now=call.at)
        charged = decision
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            try:
                answer = Approval(call.approval) if call.approval else Approval.APPROVED
            except ValueError:
                answer = Approval.REJECTED
            charged = decide(policy, call.tool, args, None, caller=call.caller, now=call.at, approval=answer)
        if charged.allowed and charged.budgets:
            reservation = self.store.reserve(charged.budgets)
            if reservation.denied is not None:
                if decision.allowed:  # a held call stays held: its limits came after the human
                    budget = charged.budgets[reservation.denied]
                    decision = rate_limit_denial(budget.max, budget.key.window, budget.rule, reservation.now)
            else:
                if decision.allowed:
                    self.limit_unknown = self._unknown_before(call, charged.budgets)
                if call.upstream in _REFUNDED or call.refunded:
                    self.store.refund(reservation)  # the call never reached the tool
        return decision

    def _unknown_before(self, call: RecordedCall, budgets: tuple[Budget, ...]) -> bool:
        """Does letting the call through rest on a count the recording does not hold?

        A window under way when the recording began had counted calls the recording does not
        show (the gateway restarted mid-window, or other gateways share its counters), so the
        simulated counters are a lower bound there: a draft's limit that is stricter than the
        one in force may have been full already. Certain only for a session's counter (it
        starts with its session, within the recording) and a limit that is no stricter than
        the one in force, known when the file that made the call is at hand (the draft itself,
        `--against`, or the editor's policy as saved)."""
        for budget in budgets:
            key = budget.key
            if key.scope == "session" or key.window_start >= self._began:
                continue
            live = self._recorded_under.get(call.policy_sha256) if call.policy_sha256 else None
            if live is None or not self._no_stricter(live, call.policy_sha256, call.tool, budget.rule):
                return True
        return False

    def _no_stricter(self, live: Policy, sha: str, tool: str, rule: str) -> bool:
        cached = self._not_stricter.get((sha, tool, rule))
        if cached is None:
            cached = _no_stricter(self.policy, live, tool, rule)
            self._not_stricter[(sha, tool, rule)] = cached
        return cached


# Windows by length: a longer window holds every shorter one it overlaps (they are UTC-aligned).
_WINDOW_ORDER = {"minute": 0, "hour": 1, "day": 2}


def _draft_limit(policy: Policy, tool: str, rule: str) -> Limit | None:
    """The draft's limit at the recorded rule path (`tools.X.limits[i]`, `all_tools.limits[i]`)."""
    head, _, index = rule.rpartition(".limits[")
    if not index.endswith("]") or not index[:-1].isdigit():
        return None
    position = int(index[:-1])
    if head == "all_tools":
        limits = policy.all_tools.limits if policy.all_tools else None
    elif head == f"tools.{tool}":
        found = policy.rule(tool)
        limits = found.limits if found is not None else None
    else:
        return None
    return limits[position] if limits and position < len(limits) else None


def _counted_by(policy: Policy, counter: str) -> set[str]:
    """Whose calls a counter counts: the tools with a limit naming it, and "*" for all_tools."""
    found = {"*"} if policy.all_tools and any(lim.counter == counter for lim in policy.all_tools.limits or []) else set()
    for name, rule in (policy.tools or {}).items():
        if any(lim.counter == counter for lim in rule.limits or []):
            found.add(name)
    return found


def _no_stricter(draft: Policy, live: Policy, tool: str, rule: str) -> bool:
    """Is the draft's limit at `rule` the live one or looser: the same counter, scope and window,
    the same or a higher maximum, and a counter that counts no calls the live one did not?"""
    mine, theirs = _draft_limit(draft, tool, rule), _draft_limit(live, tool, rule)
    if mine is None or theirs is None:
        return False
    return (mine.counter == theirs.counter and mine.effective_scope == theirs.effective_scope
            and mine.window == theirs.window and mine.max >= theirs.max
            and _counted_by(draft, mine.counter) <= _counted_by(live, theirs.counter))


def _limit_state_not_recorded(call: RecordedCall, draft: Policy, draft_sha256: str) -> bool:
    """Would the draft have denied this recorded rate-limit denial too, whatever its counters
    held when the recording began?

    The recording cannot say how many calls the window had counted before its first line, so a
    draft's counters simulated from it have room the live counters did not. The denial stands
    when the draft is the very policy that made it (its file's SHA-256 is the recorded one), or
    when the draft keeps a limit at the same place that counts every caller's calls (`global`),
    in the same or a longer window, with the same or a lower maximum. A narrower scope may count
    fewer calls than the live one did, so such a denial stays reported as newly allowed: replay
    never calls a looser limit unchanged."""
    if call.limit is None:
        return False
    limit = _draft_limit(draft, call.tool, call.rule)
    if limit is None:
        return False
    if draft_sha256 and call.policy_sha256 == draft_sha256:
        return True
    recorded_max, recorded_window = call.limit
    return (limit.effective_scope == "global" and limit.max <= recorded_max
            and _WINDOW_ORDER[limit.window] >= _WINDOW_ORDER[recorded_window])


def _kind(before: Verdict, after: Verdict) -> str | None:
    b, a = before.outcome, after.outcome
    if a == "unknown" or b == "unknown":
        return "unknown"
    if a == b or (a in _DENIALS and b in _DENIALS):
        return None
    if a in _DENIALS:
        return "rate_limited" if a == "rate_limited" else "newly_denied"
    if a == "allowed":
        return "newly_allowed"
    return "newly_held"


class Replay:
    """Recorded calls with their baseline decided once; `run(draft)` for each new draft."""

    def __init__(self, calls: Calls, against: Policy | None = None, against_name: str = "", *, pin: bool = False,
                 against_sha256: str = "") -> None:
        self.calls = calls
        # When the recording began: a limit's window under way then had counted calls it lacks.
        self.began = min((call.at for call in calls.calls), default=float("-inf"))
        # The policies known to have made recorded calls, by their file's SHA-256.
        self.recorded_under: dict[str, Policy] = {against_sha256: against} if against is not None and against_sha256 else {}
        # Decide as `gateway --pin` does, whatever the policies say.
        self.pin = pin
        self.against = against
        self.against_name = against_name if against is not None else RECORDED
        if against is None:
            self.baseline = [_recorded(call) for call in calls.calls]
        else:
            decider = _Decider(against, pin=pin, began=self.began, recorded_under=self.recorded_under)
            self.baseline = [decider.decide(call) for call in calls.calls]

    def run(self, draft: Policy, draft_sha256: str = "", *, known: dict[str, Policy] | None = None,
            listed: frozenset[str] | None = None) -> ReplayReport:
        """Decide the calls under `draft`; `draft_sha256` is the SHA-256 of its file when the
        draft is a file as saved (a call the same file denied for a rate limit stays denied);
        `known` other policy files by their SHA-256 (the editor's policy as saved), so a call
        one of them made is compared with the limits it was made under; `listed` the tools the
        server lists now, when known (a call for another is counted apart, not decided)."""
        steps = self.run_in_steps(draft, draft_sha256, known=known, listed=listed)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    def run_in_steps(self, draft: Policy, draft_sha256: str = "", *, known: dict[str, Policy] | None = None,
                     listed: frozenset[str] | None = None, step: int = 0) -> Generator[int, None, ReplayReport]:
        """`run`, pausing after every `step` calls (0: never) with how many it has decided, and
        returning the report: the editor decides 10,000 calls a few thousand at a time, so that
        keys and frames are served in between. `draft` must not change until it returns."""
        recorded_under = {**self.recorded_under, **(known or {})}
        if draft_sha256:
            recorded_under[draft_sha256] = draft
        decider = _Decider(draft, pin=self.pin, began=self.began, recorded_under=recorded_under)
        decision_of = decider.decision
        report = ReplayReport(len(self.calls.calls), self.against_name, with_arguments=self.calls.with_arguments)
        groups: dict[tuple[str, str], Change] = {}
        outcomes: Counter[str] = Counter()
        allowed, held = Outcome.ALLOWED, Outcome.NEEDS_APPROVAL
        recorded = self.against is None
        pause_at = step if step > 0 else -1
        for index, (call, before) in enumerate(zip(self.calls.calls, self.baseline)):
            if index == pause_at:
                yield index
                pause_at += step
            if call.unapproved and decider.approves(call.tool):
                pass  # decided below: the draft approves the definition the gateway lacked
            elif call.drift or call.outage or call.fault or call.unlisted or call.undecided:
                if call.drift:
                    report.drift += 1
                elif call.outage:
                    report.outage += 1
                elif call.fault:
                    report.fault += 1
                elif call.unlisted:
                    report.unlisted += 1
                else:
                    report.undecided += 1
                continue
            if listed is not None and call.tool not in listed:
                report.gone += 1
                continue
            decision = decision_of(call)
            # The common cases without building a Verdict: the hot loop of the editor's panel.
            if (decision is not None and decision.outcome is allowed and decider.limit_unknown
                    and before.outcome == "allowed"):
                # Allowed then, and let through now only as far as the recording shows what the
                # window had counted: a stricter limit may have been full. (A call denied then
                # and let through now is newly allowed, whatever the count: the warning side.)
                outcomes["unknown"] += 1
                after = Verdict("unknown", decision.rule, LIMIT_UNKNOWN_REASON)
                report.allowed_now_limit_unknown += 1
                key = ("limit_unknown", call.tool)
                change = groups.get(key)
                if change is None:
                    groups[key] = Change(call.tool, "limit_unknown", 1, call, before, after)
                else:
                    change.count += 1
                continue
            if decision is not None and decision.outcome is allowed:
                outcomes["allowed"] += 1
                if before.outcome == "allowed":
                    continue
                after = Verdict("allowed", decision.rule)
            elif decision is not None and decision.outcome is held:
                outcomes["held"] += 1
                if before.outcome == "held":
                    continue
                after = Verdict("held", decision.rule, decision.reason)
            else:
                after = UNKNOWN if decision is None else _verdict(decision)
                outcomes[after.outcome] += 1
                if after.outcome == before.outcome:
                    continue
            if (recorded and before.outcome == "rate_limited" and after.outcome == "allowed"
                    and _limit_state_not_recorded(call, draft, draft_sha256)):
                report.limit_state += 1
                outcomes["allowed"] -= 1
                if not outcomes["allowed"]:
                    del outcomes["allowed"]
                outcomes["rate_limited"] += 1
                continue
            if (before.outcome == "held" and after.outcome in _DENIALS
                    and call.approval in _ENDED_IN_A_DENIAL):
                continue  # it was denied in the end then too: nothing new for the agent
            kind = _kind(before, after)
            if kind is None:
                continue
            if before.outcome == "allowed":
                if after.outcome in _DENIALS:
                    report.allowed_now_denied += 1
                elif after.outcome == "unknown":
                    report.allowed_now_unknown += 1
            key = (kind, call.tool)
            change = groups.get(key)
            if change is None:
                groups[key] = Change(call.tool, kind, 1, call, before, after)
            else:
                change.count += 1
        order = {kind: i for i, kind in enumerate(CHANGE_KINDS)}
        report.changes = sorted(groups.values(), key=lambda c: (order[c.kind], c.tool))
        report.outcomes = outcomes
        return report


def replay(calls: Calls, draft: Policy, against: Policy | None = None, against_name: str = "",
           draft_sha256: str = "") -> ReplayReport:
    """Decide every recorded call under `draft` and report what changes."""
    return Replay(calls, against, against_name).run(draft, draft_sha256)
