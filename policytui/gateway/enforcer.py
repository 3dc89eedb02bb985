"""Deciding, charging and auditing tool calls: the gateway's core, free of any transport.

For every `tools/call` the gateway asks `Enforcer.handle_call`, which

1. decides the call with `policytui.decision.decide` against the policy in force,
2. holds it for a human when the policy says so (the `ask` callback) and decides again,
3. charges the rate-limit counters in the same synchronous step as the decision, so no other
   call can slip in between (the gateway runs on one event loop: no await, no race),
4. forwards the call (the `forward` callback) and refunds the counters if it never reached the
   tool, and
5. writes one audit line.

A denied call is answered as a tool result with `isError: true` and the text
`[POLICY DENIED] <reason>`; the upstream server never sees it. In dry-run mode every call is
forwarded, and the audit line still says what the policy would have decided.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from policytui.decision import Approval, Caller, CounterStore, Decision, Outcome, decide
from policytui.gateway.audit import AuditLog, args_digest, utc_now_iso
from policytui.gateway.pins import PIN_RULE
from policytui.policy.model import Policy

log = logging.getLogger("policytui.gateway")


class UpstreamFailure(Exception):
    """A forwarded request got no usable answer. `error` is what the agent's client receives.

    `kind` says how it failed: "error" (the server answered with a JSON-RPC error: the tool did
    not run), "unavailable" (the connection is gone), "timeout" (no answer in time: the tool may
    still be running).
    """

    def __init__(self, kind: str, error: Exception) -> None:
        super().__init__(str(error))
        self.kind = kind
        self.error = error


# Counters are refunded when the call failed on the way: the server refused it with a
# JSON-RPC error, or the connection was gone. A timed-out or cancelled call keeps its charge:
# the tool may have run, and may still be running.
REFUND_ON = frozenset({"error", "unavailable"})

Forward = Callable[[], Awaitable[dict[str, Any]]]
Ask = Callable[[Decision], Awaitable[tuple[Approval, str]]]


def denied_result(decision: Decision) -> dict[str, Any]:
    """The tool result an agent gets for a blocked call."""
    return {"content": [{"type": "text", "text": decision.agent_text()}], "isError": True}


@dataclass
class _Record:
    tool: str
    caller: Caller
    digest: str
    started: float
    args: Any = None  # kept for `gateway --record` only; the audit log never sees it


class Enforcer:
    """Applies the policy in force (`policy()` is read at every decision) to tool calls."""

    def __init__(
        self,
        policy: Callable[[], Policy],
        *,
        audit: AuditLog,
        dry_run: bool = False,
        server_name: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.audit = audit
        self.dry_run = dry_run
        self.server_name = server_name
        self.clock = clock
        self.counters = CounterStore()
        self._expired_at = 0.0
        # `gateway --record FILE` (policytui.gateway.recorder): None when not recording.
        self.recorder: Any = None
        # Pinned tool definitions (policytui.gateway.pins.Pins), set by the runner.
        self.pins: Any = None

    def _decide(self, tool: str, args: Any, caller: Caller, approval: Approval | None = None) -> Decision:
        now = self.clock()
        if now - self._expired_at >= 1.0:
            self.counters.expire(now)
            self._expired_at = now
        return decide(self.policy(), tool, args, self.counters, caller=caller, now=now, approval=approval)

    async def handle_call(
        self, tool: str, args: Any, caller: Caller, forward: Forward, ask: Ask
    ) -> dict[str, Any]:
        """Decide one call and answer it: a denial result, or the upstream result verbatim.

        Raises the upstream failure's error (for the client) when a forwarded call failed.
        """
        record = _Record(tool, caller, args_digest(args), time.perf_counter(), args)
        if self.dry_run:
            return await self._dry_run(record, args, forward)

        if self.pins is not None:  # pinning: a tool rewritten since it was approved is denied
            drift = await self.pins.check(tool)
            if drift is not None:
                denied = Decision(Outcome.DENIED, drift, PIN_RULE)
                self._write(record, denied)
                return denied_result(denied)
        decision = self._decide(tool, args, caller)
        approval: tuple[Approval, str] | None = None
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            approval = await ask(decision)
            # Decide again with the answer, against the policy in force now: a reload during
            # the wait applies, and the limits are checked at the moment of charging.
            decision = self._decide(tool, args, caller, approval[0])
        if not decision.allowed:
            self._write(record, decision, approval=approval)
            return denied_result(decision)
        self.counters.charge(decision.charges)  # same step as the decision: exact under load
        return await self._forward(record, decision, forward, approval=approval)

    async def _forward(
        self,
        record: _Record,
        decision: Decision,
        forward: Forward,
        *,
        approval: tuple[Approval, str] | None = None,
        would: Decision | None = None,
    ) -> dict[str, Any]:
        try:
            result = await forward()
        except UpstreamFailure as failure:
            if failure.kind in REFUND_ON:
                self.counters.refund(decision.charges)
            self._write(record, would or decision, approval=approval, upstream=failure.kind)
            raise failure.error from None
        except BaseException:
            # Cancelled by the client (or a bug): the tool may already be running, so the
            # charge stays, as for a time-out.
            self._write(record, would or decision, approval=approval, upstream="cancelled")
            raise
        upstream = "error_result" if isinstance(result, dict) and result.get("isError") else "ok"
        self._write(record, would or decision, approval=approval, upstream=upstream)
        return result

    async def _dry_run(self, record: _Record, args: Any, forward: Forward) -> dict[str, Any]:
        decision = self._decide(record.tool, args, record.caller)
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            # Nobody is asked in a dry run; count the call as an approved one would count.
            approved = self._decide(record.tool, args, record.caller, Approval.APPROVED)
            charged = approved if approved.allowed else None
        else:
            charged = decision if decision.allowed else None
        if charged is not None:
            self.counters.charge(charged.charges)
        # The record always carries the first decision: a would-deny is never logged as allowed.
        return await self._forward(record, charged or _NO_CHARGE, forward, would=decision)

    def _write(
        self,
        record: _Record,
        decision: Decision,
        *,
        approval: tuple[Approval, str] | None = None,
        upstream: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "time": utc_now_iso(),
            "server": self.server_name,
            "grant": record.caller.grant,
            "session": record.caller.session,
            "tool": record.tool,
            "decision": decision.outcome.value,
            "rule": decision.rule,
            "reason": decision.reason,
            "args_sha256": record.digest,
        }
        if decision.rule == PIN_RULE:
            entry["drift"] = True
        if approval is not None:
            entry["approval"] = approval[0].value
            entry["approval_via"] = approval[1]
        if self.dry_run:
            entry["dry_run"] = True
        if upstream is not None:
            entry["upstream"] = upstream
        entry["ms"] = round((time.perf_counter() - record.started) * 1000, 3)
        try:
            self.audit.write(entry)
        except OSError as exc:
            log.error("cannot write the audit log: %s", exc)
        if self.recorder is not None:  # gateway --record: the same entry plus the arguments
            try:
                self.recorder.write(entry, record.args)
            except OSError as exc:
                log.error("cannot write the recording: %s", exc)


_NO_CHARGE = Decision(Outcome.DENIED, "", "")
