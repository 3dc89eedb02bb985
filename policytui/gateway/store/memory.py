"""`memory://`: state inside one process, gone when it exits. For tests and one-off runs."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from typing import Any

from policytui.decision.counters import Budget, window_start
from policytui.gateway.store.base import (
    CounterUse,
    Reservation,
    StateStore,
    StoredApproval,
    counter_name,
    split_counter_name,
)
from policytui.policy.model import WINDOW_SECONDS

# A held call's record is kept this long after it expired, as the other stores keep it.
KEEP_EXPIRED = 300.0


class MemoryStore(StateStore):
    description = "memory://"

    def __init__(self, policy: str = "", clock: Callable[[], float] | None = None) -> None:
        import time

        super().__init__(policy, clock or time.time)
        # stored name -> (window start, used)
        self._counts: dict[str, tuple[int, int]] = {}
        # stored name -> when its window ends, kept as it is charged: the sweep then reads no
        # names (it parsed every one, each second of the clock, which a replay's recorded
        # clock passes at almost every call: a third of a 10,000-call replay's time).
        self._ends: dict[str, float] = {}
        self._approvals: dict[str, StoredApproval] = {}
        self._expires: dict[str, float] = {}
        self._lock = threading.Lock()  # the approver may answer from a worker thread
        self._swept_at = 0.0

    def reserve(self, budgets: Sequence[Budget]) -> Reservation:
        now = self.clock()
        with self._lock:
            self._sweep(now)
            plan: list[tuple[str, int, int]] = []
            for index, budget in enumerate(budgets):
                name = counter_name(self.policy, budget)
                start = window_start(budget.key.window, now)
                stored_start, used = self._counts.get(name, (start, 0))
                used = used if stored_start == start else 0
                if used + 1 > budget.max:
                    return Reservation(now=now, denied=index)
                plan.append((name, start, used + 1))
            for (name, start, used), budget in zip(plan, budgets, strict=False):
                self._counts[name] = (start, used)
                self._ends[name] = start + WINDOW_SECONDS[budget.key.window]
        return Reservation(now=now, charged=tuple((name, start) for name, start, _ in plan))

    def refund(self, reservation: Reservation) -> None:
        with self._lock:
            for name, start in reservation.charged:
                stored = self._counts.get(name)
                if stored is not None and stored[0] == start:
                    self._counts[name] = (start, max(0, stored[1] - 1))

    def usage(self) -> list[CounterUse]:
        now = self.clock()
        found: list[CounterUse] = []
        with self._lock:
            for name, (start, used) in self._counts.items():
                parts = split_counter_name(name)
                if parts is None or used <= 0:
                    continue
                policy, (counter, scope, scope_id, window) = parts
                if start != window_start(window, now):
                    continue
                found.append(CounterUse(policy, counter, scope, scope_id, window, used, start))
        return found

    def _sweep(self, now: float) -> None:
        """Forget ended windows now and then, so a long run does not grow without end."""
        if now - self._swept_at < 1.0:
            return
        self._swept_at = now
        ended = [name for name, end in self._ends.items() if end <= now]
        for name in ended:
            del self._counts[name]
            del self._ends[name]

    def put_request(self, approval_id: str, request: dict[str, Any], expires: float) -> bool:
        import time

        with self._lock:
            # Settled records stay for a late answer to read, until they are this old.
            for old in [i for i, at in self._expires.items() if at < time.time() - KEEP_EXPIRED]:
                self._approvals.pop(old, None)
                del self._expires[old]
            if approval_id in self._approvals:
                return False
            self._approvals[approval_id] = StoredApproval(copy.deepcopy(request))
            self._expires[approval_id] = expires
            return True

    def get_approval(self, approval_id: str) -> StoredApproval | None:
        with self._lock:
            stored = self._approvals.get(approval_id)
            return copy.deepcopy(stored)

    def put_decision(self, approval_id: str, decision: dict[str, Any]) -> bool:
        with self._lock:
            stored = self._approvals.get(approval_id)
            if stored is None or stored.decision is not None:
                return False
            stored.decision = dict(decision)
            return True

    def settle_approval(self, approval_id: str, request: dict[str, Any], result: dict[str, Any]) -> bool:
        with self._lock:
            stored = self._approvals.get(approval_id)
            if stored is None:
                return False
            stored.request = copy.deepcopy(request)
            stored.result = dict(result)
            return True

    def approvals(self) -> list[StoredApproval]:
        with self._lock:
            return [copy.deepcopy(a) for a in self._approvals.values()]

    def remove_approval(self, approval_id: str) -> None:
        with self._lock:
            self._approvals.pop(approval_id, None)
            self._expires.pop(approval_id, None)
