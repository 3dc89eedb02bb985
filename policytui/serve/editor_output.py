"""What an editor process writes on its standard error, on `policytui serve`'s own.

The editor's lines are meant for whoever runs serve: "the browser editor had unsaved changes to
policy.json; they were kept in ...", why an editor had to be ended. textual-serve would gather
them and print them on serve's standard output only once the editor's output ends, losing any
written after that; here each line is relayed as it comes. Control characters are made visible
(a line may quote a server's words) and each line is cut at a bound, and past `MAX_LINES` the
rest is read and only its last `LAST_LINES` kept, so an editor never waits on a full pipe and
never floods the terminal, and its last word (where its unsaved changes went, which it says
last, after a crash's long traceback say) is still said when its output ends.
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import Callable

from policytui.textsafe import clip, visible

MAX_LINES = 200
LAST_LINES = 20  # past MAX_LINES, said once the output ends
MAX_LINE = 2000  # characters of one line that are shown
CHUNK = 4096


LINE_PREFIX = "policytui serve: "  # what each line on serve's terminal starts with
# How the editor's line on what became of its unsaved changes begins (tui/unsaved.py's
# `keep_unsaved_work`): "... had unsaved changes to policy.json; they were kept in ...", "...
# had changes to the limits for X in an open dialog, not applied yet; they were lost ...".
OUTCOME_PREFIX = LINE_PREFIX + "the browser editor had "


def say(line: str) -> None:
    """`line` on serve's standard error, as one of its own."""
    _say(line)


def _say(line: str) -> None:
    # An editor's own sentences name serve already; anything else it writes (a traceback, a
    # library's warning) is marked as coming through serve.
    print(line if line.startswith(LINE_PREFIX) else LINE_PREFIX + line, file=sys.stderr, flush=True)


async def relay_lines(stream: asyncio.StreamReader, say: Callable[[str], None] = _say) -> None:
    """Relay `stream`'s lines through `say` until it ends."""
    said = 0
    last: deque[bytes] = deque(maxlen=LAST_LINES)
    dropped = 0

    def take(line: bytes) -> None:
        nonlocal said, dropped
        if not line.strip():
            return
        if said < MAX_LINES:
            said += 1
            say(_shown(line))
        else:
            dropped += len(last) == LAST_LINES  # the oldest one held goes unsaid
            last.append(line)

    pending = b""
    try:
        while chunk := await stream.read(CHUNK):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if len(pending) > 4 * MAX_LINE:
                lines.append(pending)  # a line with no end in sight: what came so far
                pending = b""
            for line in lines:
                take(line)
        take(pending)
    finally:  # also when serve stops waiting for an output some other process holds open
        if dropped:
            say(f"({dropped:,} more lines not shown)")
        for line in last:
            say(_shown(line))


def _shown(line: bytes) -> str:
    # Indentation stays (a traceback's), the line end goes, and nothing can drive the terminal.
    return visible(clip(line.decode("utf-8", "replace").rstrip(), MAX_LINE))


def ended_stream() -> asyncio.StreamReader:
    """A stream at its end: textual-serve's own reader of the editor's standard error gets this,
    and so finds nothing to gather."""
    stream = asyncio.StreamReader()
    stream.feed_eof()
    return stream
