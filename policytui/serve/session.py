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

    return cli_main(["connect", *arguments])


if __name__ == "__main__":
    sys.exit(main())
