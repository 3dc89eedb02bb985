"""Streamable HTTP and legacy SSE transports, with every HTTP error answer recorded.

The SDK turns a 401 or 404 into a generic JSON-RPC error; the response hook below keeps the
status so the failure can be explained ("refused with HTTP 401: check the Authorization header").
A second hook bounds each message the server sends (`http_limit`).

The legacy SSE transport carries every answer on one event stream, so an event refused there
cannot be tied to a request: the connection ends (the diagnostics' `too_large` says why), as a
server started as a command is stopped at a line over the limit.

Over the legacy SSE transport each client message is a POST of its own. The SDK's sender stops
at the first POST that fails (an HTTP error status, a connection that closes without an answer):
nothing more is sent, and the request waits for ever. Here a failed POST fails only its own
message: a request is answered at once with an error whose `data` is a `RefusedPost` (which the
gateway tells apart from any error of the server's), anything else is logged, and the next
message is posted as usual. A POST is given the connection's time-out to be answered. An
answer on the event stream that is no message of the protocol (`"result": 5`) the SDK drops
without its id, and its request would wait for its time-out: here it answers the request it
names at once, with an error whose `data` is an `InvalidAnswer` (`_ScreenedEvents`). So does
an answer naming no request waiting (no id, null, an id of another type), when exactly one
request waits (`policytui.discovery.sse_calls`); with several, it is logged and dropped.

Over Streamable HTTP a request's answer is the body of its own POST. The SDK's transport runs
each POST in a task of the connection's task group, so a POST whose connection fails (closed
without an answer, or half-way through one) ends the whole connection with an exception that
no caller catches; a failed notification's POST stops its sender. Once connected, here each
POST fails only its own message (`_GuardedTransport`): a request is answered at once with an
error whose `data` is a `RefusedPost`, as over SSE: for an HTTP error status (the SDK's stand-in
named no status, and a 404 is the session ended), a connection that fails before the answer
(an event stream that ends early included), and an answer that is not JSON-RPC. An answer
(a JSON body, or an event of the POST's stream) that holds a result beside an error, which the
SDK would read as its error alone, answers the request with an `InvalidAnswer`, as does an
answer nested too deeply for the SDK's parser (200 levels and more), read by its outer object
alone (`policytui.discovery.shallow`); over legacy SSE such an answer fails the request whose
id it names, where the SDK's reader would have failed on it and ended the connection. A request
given up on (its time-out, or its client cancelled it) has its POST closed after the
`notifications/cancelled` is posted, so no connection is held for an answer nobody waits for.
Before the connection is up, failures stay as they are, for the start failure's sentence.
"""

from __future__ import annotations

import contextvars
import http
import json
import logging
import ssl
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import anyio
import anyio.abc
import httpx2
import mcp.client.sse
import mcp.client.streamable_http
import mcp_types as types
from anyio.streams.memory import MemoryObjectSendStream
from httpx2 import ServerSentEvent
from mcp.client.sse import sse_client
from mcp.client.streamable_http import (
    RequestContext,
    StreamableHTTPTransport,
    StreamWriter,
    streamable_http_client,
)
from mcp.shared._context_streams import ContextReceiveStream
from mcp.shared._httpx_utils import request_within_origin, sse_within_origin, stream_within_origin
from mcp.shared.jsonrpc_dispatcher import cancelled_request_id_from_params
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from policytui.discovery.diagnostics import Diagnostics, HttpAnswer
from policytui.discovery.errors import InvalidAnswer, RefusedPost
from policytui.discovery.explain import flatten
from policytui.discovery.http_limit import UNCOMPRESSED, MessageTooLarge, bound_bodies
from policytui.discovery.limits import refusal_in
from policytui.discovery.shallow import Shallow, shallow_read
from policytui.discovery.sse_calls import WaitingCalls

log = logging.getLogger("policytui.discovery")
# Said in the gateway's log; never on a terminal that has no logging set up (the TUI).
log.addHandler(logging.NullHandler())

# A long-lived connection (the gateway's upstream) may sit idle: keep the event stream open.
STREAM_READ_SECONDS = 3600.0


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the system CA store costs about 0.15 s; httpx would do it again for every
    # connection. One verified context, shared, is what every connection needs.
    import httpcore2

    return httpcore2.default_ssl_context()


def _recorder(diag: Diagnostics) -> Any:
    async def on_response(response: httpx2.Response) -> None:
        if response.status_code >= 300:
            diag.note_http(
                HttpAnswer(
                    method=response.request.method,
                    url=str(response.request.url),
                    status=response.status_code,
                    reason=response.reason_phrase,
                    content_type=response.headers.get("content-type", ""),
                    authenticate="www-authenticate" in response.headers,
                    location=response.headers.get("location", ""),
                )
            )

    return on_response


def _hooks(diag: Diagnostics) -> dict[str, list[Any]]:
    return {"response": [_recorder(diag), bound_bodies(on_refused=diag.note_too_large)]}


def _headers(headers: Any) -> httpx2.Headers:
    """The headers of every request: the given ones, answers asked for uncompressed (so the
    size counted is the size held), whatever they say."""
    out = httpx2.Headers(headers)
    out.update(UNCOMPRESSED)
    return out


@asynccontextmanager
async def http_transport(diag: Diagnostics, timeout: float) -> AsyncIterator[Any]:
    spec = diag.spec
    assert spec.url is not None
    client = httpx2.AsyncClient(
        headers=_headers(spec.headers),
        timeout=httpx2.Timeout(timeout, read=STREAM_READ_SECONDS),
        event_hooks=_hooks(diag),
        verify=_tls_context(),
    )
    _GUARDED_HTTP[client] = diag
    # Events are bounded by the hook, at the size of any other message (tool results up to the
    # limit pass as they do over stdio), and refused with its words: the SDK's own bound (1 MiB,
    # and counted on the text, where a byte that is not UTF-8 counts three) is left off.
    async with client, streamable_http_client(
        spec.url, http_client=client, max_sse_event_size=None
    ) as streams:
        yield streams


# The clients of `http_transport`, with their connection's diagnostics: once it is connected,
# a POST of theirs that fails fails its own message only (`_GuardedTransport`).
_GUARDED_HTTP: weakref.WeakKeyDictionary[httpx2.AsyncClient, Diagnostics] = weakref.WeakKeyDictionary()


class _Refused(Exception):
    """A POST the server answered with an HTTP error status (raised before the SDK reads it)."""

    def __init__(self, refused: RefusedPost) -> None:
        super().__init__(refused.detail)
        self.refused = refused


def _guarding(client: httpx2.AsyncClient) -> bool:
    diag = _GUARDED_HTTP.get(client)
    return diag is not None and diag.stage == "connected"


@asynccontextmanager
async def _post_stream(
    client: httpx2.AsyncClient, method: str, url: httpx2.URL | str, **kwargs: Any
) -> AsyncIterator[httpx2.Response]:
    """The SDK's POST of one message over Streamable HTTP (`stream_within_origin`). For a
    connected client of `http_transport` an HTTP error status is `_Refused`, whatever the body
    says: the server did not take the message. A 404 to a message of the session says that the
    server no longer knows the session (the protocol's word for a session ended)."""
    async with stream_within_origin(client, method, url, **kwargs) as response:
        if _guarding(client):
            status = response.status_code
            if status >= 400:
                ended = status == 404 and "mcp-session-id" in httpx2.Headers(kwargs.get("headers") or {})
                raise _Refused(_refused_status(status, session_ended=ended))
            posted = kwargs.get("json")
            if 200 <= status < 300 and isinstance(posted, dict) and "id" in posted and "method" in posted:
                # A request taken (2xx) and not answered: its tool may have run, so the call
                # keeps its charge. The SDK made of these an error of its own (refunded).
                kind = response.headers.get("content-type", "").lower()
                if status == 202:
                    raise _Refused(RefusedPost(status, "no answer to the request (HTTP 202 Accepted)",
                                               unreadable=True, maybe_taken=True))
                if not kind.startswith(("application/json", "text/event-stream")):
                    raise _Refused(RefusedPost(status, "an answer that is not a JSON-RPC message",
                                               unreadable=True, maybe_taken=True))
        yield response


# `StreamableHTTPTransport` posts each message through this name of its module, looked up at
# each call.
mcp.client.streamable_http.stream_within_origin = _post_stream


class _GuardedTransport(StreamableHTTPTransport):
    """The SDK's Streamable HTTP transport, where a POST of a connected client of
    `http_transport` that fails fails its own message only (see the module's docstring). For
    any other client it is the SDK's."""

    _client: httpx2.AsyncClient | None = None

    def _guarded(self) -> bool:
        return self._client is not None and _guarding(self._client)

    async def post_writer(self, client: httpx2.AsyncClient, *args: Any, **kwargs: Any) -> None:
        self._client = client
        await super().post_writer(client, *args, **kwargs)

    @staticmethod
    async def _answer(writer: StreamWriter, error: types.JSONRPCError) -> None:
        try:
            await writer.send(SessionMessage(error))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass  # the connection is ending: its requests are answered "connection closed"

    async def _handle_post_request(self, ctx: RequestContext) -> None:
        if not self._guarded():
            await super()._handle_post_request(ctx)
            return
        try:
            await super()._handle_post_request(ctx)
        except _Refused as exc:
            refused = exc.refused
        except Exception as exc:  # noqa: BLE001 - any failure of one POST fails its message only
            refused = _dropped(exc)
        else:
            return
        message = ctx.session_message.message
        if isinstance(message, types.JSONRPCRequest):
            await self._answer(ctx.read_stream_writer, _refusal_error(message.id, refused))
        else:
            method = getattr(message, "method", None)
            _log_unanswered(method if isinstance(method, str) else "an answer to one of its requests", refused)

    async def _handle_json_response(
        self, response: httpx2.Response, read_stream_writer: StreamWriter, *, request_id: types.RequestId
    ) -> None:
        if not self._guarded():
            await super()._handle_json_response(response, read_stream_writer, request_id=request_id)
            return
        # A connection that fails while the body is read raises (`_handle_post_request`).
        try:
            content = await response.aread()
        except MessageTooLarge as exc:
            # Refused at the limit: the words reach the request, where the gateway finds them.
            error = types.ErrorData(code=types.INTERNAL_ERROR, message=str(exc))
            await self._answer(read_stream_writer, types.JSONRPCError(jsonrpc="2.0", id=request_id, error=error))
            return
        try:
            message = types.jsonrpc_message_adapter.validate_json(content, by_name=False)
        except ValidationError as exc:
            if await _nested_answer(exc, content) is not None:
                await self._answer(read_stream_writer, _invalid_error(request_id))
                return
            message = None
        if not isinstance(message, (types.JSONRPCResponse, types.JSONRPCError)):
            # Not JSON-RPC, or not an answer (a request, a notification): the POST is over and
            # its request unanswered. Taken: its tool may have run.
            refused = RefusedPost(None, "an answer that is not a JSON-RPC message", unreadable=True, maybe_taken=True)
            await self._answer(read_stream_writer, _refusal_error(request_id, refused))
            return
        if _beside_a_result(message, content):
            await self._answer(read_stream_writer, _invalid_error(request_id))
            return
        # The body answers the request of its own POST, whatever id it names: another
        # request's id would settle that request (refunding it, were it an error) while its
        # own answer is still to come.
        message.id = request_id
        try:
            await read_stream_writer.send(SessionMessage(message))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass

    async def _handle_sse_event(
        self,
        sse: ServerSentEvent,
        read_stream_writer: StreamWriter,
        original_request_id: types.RequestId | None = None,
        resumption_callback: Callable[[str], Awaitable[None]] | None = None,
    ) -> bool:
        if not (self._guarded() and original_request_id is not None and sse.event == "message" and sse.data):
            return await super()._handle_sse_event(sse, read_stream_writer, original_request_id, resumption_callback)
        # An event of a request's answer stream, read as the SDK reads it, except that one that is
        # not JSON-RPC answers the request with one sentence (the SDK's quoted the event).
        try:
            message = types.jsonrpc_message_adapter.validate_json(sse.data, by_name=False)
        except ValidationError as exc:
            if await _nested_answer(exc, sse.data) is not None:
                await self._answer(read_stream_writer, _invalid_error(original_request_id))
                return True
            refused = RefusedPost(None, "an answer that is not a JSON-RPC message", unreadable=True, maybe_taken=True)
            await self._answer(read_stream_writer, _refusal_error(original_request_id, refused))
            return True
        if _beside_a_result(message, sse.data):
            await self._answer(read_stream_writer, _invalid_error(original_request_id))
            return True
        answered = isinstance(message, (types.JSONRPCResponse, types.JSONRPCError))
        if isinstance(message, (types.JSONRPCResponse, types.JSONRPCError)):
            message.id = original_request_id
        try:
            await read_stream_writer.send(SessionMessage(message))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            return True  # the connection is ending
        if sse.id and resumption_callback:
            await resumption_callback(sse.id)
        return answered

    async def _resolve_abandoned_request(
        self, read_stream_writer: StreamWriter, request_id: types.RequestId, message: str, *,
        code: int = types.CONNECTION_CLOSED,
    ) -> None:
        if self._guarded() and code == types.CONNECTION_CLOSED and not refusal_in(message):
            # The answer's event stream ended (or broke) before the answer: this request's
            # connection went, not the server's (a refusal at the size limit keeps its words).
            # The server took the request (it had begun to answer): its tool may have run.
            refused = RefusedPost(None, "it closed the connection without answering the request", maybe_taken=True)
            await self._answer(read_stream_writer, _refusal_error(request_id, refused))
            return
        await super()._resolve_abandoned_request(read_stream_writer, request_id, message, code=code)

    def _consume_modern_cancellation(self, session_message: SessionMessage) -> bool:
        consumed = super()._consume_modern_cancellation(session_message)
        message = session_message.message
        if not consumed and self._guarded() and isinstance(message, types.JSONRPCNotification) \
                and message.method == "notifications/cancelled":
            # A request given up on (timed out, cancelled): its `notifications/cancelled` is
            # posted, and its POST closed, so that no connection waits for an answer nobody
            # reads (and fails an hour later, at the stream's read time-out).
            request_id = cancelled_request_id_from_params(message.params)
            post = self._in_flight_posts.get(request_id) if request_id is not None else None
            if post is not None:
                post.scope.cancel()
        return consumed


def _may_name_a_result(text: str | bytes) -> bool:
    """Whether JSON text may hold a key `result`: it holds the text `"result"`, or a JSON escape
    (`\\u...`), which may spell the key any other way."""
    return _may_name(text, "result")


def _may_name(text: str | bytes, key: str) -> bool:
    """Whether JSON text may hold `key`: it holds the key in quotes, or a JSON escape
    (`\\u...`), which may spell the key any other way."""
    if isinstance(text, str):
        return f'"{key}"' in text or "\\u" in text
    return f'"{key}"'.encode() in text or b"\\u" in text


def _beside_a_result(message: types.JSONRPCMessage, text: str | bytes) -> bool:
    """Whether `message`, read from `text`, is an answer holding both a result and an error,
    which JSON-RPC does not allow: the SDK reads an error beside a result as its error alone,
    which would refund a call the server ran, and a result beside an error that is no error
    object (`"error": 5`) as its result alone. Any result counts, null included, as over stdio
    and legacy SSE: an answer holding both keys is no refusal, and the tool may have run; an
    error that is null counts as absent, as over stdio. Cheap: only an answer whose text holds
    the other key, or a JSON escape that may spell it, is read again."""
    if isinstance(message, types.JSONRPCError):
        other = "result"
    elif isinstance(message, types.JSONRPCResponse):
        other = "error"
    else:
        return False
    if not _may_name(text, other):
        return False
    try:
        whole = json.loads(text)
    except (ValueError, RecursionError):
        return True  # read by the SDK, yet not by Python: unsure, so counted as run (charged)
    if not isinstance(whole, dict):
        return False
    return "result" in whole if other == "result" else whole.get("error") is not None


async def _nested_answer(exc: ValidationError, text: str | bytes) -> Shallow | None:
    """The outer object of an answer (a message naming no method) that the SDK's parser gave
    up on for its nesting (200 levels and more), read without parsing it; else None. The
    server answered, with what no reader takes for a result: its call is `invalid`, its tool
    having run."""
    if not any(error["type"] == "json_invalid" and "recursion limit" in str((error.get("ctx") or {}).get("error"))
               for error in exc.errors(include_url=False, include_input=False)):
        return None
    try:
        decoded = text if isinstance(text, str) else text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Off the event loop: tens of megabytes of brackets take the scan seconds, in which the
    # gateway would answer no client.
    read = await anyio.to_thread.run_sync(shallow_read, decoded)
    return read if read is not None and read.answer else None


def _invalid_error(request_id: types.RequestId) -> types.JSONRPCError:
    """The error that answers a request the server answered with what the protocol does not
    allow: its `data` is an `InvalidAnswer`, which the gateway audits `invalid`, charged."""
    answer = InvalidAnswer()
    data = types.ErrorData(code=types.INTERNAL_ERROR, message=f"the server sent {answer.detail}", data=answer)
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=data)


# `streamable_http_client` makes its transport through this name of its module.
mcp.client.streamable_http.StreamableHTTPTransport = _GuardedTransport  # type: ignore[misc]


# The clients of `sse_transport`, whose response hook bounds every event.
_BOUNDED_CLIENTS: weakref.WeakSet[httpx2.AsyncClient] = weakref.WeakSet()


@asynccontextmanager
async def _event_source(
    client: httpx2.AsyncClient,
    url: httpx2.URL | str,
    *,
    headers: dict[str, str] | None = None,
    max_event_size: int | None = 1 << 20,
) -> AsyncIterator[httpx2.EventSource]:
    """The SDK's event source for the legacy SSE transport, without the SDK's own bound on an
    event (httpx's default of 1 MiB, counted on the text, which `sse_client` offers no setting
    for) when the client is one of ours: its response hook bounds each event at the limit of
    any other message instead. Any other client keeps the SDK's bound."""
    if client in _BOUNDED_CLIENTS:
        max_event_size = None
    async with sse_within_origin(client, url, headers=headers, max_event_size=max_event_size) as source:
        posts = _SSE_POSTS.get(client)
        yield source if posts is None else _ScreenedEvents(source, posts)  # type: ignore[misc]


class _ScreenedEvents:
    """The event source `sse_client` reads, where each answer is tied to its request here
    (`WaitingCalls`) before the SDK sees it. An answer the SDK would drop unread (a JSON-RPC
    message that is not one of the protocol's, `"result": 5`; one nested too deeply to parse)
    or misread (a result beside an error, read as the error alone) is taken out, and its
    request answered at once with an `InvalidAnswer`: the SDK reports such an event without
    its id, so its request would wait for the call time-out. An answer whose id is of no use
    (none, null, of another type, no request's waiting) fails the one request waiting when
    only one is, else it is logged and dropped. No other request on the connection is
    touched. A request or a notification of the server's goes to the SDK as before."""

    def __init__(self, source: httpx2.EventSource, posts: _FailedPosts) -> None:
        self._source = source
        self._posts = posts
        self.response = source.response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    async def __aiter__(self) -> AsyncIterator[ServerSentEvent]:
        async for sse in self._source:
            answer = await _screened(sse.data) if sse.event == "message" and sse.data else None
            if answer is None:
                yield sse
                continue
            request_id, invalid = answer
            settled = self._posts.calls.settled_by(request_id)
            if settled is None:
                continue  # dropped: its request (if any) waits for its time-out
            call, named = settled
            if named and not invalid:
                yield sse  # the SDK reads it and settles its request
            else:
                self._posts.invalid(call)


async def _screened(data: str) -> tuple[Any, bool] | None:
    """For an answer (a message naming no method): the id it names, as sent (any JSON value,
    None when it names none), and whether the SDK would drop it unread or misread it. None for
    a request or notification of the server's, or what is not JSON at all (the SDK says so)."""
    try:
        parsed = types.jsonrpc_message_adapter.validate_json(data, by_name=False)
    except ValidationError as exc:
        nested = await _nested_answer(exc, data)
        if nested is not None:
            return nested.request_id, True  # nested too deep for any parser here: read by its outer object
        parsed = None
    if isinstance(parsed, (types.JSONRPCRequest, types.JSONRPCNotification)):
        return None
    # A result can carry an error the SDK ignores, and an error a result: the text is looked
    # at first, so that only an answer that may hold both is parsed twice.
    if isinstance(parsed, types.JSONRPCResponse):
        return parsed.id, _beside_a_result(parsed, data)  # beside an error the SDK ignores
    if isinstance(parsed, types.JSONRPCError) and not _may_name_a_result(data):
        return parsed.id, False
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, dict) or "method" in message:
        return None
    if parsed is not None and "result" not in message:
        return parsed.id, False  # a well-formed error whose text only quotes the word "result"
    return message.get("id"), True


# `sse_client` opens its event stream through this name of its module, looked up at each call.
mcp.client.sse.sse_within_origin = _event_source


# The clients of `sse_transport`, with their connection's `_FailedPosts` (which answers a
# request whose POST failed, or whose answer the SDK would drop or misread, and knows which
# requests wait) and how long a POST may take.
_SSE_POSTS: weakref.WeakKeyDictionary[httpx2.AsyncClient, _FailedPosts] = weakref.WeakKeyDictionary()
_POST_SECONDS: weakref.WeakKeyDictionary[httpx2.AsyncClient, float] = weakref.WeakKeyDictionary()


def _dropped_detail(exc: BaseException) -> str:
    if isinstance(exc, (httpx2.ConnectError, httpx2.ConnectTimeout)):
        return "the connection to it failed"
    if isinstance(exc, httpx2.TimeoutException):
        return "it did not answer the request in time"
    if isinstance(exc, httpx2.TransportError):
        return "it closed the connection without answering the request"
    return f"posting the request failed ({type(exc).__name__})"


def _dropped(exc: BaseException) -> RefusedPost:
    """A POST whose connection failed before its answer. Unless it never connected, the server
    may have taken the message (and run its tool), then closed: the call keeps its charge."""
    never_sent = isinstance(exc, (httpx2.ConnectError, httpx2.ConnectTimeout))
    timed_out = isinstance(exc, httpx2.TimeoutException) and not never_sent
    return RefusedPost(None, _dropped_detail(exc), timed_out, maybe_taken=not never_sent)


# The error statuses that say the server did not handle the message: every 4xx (the request
# was refused), 501 Not Implemented and 503 Service Unavailable. Any other 5xx (500, 502,
# 504, ...) may come after the tool ran: a server that fails while answering, a proxy whose
# server went away or took too long.
_NOT_HANDLED_5XX = frozenset({501, 503})


def _refused_status(status: int, *, session_ended: bool = False) -> RefusedPost:
    maybe_taken = status >= 500 and status not in _NOT_HANDLED_5XX
    return RefusedPost(status, _status_words(status), session_ended=session_ended, maybe_taken=maybe_taken)


def _status_words(status: int) -> str:
    try:
        phrase = http.HTTPStatus(status).phrase  # not the server's own words
    except ValueError:
        phrase = ""
    return f"HTTP {status}" + (f" ({phrase})" if phrase else "")


def _refusal_error(request_id: Any, refused: RefusedPost) -> types.JSONRPCError:
    """The error that answers a request whose POST failed: its `data` says how."""
    if refused.unreadable:
        words = f"the server sent {refused.detail}"
    elif refused.status is not None:
        words = f"the server refused the request with {refused.detail}"
    else:
        words = f"posting the request failed: {refused.detail}"
    code = types.INTERNAL_ERROR if refused.status is not None or refused.unreadable else types.CONNECTION_CLOSED
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=words, data=refused))


def _log_unanswered(what: str, refused: RefusedPost) -> None:
    """A message with nobody waiting on it (a notification, an answer to the server) failed."""
    if refused.status is not None:
        log.warning("the upstream server refused %s with %s", what, refused.detail)
    else:
        log.warning("posting %s to the upstream server failed (%s)", what, refused.detail)


async def _post_message(
    client: httpx2.AsyncClient, method: str, url: httpx2.URL | str, **kwargs: Any
) -> httpx2.Response:
    """The SDK's POST of one client message (`request_within_origin`). For a client of
    `sse_transport` a POST that fails is handed to its connection (`_SSE_POSTS`) and
    reported to the SDK as taken, so that its sender goes on with the next message."""
    posts = _SSE_POSTS.get(client)
    if posts is None:
        return await request_within_origin(client, method, url, **kwargs)
    kwargs.setdefault("timeout", httpx2.Timeout(_POST_SECONDS.get(client, 30.0)))
    # Before the POST: its answer may come on the event stream before the POST returns.
    posts.calls.posting(kwargs.get("json"))
    try:
        response = await request_within_origin(client, method, url, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any failure of one POST fails its message only
        posts.failed(kwargs.get("json"), _dropped(exc))
    else:
        if response.is_success:
            return response
        posts.failed(kwargs.get("json"), _refused_status(response.status_code))
    return httpx2.Response(202, request=httpx2.Request(method, url))


# `sse_client` posts each message through this name of its module, looked up at each call.
mcp.client.sse.request_within_origin = _post_message


class _FailedPosts:
    """Answers the requests whose POST failed, or whose answer the SDK would drop unread (`invalid`),
    on the read stream the session reads: the SDK's stream is passed on through `pass_on`, and
    each answer is put beside it."""

    def __init__(self) -> None:
        self._tg: anyio.abc.TaskGroup | None = None
        self._send: MemoryObjectSendStream[Any] | None = None
        self.calls = WaitingCalls()

    def failed(self, message: Any, refused: RefusedPost) -> None:
        request_id = message.get("id") if isinstance(message, dict) else None
        method = message.get("method") if isinstance(message, dict) else None
        if request_id is None or not isinstance(method, str):
            _log_unanswered(method if isinstance(method, str) else "an answer to one of its requests", refused)
            return
        self.calls.answered(request_id)
        self._fail(_refusal_error(request_id, refused))

    def invalid(self, request_id: types.RequestId) -> None:
        """The server answered the request with something the protocol does not allow."""
        self.calls.answered(request_id)
        self._fail(_invalid_error(request_id))

    def _fail(self, error: types.JSONRPCError) -> None:
        if self._tg is not None and self._send is not None:
            self._tg.start_soon(self._answer, self._send, SessionMessage(error))

    @staticmethod
    async def _answer(send: MemoryObjectSendStream[Any], message: SessionMessage) -> None:
        try:
            async with send.clone() as sender:
                await sender.send((contextvars.copy_context(), message))
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass  # the connection is ending: its requests are answered "connection closed"

    @asynccontextmanager
    async def pass_on(self, read: Any) -> AsyncIterator[Any]:
        send, receive = anyio.create_memory_object_stream[Any](0)

        async def copy() -> None:
            async with send:
                try:
                    async for item in read:
                        context = getattr(read, "last_context", None) or contextvars.copy_context()
                        await send.send((context, item))
                except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream):
                    pass

        async with anyio.create_task_group() as tg:
            self._tg, self._send = tg, send
            tg.start_soon(copy)
            try:
                yield ContextReceiveStream(receive)
            finally:
                self._tg = self._send = None
                tg.cancel_scope.cancel()


@asynccontextmanager
async def sse_transport(diag: Diagnostics, timeout: float) -> AsyncIterator[Any]:
    spec = diag.spec
    assert spec.url is not None
    hooks = _hooks(diag)
    posts = _FailedPosts()
    timeout_seconds = timeout

    def factory(
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        kwargs: dict[str, Any] = {
            "headers": _headers(headers),
            "timeout": timeout,
            "event_hooks": hooks,
            "verify": _tls_context(),
        }
        if auth is not None:
            kwargs["auth"] = auth
        client = httpx2.AsyncClient(**kwargs)
        _BOUNDED_CLIENTS.add(client)
        _SSE_POSTS[client] = posts
        _POST_SECONDS[client] = timeout_seconds
        return client

    try:
        async with sse_client(
            spec.url,
            headers=dict(spec.headers),
            timeout=timeout,
            sse_read_timeout=STREAM_READ_SECONDS,
            httpx_client_factory=factory,
        ) as (read, write):
            async with posts.pass_on(read) as answered:
                yield answered, write
    except BaseException as exc:
        # The SDK's reader of the event stream raises the refusal, which ends the connection
        # (its requests waiting are answered "connection closed"); once connected that is an
        # end like a server's going away, not an error of the gateway's. At start-up it is the
        # cause of the start failure.
        leaves = flatten(exc)
        refused = any(isinstance(leaf, MessageTooLarge) for leaf in leaves)
        if diag.stage != "connected" or not refused or not all(
            isinstance(leaf, (MessageTooLarge, anyio.get_cancelled_exc_class())) for leaf in leaves
        ):
            raise
