"""The default store: one SQLite file in the state folder, shared by every gateway on the machine.

Every counter operation is one `BEGIN IMMEDIATE` transaction, which takes the database's write
lock before reading, so a check and its charge can never interleave with another process's
(WAL journal: readers never wait; `synchronous=NORMAL`: a commit does not wait for the disk,
and a power cut can lose at most the last few charges, never corrupt the file). Windows follow
this machine's clock, which every process on it shares.

A counter with plenty of room is charged in leases: when a charge leaves more than
LEASE_HEADROOM calls of room, the same process also takes up to LEASE_UNITS more calls' worth
(never more than the room: the stored count never passes the limit) and hands them out itself,
without touching the file, until they run out or the window ends. So a busy gateway writes the
file once per LEASE_UNITS calls, not on every call. Nothing is ever allowed past a limit: a
leased call was counted in the file before it was made. What a lease costs is the other way:
calls leased by one gateway and not yet made are not available to the others, at most
LEASE_UNITS per gateway, and only while more than LEASE_UNITS x LEASE_HEADROOM calls of room
are left; near its limit every counter is charged exactly, call by call. A lease serves only
the limit it was taken under: a charge under another maximum for the same counter (another
tool's limit on it, or the same limit after a reload) first gives the lease back, so within one
gateway shared counters count exactly the calls made. `policytui counters` counts leased calls
as used; a gateway that stops gives back what it did not use.

The gateway's event loop never waits for the file. SQLite's own busy timeout is 0: an
operation tried in place (`try_now`) that finds the file locked by another program (`sqlite3`
with a transaction open, a backup tool, a stuck process) raises `StoreBusy` at once, having
done nothing, and the gateway hands it to the store's own thread (`hand_over`). There it is
tried again and again, the lock released in between, for up to BUSY_TIMEOUT_MS from when it
was handed over, then fails (`StateUnavailable`: a limited call is denied). Operations handed
over run one at a time in the order they came, and while any is still waiting every new one
goes behind it, so calls are charged in the order they were made and a refund never overtakes
its charge; only a held call's look for its answer, a read, is made in place meanwhile
(`read_now`). Other programs (`policytui counters`, `policytui approvals`, replay) call the
operations directly, which wait in place the same way.

Every operation first checks that the file, its write-ahead log and its index on disk are the
ones the connection has open. One removed or replaced meanwhile would leave this process
counting alone; the connection is given up, the files on disk are opened, and its counts are
moved there (`_files`). An index found cut short (truncated), whose mapping would kill the
process at its next read past the end, is made whole again first (`_mend_index`).

Contents gone back. A state file overwritten in place (an old copy or an empty file copied
over it, a backup restored with `cp`, while gateways run) keeps its device and inode, so the
checks above do not see it; each limit would start over from what the copy holds. So the file
carries a lineage (a random token, `lineage`), and every write of a counter adds 1 to the
counter's `seq`. Each process remembers the lineage and, per counter, the window and `seq` it
last saw, and what it counted in the file in each counter's current window (`_tally`). A
charge is made only under the lineage the process knows (one statement still), and returns
the counter's `seq`: a file whose lineage is another, or a counter whose `seq` is not past
the one last seen in the same window (or that is gone), went back. The process that sees it
first gives the file a new lineage and adds back what it counted; every other process then
finds the lineage changed and adds back its own, once (`_put_back`). A thread of the store's
own looks each second, when the file on disk has changed, so an idle gateway's calls are
counted again too. Adding back errs on the strict side: calls of a process that the copy held
already are counted twice. A file of other contents copied over it (another SQLite file, an
empty one, nothing) is seen before SQLite reads it: the file's header carries a mark of its
own (HEADER_MARK), read before every operation; the log and index of the contents overwritten
are dropped, the file is opened afresh, and each process adds back what it counted.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from policytui.decision.counters import Budget, window_start
from policytui.gateway.store.base import (
    CounterUse,
    HandedOver,
    Reservation,
    StateConfigError,
    StateStore,
    StateUnavailable,
    StoreBusy,
    StoredApproval,
    StoreGaveUp,
    StoreLocked,
    counter_name,
    counter_name_prefix,
    renamed_counter,
    split_counter_name,
    stored_approval,
)
from policytui.gateway.store.sqlite_disk import (
    APPLICATION_ID,
    INDEX_REGION,
    Identity,
    _barred,
    _drop_sidecars_of,
    _folder_lock,
    _header_of,
    _identity,
    _index_barred,
    _marked_since,
    _mend_index,
    _on_disk,
    _remove_stray_sidecars,
    _what_changed,
)
from policytui.gateway.store.sqlite_lineage import _content_stat, _file_lineage, _went_back
from policytui.gateway.store.sqlite_schema import (
    _ADD_COUNT,
    _CHARGE_ONE,
    _GIVE_BACK,
    _LEASE,
    _MAX_COUNT,
    SCHEMA,
    _add_column,
)
from policytui.policy.model import WINDOW_SECONDS

T = TypeVar("T")
log = logging.getLogger("policytui.gateway")

# How long a writer waits for another process's transaction before the store counts as
# unavailable (a transaction holds the lock for microseconds; this only covers a stuck one,
# or another program holding the file). The gateway's calls wait on the store's own thread.
BUSY_TIMEOUT_MS = 5000
# While an operation waits for the file it is tried again after this long, doubling up to the
# last (SQLite's own busy handler sleeps in about the same steps), with the lock released.
FIRST_PAUSE = 0.001
LAST_PAUSE = 0.05
# A gateway that stops gives its unused leases back, waiting at most this long for the file:
# a lock held elsewhere must not hold up the stop (the leased calls stay counted instead).
CLOSING_PATIENCE = 1.0
# SQLite's result codes for a lock held by another connection.
_LOCKED_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
# And for a file whose contents are not a state file (overwritten in place, cut short).
_CONTENT_CODES = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB
# The write-ahead log is moved into the database file by a process of the store's own, this
# often (`_Checkpointer`). SQLite would otherwise do it inside whichever commit crosses 1,000
# pages, with an fsync that stalls that call, and every call queued behind it, for
# milliseconds. Should that process fail, SQLite still checkpoints by itself at SAFETY_NET_PAGES.
CHECKPOINT_SECONDS = 1.0
SAFETY_NET_PAGES = 10_000
# After a checkpoint the log file is cut back to this size.
WAL_SIZE_LIMIT = 4 * 1024 * 1024
# Leases (see above): up to this many calls at once, one per this many calls of room left.
LEASE_UNITS = 64
LEASE_HEADROOM = 1024
# A state file (or its write-ahead log or shared-memory index) found removed or replaced is
# opened again on disk at most this often while opening it fails.
REOPEN_PAUSE = 0.5
# Ended windows and long-dead held calls are deleted at most this often.
SWEEP_SECONDS = 60.0
# A held call's record is kept this long after it expired (its gateway is gone or late).
KEEP_EXPIRED = 300.0



class _Lease:
    """Calls of one counter's window charged in the file ahead of time, handed out here, for
    the limit (`max`) they were taken under only: a counter can be shared by limits with other
    maxima, and a reload can change a limit."""

    __slots__ = ("window_start", "left", "max")

    def __init__(self, window_start: int, left: int, maximum: int) -> None:
        self.window_start = window_start
        self.left = left
        self.max = maximum


class _Locked(Exception):
    """One try found the file locked by another connection; nothing was done."""


class SQLiteStore(StateStore):
    def __init__(self, path: Path, policy: str = "", clock: Callable[[], float] = time.time) -> None:
        super().__init__(policy, clock)
        # Absolute, as every message names it: a `--state-dir` given relative to the gateway's
        # folder would make `sqlite://gw-state/...`, a URL no reader elsewhere can use.
        self.path = Path(os.path.abspath(path))
        self.description = f"sqlite://{self.path}"
        # Held only for one try at the file, never while waiting for it: the event loop's
        # tries and the store's own thread share one connection.
        self._lock = threading.Lock()
        # Per thread: whether its operations may wait (`try_now` sets `now`), and the operation
        # handed over that the store's own thread runs (`handed`).
        self._mode = threading.local()
        self._closing = threading.Event()
        self._waiter = _Waiter(self)
        self._swept_at = 0.0
        # Counter name -> its lease (charged in the file, not yet handed out).
        self._leases: dict[str, _Lease] = {}
        self._db: sqlite3.Connection | None = self._open()
        # The files opened, and the largest size seen of the index (it never shrinks in use).
        self._identity, self._index_size = _on_disk(self.path)
        # Why the files on disk cannot be used now, and when to try them again (see `_files`).
        self._unusable: str | None = None
        self._retry_at = 0.0
        # Counters and held calls read from files given up, until moved to the ones on disk, and
        # how they are moved there (`_give_up_connection`).
        self._stale: tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]] | None = ([], [])
        self._move = _ADD_COUNT
        # Contents gone back (see the module's docstring): the file's lineage, each counter's
        # window start and `seq` as last seen, what this process counted in the file in each
        # counter's current window (name -> [window start, window end, calls]), and why the
        # connection is to be opened again though its files are the ones on disk (their
        # contents overwritten: not a state file, or one without its tables).
        self._lineage = self._db_lineage(self._db)
        self._mark, self._header = self._marks(self._db)
        self._seen: dict[str, tuple[int, int]] = {}
        self._tally: dict[str, list[int]] = {}
        self._reopen: str | None = None
        self._watch: threading.Thread | None = None
        self._checkpointer = _Checkpointer(self.path, self._identity, self._header_ok)
        self._checkpointer.start()

    def _marks(self, db: sqlite3.Connection) -> tuple[bytes, bytes | None]:
        """The file's mark as SQLite reads it, and its header's as it is on disk now (not yet
        the mark in a file of an earlier version, until a checkpoint writes it there)."""
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        application = int(db.execute("PRAGMA application_id").fetchone()[0])
        mark = version.to_bytes(4, "big", signed=True) + bytes(4) + application.to_bytes(4, "big", signed=True)
        return mark, _header_of(self.path)

    def _header_ok(self, identity: tuple[int, int] | None = None) -> bool:
        """Whether the state file's header on disk still carries its mark (or, in a file whose
        mark is not checkpointed yet, what it carried when opened)."""
        header = _header_of(self.path, identity)
        if header == self._mark:
            self._header = header
            return True
        if header is not None and header[:4] == self._mark[:4] and header[8:] == self._mark[8:]:
            return True  # bytes 64-67 (incremental vacuum) are not part of the mark
        return header == self._header

    def _db_lineage(self, db: sqlite3.Connection) -> str:
        try:
            lineage = _file_lineage(db)
        except sqlite3.Error:
            lineage = None
        return lineage or ""

    def _open(self, drop: Identity | None = None) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with _folder_lock(self.path.parent):
                return self._open_locked(drop)
        except (OSError, sqlite3.Error) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise StateConfigError(f"cannot open the state file {self.path}: {reason}") from None

    def _open_locked(self, drop: Identity | None = None) -> sqlite3.Connection:
        """Open the file (every process opening it holds the folder's lock meanwhile, so none
        finds another's files half made). `drop`: the files opened before, whose contents were
        overwritten in place; their log and index, if still on disk, belong to the contents
        overwritten, and SQLite would lay them over the new ones."""
        if drop is not None and not _marked_since(self.path, self._mark):
            _drop_sidecars_of(self.path, drop)
        _remove_stray_sidecars(self.path)
        # An index cut short while no connection of this process used it: SQLite would make
        # it long enough again without its header, and read a log it no longer indexes.
        _mend_index(self.path, 0)
        if _index_barred(self.path, _identity(self.path)[-1]):
            raise StateConfigError(_barred(self.path))
        if not self.path.exists():
            # Held calls carry arguments: the file is the owner's alone from the start.
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        try:
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                # Marked before the log is made: a new file has its mark in its header at once.
                db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                db.execute(f"PRAGMA user_version={secrets.randbelow(2**31 - 2) + 1}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
            db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            db.executescript(SCHEMA)
            _add_column(db, "approvals", "result", "TEXT")
            _add_column(db, "counters", "seq", "INTEGER NOT NULL DEFAULT 0")
            if _file_lineage(db) is None:  # written only when missing: a file locked elsewhere opens at once
                db.execute("INSERT OR IGNORE INTO lineage (id, token) VALUES (1, ?)", (secrets.token_hex(8),))
            # From here on SQLite never waits for a lock: `_patiently` does, without blocking
            # the thread that only tries (`try_now`) and with the lock released in between.
            db.execute("PRAGMA busy_timeout=0")
        except BaseException:
            db.close()
            raise
        return db

    def _files(self) -> sqlite3.Connection:
        """The connection to use, once the files on disk are checked to be the ones it has open
        (the caller holds `_lock`).

        The state file, its write-ahead log and its shared-memory index each keep the device
        and inode they had when opened. One removed or replaced (a clean-up of the folder, `rm
        state.sqlite*`, a restore) leaves this connection counting in files no process that
        opens the path sees: each side would allow a whole limit. So the connection is given up
        and the files on disk are opened again; what it counted in this window is moved there
        (`_move_counts`), so a file removed in use never starts its budgets over. Until they can
        be opened, every operation fails (StateUnavailable: limited calls are denied), and they
        are tried again at most every REOPEN_PAUSE."""
        identity, index_size = _on_disk(self.path)
        if (self._db is not None and self._reopen is None and identity[0] == self._identity[0]
                and not self._header_ok(identity[0])):
            self._reopen = f"the state file {self.path} was overwritten while in use"
        if self._db is not None and identity == self._identity and self._reopen is None:
            if index_size >= self._index_size and index_size % INDEX_REGION == 0:
                self._index_size = index_size
                if _index_barred(self.path, identity[-1]):
                    # Written through its mapping, it would kill the process (SIGBUS).
                    raise StateUnavailable(_barred(self.path))
                return self._db
        now = time.monotonic()
        drop: Identity | None = None
        if self._db is None and now < self._retry_at:
            raise StateUnavailable(self._unusable or f"the state file {self.path} cannot be used")
        if self._db is not None:
            if self._reopen is not None and identity[0] == self._identity[0]:
                # The same file, its contents overwritten in place (another file copied over
                # it, or not a state file now): nothing can be read from it to move; what this
                # process counted is added back once it opens as a state file (`_reconcile`).
                self._unusable, self._reopen = self._reopen, None
                log.warning("%s; opening it again", self._unusable)
                drop = self._identity
                self._give_up_connection(overwritten=True)
            elif identity == self._identity:
                # Same files, the index cut short (truncated) in use: the next read of the
                # mapping past its new end would kill the process (SIGBUS). It is made whole
                # again before the connection is closed, which makes SQLite rebuild it from the
                # log; the counts are in the files still, nothing is moved.
                self._unusable = f"its shared-memory index {self.path}-shm was cut short while in use"
                log.warning("%s; mending it and opening the state file again", self._unusable)
                self._give_up_connection(mend=True)
            else:
                self._unusable = _what_changed(self.path, self._identity)
                log.warning("%s; opening it again", self._unusable)
                self._give_up_connection()
        self._retry_at = now + REOPEN_PAUSE
        try:
            db = self._open(drop)
        except StateConfigError as exc:
            self._unusable = f"{self._unusable or 'the state file was removed'}, and {exc}"
            raise StateUnavailable(self._unusable) from None
        self._db = db
        self._reopen = None  # whatever was to be opened again is, now
        self._identity, self._index_size = _on_disk(self.path)
        self._mark, self._header = self._marks(db)
        moved = self._move_counts(db)
        self._reconcile(db, moved)
        self._checkpointer = _Checkpointer(self.path, self._identity, self._header_ok)
        self._checkpointer.start()
        log.warning("the state file %s is open again", self.path)
        self._unusable = None
        return db

    def _give_up_connection(self, *, mend: bool = False, overwritten: bool = False) -> None:
        """Stop using the connection whose files are no longer the ones on disk. Its counts are
        kept (`_stale`) until they are moved to the files on disk. It is closed before those are
        opened: connections of one process to one file share SQLite's shared-memory index, so
        a new one next to it would go on using the old index. Closing it does not delete nor
        checkpoint into the files on disk: SQLite does that only for the last connection of
        every process, and never for a file that was moved.

        `mend`: the index was cut short; it is first made whole (see `_mend_index`), so that
        closing, and every other process, reads it safely.

        When the state file itself is still the one opened (its log or index went), the files
        opened next hold what was checkpointed into it, a part of the old counts: those are
        then kept where larger, not added, or the part checkpointed would count twice. When the
        file went, the new one holds none of them: they are taken out of the old files and
        added."""
        same_file = _identity(self.path)[0] == self._identity[0]
        self._move = _MAX_COUNT if same_file else _ADD_COUNT
        stale, self._db = self._db, None
        if mend:
            _mend_index(self.path, self._index_size)
        self._checkpointer.stop()
        self._leases.clear()  # charged in the old files: moved with their counts, not handed out
        assert stale is not None
        if overwritten:
            self._stale = None
        else:
            self._stale = ([], []) if mend else self._counts_of(stale, take=not same_file)
        try:
            stale.close()
        except sqlite3.Error:
            pass

    def _counts_of(
        self, stale: sqlite3.Connection, *, take: bool
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]] | None:
        """The counters (of windows not ended) and held calls the old files hold; with `take`,
        taken out of them in the same transaction, so that another process still using those
        files adds only what was counted after this (nothing is added twice). None when they
        cannot be read (what this process counted is then added back, `_reconcile`)."""
        for _ in range(50):
            try:
                stale.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                if isinstance(self._failure(exc), _Locked):
                    time.sleep(0.01)
                    continue
                return None
            try:
                counters = stale.execute(
                    "SELECT name, window_start, window_end, used FROM counters WHERE used > 0 AND window_end > ?",
                    (int(self.clock()),)).fetchall()
                held = stale.execute(
                    "SELECT id, request, expires, decision, result FROM approvals WHERE expires >= ?",
                    (time.time() - KEEP_EXPIRED,)).fetchall()
                if take:
                    stale.execute("UPDATE counters SET used = 0 WHERE used > 0")
                stale.execute("COMMIT")
                return counters, held
            except sqlite3.Error:
                if stale.in_transaction:
                    stale.execute("ROLLBACK")
                return None
        return None

    def _move_counts(self, db: sqlite3.Connection) -> bool:
        """Move the counts read from the old files to the files on disk (see
        `_give_up_connection`); False when they could not be read."""
        if self._stale is None:
            self._stale = ([], [])
            return False
        counters, held = self._stale
        self._stale = ([], [])
        if not counters and not held:
            return True
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(self._move, counters)
            db.executemany(
                "INSERT OR IGNORE INTO approvals (id, request, expires, decision, result) VALUES (?, ?, ?, ?, ?)", held)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            log.error("the counts of the old state file could not be moved to %s (%s)", self.path, exc)
            return False
        return True

    def _reconcile(self, db: sqlite3.Connection, moved: bool) -> None:
        """After the files on disk were opened again: when the counts of the old ones were
        moved there, they hold this process's calls, and their lineage is taken as it is;
        otherwise (the old ones could not be read, or were overwritten in place) what this
        process counted is added back, once, unless the file is still of the lineage it knew."""
        self._seen.clear()
        lineage = self._db_lineage(db)
        if moved or lineage == self._lineage:
            self._lineage = lineage
            return
        try:
            self._put_back(db, f"the state file {self.path} was overwritten while in use")
        except (StateUnavailable, _Locked):
            pass  # its lineage stays unknown here: the next charge finds it other and adds back

    def _failure(self, exc: sqlite3.Error) -> Exception:
        """What a SQLite error means here: the file locked by someone else (try again), or the
        store unusable. A file whose contents are not a state file (overwritten in place by
        another file, cut short, emptied) is opened again at the next operation, at most every
        REOPEN_PAUSE, so that one put back, or a SQLite file without the tables, is used again
        without a restart."""
        code = getattr(exc, "sqlite_errorcode", None)
        if (code is not None and code & 0xFF in _LOCKED_CODES) or (code is None and "locked" in str(exc)):
            return _Locked()
        text = str(exc)
        if (code is not None and code & 0xFF in _CONTENT_CODES) or "no such table" in text or "no such column" in text:
            reason = f"the state file {self.path} was overwritten while in use ({text})"
            if time.monotonic() >= self._retry_at:
                self._reopen = reason
            return StateUnavailable(reason)
        return StateUnavailable(f"the state file {self.path} cannot be used: {exc}")

    # Contents gone back ---------------------------------------------------------------------

    def _count(self, name: str, start: int, end: int, calls: int) -> None:
        """Note `calls` (negative: given back) counted in the file by this process in the
        window of `name` starting at `start`."""
        kept = self._tally.get(name)
        if kept is not None and kept[0] == start:
            kept[2] = max(0, kept[2] + calls)
        elif calls > 0 and (kept is None or start > kept[0]):
            self._tally[name] = [start, end, calls]
            if len(self._tally) > 4096:  # per-session counters come and go: drop ended windows
                now = int(self.clock())
                self._tally = {n: k for n, k in self._tally.items() if k[1] > now}

    def _contents_went_back(self, db: sqlite3.Connection, names: Sequence[str]) -> bool:
        """Whether the file's lineage is not the one this process knows, or one of `names` is
        behind what this process last saw of it (inside a transaction)."""
        if _file_lineage(db) != self._lineage:
            return True
        now = int(self.clock())
        # Many counters (per-session ones, looked at from the watch) are read in one scan.
        rows = ({name: (start, seq) for name, start, seq in db.execute("SELECT name, window_start, seq FROM counters")}
                if len(names) > 32 else None)
        for name in names:
            seen, kept = self._seen.get(name), self._tally.get(name)
            if seen is None:
                continue
            if rows is not None:
                row = rows.get(name)
            else:
                row = db.execute("SELECT window_start, seq FROM counters WHERE name = ?", (name,)).fetchone()
            end = kept[1] if kept is not None and kept[0] == seen[0] else 0
            if _went_back(seen, (int(row[0]), int(row[1])) if row else None, now, end):
                return True
        return False

    def _put_back(self, db: sqlite3.Connection, why: str) -> None:
        """Add back what this process counted in the current windows, in a transaction of its
        own (the caller holds `_lock`); see `_put_back_in`."""
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                added = self._put_back_in(db)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._failure(exc) from None
        self._said_put_back(why, added)

    def _put_back_in(self, db: sqlite3.Connection) -> int:
        """The file went back (see the module's docstring): add back what this process counted
        in the current windows, inside the caller's write transaction; how many calls. The
        first process to see it gives the file a new lineage, so that every other one finds it
        changed and adds back its own; one that finds it changed already takes it."""
        lineage = _file_lineage(db)
        if lineage is None or lineage == self._lineage:
            lineage = secrets.token_hex(8)
            db.execute("INSERT OR REPLACE INTO lineage (id, token) VALUES (1, ?)", (lineage,))
        now = int(self.clock())
        rows = [(name, start, end, calls) for name, (start, end, calls) in self._tally.items() if calls > 0 and end > now]
        db.executemany(_ADD_COUNT, rows)
        self._lineage = lineage
        self._seen = {
            name: (int(start), int(seq))
            for name, start, seq in db.execute("SELECT name, window_start, seq FROM counters").fetchall()
            if name in self._tally
        }
        return sum(row[3] for row in rows)

    def _said_put_back(self, why: str, added: int) -> None:
        if not added:
            return  # nothing of this process's was lost: another process says it
        calls = f"{added} call" if added == 1 else f"{added} calls"
        log.warning("state: %s (copied over, or restored in place); the %s this gateway counted in the "
                    "current windows %s counted again", why, calls, "is" if added == 1 else "are")

    def _start_watch(self) -> None:
        """Look each second, from a thread of the store's own, whether the file went back,
        so that an idle gateway's calls are counted again too, not only at its next charge.
        Only when the file on disk changed since the last look (a checkpoint, or a program
        overwriting it): an idle store reads nothing."""
        if self._watch is not None:
            return
        last = _content_stat(self.path)

        def watch() -> None:
            nonlocal last
            while not self._closing.wait(CHECKPOINT_SECONDS):
                now = _content_stat(self.path)
                if now == last or not self._tally:
                    continue
                last = now
                try:
                    if self._run(self._went_back_now, write=False):
                        self._run(self._put_back_if_behind, write=True)
                except (StateUnavailable, sqlite3.Error):
                    continue  # the calls say so, not this thread

        self._watch = threading.Thread(target=watch, name="policytui-state-watch", daemon=True)
        self._watch.start()

    def _went_back_now(self, db: sqlite3.Connection) -> bool:
        return self._contents_went_back(db, list(self._tally))

    def _put_back_if_behind(self, db: sqlite3.Connection) -> None:
        """`_put_back_in`, in the caller's write transaction, if the file still went back."""
        if self._contents_went_back(db, list(self._tally)):
            added = self._put_back_in(db)
            self._said_put_back(f"the state file {self.path} went back to older contents while in use", added)

    def _run(self, work: Callable[[sqlite3.Connection], Any], *, write: bool) -> Any:
        return self._patiently(lambda: self._transaction(work, write))

    def _transaction(self, work: Callable[[sqlite3.Connection], Any], write: bool) -> Any:
        with self._lock:
            db = self._files()
            try:
                db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    result = work(db)
                    db.execute("COMMIT")
                except BaseException:
                    # Also when the commit itself found the file locked (a rollback journal
                    # waits for readers there): the next try starts a transaction afresh.
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
                return result
            except sqlite3.Error as exc:
                raise self._failure(exc) from None

    # Waiting for the file ---------------------------------------------------------------

    def _patiently(self, attempt: Callable[[], T]) -> T:
        """`attempt()`, one try at the file that raises `_Locked` having done nothing, made
        again until the file is free, for up to BUSY_TIMEOUT_MS; then `StateUnavailable`.
        Under `try_now`, `StoreBusy` at the first lock instead: that thread must not wait."""
        try:
            return attempt()  # the file is free nearly always: nothing else is looked up first
        except _Locked:
            pass
        return self._after_a_lock(attempt)

    def _after_a_lock(self, attempt: Callable[[], T]) -> T:
        """`_patiently` once the first try found the file locked."""
        mode = self._mode
        if getattr(mode, "now", False):
            raise StoreBusy
        handed: HandedOver[Any] | None = getattr(mode, "handed", None)
        patience = getattr(mode, "patience", BUSY_TIMEOUT_MS / 1000)
        deadline = handed.deadline if handed is not None else time.monotonic() + patience
        pause = FIRST_PAUSE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._locked_too_long()
            self._pause(handed, min(pause, left))
            pause = min(2 * pause, LAST_PAUSE)
            try:
                return attempt()
            except _Locked:
                pass

    def _locked_too_long(self) -> StoreLocked:
        return StoreLocked(
            f"the state file {self.path} stayed locked by another program for {BUSY_TIMEOUT_MS / 1000:g} s")

    def _pause(self, handed: HandedOver[Any] | None, seconds: float) -> None:
        """Wait between two tries; on the store's own thread, give up at once when the call
        that handed the operation over was cancelled, or the store is being closed."""
        if handed is None:
            time.sleep(seconds)
            return
        if handed.given_up.wait(seconds):
            raise StoreGaveUp(f"the wait for the state file {self.path} was given up")
        if self._closing.is_set():
            raise StateUnavailable(f"the gateway is stopping: the state file {self.path} was not waited for")

    def try_now(self, operation: Callable[..., T], *args: Any) -> T:
        if self._waiter.pending:
            raise StoreBusy  # operations handed over before still wait: this one goes behind them
        return self.read_now(operation, *args)

    def read_now(self, operation: Callable[..., T], *args: Any) -> T:
        # A WAL file is read while another program holds the write lock, so this seldom meets
        # `StoreBusy`; it shares the connection with the store's thread one try at a time.
        mode = self._mode
        mode.now = True
        try:
            return operation(*args)
        finally:
            mode.now = False

    def hand_over(self, operation: Callable[..., T], *args: Any) -> HandedOver[T]:
        handed: HandedOver[T] = HandedOver(BUSY_TIMEOUT_MS / 1000)
        self._waiter.put(handed, operation, args)
        return handed

    def _run_handed(self, handed: HandedOver[T], operation: Callable[..., T], args: tuple[Any, ...]) -> T:
        """Run an operation handed over (on the store's own thread), waiting as it allows."""
        if self._closing.is_set():
            raise StateUnavailable(f"the gateway is stopping: the state file {self.path} was not waited for")
        if handed.given_up.is_set():
            raise StoreGaveUp(f"the wait for the state file {self.path} was given up")
        if time.monotonic() >= handed.deadline:
            # Its whole wait was spent behind the operations ahead of it (a flood of calls while
            # the file was locked): it fails as one that waited out the lock, without a try.
            # Else a queue longer than this thread gets through in 5 s would charge, and send,
            # calls made long before, and each try past its time would slow the others down.
            raise self._locked_too_long()
        self._mode.handed = handed
        try:
            return operation(*args)
        finally:
            self._mode.handed = None

    # Counters -----------------------------------------------------------------------------

    def reserve(self, budgets: Sequence[Budget]) -> Reservation:
        if len(budgets) == 1:
            now = self.clock()
            if now - self._swept_at < SWEEP_SECONDS:  # no sweep due: the one-statement path
                return self._reserve_one(budgets[0], now)

        given_back: list[tuple[str, int, int]] = []
        put_back: list[int] = []
        written: dict[str, tuple[int, int]] = {}  # each counter's window and `seq` once charged

        def work(db: sqlite3.Connection) -> Reservation:
            # The clock is read under the write lock: a reading taken before waiting for the
            # lock could be older than a window another process has already charged.
            now = self.clock()
            given_back.clear()
            put_back.clear()
            written.clear()
            if self._contents_went_back(db, [counter_name(self.policy, budget) for budget in budgets]):
                put_back.append(self._put_back_in(db))
            plan: list[tuple[str, int, int, int]] = []
            for index, budget in enumerate(budgets):
                name = counter_name(self.policy, budget)
                lease = self._leases.pop(name, None)
                if lease is not None and lease.left > 0:
                    # Checked against each of its limits below, a counter counts the calls
                    # made: this process's unused lease of it goes back first.
                    db.execute(_GIVE_BACK, (lease.left, name, lease.window_start))
                    given_back.append((name, lease.window_start, lease.left))
                start = window_start(budget.key.window, now)
                row = db.execute("SELECT window_start, used, seq FROM counters WHERE name = ?", (name,)).fetchone()
                if row is not None and row[0] > start:
                    start = row[0]  # a clock behind the store's newest window counts in that window
                used = row[1] if row is not None and row[0] == start else 0
                written[name] = (start, int(row[2]) + 1 if row is not None else 1)
                if used + 1 > budget.max:
                    return Reservation(now=now, denied=index)
                plan.append((name, start, start + WINDOW_SECONDS[budget.key.window], used + 1))
            db.executemany(
                "INSERT INTO counters (name, window_start, window_end, used, seq) VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT(name) DO UPDATE SET window_start = excluded.window_start, "
                "window_end = excluded.window_end, used = excluded.used, seq = counters.seq + 1",
                plan,
            )
            if now - self._swept_at >= SWEEP_SECONDS:
                self._swept_at = now
                db.execute("DELETE FROM counters WHERE window_end <= ?", (int(now),))
                db.execute("DELETE FROM approvals WHERE expires < ?", (now - KEEP_EXPIRED,))
            return Reservation(now=now, charged=tuple((name, start) for name, start, _, _ in plan))

        result: Reservation = self._run(work, write=True)
        if put_back:
            self._said_put_back(f"the state file {self.path} went back to older contents while in use", put_back[0])
        for name, start, left in given_back:
            self._count(name, start, 0, -left)
        for budget, (name, start) in zip(budgets, result.charged):
            self._count(name, start, start + WINDOW_SECONDS[budget.key.window], 1)
            self._seen[name] = written[name]
        self._start_watch()
        return result

    def _reserve_one(self, budget: Budget, now: float) -> Reservation:
        """The common case, one budget, as one statement (its own transaction): check and
        charge in a single upsert, a quarter of the statements of the general path. The
        window logic is the same: a stored window newer than this clock's is counted in."""
        if budget.max < 1:
            return Reservation(now=now, denied=0)
        try:
            return self._charge_one(budget, now)
        except _Locked:
            pass
        # A try after a wait reads the clock again: the wait may have crossed into a new window.
        return self._after_a_lock(lambda: self._charge_one(budget, self.clock()))

    def _charge_one(self, budget: Budget, now: float) -> Reservation:
        """One try at `_reserve_one`: `_Locked` with nothing charged when the file is locked."""
        start = window_start(budget.key.window, now)
        with self._lock:
            # Named under the lock `follow_policy` changes the policy's key under.
            name = counter_name(self.policy, budget)
            db = self._files()
            lease = self._leases.get(name)
            if lease is not None:
                # A lease of a newer window than this clock's (another process's clock ahead)
                # still counts; one of an older window is over, its calls spent or lost.
                if lease.window_start >= start and lease.left > 0 and lease.max == budget.max:
                    lease.left -= 1
                    return Reservation(now=now, charged=((name, lease.window_start),))
                if lease.max != budget.max and lease.window_start >= start and lease.left > 0:
                    # Another limit on the same counter (or this one, reloaded): the calls
                    # leased under the old maximum go back first, so this charge counts the
                    # calls made, exactly as without a lease. Found locked, the lease stays
                    # for the next try.
                    self._give_back(db, name, lease)
                del self._leases[name]
            end = start + WINDOW_SECONDS[budget.key.window]
            charge = (name, start, end, budget.max)
            try:
                # fetchall() steps the statement to its end, which commits it.
                rows = db.execute(_CHARGE_ONE, (*charge, self._lineage)).fetchall()
                if not rows and _file_lineage(db) != self._lineage:
                    # Nothing charged: the file is of another lineage (it went back, and
                    # another process saw it first; or it was overwritten in place).
                    self._put_back(db, f"the state file {self.path} went back to older contents while in use")
                    rows = db.execute(_CHARGE_ONE, (*charge, self._lineage)).fetchall()
            except sqlite3.Error as exc:
                raise self._failure(exc) from None
            if not rows:
                return Reservation(now=now, denied=0)
            charged_start, used, seq = int(rows[0][0]), int(rows[0][1]), int(rows[0][2])
            kept = self._tally.get(name)
            if _went_back(self._seen.get(name), (charged_start, seq - 1), int(now),
                          kept[1] if kept is not None and kept[0] == charged_start else 0):
                # Charged in a counter behind what this process saw of it: the file went back
                # (an older copy of it copied over it). This charge stands; what this process
                # counted before it is added back. Found locked, the call is denied (its
                # charge stays counted: strict) and the next charge looks again.
                try:
                    self._put_back(db, f"the state file {self.path} went back to older contents while in use")
                except _Locked:
                    raise StateUnavailable(f"the state file {self.path} went back to older contents while in use, "
                                           "and stayed locked as its counts were put back") from None
                seq = self._seen.get(name, (charged_start, seq))[1]
            self._count(name, charged_start, end, 1)
            self._seen[name] = (charged_start, seq)
            self._take_lease(db, name, charged_start, used, budget.max, end)
        self._start_watch()
        return Reservation(now=now, charged=((name, charged_start),))

    def _take_lease(
        self, db: sqlite3.Connection, name: str, charged_start: int, used: int, maximum: int, end: int
    ) -> None:
        """Lease more of a counter with plenty of room (the caller holds the lock). The charge
        is made already: a lease the file does not give now (locked in between by another
        process, or gone) is simply not taken, and the call stands charged once."""
        units = min(LEASE_UNITS, (maximum - used) // LEASE_HEADROOM)
        if units <= 0:
            return
        try:
            taken = db.execute(_LEASE, (units, name, charged_start, maximum)).rowcount == 1
        except sqlite3.Error:
            return
        if taken:
            self._leases[name] = _Lease(charged_start, units, maximum)
            self._count(name, charged_start, end, units)

    def refund(self, reservation: Reservation) -> None:
        if not reservation.charged:
            return
        charged = reservation.charged
        if len(charged) == 1:
            with self._lock:
                lease = self._leases.get(charged[0][0])
                if lease is not None and lease.window_start == charged[0][1]:
                    lease.left += 1  # back into the lease: the file counts it as leased
                    return

        def work(db: sqlite3.Connection) -> None:
            db.executemany(_GIVE_BACK, [(1, name, start) for name, start in charged])

        self._run(work, write=True)
        for name, start in charged:
            self._count(name, start, 0, -1)

    def _give_back(self, db: sqlite3.Connection, name: str, lease: _Lease) -> None:
        """Return a lease's unused calls to the file (the caller holds the lock)."""
        try:
            db.execute(_GIVE_BACK, (lease.left, name, lease.window_start))
        except sqlite3.Error as exc:
            raise self._failure(exc) from None
        self._count(name, lease.window_start, 0, -lease.left)

    def _give_back_leases(self) -> None:
        """Return what the leases of this process did not hand out (on close)."""
        leases = [(lease.left, name, lease.window_start) for name, lease in self._leases.items() if lease.left > 0]
        self._leases.clear()
        if leases:
            self._run(lambda db: db.executemany(_GIVE_BACK, leases), write=True)

    def _current_counts_renamed(self, db: sqlite3.Connection, prefix: str, policy: str
                                ) -> list[tuple[str, int, int, int]]:
        """The counts of the current windows kept under `prefix` (an old policy's counters),
        each named as `policy`'s counter: (name, window_start, window_end, used) rows."""
        rows = db.execute(
            "SELECT name, window_start, window_end, used FROM counters "
            "WHERE substr(name, 1, ?) = ? AND used > 0 AND window_end > ?",
            (len(prefix), prefix, int(self.clock())),
        ).fetchall()
        return [(new, start, end, used) for name, start, end, used in rows if (new := renamed_counter(name, policy))]

    def carry_over(self, old_policy: str) -> None:
        if not old_policy or old_policy == self.policy:
            return
        prefix = counter_name_prefix(old_policy)
        policy = self.policy

        def work(db: sqlite3.Connection) -> None:
            moved = self._current_counts_renamed(db, prefix, policy)
            # OR IGNORE: a counter this policy already keeps (carried over by an earlier start)
            # is the one that counts.
            db.executemany("INSERT OR IGNORE INTO counters (name, window_start, window_end, used) VALUES (?, ?, ?, ?)", moved)

        self._run(work, write=True)

    def follow_policy(self, policy: str) -> None:
        old = self.policy
        if not policy or not old or policy == old:
            return
        prefix = counter_name_prefix(old)

        def work(db: sqlite3.Connection) -> None:
            copied = self._current_counts_renamed(db, prefix, policy)
            # The larger count stands: each gateway that was counting under the old key copies
            # it, and a copy made twice must not count the calls twice.
            db.executemany(_MAX_COUNT, copied)
            # Under the lock the charges take: none falls between the copy and the new key.
            self.policy = policy
            # What this process counted goes under the new key too, should it be added back.
            self._tally = {new: kept for name, kept in self._tally.items() if (new := renamed_counter(name, policy))}
            self._seen.clear()

        try:
            self._run(work, write=True)
        except BaseException:
            self.policy = old
            raise

    def usage(self) -> list[CounterUse]:
        now = self.clock()
        rows = self._run(
            lambda db: db.execute(
                "SELECT name, window_start, used FROM counters WHERE used > 0 AND window_end > ?", (now,)
            ).fetchall(),
            write=False,
        )
        found: list[CounterUse] = []
        for name, start, used in rows:
            parts = split_counter_name(name)
            if parts is None:
                continue
            policy, (counter, scope, scope_id, window) = parts
            if start == window_start(window, now):
                found.append(CounterUse(policy, counter, scope, scope_id, window, used, start))
        return found

    # Held calls ---------------------------------------------------------------------------

    def put_request(self, approval_id: str, request: dict[str, Any], expires: float) -> bool:
        text = json.dumps(request, ensure_ascii=False)

        def work(db: sqlite3.Connection) -> bool:
            # Settled records stay for a late answer to read; without a sweep here a gateway
            # whose policy has no rate limits (the other sweep's caller) would keep them all.
            db.execute("DELETE FROM approvals WHERE expires < ?", (time.time() - KEEP_EXPIRED,))
            cursor = db.execute(
                "INSERT OR IGNORE INTO approvals (id, request, expires) VALUES (?, ?, ?)",
                (approval_id, text, expires),
            )
            return cursor.rowcount == 1

        return bool(self._run(work, write=True))

    def get_approval(self, approval_id: str) -> StoredApproval | None:
        row = self._run(
            lambda db: db.execute(
                "SELECT request, decision, result FROM approvals WHERE id = ?", (approval_id,)
            ).fetchone(),
            write=False,
        )
        return stored_approval(*row) if row is not None else None

    def put_decision(self, approval_id: str, decision: dict[str, Any]) -> bool:
        text = json.dumps(decision, ensure_ascii=False)

        def work(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                "UPDATE approvals SET decision = ? WHERE id = ? AND decision IS NULL", (text, approval_id)
            )
            return cursor.rowcount == 1

        return bool(self._run(work, write=True))

    def settle_approval(self, approval_id: str, request: dict[str, Any], result: dict[str, Any]) -> bool:
        texts = (json.dumps(request, ensure_ascii=False), json.dumps(result, ensure_ascii=False), approval_id)

        def work(db: sqlite3.Connection) -> bool:
            return db.execute("UPDATE approvals SET request = ?, result = ? WHERE id = ?", texts).rowcount == 1

        return bool(self._run(work, write=True))

    def approvals(self) -> list[StoredApproval]:
        rows = self._run(lambda db: db.execute("SELECT request, decision, result FROM approvals").fetchall(), write=False)
        return [stored_approval(*row) for row in rows]

    def remove_approval(self, approval_id: str) -> None:
        self._run(lambda db: db.execute("DELETE FROM approvals WHERE id = ?", (approval_id,)), write=True)

    def close(self) -> None:
        # Whatever waits for the file on the store's own thread gives up now, denied.
        self._closing.set()
        self._waiter.stop()
        self._checkpointer.stop()
        self._mode.patience = CLOSING_PATIENCE
        unused = sum(lease.left for lease in self._leases.values())
        try:
            self._give_back_leases()
        except StateUnavailable:
            # The file is gone or locked: the leased calls stay counted until the window ends.
            self.unreleased = (f"the state file {self.path} could not be written as the gateway stopped (locked by "
                               f"another program, or gone), so the {unused} calls it leased and did not use stay "
                               "counted until their window ends")
        finally:
            del self._mode.patience
        with self._lock:
            if self._db is not None:
                self._db.close()




class _Waiter:
    """The store's own thread for operations handed over (`SQLiteStore.hand_over`): one at a
    time, in the order they came, each waiting for the file as long as it allows. Started with
    the first one; a daemon, so a process that exits without closing the store is not held."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self._jobs: queue.SimpleQueue[tuple[HandedOver[Any], Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.SimpleQueue())
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopped = False
        # Operations handed over and not yet ended: while any is, new ones go behind it.
        self.pending = 0

    def put(self, handed: HandedOver[Any], operation: Callable[..., Any], args: tuple[Any, ...]) -> None:
        with self._lock:
            if self._stopped:
                handed.start()
                handed.future.set_exception(StateUnavailable(
                    f"the gateway is stopping: the state file {self._store.path} was not waited for"))
                return
            self.pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="policytui-state-wait", daemon=True)
                self._thread.start()
        self._jobs.put((handed, operation, args))

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            handed, operation, args = job
            if not handed.start():
                self._ended()  # abandoned before its turn: it ended then, having done nothing
                continue
            try:
                result = self._store._run_handed(handed, operation, args)
            except Exception as exc:  # noqa: BLE001 - the caller reads it from the future
                self._ended()
                handed.future.set_exception(exc)
            else:
                self._ended()
                handed.future.set_result(result)

    def _ended(self) -> None:
        # Counted down before the caller can hear of it, so its next operation goes in place.
        with self._lock:
            self.pending -= 1

    def stop(self) -> None:
        """End the thread once the operations handed over so far have ended (each gives up
        at once when the store is closing)."""
        with self._lock:
            self._stopped = True
            thread = self._thread
        if thread is None:
            return
        self._jobs.put(None)
        if thread is not threading.current_thread():
            thread.join(timeout=BUSY_TIMEOUT_MS / 1000)


# The checkpoint's own process (see `_Checkpointer`): standard library only, started with
# `python -I -S -c`, so it starts in milliseconds. One line in ("checkpoint SIZE", SIZE the
# largest the index was seen whole), one checkpoint; its outcome ("busy logged moved") out. It
# ends when its input does (the gateway closed it, or died). An index it finds cut short (not
# a whole number of regions, or smaller than seen) is left alone: its first checkpoint maps
# the index, and SQLite would make a short one long enough again with its header kept, which
# then indexes none of the log's frames (every process would read counts of the file alone).
CHECKPOINT_CHILD = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=float(sys.argv[2]), isolation_level=None)
db.execute("PRAGMA journal_size_limit=" + str(int(sys.argv[3])))
region = int(sys.argv[4])
for line in sys.stdin:
    try:
        size = os.stat(sys.argv[1] + "-shm").st_size
    except OSError:
        size = 0
    if not size or size % region or size < int(line.split()[-1]):
        busy, logged, moved = 1, -1, -1
    else:
        try:
            busy, logged, moved = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            busy, logged, moved = 1, -1, -1
    sys.stdout.write(f"{busy} {logged} {moved}\\n")
    sys.stdout.flush()
db.close()
"""


class _Checkpointer(threading.Thread):
    """Moves the write-ahead log into the database file every CHECKPOINT_SECONDS, off the
    event loop. PASSIVE: it never waits for, nor blocks, the processes that charge counters
    meanwhile.

    The checkpoint itself runs in a process of its own (CHECKPOINT_CHILD), this thread only
    deciding when. A checkpoint writes the index through its mapping after it has copied and
    synced the log's pages, milliseconds after the checks below: an index made immutable
    (`chattr +i`) in between killed the gateway with SIGBUS, which cannot be caught. Now it
    kills only that process: the store sees the index barred at its next operation (limited
    calls are denied), and another process is started for the next checkpoint due."""

    def __init__(self, path: Path, identity: Identity, header_ok: Callable[[], bool]) -> None:
        super().__init__(name="policytui-state-checkpoint", daemon=True)
        self.path = path
        # Whether the file still carries its mark: one overwritten in place must not have the
        # old log's pages written into it (the store opens it afresh at its next operation).
        self.header_ok = header_ok
        # The files the store opened: once they are no longer the ones on disk, a checkpoint
        # would write the old log's pages into a file other processes use; the store opens the
        # files on disk at its next operation and starts another checkpointer.
        self.identity = identity
        self.done = 0  # checkpoints that moved something (for tests and diagnostics)
        self.asked = 0  # checkpoints asked of the checkpoint's process
        self._index_size = 0  # the largest the index was seen whole
        self._stop_event = threading.Event()
        self._child: subprocess.Popen[str] | None = None
        self._child_lock = threading.Lock()

    def run(self) -> None:
        try:
            # The log's size and time of change when a checkpoint last moved all of it. Until
            # some process writes it again there is nothing to move, and the index is left
            # alone: an idle gateway reads no mapping another program may cut short meanwhile
            # (between the checks below and the checkpoint, which would kill the process).
            moved_all: tuple[int, int] | None = None
            while not self._stop_event.wait(CHECKPOINT_SECONDS):
                identity, index_size = _on_disk(self.path)
                if (identity != self.identity or index_size % INDEX_REGION or not index_size
                        or _index_barred(self.path, identity[-1]) or not self.header_ok()):
                    continue  # a write to the index cut short or barred would kill the process
                try:
                    st = os.stat(f"{self.path}-wal")
                except OSError:
                    continue  # gone: the store opens the files on disk at its next operation
                log_now = (st.st_size, st.st_mtime_ns)
                if log_now == moved_all:
                    continue
                self._index_size = max(self._index_size, index_size)
                outcome = self._checkpoint()
                if outcome is None:
                    continue  # the file is busy, gone, or the process died: next round
                busy, logged, moved = outcome
                if logged > 0 and moved > 0:
                    self.done += 1
                # A write since the stat above makes the log differ next round: checked again.
                moved_all = log_now if not busy and moved == logged else None
        finally:
            self._end_child()

    def _checkpoint(self) -> tuple[int, int, int] | None:
        """One checkpoint by the checkpoint's process (started first if need be): (busy, log
        frames, frames moved), or None when it failed or the process died making it."""
        with self._child_lock:
            if self._stop_event.is_set():
                return None
            child = self._child
            if child is None or child.poll() is not None:
                try:
                    child = self._child = subprocess.Popen(
                        [sys.executable, "-I", "-S", "-c", CHECKPOINT_CHILD, str(self.path),
                         str(BUSY_TIMEOUT_MS / 1000), str(WAL_SIZE_LIMIT), str(INDEX_REGION)],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                        # Its own session: a Ctrl-C at the gateway's terminal is the gateway's
                        # to handle; the process ends when the gateway closes its input.
                        text=True, close_fds=True, start_new_session=True)
                except OSError as exc:
                    log.error("the state file's checkpoint process could not be started (%s); "
                              "SQLite checkpoints by itself instead", exc)
                    self._stop_event.set()
                    return None
        assert child.stdin is not None and child.stdout is not None
        self.asked += 1
        try:
            child.stdin.write(f"checkpoint {self._index_size}\n")
            child.stdin.flush()
            answer = child.stdout.readline().split()
        except (OSError, ValueError):
            answer = []
        if len(answer) == 3:
            busy, logged, moved = (int(word) for word in answer)
            return None if logged < 0 else (busy, logged, moved)
        code = child.wait()
        if self._stop_event.is_set():
            return None
        if code < 0:
            why = (f" (its shared-memory index {self.path}-shm was made unwritable or cut short during a "
                   "checkpoint)" if -code == signal.SIGBUS else "")
            log.error("the state file's checkpoint process was killed by %s%s; the gateway goes on",
                      _signal_name(-code), why)
        else:
            # It could not open the file: as when this thread could not, SQLite's own
            # checkpoints (SAFETY_NET_PAGES) take over, rather than a process started each second.
            log.error("the state file's checkpoint process ended (exit code %s); SQLite checkpoints by itself "
                      "instead", code)
            self._stop_event.set()
        return None

    def _end_child(self) -> None:
        with self._child_lock:
            child, self._child = self._child, None
        if child is None:
            return
        try:
            assert child.stdin is not None
            child.stdin.close()  # its loop ends, it closes its connection and exits
        except OSError:
            pass
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout=5)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
