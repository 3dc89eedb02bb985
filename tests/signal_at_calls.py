"""Run the installed policytui's command line, and send it a real SIGINT each time it reaches
one of the given moments: `python tests/signal_at_calls.py NAME[:N],... -- ARGS...` signals
the process at the Nth call (the first without `:N`) of a function named NAME, wherever it is
(policytui's, asyncio's), and otherwise runs `policytui ARGS...` exactly as the command does.

A user's ctrl+c can come at any moment; one sent from outside lands where the process happens
to be, so a moment a few microseconds long (an event loop half made) is met once in a hundred
runs. Here the process signals itself as it enters that moment, every time; Python then acts
on the signal as the function begins, as it would on a ctrl+c that came then.
"""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from types import FrameType
from typing import Any

points = [(name, int(nth or 1)) for name, _, nth in (spec.partition(":") for spec in sys.argv[1].split(","))]
if sys.argv[2] != "--":
    raise SystemExit("usage: signal_at_calls.py NAME[:N],... -- POLICYTUI-ARGUMENTS...")
calls: Counter[str] = Counter()
waiting = set(points)


def on_call(frame: FrameType, event: str, arg: Any) -> None:
    if event != "call":
        return
    name = frame.f_code.co_name
    if not any(name == wanted for wanted, _ in waiting):
        return
    calls[name] += 1
    if (name, calls[name]) in waiting:
        waiting.discard((name, calls[name]))
        os.kill(os.getpid(), signal.SIGINT)
        if not waiting:
            sys.setprofile(None)


sys.argv = ["policytui", *sys.argv[3:]]
sys.setprofile(on_call)
from policytui.cli import entry  # noqa: E402  (what the installed command runs, profiled from its start)

try:
    entry()
finally:
    if waiting:  # a moment never reached: the test names one that is not there
        print(f"signal_at_calls: never reached {sorted(waiting)}", file=sys.stderr, flush=True)
