"""A bound on each message an HTTP server sends, counted as its body is read.

The MCP SDK's client reads an `application/json` answer whole, however long, and bounds the
events of an event stream at a size of its own. A response hook puts every response body
under `BoundedBody` before anything reads it: a plain body may hold at most the limit, an
event stream at most the limit per event (a long-lived stream of small events goes on for
ever). Past the limit the body is closed, nothing more of it is read, and reading it raises
`MessageTooLarge`, which the SDK turns into an error answer to the one request the body
answers: over HTTP each answer has a body of its own, so the failure is tied to its request.

The answers are asked for uncompressed, so that what is counted is what is held: a body the
server compresses all the same is refused, as a few megabytes of it could unpack to gigabytes.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx2

from policytui.discovery.limits import COMPRESSED_WORDS, MAX_SERVER_MESSAGE_BYTES, too_large_words

# Asked of the server with every request: see the module's docstring.
UNCOMPRESSED = {"accept-encoding": "identity"}
# The end of an event of an event stream: an empty line, that is two line ends in a row, each
# one of CRLF, CR or LF (atomic, so that a CRLF is never read as a CR and an LF).
_EVENT_END = re.compile(rb"(?>\r\n|\r|\n)(?>\r\n|\r|\n)")
_TAIL = 3  # bytes of a chunk kept to find an event's end split across two chunks


class MessageTooLarge(httpx2.StreamError, httpx2.SSEError):
    """A body refused past the limit (or compressed, so that it cannot be bounded).

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

    return hook


class BoundedBody(httpx2.AsyncByteStream):
    """A response body that raises MessageTooLarge once one message in it passes `limit`."""

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
        encodings = [value.strip().lower() for value in headers.get_list("content-encoding", split_commas=True)]
        self._compressed = any(encoding not in ("", "identity") for encoding in encodings)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._compressed:
            await self._refuse(COMPRESSED_WORDS)
        size = 0  # of the message under way
        tail = b""
        async for chunk in self._inner:
            if self._events:
                seen = tail + chunk
                largest, size = _event_sizes(seen, size - len(tail))
                tail = seen[-_TAIL:]
            else:
                size += len(chunk)
                largest = size
            if largest > self._limit:
                await self._refuse(too_large_words(self._limit))
            yield chunk

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
