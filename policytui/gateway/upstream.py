"""The gateway's connection to the real MCP server through the SDK's client, and raw request
forwarding over it. Used for servers reached over HTTP or SSE; a server started as a command
is spoken to by `policytui.gateway.upstream_stdio.StdioUpstream` instead.

Requests are forwarded as raw JSON-RPC params and their results come back as raw dicts, so
what the agent receives is what the server sent (the SDK still checks each result against the
protocol). The connection lives in its own task, because anyio cancel scopes belong to the
task that entered them; `start` returns once it is up. When the server dies, every request
fails with a clear error and none is sent anywhere else: the gateway fails closed.

An answer over the size limit (`policytui.discovery.http_limit`) fails its own request only:
over HTTP each answer is a body of its own, so the refusal is tied to the request it answers,
and the server's other answers are read as before. Over the legacy SSE transport every answer
comes on one event stream, so a refusal there ends the connection (`Connection.broken_off`):
each request waiting fails as too large (it was sent: its tool may have run), and the server
is unavailable from then on, as a server started as a command is after such a message.

Over the legacy SSE transport each request is a POST of its own, answered on the event stream.
A POST the server refuses with a 4xx, 501 or 503 fails its own request (`error`: the server did
not take the message, the call is refunded); one it may have taken (another 5xx, a connection
closed once the request was sent) fails it as `lost`, its charge kept: the tool may have run,
and since the connection stays up, refunding it would let a server that runs the tool and then
fails the POST take every call through a rate limit. One that could not connect is
`unavailable` (refunded). None ends the connection: the next request is posted as usual. The
same holds over Streamable HTTP, where the answer is the POST's body: one whose connection or
event stream ends before the answer, or whose answer is not JSON-RPC (or none, a 202), is
`lost`. A 404 there
is the server's end of the session: the gateway opens no new one, so the server is
unavailable from then on (`RefusedPost.session_ended`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio
import anyio.abc
import mcp_types as types
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter, ValidationError

from policytui.discovery.errors import InvalidAnswer, RefusedPost
from policytui.discovery.limits import broken_off_reason, refusal_in
from policytui.gateway.enforcer import INVALID, UpstreamFailure
from policytui.gateway.unexpected import log_unexpected
from policytui.gateway.upstream_common import (  # noqa: F401 - where these were, for callers
    Connect,
    MessageHandler,
    Progress,
    hop_params,
    refusal_when_down,
)

log = logging.getLogger("policytui.gateway")

_RAW: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])

# JSON-RPC codes the SDK uses for a closed connection and a request timeout.
CONNECTION_CLOSED = getattr(types, "CONNECTION_CLOSED", -32000)
REQUEST_TIMEOUT = getattr(types, "REQUEST_TIMEOUT", -32001)


def unavailable_error(detail: str = "") -> MCPError:
    message = "the upstream MCP server is unavailable"
    if detail:
        message += f" ({detail})"
    return MCPError(code=types.INTERNAL_ERROR, message=message)


def _invalid_result() -> UpstreamFailure:
    """A result the protocol does not allow: the server answered, so the tool ran and the
    charge stays (INVALID)."""
    error = MCPError(code=types.INTERNAL_ERROR, message="the upstream MCP server sent an invalid result")
    return UpstreamFailure(INVALID, error)


def _the_sdks_own_closed(exc: MCPError) -> bool:
    """Whether a CONNECTION_CLOSED error is the SDK's own word that the transport is gone, not
    an answer of the server's: the SDK raises it as it handles its write to the transport
    failing (a transport torn down before the dispatcher has read the end, so it is not
    closed yet). A server's error is raised from its answer, while handling nothing."""
    return isinstance(exc.__context__, (anyio.BrokenResourceError, anyio.ClosedResourceError))


class Upstream:
    """One live connection to the real server, shared by every downstream session."""

    def __init__(
        self,
        connect: Connect,
        *,
        on_notification: MessageHandler | None = None,
        call_timeout: float | None = None,
    ) -> None:
        self._connect = connect
        # Where server notifications go (the gateway's relay); settable after construction.
        self.on_notification = on_notification
        self.call_timeout = call_timeout
        self.connection: Any = None
        self.session: Any = None
        self._alive = False
        self.down_reason = ""
        # Called once, with the reason, when the connection is over for good while serving (the
        # session ended, the connection closed; not stopped by the gateway): an HTTP gateway
        # then stops (`policytui.gateway.runner`).
        self.on_down: Callable[[str], None] | None = None
        self._stop = anyio.Event()
        self.stopped = anyio.Event()

    # Life cycle -----------------------------------------------------------------------------

    async def start(self, tg: anyio.abc.TaskGroup) -> None:
        """Connect (raising the connection's error) and keep the connection in a task of `tg`."""
        await tg.start(self._hold)

    async def _hold(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            async with self._connect(self._handle_message) as connection:
                self.connection = connection
                self.session = getattr(connection, "session", connection)
                self.alive = True
                task_status.started()
                async with anyio.create_task_group() as watching:
                    watching.start_soon(self._watch_for_the_end)
                    await self._stop.wait()
                    watching.cancel_scope.cancel()
        finally:
            broken = self._broken_off()
            if broken:
                self.mark_down(broken)
            self.alive = False
            self.session = None
            self.stopped.set()

    async def _watch_for_the_end(self) -> None:
        """Mark the server down the moment its connection ends by itself. A call whose POST
        failed as the server died is answered `lost` on its own, without a word about the
        connection; and an event stream that ends with no call waiting wakes no one. Without
        this, the gateway would go on as if its server were up (an HTTP gateway would not stop)
        until the next message found the connection over."""
        ended = getattr(self.connection, "ended", None)
        if ended is None:
            return
        await ended.wait()
        if not self._stop.is_set():
            self.mark_down(self._broken_off() or "the connection closed")

    def stop(self) -> None:
        self._stop.set()

    @property
    def alive(self) -> bool:
        """Whether a request can be written to the server now: connected, and the connection
        not over. The SDK closes its dispatcher the moment it reads the connection's end (an
        event stream that ended, say), before any request waiting on it has run again to say
        so: that is seen here, before a call's `sent` line (`refusal_when_down`), so a call
        that comes then has one line, `unavailable`, and the server is marked down at once."""
        if self._alive and self._dispatcher_closed():
            self.mark_down(self._broken_off() or "the connection closed")
        return self._alive

    @alive.setter
    def alive(self, value: bool) -> None:
        self._alive = value

    def _dispatcher_closed(self) -> bool:
        dispatcher = getattr(self.connection, "dispatcher", None)
        return dispatcher is not None and bool(getattr(dispatcher, "_closed", False))

    def mark_down(self, reason: str) -> None:
        was_alive, self._alive = self._alive, False
        self.down_reason = reason
        if was_alive:
            log.error("upstream server is unavailable: %s", reason)
            if self.on_down is not None and not self._stop.is_set():
                self.on_down(reason)

    def _broken_off(self) -> str:
        """Why the connection ended at a message refused unread, or "" (`Connection.broken_off`)."""
        words = getattr(self.connection, "broken_off", "")
        return broken_off_reason(words, "the connection was closed") if words else ""

    # Properties of the server ---------------------------------------------------------------

    @property
    def capabilities(self) -> Any:
        return getattr(self.session, "server_capabilities", None)

    @property
    def server_info(self) -> Any:
        return getattr(self.session, "server_info", None)

    @property
    def instructions(self) -> str | None:
        return getattr(self.session, "instructions", None)

    # Traffic --------------------------------------------------------------------------------

    async def _handle_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            log.warning("upstream transport reported %s", type(message).__name__)
            return
        if self.on_notification is not None:
            try:
                await self.on_notification(message)
            except Exception:
                log_unexpected(log, "relaying an upstream notification failed")

    async def _send(
        self, session: Any, method: str, params: dict[str, Any] | None, progress: Progress | None, timeout: float | None
    ) -> dict[str, Any]:
        seconds = timeout if timeout is not None else self.call_timeout
        dispatcher = getattr(self.connection, "dispatcher", None)
        version = getattr(self.connection, "protocol_version", None)
        if dispatcher is not None and version:
            # The raw JSON-RPC path: no typed request or result models built on the way. The
            # result is checked once, where the gateway answers its own client.
            opts: dict[str, Any] = {"headers": {"mcp-protocol-version": version}}
            if seconds is not None:
                opts["timeout"] = seconds
            if progress is not None:
                opts["on_progress"] = progress
            return await dispatcher.send_raw_request(method, params, opts)
        request = types.Request[dict[str, Any] | None, str](method=method, params=params)
        return await session.send_request(
            request, _RAW, request_read_timeout_seconds=seconds, progress_callback=progress
        )

    async def notify(self, method: str, params: Any) -> None:
        """Pass a client's notification on to the server; dropped when the server is gone."""
        dispatcher = getattr(self.connection, "dispatcher", None)
        if not self.alive or dispatcher is None:
            return
        try:
            await dispatcher.notify(method, params if isinstance(params, dict) else None)
        except Exception as exc:  # noqa: BLE001 - a notification is fire-and-forget
            log.debug("could not pass a notification upstream: %s", type(exc).__name__)

    async def request(
        self,
        method: str,
        params: Any,
        *,
        progress: Progress | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send one request upstream and return its raw result. Raises UpstreamFailure."""
        session = self.session
        if not self.alive or session is None:
            # Gone (or its end read: `alive`) before this request went out: it was never sent
            # (refunded). One that closes while the request waits is `lost` below.
            raise UpstreamFailure("unavailable", unavailable_error(self.down_reason))
        try:
            return await self._send(session, method, hop_params(params), progress, timeout)
        except MCPError as exc:
            if isinstance(exc.data, RefusedPost):
                raise self._post_failed(exc.data, method) from None
            if isinstance(exc.data, InvalidAnswer):
                # Answered with what the protocol does not allow, which the SDK would have
                # dropped on the legacy SSE event stream (the request waiting for its time-out)
                # or, for a result beside an error, read as the error alone (refunded).
                log.warning("the upstream server sent %s answering %s; the request failed", exc.data.detail, method)
                raise _invalid_result() from None
            refused = refusal_in(exc.message)
            if refused:
                # Whichever error the SDK made of the refusal (a JSON body, an event stream),
                # the request gets the one sentence, and the connection stays up. A server that
                # writes these words in an error of its own only gets its call counted as run.
                log.warning("the upstream server %s answering %s; the request failed", refused, method)
                error = MCPError(code=types.INTERNAL_ERROR, message=f"the upstream MCP server {refused}")
                raise UpstreamFailure("too_large", error) from None
            if exc.code == CONNECTION_CLOSED and (self._connection_closed() or _the_sdks_own_closed(exc)):
                broken = self._broken_off()
                if broken:
                    # Sent, and then the connection ended at a message over the limit, maybe
                    # this request's answer: the tool may have run, so the charge stays.
                    self.mark_down(broken)
                    raise UpstreamFailure("too_large", unavailable_error(broken)) from None
                # Sent, and the connection ended before its answer: the server may have run
                # the tool and then gone, so the charge stays, as for a server process that dies.
                # So for the SDK's own word that its transport is gone as it wrote the request:
                # the same end of the connection, seen from the write (as the transport's raw
                # errors below), never the server's answer that would refund the call.
                self.mark_down("the connection closed")
                raise UpstreamFailure("lost", unavailable_error("the connection closed")) from None
            if exc.code == REQUEST_TIMEOUT:
                raise UpstreamFailure("timeout", exc) from None
            raise UpstreamFailure("error", exc) from None
        except ValidationError:
            # A result, but not one the protocol allows: the server answered, so the tool ran
            # and the charge stays (INVALID).
            raise _invalid_result() from None
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError) as exc:
            # Raised by the transport from inside the send: whether the request had left is not
            # known (the SDK may have handed it over, and a stream can end after the server read
            # it). What is known never to have left is refused above, before the send. Fail
            # closed: `lost`, the charge kept, as for a connection that closes once it is sent.
            self.mark_down(type(exc).__name__)
            raise UpstreamFailure("lost", unavailable_error("the connection closed")) from None

    def _connection_closed(self) -> bool:
        """Whether the connection is over (the SDK's dispatcher closed). A server's own error
        may carry the code the SDK gives a closed connection (-32000, the first of JSON-RPC's
        implementation-defined server errors, which many servers send for any failure): that
        is the server's answer to one request, refunded as its other errors are, not the end
        of the server."""
        dispatcher = getattr(self.connection, "dispatcher", None)
        return dispatcher is None or bool(getattr(dispatcher, "_closed", True))

    def _post_failed(self, post: RefusedPost, method: str) -> UpstreamFailure:
        """The failure of a request whose POST failed (legacy SSE, Streamable HTTP). The
        connection stays up, unless the server ended the session."""
        if post.session_ended:
            # The server no longer knows the session: every later request would be refused the
            # same way. The gateway does not open a new one (its tools, pins and probe were
            # learnt on this one): later requests fail at once, unsent. One line in the log.
            reason = f"ended the gateway's session, answering HTTP {post.status}; restart the gateway to open a new one"
            self.mark_down(f"it {reason}")
            message = f"the upstream MCP server {reason}"
            return UpstreamFailure("error", MCPError(code=types.INTERNAL_ERROR, message=message))
        # A message the server took, or may have (`maybe_taken`), is `lost`: its tool may have
        # run, so the call keeps its charge (a server, or the proxy before it, that runs the tool
        # and then fails the POST would otherwise let every call through a rate limit).
        kind = "lost" if post.maybe_taken else "error"
        if post.unreadable:
            # Taken (the tool may have run) and answered with something that is not JSON-RPC.
            log.warning("the upstream server sent %s to %s; the request failed", post.detail, method)
            message = f"the upstream MCP server sent {post.detail}"
            return UpstreamFailure(kind, MCPError(code=types.INTERNAL_ERROR, message=message))
        if post.status is not None:
            # The server answered with an error status: a 4xx, 501 or 503 says it did not take
            # the message (refunded); another 5xx may come after the tool ran (`lost`).
            log.warning("the upstream server refused %s with %s; the request failed", method, post.detail)
            message = f"the upstream MCP server refused the request with {post.detail}"
            return UpstreamFailure(kind, MCPError(code=types.INTERNAL_ERROR, message=message))
        log.warning("posting %s to the upstream server failed (%s); the request failed", method, post.detail)
        if post.timed_out:
            # Taken and not answered in time, as a call that times out on any transport: the
            # tool may be running, so the charge stays.
            message = f"the upstream MCP server did not answer in time ({post.detail})"
            return UpstreamFailure("timeout", MCPError(code=REQUEST_TIMEOUT, message=message))
        # The connection failed before an answer: never opened (refunded), or closed once the
        # message was sent (`lost`: the server may have run the tool and then gone).
        return UpstreamFailure("lost" if post.maybe_taken else "unavailable", unavailable_error(post.detail))
