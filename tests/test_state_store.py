"""The state-store contract, checked the same way on memory, SQLite and a real Redis.

Counters: all of a call's budgets are charged together or not at all, refunds never go below
zero nor touch a later window, windows are UTC-aligned. Held calls: the first decision stands.
Exactness across processes: many OS processes hammering one SQLite file or one Redis never
charge past a budget.
"""

from __future__ import annotations

import multiprocessing
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from audit_support import outcome_lines
from state_support import RedisServer, free_port

from policytui.decision import Budget, Caller, CounterKey
from policytui.gateway.approvals import ApprovalQueue, PendingApproval
from policytui.gateway.audit import AuditLog
from policytui.gateway.enforcer import Enforcer, UpstreamFailure
from policytui.gateway.store import (
    Reservation,
    StateStore,
    StateUnavailable,
    StateURLError,
    StoreBusy,
    open_store,
)
from policytui.gateway.store.memory import MemoryStore
from policytui.gateway.store.sqlite import SQLiteStore
from policytui.policy.model import Policy

pytestmark = pytest.mark.usefixtures("one_window")


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


def test_the_memory_store_forgets_ended_windows_and_keeps_the_live_ones() -> None:
    """A long run (a gateway on memory://, a replay of a day's recording) does not keep every
    window it ever charged: a minute's counters go once the minute has ended, an hour's that
    is still running stays and counts on."""
    now = [1_800_000_000.0]  # the start of an hour (and of a minute)
    store = MemoryStore(policy="p", clock=lambda: now[0])
    for session in range(500):
        assert store.reserve((_budget("calls", 5, "session", f"s{session}", "minute"),)).allowed
    assert store.reserve((_budget("hourly", 5, window="hour"),)).allowed
    assert len(store._counts) == 501
    now[0] += 120  # two minutes on: the minute windows have ended, the hour has not
    assert store.reserve((_budget("hourly", 5, window="hour"),)).allowed
    assert len(store._counts) == 1, "the ended minute windows were kept"
    assert {(u.counter, u.used) for u in store.usage()} == {("hourly", 2)}
    now[0] += 3600
    assert store.reserve((_budget("calls", 5, "session", "s0", "minute"),)).allowed
    assert {(u.counter, u.used) for u in store.usage()} == {("calls", 1)}
    assert len(store._counts) == 1


def test_the_state_file_is_the_owners_alone(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state" / "state.sqlite", policy="p")
    store.reserve((_budget("c", 5),))  # the write-ahead log exists now too
    for path in (tmp_path / "state" / "state.sqlite", tmp_path / "state" / "state.sqlite-wal"):
        assert oct(path.stat().st_mode & 0o777) == oct(0o600), path
    assert oct((tmp_path / "state").stat().st_mode & 0o777) == oct(0o700)
    store.close()


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_new_window_starts_from_zero(kind: str, tmp_path: Path) -> None:
    now = [1_800_000_000.0 - 1]  # one second before a UTC minute boundary
    if kind == "memory":
        store: StateStore = MemoryStore(policy="p", clock=lambda: now[0])
    else:
        store = SQLiteStore(tmp_path / "state.sqlite", policy="p", clock=lambda: now[0])
        store.reserve((_budget("warm", 5),))  # the first call sweeps; the rest take the one-budget path
    try:
        budget = _budget("m", 2, window="minute")
        charged = store.reserve((budget,))
        assert store.reserve((budget,)).allowed and not store.reserve((budget,)).allowed
        now[0] += 2
        assert store.reserve((budget,)).allowed and store.reserve((budget,)).allowed
        store.refund(charged)  # the old window's refund leaves the new window alone
        assert not store.reserve((budget,)).allowed
    finally:
        store.close()


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
    try:
        allowed = sum(1 for _ in range(calls) if store.reserve(budgets).allowed)
    finally:
        store.close()
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
        try:
            assert {u.counter: u.used for u in store.usage()} == {"shared": 25, "wide": 25}
        finally:
            store.close()
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
    try:
        assert store.description == "redis://127.0.0.1:6390/2?prefix=prod"
    finally:
        store.close()  # its connection pool, even though nothing was sent
    with pytest.raises(StateURLError) as caught:
        open_store("redis://user:s3cret@127.0.0.1:6390/x", tmp_path)
    assert "s3cret" not in str(caught.value)


async def test_the_enforcer_refunds_a_refused_call_in_the_shared_store(tmp_path: Path) -> None:

    policy = Policy.from_document(
        {"version": "1", "default": "deny", "tools": {"t": {"limits": [{"counter": "c", "window": "day", "max": 1}]}}}
    )
    shared = [SQLiteStore(tmp_path / "state.sqlite", policy="p") for _ in range(2)]  # two gateways
    enforcers = [Enforcer(lambda: policy, audit=AuditLog(None), store=s) for s in shared]
    caller = Caller("alice", "s")

    async def refused() -> dict[str, object]:
        raise UpstreamFailure("error", RuntimeError("the server refused the call"))

    async def ok() -> dict[str, object]:
        return {"content": []}

    async def never(decision: object) -> object:
        raise AssertionError

    try:
        with pytest.raises(RuntimeError):
            await enforcers[0].handle_call("t", {}, caller, refused, never)
        assert not (await enforcers[1].handle_call("t", {}, caller, ok, never)).get("isError")
        denied = await enforcers[0].handle_call("t", {}, caller, ok, never)
        assert denied["isError"] is True and "rate limit 1 per day reached" in denied["content"][0]["text"]
    finally:
        for store in shared:
            store.close()


async def test_the_enforcer_fails_closed_when_the_store_is_gone(tmp_path: Path) -> None:


    policy = Policy.from_document(
        {"version": "1", "default": "allow", "tools": {"t": {"limits": [{"counter": "c", "window": "day", "max": 9}]}}}
    )
    gone = open_store(f"redis://127.0.0.1:{free_port()}/0", tmp_path, policy="p")  # nothing listens there
    audit_path = tmp_path / "audit.jsonl"
    closed = Enforcer(lambda: policy, audit=AuditLog(audit_path), store=gone)
    opened = Enforcer(lambda: policy, audit=AuditLog(audit_path), store=gone, fail_open=True)
    caller = Caller("alice", "s")

    async def ok() -> dict[str, object]:
        return {"content": [{"type": "text", "text": "ran"}]}

    async def never(decision: object) -> object:
        raise AssertionError

    denied = await closed.handle_call("t", {}, caller, ok, never)
    assert denied == {"content": [{"type": "text", "text": "[POLICY DENIED] rate-limit state unavailable; retry shortly"}], "isError": True}
    assert (await closed.handle_call("free", {}, caller, ok, never))["content"][0]["text"] == "ran"
    assert (await opened.handle_call("t", {}, caller, ok, never))["content"][0]["text"] == "ran"
    lines = outcome_lines(audit_path)
    assert [(line["tool"], line["decision"], line.get("state")) for line in lines] == [
        ("t", "denied", "unavailable"), ("free", "allowed", None), ("t", "allowed", "unavailable"),
    ]
    assert lines[0]["rule"] == "state"


@pytest.mark.parametrize("pair", [False, True], ids=["one budget", "two budgets"])
def test_a_process_with_a_clock_behind_counts_in_the_newest_window(pair: bool, tmp_path: Path) -> None:
    """Two gateways share a SQLite file; one's clock is a minute behind. Its calls count in the
    window the other already charged, never in a window of their own that starts over."""
    ahead_now, behind_now = [1_800_000_000.0 + 5], [1_800_000_000.0 - 55]
    ahead = SQLiteStore(tmp_path / "state.sqlite", policy="p", clock=lambda: ahead_now[0])
    behind = SQLiteStore(tmp_path / "state.sqlite", policy="p", clock=lambda: behind_now[0])
    for store in (ahead, behind):
        store.reserve((_budget("warm", 5),))  # past the first call's sweep
    budgets = (_budget("m", 3, window="minute"),) + ((_budget("wide", 100),) if pair else ())
    assert ahead.reserve(budgets).allowed
    assert behind.reserve(budgets).allowed and behind.reserve(budgets).allowed
    assert behind.reserve(budgets).denied == 0
    assert not ahead.reserve(budgets).allowed
    ahead.close()
    behind.close()


@pytest.mark.parametrize("pair", [False, True], ids=["one budget", "two budgets"])
def test_a_budget_of_zero_never_charges(store: StateStore, pair: bool) -> None:
    budgets = (_budget("none", 0),) + ((_budget("wide", 100),) if pair else ())
    assert store.reserve(budgets).denied == 0
    assert {u.counter for u in store.usage()} == set()


def test_an_idle_store_leaves_the_index_alone_until_the_log_is_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the log is moved into the file, the store's own thread checkpoints no more until
    some process writes again: each checkpoint reads the shared-memory index through its
    mapping, and another program may cut the index short at any moment (a clean-up, `truncate`),
    which kills a process reading past its end (SIGBUS). An idle gateway read it every second."""
    from policytui.gateway.store import sqlite as sqlite_store

    def until(check: Any, what: str) -> None:
        deadline = time.monotonic() + 30
        while not check():
            assert time.monotonic() < deadline, f"waited 30 s for {what}"
            time.sleep(0.05)

    monkeypatch.setattr(sqlite_store, "LEASE_UNITS", 0)  # every charge a write of the log
    store = SQLiteStore(tmp_path / "state.sqlite", policy="p")
    try:
        budget = _budget("c", 1_000)
        assert store.reserve((budget,)).allowed
        until(lambda: store._checkpointer.done >= 1, "the charge to be checkpointed")
        made = store._checkpointer.asked
        time.sleep(3 * sqlite_store.CHECKPOINT_SECONDS)  # three rounds, idle
        assert store._checkpointer.asked == made, "checkpoints while nothing was written"
        assert store.reserve((budget,)).allowed
        until(lambda: store._checkpointer.asked > made, "a checkpoint of the next charge")
    finally:
        store.close()


def test_the_write_ahead_log_is_checkpointed_off_the_charging_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit never pays for a checkpoint (an fsync that stalls the call and every call queued
    behind it on the event loop): the store's own thread moves the log into the database file
    in the background, and SQLite's own checkpoints are only a safety net far away."""
    from policytui.gateway.store import sqlite as sqlite_store

    monkeypatch.setattr(sqlite_store, "LEASE_UNITS", 0)  # every charge a commit of its own
    store = SQLiteStore(tmp_path / "state.sqlite", policy="p")
    try:
        pages = store._db.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        assert pages == sqlite_store.SAFETY_NET_PAGES > 1_000  # SQLite's default is 1,000
        budget = _budget("c", 1_000_000)
        for _ in range(1_500):  # more pages than SQLite's default would let pass
            assert store.reserve((budget,)).allowed
        deadline = time.monotonic() + 10 * sqlite_store.CHECKPOINT_SECONDS
        while store._checkpointer.done == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert store._checkpointer.done >= 1, "the background checkpoint never ran"
        assert store.reserve((budget,)).allowed  # charging goes on meanwhile and after
        assert {u.counter: u.used for u in store.usage()} == {"c": 1_501}
    finally:
        store.close()
    assert not store._checkpointer.is_alive()  # close() ends the thread


def _used_in_file(path: Path, counter: str) -> int:
    reader = SQLiteStore(path, policy="p")
    try:
        return {u.counter: u.used for u in reader.usage()}.get(counter, 0)
    finally:
        reader.close()


def test_two_gateways_leasing_one_counter_allow_exactly_its_limit(tmp_path: Path) -> None:
    """Leases hand out calls charged ahead of time: never past the limit, and a counter used to
    its end by both allows every call of it."""
    path = tmp_path / "state.sqlite"
    first, second = SQLiteStore(path, policy="p"), SQLiteStore(path, policy="p")
    budget = _budget("c", 5_000)
    try:
        allowed = [(first if i % 2 else second).reserve((budget,)).allowed for i in range(6_000)]
    finally:
        first.close()
        second.close()
    assert sum(allowed) == 5_000
    assert not any(allowed[5_200:])  # nothing past the limit, whichever gateway asks
    assert _used_in_file(path, "c") == 5_000


def test_a_counter_with_room_is_written_once_per_lease_and_unused_calls_go_back(tmp_path: Path) -> None:
    from policytui.gateway.store import sqlite as sqlite_store

    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    writes: list[str] = []
    store._db.set_trace_callback(lambda sql: writes.append(sql) if sql.lstrip().startswith(("INSERT", "UPDATE")) else None)
    budget = _budget("c", 10_000_000)
    assert all(store.reserve((budget,)).allowed for _ in range(3_000))
    calls_per_visit = sqlite_store.LEASE_UNITS + 1
    assert len(writes) <= 2 * (3_000 // calls_per_visit + 2)  # a charge and a lease per visit
    # The file counts leased calls as used, up to one lease ahead of the calls made.
    assert 3_000 <= _used_in_file(path, "c") <= 3_000 + sqlite_store.LEASE_UNITS
    refund = store.reserve((budget,))
    store.refund(refund)  # into the lease: no write
    store.close()  # gives back what the lease did not hand out
    assert _used_in_file(path, "c") == 3_000


def test_a_counter_near_its_limit_is_charged_call_by_call(tmp_path: Path) -> None:
    from policytui.gateway.store import sqlite as sqlite_store

    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    budget = _budget("c", sqlite_store.LEASE_HEADROOM)
    try:
        for made in range(1, 11):
            assert store.reserve((budget,)).allowed
            assert _used_in_file(path, "c") == made  # no lease: the file holds the calls made
    finally:
        store.close()


def test_a_lease_ends_with_its_window(tmp_path: Path) -> None:
    from policytui.gateway.store import sqlite as sqlite_store

    now = [1_700_000_000.0]
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p", clock=lambda: now[0])
    budget = _budget("c", 10_000_000, window="minute")
    try:
        assert store.reserve((budget,)).allowed and store.reserve((budget,)).allowed
        assert store._db.execute("SELECT used FROM counters").fetchall() == [(2 + sqlite_store.LEASE_UNITS,)]
        now[0] += 60
        # The old window's lease is not spent in the new one: these are charged in the file.
        new_window = int(now[0]) // 60 * 60
        assert [store.reserve((budget,)).charged[0][1] for _ in range(3)] == [new_window] * 3
        rows = store._db.execute("SELECT window_start, used FROM counters").fetchall()
        assert rows == [(new_window, 2 + sqlite_store.LEASE_UNITS)]  # two charged, one from a new lease
    finally:
        store.close()


def test_a_lease_serves_only_the_limit_it_was_taken_under(tmp_path: Path) -> None:
    """Two limits on one counter ("danger only while c is under 3"), or one limit changed by a
    reload: calls leased under the wide maximum go back before a charge under another one."""
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    wide, tight = _budget("c", 1_000_000), _budget("c", 3)
    try:
        assert store.reserve((wide,)).allowed and store.reserve((wide,)).allowed  # a lease taken
        assert store.reserve((tight,)).allowed  # the third call of c: under 3
        assert not store.reserve((tight,)).allowed
        assert _used_in_file(path, "c") == 3
        assert store.reserve((wide,)).allowed and store.reserve((wide,)).allowed
        assert not store.reserve((tight,)).allowed
    finally:
        store.close()
    assert _used_in_file(path, "c") == 5


def test_a_call_with_several_limits_counts_the_calls_made_not_the_calls_leased(tmp_path: Path) -> None:
    """A tool's own limit and an all-tools one are charged together; a lease this gateway holds
    on one of their counters goes back first, so the tighter limit sees the calls made."""
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    wide, tight, other = _budget("c", 1_000_000), _budget("c", 3), _budget("d", 100)
    try:
        assert store.reserve((wide,)).allowed and store.reserve((wide,)).allowed  # a lease taken
        assert store.reserve((tight, other)).allowed  # the third call of c: under 3
        assert store.reserve((tight, other)).denied == 0
    finally:
        store.close()
    assert _used_in_file(path, "c") == 3


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_state_file_removed_or_replaced_in_use_is_opened_again_with_its_counts(how: str, tmp_path: Path) -> None:
    """A gateway whose file was deleted (and maybe made again by another gateway) would go on
    counting alone in the deleted one, each process allowing a whole limit. It opens the file on
    disk instead, and the calls it counted go with it: the budget neither splits nor starts over."""
    path = tmp_path / "state.sqlite"
    first = SQLiteStore(path, policy="p")
    budget = _budget("c", 5)
    try:
        assert first.reserve((budget,)).allowed
        path.unlink()
        if how == "replaced":
            second = SQLiteStore(path, policy="p")  # another gateway starting after it
            assert second.reserve((budget,)).allowed
            second.close()
        assert first.reserve((budget,)).allowed  # the one-budget path
        assert first.reserve((budget, _budget("d", 5))).allowed  # the general one
        assert _used_in_file(path, "c") == (4 if how == "replaced" else 3)
    finally:
        first.close()


def _remove_whole(folder: Path) -> None:
    """`rm -rf` the folder as a user does, again when the store's checkpoint thread opened the
    file in it as it was being emptied (its log and index appear again in the folder, and the
    folder is then not empty to remove): once it is gone, nothing can make it again."""
    deadline = time.monotonic() + 30
    while folder.exists():
        try:
            shutil.rmtree(folder)
        except OSError:
            assert time.monotonic() < deadline, f"{folder} could not be removed in 30 s"
            time.sleep(0.05)


def test_a_state_file_that_cannot_be_opened_again_fails_limited_calls_closed(tmp_path: Path) -> None:
    """The file's folder removed and made unusable in its place: limited calls are refused, with
    one sentence saying why, until the file can be opened again."""
    from policytui.gateway.store import StateUnavailable
    from policytui.gateway.store import sqlite as sqlite_module

    folder = tmp_path / "state"
    path = folder / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    budget = _budget("c", 5)
    try:
        assert store.reserve((budget,)).allowed
        _remove_whole(folder)
        folder.write_text("not a folder", encoding="utf-8")
        with pytest.raises(StateUnavailable, match=r"^the state file .* was removed while in use, and cannot open"):
            store.reserve((budget,))
        with pytest.raises(StateUnavailable, match="was removed while in use"):
            store.reserve((budget, _budget("d", 5)))  # tried again only after a pause
        folder.unlink()
        time.sleep(sqlite_module.REOPEN_PAUSE)
        assert store.reserve((budget,)).allowed
        assert _used_in_file(path, "c") == 2
    finally:
        store.close()


class _ReplyCuttingProxy:
    """A TCP proxy in front of Redis. Once `armed`, the next command holding `marker` reaches
    Redis and runs there, and the connection is closed before Redis's reply is passed back: a
    network that fails between a command and its answer. Only that connection's replies are
    dropped: the store's other connections (a fresh command right after) pass as ever."""

    def __init__(self, target_port: int, marker: bytes) -> None:
        import socket
        import threading

        self.target, self.marker, self.armed = target_port, marker, False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            cutting = threading.Event()  # this connection's replies are being dropped
            threading.Thread(target=self._up, args=(client, upstream, cutting), daemon=True).start()
            threading.Thread(target=self._down, args=(client, upstream, cutting), daemon=True).start()

    def _up(self, client: Any, upstream: Any, cutting: Any) -> None:
        import socket

        try:
            while data := client.recv(65536):
                cut = self.armed and self.marker in data
                if cut:
                    cutting.set()
                upstream.sendall(data)
                if cut:
                    self.armed = False
                    time.sleep(0.3)  # Redis runs the command and answers; the answer is dropped
                    client.shutdown(socket.SHUT_RDWR)
                    client.close()
                    upstream.close()
                    return
        except OSError:
            pass

    def _down(self, client: Any, upstream: Any, cutting: Any) -> None:
        try:
            while data := upstream.recv(65536):
                if not cutting.is_set():
                    client.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


def test_a_refund_whose_answer_is_lost_on_the_way_back_is_not_made_twice(tmp_path: Path) -> None:
    """Redis runs a refund and the connection breaks before its answer arrives. Retrying it on a
    fresh connection (as a charge is retried, which can only deny more) would give the call back
    twice: one refused call would buy two more calls than the limit allows. A refund is made at
    most once; one whose answer is lost may be lost with it, which only errs on the strict side."""
    import hashlib

    from policytui.gateway.store.redis_store import REFUND

    server = RedisServer(tmp_path / "redis").start()
    proxy = _ReplyCuttingProxy(server.port, hashlib.sha1(REFUND.encode()).hexdigest().encode())
    store = open_store(f"redis://127.0.0.1:{proxy.port}/0", tmp_path, policy="p")
    try:
        store.check()
        budget = _budget("c", 3)
        charged = [store.reserve((budget,)) for _ in range(3)]
        assert all(r.allowed for r in charged)
        proxy.armed = True
        try:
            store.refund(charged[0])  # one call the server refused: it did not run
        except StateUnavailable:
            pass  # the answer was lost: so was word of the refund, which Redis made
        assert {u.counter: u.used for u in store.usage()} == {"c": 2}
        assert [store.reserve((budget,)).allowed for _ in range(3)] == [True, False, False]
    finally:
        store.close()
        proxy.close()
        server.stop()


# A state file locked by another program ---------------------------------------------------


@contextmanager
def _locked_by_another_program(path: Path) -> Iterator[None]:
    """Another connection holding the file's write lock (as `sqlite3 FILE` with `BEGIN
    EXCLUSIVE;` left open does) for the length of the block."""
    import sqlite3

    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_locked_file_is_waited_for_on_the_stores_own_thread_in_the_order_calls_came(tmp_path: Path) -> None:
    """In place the store never waits: it says busy at once, having charged nothing. Handed
    over, calls wait on the store's thread and are charged in the order they came, and while
    one waits a later one is not tried in place past it (it would take the last call's room)."""
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    last_one = _budget("c", 2)
    try:
        assert store.reserve((last_one,)).allowed
        with _locked_by_another_program(path):
            started = time.monotonic()
            with pytest.raises(StoreBusy):
                store.try_now(store.reserve, (last_one,))
            assert time.monotonic() - started < 0.1
            first = store.hand_over(store.reserve, (last_one,))
            time.sleep(0.1)
            assert not first.future.done()
        # Released: the file is free, but the first call is still waiting (or just done) on the
        # store's thread; the second goes behind it either way.
        try:
            second = store.try_now(store.reserve, (last_one,))
        except StoreBusy:
            second = store.hand_over(store.reserve, (last_one,)).future.result(timeout=5)
        assert first.future.result(timeout=5).allowed
        assert second.denied == 0
        assert _used_in_file(path, "c") == 2
    finally:
        store.close()


def test_a_locked_file_that_stays_locked_fails_the_call_after_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import policytui.gateway.store.sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "BUSY_TIMEOUT_MS", 500)
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    budget = _budget("c", 5)
    try:
        with _locked_by_another_program(path):
            handed = store.hand_over(store.reserve, (budget,))
            refund = store.hand_over(store.refund, Reservation(now=0.0, charged=(("x", 0),)))
            with pytest.raises(StateUnavailable, match="stayed locked by another program"):
                handed.future.result(timeout=5)
            started = time.monotonic()
            # Queued behind it, the refund waited as long in all, not as long again.
            with pytest.raises(StateUnavailable):
                refund.future.result(timeout=5)
            assert time.monotonic() - started < 0.3
        assert store.try_now(store.reserve, (budget,)).allowed  # nothing was charged meanwhile
        assert _used_in_file(path, "c") == 1
    finally:
        store.close()


def test_closing_the_store_ends_a_wait_for_a_locked_file_at_once(tmp_path: Path) -> None:
    """A gateway stopped while a call waits for the file neither hangs nor charges it."""
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    budget = _budget("c", 5)
    with _locked_by_another_program(path):
        waiting = store.hand_over(store.reserve, (budget,))
        time.sleep(0.1)
        started = time.monotonic()
        store.close()
        assert time.monotonic() - started < 1.0
        with pytest.raises(StateUnavailable, match="the gateway is stopping"):
            waiting.future.result(timeout=1)
        late = store.hand_over(store.reserve, (budget,))
        with pytest.raises(StateUnavailable, match="the gateway is stopping"):
            late.future.result(timeout=1)
    assert _used_in_file(path, "c") == 0


async def test_a_call_cancelled_while_it_waits_for_a_locked_file_is_audited_and_charges_nothing(
    tmp_path: Path,
) -> None:
    import asyncio

    from policytui.gateway.enforcer import CANCELLED_IN_CHARGE

    policy = Policy.from_document(
        {"version": "1", "default": "allow", "tools": {"t": {"limits": [{"counter": "c", "window": "day", "max": 9}]}}}
    )
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    audit_path = tmp_path / "audit.jsonl"
    enforcer = Enforcer(lambda: policy, audit=AuditLog(audit_path), store=store)
    caller = Caller("alice", "s")

    async def ok() -> dict[str, object]:
        return {"content": []}

    async def never(decision: object) -> object:
        raise AssertionError

    try:
        with _locked_by_another_program(path):
            call = asyncio.ensure_future(enforcer.handle_call("t", {}, caller, ok, never))
            free = await asyncio.wait_for(enforcer.handle_call("free", {}, caller, ok, never), 0.5)
            assert free == {"content": []}
            assert not call.done()
            started = time.monotonic()
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            assert time.monotonic() - started < 0.5
        lines = outcome_lines(audit_path)
        assert [(line["tool"], line["decision"], line["reason"]) for line in lines] == [
            ("free", "allowed", ""), ("t", "denied", CANCELLED_IN_CHARGE),
        ]
        assert _used_in_file(path, "c") == 0
    finally:
        store.close()


async def test_a_refund_that_finds_the_file_locked_is_made_behind_the_call_and_before_the_next_charge(
    tmp_path: Path,
) -> None:
    """The server refuses a call while another program locks the file: the call's answer does
    not wait for the refund, which is made once the file is free; a limited call made meanwhile
    is charged after it (the last call of the limit is there for it)."""
    import asyncio

    policy = Policy.from_document(
        {"version": "1", "default": "allow", "tools": {"t": {"limits": [{"counter": "c", "window": "day", "max": 1}]}}}
    )
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    enforcer = Enforcer(lambda: policy, audit=AuditLog(tmp_path / "audit.jsonl"), store=store)
    caller = Caller("alice", "s")
    lock = _locked_by_another_program(path)

    async def refused_while_locked() -> dict[str, object]:
        lock.__enter__()
        raise UpstreamFailure("error", RuntimeError("the server refused the call"))

    async def ok() -> dict[str, object]:
        return {"content": []}

    async def never(decision: object) -> object:
        raise AssertionError

    try:
        started = time.monotonic()
        with pytest.raises(RuntimeError):
            await enforcer.handle_call("t", {}, caller, refused_while_locked, never)
        assert time.monotonic() - started < 0.5
        try:
            after = asyncio.ensure_future(enforcer.handle_call("t", {}, caller, ok, never))
            await asyncio.sleep(0.2)
            assert not after.done()
        finally:
            lock.__exit__(None, None, None)
        assert await asyncio.wait_for(after, 5) == {"content": []}
        assert _used_in_file(path, "c") == 1
    finally:
        store.close()


def test_a_charge_whose_turn_comes_after_its_wait_is_over_fails_without_a_try(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's thread may get to an operation only after its time is up (a flood of calls
    while the file was locked: thousands queued, each tried at its turn). It then fails as one
    that waited out the lock, even if the file is free by then: a call is never charged, nor
    sent, later than the busy timeout after it was made, and a try past its time does not slow
    down the queue behind it. (The thread is kept busy here by an operation that sleeps.)"""
    import policytui.gateway.store.sqlite as sqlite_module
    from policytui.gateway.store import StoreLocked

    monkeypatch.setattr(sqlite_module, "BUSY_TIMEOUT_MS", 300)
    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    budget = _budget("c", 5)
    try:
        busy = store.hand_over(time.sleep, 0.6)
        late = store.hand_over(store.reserve, (budget,))
        with pytest.raises(StoreLocked, match="stayed locked by another program"):
            late.future.result(timeout=5)
        busy.future.result(timeout=5)
        assert _used_in_file(path, "c") == 0
        assert store.try_now(store.reserve, (budget,)).allowed  # in time, it is charged
        assert _used_in_file(path, "c") == 1
    finally:
        store.close()


def test_a_call_cancelled_behind_an_operation_waiting_for_a_locked_file_gives_up_at_once(tmp_path: Path) -> None:
    """An operation nobody cancels (a refund) waits for the locked file ahead of a charge; the
    charge's caller gives up: it ends at once, not when the refund does, having charged
    nothing, and the refund behind which it was is made once the file is free."""
    from policytui.gateway.store import StoreGaveUp

    path = tmp_path / "state.sqlite"
    store = SQLiteStore(path, policy="p")
    budget = _budget("c", 5)
    try:
        charged = store.reserve((budget,))
        with _locked_by_another_program(path):
            refund = store.hand_over(store.refund, charged)
            charge = store.hand_over(store.reserve, (budget,))
            time.sleep(0.1)
            started = time.monotonic()
            charge.abandon()
            with pytest.raises(StoreGaveUp):
                charge.future.result(timeout=5)
            assert time.monotonic() - started < 0.1
            assert not refund.future.done()
        refund.future.result(timeout=5)
        assert _used_in_file(path, "c") == 0
    finally:
        store.close()
