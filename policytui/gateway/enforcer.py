"""Deciding, charging and auditing tool calls: the gateway's core, free of any transport.

For every `tools/call` the gateway asks `Enforcer.handle_call`, which

1. decides the call with `policytui.decision.decide` against the policy in force,
2. holds it for a human when the policy says so (the `ask` callback) and decides again,
3. checks and charges all the call's rate-limit counters in the state store in one atomic step
   (`StateStore.reserve`), so no call of this or any other gateway sharing the store can slip
   in between; when the store cannot be reached the call is denied ("rate-limit state
   unavailable") unless the gateway was started with `--state-fail-mode open`. The event loop
   never waits for the store: a state file locked by another program makes only the calls
   that need it wait, on the store's own thread (`StateStore.hand_over`); under pinning, a
   charged call is checked against its tool's approved definition again (its charge may have
   waited, and the server rewritten the tool meanwhile); and a call the policy was reloaded
   under while it waited is decided again by the policy in force, and not sent unless allowed
   (and charged again under its limits when they are not the ones charged),
4. writes the call's first audit line (`upstream: sent`) and only then forwards it (the
   `forward` callback); a call whose line cannot be written is denied instead,
5. refunds the counters if the call never reached the tool, and
6. writes the call's audit line with its outcome (the only line of a call that is not sent).

A call cancelled by its client (or whose client went away) once it is decided still gets its
audit line, whatever step it was at; a store operation under way then (a charge, a refund) is
first carried through to its end and accounted for (a charge of a call never sent is given
back), and the cancellation is raised after.

Once the gateway is being stopped (`stopping`, set on SIGINT, SIGTERM or SIGHUP) no call is sent
any more: a held call is withdrawn (`STOPPED_IN_APPROVAL`) and a call let through is denied just
before it would have gone, its charge given back (`STOPPED_BEFORE_SENDING`).

A denied call is answered as a tool result with `isError: true` and the text
`[POLICY DENIED] <reason>`; the upstream server never sees it. In dry-run mode every call is
forwarded, and the audit line still says what the policy would have decided.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from policytui.decision import Approval, Caller, Decision, Outcome, decide
from policytui.decision.decide import rate_limit_denial
from policytui.gateway import approvals as queue_mod
from policytui.gateway.approver import GatewayStopping, take_approved_call
from policytui.gateway.audit import AuditLog, args_digest, utc_now_iso
from policytui.gateway.pins import PIN_RULE
from policytui.gateway.refused import REFUSED, WIRE_RULE
from policytui.gateway.store import (
    NOTHING_RESERVED,
    Reservation,
    StateStore,
    StateUnavailable,
    StoreBusy,
    StoreGaveUp,
    run_to_the_end,
)
from policytui.policy.model import Policy

log = logging.getLogger("policytui.gateway")


class UpstreamFailure(Exception):
    """A forwarded request got no usable answer. `error` is what the agent's client receives.

    `kind` says how it failed: "error" (the server answered with a JSON-RPC error: the tool did
    not run), "unavailable" (the connection was gone before the request was written: the server
    never got it), "timeout" (no answer in time: the tool may still be running), "too_large"
    (the answer was over the size limit and refused unread: the tool ran), "invalid" (the
    server answered with a result that is not one: the tool ran), "lost" (the server
    took the request, or may have, and its answer did not come: a server process that died or
    closed its output while the request waited, or closed its input while the request was
    written (part of it may have gone), a connection that closed once it was sent, a
    POST cut or dropped once sent, a 5xx status, an answer that is not JSON-RPC; the tool may
    have run).
    """

    def __init__(self, kind: str, error: Exception) -> None:
        super().__init__(str(error))
        self.kind = kind
        self.error = error


# Counters are refunded when the call never reached the tool: the server refused it with a
# JSON-RPC error, or the connection was gone before it was written. A timed-out or cancelled
# call keeps its charge: the tool may have run, and may still be running; so does one whose
# answer was too large, or never came ("lost": the server took the message, or may have, and
# then died or dropped it). Refunding a call a server died running would give a client that
# can crash the server (and have it restarted) unlimited runs. A call the server answered
# with a result that is not one (INVALID) keeps its charge too: the tool ran.
REFUND_ON = frozenset({"error", "unavailable"})
# ...except a JSON-RPC error while the server asked a client something (sampling, elicitation,
# roots): only a tool that runs asks, and the MCP SDKs pass the error a client answers with
# out of the tool as the call's own error, after whatever the tool did first. A client that
# answers every question with an error would otherwise run the tool past every rate limit.
# Which call a question belongs to is not on the wire over stdio, so every call in flight then
# keeps its charge (stricter, never looser). Such a call is audited ERROR_ASKED, not "error", so
# that whoever reads the audit log (`policytui replay`) tells it from a refused call.
ERROR_ASKED = "error_asked"
# The `upstream` of a call written to the server whose answer did not reach its client: the
# server died or the connection closed while it waited, or the gateway's own handling failed
# (a bug). The tool may have run, so the charge stays.
LOST = "lost"
# The `upstream` of a call whose server was already gone when it was to be sent: its one
# audit line (no `sent` line before it), its charge given back.
UNAVAILABLE = "unavailable"
# The `upstream` of a call the server answered with a JSON-RPC result that is not a tool's
# result (a number, null, no result and no error, a result beside an error): the server
# answered, so the tool ran, and the charge stays; the client is told "the upstream MCP server
# sent an invalid result". Refunding it would let a client that can steer a tool into such an
# answer (arguments that make it return what the protocol rejects) run it past every limit.
INVALID = "invalid"

# The reason an agent reads when its call needs counters the store cannot reach.
STATE_UNAVAILABLE = "rate-limit state unavailable; retry shortly"
STATE_RULE = "state"
# The reason in the audit line of a call cancelled while it waited for a human's approval.
CANCELLED_IN_APPROVAL = "cancelled while waiting for approval"
# The reason in the audit line of a call cancelled before it was decided, while the gateway
# listed the server's tools to check their definitions against the approved ones (pinning).
CANCELLED_IN_PINNING = "cancelled while the server's tools were listed for pinning"
# The reason in the audit line of a call cancelled while a store on the network (Redis) charged
# its rate limits: the policy (and a human, for a held call) had let it through, it was never
# sent, and its charge was given back (`Enforcer._cancelled_in_charge`).
CANCELLED_IN_CHARGE = "cancelled while its rate limits were being charged"
# The reason in the audit line (and the agent's answer) of a held call withdrawn because the
# gateway was being stopped (a signal) before anyone answered: it was never sent.
STOPPED_IN_APPROVAL = "the gateway is stopping: the call was withdrawn while it waited for approval, and not sent"
# The reason in the audit line of a call its client cancelled (or left) before the gateway began
# on it: its cancellation came in the same read as the request. Not decided, charged nor sent.
CANCELLED_BEFORE_START = "cancelled before the gateway began on it"
# The reason for a call the policy (and a human, for a held one) let through but that had not
# been sent when the gateway was being stopped: it is not sent, and its charge is given back.
STOPPED_BEFORE_SENDING = "the gateway is stopping: the call was not sent"
# The rule named in the audit log for calls denied because the policy file cannot be enforced.
POLICY_FILE_RULE = "policy_file"
# Calls denied because the last audit line could not be written (a full disk, say): no call
# goes to the server while its audit line may be lost. The denial's own line is the next try.
AUDIT_RULE = "audit"
AUDIT_UNAVAILABLE = "the audit log cannot be written; every call is denied until it can be"
_AUDIT_DENIED = Decision(Outcome.DENIED, AUDIT_UNAVAILABLE, AUDIT_RULE)
# The `upstream` of the line written just before a call goes to the server. Its outcome comes
# in a second line when the answer arrives; a gateway killed in between leaves this one, so
# every call that reached a server is in the log.
SENT = "sent"

Forward = Callable[[], Awaitable[dict[str, Any]]]
Ask = Callable[[Decision], Awaitable[tuple[Approval, str]]]


def denied_result(decision: Decision) -> dict[str, Any]:
    """The tool result an agent gets for a blocked call."""
    return {"content": [{"type": "text", "text": decision.agent_text()}], "isError": True}


@dataclass(slots=True)
class _Record:
    tool: str
    caller: Caller
    started: float
    # Set when the state store could not be reached for this call, with why (one sentence).
    state: str | None = None
    state_reason: str | None = None
    # The arguments: digested for the audit line (before a call is sent: its first line is
    # written then), and kept whole for `gateway --record` only.
    args: Any = None
    digest: str | None = None  # set once known; else computed when the audit line is written
    # A call approved in the approvals queue (`approver.ApprovedCall`): told whether it was
    # sent, for the person who approved it.
    held: Any = None
    # The SHA-256 of the policy file that decided the call, read with the policy itself at each
    # decision ("" until decided: the audit line then names the policy in force).
    policy: str = ""
    # `Enforcer.server_questions` when the call was sent: a later count means the server asked
    # a client something while the call was in flight.
    questions_at_sending: int = 0


@dataclass(slots=True)
class Started:
    """A call the policy let through and charged, on its way to the server (`start_now`)."""

    record: _Record
    decision: Decision
    reservation: Reservation


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
        store: StateStore | None = None,
        fail_open: bool = False,
    ) -> None:
        from policytui.gateway.store.memory import MemoryStore

        self.policy = policy
        self.audit = audit
        self.dry_run = dry_run
        self.server_name = server_name
        self.clock = clock
        # What the agent gets for a blocked call (the gateway answers hidden tools as the
        # server answers tools it does not have); may raise an MCP error instead.
        self.answer_blocked: Callable[[str, Decision], dict[str, Any]] = lambda tool, decision: denied_result(decision)
        self.store: StateStore = store if store is not None else MemoryStore(clock=clock)
        self.fail_open = fail_open
        self._store_down = False
        # `gateway --record FILE` (policytui.gateway.recorder): None when not recording.
        self.recorder: Any = None
        # Pinned tool definitions (policytui.gateway.pins.Pins), set by the runner.
        self.pins: Any = None
        # Why no policy can be enforced now (the policy file does not validate, say), or None;
        # set by the runner to the policy watcher's `problem`. While it says why, every call
        # is denied with that reason.
        self.policy_problem: Callable[[], str | None] = lambda: None
        # The identity of the policy `policy()` returns: the SHA-256 of its file, as the gateway
        # logs it at start and at each reload; set by the runner. Every audit line names it.
        self.policy_sha256: Callable[[], str] = lambda: ""
        # Set when the gateway is being stopped (a signal): no call is sent from then on.
        self.stopping = False
        # Why the server can take no call now (it died, closed its output, ended the session):
        # the failure a call gets instead of being sent, or None while it is up. Set by the
        # runner for every kind of server, so that a call reaching a server already gone is
        # audited the same way over every transport: not sent, never with a `sent` line.
        self.upstream_gone: Callable[[], UpstreamFailure | None] = lambda: None
        # How many requests the server has made of a client (`server_asked`), read around each
        # call to tell whether its tool ran before an error (see REFUND_ON).
        self.server_questions = 0

    def server_asked(self) -> None:
        """The server sent a client a request (sampling, elicitation, roots): a tool is running."""
        self.server_questions += 1

    def _outcome(self, record: _Record, upstream: str) -> str:
        """How a sent call that ended as `upstream` is audited: a JSON-RPC error while the
        server asked a client something is ERROR_ASKED (its tool ran: the charge stays)."""
        if upstream == "error" and self.server_questions != record.questions_at_sending:
            return ERROR_ASKED
        return upstream

    def _decide(self, record: _Record, approval: Approval | None = None) -> Decision:
        # Counts are not read here: the store checks them atomically as it charges (_reserve).
        # The policy and its identity are read together (a reload happens between decisions,
        # never within one), so the audit line names the policy that decided.
        record.policy = self.policy_sha256()
        decision = decide(self.policy(), record.tool, record.args, None, caller=record.caller, now=self.clock(),
                          approval=approval)
        problem = self.policy_problem()
        if problem is not None and decision.outcome is not Outcome.HIDDEN:
            # Fail closed. A tool the last valid policy hid stays answered as hidden.
            return Decision(Outcome.DENIED, problem, POLICY_FILE_RULE)
        if self.audit.failing and decision.outcome is not Outcome.HIDDEN:
            # Fail closed: a call must not reach the server while its audit line may be lost.
            return _AUDIT_DENIED
        return decision

    async def _reserve(
        self, record: _Record, decision: Decision, approval: tuple[Approval, str] | None = None
    ) -> Reservation | Decision:
        """Charge the call's budgets: the reservation, or the denial that stands instead.

        On a store on the network the charge is a round trip in a worker thread, which a
        cancellation cannot stop; it is waited for to its end, and a call cancelled meanwhile
        is settled by `_cancelled_in_charge`, which raises the cancellation. So is a charge a
        local store cannot make without waiting (a state file locked by another program): it
        waits on the store's own thread, and a cancellation makes it give up.
        """
        if not decision.budgets:
            return NOTHING_RESERVED
        if not self.store.blocking:
            try:
                return self._reserve_now(record, decision)
            except StoreBusy:
                pass  # the file is locked elsewhere: this call waits for it, the others go on
        work, cancelled = await run_to_the_end(self.store, self.store.reserve, decision.budgets)
        try:
            reserved = self._charged(decision, work.result())
        except StoreGaveUp:
            # Cancelled while the charge waited for the store: nothing was charged.
            reserved = Decision(Outcome.DENIED, CANCELLED_IN_CHARGE, decision.rule)
        except StateUnavailable as exc:
            reserved = self._state_unavailable(record, exc)
        if cancelled:
            await self._cancelled_in_charge(record, decision, reserved, approval)
        return reserved

    async def _cancelled_in_charge(
        self, record: _Record, decision: Decision, reserved: Reservation | Decision,
        approval: tuple[Approval, str] | None,
    ) -> NoReturn:
        """Settle a call cancelled (or whose client left) while its budgets were charged: it
        goes no further, it gets its one audit line, and the cancellation is raised.

        A charge that was made is given back. The call was never sent, so nothing ran that the
        charge could stand for, as for a call the server refused (REFUND_ON); keeping it would
        let the network's timing, not the tool's use, spend the budget. This does not open the
        limit: the charge was checked and made atomically first, so every call meanwhile was
        counted against it, and it goes back only now that this call can no longer reach the
        tool. A refund the store does not take (down meanwhile) leaves the charge counted,
        which only errs on the strict side. The refund too is carried through a further
        cancellation (the client leaving after its cancel), and the line is written whatever
        becomes of it.

        When the store answered that a limit is full, or did not answer, that is the call's
        decision and its line says so, as it would have without the cancellation.
        """
        if isinstance(reserved, Decision):
            self._not_sent(record, reserved, approval)
            raise asyncio.CancelledError
        try:
            await self._refund(reserved)
        finally:
            # Not settled for an approved call here: `handle_call` tells whoever approved it
            # that its client cancelled it or went away.
            self._write(record, Decision(Outcome.DENIED, CANCELLED_IN_CHARGE, decision.rule), approval=approval)
        raise asyncio.CancelledError

    def _reserve_now(self, record: _Record, decision: Decision) -> Reservation | Decision:
        """`_reserve` for a store that answers in place (memory, SQLite); `StoreBusy`, with
        nothing charged, when it cannot without waiting."""
        if not decision.budgets:
            return NOTHING_RESERVED
        try:
            reservation = self.store.try_now(self.store.reserve, decision.budgets)
        except StateUnavailable as exc:
            return self._state_unavailable(record, exc)
        return self._charged(decision, reservation)

    def _state_unavailable(self, record: _Record, exc: StateUnavailable) -> Reservation | Decision:
        record.state = "unavailable"
        record.state_reason = str(exc)
        self._store_failed(exc)
        if self.fail_open:
            return NOTHING_RESERVED
        return Decision(Outcome.DENIED, STATE_UNAVAILABLE, STATE_RULE)

    def _charged(self, decision: Decision, reservation: Reservation) -> Reservation | Decision:
        if self._store_down:
            self._store_back()
        if reservation.denied is not None:
            budget = decision.budgets[reservation.denied]
            return rate_limit_denial(budget.max, budget.key.window, budget.rule, reservation.now)
        return reservation

    async def _refund(self, reservation: Reservation) -> None:
        """Give a reservation back. On a store on the network the refund is carried through to
        its end when the call is cancelled meanwhile, and the cancellation raised after it: a
        refund is never cut off half-way, nor made behind the back of a caller that moved on."""
        if reservation is NOTHING_RESERVED or not self.store.blocking:
            self._refund_now(reservation)
            return
        work, cancelled = await run_to_the_end(self.store, self.store.refund, reservation)
        try:
            work.result()
        except StateUnavailable as exc:
            self._store_failed(exc)
        if cancelled:
            raise asyncio.CancelledError

    def _refund_now(self, reservation: Reservation) -> None:
        """Refund on a store that answers in place; one that would have to wait (a state file
        locked elsewhere) makes the refund on its own thread, after the operations handed to it
        before, and nothing waits for it."""
        if reservation is NOTHING_RESERVED:
            return
        try:
            self.store.try_now(self.store.refund, reservation)
        except StoreBusy:
            self.store.hand_over(self.store.refund, reservation).future.add_done_callback(self._refunded)
        except StateUnavailable as exc:
            self._store_failed(exc)

    def _refunded(self, refund: Any) -> None:
        """A refund made on the store's own thread has ended (called there)."""
        exc = refund.exception()
        if isinstance(exc, StateUnavailable):
            self._store_failed(exc)

    def _store_failed(self, exc: StateUnavailable) -> None:
        # Said once per outage, not once per call.
        if not self._store_down:
            self._store_down = True
            then = "calls are forwarded uncounted (--state-fail-mode open)" if self.fail_open else "limited calls are denied"
            log.error("state store unavailable (%s); %s until it is back", exc, then)

    def _store_back(self) -> None:
        if self._store_down:
            self._store_down = False
            log.warning("state store %s is reachable again", self.store.description)

    async def handle_call(
        self, tool: str, args: Any, caller: Caller, forward: Forward, ask: Ask
    ) -> dict[str, Any]:
        """Decide one call and answer it: a denial result, or the upstream result verbatim.

        Raises the upstream failure's error (for the client) when a forwarded call failed.
        """
        record = _Record(tool, caller, time.perf_counter(), args=args)
        if self.dry_run:
            return await self._dry_run(record, args, forward)

        if self.pins is not None:  # pinning: a tool rewritten since it was approved is denied
            drift = await self._drift(record, tool)
            if drift is not None:
                return self._drifted(record, drift)
        decision = self._decide(record)
        approval: tuple[Approval, str] | None = None
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            try:
                approval = await ask(decision)
            except GatewayStopping:
                # The gateway is being stopped: the call was withdrawn (the approver took it out
                # of the queue) and is not sent; its client is told so.
                return self._blocked(record, Decision(Outcome.DENIED, STOPPED_IN_APPROVAL, decision.rule),
                                     (Approval.CANCELLED, ""))
            except asyncio.CancelledError:
                # Cancelled (or the client left) while a human was being asked: the call goes no
                # further (the approver withdrew it from the queue), but it was made and put a
                # question to a human, so it has its audit line like every other call; without
                # it a client could ask and vanish unseen. `approval: cancelled` tells it from a
                # human's answer. When the gateway is being stopped, the stop is why.
                reason = STOPPED_IN_APPROVAL if self.stopping else CANCELLED_IN_APPROVAL
                self._write(record, Decision(Outcome.DENIED, reason, decision.rule),
                            approval=(Approval.CANCELLED, ""))
                raise
            record.held = take_approved_call()
            # Decide again with the answer, against the policy in force now: a reload during
            # the wait applies, and the limits are checked at the moment of charging.
            decision = self._decide(record, approval[0])
        try:
            if approval is not None and self.pins is not None:
                # And against the tool as the server defines it now: the wait for a person may
                # be long, and a server may rewrite the tool meanwhile.
                drift = await self._drift(record, tool, approval)
                if drift is not None:
                    return self._blocked(record, Decision(Outcome.DENIED, drift, PIN_RULE), approval)
            if not decision.allowed:
                return self._blocked(record, decision, approval)
            reserved = await self._reserve(record, decision, approval)
            if isinstance(reserved, Decision):
                return self._blocked(record, reserved, approval)
            while True:
                if decision.budgets and self.pins is not None:
                    # And again once charged: the charge may have waited for the store (a round
                    # trip to Redis, a state file locked by another program), and a server may
                    # rewrite the tool meanwhile. The tool never ran, so the charge goes back.
                    drift = await self._drift_charged(record, tool, reserved, approval)
                    if drift is not None:
                        drifted = Decision(Outcome.DENIED, drift, PIN_RULE)
                        return await self._refunded_and_blocked(record, drifted, reserved, approval)
                if not self._policy_changed(record):
                    break
                # And against the policy in force now: it may have been reloaded while the call
                # waited (for the store, or for the server's tools to be listed), and a tool it
                # hides or denies must not be sent to. The tool never ran: the charge goes back.
                now = self._decided_again(record, approval)
                if not now.allowed:
                    return await self._refunded_and_blocked(record, now, reserved, approval)
                if now.budgets == decision.budgets:
                    decision = now
                    break
                # Its limits are the reloaded policy's: the charge made under the old ones goes
                # back, and the call is charged under the new ones (and checked again after).
                await self._refund_in_charge(record, now, reserved, approval)
                decision = now
                reserved = await self._reserve(record, decision, approval)
                if isinstance(reserved, Decision):
                    return self._blocked(record, reserved, approval)
            return await self._forward(record, decision, forward, reserved, approval=approval)
        except BaseException as exc:
            if record.held is not None:
                # Approved, then cancelled (or the client left) before it was sent: it is not
                # sent, and whoever approved it is told so. Settled already if it was sent.
                cancelled = isinstance(exc, asyncio.CancelledError)
                if cancelled and self.stopping:
                    record.held.settle(queue_mod.NOT_SENT, queue_mod.STOPPED_BEFORE_SENDING)
                else:
                    record.held.settle(queue_mod.WITHDRAWN if cancelled else queue_mod.NOT_SENT,
                                       "its client cancelled the call or went away" if cancelled
                                       else "the gateway failed before sending it")
            raise

    async def _refund_in_charge(self, record: _Record, decision: Decision, reservation: Reservation,
                                approval: tuple[Approval, str] | None) -> None:
        """`_refund` of a charge a call is to be charged again for: cancelled meanwhile (the
        refund is made all the same), the call gets its one audit line before the
        cancellation goes on."""
        try:
            await self._refund(reservation)
        except asyncio.CancelledError:
            self._write(record, Decision(Outcome.DENIED, CANCELLED_IN_CHARGE, decision.rule), approval=approval)
            raise

    def _policy_changed(self, record: _Record) -> bool:
        """Whether the policy in force is not the one that decided the call (reloaded since,
        or its file no longer enforceable)."""
        return record.policy != self.policy_sha256() or self.policy_problem() is not None

    def _decided_again(self, record: _Record, approval: tuple[Approval, str] | None) -> Decision:
        """The call decided again by the policy in force, with the person's answer it had. A
        call that policy holds for a person, and that none was asked about, is denied: it was
        let through by the policy before, which did not ask."""
        now = self._decide(record, approval[0] if approval is not None else None)
        if now.outcome is Outcome.NEEDS_APPROVAL:
            return Decision(Outcome.DENIED, f"{now.reason}, and the policy came to ask a person while the call "
                            "waited; call the tool again", now.rule)
        return now

    def cancelled_before_start(self, tool: str, args: Any, caller: Caller) -> None:
        """Audit a call cancelled before the gateway began on it (its client cancelled it or
        left in the same read as the request, or the gateway was being stopped then): denied,
        under the rule the policy decides it by now, and never charged nor sent."""
        record = _Record(tool, caller, time.perf_counter(), args=args)
        reason = STOPPED_BEFORE_SENDING if self.stopping else CANCELLED_BEFORE_START
        try:
            rule = self._decide(record).rule
        except Exception:  # noqa: BLE001 - the call's line is written whatever deciding it does
            log.debug("deciding a call cancelled before it began failed", exc_info=True)
            rule = ""
        self._write(record, Decision(Outcome.DENIED, reason, rule))

    def start_now(self, tool: str, args: Any, caller: Caller) -> Started | dict[str, Any] | None:
        """Decide and charge one call without waiting for anything: the `Started` call to
        forward now, the answer for a blocked call (audited already), or None when the call
        needs what only `handle_call` does (a dry run, listing the server's tools for pinning,
        a human's approval, a store on the network, a state file locked by another program).

        This is `handle_call` for the common case, used by the stdio relay to serve a call
        without a task of its own; both take the same decision, charge and audit line.
        """
        pins = self.pins if self.pins is not None and self.pins.enabled() else None
        if self.dry_run or self.store.blocking or self.stopping or (pins is not None and not pins.ready()):
            return None
        record = _Record(tool, caller, time.perf_counter(), args=args)
        if pins is not None:
            drift = pins.drift(tool)
            if drift is not None:
                return self._drifted(record, drift)
        decision = self._decide(record)
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            return None
        if not decision.allowed:
            return self._blocked(record, decision)
        try:
            reserved = self._reserve_now(record, decision)
        except StoreBusy:
            return None  # nothing charged nor audited: the call waits for the file in a task
        if isinstance(reserved, Decision):
            return self._blocked(record, reserved)
        if not self._sent(record, decision):
            self._refund_now(reserved)
            return self._blocked(record, _AUDIT_DENIED)
        record.questions_at_sending = self.server_questions
        return Started(record, decision, reserved)

    def _blocked(
        self, record: _Record, decision: Decision, approval: tuple[Approval, str] | None = None
    ) -> dict[str, Any]:
        """Audit a call that does not go on, and the answer its agent gets."""
        self._not_sent(record, decision, approval)
        # (A denial's reason may quote a credential of the server's, `require args.token eq
        # "ghp_..."`: the gateway stars it on the way to the client, as whatever the server says.)
        return self.answer_blocked(record.tool, decision)

    async def _refunded_and_blocked(
        self, record: _Record, decision: Decision, reservation: Reservation, approval: tuple[Approval, str] | None
    ) -> dict[str, Any]:
        """`_blocked` for a charged call that never reached the tool: its charge goes back
        first. Cancelled while the refund is made (it is made all the same), the call is still
        audited before the cancellation goes on."""
        try:
            await self._refund(reservation)
        except asyncio.CancelledError:
            self._not_sent(record, decision, approval)
            raise
        return self._blocked(record, decision, approval)

    def _not_sent(
        self, record: _Record, decision: Decision, approval: tuple[Approval, str] | None = None
    ) -> None:
        """Audit a call that does not go on (an approved one's record is told why)."""
        if record.held is not None:
            record.held.settle(queue_mod.NOT_SENT, decision.reason)
        self._write(record, decision, approval=approval)

    async def _drift(self, record: _Record, tool: str,
                     approval: tuple[Approval, str] | None = None) -> str | None:
        """Why pinning denies `tool` now, or None. Cancelled (or the client left) while the
        server's tools were listed for it: the call goes no further, and has its audit line
        like every call a client makes."""
        assert self.pins is not None
        try:
            return await self.pins.check(tool)
        except asyncio.CancelledError:
            self._write(record, Decision(Outcome.DENIED, CANCELLED_IN_PINNING, PIN_RULE), approval=approval)
            raise

    async def _drift_charged(self, record: _Record, tool: str, reserved: Reservation,
                             approval: tuple[Approval, str] | None) -> str | None:
        """`_drift` for a call already charged: cancelled (or the client left) while the
        server's tools were listed for it, its charge is given back (carried through to its
        end) before the cancellation goes on, its audit line written by `_drift`."""
        try:
            return await self._drift(record, tool, approval)
        except asyncio.CancelledError:
            await self._refund(reserved)
            raise

    def _drifted(self, record: _Record, drift: str) -> dict[str, Any]:
        denied = Decision(Outcome.DENIED, drift, PIN_RULE)
        self._write(record, denied)
        return denied_result(denied)

    def finish_now(self, started: Started, upstream: str) -> None:
        """Settle a call from `start_now` once its fate is known: the counters go back when it
        never reached the tool (`upstream` in REFUND_ON), and its audit line is written.
        `upstream` is "ok", "error_result", "error", "invalid", "unavailable", "timeout",
        "too_large", "lost" or "cancelled" (an "error" is audited ERROR_ASKED when the server
        asked a client something meanwhile)."""
        upstream = self._outcome(started.record, upstream)
        if upstream in REFUND_ON:
            self._refund_now(started.reservation)
        self._write(started.record, started.decision, upstream=upstream)

    async def _forward(
        self,
        record: _Record,
        decision: Decision,
        forward: Forward,
        reservation: Reservation,
        *,
        approval: tuple[Approval, str] | None = None,
        would: Decision | None = None,
    ) -> dict[str, Any]:
        if self.stopping:
            # The gateway is being stopped: nothing goes to the server any more. The call never
            # reached the tool, so its charge goes back (carried through a cancellation).
            stopped = Decision(Outcome.DENIED, STOPPED_BEFORE_SENDING, (would or decision).rule)
            if record.held is not None:
                record.held.settle(queue_mod.NOT_SENT, queue_mod.STOPPED_BEFORE_SENDING)
            return await self._refunded_and_blocked(record, stopped, reservation, approval)
        gone = self.upstream_gone()
        if gone is not None:
            await self._unsent(record, would or decision, reservation, approval)
            raise gone.error from None
        if not self._sent(record, would or decision, approval) and not self.dry_run:
            return await self._refunded_and_blocked(record, _AUDIT_DENIED, reservation, approval)
        if record.held is not None:
            # With the audit line that says it is sent, and before it is: nothing can come
            # between this and the call going to the server.
            record.held.settle(queue_mod.SENT)
        record.questions_at_sending = self.server_questions
        try:
            result = await forward()
        except UpstreamFailure as failure:
            outcome = self._outcome(record, failure.kind)
            try:
                if outcome in REFUND_ON:
                    await self._refund(reservation)
            finally:
                # Also when cancelled while the refund was made (it was made all the same, and
                # the cancellation goes on after this line): the sent call has its outcome.
                self._write(record, would or decision, approval=approval, upstream=outcome)
            raise failure.error from None
        except Exception:
            # An error of the gateway's own after the call was sent (a bug): the tool may have
            # run, so the charge stays and the call is `lost`, as over the inline path.
            self._write(record, would or decision, approval=approval, upstream=LOST)
            raise
        except BaseException:
            # Cancelled by the client: the tool may already be running, so the charge stays,
            # as for a time-out.
            self._write(record, would or decision, approval=approval, upstream="cancelled")
            raise
        upstream = "error_result" if isinstance(result, dict) and result.get("isError") else "ok"
        self._write(record, would or decision, approval=approval, upstream=upstream)
        return result

    async def _unsent(
        self, record: _Record, decision: Decision, reservation: Reservation,
        approval: tuple[Approval, str] | None,
    ) -> None:
        """Settle a call whose server was gone before it could be sent: the charge goes back
        (carried through a cancellation) and the call has one line, `upstream: unavailable`."""
        if record.held is not None:
            record.held.settle(queue_mod.NOT_SENT, "the upstream MCP server is unavailable")
        try:
            await self._refund(reservation)
        finally:
            self._write(record, decision, approval=approval, upstream=UNAVAILABLE)

    async def _dry_run(self, record: _Record, args: Any, forward: Forward) -> dict[str, Any]:
        decision = self._decide(record)
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            # Nobody is asked in a dry run; count the call as an approved one would count.
            approved = self._decide(record, Approval.APPROVED)
            charged = approved if approved.allowed else None
        else:
            charged = decision if decision.allowed else None
        reservation = NOTHING_RESERVED
        if charged is not None:
            reserved = await self._reserve(record, charged)
            if isinstance(reserved, Decision):
                decision = reserved  # what would have happened: a limit, or no state
            else:
                reservation = reserved
        # The record always carries the first decision: a would-deny is never logged as allowed.
        return await self._forward(record, charged or _NO_CHARGE, forward, reservation, would=decision)

    def _write(
        self,
        record: _Record,
        decision: Decision,
        *,
        approval: tuple[Approval, str] | None = None,
        upstream: str | None = None,
    ) -> bool:
        """Write the call's audit line (and its recording, `--record`, except for the line
        before it is sent); whether the audit line was written."""
        entry: dict[str, Any] = {
            "time": utc_now_iso(),
            "server": self.server_name,
            "grant": record.caller.grant,
            "session": record.caller.session,
            "tool": record.tool,
            "decision": decision.outcome._value_,  # the plain attribute: `.value` is a Python-level property
            "rule": decision.rule,
            "reason": decision.reason,
            "args_sha256": record.digest or args_digest(record.args),
            "policy_sha256": record.policy or self.policy_sha256(),
        }
        if decision.rule == PIN_RULE and decision.reason != CANCELLED_IN_PINNING:
            entry["drift"] = True
        if approval is not None:
            entry["approval"] = approval[0].value
            if approval[1]:  # how the human was asked; not known for a call cancelled meanwhile
                entry["approval_via"] = approval[1]
        if self.dry_run:
            entry["dry_run"] = True
        if record.state is not None:
            entry["state"] = record.state
            if record.state_reason:
                entry["state_reason"] = record.state_reason
        if upstream is not None:
            entry["upstream"] = upstream
        entry["ms"] = round((time.perf_counter() - record.started) * 1000, 3)
        written = self._append(entry)
        # gateway --record: the same entry plus the arguments, once per call (the outcome line).
        if self.recorder is not None and upstream != SENT:
            try:
                self.recorder.write(entry, record.args)
            except OSError as exc:
                log.error("cannot write the recording: %s", exc)
        return written

    def _append(self, entry: dict[str, Any]) -> bool:
        """Append one audit line; whether it was written (a failure denies every call until
        a line is written again)."""
        was_failing = self.audit.failing
        try:
            self.audit.write(entry)
        except OSError as exc:
            if not was_failing:  # said once per outage, not once per call
                log.error("cannot write the audit log (%s); every call is denied until it can be written", exc)
            return False
        if was_failing:
            log.warning("the audit log can be written again; calls are decided by the policy again")
        return True

    def refused(self, tool: str | None, args: dict[str, Any] | None, caller: Caller, reason: str, code: int) -> None:
        """Audit a client message refused before anything was decided that is, or may be, a
        tool call (`policytui.gateway.refused`): never decided by the policy, charged, counted
        nor sent, so it names no rule or policy; `tool` and `args` are None when not read
        without doubt (no digest then)."""
        self._append({
            "time": utc_now_iso(),
            "server": self.server_name,
            "grant": caller.grant,
            "session": caller.session,
            "tool": tool,
            "decision": REFUSED,
            "rule": WIRE_RULE,
            "reason": reason,
            "code": code,
            "args_sha256": args_digest(args) if args is not None else None,
        })

    def _sent(self, record: _Record, decision: Decision,
              approval: tuple[Approval, str] | None = None) -> bool:
        """The audit line of a call about to go to the server, written before it goes: a
        gateway killed while the server works leaves it, and a call whose line cannot be
        written is not sent. Whether it was written."""
        if record.digest is None:
            record.digest = args_digest(record.args)
        return self._write(record, decision, approval=approval, upstream=SENT)


_NO_CHARGE = Decision(Outcome.DENIED, "", "")
