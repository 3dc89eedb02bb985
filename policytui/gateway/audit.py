"""The audit log: one JSON line per tool call, never an argument value.

Each line has `time` (UTC, ISO 8601), `server`, `grant`, `session`, `tool`, `decision`
(`allowed`, `denied` or `hidden`; `refused` for a client message refused before any
decision that is or may be a call, see `policytui.gateway.refused`), `rule` (the policy path that decided), `reason` (what the
agent was told), `args_sha256` (SHA-256 of the canonical arguments: JSON with sorted keys, no
spaces, UTF-8), `policy_sha256` (SHA-256 of the policy file that decided, as the gateway logs
it at start and at each reload) and, when they apply, `approval` (`approved`, `rejected`, `timed_out`, `unavailable`, with
`approval_via` `elicitation`, `input_required` or `queue`; `cancelled` for a call its client
cancelled while it waited), `dry_run: true`, `upstream` (`ok`, `error_result`,
`error`, `error_asked`, `invalid`, `unavailable`, `timeout`, `too_large`, `lost`, `cancelled`) and `ms` (time spent in the gateway and upstream).
A call that goes to the server has one more line, written before it goes, with `upstream`
`sent` (see `Enforcer`): a gateway killed while the server works still leaves the call's line.
Upstream error messages are not logged: they often quote the arguments.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import logging
import os
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

from policytui.gateway.jsonenc import encoder
from policytui.textsafe import holds_secrets, without_secrets

log = logging.getLogger("policytui.gateway")

# Encoders built once: `json.dumps` with options builds a new encoder on every call, and
# these run for every tool call the gateway sees.
_canonical = encoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str)
_record_line = encoder(ensure_ascii=True, separators=(", ", ": "))


def _own_sha256() -> Any:
    """CPython's own SHA-256 when it has one: the same digest as OpenSSL's, and much quicker
    to set up for the few bytes of one call's arguments (microseconds per call otherwise)."""
    for module in ("_sha256", "_sha2"):  # 3.11; 3.12 and later
        try:
            return importlib.import_module(module).sha256
        except (ImportError, AttributeError):
            continue
    return hashlib.sha256


_sha256 = _own_sha256()


def canonical_arguments(arguments: Any) -> bytes:
    """The arguments in one canonical byte form: sorted keys, no spaces, UTF-8."""
    return _canonical(arguments if arguments is not None else {}).encode("utf-8", "surrogatepass")


def args_digest(arguments: Any) -> str:
    """SHA-256 (hex) of the canonical arguments: lets an auditor match a call without its data."""
    try:
        data = canonical_arguments(arguments)
    except ValueError:  # NaN or infinity cannot come from JSON; be safe anyway
        data = repr(arguments).encode("utf-8", "surrogatepass")
    return _sha256(data).hexdigest()


# The second last formatted, and its text: formatting a date is most of what this costs,
# and every audit line of the same second shares it (one tuple, swapped whole: thread-safe).
_last_second: tuple[int, str] = (-1, "")


def utc_now_iso() -> str:
    """Now in UTC as ISO 8601 with milliseconds, e.g. 2026-12-03T01:00:35.123Z."""
    global _last_second
    now = time.time()
    second = int(now)
    cached = _last_second
    if cached[0] != second:
        cached = _last_second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{cached[1]}.{int((now - second) * 1000):03d}Z"


def open_log_file(path: Path, mode: int = 0o600) -> int:
    """A descriptor appending to `path`, created with `mode` (owner-only unless told). OSError
    with a `strerror` fit for one sentence when it cannot be opened.

    A missing folder is refused, not created, as every other file policytui writes refuses
    it: a mistyped `--audit /var/lgo/audit.jsonl` would otherwise start a gateway whose audit
    trail goes where nobody looks. (The state folder, the default's home, is the gateway's
    own and is created for it.)

    A symbolic link is refused too (but a name for one of the process's open descriptors,
    `/dev/stderr`, is written into): the gateway often runs as another user than whoever can
    write the folder of its logs, and a link planted there (`rec.jsonl -> /etc/passwd`, or a
    dangling one to a file not yet there) would have it append to, or create, a file the user
    never named. O_NOFOLLOW leaves no moment between the check and the open."""
    from policytui.output_file import missing_folder_reason, open_descriptor

    why = missing_folder_reason(path)
    if why is not None:
        raise FileNotFoundError(errno.ENOENT, why, str(path))
    descriptor = open_descriptor(path)
    if descriptor is not None:
        # Written into as the shell opened it (`2>> log` appends), as every writer does.
        return os.dup(descriptor)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (exc.errno == errno.EMLINK and os.path.islink(path)):
            raise OSError(errno.ELOOP, "it is a symbolic link; give the path of the file itself",
                          str(path)) from None
        raise


class AuditLog:
    """Appends audit records to a file (created owner-only) or to standard error (`-`)."""

    def __init__(self, target: Path | str | None, secrets: tuple[str, ...] | list[str] = (),
                 *, label: str = "audit log", own_folder: bool = False) -> None:
        self._lock = threading.Lock()
        self.target = target
        self._label = label  # what the log calls the file: "audit log", "recording"
        # Whether the file's folder is the gateway's state folder, which it made and makes again
        # (owner-only) when it is gone; any other folder is the user's, never made for them.
        self._own_folder = own_folder
        # The server's credentials, starred (***) wherever a record's text holds one: a policy
        # condition's value in a denial's reason may be one (`deny_if args.token eq "ghp_..."`).
        self._secrets = tuple(secrets)
        # The (device, inode) of the file opened by its path, None for a descriptor the shell
        # opened (`-`, `/dev/stderr`): each write checks that the path still leads to it.
        self._identity: tuple[int, int] | None = None
        # Whether this log created its file, and whether anything was written to it since: one
        # created and left empty by a start that failed is removed (`discard`).
        self._created = False
        self._written = False
        if target is None:
            self._fd: int | None = None
        elif str(target) == "-":
            self._fd = sys.stderr.fileno()
        else:
            existed = os.path.lexists(target)
            self._fd = open_log_file(Path(target))
            self._identity = self._file_identity(Path(target))
            self._created = not existed
        self._path = os.fspath(target) if target is not None else ""
        self._owned = target is not None and str(target) != "-"
        # Whether the last write failed (OSError): the gateway denies calls while it does.
        self.failing = False
        # Whether the file ends in part of a line: one a failed write left, or one a gateway
        # killed mid-write left before this one opened the file (its next line must not join it).
        self._torn = self._identity is not None and self._ends_in_part_of_a_line()

    def write(self, record: dict[str, Any]) -> None:
        """Append one record as a single line (one write call, so lines never interleave).
        Raises OSError when it cannot, and `failing` says so until a write succeeds."""
        if self._fd is None:
            return
        if self._secrets:
            record = self._starred(record)
        # ASCII with escapes: a name holding U+2028 or an unpaired surrogate cannot split a
        # record for any reader or make the file invalid UTF-8.
        data = (_record_line(record) + "\n").encode("ascii")
        with self._lock:
            if self._identity is not None:
                self._follow_path()
            if self._torn:  # end the part of a line a failed write left, so this one reads whole
                data = b"\n" + data
            self._written = True
            try:
                written = os.write(self._fd, data)
            except OSError:
                self.failing = True
                raise
            if written != len(data):  # a full disk can take part of a line
                self.failing = self._torn = True
                raise OSError(errno.ENOSPC, "the audit line was written in part")
            self.failing = self._torn = False

    def _ends_in_part_of_a_line(self) -> bool:
        """Whether the regular file just opened is not empty and its last byte is no newline.
        A file that cannot be read back (write-only to this user) is taken to end so: the
        blank line the next write then starts with is skipped by every reader."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size == 0:
            return False
        try:
            reader = os.open(self._path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return True
        try:
            return os.pread(reader, 1, size - 1) != b"\n"
        except OSError:
            return True
        finally:
            os.close(reader)

    def _file_identity(self, path: Path) -> tuple[int, int] | None:
        """The opened file's (device, inode) when it is a regular file opened by `path`."""
        from policytui.output_file import open_descriptor

        assert self._fd is not None
        opened = os.fstat(self._fd)
        if not stat.S_ISREG(opened.st_mode) or open_descriptor(path) is not None:
            return None  # a pipe, a device or the shell's descriptor: no file to follow
        return opened.st_dev, opened.st_ino

    def _follow_path(self) -> None:
        """Write to the file the path names now (under the lock). A file removed (`rm`, a
        clean-up) or replaced (`mv` by a rotation) while in use would otherwise go on taking
        every line where no name leads, or into the rotated file, while the path the operator
        reads stays missing: such a file is opened anew at the path, as at start. When it cannot
        be (its folder is gone, a symbolic link is there now) the OSError makes the write fail,
        and the gateway denies calls until a line is written."""
        assert self._fd is not None
        try:
            now = os.lstat(self._path)
            if (now.st_dev, now.st_ino) == self._identity:
                return
        except FileNotFoundError:
            pass
        except OSError:
            return  # the path cannot be looked at (a folder's permissions): keep the file open
        try:
            if self._own_folder:
                Path(self._path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fresh = open_log_file(Path(self._path))
        except OSError:
            self.failing = True
            raise
        os.close(self._fd)
        self._fd = fresh
        self._identity = (os.fstat(fresh).st_dev, os.fstat(fresh).st_ino)
        self._torn = False  # a new file starts with no part of a line in it
        log.warning("the %s %s was removed or replaced while in use; writing a new one there",
                    self._label, self._path)

    def _starred(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with each secret in its text fields replaced by *** (a copy, only when
        one is there; `arguments`, which a recording redacts its own way, are left as they are)."""
        held = [key for key, value in record.items()
                if key != "arguments" and isinstance(value, str) and holds_secrets(value, self._secrets)]
        if not held:
            return record
        return {**record, **{key: without_secrets(record[key], self._secrets) for key in held}}

    def close(self) -> None:
        if self._owned and self._fd is not None:
            os.close(self._fd)
        self._fd = None

    def discard(self) -> None:
        """Close, removing the file when this log created it and nothing was written to it (a
        start that failed leaves no empty file behind it). A file that was there before, that
        holds anything, or that its path no longer leads to is left as it is."""
        with self._lock:
            if self._created and not self._written and self._identity is not None:
                try:
                    there = os.lstat(self._path)
                    if (there.st_dev, there.st_ino) == self._identity and there.st_size == 0:
                        os.unlink(self._path)
                except OSError:
                    log.debug("could not remove the empty %s %s", self._label, self._path, exc_info=True)
        self.close()
