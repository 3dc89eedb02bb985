"""Reading and writing policy files: the one module that touches policy.json on disk.

- Output is deterministic (`dumps_policy`): two-space JSON, UTF-8 kept as is, trailing newline,
  keys in the order the author wrote them (new keys in their canonical place), x-* data kept.
- Saving is atomic: the new text goes to a temporary file in the same folder, is flushed and
  fsync'ed, then `os.replace`s the old file, and the folder is fsync'ed. A crash at any moment
  leaves either the old file or the new one, never a truncated mix.
- The previous version is kept as `<name>.bak` (a hard link to the old file where possible, so
  keeping it costs no copy and no moment without a policy file). It becomes `.bak` only once
  the new text is written and synced: a failed save leaves the policy and its `.bak` as they
  were.
- A file that changed on disk since it was loaded is never overwritten (`PolicyFileConflict`).
- The file's permission bits are kept, and a read-only file (no write bit, or not writable by
  this user) is never replaced, though its folder would allow it. A symlinked policy is written
  through to its target.
"""

from __future__ import annotations

import json
import os
import stat
from typing import TYPE_CHECKING, Any, NamedTuple

from policytui.output_file import (
    missing_folder_reason,
    open_descriptor,
    os_reason,
    planted_link_reason,
    save_blocked_reason,
    write_failure,
)
from policytui.policy.validate import Problem, Report, validate_text

if TYPE_CHECKING:
    from pathlib import Path

    from policytui.policy.model import Policy
    from policytui.toolinfo import ToolInfo

# A real policy is a few kilobytes; 10 MB is far beyond any hand-written one and keeps a
# mistaken path (a log, a database) from being read into memory and parsed.
MAX_POLICY_BYTES = 10 * 1024 * 1024
BACKUP_SUFFIX = ".bak"


class PolicyFileError(Exception):
    """A policy file could not be read or written. `str(exc)` is one sentence for the user."""


class PolicyFileMissing(PolicyFileError):
    """The policy file does not exist (callers may offer to create it)."""


class PolicyFileConflict(PolicyFileError):
    """The file changed on disk since it was loaded; saving would lose someone's edits."""


# NamedTuple and a plain class rather than dataclasses: `dataclasses` loads `inspect`, `ast`
# and `dis`, about a tenth of a `policytui validate` process.
class FileStamp(NamedTuple):
    """What a file was when read or written: enough to notice any later change."""

    exists: bool
    size: int = 0
    mtime_ns: int = 0
    sha256: str = ""

    @classmethod
    def missing(cls) -> FileStamp:
        return cls(False)

    @classmethod
    def of_bytes(cls, data: bytes, st: os.stat_result) -> FileStamp:
        import hashlib  # here: `validate` and `check` need no stamp and skip loading OpenSSL

        return cls(True, len(data), st.st_mtime_ns, hashlib.sha256(data).hexdigest())

    def same_content(self, other: FileStamp) -> bool:
        # Content, not mtime: some file systems keep whole-second times, and a touch without
        # a change is no conflict.
        return (self.exists, self.size, self.sha256) == (other.exists, other.size, other.sha256)


class LoadedPolicy:
    """A policy file as read: its text, the validation report, the model if valid, the stamp."""

    def __init__(self, path: Path, text: str, report: Report, stamp: FileStamp) -> None:
        self.path = path
        self.text = text
        self.report = report
        self.stamp = stamp

    def __repr__(self) -> str:
        return f"LoadedPolicy(path={self.path!r}, report={self.report!r}, stamp={self.stamp!r})"

    @property
    def policy(self) -> Policy | None:
        return self.report.policy


def dumps_policy(policy: Policy) -> str:
    """The canonical text of a policy: JSON, indent 2, UTF-8 as is, trailing newline."""
    return dumps_document(policy.to_document())


def dumps_document(document: dict[str, Any]) -> str:
    """The canonical text of a policy already turned into plain data (`Policy.to_document()`).

    Raises ValueError for NaN or infinity: `NaN`/`Infinity` are not JSON, and a file holding
    them could not be read back (by policytui or any other gateway)."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _target(path: str | os.PathLike[str]) -> Path:
    """The file to read or write: a symlink's target, so saving never replaces the link."""
    from pathlib import Path  # here: reading a file (validate, check) needs no pathlib

    target = Path(path)
    try:
        if target.is_symlink():
            target = target.resolve()
    except OSError:
        pass
    return target


def _is_special(path: str | os.PathLike[str]) -> bool:
    """Does `path` (through any symlink) exist as something other than a file or folder?

    A name for an open descriptor (`/dev/stdout`) counts too, whatever it points to: with
    `> out` it leads to the file `out`, which must not be replaced and backed up through it.
    """
    if open_descriptor(path) is not None:
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _why(exc: OSError) -> str:
    return os_reason(exc)


def read_policy_bytes(path: str | os.PathLike[str]) -> tuple[bytes, FileStamp]:
    """The raw bytes of a policy file and its stamp, or PolicyFileError with one sentence."""
    data, st = _read_bytes(path)
    return data, FileStamp.of_bytes(data, st)


def _read_bytes(path: str | os.PathLike[str]) -> tuple[bytes, os.stat_result]:
    target = os.fspath(path)  # opened through any symlink (`/dev/fd/N` from `<(...)` too)
    shown = str(path)
    try:
        # O_NONBLOCK so that opening a named pipe nobody writes to cannot hang; reads are made
        # blocking again right after, so `policytui validate <(cat policy.json)` still works.
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as handle:
            os.set_blocking(fd, True)
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise PolicyFileError(f"{shown} is a folder, not a policy file")
            if st.st_size > MAX_POLICY_BYTES:
                raise PolicyFileError(_too_big(shown, st.st_size))
            data = handle.read(MAX_POLICY_BYTES + 1)
    except FileNotFoundError:
        raise PolicyFileMissing(f"{shown} does not exist") from None
    except IsADirectoryError:
        raise PolicyFileError(f"{shown} is a folder, not a policy file") from None
    except PermissionError:
        raise PolicyFileError(f"cannot read {shown}: permission denied") from None
    except OSError as exc:
        raise PolicyFileError(f"cannot read {shown}: {_why(exc)}") from None
    if len(data) > MAX_POLICY_BYTES:  # grew while we read, or a special file with no size
        raise PolicyFileError(_too_big(shown, len(data)))
    return data, st


def _too_big(shown: str, size: int) -> str:
    limit = MAX_POLICY_BYTES // 1024 // 1024
    # A read cut at the limit (a device, a pipe) or a file a few bytes over it rounds to the
    # limit itself ("10.0 MB"), which reads as within it.
    shown_size = f"{size / 1024 / 1024:.1f}"
    over = f"holds more than {limit} MB" if float(shown_size) <= limit else f"is {shown_size} MB"
    return f"{shown} {over}; policy files are limited to {limit} MB, so this is probably not a policy file"


def decode_policy_bytes(data: bytes, shown: str) -> tuple[str, bool]:
    """UTF-8 text (and whether a byte order mark was dropped), or PolicyFileError."""
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise PolicyFileError(
            f"{shown} is not UTF-8 text: byte 0x{bad} at byte offset {exc.start} "
            "cannot be decoded (save the file as UTF-8)"
        ) from None
    return (text[1:] if bom else text), bom


def load_policy(
    path: str | os.PathLike[str], *, tools: list[ToolInfo] | None = None
) -> LoadedPolicy:
    """Read and validate a policy file. Invalid content is reported in `.report`, not raised;
    a file that cannot be read at all (missing, a folder, unreadable, not UTF-8, over 10 MB)
    raises PolicyFileError (PolicyFileMissing when it does not exist)."""
    data, stamp = read_policy_bytes(path)
    text, bom = decode_policy_bytes(data, str(path))
    report = validate_text(text, tools=tools)
    _note_bom(report, bom)
    from pathlib import Path

    return LoadedPolicy(Path(path), text, report, stamp)


def check_policy_file(
    path: str | os.PathLike[str], *, tools: list[ToolInfo] | None = None, warnings: bool = True
) -> Report:
    """Read and validate a policy file for a command that reads it once (`validate`, `check`).

    The report is what `load_policy` reports, but a valid file is checked without building the
    pydantic model (`validate_text(model=False)`): `report.view` reads the policy. With
    `warnings=False` the semantic checks, which only ever warn, are skipped. Raises
    PolicyFileError as `load_policy` does.
    """
    data, _ = _read_bytes(path)
    text, bom = decode_policy_bytes(data, str(path))
    report = validate_text(text, tools=tools, model=False, warnings=warnings)
    _note_bom(report, bom)
    return report


def _note_bom(report: Report, bom: bool) -> None:
    if bom:
        report.warnings.insert(0, Problem("", "the file starts with a UTF-8 byte order mark; "
                                          "saving writes it without one", 1, 1))


def current_stamp(path: str | os.PathLike[str]) -> FileStamp:
    """The stamp of the file as it is now (missing if it does not exist)."""
    try:
        return read_policy_bytes(path)[1]
    except PolicyFileMissing:
        return FileStamp.missing()


def save_policy(
    path: str | os.PathLike[str], policy: Policy, *, expected_stamp: FileStamp | None = None
) -> FileStamp:
    """Write `policy` atomically, keeping the previous file as `<name>.bak`.

    With `expected_stamp` (from `load_policy` or the last save), refuses with PolicyFileConflict
    if the file on disk is no longer what that stamp describes. Returns the new stamp.
    """
    return save_document(path, policy.to_document(), expected_stamp=expected_stamp)


def save_document(
    path: str | os.PathLike[str],
    document: dict[str, Any],
    *,
    expected_stamp: FileStamp | None = None,
) -> FileStamp:
    """`save_policy` for a policy already turned into plain data by `Policy.to_document()`.

    The editor saves from a worker thread: it takes the document on the UI thread (cheap, and
    later edits cannot reach it) and skips rebuilding thousands of pydantic rules to write it.
    """
    target = _target(path)
    shown = str(path)
    try:
        data = dumps_document(document).encode("utf-8")
    except (UnicodeEncodeError, ValueError, TypeError) as exc:
        raise PolicyFileError(write_failure(shown, "the policy holds data that is not "
                                            f"valid JSON text ({exc})")) from None
    folder = target.parent if str(target.parent) else type(target)(".")
    if os.path.isdir(target):  # False, not an error, for a name too long to look up
        raise PolicyFileError(f"{shown} is a folder, not a policy file")
    if _is_special(path):
        # Renaming a new file over a device or pipe (`/dev/stdout`, a terminal) would put a
        # regular file where the device was, which root may do.
        raise PolicyFileError(write_failure(shown, "it is a device or a pipe, not a file that can be replaced"))
    missing_folder = planted_link_reason(path) or missing_folder_reason(target)
    if missing_folder is not None:
        raise PolicyFileError(write_failure(shown, missing_folder))

    old_mode: int | None = None
    old_owner: tuple[int, int] | None = None
    try:
        old_stat = os.stat(target)
        old_mode = stat.S_IMODE(old_stat.st_mode)
        old_owner = (old_stat.st_uid, old_stat.st_gid)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise PolicyFileError(write_failure(shown, _why(exc))) from None
    # Said before the old file is staged as `.bak`: a folder that takes no new file failed
    # there, as if the backup were at fault.
    blocked = save_blocked_reason(path)
    if blocked is not None:
        raise PolicyFileError(write_failure(shown, blocked))

    if expected_stamp is not None:
        now = current_stamp(target)
        if not now.same_content(expected_stamp):
            what = "was deleted" if not now.exists else "changed on disk"
            if not expected_stamp.exists and now.exists:
                what = "was created by someone else"
            raise PolicyFileConflict(
                f"{shown} {what} since it was loaded; reload it (or save under another name) "
                "so those changes are not lost"
            )

    # The old file is linked (or copied) to a hidden name first and only becomes `.bak` once
    # the new text is written and synced: a save that fails (a full disk, a file-size limit)
    # leaves both the policy and its `.bak` as they were.
    staged_backup = _stage_backup(target, shown) if old_mode is not None else None
    tmp_name: Path | None = None
    try:
        # A new file gets 0o666 minus the umask, as any editor would create it; an existing
        # file's permission bits are copied over.
        fd, tmp_name = _create_temp(folder, target.name, 0o666)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if old_owner is not None:
                _keep_owner(handle.fileno(), old_owner)
            if old_mode is not None:
                os.fchmod(handle.fileno(), old_mode)
            os.fsync(handle.fileno())
        if staged_backup is not None:
            _put_backup(staged_backup, target, shown)
            staged_backup = None
        os.replace(tmp_name, target)
        tmp_name = None
        _fsync_folder(folder)
        st = os.stat(target)
    except OSError as exc:
        raise PolicyFileError(write_failure(shown, _why(exc))) from None
    finally:
        for leftover in (tmp_name, staged_backup):
            if leftover is not None:
                try:
                    os.unlink(leftover)
                except OSError:
                    pass
    return FileStamp.of_bytes(data, st)


def backup_path(path: str | os.PathLike[str]) -> Path:
    """Where the previous version of a policy file is kept: `<name>.bak` next to it."""
    target = _target(path)
    return target.with_name(target.name + BACKUP_SUFFIX)


def _stage_backup(target: Path, shown: str) -> Path:
    """The current file under a hidden temporary name beside it, `.bak` left as it is."""
    import secrets

    backup = target.with_name(target.name + BACKUP_SUFFIX)
    folder = target.parent if str(target.parent) else type(target)(".")
    tmp = folder / f".{backup.name}.{secrets.token_hex(6)}.tmp"
    try:
        try:
            os.link(target, tmp)  # the old inode lives on as the backup: no copy, no gap
        except OSError:
            data = target.read_bytes()  # file systems without hard links
            fd, tmp = _create_temp(folder, backup.name, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), stat.S_IMODE(os.stat(target).st_mode))
                os.fsync(handle.fileno())
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise PolicyFileError(write_failure(shown, f"keeping the previous version as "
                                            f"{backup.name} failed: {_why(exc)}")) from None
    return tmp


def _put_backup(staged: Path, target: Path, shown: str) -> None:
    """Make the staged copy `<name>.bak`, atomically. A `.bak` that is a symlink is replaced
    as a name, never written through: the copy stays beside the policy."""
    backup = target.with_name(target.name + BACKUP_SUFFIX)
    try:
        os.replace(staged, backup)
    except OSError as exc:
        raise PolicyFileError(write_failure(shown, f"keeping the previous version as "
                                            f"{backup.name} failed: {_why(exc)}")) from None


def _fsync_folder(folder: Path) -> None:
    # The rename is only durable once the folder's entry is on disk.
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on folders; the data itself is synced
    finally:
        os.close(fd)


def _keep_owner(fd: int, owner: tuple[int, int]) -> None:
    """Give the new file the old one's owner and group, where we may (e.g. root editing a
    user's policy); otherwise it simply belongs to whoever saves."""
    st = os.fstat(fd)
    if (st.st_uid, st.st_gid) == owner or not hasattr(os, "fchown"):
        return
    try:
        os.fchown(fd, *owner)
    except OSError:
        try:
            os.fchown(fd, -1, owner[1])  # the group alone is allowed for a group member
        except OSError:
            pass


def _create_temp(folder: Path, name: str, mode: int) -> tuple[int, Path]:
    """A new, exclusively created hidden file next to `name`; the umask applies to `mode`."""
    import secrets

    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        candidate = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(candidate, flags, mode), candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")
