"""The suite's guard against tracebacks a user would read.

A user never sees a traceback: not in the terminal, not in a gateway's log, not in `policytui
serve`'s output. While a test runs, every `policytui` process it starts is noted (its `--log`
file, the file its standard error goes to, the output read back through `communicate`, as
`subprocess.run` does, and the lines `policytui serve`'s helper keeps); afterwards
`conftest.py` reads just those and fails the test if policytui wrote a traceback there.

What a *server* wrote and policytui quotes is the server's: every command marks those lines
`  | ` (under "Last lines the server wrote to stderr"), so a mark after `  | ` on its line
does not count.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# What Python (a traceback) and asyncio, uvicorn or threading (an exception they caught and
# logged, "Exception in callback ...", "Exception in 'lifespan' protocol") write.
MARKS = ("Traceback (most recent call last)", "Exception in")
QUOTED = "  | "
# A log or an output larger than this is read from its end only: a traceback ends a crash's
# output, and the guard must stay cheap next to the test it follows.
READ_AT_MOST = 4 * 1024 * 1024


# How many lines after a mark a finding shows at most: its first and its last ones, the
# exception's line among them, when a traceback is longer (a deep recursion's).
FOLLOWING_LINES = 40
# A logged exception's heading is followed by a few lines of details (asyncio's "handle: ...",
# "future: ...", "transport: ...") before its traceback; one with no traceback ends there.
DETAIL_LINES = 8
TRACEBACK = MARKS[0]
# Python's heading for an exception nobody could catch (raised in a `__del__`, say): the
# traceback under it does not say which object it was raised for.
UNRAISABLE = "Exception ignored in"


def policytui_tracebacks(text: str) -> list[str]:
    """Each traceback or logged exception of policytui's own in `text` (a mark not preceded on
    its line by the `  | ` that quotes a server), told whole: its line and the ones that follow
    to the exception's own line (see `_told_whole`), so that a failure says what failed."""
    lines = text.splitlines()
    found = []
    told_to = 0  # a mark within a finding already told (its traceback) is part of that one
    for number, line in enumerate(lines):
        if number < told_to:
            continue
        for mark in MARKS:
            at = line.find(mark)
            if at >= 0 and QUOTED not in line[:at]:
                told = _told_whole(lines, number, prefix=line[:at])
                told_to = number + len(told)
                if number and lines[number - 1].lstrip().startswith(UNRAISABLE):
                    told.insert(0, lines[number - 1].strip())
                found.append("\n".join(_shortened(told)))
                break
    return found


def _told_whole(lines: list[str], start: int, prefix: str) -> list[str]:
    """The mark's line and what follows it to the end of the exception it reports: a traceback
    is its heading, frames indented under it, then the exception's line, unindented (a logged
    exception: its heading and details, then that traceback). The lines of a logger that
    starts each with `prefix` ("policytui serve: ") are read after the prefix."""
    taken = [lines[start].strip()]
    in_traceback = TRACEBACK in lines[start]
    for line in lines[start + 1:]:
        body = line[len(prefix):] if prefix.strip() and line.startswith(prefix) else line
        if not body.strip():
            if in_traceback:  # Python leaves one before the exception's line at times
                taken.append(line)
                continue
            break  # a blank line ends a logged exception's heading and details
        taken.append(line)
        if TRACEBACK in body:
            in_traceback = True
        elif in_traceback and not body[:1].isspace():
            break  # the exception's line: the traceback ends with it
        elif not in_traceback and len(taken) > DETAIL_LINES:
            return taken[:1]  # a heading no traceback followed: the lines after it are others'
    while not taken[-1].strip():
        taken.pop()  # a traceback cut short (a crash's last words): the blank lines after it
    return taken


def _shortened(told: list[str]) -> list[str]:
    """`told`, its middle left out past FOLLOWING_LINES lines after the first."""
    if len(told) - 1 <= FOLLOWING_LINES:
        return told
    half = FOLLOWING_LINES // 2
    return [*told[:1 + half], f"[... {len(told) - 1 - 2 * half} lines ...]", *told[-half:]]


def is_policytui(argv: Sequence[Any]) -> bool:
    """Whether a command line runs policytui: the installed command, or `python -m policytui`."""
    words = [os.fsdecode(word) if isinstance(word, (str, bytes, os.PathLike)) else "" for word in argv]
    return any(Path(word).name == "policytui" for word in words) or any(
        word == "-m" and after == "policytui" for word, after in zip(words, words[1:]))


class Watched:
    """What the policytui processes of one test wrote, where a user would read it."""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.texts: list[str] = []
        self.line_lists: list[list[str]] = []

    def note_command(self, argv: Sequence[Any], cwd: Any, stderr: Any) -> None:
        words = list(argv)
        base = Path(os.fsdecode(cwd)) if cwd else Path.cwd()
        logs = [value for option, value in zip(words, words[1:]) if option == "--log"]
        logs += [word[len("--log="):] for word in words if isinstance(word, str) and word.startswith("--log=")]
        self.files += [base / os.fspath(log) for log in logs
                       if isinstance(log, (str, os.PathLike)) and os.fspath(log) != "-"]
        name = getattr(stderr, "name", None)
        if isinstance(name, str):
            self.files.append(base / name)

    def findings(self) -> list[str]:
        """Each traceback found, told whole, with where it was."""
        found = []
        for path in dict.fromkeys(self.files):
            found += [f"{path}: {line}" for line in policytui_tracebacks(_tail(path))]
        for text in self.texts:
            found += [f"output: {line}" for line in policytui_tracebacks(text)]
        for lines in self.line_lists:
            found += [f"output: {line}" for line in policytui_tracebacks("".join(list(lines)))]
        return found


_watched: Watched | None = None


def start() -> Watched:
    global _watched
    _watched = Watched()
    return _watched


def stop() -> None:
    global _watched
    _watched = None


def watch_lines(*line_lists: list[str]) -> None:
    """Lines a helper reads from a policytui process's pipes (read again when the test ends)."""
    if _watched is not None:
        _watched.line_lists.extend(line_lists)


def _text(data: Any) -> str:
    if isinstance(data, bytes):
        return data[-READ_AT_MOST:].decode("utf-8", "replace")
    return data[-READ_AT_MOST:] if isinstance(data, str) else ""


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - READ_AT_MOST))
            return handle.read().decode("utf-8", "replace")
    except OSError:  # never made, removed by the test, or a folder
        return ""


class WatchingPopen(subprocess.Popen):  # type: ignore[type-arg]
    """`subprocess.Popen` that notes a policytui process for the guard (subprocess.run and
    asyncio's subprocesses make theirs through it too)."""

    def __init__(self, args: Any, *rest: Any, **options: Any) -> None:
        argv = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
        self._watched = _watched if is_policytui(argv) else None
        if self._watched is not None:
            self._watched.note_command(argv, options.get("cwd"), options.get("stderr"))
        super().__init__(args, *rest, **options)

    def communicate(self, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        out, err = super().communicate(*args, **kwargs)
        if self._watched is not None:
            self._watched.texts += [_text(out), _text(err)]
        return out, err
