"""Standard input/output for the gateway's client, without a thread hop per message.

The SDK's `stdio_server` reads and writes through worker threads (one hand-off per line read,
two per message written), which costs about a millisecond per tool call on a busy machine -
more than the policy decision itself. When both standard streams are pipes or sockets, as they
are when an MCP client starts the gateway, this transport reads and writes them on the event
loop instead. For anything else (a terminal, a file) it falls back to the SDK's transport, so
a terminal's file flags are never changed.

`stdio_pipes` gives the raw line reader and writer (the relay in `policytui.gateway.relay`
uses them directly); `session_streams` puts the SDK's message streams on top of them.

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
from typing import Any

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage

# Tool results can carry whole files (base64 images, documents); a line may be large.
MAX_LINE_BYTES = 256 * 1024 * 1024


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
async def stdio_pipes() -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None]:
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
    reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
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


async def first_line(reader: asyncio.StreamReader) -> bytes:
    """The client's first non-blank line; b"" if it closed the connection first."""
    while True:
        try:
            line = await reader.readline()
        except (ValueError, ConnectionError, OSError):
            return b""
        if not line or line.strip():
            return line


@asynccontextmanager
async def session_streams(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, opening: bytes = b""
) -> AsyncIterator[tuple[Any, Any]]:
    """(read stream, write stream) of SessionMessages for the SDK's server over the pipes.

    `opening` is a line already read from the client (to decide how to serve it); it is
    delivered first.
    """
    read_send, read_receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_send, write_receive = anyio.create_memory_object_stream[SessionMessage](0)

    async def deliver(line: bytes) -> None:
        try:
            message = types.jsonrpc_message_adapter.validate_json(line, by_name=False)
        except Exception as exc:  # noqa: BLE001 - the SDK answers a parse error for these
            await read_send.send(exc)
            return
        await read_send.send(SessionMessage(message))

    async def read_lines() -> None:
        async with read_send:
            if opening.strip():
                await deliver(opening)
            while True:
                try:
                    line = await reader.readline()
                except (ValueError, ConnectionError, OSError) as exc:  # a line over the limit, a reset
                    await read_send.send(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
                    return
                if not line:
                    return  # the client closed its end: we are done
                if line.strip():
                    await deliver(line)

    async def write_lines() -> None:
        async with write_receive:
            async for session_message in write_receive:
                data = session_message.message.model_dump_json(by_alias=True, exclude_unset=True)
                writer.write(data.encode("utf-8") + b"\n")
                try:
                    await writer.drain()
                except (ConnectionError, OSError):
                    return  # the client is gone; reading will end too

    async with anyio.create_task_group() as tg:
        tg.start_soon(read_lines)
        tg.start_soon(write_lines)
        try:
            yield read_receive, write_send
        finally:
            tg.cancel_scope.cancel()


@asynccontextmanager
async def stdio_streams() -> AsyncIterator[tuple[Any, Any]]:
    """(read stream, write stream) of SessionMessages over this process's stdin/stdout."""
    async with stdio_pipes() as pipes:
        if pipes is None:
            from mcp.server.stdio import stdio_server

            async with stdio_server() as streams:
                yield streams
            return
        async with session_streams(*pipes) as streams:
            yield streams
