"""Standard input/output for the gateway's client, whatever they are: pipes, sockets, a
terminal or regular files. Every way in reaches the one JSON-RPC relay
(`policytui.gateway.relay`) and its wire rules (`policytui.gateway.wire`).

- Pipes and sockets (an MCP client starting the gateway) are read and written on the event
  loop, without a thread hop per message: the SDK's own transport hands each line read and
  each message written to a worker thread, which costs about a millisecond per tool call on a
  busy machine, more than the policy decision itself.
- A terminal or a regular file (`policytui gateway ... < calls.jsonl > answers.jsonl`, or lines
  typed in a terminal) cannot be watched by the event loop without making it non-blocking, a
  flag of the open file that a terminal shares with the shell it belongs to. It is read in a
  thread instead, with blocking reads, and written with blocking writes; its flags are never
  changed. The thread feeds the same `LineFeed` as a pipe does, with the same flow control.

`stdio_streams` gives the reader that frames the client's lines (`policytui.gateway.linefeed`)
and the writer. Whichever the input is, its end is the end of the requests: each request read
is answered before serving ends (`StdioRelay.serve`).

Like the SDK, it moves the protocol to private copies of descriptors 0 and 1 and points 0 at
/dev/null and 1 at standard error while serving, so nothing a library or child prints can
corrupt the protocol stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import stat
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from policytui.gateway import wire
from policytui.gateway.linefeed import LineFeed

log = logging.getLogger("policytui.gateway")

# How much a thread reads from a terminal or a file at a time.
_CHUNK = 1 << 16
# How long closing waits for the reading thread to notice (it is woken at once unless a read of
# a slow file is under way); a thread still reading then is left to end with the process.
_JOIN_SECONDS = 2.0


@dataclass
class StdioStreams:
    reader: LineFeed
    writer: asyncio.StreamWriter


def _pipe_like(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _private_copy(fd: int) -> int:
    try:
        import fcntl
    except ImportError:  # no fcntl: os.dup's copy is not inherited by children either
        return os.dup(fd)
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)


class _ThreadReader:
    """Reads a terminal or a file in a thread with blocking reads and feeds a `LineFeed` on
    the event loop, one chunk at a time: the next read waits until the loop has taken the chunk
    before, and while the feed is paused (its lines wait for the relay), so what is read ahead
    is bounded as for a pipe. Stands as the feed's transport (`pause_reading`,
    `resume_reading`)."""

    def __init__(self, fd: int, feed: LineFeed, loop: asyncio.AbstractEventLoop) -> None:
        self._fd = fd
        self._feed = feed
        self._loop = loop
        self._reading = threading.Event()  # cleared while the feed is paused
        self._reading.set()
        self._taken = threading.Event()  # the loop took the last chunk
        self._closing = False
        # Written to when closing, to wake a thread waiting for input.
        self._wake_in, self._wake_out = os.pipe()
        self._thread = threading.Thread(target=self._run, name="policytui-stdin", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def pause_reading(self) -> None:
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    def is_reading(self) -> bool:
        return self._reading.is_set()

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Stop the thread (called on the loop); the descriptors are closed once it ended."""
        if self._closing:
            return
        self._closing = True
        self._reading.set()
        self._taken.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_out, b"x")
        self._thread.join(_JOIN_SECONDS)
        if self._thread.is_alive():
            return  # a read of a slow file: closing its descriptor under it could hit a reused one
        for fd in (self._fd, self._wake_in, self._wake_out):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _wait_readable(self) -> bool:
        """Wait until the input has something to read (a typed line, the end) or closing
        wakes the thread: whether to read."""
        poll = getattr(select, "poll", None)
        if poll is None:
            return not self._closing  # no poll here: the blocking read waits instead
        poller = poll()
        poller.register(self._fd, select.POLLIN | select.POLLPRI)
        poller.register(self._wake_in, select.POLLIN)
        while not self._closing:
            try:
                ready = poller.poll()
            except InterruptedError:
                continue
            if any(fd == self._fd for fd, _ in ready):
                return not self._closing
        return False

    def _hand(self, callback: Any, *args: Any) -> bool:
        """Run `callback(*args)` on the loop; False when the loop is gone."""
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed: nobody reads any more
            return False
        return True

    def _deliver(self, chunk: bytes) -> None:
        try:
            if not self._closing:
                self._feed.feed_data(chunk)
        finally:
            self._taken.set()

    def _run(self) -> None:
        while True:
            self._reading.wait()
            if self._closing or not self._wait_readable():
                return
            try:
                chunk = os.read(self._fd, _CHUNK)
            except InterruptedError:
                continue
            except OSError as exc:
                self._hand(self._feed.set_exception, exc)
                return
            if not chunk:
                self._hand(self._feed.feed_eof)
                return
            self._taken.clear()
            if not self._hand(self._deliver, chunk):
                return
            self._taken.wait()


class _BlockingWrite(asyncio.WriteTransport):
    """Blocking writes to a terminal or a file (the loop cannot watch either): each message is
    written whole before the relay goes on, so nothing is buffered. Never makes the descriptor
    non-blocking; a terminal another program made non-blocking is waited for."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self._closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            raise ConnectionResetError("the output is closed")
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._fd, view)
            except BlockingIOError:
                select.select([], [self._fd], [])
                continue
            except OSError:
                self._closing = True  # the reader is gone (EPIPE), or the device failed
                raise
            view = view[written:]

    def is_closing(self) -> bool:
        return self._closing

    def get_write_buffer_size(self) -> int:
        return 0

    def can_write_eof(self) -> bool:
        return False

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            with contextlib.suppress(OSError):
                os.close(self._fd)

    def abort(self) -> None:
        self.close()


@asynccontextmanager
async def stdio_streams() -> AsyncIterator[StdioStreams]:
    """The client's reader and writer on standard input/output, whatever they are."""
    sys.stdout.flush()
    wire_in, wire_out = _private_copy(0), _private_copy(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)

    loop = asyncio.get_running_loop()
    # Lines are framed and, when they can be, served in the callback that read them.
    reader = LineFeed(limit=wire.MAX_MESSAGE_BYTES, overlong=wire.OVERLONG)
    closers: list[Any] = []
    try:
        if not _pipe_like(wire_in):
            threaded = _ThreadReader(wire_in, reader, loop)
            reader.set_transport(threaded)
            closers.append(threaded)
            threaded.start()
        else:
            read_transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(wire_in, "rb", buffering=0)
            )
            closers.append(read_transport)
        protocol = asyncio.streams.FlowControlMixin(loop)
        write_transport: asyncio.WriteTransport
        if _pipe_like(wire_out):
            write_transport, protocol = await loop.connect_write_pipe(
                asyncio.streams.FlowControlMixin, os.fdopen(wire_out, "wb", buffering=0)
            )
        else:
            write_transport = _BlockingWrite(wire_out)
        closers.append(write_transport)
        writer = asyncio.StreamWriter(write_transport, protocol, None, loop)
        yield StdioStreams(reader, writer)
    finally:
        for closer in closers:
            closer.close()
