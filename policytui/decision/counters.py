"""Rate-limit counters: fixed windows aligned to UTC, shared by counter name and scope.

A minute window runs from :00 to :59 of a UTC minute, an hour from the top of the UTC hour, a day
from UTC midnight. Counters with the same name and scope share one budget whatever tool charges
them. The decision engine only reads counts; the caller charges them when it forwards a call and
refunds them if the upstream call fails, so a failed call costs the agent nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from policytui.policy.rules import WINDOW_SECONDS


@dataclass(frozen=True, slots=True)
class CounterKey:
    """One budget: a counter name in one scope (grant, session or global) and one window."""

    counter: str
    scope: str
    scope_id: str
    window: str
    window_start: int

    def describe(self) -> str:
        who = "all callers" if self.scope == "global" else f"{self.scope} {self.scope_id}"
        return f"{self.counter} per {self.window} for {who}"


@dataclass(frozen=True, slots=True)
class Budget:
    """A counter a call charges, with the most it may reach and the rule that set it.

    A state store checks and charges all budgets of a call in one atomic step; when one is
    full it names that budget, and the call is denied by `rule`.
    """

    key: CounterKey
    max: int
    rule: str


def window_start(window: str, now: float) -> int:
    """The UTC-aligned start (epoch seconds) of the window that contains `now`."""
    size = WINDOW_SECONDS[window]
    return int(now // size) * size


def seconds_left(window: str, now: float) -> int:
    """Whole seconds until the window containing `now` ends (at least 1)."""
    end = window_start(window, now) + WINDOW_SECONDS[window]
    return max(1, math.ceil(end - now))


class CounterStore:
    """In-memory counts per key. Old windows are dropped as time moves on."""

    def __init__(self) -> None:
        self._counts: dict[CounterKey, int] = {}

    def count(self, key: CounterKey) -> int:
        return self._counts.get(key, 0)

    def charge(self, keys: tuple[CounterKey, ...] | list[CounterKey]) -> None:
        for key in keys:
            self._counts[key] = self._counts.get(key, 0) + 1

    def refund(self, keys: tuple[CounterKey, ...] | list[CounterKey]) -> None:
        for key in keys:
            left = self._counts.get(key, 0) - 1
            if left > 0:
                self._counts[key] = left
            else:
                self._counts.pop(key, None)

    def expire(self, now: float) -> None:
        """Forget windows that have ended, so a long-running gateway does not grow without end."""
        stale = [k for k in self._counts if k.window_start + WINDOW_SECONDS[k.window] <= now]
        for key in stale:
            del self._counts[key]

    def snapshot(self) -> dict[CounterKey, int]:
        return dict(self._counts)
