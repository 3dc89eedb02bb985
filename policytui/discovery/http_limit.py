"""A bound on each message an HTTP server sends, counted as its body is read.

The MCP SDK's client reads an `application/json` answer whole, however long, and bounds the
events of an event stream at a size of its own. A response hook puts every response body
under `BoundedBody` before anything reads it: a plain body may hold at most the limit, an
event stream at most the limit per event (a long-lived stream of small events goes on for
ever). Past the limit the body is closed, nothing more of it is read, and reading it raises
`MessageTooLarge`, which the SDK turns into an error answer to the one request the body
answers: over HTTP each answer has a body of its own, so the failure is tied to its request.

The answers are asked for uncompressed, but a proxy in front of a server may compress them
all the same. A body in gzip or deflate is decoded here, a piece of at most a mebibyte at a
time, and what is counted is what it unpacks to: a few kilobytes that unpack to gigabytes are
refused at the limit, as a plain body is, with the memory of the limit. A body in another
encoding (or one that does not decode) is refused unread. The body passed on is the decoded
one, and its headers say so, so that it is not decoded a second time.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing

import httpx2
from httpx2._decoders import SUPPORTED_DECODERS, MultiDecoder

from policytui.discovery.limits import (
    MAX_SERVER_MESSAGE_BYTES,
    READ_ENCODINGS,
    UNDECODABLE_WORDS,
    too_large_words,
)

# Asked of the server with every request: see the module's docstring.
UNCOMPRESSED = {"accept-encoding": "identity"}
# The end of an event of an event stream: an empty line, that is two line ends in a row, each
# one of CRLF, CR or LF (atomic, so that a CRLF is never read as a CR and an LF).
_EVENT_END = re.compile(rb"(?>\r\n|\r|\n)(?>\r\n|\r|\n)")
_TAIL = 3  # bytes of a chunk kept to find an event's end split across two chunks
# The encodings decoded, by httpx's own decoders (which hand their output on in pieces of at
# most a mebibyte): those the standard library decodes, so on every installation the same.
_READ = frozenset(READ_ENCODINGS) & SUPPORTED_DECODERS.keys()


class MessageTooLarge(httpx2.StreamError, httpx2.SSEError):
    """A body refused past the limit (or in an encoding that is not read).

    Both a stream error and an event stream error: the SDK answers the waiting request with an
    error for either (reading a JSON answer, reading an event stream) and goes on serving. Its
    words travel in the message of that error, where `refusal_in` finds them again."""


def bound_bodies(
    limit: int = MAX_SERVER_MESSAGE_BYTES, on_refused: Callable[[str], None] | None = None
) -> Callable[[httpx2.Response], Awaitable[None]]:
    """A response hook for an `httpx2.AsyncClient`: each body bounded as `BoundedBody` says.
    `on_refused` is told the words of each refusal (the connection's diagnostics note them)."""

    async def hook(response: httpx2.Response) -> None:
        stream = response.stream
        if isinstance(stream, httpx2.AsyncByteStream):
            response.stream = BoundedBody(stream, response.headers, limit, on_refused)
            # The body is decoded by BoundedBody: httpx must not decode it again, and its
            # length is that of the encoded body.
            if "content-encoding" in response.headers:
                del response.headers["content-encoding"]
                response.headers.pop("content-length", None)

    return hook


class BoundedBody(httpx2.AsyncByteStream):
    """A response body, decoded, that raises MessageTooLarge once one message in it passes
    `limit` (counted decoded), or at once when it is in an encoding that is not read."""

    def __init__(
        self,
        inner: httpx2.AsyncByteStream,
        headers: httpx2.Headers,
        limit: int,
        on_refused: Callable[[str], None] | None,
    ) -> None:
        self._inner = inner
        self._limit = limit
        self._on_refused = on_refused
        content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        self._events = content_type == "text/event-stream"
        values = headers.get_list("content-encoding", split_commas=True)
        self._encodings = [value.strip().lower() for value in values if value.strip().lower() not in ("", "identity")]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0  # of the message under way
        tail = b""
        try:
            async with aclosing(self._decoded()) as pieces:
                async for piece in pieces:
                    if self._events:
                        # `seen` lives until the next piece: dropped at once, its churn was
                        # measured to leave the heap 16 MiB larger at a refused event.
                        seen = tail + piece
                        largest, size = _event_sizes(seen, size - len(tail))
                        tail = seen[-_TAIL:]
                    else:
                        size += len(piece)
                        largest = size
                    if largest > self._limit:
                        await self._refuse(too_large_words(self._limit))
                    yield piece
        except httpx2.DecodingError:
            await self._refuse(UNDECODABLE_WORDS)

    async def _decoded(self) -> AsyncGenerator[bytes, None]:
        """The body's pieces, decoded: lazily, so that each is counted before the next one is
        made. Raises DecodingError when an encoding is not read or the body does not decode."""
        if not self._encodings:
            async for chunk in self._inner:
                yield chunk
            return
        if any(encoding not in _READ for encoding in self._encodings):
            raise httpx2.DecodingError("not read")
        decoder = MultiDecoder(self._encodings)  # raises DecodingError past five in a row
        async for chunk in self._inner:
            for piece in decoder.decode(chunk):
                yield piece
        for piece in decoder.flush():
            yield piece

    async def _refuse(self, words: str) -> None:
        await self._inner.aclose()  # the rest of the body is never read
        if self._on_refused is not None:
            self._on_refused(words)
        raise MessageTooLarge(f"the server {words}")

    async def aclose(self) -> None:
        await self._inner.aclose()


def _event_sizes(seen: bytes, before: int) -> tuple[int, int]:
    """(the size of the largest event `seen` holds or ends, the size of the event under way
    after it); `before` is the size of the event under way up to `seen`."""
    largest, start = 0, 0
    size = before
    for end in _EVENT_END.finditer(seen):
        largest = max(largest, size + end.end() - start)
        size, start = 0, end.end()
    size += len(seen) - start
    return max(largest, size), size
