"""Reading files a user names on the command line that are not policies: recordings, snapshots.

A path given as input may be a device (`/dev/zero` never ends, a terminal waits for typing), a
named pipe nobody writes to (opening it waits forever) or a socket. `read_user_file` reads such
paths without hanging. Output files are written by `policytui.output_file`; policy files have
their own reader and writer in `policytui.policy.files`.
"""

from __future__ import annotations

import errno
import os
import stat


class NotARegularFile(OSError):
    """The path is a device or a socket, which cannot be read as a file."""


def read_user_file(path: str | os.PathLike[str]) -> bytes:
    """The whole content of a regular file or a pipe (`<(...)`).

    Raises OSError: FileNotFoundError, IsADirectoryError, PermissionError, or NotARegularFile
    for a device or a socket. Each carries a `strerror` fit for a one-sentence message.
    """
    # O_NONBLOCK so that opening a named pipe nobody writes to returns at once (it then reads
    # as empty) instead of waiting forever; reads are made blocking again right after, so a
    # pipe that is being written is read to its end.
    fd = os.open(os.fspath(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with open(fd, "rb") as handle:
        os.set_blocking(fd, True)
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "it is a folder", os.fspath(path))
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise NotARegularFile(errno.EINVAL, "it is a device or a socket, not a file",
                                  os.fspath(path))
        return handle.read()
