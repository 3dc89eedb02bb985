"""The approvals queue: calls held for a human, kept in the gateway's state store.

A held call is a request record in the store (by default the SQLite file in the state folder;
with `--state redis://...` one Redis shared by every replica). Whoever decides it -
`policytui approvals approve|reject ID` on any machine that reaches the store, the TUI, or the
gateway itself when the wait times out - writes its decision record, and the store keeps only
the first one written, so exactly one decision ever stands. The gateway reads the decision and
writes the outcome to the audit log.

An approval is not yet a sent call: the client may cancel it (or leave) before the gateway
sends it, and the policy in force, a rate limit or the audit log may still stop it. So once the
gateway is done with a decided call it settles the record (`settle`): it writes what became of
the call (`SENT`, `NOT_SENT` and why, or `WITHDRAWN`), and `approvals approve` waits for that
(`wait_for_result`) to tell the approver what actually happened.

The request holds the call's arguments, because a human cannot judge a call without them; the
SQLite file is readable by its owner only, and settling a record drops them. A settled record
stays, without its arguments, until the store's clean-up, so that a late or second answer is
told what happened rather than that no call is waiting. A call its client cancels while it
waits is withdrawn (`withdraw`): it leaves the list at once, and is settled the same way.
No Textual, no mcp: the CLI and the TUI use this module directly.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import socket
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from policytui.gateway.store import StateStore, StateUnavailable, StoreBusy, StoredApproval

__all__ = ["ApprovalError", "ApprovalQueue", "PendingApproval", "StateUnavailable"]

APPROVED = "approved"
REJECTED = "rejected"
TIMED_OUT = "timed_out"
# The client cancelled the held call (or left), or its gateway was stopped, before anyone
# answered: it is never sent, and an answer given afterwards is told so (and by whom).
WITHDRAWN = "withdrawn"
OUTCOMES = (APPROVED, REJECTED, TIMED_OUT, WITHDRAWN)
# What became of a decided call (its record's result, written by its gateway): handed to the
# server (at the moment its audit line says `upstream: sent`), or not, and why. WITHDRAWN here
# is an approved call whose client cancelled it, or left, before it could be sent.
SENT = "sent"
NOT_SENT = "not_sent"
RESULTS = (SENT, NOT_SENT, WITHDRAWN)
# Results `wait_for_result` gives when the gateway did not say what became of the call.
GATEWAY_STOPPED = "gateway_stopped"
RECORD_LOST = "record_lost"
NO_WORD = "no_word"
# How long `approvals approve` waits to hear what became of the call it approved. The gateway
# looks for the answer every 0.2 s, then decides again and charges the limits (a Redis round
# trip is bounded by 1 s, plus one retry) before it sends the call.
RESULT_WAIT = 10.0
# Who "decided" a held call whose record is no longer in the store (a Redis restarted without
# persistence, a state file replaced): nobody can answer it any more, so it ends at once.
RECORD_GONE = "gateway: the held call's record is gone from the state store"
# Who withdrew a held call (the `by` of its WITHDRAWN decision; no human answer is ever
# WITHDRAWN): its client, which cancelled the call or went away, or its gateway, which was
# stopped (SIGINT, SIGTERM, SIGHUP) before anyone answered.
WITHDRAWN_BY_CLIENT = "client"
WITHDRAWN_BY_STOP = "gateway stopping"
# Why a decided call was not sent when its gateway was stopped first (its record's result).
STOPPED_BEFORE_SENDING = "the gateway was stopped before sending it"

# Which machine a held call's gateway runs on: only there can its process be checked.
_HOST = socket.gethostname()
_ID_RE = re.compile(r"^[0-9a-f]{8,32}$")
# The longest a gateway holds a call for a person's answer (`--approval-timeout`, a day).
LONGEST_WAIT = 24 * 3600.0


def _a_time(value: Any) -> bool:
    """Is a stored time a finite number of seconds (not a string, not infinite, not NaN)?"""
    return type(value) in (int, float) and math.isfinite(value)


# A request whose gateway is gone is cleaned up this long after it expired.
STALE_AFTER = 60.0


class ApprovalError(Exception):
    """A queue operation failed; `str()` is one sentence for the user."""


@dataclass
class PendingApproval:
    """One held call, as stored."""

    id: str
    tool: str
    arguments: Any
    args_sha256: str
    reason: str
    rule: str
    grant: str = "default"
    session: str = "default"
    server: str = ""
    created: float = 0.0
    expires: float = 0.0
    pid: int = 0
    host: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingApproval:
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        held = cls(**known)
        created, expires = held.created, held.expires
        if not _a_time(created):
            created = 0.0
        if not _a_time(expires) or expires > created + LONGEST_WAIT:
            # A gateway of an earlier version took `--approval-timeout inf` and stored a call
            # that never expires: it is held no longer than any gateway may hold one now. One
            # whose time cannot be read (a damaged record) has expired.
            number = type(expires) in (int, float) and not math.isnan(expires)
            expires = min(created + LONGEST_WAIT, expires) if number else created
        if (created, expires) != (held.created, held.expires):
            held = replace(held, created=created, expires=expires)
        return held

    def seconds_left(self, now: float | None = None) -> float:
        return self.expires - (time.time() if now is None else now)


@dataclass(frozen=True)
class Decision:
    """The one decision that stands for a held call."""

    outcome: str
    time: float
    by: str = ""
    # Set by `answer`: whether this answer is the one that stands (else another came first).
    mine: bool = False


@dataclass(frozen=True)
class Result:
    """What became of a decided call: `outcome` is one of RESULTS, or, when its gateway never
    said, GATEWAY_STOPPED, RECORD_LOST or NO_WORD. `reason` says why a call was not sent."""

    outcome: str
    reason: str = ""

    @property
    def sent(self) -> bool:
        return self.outcome == SENT


def _check_id(approval_id: str) -> str:
    if not _ID_RE.fullmatch(approval_id or ""):
        raise ApprovalError(f"{approval_id!r} is not an approval id (8 to 32 hex digits, as `policytui approvals list` shows)")
    return approval_id


class ApprovalQueue:
    """Held calls in a state store, shared by gateways, the CLI and the TUI.

    Store failures surface as `StateUnavailable` (an OSError would be wrong: it may be Redis).
    """

    def __init__(self, store: StateStore) -> None:
        self.store = store

    @property
    def where(self) -> str:
        return self.store.description

    # The gateway's side ---------------------------------------------------------------------

    def submit(self, request: PendingApproval) -> PendingApproval:
        """Store a new held call; fills in `id` if empty."""
        while True:
            if not request.id:
                request.id = secrets.token_hex(6)
            if self.store.put_request(request.id, request.to_json(), request.expires):
                return request
            request.id = ""  # taken: draw another

    def decision(self, approval_id: str) -> Decision | None:
        """The decision for a held call, or None while it waits. A call whose record is gone
        can never be answered: it is timed out at once (`by` is RECORD_GONE)."""
        return _decision_of(self.store.get_approval(approval_id))

    def settle(self, request: PendingApproval, outcome: str, reason: str = "") -> None:
        """Record what became of a decided call (one of RESULTS, and why it was not sent), and
        drop its arguments from the store: nobody needs them once the call is decided."""
        kept = request.to_json()
        kept["arguments"] = None
        self.store.settle_approval(request.id, kept, {"outcome": outcome, "reason": reason, "time": time.time()})

    def result(self, approval_id: str) -> Result | None:
        """What became of a decided call, or None while its gateway has not said."""
        stored = self.store.get_approval(approval_id)
        if stored is None:
            return Result(RECORD_LOST)
        return _result_of(stored)

    def wait_for_result(self, approval_id: str, seconds: float = RESULT_WAIT, poll: float = 0.1) -> Result:
        """What became of a decided call, waiting up to `seconds` for its gateway to say. A
        gateway on this machine that has stopped never will (and never sent it)."""
        end = time.monotonic() + seconds
        while True:
            stored = self.store.get_approval(approval_id)
            if stored is None:
                return Result(RECORD_LOST)
            found = _result_of(stored)
            if found is not None:
                return found
            pid, host = stored.request.get("pid"), stored.request.get("host")
            if host == _HOST and isinstance(pid, int) and not _alive(pid):
                # Read once more now that it is known to be gone: a gateway writes the result
                # as it hands the call to the server (with a state file, just before), so with
                # none written it did not send it.
                stored = self.store.get_approval(approval_id)
                found = _result_of(stored) if stored is not None else None
                return found or Result(GATEWAY_STOPPED, str(pid))
            if time.monotonic() >= end:
                return Result(NO_WORD)
            time.sleep(poll)

    def expire(self, approval_id: str) -> Decision:
        """Record a time-out unless a human decided first; returns the decision that stands."""
        self.store.put_decision(approval_id, {"outcome": TIMED_OUT, "time": time.time(), "by": "gateway"})
        return self.decision(approval_id) or Decision(TIMED_OUT, time.time(), "gateway")

    def withdraw(self, approval_id: str, by: str = WITHDRAWN_BY_CLIENT) -> Decision:
        """Record that the call's client cancelled it (or, `by` WITHDRAWN_BY_STOP, that its
        gateway was stopped), unless someone decided first; returns the decision that stands.
        The record stays (no longer listed) until the store's own clean-up, so that whoever
        answers it meanwhile learns it was withdrawn, and by whom."""
        self.store.put_decision(approval_id, {"outcome": WITHDRAWN, "time": time.time(), "by": by})
        return self.decision(approval_id) or Decision(WITHDRAWN, time.time(), by)

    def remove(self, approval_id: str) -> None:
        """Forget a held call (one whose gateway is gone)."""
        self.store.remove_approval(approval_id)

    def _clean_up(self, approval_id: str) -> None:
        """Forget a dead gateway's held call, unless that would have to wait (a state file
        another program holds locked) or fails: listing reads a locked file at once, and the
        record is left for the next listing or the store's own clean-up."""
        try:
            self.store.try_now(self.store.remove_approval, approval_id)
        except (StoreBusy, StateUnavailable):
            pass

    # The human's side -----------------------------------------------------------------------

    def get(self, approval_id: str) -> PendingApproval:
        """A held call by id; ApprovalError if there is no such call."""
        _check_id(approval_id)
        stored = self.store.get_approval(approval_id)
        if stored is None:
            raise ApprovalError(f"no call is waiting with id {approval_id}")
        try:
            return PendingApproval.from_json(stored.request)
        except (TypeError, ValueError):
            raise ApprovalError(f"the stored request for {approval_id} cannot be read") from None

    def answer(self, approval_id: str, approved: bool, *, by: str = "") -> Decision:
        """Approve or reject a held call. Returns the decision that stands, which is another one
        (`mine` False) if the gateway timed out, the client withdrew the call or someone else
        answered first. ApprovalError if unknown."""
        request = self.get(approval_id)
        outcome = APPROVED if approved else REJECTED
        if time.time() > request.expires and self.decision(approval_id) is None:
            # Too late: the gateway is about to answer the agent (or is gone). Record the
            # time-out ourselves so the answer shown is the one that counts.
            return self.expire(approval_id)
        # Which answer stands is read back by this token, not by `by`: two people may answer
        # under one user name, and a retried write may report "not written" for its own.
        token = secrets.token_hex(8)
        self.store.put_decision(approval_id, {"outcome": outcome, "time": time.time(), "by": by, "token": token})
        stored = self.store.get_approval(approval_id)
        standing = _decision_of(stored) or Decision(outcome, time.time(), by)
        mine = stored is not None and stored.decision is not None and stored.decision.get("token") == token
        return replace(standing, mine=mine)

    def pending(self, now: float | None = None) -> list[PendingApproval]:
        """Calls still waiting for a human, oldest first. Cleans up requests of dead gateways."""
        now = time.time() if now is None else now
        waiting: list[PendingApproval] = []
        for stored in self.store.approvals():
            try:
                request = PendingApproval.from_json(stored.request)
            except (TypeError, ValueError):
                continue
            if not _ID_RE.fullmatch(str(request.id)) or stored.decision is not None or stored.result is not None:
                continue
            if now > request.expires:
                # Only a gateway on this machine can be checked for life; others' records
                # expire with the store's own clean-up.
                if now > request.expires + STALE_AFTER and request.host == _HOST and not _alive(request.pid):
                    self._clean_up(request.id)
                continue
            waiting.append(request)
        waiting.sort(key=lambda r: (r.created, r.id))
        return waiting


def _decision_of(stored: StoredApproval | None) -> Decision | None:
    if stored is None:
        return Decision(TIMED_OUT, time.time(), RECORD_GONE)
    if stored.decision is None:
        return None
    data = stored.decision
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        # Something decided, but we cannot tell what. Fail closed.
        return Decision(REJECTED, time.time(), "unreadable decision")
    try:
        when = float(data.get("time") or 0.0)
    except (TypeError, ValueError):
        when = 0.0
    return Decision(outcome, when, str(data.get("by") or ""))


def _result_of(stored: StoredApproval) -> Result | None:
    if stored.result is None:
        return None
    outcome = stored.result.get("outcome")
    if outcome not in RESULTS:
        # Written, but unreadable: nothing says the call was sent, nor that it was not.
        return Result(NO_WORD)
    return Result(str(outcome), str(stored.result.get("reason") or ""))


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
