"""Pieces shared by the policy commands (validate, fmt, check, schema, and the writers of -o).

Everything printed here may come from a policy file or a server, so it goes through
`display.visible` and is written as plain text, never as Rich markup.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from policytui.cli import UsageError, sentence

if TYPE_CHECKING:
    import argparse

    from policytui.toolinfo import ToolInfo


def out(text: str = "", *, err: bool = False) -> None:
    """Print one line; characters the terminal cannot show are escaped instead of crashing."""
    stream = sys.stderr if err else sys.stdout
    try:
        print(text, file=stream)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        print(text.encode(encoding, "backslashreplace").decode(encoding), file=stream)


class WatchedOutput:
    """Standard output, remembering a write to it that failed (a full disk behind `> out`, a
    device that fails), so that the command's failure is told as that and not as a bug. Every
    other attribute is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.failure: OSError | None = None
        # The reader went away (`| head`): not a failure to tell, but the output was not all read.
        self.reader_gone = False

    def write(self, text: str) -> int:
        try:
            return int(self.stream.write(text))
        except BrokenPipeError:
            self.reader_gone = True
            raise
        except OSError as exc:
            self.failure = exc
            raise

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self.reader_gone = True
            raise
        except OSError as exc:
            self.failure = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class ClosedOutput:
    """Standard output that a shell closed (`>&-`), for `WatchedOutput` to watch. Python has no
    `sys.stdout` then, and `print` and Rich write nothing without a word, so a command's answer
    was lost and it exited 0; here the first write fails as a write to a closed descriptor does,
    and the command says so. A command that writes nothing to standard output is not failed."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        if not text:
            return 0
        raise OSError(errno.EBADF, "it is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "it is closed")


def standard_output_failure(exc: BaseException) -> str | None:
    """The sentence for a command that failed because its standard output cannot be written
    (a full disk, a closed descriptor), or None when `exc` is something else. Standard output
    then goes to /dev/null, so that the interpreter's own flush at exit does not fail a
    second time with a traceback."""
    from policytui.output_file import os_reason, write_failure

    stream = sys.stdout
    if stream is None and isinstance(exc, AttributeError):  # `None.write`: a closed descriptor
        reason = "it is closed"
    elif isinstance(stream, WatchedOutput) and stream.failure is not None and not isinstance(exc, BrokenPipeError):
        reason = os_reason(stream.failure)
    else:
        return None
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    except OSError:
        pass
    return write_failure("standard output", reason)


def never_traceback(name: str) -> Callable[[Callable[[argparse.Namespace], int]],
                                            Callable[[argparse.Namespace], int]]:
    """Wrap a command's `run` so an unexpected failure is one sentence and exit code 1."""

    def wrap(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        @functools.wraps(run)
        def guarded(args: argparse.Namespace) -> int:
            try:
                return run(args)
            except (UsageError, KeyboardInterrupt):
                raise
            except BrokenPipeError:
                # Output piped into `head` and closed: not an error worth a message.
                try:
                    sys.stdout = open("/dev/null", "w")  # noqa: SIM115
                except OSError:
                    pass
                return 1
            except Exception as exc:  # noqa: BLE001
                from policytui.policy.display import visible

                failure = standard_output_failure(exc)
                if failure is not None:
                    out(f"policytui {name}: {sentence(failure)}", err=True)
                    return 1
                out(f"policytui {name}: unexpected error ({type(exc).__name__}: "
                    f"{visible(str(exc))}); this is a bug in policytui", err=True)
                return 1

        return guarded

    return wrap


def refuse_output_file(path: str | None, what: str, *, force: bool,
                       backup: bool = False) -> None:
    """The rule every `-o FILE` follows, checked before any work: a folder is refused, and so
    is an existing file unless `--force` was given (a device or pipe such as `/dev/stdout`, and
    `-` for standard output, is written into, not replaced); both are a wrong command line
    (exit 2). `backup`: the writer keeps the old file as FILE.bak, and the refusal says so."""
    import os

    from policytui.output_file import already_exists, is_stream, missing_folder_reason, names_stdout
    from policytui.policy.display import visible
    from policytui.policy.files import backup_path

    if path is None or names_stdout(path):  # `-o -`: standard output, however a file "-" is
        return
    if not path.strip():  # `-o ""` (an unset shell variable) or `-o " "`: no name at all
        raise UsageError(f"the output file name is {'empty' if not path else 'only spaces'}; "
                         f"give a file name for {what}, or - for standard output")
    if os.path.isdir(path):
        raise UsageError(f"{visible(path)} is a folder; give a file name for {what}")
    if path.endswith(("/", os.sep)):  # a folder to every shell tool, though there is none
        raise UsageError(f"{visible(path)} ends in a slash, so it names a folder; give a file name for {what}")
    if not force and os.path.lexists(path) and not is_stream(path):
        if not os.path.exists(path):  # a symbolic link that leads to nothing: no old file to keep
            if missing_folder_reason(path) is not None:
                return  # --force would not help: the writer says why it cannot write there
            raise UsageError(visible(f"{path} is a symbolic link to {os.path.realpath(path)}, which does "
                                     f"not exist; use --force to write {what} there"))
        kept = backup_path(path).name if backup else None
        raise UsageError(visible(already_exists(path, backup=kept)))


def read_tools_file(path: str) -> list[ToolInfo]:
    """Tools from any file `connect --from` reads: a snapshot, a `tools/list` result, a bare list.

    Raises UsageError (exit 2) with one sentence when the file cannot be used.
    """
    from pathlib import Path

    from policytui.discovery.errors import DiscoveryError
    from policytui.discovery.snapshot import read_snapshot_document
    from policytui.toolinfo import ServerListing, ToolInfo

    try:
        document = read_snapshot_document(Path(path))
    except DiscoveryError as exc:
        raise UsageError(f"--tools file: {sentence(str(exc))}") from None
    listing = ServerListing.from_tool_dicts(document["tools"])
    # Entries with a name but no usable schema (a tool-groups file, a damaged snapshot) still
    # tell which tools exist; their arguments are simply not checked.
    named = [ToolInfo(name=b.name) for b in listing.broken_tools if b.name]
    return listing.tools + named
