"""Unsaved edits kept when the editor is made to quit: always a new file, never a replaced one.

An editor stopped from outside (SIGTERM, a closed terminal, `policytui serve` stopping, its
browser window closed) while it has unsaved changes keeps the document a save would have
written (`EditorState.prepare_save`, the save's own data: a credential a server quotes in a
tool definition is starred here as in the policy) in a recovery file:

- beside the policy, `policy.json.unsaved-YYYYMMDD-HHMMSS.json`: where its author looks, and
  where the save's `.bak` already is;
- where that folder cannot be written (read-only, someone else's, a policy that is a device),
  in a folder of the user's own, `$XDG_STATE_HOME/policytui/unsaved/<digest of the policy's
  path>/` (else `~/.local/state/...`), made 0700.

The text goes to a temporary file that is then hard-linked to its name: a link fails rather
than replace whatever is there (a name taken in the same second gets `-2`, `-3`, ...), so
neither the policy nor an earlier recovery file is ever overwritten or truncated. It is 0600,
since a policy's conditions may name values its author would not show everyone.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
import stat
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policytui.output_file import os_reason

if TYPE_CHECKING:
    from policytui.editor.state import EditorState

MARK = ".unsaved-"
STAMP = "%Y%m%d-%H%M%S"
MODE = 0o600
NAMES_PER_SECOND = 100  # a name taken that often in one second means something is wrong


class NotKept(Exception):
    """The unsaved edits could not be written anywhere; str() is the end of one sentence."""


def keep_unsaved(state: EditorState, *, now: datetime | None = None) -> Path:
    """Write what a save of `state` would write to a new recovery file; its path.

    Raises NotKept when no folder would take it."""
    if state.path is None:
        raise NotKept("there is no policy file to name them after")
    return keep_document(state.path, state.prepare_save().document, now=now)


def keep_document(policy: Path, document: dict[str, Any], *, now: datetime | None = None) -> Path:
    """Write `document` (as a save would) to a new recovery file for `policy`; its path."""
    from policytui.policy.files import dumps_document

    try:
        data = dumps_document(document).encode("utf-8")
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise NotKept(f"they are not valid JSON text ({exc})") from None
    when = now or datetime.now()
    reasons: list[str] = []
    for folder, private in _folders(policy):
        try:
            if private:
                _own_folder(folder)
            return _write_new(folder, policy.name, when, data)
        except OSError as exc:
            reasons.append(f"{folder}: {os_reason(exc)}")
    raise NotKept("; ".join(reasons))


def kept_versions(policy: Path) -> list[Path]:
    """The recovery files kept for `policy`, newest first (none when a folder is unreadable).

    Only this user's files: an editor writes them as its user, and in a folder others may
    write to (a shared one, /tmp) another user could plant a file of theirs with that name
    and a late time, for the notice to send the policy's author to it."""
    pattern = f"{glob.escape(policy.name)}{MARK}*.json"
    found: list[tuple[float, Path]] = []
    for folder in (_beside(policy), private_folder(policy)):
        for path in folder.glob(pattern):
            with contextlib.suppress(OSError):
                status = path.lstat()
                if stat.S_ISREG(status.st_mode) and status.st_uid == os.getuid():
                    found.append((status.st_mtime, path))
    return [path for _mtime, path in sorted(found, reverse=True)]


def recovery_name(policy_name: str, when: datetime, attempt: int = 1) -> str:
    """`policy.json.unsaved-20250131-235959.json`; from the second attempt on, `...-2.json`."""
    again = f"-{attempt}" if attempt > 1 else ""
    return f"{policy_name}{MARK}{when.strftime(STAMP)}{again}.json"


def private_folder(policy: Path) -> Path:
    """The user's own folder for `policy`'s recovery files, named after its resolved path
    (two policies named policy.json in different folders must not share one)."""
    root = os.environ.get("XDG_STATE_HOME")
    base = Path(root) if root and os.path.isabs(root) else Path.home() / ".local" / "state"
    digest = hashlib.sha256(str(policy.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return base / "policytui" / "unsaved" / digest[:16]


def _beside(policy: Path) -> Path:
    return Path(os.path.abspath(policy)).parent


def _folders(policy: Path) -> list[tuple[Path, bool]]:
    """Where to try, in order, each with whether it is the user's private folder. Not beside a
    policy that is a device or pipe (`/dev/stdout`): /dev is no place for a file, and root
    could write one there."""
    private = (private_folder(policy), True)
    try:
        beside = stat.S_ISREG(os.stat(policy).st_mode)
    except OSError:
        beside = True  # no file yet: its folder is where the first save would put it
    return [(_beside(policy), False), private] if beside else [private]


def _own_folder(folder: Path) -> None:
    """Make the private folder (0700); refuse one that is not this user's alone."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = folder.lstat()
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise PermissionError(errno.EPERM, "it is not a folder of this user's alone")


def _write_new(folder: Path, policy_name: str, when: datetime, data: bytes) -> Path:
    """`data` in a new file of `folder` (fsync'ed, mode 0600); never replaces a file."""
    # mkstemp creates the file exclusively, readable by its owner only.
    fd, temporary = tempfile.mkstemp(prefix=f".{policy_name}{MARK}", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), MODE)
            os.fsync(handle.fileno())
        for attempt in range(1, NAMES_PER_SECOND + 1):
            target = folder / recovery_name(policy_name, when, attempt)
            if _put_at(temporary, target):
                _fsync_folder(folder)
                return target
        raise FileExistsError(errno.EEXIST, "every name for the file is taken")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _put_at(temporary: str, target: Path) -> bool:
    """Give the written file the name `target` unless something has it; False if it has."""
    try:
        os.link(temporary, target)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise
    # A file system without hard links: claim the name with a new empty file (which fails
    # if anything has it), then rename the written file onto that claim of our own.
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, MODE))
    except FileExistsError:
        return False
    os.replace(temporary, target)
    return True


def _fsync_folder(folder: Path) -> None:
    # The new name is durable only once the folder's entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    with contextlib.suppress(OSError):  # some file systems refuse fsync on folders
        os.fsync(fd)
    os.close(fd)
