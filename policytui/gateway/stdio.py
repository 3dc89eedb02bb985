"""Standard input/output for the gateway's client, without a thread hop per message.

The SDK's `stdio_server` reads and writes through worker threads (one hand-off per line read,
two per message written), which costs about a millisecond per tool call on a busy machine -
more than the policy decision itself. When both standard streams are pipes or sockets, as they
are when an MCP client starts the gateway, this transport reads and writes them on the event
loop instead. For anything else (a terminal, a file) it falls back to the SDK's transport, so
a terminal's file flags are never changed.

`stdio_pipes` gives a reader that frames the client's lines (`policytui.gateway.linefeed`) and
the raw writer; the relay in `policytui.gateway.relay` parses the lines itself
(`policytui.gateway.wire`).

Like the SDK, it moves the protocol to private copies of descriptors 0 and 1 and points 0 at
/dev/null and 1 at standard error while serving, so nothing a library or child prints can
corrupt the protocol stream.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from policytui.gateway import wire
from policytui.gateway.linefeed import LineFeed


def _pipe_like(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _private_copy(fd: int) -> int:
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)


@asynccontextmanager
async def stdio_pipes() -> AsyncIterator[tuple[LineFeed, asyncio.StreamWriter] | None]:
    """(reader, writer) on the event loop for the protocol on stdin/stdout, or None when the
    standard streams are not pipes or sockets (a terminal, a file: use the SDK's transport)."""
    if sys.platform == "win32" or not (_pipe_like(0) and _pipe_like(1)):
        yield None
        return

    sys.stdout.flush()
    wire_in, wire_out = _private_copy(0), _private_copy(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)

    loop = asyncio.get_running_loop()
    # Lines are framed and, when they can be, served in the callback that read them.
    reader = LineFeed(limit=wire.MAX_MESSAGE_BYTES, overlong=wire.OVERLONG)
    read_transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(wire_in, "rb", buffering=0)
    )
    write_transport, write_protocol = await loop.connect_write_pipe(
        asyncio.streams.FlowControlMixin, os.fdopen(wire_out, "wb", buffering=0)
    )
    writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)
    try:
        yield reader, writer
    finally:
        read_transport.close()
        write_transport.close()
