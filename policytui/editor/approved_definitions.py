"""Approved tool definitions kept on this machine, by fingerprint, to show what changed.

A policy keeps only the fingerprints of the definitions its author approved, unless pinning
is on in it (then the definitions too, `x-policytui.definitions`): forty kilobytes of tool
text in every policy file would be a high price for a diff most authors never open. Without
them, a tool rewritten behind `gateway --pin` showed in the Pins dialog with nothing to
compare it to. So each save also records the definitions it approves here, keyed by their
whole SHA-256 fingerprint, and the Pins dialog looks an approved fingerprint up when the
policy keeps no definition.

This is a cache: `$XDG_CACHE_HOME/policytui/definitions.sqlite` (else
`~/.cache/policytui/definitions.sqlite`). A definition is stored as the policy would keep it
(a credential the server quotes shown as ***), so nothing here is secret, and only what a
fingerprint names is ever read back. When the file cannot be written or read, the diff is
simply not shown: approvals live in the policy, never here.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("policytui.editor")

CACHE_FILE = "definitions.sqlite"
# A locked or slow cache must never hold a save up for long.
_BUSY_SECONDS = 1.0


def cache_path() -> Path:
    """`$XDG_CACHE_HOME/policytui/definitions.sqlite`, else `~/.cache/policytui/...`."""
    root = os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root and os.path.isabs(root) else Path.home() / ".cache"
    return base / "policytui" / CACHE_FILE


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=_BUSY_SECONDS)
    connection.execute(
        "CREATE TABLE IF NOT EXISTS definitions (fingerprint TEXT PRIMARY KEY, definition TEXT NOT NULL)")
    return connection


def remember(definitions: Iterable[tuple[str, dict[str, Any]]], path: Path | None = None) -> int:
    """Keep each (fingerprint, definition) not kept yet; how many were written (0 when the
    cache cannot be used)."""
    rows = [(fp, json.dumps(data, ensure_ascii=False, sort_keys=True)) for fp, data in definitions]
    if not rows:
        return 0
    path = path or cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = _connect(path)
        try:
            with connection:
                before = connection.total_changes
                connection.executemany("INSERT OR IGNORE INTO definitions VALUES (?, ?)", rows)
                return connection.total_changes - before
        finally:
            connection.close()
    except (OSError, sqlite3.Error) as exc:
        log.debug("approved definitions not kept in %s: %s", path, exc)
        return 0


def recall(fingerprint: str, path: Path | None = None) -> dict[str, Any] | None:
    """The definition kept for `fingerprint` (a whole one, or the 16-digit prefix older saves
    stored), or None."""
    path = path or cache_path()
    if not fingerprint.startswith("sha256:") or not path.is_file():
        return None
    try:
        connection = _connect(path)
        try:
            # A prefix of hex digits: every whole fingerprint that starts with it sorts between
            # the prefix and the prefix followed by the character after "f".
            found = connection.execute(
                "SELECT definition FROM definitions WHERE fingerprint >= ? AND fingerprint < ? LIMIT 2",
                (fingerprint, fingerprint + "g")).fetchall()
        finally:
            connection.close()
    except (OSError, sqlite3.Error) as exc:
        log.debug("approved definitions not read from %s: %s", path, exc)
        return None
    if len(found) != 1:
        return None  # none, or a prefix that two definitions share: nothing certain to show
    try:
        data = json.loads(found[0][0])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
