"""The SQLite state file as files on disk, seen without SQLite: which files a connection has
open, the mark in the file's header, and the log and index beside it.

The store (`policytui.gateway.store.sqlite`) checks these before every operation, because SQLite
itself does not see a file removed, replaced or overwritten in place while it is open, and a
shared-memory index cut short or made unwritable kills the process that maps it (SIGBUS). Kept
apart from the counters, approvals and leases so that what the store knows of the file's
identity is in one place; it imports nothing of the store.

Named `sqlite_disk`, not `sqlite_file`: importing a submodule sets an attribute of that name on
the package, which would hide the package's own `sqlite_file()`.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sys
import threading
from pathlib import Path

log = logging.getLogger("policytui.gateway")

# The files SQLite keeps beside the state file in WAL mode: the log and its index.
SIDECARS = ("-wal", "-shm")
# SQLite maps the index in regions of this size, so a whole index is a multiple of it; and its
# header (two copies of the index header and the checkpoint information) is this long.
INDEX_REGION = 32768
INDEX_HEADER = 136
# The state file's mark in its header, read without SQLite (`_header_of`): its application id
# (this constant, "PTUI") and a user version chosen at random when it was made. A file copied
# over it in place (another SQLite file, an empty one, anything) has another header: every
# process sees that before SQLite reads the file through pages it has cached, or through a log
# and index that belong to the contents overwritten.
APPLICATION_ID = 0x50545549
HEADER_MARK = slice(60, 72)  # user version at 60, application id at 68 (big-endian)


Identity = tuple[tuple[int, int] | None, ...]


def _on_disk(path: Path) -> tuple[Identity, int]:
    """The device and inode of the state file, its log and its index (None: not there), and
    the index's size."""
    found: list[tuple[int, int] | None] = []
    size = 0
    for name in (str(path), *(f"{path}{suffix}" for suffix in SIDECARS)):
        try:
            st = os.stat(name)
        except OSError:
            found.append(None)
        else:
            found.append((st.st_dev, st.st_ino))
            size = st.st_size
    return tuple(found), size if found[-1] is not None else 0


def _identity(path: Path) -> Identity:
    return _on_disk(path)[0]


def _what_changed(path: Path, opened: Identity) -> str:
    """One sentence's start: which of the files opened is no longer on disk as it was."""
    now = _identity(path)
    names = ("the state file", "its write-ahead log", "its shared-memory index")
    for (name, suffix), was, is_now in zip(zip(names, ("", *SIDECARS)), opened, now):
        if was != is_now:
            how = "removed" if is_now is None else "replaced"
            return f"{name} {path}{suffix} was {how} while in use"
    return f"the state file {path} was replaced while in use"


class _folder_lock:
    """An exclusive lock on the state folder while a process opens the state file there."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.fd = -1

    def __enter__(self) -> None:
        self.fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        os.close(self.fd)  # releases the lock


# Descriptors of indexes this process mended, by device and inode, kept open: closing one would
# drop every lock this process holds on that file through SQLite's own descriptors.
_mending: dict[tuple[int, int], int] = {}
_mending_lock = threading.Lock()


def _mend_index(path: Path, known_size: int) -> None:
    """Give the state file's index back its size when it was cut short (shorter than
    `known_size`, the largest this process saw, or not a whole number of SQLite's regions),
    zeroing its header: SQLite rebuilds it from the log, as it does an index it finds new,
    and no process's mapping of it reaches past its end (which would kill it with SIGBUS).
    Extended without ever shrinking it, should another process mend it at the same time."""
    name = f"{path}-shm"
    try:
        st = os.stat(name)
    except OSError:
        return
    if st.st_size and st.st_size >= known_size and st.st_size % INDEX_REGION == 0:
        return
    whole = max(known_size, -(-st.st_size // INDEX_REGION) * INDEX_REGION, INDEX_REGION)
    try:
        with _mending_lock:
            fd = _mending.get((st.st_dev, st.st_ino))
            if fd is None:
                fd = os.open(name, os.O_RDWR)
                _mending[(st.st_dev, st.st_ino)] = fd
        try:
            os.posix_fallocate(fd, 0, whole)
        except OSError:
            if os.fstat(fd).st_size < whole:
                os.ftruncate(fd, whole)
        os.pwrite(fd, bytes(INDEX_HEADER), 0)
    except OSError as exc:
        log.error("the shared-memory index %s could not be mended (%s)", name, exc)


# Linux's file attributes: an immutable or append-only index cannot be written through its
# mapping, and SQLite writes it on every transaction.
FS_IOC_GETFLAGS = 0x80086601
BARRED_FLAGS = 0x10 | 0x20  # FS_IMMUTABLE_FL, FS_APPEND_FL
# Descriptors the attributes are read through, by device and inode, kept open for the reason
# above; devices whose file system has no such attributes.
_readers: dict[tuple[int, int], int] = {}
_no_attributes: set[int] = set()


def _index_barred(path: Path, identity: tuple[int, int] | None) -> bool:
    """Whether the index (of `identity`) has the immutable or append-only attribute (`chattr
    +i`): SQLite's next write to its mapping would kill the process with SIGBUS."""
    if identity is None or identity[0] in _no_attributes:
        return False
    try:
        with _mending_lock:
            fd = _readers.get(identity)
            if fd is None:
                fd = os.open(f"{path}-shm", os.O_RDONLY)
                st = os.fstat(fd)
                _readers[(st.st_dev, st.st_ino)] = fd
                if (st.st_dev, st.st_ino) != identity:
                    return False  # replaced meanwhile: the identity check sees it next
        flags = int.from_bytes(fcntl.ioctl(fd, FS_IOC_GETFLAGS, bytes(8))[:4], sys.byteorder)
    except OSError as exc:
        if exc.errno in (errno.ENOTTY, errno.EINVAL, errno.EOPNOTSUPP):
            _no_attributes.add(identity[0])
        return False
    return bool(flags & BARRED_FLAGS)


def _barred(path: Path) -> str:
    return (f"the state file's shared-memory index {path}-shm cannot be written (its immutable or "
            "append-only attribute is set)")


def _remove_stray_sidecars(path: Path) -> None:
    """Remove a log and index left of a state file that is gone, and an index whose log is
    gone (the caller holds the folder's lock). SQLite would read them as the new file's, or
    read frames of a log that is no longer there ("disk I/O error"). No process can be using
    them rightly: SQLite makes the log before the index and deletes it after, and a gateway
    whose files were removed gives them up at its next operation. A log alone is kept: SQLite
    rebuilds the index from it, and its frames are counts made."""
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if not path.exists():
        gone = [wal, shm]
    elif not wal.exists():
        gone = [shm]
    else:
        return
    for name in gone:
        try:
            name.unlink()
        except FileNotFoundError:
            pass


# Descriptors the header is read through, by device and inode, kept open for the reason above.
_header_readers: dict[tuple[int, int], int] = {}


def _header_of(path: Path, identity: tuple[int, int] | None = None) -> bytes | None:
    """The mark bytes of the state file's header as they are on disk (see HEADER_MARK); None
    when the file is shorter than a header, or cannot be read. `identity`: the file's device
    and inode, when just read."""
    try:
        if identity is None:
            st = os.stat(path)
            identity = (st.st_dev, st.st_ino)
        with _mending_lock:
            fd = _header_readers.get(identity)
            if fd is None:
                fd = os.open(path, os.O_RDONLY)
                opened = os.fstat(fd)
                _header_readers[(opened.st_dev, opened.st_ino)] = fd
        data = os.pread(fd, HEADER_MARK.stop - HEADER_MARK.start, HEADER_MARK.start)
    except OSError:
        return None
    return data if len(data) == HEADER_MARK.stop - HEADER_MARK.start else None


def _marked_since(path: Path, mark: bytes) -> bool:
    """Whether the state file's header carries a mark other than `mark`: another process
    opened the contents copied over it first, and marked them (`SQLiteStore._open_locked`), so
    the log and index on disk are theirs now."""
    header = _header_of(path)
    return header is not None and int.from_bytes(header[8:], "big") == APPLICATION_ID and header != mark


def _drop_sidecars_of(path: Path, opened: Identity) -> None:
    """Remove the log and index of contents overwritten in place (`opened`: the files as they
    were opened), if they are still the ones on disk: another process that saw it first may
    have made new ones already, which are kept."""
    for suffix, was in zip(SIDECARS, opened[1:]):
        name = f"{path}{suffix}"
        try:
            st = os.stat(name)
            if was is not None and (st.st_dev, st.st_ino) == was:
                os.unlink(name)
        except OSError:
            pass
