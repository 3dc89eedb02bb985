"""The state-store contract, checked the same way on memory, SQLite and a real Redis.

Counters: all of a call's budgets are charged together or not at all, refunds never go below
zero nor touch a later window, windows are UTC-aligned. Held calls: the first decision stands.
Exactness across processes: many OS processes hammering one SQLite file or one Redis never
charge past a budget.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from state_support import RedisServer

from policytui.decision import Budget, CounterKey
from policytui.gateway.approvals import ApprovalQueue, PendingApproval
from policytui.gateway.store import StateStore, StateURLError, open_store
from policytui.gateway.store.memory import MemoryStore
from policytui.gateway.store.sqlite import SQLiteStore


def _budget(counter: str, maximum: int, scope: str = "global", scope_id: str = "*", window: str = "day") -> Budget:
    return Budget(CounterKey(counter, scope, scope_id, window, 0), maximum, f"rule.{counter}")


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "memory":
        yield MemoryStore(policy="p")
        return
    if request.param == "sqlite":
        sqlite = SQLiteStore(tmp_path / "state.sqlite", policy="p")
        yield sqlite
        sqlite.close()
        return
    server = RedisServer(tmp_path / "redis").start()
    redis_store = open_store(server.url, tmp_path, policy="p")
    redis_store.check()
    try:
        yield redis_store
    finally:
        redis_store.close()
        server.stop()


def test_a_call_charges_all_its_budgets_or_none(store: StateStore) -> None:
    tight, wide = _budget("tight", 2), _budget("wide", 5)
    results = [store.reserve((wide, tight)) for _ in range(4)]
    assert [r.denied for r in results] == [None, None, 1, 1]
    # The denied calls charged nothing: the wide budget has 3 left, not 1.
    assert [store.reserve((wide,)).allowed for _ in range(4)] == [True, True, True, False]
    used = {u.counter: u.used for u in store.usage()}
    assert used == {"tight": 2, "wide": 5}


def test_refunds_give_back_once_and_never_below_zero(store: StateStore) -> None:
    budget = _budget("b", 1)
    first = store.reserve((budget,))
    assert not store.reserve((budget,)).allowed
    store.refund(first)
    store.refund(first)  # a second refund of the same reservation cannot create budget
    assert store.reserve((budget,)).allowed
    assert not store.reserve((budget,)).allowed


def test_scopes_and_policies_never_share_a_budget(store: StateStore) -> None:
    alice, bob = _budget("c", 1, "grant", "alice"), _budget("c", 1, "grant", "bob")
    assert store.reserve((alice,)).allowed and store.reserve((bob,)).allowed
    assert not store.reserve((alice,)).allowed
    other_policy = store.for_policy("q")
    assert other_policy.reserve((alice,)).allowed
    # Ids that look like separators stay apart too.
    odd1, odd2 = _budget("c", 1, "session", 'a", "b'), _budget("c", 1, "session", "a")
    assert store.reserve((odd1,)).allowed and store.reserve((odd2,)).allowed


def test_windows_are_utc_aligned_on_the_store_clock(store: StateStore) -> None:
    reservation = store.reserve((_budget("m", 5, window="minute"), _budget("h", 5, window="hour")))
    (_, minute_start), (_, hour_start) = reservation.charged
    assert minute_start % 60 == 0 and hour_start % 3600 == 0
    assert minute_start <= reservation.now < minute_start + 60
    assert abs(reservation.now - time.time()) < 5


def test_a_new_window_starts_from_zero() -> None:
    now = [1_800_000_000.0 - 1]  # one second before a UTC minute boundary
    store = MemoryStore(policy="p", clock=lambda: now[0])
    budget = _budget("m", 1, window="minute")
    charged = store.reserve((budget,))
    assert not store.reserve((budget,)).allowed
    now[0] += 2
    assert store.reserve((budget,)).allowed
    store.refund(charged)  # the old window's refund leaves the new window alone
    assert not store.reserve((budget,)).allowed


def test_the_first_decision_on_a_held_call_stands(store: StateStore) -> None:
    queue = ApprovalQueue(store)
    now = time.time()
    request = queue.submit(
        PendingApproval(id="", tool="rm", arguments={"path": "/x"}, args_sha256="0" * 64, reason="why",
                        rule="tools.rm.action", created=now, expires=now + 30)
    )
    assert [p.id for p in queue.pending()] == [request.id]
    assert queue.get(request.id).arguments == {"path": "/x"}
    assert queue.answer(request.id, False, by="ann").outcome == "rejected"
    assert queue.answer(request.id, True, by="bob").outcome == "rejected"
    assert queue.expire(request.id).outcome == "rejected"
    assert queue.pending() == []
    queue.remove(request.id)
    assert store.approvals() == []


def _hammer(url: str, state_dir: str, calls: int, start: float, out: multiprocessing.Queue[int]) -> None:
    store = open_store(url or None, Path(state_dir), policy="p")
    budgets = (_budget("shared", 25), _budget("wide", 1000))
    while time.time() < start:
        time.sleep(0.001)
    allowed = sum(1 for _ in range(calls) if store.reserve(budgets).allowed)
    out.put(allowed)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_many_processes_never_charge_past_a_budget(kind: str, tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start() if kind == "redis" else None
    try:
        url = server.url if server else ""
        context = multiprocessing.get_context("spawn")
        out: multiprocessing.Queue[int] = context.Queue()
        start = time.time() + 2.0
        workers = [context.Process(target=_hammer, args=(url, str(tmp_path / "state"), 40, start, out)) for _ in range(6)]
        for worker in workers:
            worker.start()
        totals = [out.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(30)
        assert sum(totals) == 25
        store = open_store(url or None, tmp_path / "state", policy="p")
        assert {u.counter: u.used for u in store.usage()} == {"shared": 25, "wide": 25}
    finally:
        if server:
            server.stop()


@pytest.mark.parametrize(
    "url, words",
    [
        ("postgres://db/x", "--state wants memory://, sqlite:///PATH or redis://HOST:PORT/DB"),
        ("state.sqlite", "--state wants"),
        ("sqlite://relative.db", "absolute path"),
        ("memory://x", "memory:// takes nothing"),
        ("redis://127.0.0.1:notaport/0", "port must be a number"),
        ("redis:///0", "names no host"),
        ("redis://127.0.0.1:6379/zero", "database after the host must be a number"),
        ("redis://127.0.0.1:6379/0?prefix=a%20b", "prefix must be"),
        ("redis://127.0.0.1:6379/0?db=2", "unknown URL option 'db'"),
    ],
)
def test_bad_urls_are_one_sentence(url: str, words: str, tmp_path: Path) -> None:
    with pytest.raises(StateURLError) as caught:
        open_store(url, tmp_path)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_passwords_never_show_in_a_description(tmp_path: Path) -> None:
    store = open_store("redis://user:s3cret@127.0.0.1:6390/2?prefix=prod", tmp_path)
    assert store.description == "redis://127.0.0.1:6390/2"
    with pytest.raises(StateURLError) as caught:
        open_store("redis://user:s3cret@127.0.0.1:6390/x", tmp_path)
    assert "s3cret" not in str(caught.value)
