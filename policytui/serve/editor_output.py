"""What an editor process writes on its standard error, on `policytui serve`'s own.

The editor's lines are meant for whoever runs serve: "the browser editor had unsaved changes to
policy.json; they were kept in ...", why an editor had to be ended. textual-serve would gather
them and print them on serve's standard output only once the editor's output ends, losing any
written after that; here each line is relayed as it comes. Control characters are made visible
(a line may quote a server's words) and each line is cut at a bound, and past `MAX_LINES` the
rest is read and dropped, so an editor never waits on a full pipe and never floods the terminal.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

from policytui.textsafe import clip, visible

MAX_LINES = 200
MAX_LINE = 2000  # characters of one line that are shown
CHUNK = 4096


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def relay_lines(stream: asyncio.StreamReader, say: Callable[[str], None] = _say) -> None:
    """Relay `stream`'s lines through `say` until it ends."""
    pending = b""
    said = 0
    while chunk := await stream.read(CHUNK):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        if len(pending) > 4 * MAX_LINE:
            lines.append(pending)  # a line with no end in sight: what came so far
            pending = b""
        for line in lines:
            if said < MAX_LINES and line.strip():
                said += 1
                say(_shown(line))
    if pending.strip() and said < MAX_LINES:
        say(_shown(pending))


def _shown(line: bytes) -> str:
    # Indentation stays (a traceback's), the line end goes, and nothing can drive the terminal.
    return visible(clip(line.decode("utf-8", "replace").rstrip(), MAX_LINE))


def ended_stream() -> asyncio.StreamReader:
    """A stream at its end: textual-serve's own reader of the editor's standard error gets this,
    and so finds nothing to gather."""
    stream = asyncio.StreamReader()
    stream.feed_eof()
    return stream
