"""Streamable HTTP (`--listen`) served by the same relay as stdio.

Each MCP session (opened by `initialize`, named by the `Mcp-Session-Id` header) is a
`HttpSession`: the stdio relay's logic (wire rules, the enforcer, approvals, tools/list
filtering, forwarding) with its writes routed to HTTP. A POST carries one message, parsed by
the wire rules (`policytui.gateway.wire`), and is answered:

- with one `application/json` body when the exchange needs no stream (nearly always);
- as `text/event-stream` only when something has to reach the client before the answer: the
  progress of a long call, or the gateway's own request for approval by elicitation. The
  answer is then the stream's last event.

Notifications and the client's answers to the gateway's requests get 202. A GET opens the
session's stream for messages outside any request (list changes, resource updates); DELETE
ends the session. Closing a POST while its call runs cancels the call, as
`notifications/cancelled` does. The bearer token's grant (`TokenGate`) is bound to the session
at `initialize`: a session id presented with another token is not found.

Stopping (`stop`, on SIGINT, SIGTERM or SIGHUP) refuses every new request and GET at once (503,
the connection closed) and ends every GET stream and every session with nothing in progress;
notifications and the client's answers to the server's requests are still taken, for the
requests in progress. Those get a short grace to finish (the runner's); then `cancel_calls`
cancels them: each client gets a JSON-RPC error saying the gateway stopped, and each call's
audit line says it was cancelled.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from policytui.decision import Caller
from policytui.gateway import http_framing, modern, wire
from policytui.gateway import refused as refused_mod
from policytui.gateway.http import GRANT_SCOPE_KEY, TOKEN_SCOPE_KEY
from policytui.gateway.relay import CANCELLED_BY_STOP, StdioRelay, too_many_in_progress
from policytui.gateway.upstream_common import refusal_when_down
from policytui.redaction import RedactedMessage

if TYPE_CHECKING:
    from collections.abc import Callable

    from policytui.gateway.server import Gateway

log = logging.getLogger("policytui.gateway")

_json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
# Where the messages written while serving one POST go (set for the task serving it).
_sink: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar("policytui_http_sink", default=None)
_DONE = object()
# A session with no request, call or stream for this long is ended when the next one opens.
SESSION_IDLE_SECONDS = 3600.0
# The sessions one grant may hold open. A client that opens sessions without end (never a DELETE)
# would otherwise fill the gateway's memory within the idle hour, and every `initialize` looked at
# every session; at the cap, opening one ends the grant's least recently used idle session
# (503 when all are busy), so one grant never ends another's.
MAX_SESSIONS_PER_GRANT = 1000
# A request body that has not all arrived in this long is refused (408): a client that announces
# a body and sends it a byte at a time, or never, would otherwise hold a connection for good.
# `gateway --client-timeout` sets another time.
BODY_SECONDS = 10.0
# Messages waiting for a session's GET stream. A client that keeps the stream open but does not
# read it would otherwise make the gateway hold every notification for it without bound; past
# this, its stream is ended (it may open another) and what it did not read is dropped.
STREAM_BACKLOG = 1000
# What the client of a request refused because the gateway is stopping reads (of a call cancelled
# then: `CANCELLED_BY_STOP`).
STOPPING = "Service Unavailable: the gateway is stopping"


class _Exchange:
    """The messages for one POST of `session`, in order; `_DONE` when the request is finished."""

    def __init__(self, session: HttpSession) -> None:
        self.session = session
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.closed = False


class HttpSession(StdioRelay):
    """One MCP session over HTTP: the relay with HTTP for its writes."""

    verbatim_answers = False
    # Serves only 2026-07-28 requests, whose clients take no requests from the server.
    modern_only = False

    def __init__(self, gateway: Gateway, initialize: Callable[[dict[str, Any]], dict[str, Any]], session_id: str,
                 grant: str) -> None:
        super().__init__(gateway, None, None, initialize)  # type: ignore[arg-type]
        self.session_id = session_id
        self.grant = grant
        self.caller = Caller(grant=grant, session=f"http:{session_id}")
        self.stream: asyncio.Queue[Any] | None = None  # the GET stream, when open
        self.open_exchanges: set[_Exchange] = set()  # POSTs whose request is in progress
        self.last_used = time.monotonic()
        self.token: str | None = None  # the SHA-256 of the bearer token that opened it (with --tokens)

    async def _write(self, message: dict[str, Any]) -> None:
        if self._closed:
            return
        message = self.gateway.starred(message)  # the server's credentials, as ***
        sink = _sink.get()
        # The POST being served in this task is another session's when a notification for
        # every session arrives in its context (a server reached over HTTP sends a call's log
        # on that call's stream): this session's copy goes on its own stream, not into the
        # caller's, which would get one copy per session while the others got none.
        if sink is not None and not sink.closed and sink.session is self:
            sink.queue.put_nowait(message)
        elif self.stream is not None:
            self._to_stream(self.stream, message)
        # Otherwise nobody listens: a notification outside a request without a GET stream.

    def _to_stream(self, stream: asyncio.Queue[Any], message: dict[str, Any]) -> None:
        if stream.qsize() < STREAM_BACKLOG:
            stream.put_nowait(message)
            return
        log.warning("ended the event stream of session %s: %d messages wait and its client does not "
                    "read them", self.session_id[:8], STREAM_BACKLOG)
        self.stream = None
        stream.put_nowait(_DONE)  # the stream ends where the client stopped reading

    async def _write_line(self, data: bytes) -> None:
        await self._write(json.loads(data))

    def _progress(self, params: Any) -> Any:
        # Progress arrives in the upstream reader's task: send it on the stream of the POST
        # that asked for it, not the session's.
        relay = super()._progress(params)
        if relay is None:
            return None
        sink = _sink.get()

        async def in_exchange(progress: float, total: float | None, message: str | None) -> None:
            token = _sink.set(sink)
            try:
                await relay(progress, total, message)
            finally:
                _sink.reset(token)

        return in_exchange

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        # A request relayed from the server arrives outside any POST: it goes on the stream of
        # the one call in progress (where the client waits for it), else the session's stream.
        if _sink.get() is None and len(self.open_exchanges) == 1:
            token = _sink.set(next(iter(self.open_exchanges)))
            try:
                return await super().request(method, params)
            finally:
                _sink.reset(token)
        return await super().request(method, params)

    def close(self) -> None:
        self._closed = True
        self.gateway.detach(self)
        for future in self._outbound.values():
            if not future.done():
                future.cancel()
        for task in list(self._tasks):
            self.cancel_request(task)
        if self.stream is not None:
            self.stream.put_nowait(_DONE)


async def _body(receive: Any, state: dict[str, Any]) -> bytes | None:
    """The request body; None when it is over the message limit. A body whose framing a proxy
    in front may read otherwise (`http_framing.BODY_KEY` in the request's `state`) is not read
    on: what follows may be a request of its own to that proxy, or never come (a chunk size
    past 64 bits); the part read so far is returned, to be refused."""
    parts: list[bytes] = []
    size = 0
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            return b""
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > wire.MAX_MESSAGE_BYTES:
            return None
        parts.append(chunk)
        if not event.get("more_body") or http_framing.BODY_KEY in state:
            return b"".join(parts)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    """A request header's value; None when it is absent or given more than once (which of two
    values counts is up to each reader: ambiguous, so neither does)."""
    values = [value for key, value in scope.get("headers", []) if key == name]
    return values[0].decode("latin-1") if len(values) == 1 else None  # type: ignore[no-any-return]


def _header_problem(scope: dict[str, Any], name: bytes) -> str | None:
    """Why a header that must match the body is ambiguous (`_ambiguous`), or None."""
    # Mcp_Name counts as Mcp-Name too: CGI-style readers (WSGI, some proxies) map both to one name.
    found = [(key, value) for key, value in scope.get("headers", []) if key.replace(b"_", b"-") == name]
    return _ambiguous(_shown(name), name, found)


def _ambiguous(shown: str, name: bytes, found: list[tuple[bytes, bytes]]) -> str | None:
    """Why the header `name` (lowercase, with hyphens), sent as `found` (each spelling and
    value), is ambiguous: given twice, spelled with underscores, or not printable ASCII (a
    router reading it as UTF-8 sees another name than the gateway reading it as Latin-1;
    other values travel in the `=?base64?...?=` form)."""
    if len(found) > 1:
        return f"{shown} is given {len(found)} times"
    if found and found[0][0] != name:
        return _UNDERSCORES.format(shown)
    if found and not all(0x20 <= byte <= 0x7E for byte in found[0][1]):
        return f"{shown} is not printable ASCII"
    return None


# Given alone, Mcp_Name is Mcp-Name to a CGI-style reader and no header at all to the others: a
# router in front may act on it, or on nothing, while the gateway reads the other way.
_UNDERSCORES = "{} is spelled with underscores, which some readers take for hyphens and others do not (ambiguous)"


def _shown(name: bytes) -> str:
    """A header's name as the spec writes it (`mcp-param-region` is Mcp-Param-Region)."""
    return name.decode("latin-1").title().replace("Mcp-Protocol", "MCP-Protocol")


class HttpRelayApp:
    """The ASGI application behind `--listen` (wrapped by `TokenGate`)."""

    def __init__(self, gateway: Gateway, initialize: Callable[[dict[str, Any]], dict[str, Any]], path: str = "/mcp",
                 *, body_seconds: float = BODY_SECONDS) -> None:
        self.gateway = gateway
        self.initialize = initialize
        self.path = path
        self.body_seconds = body_seconds  # a request's body not all arrived in this long: 408
        self.sessions: dict[str, HttpSession] = {}  # in order of last use, the least recent first
        self.per_grant: dict[str, int] = {}  # open sessions by grant
        self._server_info: dict[str, Any] | None = None  # for 2026-07-28 results, once known
        # Set by `stop`: no request is taken any more, and each is refused with `refusal`.
        self.stopping = False
        self.refusal = STOPPING
        # 2026-07-28 requests in progress (a relay of their own each, outside `sessions`).
        self._stateless: set[HttpSession] = set()
        # The tasks reading a POST's body now; `cancel_calls` cuts them off (`_cut`).
        self._reading: set[asyncio.Task[Any]] = set()
        self._cut: set[asyncio.Task[Any]] = set()

    # Stopping ---------------------------------------------------------------------------------

    def stop(self, server_gone: str = "") -> None:
        """Take no request from now on: GET streams end, and sessions with nothing in progress.
        Requests in progress go on (until `cancel_calls`), and so may the client's
        notifications and answers to the server's requests, which they may need. When the
        gateway stops because its server process ended, `server_gone` says how (its exit code,
        the signal that killed it), and every refusal says so."""
        self.stopping = True
        if server_gone:
            self.refusal = f"Service Unavailable: the upstream MCP server is unavailable ({server_gone}); the gateway is stopping"
        for session in list(self.sessions.values()):
            stream, session.stream = session.stream, None
            if stream is not None:
                stream.put_nowait(_DONE)  # its GET ends
            if not session.busy():
                self._end(session)

    def in_progress(self) -> int:
        """How many requests are in progress (calls above all), parked 2026-07-28 calls included."""
        return (sum(len(session._inflight) for session in (*self.sessions.values(), *self._stateless))
                + len(self.gateway.modern_calls.parked))

    def _stateless_of(self, grant: str) -> int:
        """The requests of `grant` sent without a session that are in progress."""
        return sum(1 for relay in self._stateless if relay.caller.grant == grant)

    def cancel_calls(self) -> None:
        """Cancel every request still in progress, and refuse every body still arriving (the
        gateway stops now): each client gets a JSON-RPC error saying so, and each call's audit
        line says `cancelled`."""
        for session in list(self.sessions.values()):
            self._end(session)
        for session in list(self._stateless):
            session.close()
        self.gateway.modern_calls.stop("the gateway stopped")
        for task in list(self._reading):
            self._cut.add(task)
            task.cancel()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                try:
                    event = await receive()
                except asyncio.CancelledError:
                    # A further signal cut the HTTP server's stop short (runner.cut_connections):
                    # uvicorn then cancels this wait instead of sending lifespan.shutdown, and
                    # would log the cancellation as an error with a traceback.
                    for each in list(self.sessions.values()):
                        each.close()
                    return
                if event["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif event["type"] == "lifespan.shutdown":
                    for each in list(self.sessions.values()):
                        each.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        ambiguous_head = scope.get("state", {}).get(http_framing.HEAD_KEY)
        if ambiguous_head is not None:
            # A proxy in front may read this head otherwise (`http_framing`): where its body
            # ends, what its headers say. Nothing of it is read on, nor anything after it on
            # the connection.
            await self._refused_unread(scope, send, 400, ambiguous_head, close=True)
            return
        # The path exactly as the client spelled it (`raw_path`, before any percent-decoding;
        # the query string is not part of it): a proxy in front that allows, limits or logs
        # `/mcp` by the raw path must not be passed by `/mcp/`, `/%6dcp` or `//mcp`, which
        # other readers take for the same endpoint.
        if scope.get("raw_path") != self.path.encode("ascii"):
            log.debug("refused an HTTP request for a path other than %s (%.100r)", self.path, scope.get("raw_path"))
            await _rpc_error(send, 404, None, wire.INVALID_REQUEST, f"Not Found: this gateway serves {self.path} only")
            return
        method = scope.get("method")
        if method == "POST":
            await self._post(scope, receive, send)
        elif method == "GET":
            await self._get(scope, receive, send)
        elif method == "DELETE":
            ending = self._session(scope)
            if ending is None:
                await self._refused_unread(scope, send, 404, "Session not found")
                return
            self._end(ending)
            await _plain(send, 200, b"")
        else:
            await _plain(send, 405, b"Method Not Allowed", [(b"allow", b"GET, POST, DELETE")])

    def _end(self, session: HttpSession) -> None:
        session.close()
        if self.sessions.pop(session.session_id, None) is not None:
            self.per_grant[session.grant] -= 1
            if not self.per_grant[session.grant]:
                del self.per_grant[session.grant]

    def _expire_idle(self) -> None:
        """End sessions nobody used for SESSION_IDLE_SECONDS (clients that never said DELETE).
        `sessions` is kept in order of last use, so only the expired ones are looked at."""
        now = time.monotonic()
        for session in list(self.sessions.values()):
            if now - session.last_used <= SESSION_IDLE_SECONDS:
                break
            if not session.busy() and session.stream is None:
                self._end(session)

    def _make_room(self, grant: str) -> bool:
        """Whether `grant` may open one more session, ending its least recently used idle one
        when it is at MAX_SESSIONS_PER_GRANT."""
        if self.per_grant.get(grant, 0) < MAX_SESSIONS_PER_GRANT:
            return True
        for session in self.sessions.values():
            if session.grant == grant and not session.busy() and session.stream is None:
                log.debug("ended an idle session of grant %r: it holds %d sessions", grant, MAX_SESSIONS_PER_GRANT)
                self._end(session)
                return True
        return False

    def _declared_schema(self, tool: str) -> Any:
        """The input schema the server lists for `tool`, when a client may see the tool (not
        hidden); else None, as for a tool the server does not have (`_param_header_mismatch`)."""
        unknown = self.gateway.unknown_tools
        if unknown is None or self.gateway.enforcer.policy().is_hidden(tool):
            return None
        return unknown.schemas.get(tool)

    def _caller(self, scope: dict[str, Any]) -> Caller:
        """Who sent a message refused before any session served it: its token's grant, and the
        session it names when that is one of the token's own (looked up without counting as
        use), else `http:` alone."""
        grant = str(scope.get(GRANT_SCOPE_KEY) or self.gateway.identity.grant)
        session_id = _header(scope, b"mcp-session-id")
        session = self.sessions.get(session_id) if session_id else None
        if session is not None and session.grant == grant and session.token == scope.get(TOKEN_SCOPE_KEY):
            return session.caller
        return Caller(grant=grant, session="http:")

    def _session(self, scope: dict[str, Any]) -> HttpSession | None:
        session_id = _header(scope, b"mcp-session-id")
        session = self.sessions.get(session_id) if session_id else None
        # A session belongs to the token that opened it: another token cannot use it, not even
        # one of the same grant (it could answer the session's approvals, cancel its calls,
        # read its stream or end it).
        if session is None or session.grant != scope.get(GRANT_SCOPE_KEY, session.grant) or (
                session.token != scope.get(TOKEN_SCOPE_KEY)):
            return None
        session.last_used = time.monotonic()
        self.sessions[session.session_id] = self.sessions.pop(session.session_id)  # the most recently used last
        return session

    async def _refused_unread(self, scope: dict[str, Any], send: Any, status: int, reason: str, *,
                              close: bool = False) -> None:
        """Refuse a request for the exchange around its message, before its body is read (a media
        type or encoding not read, framing a proxy may read otherwise, a body not in time, a GET
        or DELETE for no session of its token): answered `reason` with `status` (`close`: and
        the connection closed, when what follows on it may be framed otherwise), and told as
        every refused message is (`Gateway.refused`). A POST's unread message may be a call,
        so it has its audit line, with no tool, as a body that is not JSON does; a GET or
        DELETE carries none, and has only its WARNING line."""
        log.debug("refused an HTTP request (%s)", reason)
        self.gateway.refused(wire.Refusal(wire.INVALID_REQUEST, reason), self._caller(scope),
                             no_message=scope.get("method") != "POST")
        if close:
            await _refuse_and_close(send, status, reason)
        else:
            await _rpc_error(send, status, None, wire.INVALID_REQUEST, reason)

    async def _post(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        framing = [key for key, _ in scope.get("headers", []) if key in (b"content-length", b"transfer-encoding")]
        if len(framing) > 1:
            # Content-Length and Transfer-Encoding together (or either twice): a proxy in front may
            # take the body's end from the other one and read the rest as a request of its own
            # (request smuggling). Refused, and the connection closed.
            log.debug("refused an HTTP request with %s", b", ".join(framing).decode())
            await self._refused_unread(scope, send, 400, http_framing.LENGTH_TWICE, close=True)
            return
        if not _json_content_type(_header(scope, b"content-type")):
            await self._refused_unread(scope, send, 415, "Unsupported Media Type: use application/json (UTF-8)")
            return
        if not _sent_as_is(scope):
            await self._refused_unread(scope, send, 415, "Unsupported Media Type: send the body uncompressed "
                                       "(no Content-Encoding but identity)")
            return
        reading = asyncio.current_task()
        assert reading is not None
        self._reading.add(reading)
        try:
            body = await asyncio.wait_for(_body(receive, scope.get("state", {})), self.body_seconds)
        except TimeoutError:
            log.debug("refused an HTTP request: its body did not arrive within %s s", self.body_seconds)
            await self._refused_unread(scope, send, 408, "Request Timeout: the body did not arrive in time", close=True)
            return
        except asyncio.CancelledError:
            if reading not in self._cut:
                raise
            reading.uncancel()  # cut off by `cancel_calls`: the gateway stops now
            await _refuse_and_close(send, 503, self.refusal, code=wire.INTERNAL_ERROR)
            return
        finally:
            self._reading.discard(reading)
            self._cut.discard(reading)
        if body is None:
            log.debug("refused a client message (Invalid Request: the message is too large)")
            self.gateway.refused(wire.Refusal(wire.INVALID_REQUEST, "Invalid Request: the message is too large"),
                                 self._caller(scope), line=wire.OVERLONG)
            await _rpc_error(send, 413, None, wire.INVALID_REQUEST, "Invalid Request: the message is too large")
            return
        if scope.get("state", {}).get(http_framing.BODY_KEY) is not None:
            # A chunk line or fields after the body a proxy in front may read otherwise: a
            # router that acts on the headers never saw trailer fields, or merged them into the
            # headers; a proxy may end a chunk elsewhere. The message is read, for its audit
            # line, and refused whatever it says; the connection is closed, as for any framing
            # a proxy may read otherwise.
            reason = scope["state"][http_framing.BODY_KEY]
            log.debug("refused a client message (%s)", reason)
            self.gateway.refused(wire.Refusal(wire.INVALID_REQUEST, reason), self._caller(scope), line=body,
                                 one_request=True)
            await _refuse_and_close(send, 400, reason)
            return
        try:
            message = wire.parse(body)
        except wire.BatchRefusal as batch:
            log.debug("refused a client message (%s): %s", batch.message, RedactedMessage(body, self.gateway.secrets))
            self.gateway.refused(batch, self._caller(scope), line=body)
            answers = [{"jsonrpc": "2.0", "id": r.request_id, "error": r.error} for r in wire.batch_refusals(body)]
            await _json(send, 400, answers)
            return
        except wire.Refusal as refusal:
            log.debug("refused a client message (%s): %s", refusal.message, RedactedMessage(body, self.gateway.secrets))
            self.gateway.refused(refusal, self._caller(scope), line=body)
            await _rpc_error(send, 400, refusal.request_id, refusal.code, refusal.message)
            return

        if self.stopping and "method" in message and "id" in message:
            # A request: nothing new is taken. (Notifications and the client's answers to the
            # server's requests still are: the calls in progress may need them.)
            await _refuse_and_close(send, 503, self.refusal, message.get("id"), code=wire.INTERNAL_ERROR)
            return
        mismatch = _header_mismatch(scope, message) or _param_header_mismatch(scope, message, self._declared_schema)
        if mismatch is not None:
            log.debug("refused a client message (%s)", mismatch)
            self.gateway.refused(wire.Refusal(modern.HEADER_MISMATCH, f"Header mismatch: {mismatch}"),
                                 self._caller(scope), message=message)
            await _rpc_error(send, 400, message.get("id") if "method" in message else None, modern.HEADER_MISMATCH,
                             f"Header mismatch: {mismatch}")
            return
        unknown = _unknown_version(scope)
        if unknown is not None:
            # A version neither era speaks: which rules the client meant is a guess (the spec
            # asks for 400), so the message is refused before anything is decided or charged.
            reason = f"Bad Request: unsupported MCP-Protocol-Version {refused_mod.quoted(unknown, self.gateway.secrets, 40)}"
            log.debug("refused a client message (%s)", reason)
            self.gateway.refused(wire.Refusal(wire.INVALID_REQUEST, reason), self._caller(scope), message=message)
            await _rpc_error(send, 400, message.get("id") if "method" in message else None, wire.INVALID_REQUEST, reason)
            return
        if _is_modern(scope, message):
            # 2026-07-28: no session; every request stands alone under the token's grant.
            method = message.get("method")
            if method is not None and "id" not in message and not method.startswith("notifications/"):
                # A request in notification form: refused as on every other path, never dropped
                # with a 202 that tells the client it was taken.
                no_id = refused_mod.needs_an_id(method, self.gateway.secrets)
                log.debug("refused a client message (%s)", no_id.message)
                self.gateway.refused(no_id, self._caller(scope), message=message)
                await _rpc_error(send, 400, None, wire.INVALID_REQUEST, no_id.message)
                return
            if "method" not in message or "id" not in message:
                await _plain(send, 202, b"")  # notifications have no use without a session
                return
            grant = str(scope.get(GRANT_SCOPE_KEY) or self.gateway.identity.grant)
            if method not in ("ping", "server/discover") and self._stateless_of(grant) >= self.gateway.max_in_progress:
                # Without a session, the requests of a grant are one client's: its requests in
                # progress are bounded as a session's are (`StdioRelay._over_limit`), else many
                # POSTs on many connections would pile work up on a server slow to answer.
                too_many = too_many_in_progress(self.gateway.max_in_progress, message["id"])
                log.debug("refused a client message (%s)", too_many.message)
                self.gateway.refused(too_many, self._caller(scope), message=message)
                await _rpc_error(send, 429, too_many.request_id, too_many.code, too_many.message)
                return
            # A relay of its own for each request: its ids, cancellations and calls in progress
            # are nobody else's. One relay per grant would make every client of the grant share
            # one table of ids in progress, so a request of one client (two agents on one token,
            # or two tokens of one grant) was refused for an id another client had in progress.
            stateless = HttpSession(self.gateway, self.initialize, "", grant)
            stateless.caller = Caller(grant=grant, session=f"grant:{grant}")
            stateless.modern_only = True
            stateless._server_info_cache = self._server_info
            # Counted among the clients with calls in progress, so that a request of the
            # server's during its call is never routed to another client.
            self.gateway.attach(stateless)
            self._stateless.add(stateless)
            try:
                await self._serve_request(stateless, message, body, receive, send, modern_status=True)
            finally:
                self._stateless.discard(stateless)
                self._server_info = stateless._server_info_cache
                stateless.close()
            return
        if message.get("method") == "initialize" and "id" in message:
            gone = refusal_when_down(self.gateway.upstream)
            if gone is not None:
                # No session for a server that can take nothing: its process ended, or its output
                # did (and its exit is not seen yet), or it ended the session. The gateway stops
                # once it knows how; until then, the refusal says what is known.
                await _refuse_and_close(send, 503, f"Service Unavailable: {gone}", message.get("id"),
                                        code=wire.INTERNAL_ERROR)
                return
            self._expire_idle()
            grant = str(scope.get(GRANT_SCOPE_KEY) or self.gateway.identity.grant)
            if not self._make_room(grant):
                await _rpc_error(send, 503, message.get("id"), wire.INTERNAL_ERROR,
                                 "Service Unavailable: this grant has too many sessions in use")
                return
            session_id = secrets.token_hex(16)
            session = HttpSession(self.gateway, self.initialize, session_id, grant)
            session.token = scope.get(TOKEN_SCOPE_KEY)
            self.gateway.attach(session)
            self.sessions[session_id] = session
            self.per_grant[grant] = self.per_grant.get(grant, 0) + 1
        else:
            found = self._session(scope)
            if found is None:
                twice = _header_problem(scope, b"mcp-session-id")
                if twice is not None:
                    # Which of two sessions was meant is a guess: neither is used.
                    status, reason = 400, f"Bad Request: {twice}"
                elif _header(scope, b"mcp-session-id") is None:
                    status, reason = 400, "Bad Request: the Mcp-Session-Id header is missing (send initialize first)"
                else:
                    status, reason = 404, "Session not found"
                # A call sent outside any session is still a call attempted: audited.
                log.debug("refused a client message (%s)", reason)
                self.gateway.refused(wire.Refusal(wire.INVALID_REQUEST, reason), self._caller(scope), message=message)
                await _rpc_error(send, status, message.get("id"), wire.INVALID_REQUEST, reason)
                return
            session = found

        if "method" not in message or "id" not in message:
            # A notification or the client's answer to one of ours: nothing to answer unless
            # it is refused (a tools/call without an id, say).
            exchange = _Exchange(session)
            token = _sink.set(exchange)
            try:
                await session.receive_message(message, body)
            finally:
                _sink.reset(token)
                exchange.closed = True
            if exchange.queue.empty():
                await _plain(send, 202, b"")
            else:
                await _json(send, 400, exchange.queue.get_nowait())
            return
        await self._serve_request(session, message, body, receive, send)

    async def _serve_request(self, session: HttpSession, message: dict[str, Any], body: bytes, receive: Any,
                             send: Any, *, modern_status: bool = False) -> None:
        exchange = _Exchange(session)
        token = _sink.set(exchange)
        try:
            task = await session.receive_message(message, body)
        finally:
            _sink.reset(token)
        if task is None:
            exchange.queue.put_nowait(_DONE)
        else:
            task.add_done_callback(lambda _: exchange.queue.put_nowait(_DONE))
        request_id = message["id"]
        headers = [(b"mcp-session-id", session.session_id.encode())] if session.session_id else []
        session.open_exchanges.add(exchange)

        disconnected = asyncio.get_running_loop().create_task(_wait_disconnect(receive))
        try:
            first = await _next(exchange, disconnected)
            if first is None or first is _DONE:
                if first is None and task is not None:
                    session.cancel_request(task)  # the client went away: cancel the call, as notifications/cancelled does
                exchange.closed = True
                if first is _DONE and self.stopping and session._closed:
                    # Cancelled as the gateway stops: its client is told, not left waiting.
                    await _rpc_error(send, 503, request_id, wire.INTERNAL_ERROR, CANCELLED_BY_STOP, headers)
                    return
                await _plain(send, 202, b"", headers)
                return
            if _answers(first, request_id):
                exchange.closed = True
                await _json(send, _status_of(first) if modern_status else 200, first, headers)
                return
            # Something must reach the client before the answer: stream.
            await send({"type": "http.response.start", "status": 200, "headers": [
                (b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"), *headers]})
            item = first
            while True:
                await send({"type": "http.response.body", "body": _event(item), "more_body": True})
                if _answers(item, request_id):
                    break
                item = await _next(exchange, disconnected)
                if item is None:
                    if task is not None:
                        session.cancel_request(task)
                    break
                if item is _DONE:
                    if self.stopping and session._closed:
                        await send({"type": "http.response.body", "more_body": True, "body": _event(
                            {"jsonrpc": "2.0", "id": request_id, "error": wire.error(wire.INTERNAL_ERROR,
                                                                                      CANCELLED_BY_STOP)})})
                    break
            exchange.closed = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            exchange.closed = True
            session.open_exchanges.discard(exchange)
            disconnected.cancel()

    async def _get(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.stopping:
            await _refuse_and_close(send, 503, self.refusal, code=wire.INTERNAL_ERROR)
            return
        if _header(scope, b"mcp-protocol-version") in modern.MODERN_VERSIONS:
            await _plain(send, 405, b"Method Not Allowed", [(b"allow", b"POST")])  # no GET stream in 2026-07-28
            return
        session = self._session(scope)
        if session is None:
            await self._refused_unread(scope, send, 404 if _header(scope, b"mcp-session-id") else 400,
                                       "Session not found")
            return
        if session.stream is not None:
            await _rpc_error(send, 409, None, wire.INVALID_REQUEST, "Conflict: the session's stream is already open")
            return
        stream: asyncio.Queue[Any] = asyncio.Queue()
        session.stream = stream
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no"),
            (b"mcp-session-id", session.session_id.encode())]})
        disconnected = asyncio.get_running_loop().create_task(_wait_disconnect(receive))
        try:
            while True:
                getter = asyncio.get_running_loop().create_task(stream.get())
                done, _ = await asyncio.wait({getter, disconnected}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    if disconnected in done:
                        break
                    await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
                    continue
                item = getter.result()
                if item is _DONE:
                    break
                await send({"type": "http.response.body", "body": _event(item), "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass
        finally:
            disconnected.cancel()
            if session.stream is stream:
                session.stream = None


def _decoded(value: str) -> str | None:
    """A header value, with the `=?base64?...?=` form of non-ASCII values decoded."""
    if value.startswith("=?base64?") and value.endswith("?="):
        import base64

        try:
            return base64.b64decode(value[9:-2], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
    return value


def _header_mismatch(scope: dict[str, Any], message: dict[str, Any]) -> str | None:
    """Why the Mcp-Method / Mcp-Name / MCP-Protocol-Version headers disagree with the body
    (the gateway decides on the body; a router or a server reading headers must see the same
    call), or None. Modern requests must carry Mcp-Method, and Mcp-Name where it applies."""
    method = message.get("method")
    if method is None:
        return None
    for name in (b"mcp-protocol-version", b"mcp-method", b"mcp-name"):
        problem = _header_problem(scope, name)
        if problem is not None:
            return problem
    raw = message.get("params")
    params: dict[str, Any] = raw if isinstance(raw, dict) else {}
    version = modern.requested_version(params)
    header_version = _header(scope, b"mcp-protocol-version")
    is_modern = version in modern.MODERN_VERSIONS or header_version in modern.MODERN_VERSIONS
    if is_modern and header_version != version:
        return "MCP-Protocol-Version does not match _meta"
    sent_method = _header(scope, b"mcp-method")
    if sent_method is None:
        if is_modern:
            return "Mcp-Method is missing"
        # A handshake-era request need not carry Mcp-Method; an Mcp-Name it carries must still
        # name the body's tool, whatever a router in front reads it for.
    elif _decoded(sent_method) != method:
        return "Mcp-Method does not match the method"
    name_field = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}.get(str(method))
    sent_name = _header(scope, b"mcp-name")
    if name_field is None:
        return None if sent_name is None else "Mcp-Name on a method without a name"
    if sent_name is None:
        return "Mcp-Name is missing" if is_modern else None
    if _decoded(sent_name) != params.get(name_field):
        return f"Mcp-Name does not match params.{name_field}"
    return None


_PARAM_HEADER = b"mcp-param-"


def _param_header_mismatch(scope: dict[str, Any], message: dict[str, Any],
                           schema_of: Callable[[str], Any]) -> str | None:
    """Why the `Mcp-Param-*` headers disagree with a request's body, or None.

    A 2026-07-28 client mirrors into `Mcp-Param-<Name>` each argument whose property in the
    tool's input schema says `"x-mcp-header": "<Name>"`, so that a router, a firewall or a
    rate limiter in front can act on it without reading the body. The gateway decides on the
    body: a header claiming another value (`Mcp-Param-Region: eu` for a call to `us-east`), or
    missing for an argument the body holds, would have those act on a call that is not the one
    decided, so the request is refused, as the spec asks of a server. Once a request carries
    one such header (a handshake-era one too), or is of 2026-07-28, its headers must be exactly
    those of its tool's arguments: a header given twice, not printable ASCII, on a method other
    than `tools/call`, or naming no argument of the tool (a hidden tool's count as a missing
    tool's: none) is refused as well. `schema_of(tool)`: the input schema of a tool a client
    may see, else None."""
    spelled: dict[bytes, list[tuple[bytes, bytes]]] = {}
    for key, value in scope.get("headers", []):
        name = key.lower().replace(b"_", b"-")  # Mcp_Param_X is Mcp-Param-X to CGI-style readers
        if name.startswith(_PARAM_HEADER):
            spelled.setdefault(name, []).append((key.lower(), value))
    sent: dict[str, str] = {}
    for name, found in spelled.items():
        problem = _ambiguous("Mcp-Param-" + name[len(_PARAM_HEADER):].decode("latin-1"), name, found)
        if problem is not None:
            return problem
        sent[name.decode("latin-1")] = found[0][1].decode("latin-1")
    raw = message.get("params")
    params: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if not sent and not _is_modern(scope, message):
        return None
    if message.get("method") != "tools/call":
        return "Mcp-Param headers on a method other than tools/call" if sent else None
    from mcp.shared.inbound import (
        find_invalid_x_mcp_header,
        validate_mcp_param_headers,
        x_mcp_header_map,
    )

    name = params.get("name")
    schema = schema_of(name) if isinstance(name, str) else None
    # A schema whose declarations are invalid declares nothing: conforming clients leave its
    # tool out (and send no header for it).
    if schema is not None and find_invalid_x_mcp_header(schema) is not None:
        schema = None
    declared = {f"mcp-param-{token.lower()}" for token in x_mcp_header_map(schema).values()} if schema else set()
    for header in sent:
        if header not in declared:
            return f"Mcp-Param-{header[len('mcp-param-'):]} names no argument of the tool"
    args = params.get("arguments")
    rejection = validate_mcp_param_headers(schema, args if isinstance(args, dict) else {}, sent) if schema else None
    return None if rejection is None else rejection.message


async def _refuse_and_close(send: Any, status: int, message: str, request_id: Any = None, *,
                            code: int = wire.INVALID_REQUEST) -> None:
    """A JSON-RPC error answer that also closes the connection: what follows on it cannot be
    read as a request of its own."""
    answer = _json_dumps({"jsonrpc": "2.0", "id": request_id, "error": wire.error(code, message)}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": answer})


def _json_content_type(value: str | None) -> bool:
    """`application/json`, with no charset or `charset=utf-8`. The body is read as UTF-8 whatever
    it says; a body declared Latin-1 or UTF-16 would be another message to a reader that
    honours the declaration, so it is refused rather than read one way of two. So is a charset
    in RFC 2231's extended or continued form (`charset*=utf-8''latin-1`, `charset*0=latin-1`),
    which Python's `email` package reads as the charset."""
    if value is None:
        return False
    media, *parameters = (part.strip().lower() for part in value.split(";"))
    if media != "application/json":
        return False
    for parameter in parameters:
        key, _, given = parameter.partition("=")
        if key.strip().startswith("charset*"):
            return False
        if key.strip() == "charset" and given.strip().strip('"') not in ("utf-8", "utf8"):
            return False
    return True


def _sent_as_is(scope: dict[str, Any]) -> bool:
    """Whether the body is declared as sent (no Content-Encoding, or `identity`). The body is
    read as it arrives; one declared gzip would be another message, or none, to a reader that
    unpacks it (a proxy in front that checks bodies), so it is refused rather than read one
    way of two, as a charset other than UTF-8 is (`_json_content_type`)."""
    codings = [coding.strip().lower() for key, value in scope.get("headers", []) if key == b"content-encoding"
               for coding in value.split(b",")]
    return all(coding in (b"", b"identity") for coding in codings)


def _unknown_version(scope: dict[str, Any]) -> str | None:
    """The MCP-Protocol-Version header's value when it names no version the gateway speaks."""
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

    version = _header(scope, b"mcp-protocol-version")
    if version is None or version in modern.MODERN_VERSIONS or version in HANDSHAKE_PROTOCOL_VERSIONS:
        return None
    return version


def _is_modern(scope: dict[str, Any], message: dict[str, Any]) -> bool:
    params = message.get("params")
    return modern.requested_version(params) in modern.MODERN_VERSIONS or (
        _header(scope, b"mcp-protocol-version") in modern.MODERN_VERSIONS
    )


def _status_of(answer: dict[str, Any]) -> int:
    """The HTTP status of a modern answer: errors of the protocol layer are not 200."""
    error = answer.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    if code == wire.METHOD_NOT_FOUND:
        return 404
    if code in (modern.HEADER_MISMATCH, modern.UNSUPPORTED_VERSION, wire.INVALID_PARAMS, wire.INVALID_REQUEST,
                wire.PARSE_ERROR):
        return 400
    return 200


async def _wait_disconnect(receive: Any) -> None:
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            return


async def _next(exchange: _Exchange, disconnected: asyncio.Task[None]) -> Any:
    """The next message of the exchange; None when the client went away first."""
    if not exchange.queue.empty():
        return exchange.queue.get_nowait()
    getter = asyncio.get_running_loop().create_task(exchange.queue.get())
    done, _ = await asyncio.wait({getter, disconnected}, return_when=asyncio.FIRST_COMPLETED)
    if getter in done:
        return getter.result()
    getter.cancel()
    return None


def _answers(message: Any, request_id: Any) -> bool:
    return isinstance(message, dict) and "method" not in message and message.get("id") == request_id


def _event(message: dict[str, Any]) -> bytes:
    return b"event: message\ndata: " + _json_dumps(message).encode("utf-8", "surrogatepass") + b"\n\n"


async def _json(send: Any, status: int, message: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = _json_dumps(message).encode("utf-8", "surrogatepass")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


async def _rpc_error(send: Any, status: int, request_id: Any, code: int, message: str,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await _json(send, status, {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}},
                headers)


async def _plain(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
