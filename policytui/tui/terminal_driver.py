"""Textual's terminal driver, which does not start again on a terminal that has gone, and
keeps going (to be stopped) once it has.

When a terminal closes (its window, a `tmux kill-pane`, an ssh connection dropped), the kernel
sends the editor SIGHUP and then SIGCONT. Textual's driver takes SIGCONT as the end of a ctrl+z
and starts its application mode again, and its check that the terminal can be used again
(`os.isatty`) is false on a hung-up terminal, so the check is skipped rather than failed: a
second input thread and a second output thread started on the dead terminal. The output thread
died at its first write (EIO), so once 30 frames waited for it the editor blocked for good on
its way out, before it kept its unsaved changes and before it stopped its server, and the
first input thread, left running, kept Python from exiting.

The same output thread, writing to a terminal closed under an editor that runs on (SIGHUP
ignored, as under `nohup`), died at its first write too; 30 frames later (a spinner's second)
the editor blocked for good in a write: a SIGTERM, which the event loop reads, was never read,
so nothing stopped it but `kill -9`, its unsaved changes lost and its server left running.
What is written once the terminal has gone is dropped instead.
"""

from __future__ import annotations

import termios
from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver


class TerminalDriver(LinuxDriver):
    """Textual's Linux and macOS driver, resumed after a SIGCONT only while it has a terminal,
    whose output thread outlives the terminal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._file is not None:
            # The thread only writes, flushes and asks for the descriptor: what this has.
            self._file = DroppedOnceGone(self._file)  # type: ignore[assignment]

    def _sigcont_application(self, *args: Any) -> None:
        if not terminal_present(self.fileno):
            # The terminal has gone (the SIGCONT that comes with a hang-up): the SIGHUP
            # before it ends the editor, with nothing to draw on.
            return
        super()._sigcont_application(*args)


def terminal_present(descriptor: int) -> bool:
    """Whether `descriptor` is still a terminal one can use: a hung-up terminal answers every
    request with EIO, without blocking."""
    try:
        termios.tcgetattr(descriptor)
    except (termios.error, OSError, ValueError):
        return False
    return True


class DroppedOnceGone:
    """Standard error as Textual's output thread writes to it: a write or flush that fails is
    dropped, and once the terminal has gone (EIO) so is everything after it, where the error
    ended the thread and left the frames after it waiting for good."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self._stream.write(text)
            except (OSError, ValueError):  # ValueError: the stream has been closed
                self._failed()
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._failed()

    def _failed(self) -> None:
        try:
            self.gone = not terminal_present(self._stream.fileno())
        except (OSError, ValueError):
            self.gone = True

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()
