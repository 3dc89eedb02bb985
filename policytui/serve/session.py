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
import sys

ARGUMENTS_VARIABLE = "POLICYTUI_SERVE_CONNECT_ARGUMENTS"


def main() -> int:
    encoded = os.environ.pop(ARGUMENTS_VARIABLE, None)
    if encoded is None:
        print(f"{ARGUMENTS_VARIABLE} is not set: start this through `policytui serve`",
              file=sys.stderr)
        return 2
    arguments = json.loads(encoded)
    from policytui.cli import main as cli_main
    from policytui.tui import app as editor_app

    # Here standard input and output are textual-serve's pipes, and its web driver (named in
    # TEXTUAL_DRIVER) is the terminal: the browser answers the editor, so the "needs a
    # terminal" refusal meant for `connect < /dev/null` does not apply.
    editor_app.terminal_problem = _browser_is_the_terminal

    return cli_main(["connect", *arguments])


def _browser_is_the_terminal() -> str | None:
    if os.environ.get("TEXTUAL_DRIVER"):
        return None
    return "policytui serve lost its web driver: TEXTUAL_DRIVER is not set"


if __name__ == "__main__":
    sys.exit(main())
