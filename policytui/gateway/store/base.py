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

The gateway's event loop never waits for a store. A store on the network (`blocking`) is
always spoken to from a worker thread. A local one answers in place (`try_now`) unless it
would have to wait (a state file locked by another program): it then raises `StoreBusy`,
having done nothing, and the operation is handed to a thread of the store's own
(`hand_over`), which waits for it there while the other calls go on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

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


class StoreLocked(StateUnavailable):
    """A local store stayed locked by another program for the whole time an operation could
    wait for it (`SQLiteStore`: 5 s): nothing was done, and the same operation may well be
    made once the lock is let go."""


class StoreGaveUp(StateUnavailable):
    """An operation handed over (`StateStore.hand_over`) was abandoned while it waited for the
    store (its caller was cancelled): nothing was done."""


class StoreBusy(Exception):
    """`StateStore.try_now` would have had to wait for the store (a lock another program
    holds, or operations handed over before it still waiting): nothing was done."""


class HandedOver(Generic[T]):
    """An operation handed to a store's own thread (`StateStore.hand_over`): `future` ends
    with its result or its exception, never cancelled; `abandon` makes it give up waiting."""

    def __init__(self, seconds: float) -> None:
        self.future: concurrent.futures.Future[T] = concurrent.futures.Future()
        # How long it may wait for the store, counted from when it was handed over: one queued
        # behind others waits no longer in all than one tried at once.
        self.deadline = time.monotonic() + seconds
        self.given_up = threading.Event()
        # Taken once: by the store's thread as it starts the operation, or by `abandon` before
        # that, which ends it there and then.
        self._claimed = threading.Lock()

    def start(self) -> bool:
        """Whether the operation may be run now (it is, once): False when it was abandoned
        before its turn came, and has ended already."""
        return self._claimed.acquire(blocking=False)

    def abandon(self) -> None:
        """Stop waiting for the store: unless it is already done, the operation ends with
        `StoreGaveUp`, having done nothing. One not started yet ends now: a cancelled call does
        not wait for the operations ahead of it (a refund, a held call's record, each waiting
        for a locked file), nor does a gateway that stops for it."""
        self.given_up.set()
        if self.start():
            self.future.set_exception(StoreGaveUp("the wait for the state store was given up"))


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

    A local store (not `blocking`) runs the operation on its own thread (`hand_over`), in order
    after the operations handed to it before. A cancellation there makes an operation still
    waiting for the store give up (`StoreGaveUp`, nothing done), so a cancelled call does not
    wait out a lock another program holds, nor the operations ahead of it in the queue.
    """
    handed: HandedOver[T] | None = None
    if store.blocking:
        work: asyncio.Future[T] = asyncio.ensure_future(run_in_store(store, operation, *args))
    else:
        handed = store.hand_over(operation, *args)
        work = asyncio.wrap_future(handed.future)
    cancelled = False
    while not work.done():
        try:
            await asyncio.wait({work})
        except asyncio.CancelledError:
            cancelled = True
            if handed is not None:
                handed.abandon()
    return work, cancelled


class StateStore(ABC):
    """Counters and held calls, shared by every process that opens the same store."""

    #: What the store is, for messages: a URL without any password.
    description: str = ""
    #: True when an operation waits on the network (Redis): the gateway then runs it in a
    #: worker thread, so a store that hangs cannot stall the calls that do not need it.
    #: Memory and SQLite operations take microseconds and run in place (`try_now`); a SQLite
    #: one that would wait for a lock is handed to the store's own thread (`hand_over`).
    blocking: bool = False
    #: True when only processes on this machine can share the store (SQLite, memory): they all
    #: see one policy file by one path, so counters can be kept under that path.
    machine_local: bool = True
    #: Set by `close` when it could not give back what this process holds in a store shared with
    #: others (SQLite's leased calls, its file locked by another program): one sentence saying
    #: what stays counted and until when. Empty when everything was given back.
    unreleased: str = ""

    def __init__(self, policy: str = "", clock: Callable[[], float] = time.time) -> None:
        # Counters are kept apart per policy; held calls are shared by all (they carry their server).
        self.policy = policy
        self.clock = clock

    def for_policy(self, policy: str) -> StateStore:
        """This store, counting for `policy`."""
        self.policy = policy
        return self

    def note_policy(self, fingerprint: str) -> list[int]:
        """Record that a gateway counting for this policy started with the policy file whose
        content is `fingerprint`; how long ago (seconds) other contents were recorded under the
        same policy in the last day, which count in the same counters. Only a store that keys
        counters by the policy's file name (Redis) can meet another policy that way."""
        return []

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

    def follow_policy(self, policy: str) -> None:
        """The policy file's path now leads to the file kept under `policy` (a symbolic link
        switched to another file): count under `policy` from now on, as every gateway started
        since does, with what is counted under the current key in the current windows carried
        over where it is larger. Only a store other processes share by the file's path (SQLite)
        changes key; one this process alone uses (memory), or one keyed by the file's name
        (Redis), counts where it did."""
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

    # Without waiting ----------------------------------------------------------------------

    def try_now(self, operation: Callable[..., T], *args: Any) -> T:
        """`operation(*args)` (one of this store's operations) in place, if the store can do it
        without waiting; else `StoreBusy`, with nothing done, and the caller hands it over
        (`hand_over`). The store's other failures are raised as they are."""
        return operation(*args)

    def read_now(self, operation: Callable[..., T], *args: Any) -> T:
        """A read (`operation` writes nothing) in place, as `try_now`, but not held behind the
        operations handed over before and still waiting: those write other records, and reading
        needs no lock. `StoreBusy` when it cannot be read without waiting."""
        return self.try_now(operation, *args)

    def hand_over(self, operation: Callable[..., T], *args: Any) -> HandedOver[T]:
        """`operation(*args)` on a thread of the store's own, after every operation handed over
        before it, waiting for the store as long as the store's time-out allows (counted from
        now). A store that never waits runs it here."""
        handed: HandedOver[T] = HandedOver(0.0)
        handed.start()
        try:
            handed.future.set_result(operation(*args))
        except Exception as exc:  # noqa: BLE001 - handed to whoever reads the future
            handed.future.set_exception(exc)
        return handed

    # Life -------------------------------------------------------------------------------------

    def check(self) -> None:
        """Raise StateConfigError if the store can never work as configured (bad credentials,
        no such database); StateUnavailable if it is only unreachable for now."""
        return None

    def close(self) -> None:
        """Release connections and files, and give back what this process holds in the store
        (see `unreleased`)."""
        return None
