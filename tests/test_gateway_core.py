"""The gateway's core without a transport: decisions, counters, approvals queue, reload, audit."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from audit_support import outcome_lines

from policytui.decision import Approval, Caller, Decision, Outcome
from policytui.gateway.approvals import ApprovalError, ApprovalQueue
from policytui.gateway.approver import Approver
from policytui.gateway.audit import AuditLog, args_digest
from policytui.gateway.enforcer import CANCELLED_IN_CHARGE, Enforcer, UpstreamFailure
from policytui.gateway.http import TokenGate, TokensError, load_tokens
from policytui.gateway.policy_watch import MISSING_GRACE_SECONDS, PolicyStartError, PolicyWatcher
from policytui.gateway.store.sqlite import SQLiteStore
from policytui.policy.model import Policy

pytestmark = pytest.mark.usefixtures("one_window")

ALICE = Caller("alice", "s1")


def _policy(doc: dict[str, Any]) -> Policy:
    return Policy.from_document(doc)


def _audit_lines(path: Path) -> list[dict[str, Any]]:
    return outcome_lines(path)


async def _never_asked(decision: Decision) -> tuple[Approval, str]:
    raise AssertionError("no approval expected")


def _ok(text: str = "done") -> Any:
    async def forward() -> dict[str, Any]:
        await anyio.sleep(0.001)  # a real await between charge and answer, as upstream has
        return {"content": [{"type": "text", "text": text}]}

    return forward


LIMITED = {
    "version": "1",
    "default": "deny",
    "tools": {
        "write": {"limits": [{"counter": "writes", "window": "day", "max": 10, "scope": "global"}]},
        "read": {"limits": [{"counter": "reads", "window": "day", "max": 3}]},
    },
}


async def test_fifty_concurrent_calls_use_exactly_the_budget(tmp_path: Path) -> None:
    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(audit_path))
    results = await asyncio.gather(
        *(enforcer.handle_call("write", {"n": i}, ALICE, _ok(), _never_asked) for i in range(50))
    )
    allowed = [r for r in results if not r.get("isError")]
    denied = [r for r in results if r.get("isError")]
    assert len(allowed) == 10
    assert len(denied) == 40
    assert denied[0]["content"][0]["text"].startswith("[POLICY DENIED] rate limit 10 per day reached")
    decisions = [line["decision"] for line in _audit_lines(audit_path)]
    assert decisions.count("allowed") == 10 and decisions.count("denied") == 40


async def test_grant_scoped_limits_count_each_grant_apart(tmp_path: Path) -> None:
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(None))
    bob = Caller("bob", "s2")
    alice_results = [await enforcer.handle_call("read", {}, ALICE, _ok(), _never_asked) for _ in range(4)]
    bob_results = [await enforcer.handle_call("read", {}, bob, _ok(), _never_asked) for _ in range(3)]
    assert [bool(r.get("isError")) for r in alice_results] == [False, False, False, True]
    assert not any(r.get("isError") for r in bob_results)


async def test_a_call_that_never_reached_the_tool_is_refunded(tmp_path: Path) -> None:
    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(audit_path))

    async def refused() -> dict[str, Any]:
        raise UpstreamFailure("error", RuntimeError("unknown tool"))

    async def timed_out() -> dict[str, Any]:
        raise UpstreamFailure("timeout", RuntimeError("no answer"))

    for _ in range(5):
        with pytest.raises(RuntimeError, match="unknown tool"):
            await enforcer.handle_call("read", {}, ALICE, refused, _never_asked)
    # Refunded: the budget of 3 is intact.
    assert not (await enforcer.handle_call("read", {}, ALICE, _ok(), _never_asked)).get("isError")
    # A time-out keeps its charge (the tool may have run): 1 + 1 used, one left.
    with pytest.raises(RuntimeError, match="no answer"):
        await enforcer.handle_call("read", {}, ALICE, timed_out, _never_asked)
    assert not (await enforcer.handle_call("read", {}, ALICE, _ok(), _never_asked)).get("isError")
    assert (await enforcer.handle_call("read", {}, ALICE, _ok(), _never_asked)).get("isError")
    upstream = [line.get("upstream") for line in _audit_lines(audit_path)]
    assert upstream[:5] == ["error"] * 5 and "timeout" in upstream


async def test_a_cancelled_call_keeps_its_charge(tmp_path: Path) -> None:
    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(audit_path))

    async def slow() -> dict[str, Any]:
        await anyio.sleep(30)
        return {"content": []}

    for _ in range(3):
        with anyio.move_on_after(0.05):
            await enforcer.handle_call("read", {}, ALICE, slow, _never_asked)
    denied = await enforcer.handle_call("read", {}, ALICE, _ok(), _never_asked)
    assert denied["isError"] is True
    assert [line.get("upstream") for line in _audit_lines(audit_path)] == ["cancelled"] * 3 + [None]


async def test_an_error_result_from_the_tool_keeps_its_charge() -> None:
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(None))

    async def tool_error() -> dict[str, Any]:
        return {"content": [{"type": "text", "text": "disk full"}], "isError": True}

    for _ in range(3):
        result = await enforcer.handle_call("read", {}, ALICE, tool_error, _never_asked)
        assert result["content"][0]["text"] == "disk full"
    denied = await enforcer.handle_call("read", {}, ALICE, _ok(), _never_asked)
    assert denied["content"][0]["text"].startswith("[POLICY DENIED] rate limit 3 per day")


async def test_dry_run_forwards_everything_and_logs_the_would_be_decision(tmp_path: Path) -> None:
    audit_path = tmp_path / "audit.jsonl"
    doc = {"version": "1", "default": "deny", "hide": ["secret"], "tools": {"write": {"action": "deny"}}}
    enforcer = Enforcer(lambda: _policy(doc), audit=AuditLog(audit_path), dry_run=True)
    for tool in ("secret", "write", "unlisted"):
        result = await enforcer.handle_call(tool, {}, ALICE, _ok("ran"), _never_asked)
        assert result["content"][0]["text"] == "ran"
    lines = _audit_lines(audit_path)
    assert [line["decision"] for line in lines] == ["hidden", "denied", "denied"]
    assert all(line["dry_run"] is True and line["upstream"] == "ok" for line in lines)


async def test_approval_answers_are_decided_again(tmp_path: Path) -> None:
    doc = {
        "version": "1",
        "default": "deny",
        "tools": {"rm": {"action": "require_approval", "limits": [{"counter": "rm", "window": "day", "max": 1}]}},
    }
    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: _policy(doc), audit=AuditLog(audit_path))
    answers = iter([Approval.APPROVED, Approval.REJECTED, Approval.TIMED_OUT, Approval.APPROVED])

    async def ask(decision: Decision) -> tuple[Approval, str]:
        assert decision.reason == 'Tool "rm" requires approval'
        return next(answers), "queue"

    texts = []
    for _ in range(4):
        result = await enforcer.handle_call("rm", {"path": "/x"}, ALICE, _ok("removed"), ask)
        texts.append(result["content"][0]["text"])
    assert texts[0] == "removed"
    assert "a human rejected the call" in texts[1]
    assert "no human answered in time" in texts[2]
    assert "rate limit 1 per day" in texts[3]  # approved, but the budget is spent
    assert [line["approval"] for line in _audit_lines(audit_path)] == ["approved", "rejected", "timed_out", "approved"]


def test_audit_lines_carry_a_digest_never_the_values(tmp_path: Path) -> None:
    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(audit_path))
    args = {"token": "hunter2-very-secret", "nested": {"ü": [1, 2.5, None]}}
    anyio.run(enforcer.handle_call, "write", args, ALICE, _ok(), _never_asked)
    text = audit_path.read_text(encoding="utf-8")
    assert "hunter2" not in text and "nested" not in text
    sent, line = (json.loads(record) for record in text.splitlines())
    assert sent["upstream"] == "sent" and sent["args_sha256"] == line["args_sha256"]
    canonical = json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert line["args_sha256"] == hashlib.sha256(canonical).hexdigest() == args_digest(args)
    assert oct(os.stat(audit_path).st_mode & 0o777) == oct(0o600)


def test_audit_times_are_utc_with_milliseconds_across_second_boundaries(tmp_path: Path) -> None:
    """The time of an audit line is formatted from a cached second: each line still names
    the moment it was written, in UTC, as datetime would (checked over a few seconds)."""
    from datetime import UTC, datetime

    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(audit_path))
    spans = []
    ends = time.time() + 2.2
    while time.time() < ends:
        before = datetime.now(UTC)
        anyio.run(enforcer.handle_call, "write", {}, ALICE, _ok(), _never_asked)
        spans.append((before, datetime.now(UTC)))
        time.sleep(0.05)
    lines = outcome_lines(audit_path)
    assert len(lines) == len(spans) > 30
    for line, (before, after) in zip(lines, spans, strict=True):
        assert len(line["time"]) == 24 and line["time"].endswith("Z"), line["time"]
        written = datetime.fromisoformat(line["time"].replace("Z", "+00:00"))
        assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= written <= after


# Approvals queue ----------------------------------------------------------------------------


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[ApprovalQueue]:
    """The approvals queue in a state file of the test's own, closed when the test ends."""
    store = SQLiteStore(tmp_path / "approvals" / "state.sqlite")
    try:
        yield ApprovalQueue(store)
    finally:
        store.close()


def _request(queue: ApprovalQueue, seconds: float = 30.0) -> str:
    from policytui.gateway.approvals import PendingApproval

    now = time.time()
    request = PendingApproval(
        id="", tool="rm", arguments={"path": "/tmp/x"}, args_sha256="0" * 64, reason="why", rule="tools.rm.action",
        created=now, expires=now + seconds, pid=os.getpid(),
    )
    return queue.submit(request).id


def test_exactly_one_decision_stands(queue: ApprovalQueue, tmp_path: Path) -> None:
    approval_id = _request(queue)
    assert [r.id for r in queue.pending()] == [approval_id]
    assert queue.answer(approval_id, True, by="ann").outcome == "approved"
    # A later rejection and the gateway's time-out cannot change it.
    assert queue.answer(approval_id, False, by="bob").outcome == "approved"
    assert queue.expire(approval_id).outcome == "approved"
    assert queue.pending() == []
    assert oct((tmp_path / "approvals").stat().st_mode & 0o777) == oct(0o700)


def test_an_answer_after_the_deadline_is_a_time_out(queue: ApprovalQueue) -> None:
    approval_id = _request(queue, seconds=-1)
    assert queue.answer(approval_id, True).outcome == "timed_out"


def test_unknown_and_malformed_ids_are_refused(queue: ApprovalQueue) -> None:
    with pytest.raises(ApprovalError, match="no call is waiting"):
        queue.answer("deadbeef00", True)
    with pytest.raises(ApprovalError, match="not an approval id"):
        queue.answer("../../etc/passwd", True)


async def test_approver_queue_times_out_and_drops_the_arguments(queue: ApprovalQueue) -> None:
    approver = Approver(queue, timeout=0.3, mode="queue", poll_seconds=0.02)
    decision = Decision(Outcome.NEEDS_APPROVAL, "needs a human", "tools.rm.action")
    started = time.monotonic()
    answer = await approver.ask(decision, "rm", {"path": "/x"}, ALICE, None)
    assert answer == (Approval.TIMED_OUT, "queue")
    assert 0.25 < time.monotonic() - started < 3
    # The decided record stays for a late answer to read, without the call's arguments.
    assert queue.pending() == []
    [kept] = queue.store.approvals()
    assert kept.request["arguments"] is None and kept.result["outcome"] == "not_sent"


async def test_approver_prefers_elicitation_and_falls_back_to_the_queue(queue: ApprovalQueue) -> None:
    approver = Approver(queue, timeout=5, poll_seconds=0.02)
    decision = Decision(Outcome.NEEDS_APPROVAL, "needs a human", "tools.rm.action")
    seen: list[str] = []

    async def yes(message: str, seconds: float) -> bool:
        seen.append(message)
        return True

    assert await approver.ask(decision, "rm", {"path": "/x"}, ALICE, yes) == (Approval.APPROVED, "elicitation")
    assert '"rm"' in seen[0] and '"/x"' in seen[0]

    async def broken(message: str, seconds: float) -> bool:
        raise RuntimeError("client cannot show forms")

    async def human() -> None:
        while not queue.pending():
            await anyio.sleep(0.02)
        queue.answer(queue.pending()[0].id, False, by="test")

    async with anyio.create_task_group() as tg:
        tg.start_soon(human)
        assert await approver.ask(decision, "rm", {}, ALICE, broken) == (Approval.REJECTED, "queue")


class _SlowNetworkStore(SQLiteStore):
    """A store on the network as the gateway sees it (each operation in a worker thread) whose
    charge of a limit takes a while: the moment between a call's approval and its sending."""

    blocking = True

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.charging = anyio.Event()

    def reserve(self, budgets: Any) -> Any:
        anyio.from_thread.run_sync(self.charging.set)
        time.sleep(0.5)
        return super().reserve(budgets)


async def test_an_approved_call_cancelled_before_it_is_sent_is_recorded_as_never_sent(tmp_path: Path) -> None:
    """The client cancels after the gateway read the approval, while the call's limit is
    charged (a Redis round trip): the call is not sent, and its record says so for the one
    who approved it, who would otherwise be told "approved"."""
    from policytui.gateway import approvals as queue_mod

    doc = {"version": "1", "default": "deny", "tools": {"rm": {
        "action": "require_approval", "limits": [{"counter": "rm", "window": "day", "max": 5}]}}}
    store = _SlowNetworkStore(tmp_path / "state.sqlite")
    queue = ApprovalQueue(store)
    approver = Approver(queue, timeout=30, mode="queue", poll_seconds=0.02)
    enforcer = Enforcer(lambda: _policy(doc), audit=AuditLog(tmp_path / "audit.jsonl"), store=store)
    sent: list[str] = []

    async def forward() -> dict[str, Any]:
        sent.append("rm")
        return {"content": []}

    async def ask(decision: Decision) -> tuple[Approval, str]:
        return await approver.ask(decision, "rm", {"path": "/x"}, ALICE, None)

    call = asyncio.ensure_future(enforcer.handle_call("rm", {"path": "/x"}, ALICE, forward, ask))
    while not queue.pending():
        await anyio.sleep(0.01)
    approval_id = queue.pending()[0].id
    assert queue.answer(approval_id, True, by="ann").outcome == "approved"
    await store.charging.wait()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert sent == []
    result = await anyio.to_thread.run_sync(queue.wait_for_result, approval_id, 5.0)
    assert result == queue_mod.Result(queue_mod.WITHDRAWN, "its client cancelled the call or went away")
    assert store.get_approval(approval_id).request["arguments"] is None  # type: ignore[union-attr]
    # Its one audit line says what became of it, with the human's answer; the charge went back.
    lines = _audit_lines(tmp_path / "audit.jsonl")
    assert [(line["decision"], line["reason"], line["approval"], line.get("upstream")) for line in lines] == [
        ("denied", CANCELLED_IN_CHARGE, "approved", None)]
    assert store.usage() == []
    store.close()


class _GatedNetworkStore(SQLiteStore):
    """A store on the network as the gateway sees it (each operation in a worker thread) whose
    charges and refunds, once begun (`entered`), wait until the test lets them go (`gate`)."""

    blocking = True

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.entered = {"reserve": anyio.Event(), "refund": anyio.Event()}
        self.gate = {"reserve": threading.Event(), "refund": threading.Event()}
        self.refunds = 0

    def _wait(self, operation: str) -> None:
        anyio.from_thread.run_sync(self.entered[operation].set)
        assert self.gate[operation].wait(30)

    def reserve(self, budgets: Any) -> Any:
        self._wait("reserve")
        return super().reserve(budgets)

    def refund(self, reservation: Any) -> None:
        self._wait("refund")
        super().refund(reservation)
        self.refunds += 1


async def test_a_call_cancelled_while_its_limits_are_charged_is_audited_and_refunded(tmp_path: Path) -> None:
    """Cancelled while the store charges it, then again (its client leaving) while the charge
    is given back: the charge and the refund are both waited for, the call is never sent, and
    it has one audit line; the budget is whole."""
    store = _GatedNetworkStore(tmp_path / "state.sqlite")
    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(audit_path), store=store)
    sent: list[str] = []

    async def forward() -> dict[str, Any]:
        sent.append("read")
        return {"content": []}

    call = asyncio.ensure_future(enforcer.handle_call("read", {}, ALICE, forward, _never_asked))
    await store.entered["reserve"].wait()
    call.cancel()
    await anyio.sleep(0.05)
    assert not call.done()  # the charge under way is waited for
    store.gate["reserve"].set()
    await store.entered["refund"].wait()
    call.cancel()
    await anyio.sleep(0.05)
    assert not call.done()  # and so is its refund, whatever the second cancellation
    store.gate["refund"].set()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert sent == [] and store.refunds == 1 and store.usage() == []
    lines = _audit_lines(audit_path)
    assert [(line["decision"], line["rule"], line["reason"]) for line in lines] == [
        ("denied", "tools.read", CANCELLED_IN_CHARGE)]
    assert "upstream" not in lines[0] and "approval" not in lines[0]
    results = [await enforcer.handle_call("read", {}, ALICE, _ok(), _never_asked) for _ in range(4)]
    assert [bool(r.get("isError")) for r in results] == [False, False, False, True]
    store.close()


async def test_a_call_cancelled_while_the_store_finds_its_limit_full_is_audited_as_rate_limited(tmp_path: Path) -> None:
    """The store answered that the limit is full: that is the call's decision, cancelled or
    not, and its line says so (a replay then finds the same limit)."""
    store = _GatedNetworkStore(tmp_path / "state.sqlite")
    store.gate["reserve"].set()
    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(audit_path), store=store)
    for _ in range(3):
        assert not (await enforcer.handle_call("read", {}, ALICE, _ok(), _never_asked)).get("isError")
    store.gate["reserve"].clear()
    store.entered["reserve"] = anyio.Event()
    call = asyncio.ensure_future(enforcer.handle_call("read", {}, ALICE, _ok(), _never_asked))
    await store.entered["reserve"].wait()
    call.cancel()
    store.gate["reserve"].set()
    with pytest.raises(asyncio.CancelledError):
        await call
    last = _audit_lines(audit_path)[-1]
    assert (last["decision"], last["rule"]) == ("denied", "tools.read.limits[0]")
    assert last["reason"].startswith("rate limit 3 per day reached") and store.refunds == 0
    store.close()


async def test_a_call_cancelled_while_a_refused_calls_charge_is_given_back_keeps_its_outcome(tmp_path: Path) -> None:
    """The server refused the call (refunded: it never ran) and the client cancels while the
    refund is made: the refund is made, and the call's outcome line written."""
    store = _GatedNetworkStore(tmp_path / "state.sqlite")
    store.gate["reserve"].set()
    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: _policy(LIMITED), audit=AuditLog(audit_path), store=store)

    async def refused() -> dict[str, Any]:
        raise UpstreamFailure("error", RuntimeError("unknown tool"))

    call = asyncio.ensure_future(enforcer.handle_call("read", {}, ALICE, refused, _never_asked))
    await store.entered["refund"].wait()
    call.cancel()
    await anyio.sleep(0.05)
    assert not call.done()
    store.gate["refund"].set()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert store.refunds == 1 and store.usage() == []
    assert [(line["decision"], line.get("upstream")) for line in _audit_lines(audit_path)] == [("allowed", "error")]
    store.close()


# Policy reload ---------------------------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    # Some file systems keep coarse times: make each write visibly new.
    stamp = time.time_ns() + 1_000_000_000 * (1 + int(path.stat().st_mtime_ns // 1e9 % 7))
    os.utime(path, ns=(stamp, stamp))


async def test_an_approved_call_the_gateway_stops_before_sending_is_not_sent_and_refunded(tmp_path: Path) -> None:
    """The gateway is stopped (a signal) after a human approved a call, while its limit is
    charged (a Redis round trip): the call is not sent, its charge goes back, its audit line and
    its record (which `approvals approve` reads) say the gateway stopped, not its client."""
    from policytui.gateway import approvals as queue_mod
    from policytui.gateway.enforcer import STOPPED_BEFORE_SENDING

    doc = {"version": "1", "default": "deny", "tools": {"rm": {
        "action": "require_approval", "limits": [{"counter": "rm", "window": "day", "max": 5}]}}}
    store = _GatedNetworkStore(tmp_path / "state.sqlite")
    store.gate["refund"].set()
    queue = ApprovalQueue(store)
    approver = Approver(queue, timeout=30, mode="queue", poll_seconds=0.02)
    enforcer = Enforcer(lambda: _policy(doc), audit=AuditLog(tmp_path / "audit.jsonl"), store=store)
    sent: list[str] = []

    async def forward() -> dict[str, Any]:
        sent.append("rm")
        return {"content": []}

    async def ask(decision: Decision) -> tuple[Approval, str]:
        return await approver.ask(decision, "rm", {"path": "/x"}, ALICE, None)

    call = asyncio.ensure_future(enforcer.handle_call("rm", {"path": "/x"}, ALICE, forward, ask))
    while not await anyio.to_thread.run_sync(queue.pending):
        await anyio.sleep(0.01)
    approval_id = (await anyio.to_thread.run_sync(queue.pending))[0].id
    assert (await anyio.to_thread.run_sync(lambda: queue.answer(approval_id, True, by="ann"))).outcome == "approved"
    await store.entered["reserve"].wait()
    enforcer.stopping = True  # what Gateway.stop does on a signal
    approver.stop()
    store.gate["reserve"].set()
    result = await call
    assert result["isError"] and STOPPED_BEFORE_SENDING in result["content"][0]["text"]
    assert sent == [] and store.refunds == 1 and store.usage() == []
    settled = await anyio.to_thread.run_sync(queue.wait_for_result, approval_id, 5.0)
    assert settled == queue_mod.Result(queue_mod.NOT_SENT, queue_mod.STOPPED_BEFORE_SENDING)
    lines = _audit_lines(tmp_path / "audit.jsonl")
    assert [(line["decision"], line["rule"], line["reason"], line["approval"], line.get("upstream"))
            for line in lines] == [("denied", "tools.rm.action", STOPPED_BEFORE_SENDING, "approved", None)]
    store.close()


async def test_a_call_held_for_an_elicited_answer_is_withdrawn_when_the_gateway_stops(tmp_path: Path) -> None:
    """A stop ends the wait for the client's approval form at once: the call is answered as not
    sent, never forwarded, and no further call is held."""
    from policytui.gateway.enforcer import STOPPED_IN_APPROVAL

    doc = {"version": "1", "default": "allow", "tools": {"rm": {"action": "require_approval"}}}
    store = SQLiteStore(tmp_path / "state.sqlite")
    approver = Approver(ApprovalQueue(store), timeout=30, mode="auto")
    enforcer = Enforcer(lambda: _policy(doc), audit=AuditLog(tmp_path / "audit.jsonl"), store=store)
    asked = anyio.Event()

    async def elicit(message: str, seconds: float) -> bool:
        asked.set()
        await anyio.sleep(60)
        return True

    async def ask(decision: Decision) -> tuple[Approval, str]:
        return await approver.ask(decision, "rm", {}, ALICE, elicit)

    call = asyncio.ensure_future(enforcer.handle_call("rm", {}, ALICE, _never_forwarded, ask))
    await asked.wait()
    enforcer.stopping = True
    approver.stop()
    with anyio.fail_after(2):
        result = await call
    assert result["isError"] and STOPPED_IN_APPROVAL in result["content"][0]["text"]
    again = await enforcer.handle_call("rm", {}, ALICE, _never_forwarded, ask)
    assert again["isError"] and STOPPED_IN_APPROVAL in again["content"][0]["text"]
    lines = _audit_lines(tmp_path / "audit.jsonl")
    assert [(line["decision"], line["reason"], line["approval"]) for line in lines] == [
        ("denied", STOPPED_IN_APPROVAL, "cancelled")] * 2
    assert store.approvals() == []  # nothing was put in the queue
    store.close()


async def _never_forwarded() -> dict[str, Any]:
    raise AssertionError("the call must not be sent")


def test_reload_swaps_good_files_and_fails_closed_on_bad_ones(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "policy.json"
    _write(path, json.dumps({"version": "1", "default": "allow"}))
    watcher = PolicyWatcher(path)
    assert watcher.policy.default == "allow" and watcher.problem() is None
    assert watcher.check() is False  # unchanged: nothing read

    _write(path, json.dumps({"version": "1", "default": "deny"}))
    assert watcher.check() is True and watcher.policy.default == "deny"

    _write(path, '{"version": "1", "default": "deny", "tools": {"x": {"limts": []}}}')
    assert watcher.check() is False
    problem = watcher.problem()
    assert problem and str(path) in problem and "limts" in problem and "every call is denied" in problem
    for _ in range(3):
        watcher.check()
    said = [r.getMessage() for r in caplog.records if "every call is denied" in r.getMessage()]
    assert said == [problem]  # logged once per change, not per check

    _write(path, json.dumps({"version": "1", "default": "deny"}))  # the last valid one again
    assert watcher.check() is False and watcher.problem() is None
    assert any("valid again" in r.getMessage() for r in caplog.records)

    now = [1000.0]
    watcher.clock = lambda: now[0]
    path.unlink()
    assert watcher.check() is False and watcher.problem() is None  # an editor's rename, perhaps
    now[0] += MISSING_GRACE_SECONDS - 0.1
    watcher.check()
    assert watcher.problem() is None
    now[0] += 0.2
    watcher.check()
    assert watcher.problem() == f"the policy file {path} is missing; every call is denied until it is fixed"
    _write(path, json.dumps({"version": "1", "default": "allow"}))
    assert watcher.check() is True and watcher.problem() is None and watcher.policy.default == "allow"


def test_an_invalid_policy_at_start_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"version": "2", "default": "deny"}', encoding="utf-8")
    with pytest.raises(PolicyStartError, match=r"is not a valid policy: version"):
        PolicyWatcher(path)
    with pytest.raises(PolicyStartError, match="does not exist"):
        PolicyWatcher(tmp_path / "missing.json")


# Tokens ------------------------------------------------------------------------------------------


def test_tokens_file_problems_never_quote_a_token(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"tiny9": "alice"}', encoding="utf-8")
    with pytest.raises(TokensError) as caught:
        load_tokens(path)
    assert "tiny9" not in str(caught.value)
    path.write_text('{"a-long-enough-token-123": "alice"}', encoding="utf-8")
    assert load_tokens(path) == {"a-long-enough-token-123": "alice"}


def test_token_gate_maps_tokens_to_grants() -> None:
    gate = TokenGate(app=None, tokens={"a-long-enough-token-123": "alice", "b-long-enough-token-456": "bob"})
    assert gate.grant_for(b"Bearer a-long-enough-token-123") == "alice"
    assert gate.grant_for(b"bearer b-long-enough-token-456") == "bob"
    assert gate.grant_for(b"Bearer a-long-enough-token-12") is None
    assert gate.grant_for(b"Basic a-long-enough-token-123") is None
    assert gate.grant_for(None) is None
