"""One editing session per policy file.

Two editors saving one file would silently overwrite each other's work, so a policy file is
edited by one browser at a time. Inside one server the holder is remembered in memory; across
servers (two `policytui serve` on the same file) an flock on a per-user lock file, named after the
file's resolved path, says the file is taken. The lock file lives in the user's own folder under
$XDG_RUNTIME_DIR or the temporary folder, never beside the policy.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path


class LockFolderError(Exception):
    """The lock folder cannot be made, or is not a folder of this user's own; its str is one
    sentence."""


def lock_folder() -> Path:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = runtime or tempfile.gettempdir()
    folder = Path(base) / f"policytui-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except FileExistsError:
        pass  # something other than a folder: said below
    except OSError as exc:
        from policytui.output_file import os_reason

        if runtime and isinstance(exc, FileNotFoundError):
            raise LockFolderError(f"cannot make the folder {folder}: $XDG_RUNTIME_DIR names "
                                  f"{runtime}, which does not exist") from None
        raise LockFolderError(f"cannot make the folder {folder}: {os_reason(exc)}") from None
    # In a shared /tmp another user could have made the folder first and control what is in it.
    status = folder.lstat()
    if (folder.is_symlink() or not folder.is_dir() or status.st_uid != os.getuid()
            or status.st_mode & 0o077):
        raise LockFolderError(
            f"{folder} must be a folder of your own that no one else can write to; remove it"
        )
    return folder


class EditLock:
    """Who edits `policy_path` now: `try_acquire(holder)` / `release(holder)`."""

    def __init__(self, policy_path: Path) -> None:
        self.policy_path = policy_path.resolve()
        # The bytes of the path: a name that is not UTF-8 names a file all the same.
        digest = hashlib.sha256(os.fsencode(self.policy_path)).hexdigest()[:32]
        self.lock_path = lock_folder() / f"edit-{digest}.lock"
        self.holder: str | None = None
        self._fd: int | None = None

    def try_acquire(self, holder: str) -> bool:
        """Take the file for `holder`; False when another session (here or elsewhere) has it."""
        if self.holder is not None:
            return self.holder == holder
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        self.holder = holder
        return True

    def release(self, holder: str) -> None:
        if self.holder != holder:
            return
        self.holder = None
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def taken_elsewhere(self) -> bool:
        """True when another process holds the file (checked by taking the lock and letting go)."""
        if self.holder is not None:
            return False
        probe = "probe"
        if self.try_acquire(probe):
            self.release(probe)
            return False
        return True
