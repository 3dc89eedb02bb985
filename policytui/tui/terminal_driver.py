"""Textual's terminal driver, which does not start again on a terminal that has gone.

When a terminal closes (its window, a `tmux kill-pane`, an ssh connection dropped), the kernel
sends the editor SIGHUP and then SIGCONT. Textual's driver takes SIGCONT as the end of a ctrl+z
and starts its application mode again, and its check that the terminal can be used again
(`os.isatty`) is false on a hung-up terminal, so the check is skipped rather than failed: a
second input thread and a second output thread started on the dead terminal. The output thread
died at its first write (EIO), so once 30 frames waited for it the editor blocked for good on
its way out, before it kept its unsaved changes and before it stopped its server, and the
first input thread, left running, kept Python from exiting.
"""

from __future__ import annotations

import termios
from typing import Any

from textual.drivers.linux_driver import LinuxDriver


class TerminalDriver(LinuxDriver):
    """Textual's Linux and macOS driver, resumed after a SIGCONT only while it has a terminal."""

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
