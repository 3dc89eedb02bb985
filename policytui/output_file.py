"""Writing a file a command was asked to write: one rule, one way of saying it failed.

Every writer of an output file (`snapshot -o`, `export -o`, `init -o` into a device or pipe,
the editor's export) follows the same rule, and words a failure the same way as the policy
writer (`init -o` into a file, the editor's save: `policytui.policy.files.save_document`, which
also keeps a `.bak` and so refuses a device or pipe, having nothing to keep a copy of). Each
command ends with the same line once it has written, `wrote PATH (DETAILS)` (`wrote`):

- an existing file is replaced only when the caller says so (`--force` on the command line);
  otherwise it is refused and left as it is, also when it appears while the text is written;
  a read-only file (no write bit, or not writable by this user) is refused even then
  (a device or pipe is not replaced, so `-o /dev/stdout` needs no `--force`);
- the text goes to a temporary file in the same folder, is flushed and fsync'ed, and is then
  renamed over the target, so a reader sees the old file or the new one, never part of one;
- a symlink is followed: its target gets the new content and the link stays; but not one
  another user made in a shared folder (sticky and writable by all, /tmp), as the kernel's
  fs.protected_symlinks would not follow it (`planted_link_reason`); an existing
  device or pipe (`/dev/stdout`, `/dev/null`, a named pipe) is written into, never replaced by
  a regular file (root could otherwise put a file where `/dev/stdout` was);
- a name for one of the process's open descriptors (`/dev/stdout`, `/dev/fd/N`,
  `/proc/self/fd/N`) is written into that descriptor as the shell opened it, whatever it points
  to: with `-o /dev/stdout > out` the text goes into `out` through standard output (appended
  after `>>`), and `out` is neither replaced nor backed up;
- a failure is one sentence, `cannot write PATH: REASON`, and leaves no temporary file behind;
- a command's `-o -` means standard output (`write_output`), as for most command-line tools:
  written into descriptor 1 like `-o /dev/stdout`, and named `standard output` in the lines
  above. Only the commands read `-` so; the editor's export takes it as a file name.
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

# pathlib and tempfile are imported where a file is written: `validate` and `check` load this
# module with the policy files and never write.


class OutputFileError(Exception):
    """The file could not be written. `str(exc)` is one sentence for the user."""


class OutputFileExists(OutputFileError):
    """The file exists and the caller did not ask to replace it."""


# What a command's `-o` takes for standard output.
STDOUT = "-"


def names_stdout(path: str | os.PathLike[str] | None) -> bool:
    """Whether a command's `-o PATH` means standard output (`-`)."""
    return path is not None and os.fspath(path) == STDOUT


def output_name(path: str | os.PathLike[str]) -> str:
    """`path` as a command's messages name it: `-` is standard output, not a file."""
    return "standard output" if names_stdout(path) else os.fspath(path)


def write_output(path: str | os.PathLike[str], text: str, *, replace: bool) -> None:
    """`write_text_atomic` for a command's `-o PATH`, where `-` is standard output. Before,
    `-o -` wrote a file named `-` in the current folder."""
    if not names_stdout(path):
        write_text_atomic(path, text, replace=replace)
        return
    try:
        os.fstat(1)
    except OSError:
        raise OutputFileError(write_failure("standard output", "it is closed")) from None
    _write_descriptor(1, text, "standard output")


def write_failure(path: str | os.PathLike[str], reason: str) -> str:
    """The one sentence for a failed write: `cannot write PATH: REASON`."""
    return f"cannot write {os.fspath(path)}: {reason}"


def os_reason(exc: OSError) -> str:
    """An OSError's reason as the end of that sentence ("permission denied")."""
    return (exc.strerror or str(exc)).rstrip(".").lower()


def already_exists(path: str | os.PathLike[str], *, backup: str | None = None) -> str:
    """The one sentence for an existing file the caller may not replace; `backup` names the
    copy a policy writer keeps of the old file, so the user knows --force loses nothing."""
    kept = f" (the old one is kept as {backup})" if backup else ""
    return f"{os.fspath(path)} already exists; use --force to replace it{kept}"


def wrote(path: str | os.PathLike[str], details: str) -> str:
    """The one success line of every command that writes a file: `wrote PATH (DETAILS)`.

    Printed on standard error, since standard output may be the file itself (`-o /dev/stdout`).
    """
    return f"wrote {os.fspath(path)} ({details})"


def missing_folder_reason(path: str | os.PathLike[str]) -> str | None:
    """Why `path` cannot be written because of its folder, or None when the folder is there."""
    from pathlib import Path

    folder = Path(path).parent
    if os.path.islink(path):  # written through the link: the folder that matters is its target's
        target = Path(os.path.realpath(path))
        if target.parent.is_dir():
            return None
        whose = "does not exist" if not target.parent.exists() else "is not a folder"
        return f"it is a symbolic link to {target}, whose folder {whose}"
    if folder.is_dir():
        return None
    return "its folder does not exist" if not folder.exists() else f"{folder} is not a folder"


# What a user who may not make a file writable can do instead, in a write's failure: the
# commands' `-o` and the editor's `--policy` both take a path of the user's own.
ELSEWHERE = "write to another path"


def read_only_reason(path: str | os.PathLike[str], *, elsewhere: str = ELSEWHERE) -> str | None:
    """Why the existing file at `path` (through any symlink) may not be replaced, or None.

    Replacing a file takes only a writable folder, so a file its owner made read-only (0444)
    would otherwise be swapped for a new one. Its permission bits are read as well as this
    user's access to it: root may write anything, yet a file nobody may write is one the user
    means to keep. The advice fits who the user is: its owner (or root) may chmod it; anyone
    else may not, and is told whose it is and `elsewhere`, what to do instead.
    """
    import stat

    try:
        st = os.stat(path)
    except OSError:  # not there (or not reachable): nothing to keep
        return None
    mode = st.st_mode
    if not stat.S_ISREG(mode):
        return None
    writable = os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids)
    if mode & 0o222 and writable:
        return None
    if _on_read_only_file_system(path):
        return "it is on a read-only file system"  # no chmod can help there
    user = os.geteuid()
    if user != 0 and st.st_uid != user:  # only its owner (or root) may chmod it
        owner = user_name(st.st_uid)
        return f"it belongs to another user, {owner} ({elsewhere}, or ask {owner} to make it writable)"
    if mode & (0o222 if user == 0 else 0o200):
        return "permission denied"  # writable by its bits, yet refused (immutable, an ACL)
    return f"it is read-only (make it writable with chmod u+w {os.fspath(path)} to replace it)"


def folder_unwritable_reason(path: str | os.PathLike[str], *, elsewhere: str = ELSEWHERE) -> str | None:
    """Why a policy at `path` (through any symlink) cannot be saved because of its folder, or
    None. A save never writes into the file: it writes a new file beside it (and keeps the old
    one as a `.bak` there) and renames it into place, so the folder must take new files even
    when the file itself is writable."""
    from pathlib import Path

    folder = Path(os.path.realpath(path)).parent
    if not folder.is_dir() or is_stream(path):  # a missing folder, a device: said when written
        return None
    if os.access(folder, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        return None
    if _on_read_only_file_system(folder):
        return "its folder is on a read-only file system"
    return (f"you may not create files in its folder {folder}, and saving needs a new file "
            f"beside it ({elsewhere})")


def save_blocked_reason(path: str | os.PathLike[str], *, elsewhere: str = ELSEWHERE) -> str | None:
    """Why a policy at `path` cannot be saved where it is, known before anything is written:
    the file (read-only, another user's, a read-only file system) or its folder; else None."""
    return read_only_reason(path, elsewhere=elsewhere) or folder_unwritable_reason(path, elsewhere=elsewhere)


def user_name(uid: int) -> str:
    """The login name of `uid`, or "user 1001" when the system does not know it."""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return f"user {uid}"


def planted_link_reason(path: str | os.PathLike[str]) -> str | None:
    """Why the symlink at `path` may not be followed to write, or None.

    The kernel's own rule (fs.protected_symlinks): in a shared folder, sticky and writable by
    everyone (/tmp), a link is followed only when it is this user's or the folder owner's.
    Writers here resolve a link themselves and rename onto its target, which the kernel's rule
    never sees, so it is applied here: otherwise anyone could plant `/tmp/out.json ->
    /etc/cron.d/job` and have root's `export -o /tmp/out.json --force` write there."""
    import stat

    try:
        link = os.lstat(path)
        if not stat.S_ISLNK(link.st_mode):
            return None
        folder = os.stat(os.path.dirname(os.path.abspath(path)))
    except OSError:
        return None
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    if not shared or link.st_uid in (os.geteuid(), folder.st_uid):
        return None
    return ("it is a symbolic link another user made in a shared folder, which is not "
            "followed (give the path it leads to)")


def _on_read_only_file_system(path: str | os.PathLike[str]) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 1))
    except (OSError, AttributeError):
        return False


def _folder_reason(target: Path) -> str | None:
    """Why no file can be written at `target` because of its folder, or None: the new file is
    made in that folder first, whether it replaces a file there or not."""
    if os.path.exists(target):  # False, not an error, for a name too long (said when written)
        return folder_unwritable_reason(target)
    folder = target.parent
    if not folder.is_dir() or os.access(folder, os.W_OK | os.X_OK,
                                        effective_ids=os.access in os.supports_effective_ids):
        return None
    if _on_read_only_file_system(folder):
        return "its folder is on a read-only file system"
    return f"you may not create files in its folder {folder} ({ELSEWHERE})"


def write_text_atomic(path: str | os.PathLike[str], text: str, *, replace: bool) -> None:
    """Write `text` (UTF-8, `\\n` line ends) to `path` atomically; see the module's rules.

    An existing file keeps its permission bits; a new one gets 0o666 less the umask. Raises
    OutputFileExists when `path` exists and `replace` is false, OutputFileError otherwise.
    """
    import tempfile

    planted = planted_link_reason(path)  # before a device it leads to is written into, too
    if planted is not None:
        raise OutputFileError(write_failure(path, planted))
    target, stream = output_target(path)
    if not replace and not stream and os.path.lexists(path):
        raise OutputFileExists(already_exists(path))
    if stream:
        descriptor = open_descriptor(path)
        if descriptor is not None:
            _write_descriptor(descriptor, text, path)
            return
        try:
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:
            raise OutputFileError(write_failure(path, os_reason(exc))) from None
        return
    why = missing_folder_reason(target) or read_only_reason(path) or _folder_reason(target)
    if why is not None:
        raise OutputFileError(write_failure(path, why))
    folder = target.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputFileError(write_failure(path, os_reason(exc))) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, _mode_for(target))
        if replace:
            os.replace(tmp_name, target)
        else:
            _link_new(tmp_name, target, path)
    except OSError as exc:
        raise OutputFileError(write_failure(path, os_reason(exc))) from None
    finally:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass  # renamed into place


def is_stream(path: str | os.PathLike[str]) -> bool:
    """Whether `path` is (or links to) a device, a pipe, a socket or an open descriptor of this
    process: written into, not replaced, so writing to it needs no `--force` and keeps no backup."""
    return output_target(path)[1]


def open_descriptor(path: str | os.PathLike[str]) -> int | None:
    """The descriptor number `path` names (`/dev/stdout` -> 1, `/dev/fd/3`, `/proc/self/fd/2`,
    or a symlink to one of them) when it is open in this process, else None.

    Such a name is a link to whatever the descriptor points to: for `> out` that is the file
    `out`, and following the link would replace that file (and keep a backup of it) instead of
    writing where the shell sent the output.
    """
    pattern = re.compile(rf"^/(?:dev/fd|proc/(?:self|thread-self|{os.getpid()})/fd)/(\d+)$")
    name = os.path.abspath(os.fspath(path))
    for _ in range(40):  # the kernel's own limit on links followed
        match = pattern.match(name)
        if match:
            number = int(match.group(1))
            try:
                os.fstat(number)
            except (OSError, OverflowError):
                return None
            return number
        try:
            link = os.readlink(name)
        except OSError:  # not a link (or not there): no descriptor behind it
            return None
        name = os.path.normpath(os.path.join(os.path.dirname(name), link))
    return None


def _write_descriptor(descriptor: int, text: str, shown: str | os.PathLike[str]) -> None:
    """Write into an open descriptor as it is (its offset, its append mode), never closing it."""
    for stream in (sys.stdout, sys.stderr):
        try:  # what the program printed there already comes first
            if stream is not None and stream.fileno() == descriptor:
                stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    data = memoryview(text.encode("utf-8"))
    try:
        while data:
            data = data[os.write(descriptor, data):]
    except BrokenPipeError:
        if descriptor == 1:  # read by `| head`, which has all it wanted: ended quietly, as a print is
            raise
        raise OutputFileError(write_failure(shown, "broken pipe")) from None
    except OSError as exc:
        raise OutputFileError(write_failure(shown, os_reason(exc))) from None


def output_target(path: str | os.PathLike[str]) -> tuple[Path, bool]:
    """Where to write output meant for `path`, and whether to write straight into it.

    A symlink is followed, so the link stays and its target gets the new content (as policy
    files are saved). An existing device or pipe is written into as it is (True). Otherwise
    (False) the caller replaces the returned path atomically.
    """
    import stat
    from pathlib import Path

    if open_descriptor(path) is not None:
        return Path(path), True
    try:
        mode = os.stat(path).st_mode  # follows links, /proc's "magic" ones too
    except OSError:
        mode = None
    if mode is not None and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)
                             or stat.S_ISSOCK(mode)):
        return Path(path), True
    target = Path(path)
    if os.path.islink(target):  # False, not an error, for a name too long to look up
        target = Path(os.path.realpath(target))
    return target, False


def _link_new(tmp_name: str, target: Path, shown: str | os.PathLike[str]) -> None:
    """Put the written file at `target` only if nothing is there: a hard link fails on an
    existing name, where a rename would silently replace a file created meanwhile."""
    try:
        os.link(tmp_name, target)
    except FileExistsError:
        raise OutputFileExists(already_exists(shown)) from None
    except OSError:
        # A file system without hard links: the check before writing is all there is.
        if os.path.lexists(target):
            raise OutputFileExists(already_exists(shown)) from None
        os.replace(tmp_name, target)


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
