"""Whether the editor can run here: a terminal on standard input, output and error.

Checked by `connect` before any server is started (a server started for an editor that cannot
run would only be stopped again) and by the editor itself; without Textual, so the check costs
nothing before the editor's imports.
"""

from __future__ import annotations

import os
import sys


def terminal_problem() -> str | None:
    """Why the editor cannot run here, or None when standard input, output and error are a
    terminal.

    Under `policytui serve` Textual's web driver (named in TEXTUAL_DRIVER) is the terminal:
    its pipes are how the browser talks to the editor.
    """
    if os.environ.get("TEXTUAL_DRIVER"):
        return None
    if not sys.stdin.isatty():
        return (
            "the editor needs a terminal, and standard input is not one; run it in a terminal, "
            "or use `policytui tools` or `policytui check` in scripts"
        )
    if not sys.stdout.isatty():
        return "the editor needs a terminal, and standard output is not one; run it without redirecting its output"
    if not sys.stderr.isatty():
        # Textual draws the screen on standard error: redirected, the terminal stays blank
        # and the file fills with escape codes.
        return ("the editor draws on standard error, and it is not a terminal; run it without "
                "redirecting standard error (2>)")
    return None
