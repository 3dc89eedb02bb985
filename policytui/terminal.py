"""Whether the editor can run here: a terminal on standard input, output and error.

Checked by `connect` before any server is started (a server started for an editor that cannot
run would only be stopped again) and by the editor itself; without Textual, so the check costs
nothing before the editor's imports.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def terminal_problem() -> str | None:
    """Why the editor cannot run here, one sentence with its full stop, or None when standard
    input, output and error are a terminal.

    Under `policytui serve` Textual's web driver (named in TEXTUAL_DRIVER) is the terminal:
    its pipes are how the browser talks to the editor.
    """
    if os.environ.get("TEXTUAL_DRIVER"):
        return None
    if not sys.stdin.isatty():
        return (
            "the editor needs a terminal, and standard input is not one; run it in a terminal, "
            "or use `policytui tools` or `policytui check` in scripts."
        )
    if not sys.stdout.isatty():
        return "the editor needs a terminal, and standard output is not one; run it without redirecting its output."
    if not sys.stderr.isatty():
        # Textual draws the screen on standard error: redirected, the terminal stays blank
        # and the file fills with escape codes.
        return ("the editor draws on standard error, and it is not a terminal; run it without "
                "redirecting standard error (2>).")
    return None


@contextmanager
def keys_wait_for_the_editor() -> Iterator[None]:
    """Keys typed before the editor takes the keyboard wait for it instead of being acted on.

    Textual puts the terminal in raw mode only once its imports are done, a few tenths of a
    second after `connect` starts (longer on a loaded machine). Until then the terminal's own
    line discipline handles keys: ctrl+q and ctrl+s are flow control to it (XON/XOFF), so a
    ctrl+q typed at once was swallowed and never quit, and a ctrl+s stopped the editor's
    output; and every key was echoed onto the shell's screen, where it stayed after the
    editor had gone. Flow control and echo are turned off from the start, so those keys reach
    the editor once it reads them, and the terminal's settings as they were are put back when
    it has gone (Textual restores the settings it found, which are these).
    Does nothing when standard input is not a terminal, or is the browser under `serve`.
    """
    restore = _hold_keys() if not os.environ.get("TEXTUAL_DRIVER") else None
    try:
        yield
    finally:
        if restore is not None:
            restore()


def _hold_keys() -> Callable[[], None] | None:
    """Turn off flow control and echo on standard input's terminal; returns what puts the
    settings back, or None when there is no such terminal (or no POSIX terminal at all)."""
    try:
        import termios
    except ImportError:
        return None
    try:
        descriptor = sys.stdin.fileno()
        before = termios.tcgetattr(descriptor)
        during = list(before)
        during[0] &= ~(termios.IXON | termios.IXOFF)  # input flags
        during[3] &= ~termios.ECHO  # local flags
        termios.tcsetattr(descriptor, termios.TCSANOW, during)
    except (OSError, ValueError, termios.error):
        return None

    def restore() -> None:
        try:
            termios.tcsetattr(descriptor, termios.TCSANOW, before)
        except (OSError, termios.error):
            pass  # the terminal has gone (its window closed): nothing to put back

    return restore
