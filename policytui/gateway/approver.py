"""Asking a human about a held call: by MCP elicitation, or through the approvals queue.

With `mode="auto"` the gateway asks the agent's client with an elicitation form when that
client said it supports elicitation (its user sees the tool, the reason and the arguments, and
accepts or declines); otherwise, or if the elicitation fails, the call goes to the approvals
queue in the state store, where `policytui approvals approve|reject ID` (on any machine that
reaches the store) or the TUI answers it. The waiting gateway looks for the answer every
`POLL_SECONDS`, so an answer reaches it within that bound (plus one store round trip). With
`mode="queue"` the queue is always used (for clients that answer elicitations without asking a
person). No answer within the timeout is a time-out, and the call is denied.

When the gateway is stopped (`stop`, on SIGINT, SIGTERM or SIGHUP), nothing is held any more:
every wait ends at once, each held call is withdrawn from the queue (a later `approve` is told
the gateway stopped; it was never sent) and `ask` raises `GatewayStopping`.

The event loop never waits for the queue's store. A store on the network is spoken to from a
worker thread; a state file is written in place unless another program holds it locked
(`StateStore.try_now` raises `StoreBusy`), and the operation then waits on the store's own
thread (`StateStore.hand_over`), in order after those handed over before, while every other
call goes on. What decides a held call waits there with it (holding it in the queue, reading
and timing out its decision): held past 5 s, it is denied as a queue that could not keep the
call. What only records what became of a call (withdrawing it, settling its record) is not
waited for: the call's answer goes out at once, and a write the lock holds up past 5 s is
handed over again, until it is made, the record is past the store's clean-up or the gateway
stops (`_write_soon`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio

from policytui.decision import Approval, Caller, Decision
from policytui.gateway import approvals as queue_mod
from policytui.gateway.approvals import ApprovalQueue, PendingApproval, StateUnavailable
from policytui.gateway.audit import args_digest
from policytui.gateway.store import (
    StateStore,
    StoreBusy,
    StoreGaveUp,
    StoreLocked,
    run_in_store,
    run_to_the_end,
)
from policytui.redaction import redact_arguments
from policytui.textsafe import holds_secrets, without_secrets

log = logging.getLogger("policytui.gateway")
T = TypeVar("T")

# Elicit(message, seconds) -> True (approved), False (declined); raises if it cannot ask.
Elicit = Callable[[str, float], Awaitable[bool]]

MODES = ("auto", "queue")
POLL_SECONDS = 0.2
# How much of each argument's value an elicitation message shows; the queue has them all.
# Each argument is cut on its own: one long argument must not push the others out of sight.
MESSAGE_VALUE_LIMIT = 300
# The calls of one grant that may wait in the approvals queue at once (in one gateway process),
# and the size of their arguments in all (as JSON). A client that sends held calls without end
# would otherwise bury the one a human looks for under thousands, fill the state store with
# arguments (8 MiB a message) and keep the gateway busy polling each; past either bound a
# further held call is denied at once without asking anyone (`approval: "unavailable"`).
MAX_HELD_PER_GRANT = 50
MAX_HELD_BYTES_PER_GRANT = 32 << 20
# A record's write that nobody waits for (a withdrawal, what became of a call), held up past
# the store's time-out by a state file locked elsewhere, is tried again for as long as the
# store keeps the record after it expired (`store.sqlite.KEEP_EXPIRED`); past that nobody
# can read it.
RETRY_WRITES_AFTER_EXPIRY = 300.0


class GatewayStopping(Exception):
    """The gateway is being stopped: the held call was withdrawn (or never held), and is not sent."""


def shown_arguments(args: Any, secrets: tuple[str, ...] = ()) -> Any:
    """The arguments of a held call as they may be kept and shown to whoever approves it:
    credentials under secret-looking keys or of a credential's look redacted (the recording's
    rule, `redact_arguments`), and the server's own secrets starred, as the audit log does."""
    shown = redact_arguments(args)
    return without_secrets(shown, secrets) if holds_secrets(shown, secrets) else shown


def _listed_arguments(args: Any) -> str:
    """Every argument by name, each value cut on its own, format characters made visible."""
    from policytui.textsafe import clip, visible

    if not isinstance(args, dict):
        return visible(clip(json.dumps(args, ensure_ascii=False, default=str), MESSAGE_VALUE_LIMIT))
    if not args:
        return "(none)"
    lines = []
    for key in sorted(args, key=str):
        value = json.dumps(args[key], ensure_ascii=False, sort_keys=True, default=str)
        lines.append(f"  {visible(json.dumps(str(key), ensure_ascii=False))}: {visible(clip(value, MESSAGE_VALUE_LIMIT))}")
    return "\n".join(lines)


def approval_message(tool: str, args: Any, decision: Decision, server: str, secrets: tuple[str, ...] = ()) -> str:
    """What the human reads: which tool, why it needs approval, and the arguments (their
    credentials redacted, `shown_arguments`)."""
    shown = _listed_arguments(shown_arguments(args, secrets))
    where = f" on {server}" if server else ""
    return (
        f"An AI agent wants to call the tool {json.dumps(tool, ensure_ascii=False)}{where}.\n"
        f"Policy: {decision.reason}.\n"
        f"Arguments:\n{shown}\n\n"
        "Approve this call?"
    )


def approve_command(request_id: str, where: str) -> str:
    """The command that answers a held call, naming the gateway's store unless it is the
    built-in default file: the person who runs it may be in another shell, folder or machine,
    with other environment variables. A Redis password is never shown (the URL is already
    stripped of it): the command takes it from the reader's `$POLICYTUI_STATE` when that names
    the same Redis (`store.open_store`)."""
    import shlex

    from policytui.gateway.store import STATE_FILE

    command = f"policytui approvals approve {request_id}"
    built_in = Path.home() / ".local" / "state" / "policytui" / STATE_FILE
    if where and where != f"sqlite://{built_in}":
        command += f" --state {shlex.quote(where)}"
    return command


class Approver:
    """Gets a human's answer for held calls, within `timeout` seconds."""

    def __init__(
        self,
        queue: ApprovalQueue,
        *,
        timeout: float = 120.0,
        mode: str = "auto",
        server_name: str = "",
        poll_seconds: float = POLL_SECONDS,
        secrets: tuple[str, ...] = (),
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"approval mode must be one of {', '.join(MODES)}")
        self.queue = queue
        self.timeout = timeout
        self.mode = mode
        self.server_name = server_name
        self.poll_seconds = poll_seconds
        # The server's credentials: an argument quoting one is kept in the queue (a file, or a
        # Redis any replica reads) and shown to the approver with *** in its place, as the audit
        # log keeps it; the agent's own credentials are redacted there as a recording redacts
        # them (`shown_arguments`). The call itself is sent with its arguments as they came.
        self.secrets = secrets
        # Held calls waiting in the queue now, by grant: how many, and their arguments' size.
        self._held: dict[str, tuple[int, int]] = {}
        # Set by `stop`: the gateway is being stopped, and holds no call any more.
        self.stopping = False
        # The waits in progress (for a human's answer), which `stop` ends.
        self._waits: set[anyio.CancelScope] = set()

    def stop(self) -> None:
        """The gateway is being stopped: every held call's wait ends now (the call is withdrawn
        and not sent), and no call is held from now on."""
        self.stopping = True
        for wait in list(self._waits):
            wait.cancel()

    @contextlib.contextmanager
    def _unless_stopped(self) -> Iterator[None]:
        """Run the block, unless or until the gateway is stopped (GatewayStopping then)."""
        if self.stopping:
            raise GatewayStopping
        with anyio.CancelScope() as wait:
            self._waits.add(wait)
            try:
                yield
            finally:
                self._waits.discard(wait)
        if wait.cancel_called:  # only `stop` cancels it
            raise GatewayStopping

    async def ask(
        self, decision: Decision, tool: str, args: Any, caller: Caller, elicit: Elicit | None
    ) -> tuple[Approval, str]:
        """(answer, how it was asked: "elicitation" or "queue"). Raises GatewayStopping when
        the gateway is stopped before the answer comes."""
        if self.stopping:
            raise GatewayStopping
        deadline = time.monotonic() + self.timeout
        if self.mode == "auto" and elicit is not None:
            message = approval_message(tool, args, decision, self.server_name, self.secrets)
            try:
                with anyio.fail_after(self.timeout), self._unless_stopped():
                    approved = await elicit(message, self.timeout)
                return (Approval.APPROVED if approved else Approval.REJECTED), "elicitation"
            except GatewayStopping:
                raise
            except TimeoutError:
                return Approval.TIMED_OUT, "elicitation"
            except Exception as exc:  # noqa: BLE001 - the client could not ask after all: use the queue
                log.warning("elicitation failed (%s); sending the call to the approvals queue", type(exc).__name__)
        return await self._queue(decision, tool, args, caller, max(0.0, deadline - time.monotonic())), "queue"

    async def _queue(self, decision: Decision, tool: str, args: Any, caller: Caller, seconds: float) -> Approval:
        size = len(json.dumps(args, ensure_ascii=False, default=str))
        count, held = self._held.get(caller.grant, (0, 0))
        if count >= MAX_HELD_PER_GRANT or held + size > MAX_HELD_BYTES_PER_GRANT:
            log.warning("the call to %r is denied without asking: %d calls of grant %r already wait for approval "
                        "(at most %d, with %d MiB of arguments in all)", tool, count, caller.grant,
                        MAX_HELD_PER_GRANT, MAX_HELD_BYTES_PER_GRANT >> 20)
            return Approval.UNAVAILABLE
        self._held[caller.grant] = (count + 1, held + size)
        try:
            return await self._hold(decision, tool, args, caller, seconds)
        finally:
            count, held = self._held.pop(caller.grant)
            if count > 1:
                self._held[caller.grant] = (count - 1, held - size)

    async def _hold(self, decision: Decision, tool: str, args: Any, caller: Caller, seconds: float) -> Approval:
        now = time.time()
        request = PendingApproval(
            id="",
            tool=tool,
            arguments=shown_arguments(args, self.secrets),
            args_sha256=args_digest(args),
            reason=decision.reason,
            rule=decision.rule,
            grant=caller.grant,
            session=caller.session,
            server=self.server_name,
            created=now,
            expires=now + seconds,
            pid=os.getpid(),
            host=socket.gethostname(),
        )
        try:
            await _to_the_end(self.queue.store, self.queue.submit, request)
        except StateUnavailable as exc:
            log.error("cannot hold the call in the approvals queue (%s); the call is denied", exc)
            return Approval.UNAVAILABLE
        except _NotDone:
            # Cancelled while the record waited for a locked state file: it was never written,
            # so there is nothing to withdraw.
            raise asyncio.CancelledError from None
        except asyncio.CancelledError:
            await self._withdraw(request, tool)  # cancelled while the record was being written
            raise
        if self.stopping:  # stopped while the record was being written
            await self._withdraw(request, tool)
            raise GatewayStopping
        log.info("call to %r waits for approval: %s", tool, approve_command(request.id, self.queue.where))
        # Whether the record is settled (or left to the enforcer, for an approved call); else
        # it is settled as not sent on the way out.
        settled = False
        why = "the gateway stopped waiting"
        try:
            end = time.monotonic() + seconds
            while True:
                try:
                    answer = await _read_decision(self.queue.store, self.queue.decision, request.id)
                    if answer is None and time.monotonic() >= end:
                        answer = await _from_store(self.queue.store, self.queue.expire, request.id)
                except StateUnavailable as exc:
                    # Keep waiting while the store is away; past the deadline it is a time-out.
                    if time.monotonic() >= end:
                        log.error("the approvals queue is unavailable (%s); the held call is denied", exc)
                        return Approval.UNAVAILABLE
                    answer = None
                if answer is not None and answer.by == queue_mod.RECORD_GONE:
                    log.error("the held call %s to %r is no longer in %s (the store lost it); it is "
                              "denied, as nobody can answer it", request.id, tool, self.queue.where)
                    settled = True  # there is no record left to settle
                    return Approval.UNAVAILABLE
                if answer is not None:
                    if answer.outcome == queue_mod.APPROVED:
                        # Not sent yet: the enforcer settles the record once it has sent the call
                        # or not, and the approver is told which (`approvals approve` waits).
                        _approved.set(ApprovedCall(self.queue, request, tool))
                        settled = True
                        return Approval.APPROVED
                    why = answer.outcome.replace("_", " ")
                    return {queue_mod.REJECTED: Approval.REJECTED}.get(answer.outcome, Approval.TIMED_OUT)
                with self._unless_stopped():
                    await anyio.sleep(min(self.poll_seconds, max(0.0, end - time.monotonic())))
        except (asyncio.CancelledError, GatewayStopping) as exc:
            # The client cancelled the call, or left, or the gateway is being stopped: nobody is
            # to answer it any more.
            settled = True
            await self._withdraw(request, tool)
            if isinstance(exc, _NotDone):
                raise asyncio.CancelledError from None
            raise
        finally:
            if not settled:
                await _settle(self.queue, request, queue_mod.NOT_SENT, why)

    async def _withdraw(self, request: PendingApproval, tool: str) -> None:
        """Take a held call out of the queue for good: its decision becomes "withdrawn" (unless
        someone answered first), so it is listed no more, and its record is settled as never
        sent, so a late answer, or the approval that came just before, is told why: its client
        cancelled it or went away, or (once `stop` was called) its gateway was stopped.

        With a state file another program holds locked, this is not waited for: the call ends
        now, and its record is withdrawn once the file is free (see `_write_soon`)."""
        stopping = self.stopping
        store = self.queue.store
        if not store.blocking:
            _write_soon(store, request, self._take_out, (request, stopping),
                        done=lambda standing: self._withdrawn(request, tool, stopping, standing),
                        failed=lambda exc: self._not_withdrawn(request, stopping, exc))
            return
        try:
            standing = await _to_the_end(store, self._take_out, request, stopping)
        except StateUnavailable as exc:
            self._not_withdrawn(request, stopping, exc)
            return
        self._withdrawn(request, tool, stopping, standing)

    def _take_out(self, request: PendingApproval, stopping: bool) -> queue_mod.Decision:
        """`_withdraw`'s writes, in the store: the decision that stands afterwards."""
        standing = self.queue.withdraw(
            request.id, queue_mod.WITHDRAWN_BY_STOP if stopping else queue_mod.WITHDRAWN_BY_CLIENT)
        if standing.by == queue_mod.RECORD_GONE:
            return standing
        # An approval that came first changes nothing: the call is cancelled, and is not
        # sent. The one who approved it is told so, not that it was approved.
        if stopping:
            self.queue.settle(request, queue_mod.NOT_SENT, queue_mod.STOPPED_BEFORE_SENDING)
        else:
            self.queue.settle(request, queue_mod.WITHDRAWN, "its client cancelled the call or went away")
        return standing

    @staticmethod
    def _not_withdrawn(request: PendingApproval, stopping: bool, exc: BaseException) -> None:
        log.warning("could not withdraw the %s call %s from the queue (%s); it is listed "
                    "until it expires, and never sent", "held" if stopping else "cancelled", request.id, exc)

    @staticmethod
    def _withdrawn(request: PendingApproval, tool: str, stopping: bool, standing: queue_mod.Decision) -> None:
        """Say what withdrawing the call did (maybe on the store's own thread)."""
        if standing.by == queue_mod.RECORD_GONE:
            return
        if stopping and standing.outcome == queue_mod.APPROVED:
            log.info("the call %s to %r was approved, but the gateway is being stopped; it was not sent",
                     request.id, tool)
            return
        if stopping:
            log.info("the call %s to %r was withdrawn from the approvals queue: the gateway is being "
                     "stopped; it was not sent", request.id, tool)
            return
        # The gateway cannot tell a cancel from a client that went away (both cancel the wait),
        # so the line names both, as `approvals approve` does afterwards.
        if standing.outcome == queue_mod.APPROVED:
            log.info("the call %s to %r was approved, but its client cancelled it or went away before "
                     "it was sent; it was not sent", request.id, tool)
        else:
            log.info("the call %s to %r was withdrawn from the approvals queue: its client cancelled it "
                     "or went away", request.id, tool)


# The call the approvals queue approved in this task, for the enforcer to settle
# (`take_approved_call`). A context variable: `ask` returns an answer only, and the approval and
# the sending happen in one task (a tool call's), whichever transport serves it.
_approved: contextvars.ContextVar[ApprovedCall | None] = contextvars.ContextVar("policytui_approved_call", default=None)
# Settling writes in flight on a store on the network (kept, or the loop may drop them).
_settling: set[asyncio.Task[Any]] = set()


def take_approved_call() -> ApprovedCall | None:
    """The call the approvals queue approved in this task, if any, now handed over."""
    call = _approved.get()
    if call is not None:
        _approved.set(None)
    return call


class ApprovedCall:
    """A call a human approved in the queue, until the gateway has sent it or not.

    `settle` writes what became of it to its record, where `policytui approvals approve` waits
    for it. It never waits itself: with a state file it writes in place, before the call is
    sent; with a store on the network, or a state file another program holds locked, the
    write runs beside the sending (on a worker thread, or the store's own once the file is
    free), so a cancellation that comes meanwhile cannot stop a call whose record says it was
    sent, nor the other way round.
    """

    def __init__(self, queue: ApprovalQueue, request: PendingApproval, tool: str) -> None:
        self.queue = queue
        self.request = request
        self.tool = tool
        self.settled = False

    def settle(self, outcome: str, reason: str = "") -> None:
        if self.settled:
            return
        self.settled = True
        if outcome == queue_mod.WITHDRAWN:
            log.info("the call %s to %r was approved, but its client cancelled it or went away before "
                     "it was sent; it was not sent", self.request.id, self.tool)
        if not self.queue.store.blocking:
            _write_soon(self.queue.store, self.request, self.queue.settle, (self.request, outcome, reason),
                        failed=self._unwritten)
            return
        task = asyncio.get_running_loop().create_task(
            run_in_store(self.queue.store, self._write, outcome, reason))
        _settling.add(task)
        task.add_done_callback(_settling.discard)

    def _write(self, outcome: str, reason: str) -> None:
        try:
            self.queue.settle(self.request, outcome, reason)
        except StateUnavailable as exc:
            self._unwritten(exc)

    def _unwritten(self, exc: BaseException) -> None:
        log.warning("could not record in the queue what became of the approved call %s (%s); "
                    "`policytui approvals approve` is not told", self.request.id, exc)


class _NotDone(asyncio.CancelledError):
    """Cancelled while the operation waited for a state file another program held locked: it
    gave up, having done nothing (`_to_the_end`)."""


async def _to_the_end(store: Any, operation: Callable[..., T], *args: Any) -> T:
    """`operation(*args)` carried through to its end even when the call is cancelled meanwhile
    (the cancellation is raised after it): a held call's record must not be written behind the
    back of a cancellation that has already been dealt with, nor left half handled. A store on
    the network bounds each operation (`policytui.gateway.store`). A state file is written in
    place, unless another program holds it locked: the operation then waits on the store's own
    thread (the event loop goes on), and a cancellation makes it give up (`_NotDone`, nothing
    written) unless it is under way."""
    if not store.blocking:
        try:
            return store.try_now(operation, *args)  # type: ignore[no-any-return]
        except StoreBusy:
            pass  # locked elsewhere: this call waits for the file, the others go on
    work, cancelled = await run_to_the_end(store, operation, *args)
    if cancelled:
        if isinstance(work.exception(), StoreGaveUp):
            raise _NotDone
        raise asyncio.CancelledError
    return work.result()


async def _from_store(store: Any, operation: Callable[..., T], *args: Any) -> T:
    """A held call's wait for its decision (reading it, timing it out): `run_in_store` on a
    store on the network; with a state file, as `_to_the_end`."""
    if store.blocking:
        return await run_in_store(store, operation, *args)
    return await _to_the_end(store, operation, *args)


async def _read_decision(store: Any, operation: Callable[..., T], *args: Any) -> T:
    """A held call's look for its decision: on a state file, read in place even while writes
    handed over before (another call's withdrawal, say) wait for a lock another program holds,
    so an answer in the file reaches its call within a poll rather than after they have waited
    out the lock (up to 5 s). Those writes are of other records: this call's own were made
    before it began to wait. Else as `_from_store`."""
    if not store.blocking:
        try:
            return store.read_now(operation, *args)  # type: ignore[no-any-return]
        except StoreBusy:
            pass
    return await _from_store(store, operation, *args)


async def _settle(queue: ApprovalQueue, request: PendingApproval, outcome: str, reason: str) -> None:
    """Record what became of a held call that was not sent (nothing waits for it on a state
    file another program holds locked)."""

    def failed(exc: BaseException) -> None:
        log.warning("could not settle the decided call %s in the queue (%s)", request.id, exc)

    if not queue.store.blocking:
        _write_soon(queue.store, request, queue.settle, (request, outcome, reason), failed=failed)
        return
    try:
        await _to_the_end(queue.store, queue.settle, request, outcome, reason)
    except StateUnavailable as exc:
        failed(exc)


def _write_soon(
    store: StateStore,
    request: PendingApproval,
    operation: Callable[..., T],
    args: tuple[Any, ...],
    *,
    done: Callable[[T], None] | None = None,
    failed: Callable[[BaseException], None],
) -> None:
    """A held call's record write that nobody waits for, on a store that answers in place: made
    now if the store can without waiting; else handed to the store's own thread, in order after
    what was handed over before, and `done` or `failed` is called there when it ends. One that
    the lock held up for the whole of the store's time-out (`StoreLocked`, nothing written) is
    handed over again, behind what came meanwhile, for as long as the store keeps the record:
    a state file locked for a while delays what the record says, and loses none of it. Every
    write here can be made again (a decision stands once; a settled record is settled alike)."""
    try:
        result = store.try_now(operation, *args)
    except StoreBusy:
        pass
    except StateUnavailable as exc:
        failed(exc)
        return
    else:
        if done is not None:
            done(result)
        return
    until = request.expires + RETRY_WRITES_AFTER_EXPIRY
    told = False

    def hand_over() -> None:
        store.hand_over(operation, *args).future.add_done_callback(ended)

    def ended(future: Any) -> None:
        nonlocal told
        exc = future.exception()
        if exc is None:
            if done is not None:
                done(future.result())
            if told:
                log.info("the held call %s's record was written once the state file was free", request.id)
            return
        if isinstance(exc, StoreLocked) and time.time() < until:
            if not told:
                told = True
                log.warning("the held call %s's record is not written yet (%s); it is tried again "
                            "until the file is free", request.id, exc)
            hand_over()
            return
        failed(exc)

    hand_over()
