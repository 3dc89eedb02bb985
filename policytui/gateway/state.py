"""Where the gateway keeps files that outlive a call: the state store's SQLite file and the audit log."""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR_ENV = "POLICYTUI_STATE_DIR"


def default_state_dir() -> Path:
    """`$POLICYTUI_STATE_DIR`, else `$XDG_STATE_HOME/policytui`, else `~/.local/state/policytui`."""
    explicit = os.environ.get(STATE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "policytui"


def approvals_dir(state_dir: Path | None = None) -> Path:
    """The folder of the earlier file-per-call approvals queue (held calls now live in the state
    store; kept so that callers naming the folder still work)."""
    return (state_dir or default_state_dir()) / "approvals"


def default_audit_path(state_dir: Path | None = None) -> Path:
    return (state_dir or default_state_dir()) / "audit.jsonl"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the owner only; pending calls carry arguments."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
