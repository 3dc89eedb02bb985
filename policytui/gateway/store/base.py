"""The one interface to the gateway's shared state: rate-limit counters and held calls.

Every front end (the gateway, `policytui approvals`, `policytui counters`) reads and writes
state through a `StateStore`, so they always agree on what is counted and what is waiting.

Counters: `reserve` checks and charges all the budgets a call needs in one atomic step, or none
of them; the windows are aligned to UTC by the store's own clock (Redis TIME for Redis, the
machine's clock for SQLite and memory), so replicas whose clocks drift still share one window.
`refund` gives back a reservation when the call never reached the tool.

Approvals: a held call is a request record; whoever decides it writes one decision record,
and the first decision written is the one that stands (an atomic "insert if absent"). Once the
gateway is done with a decided call it settles the record: it writes what became of the call
(sent to the server or not, and why) and keeps the request without its arguments until the
store's clean-up, so whoever answered, or answers late, learns what happened.

A store that cannot be reached raises `StateUnavailable` from any operation; the caller
decides what that means (the gateway denies the call unless told to fail open).
"""

from __future__ import annotations

import asyncio
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from policytui.decision.counters import Budget
from policytui.gateway.jsonenc import encoder
from policytui.policy.model import WINDOW_SECONDS

T = TypeVar("T")


class StateConfigError(Exception):
    """The state store cannot be used as configured; `str()` is one sentence for the user."""


class StateURLError(StateConfigError):
    """The `--state` URL itself is wrong (a usage error, found before anything is opened)."""


class StateUnavailable(Exception):
    """The state store did not answer (down, unreachable, locked too long, disk full)."""


@dataclass(frozen=True)
class Reservation:
    """The outcome of `reserve`.

    `denied` is the index of the first full budget (nothing was charged), or None when every
    budget was charged. `now` is the store's clock at that moment; `charged` holds, per budget,
    its stored name and the window start charged, which `refund` needs.
    """

    now: float
    denied: int | None = None
    charged: tuple[tuple[str, int], ...] = ()

    @property
    def allowed(self) -> bool:
        return self.denied is None


NOTHING_RESERVED = Reservation(now=0.0)


@dataclass(frozen=True)
class CounterUse:
    """One counter's use in its current window, as `policytui counters` shows it."""

    policy: str
    counter: str
    scope: str
    scope_id: str
    window: str
    used: int
    window_start: int

    @property
    def window_end(self) -> int:
        return self.window_start + WINDOW_SECONDS[self.window]

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "counter": self.counter,
            "scope": self.scope,
            "scope_id": self.scope_id,
            "window": self.window,
            "used": self.used,
            "window_start": self.window_start,
            "window_end": self.window_end,
        }


@dataclass
class StoredApproval:
    """A held call as stored: its request, its decision once someone decided, and what became
    of the call once its gateway settled it (`StateStore.settle_approval`)."""

    request: dict[str, Any]
    decision: dict[str, Any] | None = field(default=None)
    result: dict[str, Any] | None = field(default=None)


def stored_approval(request_text: str, decision_text: str | None, result_text: str | None = None) -> StoredApproval:
    """A held call from its stored JSON texts. A decision or result that cannot be read still
    counts as written (the reader then fails closed: `ApprovalQueue.decision` rejects it)."""
    try:
        request = json.loads(request_text)
    except ValueError:
        request = {}
    return StoredApproval(request if isinstance(request, dict) else {}, _record(decision_text), _record(result_text))


def _record(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = None
    return loaded if isinstance(loaded, dict) else {"outcome": "unreadable"}


def counter_name(policy: str, budget: Budget) -> str:
    """The stored name of a budget: JSON [policy, counter, scope, scope id, window].

    JSON keeps names apart whatever characters a policy, grant or session id holds, and reads
    plainly in `redis-cli` or `sqlite3`. The window start is not part of the name: a counter
    keeps one record, reset when a new window begins.
    """
    key = budget.key
    return _name_encoder([policy, key.counter, key.scope, key.scope_id, key.window])


# Built once (json.dumps with an option builds an encoder per call; this runs per call).
_name_encoder = encoder(ensure_ascii=False)


def counter_name_prefix(policy: str) -> str:
    """How every stored counter name of `policy` begins (see `counter_name`)."""
    return _name_encoder([policy])[:-1] + ","


def renamed_counter(name: str, policy: str) -> str | None:
    """A stored counter name with its policy replaced, or None if the name is foreign."""
    parts = split_counter_name(name)
    return None if parts is None else _name_encoder([policy, *parts[1]])


def split_counter_name(name: str) -> tuple[str, list[Any]] | None:
    """(policy, [counter, scope, scope_id, window]) from a stored name, or None if foreign."""
    try:
        parts = json.loads(name)
    except ValueError:
        return None
    if not (
        isinstance(parts, list)
        and len(parts) == 5
        and all(isinstance(p, str) for p in parts)
        and parts[4] in WINDOW_SECONDS
    ):
        return None
    return parts[0], parts[1:]


async def run_in_store(store: StateStore, operation: Callable[..., T], *args: Any) -> T:
    """`operation(*args)` on the event loop, or in a worker thread for a network store."""
    if not store.blocking:
        return operation(*args)
    import anyio

    return await anyio.to_thread.run_sync(operation, *args)


async def run_to_the_end(
    store: StateStore, operation: Callable[..., T], *args: Any
) -> tuple[asyncio.Future[T], bool]:
    """`run_in_store(store, operation, *args)` carried through to its end even when the caller
    is cancelled meanwhile: (the ended operation, with its result or exception; whether the
    caller was cancelled meanwhile, once or more).

    A cancelled `run_in_store` returns at once while its worker thread goes on, so what the
    store does then (a charge, a refund, a held call's record) would happen behind the back of
    a caller that has already moved on. Here the caller learns what the store did, deals with
    it (a refund, an audit line), then raises the cancellation itself. A store on the network
    bounds each operation (`policytui.gateway.store.redis_store.SOCKET_TIMEOUT`), so the wait
    is bounded too.
    """
    work = asyncio.ensure_future(run_in_store(store, operation, *args))
    cancelled = False
    while not work.done():
        try:
            await asyncio.wait({work})
        except asyncio.CancelledError:
            cancelled = True
    return work, cancelled


class StateStore(ABC):
    """Counters and held calls, shared by every process that opens the same store."""

    #: What the store is, for messages: a URL without any password.
    description: str = ""
    #: True when an operation waits on the network (Redis): the gateway then runs it in a
    #: worker thread, so a store that hangs cannot stall the calls that do not need it.
    #: Memory and SQLite operations take microseconds and run in place.
    blocking: bool = False
    #: True when only processes on this machine can share the store (SQLite, memory): they all
    #: see one policy file by one path, so counters can be kept under that path.
    machine_local: bool = True

    def __init__(self, policy: str = "", clock: Callable[[], float] = time.time) -> None:
        # Counters are kept apart per policy; held calls are shared by all (they carry their server).
        self.policy = policy
        self.clock = clock

    def for_policy(self, policy: str) -> StateStore:
        """This store, counting for `policy`."""
        self.policy = policy
        return self

    # Counters ---------------------------------------------------------------------------------

    @abstractmethod
    def reserve(self, budgets: Sequence[Budget]) -> Reservation:
        """Charge one call to every budget if none is full; otherwise charge nothing."""

    @abstractmethod
    def refund(self, reservation: Reservation) -> None:
        """Give back a reservation's charges (never below zero; a past window is left alone)."""

    @abstractmethod
    def usage(self) -> list[CounterUse]:
        """Every counter with use in its current window, all policies."""

    def carry_over(self, old_policy: str) -> None:
        """Let counters kept under `old_policy` in their current window count on under this
        store's policy (a counter already kept under it is left alone). Only a store that
        outlives the gateway and changed how it keys counters has any to carry over."""
        return None

    # Held calls -------------------------------------------------------------------------------

    @abstractmethod
    def put_request(self, approval_id: str, request: dict[str, Any], expires: float) -> bool:
        """Store a new held call; False if the id is taken."""

    @abstractmethod
    def get_approval(self, approval_id: str) -> StoredApproval | None:
        """A held call with its decision, or None if there is none by that id."""

    @abstractmethod
    def put_decision(self, approval_id: str, decision: dict[str, Any]) -> bool:
        """Record a decision unless one stands already; False if one did."""

    @abstractmethod
    def settle_approval(self, approval_id: str, request: dict[str, Any], result: dict[str, Any]) -> bool:
        """Record what became of a decided call and replace its request by `request` (the same
        without its arguments), keeping the record until the store's clean-up; False if there
        is no such call. Only the gateway that holds the call writes this, once."""

    @abstractmethod
    def approvals(self) -> list[StoredApproval]:
        """Every held call the store knows, decided or not."""

    @abstractmethod
    def remove_approval(self, approval_id: str) -> None:
        """Forget a held call and its decision."""

    # Life -------------------------------------------------------------------------------------

    def check(self) -> None:
        """Raise StateConfigError if the store can never work as configured (bad credentials,
        no such database); StateUnavailable if it is only unreachable for now."""
        return None

    def close(self) -> None:
        """Release connections and files."""
        return None
