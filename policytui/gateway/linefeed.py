"""Lines read from a pipe, each settled in the callback that read it when it can be.

With asyncio's StreamReader, every chunk read from a pipe is buffered, a future is resolved and
the task awaiting it runs on a later turn of the event loop (two later turns for a child
process's output, which asyncio passes on through one more `call_soon`). A relay that settles
most messages at once pays those turns, with their system calls and cold caches, on every
message in both directions: a large part of the time the stdio gateway adds to a call.

A `LineFeed` is fed what is read, splits it into lines on the `\\n` byte alone and offers each
line to `on_line`, a synchronous handler that settles the messages it can on the spot (a
`tools/call` decided at once, a server's answer to a waiting request) and declines the rest.
Declined lines wait, in order, for the task reading `lines()`. Order is kept: while a line
waits or that task is busy with one, later lines wait behind it instead of being offered.

`LineFeed` stands in for the StreamReader of a `StreamReaderProtocol` (the client's standard
input), and `tap_stdout` puts one directly under a child process's standard output pipe.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from policytui.gateway.unexpected import log_unexpected

log = logging.getLogger("policytui.gateway")

# Lines (or bytes) waiting for the reading task beyond these: the pipe is not read until it
# catches up, so a peer that writes faster than it is served cannot fill the gateway's memory.
MAX_WAITING = 64
MAX_WAITING_BYTES = 1 << 20


class LineFeed(asyncio.StreamReader):
    """Lines of what is fed to it, offered to `on_line` first, else kept for `lines()`.

    `limit` bounds a line: a longer one is dropped up to its end and stands as `overlong`
    once, so a huge line costs at most `limit` bytes of memory.
    """

    def __init__(self, *, limit: int | None = None, overlong: bytes = b"") -> None:
        super().__init__()
        # The synchronous handler: True when it settled the line, False to leave it waiting.
        self.on_line: Callable[[bytes], bool] | None = None
        self._line_limit = limit
        self._overlong = overlong
        self._parts: list[bytes] = []
        self._size = 0
        self._skipping = False
        self._waiting: deque[bytes] = deque()
        self._waiting_bytes = 0
        self._busy = False  # the reading task holds a line
        self._ended = False
        self._failure: BaseException | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._held = False  # reading paused by this feed
        self._pipe: Any = None  # the transport that feeds it

    def set_transport(self, transport: Any) -> None:
        super().set_transport(transport)
        self._pipe = transport

    # Fed by the protocol --------------------------------------------------------------------

    def feed_data(self, data: bytes) -> None:  # type: ignore[override]
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                if start < len(data) and not self._skipping:
                    rest = data[start:] if start else data
                    self._parts.append(rest)
                    self._size += len(rest)
                    if self._line_limit is not None and self._size > self._line_limit:
                        self._parts.clear()
                        self._size = 0
                        self._skipping = True
                        self._line(self._overlong)
                return
            if self._skipping:
                self._skipping = False
            else:
                piece = data[start:end]
                if self._parts:
                    self._parts.append(piece)
                    line = b"".join(self._parts)
                    self._parts.clear()
                    self._size = 0
                else:
                    line = piece
                if self._line_limit is not None and len(line) > self._line_limit:
                    line = self._overlong
                self._line(line)
            start = end + 1

    def feed_eof(self) -> None:
        if self._ended:
            return
        if self._parts and not self._skipping:
            line = b"".join(self._parts)
            self._parts.clear()
            self._line(line)
        self._ended = True
        self._wake()

    def set_exception(self, exc: BaseException) -> None:
        self._failure = exc
        self._wake()

    def at_eof(self) -> bool:
        return self._ended and not self._waiting

    def stop(self) -> None:
        """End `lines()` at once: its reader is done (the other end of the relay is gone)."""
        self._ended = True
        self._waiting.clear()
        self._waiting_bytes = 0
        self._wake()

    def take_waiting(self) -> list[bytes]:
        """The lines read but not yet taken by `lines()`, which will not see them now."""
        waiting = list(self._waiting)
        self._waiting.clear()
        self._waiting_bytes = 0
        return waiting

    def _line(self, line: bytes) -> None:
        if not self._waiting and not self._busy and self.on_line is not None:
            try:
                if self.on_line(line):
                    return
            except Exception:  # noqa: BLE001 - the pipe's reader must go on whatever happens
                log_unexpected(log, "handling a line failed")
                return
        self._waiting.append(line)
        self._waiting_bytes += len(line)
        self._wake()
        if not self._held and self._pipe is not None and (
            len(self._waiting) >= MAX_WAITING or self._waiting_bytes > MAX_WAITING_BYTES
        ):
            self._held = True
            self._pipe.pause_reading()

    def _wake(self) -> None:
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    # Read by a task ---------------------------------------------------------------------------

    async def lines(self) -> AsyncIterator[bytes]:
        """The lines `on_line` declined, in order, until the end of the input. Raises what
        ended the pipe when it failed."""
        while True:
            if self._waiting:
                line = self._waiting.popleft()
                self._waiting_bytes -= len(line)
                if self._held and self._pipe is not None and (
                    len(self._waiting) <= MAX_WAITING // 2 and self._waiting_bytes <= MAX_WAITING_BYTES // 2
                ):
                    self._held = False
                    self._pipe.resume_reading()
                self._busy = True
                try:
                    yield line
                finally:
                    self._busy = False
                continue
            if self._failure is not None:
                raise self._failure
            if self._ended:
                return
            self._wakeup = asyncio.get_running_loop().create_future()
            try:
                await self._wakeup
            finally:
                self._wakeup = None


class _StdoutTap(asyncio.Protocol):
    """The protocol under a child's stdout pipe: data straight to the feed; the end of the
    pipe also to asyncio's own protocol, which tracks when the process is done with."""

    def __init__(self, feed: LineFeed, original: Any) -> None:
        self.feed = feed
        self.original = original

    def data_received(self, data: bytes) -> None:
        self.feed.feed_data(data)

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is None:
            self.feed.feed_eof()
        else:
            self.feed.set_exception(exc)
        self.original.connection_lost(exc)

    def pause_writing(self) -> None:
        self.original.pause_writing()

    def resume_writing(self) -> None:
        self.original.resume_writing()


def tap_stdout(
    process: Any, on_line: Callable[[bytes], bool], *, limit: int | None = None, overlong: bytes = b""
) -> LineFeed | None:
    """A LineFeed offering lines to `on_line`, fed directly by the stdout pipe of a child
    started by anyio on asyncio, in place of the StreamReader asyncio gave it; None when the
    process is not one (then read its stdout the ordinary way). Whatever the old reader holds
    or is yet handed goes to the feed first, in order. `limit` and `overlong` are the
    LineFeed's."""
    inner = getattr(process, "_process", None)  # anyio's wrapper of asyncio's Process
    transport = getattr(inner, "_transport", None)
    protocol = getattr(inner, "_protocol", None)
    reader = getattr(protocol, "stdout", None)
    if transport is None or not isinstance(reader, asyncio.StreamReader) or isinstance(reader, LineFeed):
        return None
    pipe = transport.get_pipe_transport(1)
    if pipe is None or not hasattr(pipe, "set_protocol"):
        return None
    old: Any = reader  # asyncio's StreamReader, whose private state is read once here
    buffer = getattr(old, "_buffer", None)
    if not isinstance(buffer, bytearray):
        return None
    feed = LineFeed(limit=limit, overlong=overlong)
    feed.on_line = on_line
    feed.set_transport(pipe)
    buffered = bytes(buffer)  # read before the tap: passed on first
    buffer.clear()
    if getattr(old, "_paused", False):
        old._paused = False
        pipe.resume_reading()
    if buffered:
        feed.feed_data(buffered)
    # Chunks read before the tap and not yet handed over (asyncio passes a child's output on
    # through call_soon) reach the old reader later: they go to the feed too.
    old.feed_data = feed.feed_data
    old.feed_eof = feed.feed_eof
    old.set_exception = feed.set_exception
    if getattr(old, "_eof", False):
        feed.feed_eof()
    pipe.set_protocol(_StdoutTap(feed, pipe.get_protocol()))
    return feed
