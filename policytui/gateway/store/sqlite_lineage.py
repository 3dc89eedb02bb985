"""How the store sees a state file's contents gone back (see "Contents gone back" in
`policytui.gateway.store.sqlite`): the file's lineage, what changes on disk when the file is
written, and whether a counter is behind what this process last saw of it.

Kept apart from the store so that the test of "went back", on which counts are put back, is
one small function that reads nothing but its arguments.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def _file_lineage(db: sqlite3.Connection) -> str | None:
    row = db.execute("SELECT token FROM lineage WHERE id = 1").fetchone()
    return str(row[0]) if row is not None else None


def _content_stat(path: Path) -> tuple[int, ...]:
    """What changes on disk when the state file itself is written (by a checkpoint, or by a
    program that overwrites it)."""
    try:
        st = os.stat(path)
    except OSError:
        return ()
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _went_back(seen: tuple[int, int] | None, row: tuple[int, int] | None, now: int, end: int) -> bool:
    """Whether a counter (`row`: its window start and `seq` in the file, None when it is not
    there) is behind what this process last saw of it (`seen`) in a window still current."""
    if seen is None or end <= now:
        return False
    if row is None:
        return True
    return row[0] == seen[0] and row[1] < seen[1]
