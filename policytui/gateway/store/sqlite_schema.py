"""The state file's tables and the statements that charge, move and give back counts in them.

Kept apart from the store (`policytui.gateway.store.sqlite`) so that the file's layout, the
statements written against it and the one place that gives a file of an earlier version the
columns this one reads are read together, beside the tables they depend on.
"""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    used INTEGER NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS lineage (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    token TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    expires REAL NOT NULL,
    decision TEXT,
    result TEXT
);
"""

# Charge one counter if it has room, in one statement: a row in an older window starts over
# at 1; a row in the same or a newer window (another process's clock ahead of this one)
# counts on. When the counter is full the WHERE leaves the row alone and nothing is returned;
# nor is anything charged while the file's lineage (?5) is not the one this process knows
# (see "Contents gone back" in `policytui.gateway.store.sqlite`). Every write of a row adds 1 to its
# `seq`, which therefore only grows while the file is the one written.
_CHARGE_ONE = """
INSERT INTO counters (name, window_start, window_end, used, seq)
SELECT ?1, ?2, ?3, 1, 1 WHERE EXISTS (SELECT 1 FROM lineage WHERE id = 1 AND token = ?5)
ON CONFLICT(name) DO UPDATE SET
    used = CASE WHEN counters.window_start >= excluded.window_start THEN counters.used + 1 ELSE 1 END,
    window_end = CASE WHEN counters.window_start >= excluded.window_start
                      THEN counters.window_end ELSE excluded.window_end END,
    window_start = MAX(counters.window_start, excluded.window_start),
    seq = counters.seq + 1
WHERE (CASE WHEN counters.window_start >= excluded.window_start THEN counters.used ELSE 0 END) < ?4
RETURNING window_start, used, seq
"""
# Counts moved from state files given up (`SQLiteStore._files`), added (`_ADD_COUNT`) or kept
# when larger (`_MAX_COUNT`): the same window counts on, a newer stored window stays, an older
# one starts from what is moved.
_MOVE_COUNT = """
INSERT INTO counters (name, window_start, window_end, used) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT(name) DO UPDATE SET
    used = CASE WHEN counters.window_start = excluded.window_start THEN {same_window}
                WHEN counters.window_start < excluded.window_start THEN excluded.used
                ELSE counters.used END,
    window_end = CASE WHEN counters.window_start < excluded.window_start
                      THEN excluded.window_end ELSE counters.window_end END,
    window_start = MAX(counters.window_start, excluded.window_start),
    seq = counters.seq + 1
"""
_ADD_COUNT = _MOVE_COUNT.format(same_window="counters.used + excluded.used")
_MAX_COUNT = _MOVE_COUNT.format(same_window="MAX(counters.used, excluded.used)")
# Take `units` more of a counter's room for a lease, only if they fit.
_LEASE = ("UPDATE counters SET used = used + ?1, seq = seq + 1 "
          "WHERE name = ?2 AND window_start = ?3 AND used + ?1 <= ?4")
# Give back units leased or charged and not used.
_GIVE_BACK = "UPDATE counters SET used = MAX(0, used - ?), seq = seq + 1 WHERE name = ? AND window_start = ?"


def _add_column(db: sqlite3.Connection, table: str, column: str, declared: str) -> None:
    """Give a state file made by an earlier version a column this one reads (what became of a
    held call, a counter's count of writes). Two processes may open the file at once: the
    second one's ALTER finds the column there."""
    columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    if column in columns:
        return
    try:
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declared}")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):
            raise
