"""Which other editors have a policy file open, whoever runs them.

`policytui serve`'s edit lock keeps two of one user's editors apart; its lock file is in that
user's own folder, so a second user's serve, or anyone's terminal `connect`, never sees it. Here
each editor (a `connect` in a terminal, a `serve` for all of its browsers) marks the file open
for as long as it runs, in a way every user's processes can read: an open file description
lock (shared, so any number may mark) on one byte of the policy's folder, at an offset named
after the file's name. Linux lists every such lock in /proc/locks for every user. The folder,
not the file, carries it: a save replaces the file (a new inode) and leaves its folder.

Nothing is refused on it: two editors of one file are told of each other, and a save that
finds the file changed since it was read is already refused (PolicyFileConflict). Elsewhere
than Linux nothing is marked and nothing is found.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import struct
import sys
from pathlib import Path

_LOCKS = Path("/proc/locks")
# struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for an open file description lock).
_FLOCK = "hhqqi4x" if struct.calcsize("hhqqi") == 28 else "hhqqi"


def _offset(policy: Path) -> int:
    """The byte of the folder that stands for `policy` (below 2**48: any off_t holds it)."""
    digest = hashlib.sha256(os.fsencode(policy.name)).digest()
    return int.from_bytes(digest[:6], "big")


def _supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(fcntl, "F_OFD_SETLK")


def mark_open(policy: Path) -> int | None:
    """Mark `policy` open by this process until the descriptor returned is closed (or the
    process ends); None where no mark can be made (another system, a folder not readable)."""
    if not _supported():
        return None
    policy = policy.resolve()  # a link and its target mark the same file
    folder = policy.parent
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    request = struct.pack(_FLOCK, fcntl.F_RDLCK, os.SEEK_SET, _offset(policy), 1, 0)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, request)
    except OSError:
        os.close(fd)
        return None
    return fd


def unmark(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def open_elsewhere(policy: Path) -> int:
    """How many editors mark `policy` open (asked before this process marks it)."""
    if not _supported():
        return 0
    policy = policy.resolve()
    folder = policy.parent
    try:
        status = folder.stat()
        listing = _LOCKS.read_text()
    except OSError:
        return 0
    where = (os.major(status.st_dev), os.minor(status.st_dev), status.st_ino)
    offset = _offset(policy)
    found = 0
    for line in listing.splitlines():
        fields = line.split()
        # "12: OFDLCK ADVISORY READ -1 fe:00:2253331 123 123"
        if len(fields) < 8 or fields[1] != "OFDLCK" or fields[3] != "READ":
            continue
        try:
            major, minor, inode = fields[5].split(":")
            lock = (int(major, 16), int(minor, 16), int(inode))
            start = int(fields[6])
        except ValueError:
            continue
        if lock == where and start == offset:
            found += 1
    return found
