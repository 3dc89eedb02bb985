"""The approvals queue: calls held for a human, kept in the gateway's state store.

A held call is a request record in the store (by default the SQLite file in the state folder;
with `--state redis://...` one Redis shared by every replica). Whoever decides it -
`policytui approvals approve|reject ID` on any machine that reaches the store, the TUI, or the
gateway itself when the wait times out - writes its decision record, and the store keeps only
the first one written, so exactly one decision ever stands. The gateway reads the decision,
removes the records and writes the outcome to the audit log.

The request holds the call's arguments, because a human cannot judge a call without them; the
SQLite file is readable by its owner only, and the records disappear once decided. A call its
client cancels while it waits is withdrawn (`withdraw`): it leaves the list at once, and its
record stays, decided, until the store's clean-up, so that a late answer is told it was withdrawn.
No Textual, no mcp: the CLI and the TUI use this module directly.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from policytui.gateway.store import StateStore, StateUnavailable

__all__ = ["ApprovalError", "ApprovalQueue", "PendingApproval", "StateUnavailable"]

APPROVED = "approved"
REJECTED = "rejected"
TIMED_OUT = "timed_out"
# The client cancelled the held call (or left) before anyone answered: it is never sent, and
# an answer given afterwards is told so.
WITHDRAWN = "withdrawn"
OUTCOMES = (APPROVED, REJECTED, TIMED_OUT, WITHDRAWN)
# Who "decided" a held call whose record is no longer in the store (a Redis restarted without
# persistence, a state file replaced): nobody can answer it any more, so it ends at once.
RECORD_GONE = "gateway: the held call's record is gone from the state store"

# Which machine a held call's gateway runs on: only there can its process be checked.
_HOST = socket.gethostname()
_ID_RE = re.compile(r"^[0-9a-f]{8,32}$")
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
        return cls(**known)

    def seconds_left(self, now: float | None = None) -> float:
        return self.expires - (time.time() if now is None else now)


@dataclass(frozen=True)
class Decision:
    """The one decision that stands for a held call."""

    outcome: str
    time: float
    by: str = ""


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
        stored = self.store.get_approval(approval_id)
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

    def expire(self, approval_id: str) -> Decision:
        """Record a time-out unless a human decided first; returns the decision that stands."""
        self.store.put_decision(approval_id, {"outcome": TIMED_OUT, "time": time.time(), "by": "gateway"})
        return self.decision(approval_id) or Decision(TIMED_OUT, time.time(), "gateway")

    def withdraw(self, approval_id: str) -> Decision:
        """Record that the call's client cancelled it, unless someone decided first; returns
        the decision that stands. The record stays (no longer listed) until the store's own
        clean-up, so that whoever answers it meanwhile learns it was withdrawn."""
        self.store.put_decision(approval_id, {"outcome": WITHDRAWN, "time": time.time(), "by": "client"})
        return self.decision(approval_id) or Decision(WITHDRAWN, time.time(), "client")

    def remove(self, approval_id: str) -> None:
        """Forget a held call once its decision has been used."""
        self.store.remove_approval(approval_id)

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
        if the gateway timed out, the client withdrew the call or someone else answered first.
        ApprovalError if unknown."""
        request = self.get(approval_id)
        outcome = APPROVED if approved else REJECTED
        if time.time() > request.expires and self.decision(approval_id) is None:
            # Too late: the gateway is about to answer the agent (or is gone). Record the
            # time-out ourselves so the answer shown is the one that counts.
            return self.expire(approval_id)
        self.store.put_decision(approval_id, {"outcome": outcome, "time": time.time(), "by": by})
        return self.decision(approval_id) or Decision(outcome, time.time(), by)

    def pending(self, now: float | None = None) -> list[PendingApproval]:
        """Calls still waiting for a human, oldest first. Cleans up requests of dead gateways."""
        now = time.time() if now is None else now
        waiting: list[PendingApproval] = []
        for stored in self.store.approvals():
            try:
                request = PendingApproval.from_json(stored.request)
            except (TypeError, ValueError):
                continue
            if not _ID_RE.fullmatch(str(request.id)) or stored.decision is not None:
                continue
            if now > request.expires:
                # Only a gateway on this machine can be checked for life; others' records
                # expire with the store's own clean-up.
                if now > request.expires + STALE_AFTER and request.host == _HOST and not _alive(request.pid):
                    self.remove(request.id)
                continue
            waiting.append(request)
        waiting.sort(key=lambda r: (r.created, r.id))
        return waiting


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
