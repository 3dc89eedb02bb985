"""What each browser connection runs: `policytui connect` with the server's arguments.

The arguments come in an environment variable rather than on the command line, where every
local user could read them with `ps` (a `--header` may carry a credential). The child inherits
the server's environment, so `${env:NAME}` references and a server's passthrough variables
resolve exactly as they would for `policytui connect`. Nothing of it is sent to the browser: the
page only ever receives the terminal's screen.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from policytui.serve import SERVER_PID_VARIABLE

ARGUMENTS_VARIABLE = "POLICYTUI_SERVE_CONNECT_ARGUMENTS"
WEB_DRIVER = "textual.drivers.web_driver:WebDriver"  # what textual-serve names
SESSION_DRIVER = "policytui.tui.web_driver:SessionDriver"
_PR_SET_PDEATHSIG = 1


def main() -> int:
    encoded = os.environ.pop(ARGUMENTS_VARIABLE, None)
    if encoded is None:
        print(f"{ARGUMENTS_VARIABLE} is not set: start this through `policytui serve`",
              file=sys.stderr)
        return 2
    arguments = json.loads(encoded)
    server_pid = os.environ.pop(SERVER_PID_VARIABLE, "")
    if os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER:
        # Textual's web driver with a deadline on quitting (see policytui.tui.web_driver);
        # set before Textual is imported, which reads the variable once.
        os.environ["TEXTUAL_DRIVER"] = SESSION_DRIVER
    _end_with_parent()
    if server_pid.isdigit() and os.getppid() != int(server_pid):
        return 1  # the server ended before this process could ask to follow it
    from policytui import terminal
    from policytui.cli import main as cli_main
    from policytui.tui import app as editor_app

    # Here standard input and output are textual-serve's pipes, and its web driver (named in
    # TEXTUAL_DRIVER) is the terminal: the browser answers the editor, so the "needs a
    # terminal" refusal meant for `connect < /dev/null` does not apply.
    editor_app.terminal_problem = _browser_is_the_terminal
    terminal.terminal_problem = _browser_is_the_terminal  # (what `connect` asks first)

    return cli_main(["connect", *arguments])


def _end_with_parent() -> None:
    """Have the kernel send SIGTERM to this process when its parent (the server) ends.

    Linux only; elsewhere the end of standard input tells the editor the same, later.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return


def _browser_is_the_terminal() -> str | None:
    if os.environ.get("TEXTUAL_DRIVER"):
        return None
    return "policytui serve lost its web driver: TEXTUAL_DRIVER is not set"


if __name__ == "__main__":
    sys.exit(main())
