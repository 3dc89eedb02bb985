"""The approvals queue: calls held for a human, as files in a folder.

A held call is `<id>.json` in the queue folder (by default `~/.local/state/policytui/approvals`).
Whoever decides it - `policytui approvals approve|reject ID`, the TUI, or the gateway itself
when the wait times out - creates `<id>.decision`. The decision file is made by hard-linking a
finished temporary file to that name, which fails if the name already exists, so exactly one
decision ever stands and a reader never sees half of it. The gateway reads the decision,
removes both files and writes the outcome to the audit log.

The request file holds the call's arguments, because a human cannot judge a call without them;
the folder and files are readable by their owner only, and the files disappear once decided.
No Textual, no mcp: the CLI and the TUI use this module directly.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from policytui.gateway.state import ensure_private_dir

APPROVED = "approved"
REJECTED = "rejected"
TIMED_OUT = "timed_out"
OUTCOMES = (APPROVED, REJECTED, TIMED_OUT)

_ID_RE = re.compile(r"^[0-9a-f]{8,32}$")
# A request whose gateway is gone is cleaned up this long after it expired.
STALE_AFTER = 60.0


class ApprovalError(Exception):
    """A queue operation failed; `str()` is one sentence for the user."""


@dataclass
class PendingApproval:
    """One held call, as written to `<id>.json`."""

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
    if not _ID_RE.match(approval_id or ""):
        raise ApprovalError(f"{approval_id!r} is not an approval id (8 to 32 hex digits, as `policytui approvals list` shows)")
    return approval_id


class ApprovalQueue:
    """A folder of held calls shared by gateways, the CLI and the TUI."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _request_path(self, approval_id: str) -> Path:
        return self.folder / f"{approval_id}.json"

    def _decision_path(self, approval_id: str) -> Path:
        return self.folder / f"{approval_id}.decision"

    def _publish(self, target: Path, data: dict[str, Any]) -> bool:
        """Create `target` with `data`, complete or not at all; False if it already exists."""
        ensure_private_dir(self.folder)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, target)
            except FileExistsError:
                return False
            return True
        finally:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass

    # The gateway's side ---------------------------------------------------------------------

    def submit(self, request: PendingApproval) -> PendingApproval:
        """Write a new held call; fills in `id` if empty. Raises OSError if the folder is unusable."""
        while True:
            if not request.id:
                request.id = secrets.token_hex(6)
            if self._publish(self._request_path(request.id), request.to_json()):
                return request
            request.id = ""  # taken: draw another

    def decision(self, approval_id: str) -> Decision | None:
        """The decision for a held call, or None while it waits."""
        try:
            data = json.loads(self._decision_path(approval_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            # Unreadable or damaged: something decided, but we cannot tell what. Fail closed.
            return Decision(REJECTED, time.time(), "unreadable decision file")
        outcome = data.get("outcome") if isinstance(data, dict) else None
        if outcome not in OUTCOMES:
            return Decision(REJECTED, time.time(), "unknown decision")
        return Decision(outcome, float(data.get("time") or 0.0), str(data.get("by") or ""))

    def expire(self, approval_id: str) -> Decision:
        """Record a time-out unless a human decided first; returns the decision that stands."""
        self._publish(
            self._decision_path(approval_id), {"outcome": TIMED_OUT, "time": time.time(), "by": "gateway"}
        )
        return self.decision(approval_id) or Decision(TIMED_OUT, time.time(), "gateway")

    def remove(self, approval_id: str) -> None:
        """Forget a held call once its decision has been used."""
        for path in (self._request_path(approval_id), self._decision_path(approval_id)):
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    # The human's side -----------------------------------------------------------------------

    def get(self, approval_id: str) -> PendingApproval:
        """A held call by id; ApprovalError if there is no such call."""
        _check_id(approval_id)
        try:
            data = json.loads(self._request_path(approval_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ApprovalError(f"no call is waiting with id {approval_id}") from None
        except (OSError, ValueError) as exc:
            raise ApprovalError(f"the request file for {approval_id} cannot be read: {exc}") from None
        return PendingApproval.from_json(data)

    def answer(self, approval_id: str, approved: bool, *, by: str = "") -> Decision:
        """Approve or reject a held call. Returns the decision that stands, which is another one
        if the gateway timed out or someone else answered first. ApprovalError if unknown."""
        request = self.get(approval_id)
        outcome = APPROVED if approved else REJECTED
        if time.time() > request.expires and self.decision(approval_id) is None:
            # Too late: the gateway is about to answer the agent (or is gone). Record the
            # time-out ourselves so the answer shown is the one that counts.
            return self.expire(approval_id)
        self._publish(self._decision_path(approval_id), {"outcome": outcome, "time": time.time(), "by": by})
        return self.decision(approval_id) or Decision(outcome, time.time(), by)

    def pending(self, now: float | None = None) -> list[PendingApproval]:
        """Calls still waiting for a human, oldest first. Cleans up requests of dead gateways."""
        now = time.time() if now is None else now
        waiting: list[PendingApproval] = []
        try:
            entries = list(self.folder.glob("*.json"))
        except OSError:
            return []
        for path in entries:
            approval_id = path.stem
            if not _ID_RE.match(approval_id):
                continue
            try:
                request = PendingApproval.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if self.decision(approval_id) is not None:
                continue
            if now > request.expires:
                if now > request.expires + STALE_AFTER and not _alive(request.pid):
                    self.remove(approval_id)
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
