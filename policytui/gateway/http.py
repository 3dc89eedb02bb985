"""Serving the gateway over streamable HTTP, with bearer tokens as grants.

`--tokens FILE` holds `{"<token>": "<grant name>"}`. Every HTTP request must carry
`Authorization: Bearer <token>` naming a known token, or it is answered 401 before the MCP
layer sees it; the token's grant name is what per-grant rate limits count against. Tokens are
compared in constant time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from pathlib import Path
from typing import Any

from policytui.descriptors import MAX_UNPROVEN
from policytui.output_file import os_reason

log = logging.getLogger("policytui.gateway")

# A connection whose request line and headers have not all arrived within this long is closed
# (as a body that has not arrived within BODY_SECONDS is refused): a client that sends nothing,
# or a head a byte at a time, would otherwise hold a connection, and a file descriptor, for
# good, before any token is checked. `gateway --client-timeout` sets another time.
HEAD_SECONDS = 10.0

# The key of a request's ASGI `state` holding its connection's `proven()`: `TokenGate` calls it
# once the request shows a known token, and the connection no longer counts against the limit.
PROVEN_KEY = "policytui.proven"

GRANT_SCOPE_KEY = "policytui.grant"
# Which token a request came with (its SHA-256, never the token): a session is bound to it.
TOKEN_SCOPE_KEY = "policytui.token"


class TokensError(Exception):
    """The tokens file cannot be used; `str()` is one sentence."""


class _TokenTwice(ValueError):
    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def _one_grant_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for number, (key, value) in enumerate(pairs, start=1):
        if key in found:
            raise _TokenTwice(number)
        found[key] = value
    return found


def load_tokens(path: Path) -> dict[str, str]:
    """Read `{token: grant}`; TokensError (never quoting a token) if it is not that."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"), object_pairs_hook=_one_grant_each)
    except _TokenTwice as exc:
        # A token written twice with two grants: which one counts is a guess, and a wrong guess
        # gives one client another's limits (or rights). The number, never the token.
        raise TokensError(f"token number {exc.number} in {path} is written twice; "
                          "give each token once, with its one grant name") from None
    except FileNotFoundError:
        raise TokensError(f"the tokens file {path} does not exist") from None
    except OSError as exc:
        raise TokensError(f"cannot read the tokens file {path}: {os_reason(exc)}") from None
    except json.JSONDecodeError as exc:
        # Where, never what: the text around the mistake may be a token.
        raise TokensError(f"the tokens file {path} is not valid JSON "
                          f"(line {exc.lineno}, column {exc.colno})") from None
    except UnicodeDecodeError:
        raise TokensError(f"the tokens file {path} is not UTF-8 text") from None
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        raise TokensError(f"the tokens file {path} is not valid JSON") from None
    if not isinstance(data, dict) or not data:
        raise TokensError(f'the tokens file {path} must be a JSON object like {{"<token>": "<grant name>"}}')
    for number, (token, grant) in enumerate(data.items(), start=1):
        if not isinstance(token, str) or len(token) < 16:
            raise TokensError(f"token number {number} in {path} is shorter than 16 characters")
        if not isinstance(grant, str) or not grant:
            raise TokensError(f"token number {number} in {path} has no grant name")
        # JSON lets a text hold half a surrogate pair (`"\\ud800"`), which no UTF-8 writer takes:
        # the grant names every counter, held call and audit line of its calls, so each of its
        # limited calls would fail inside the gateway, unaudited.
        for what, text in (("the token", token), ("its grant name", grant)):
            if not is_text(text):
                raise TokensError(f"token number {number} in {path}: {what} is not valid text "
                                  "(it holds an unpaired surrogate, such as \\ud800)")
    return dict(data)


def is_text(value: str) -> bool:
    """Whether `value` can be written as UTF-8 (no unpaired surrogate: JSON's `"\\ud800"`, or
    bytes that were not UTF-8 in a command-line argument)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class TokenGate:
    """ASGI middleware: 401 unless the request carries a known bearer token."""

    def __init__(self, app: Any, tokens: dict[str, str] | None, default_grant: str = "default") -> None:
        self.app = app
        self.tokens = [(token.encode("utf-8"), grant) for token, grant in (tokens or {}).items()]
        self.required = tokens is not None
        self.default_grant = default_grant

    def grant_for(self, header: bytes | None) -> str | None:
        if not self.required:
            return self.default_grant
        if not header:
            return None
        scheme, _, value = header.strip().partition(b" ")
        if scheme.lower() != b"bearer" or not value:
            return None
        value = value.strip()
        found = None
        for token, grant in self.tokens:  # look at every token: timing says nothing
            if hmac.compare_digest(token, value):
                found = grant
        return found

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        # Exactly one Authorization header: with two, which one a proxy in front checked and
        # which one this gate reads could differ.
        given = [v for k, v in scope.get("headers", []) if k == b"authorization"]
        grant = self.grant_for(given[0] if len(given) == 1 else None)
        if grant is None:
            body = json.dumps(
                {
                    "error": "unauthorized",
                    "error_description": "a valid bearer token is required (Authorization: Bearer <token>)",
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="policytui-gateway"'),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        proven = scope.get("state", {}).get(PROVEN_KEY)
        if proven is not None:
            proven()
        scope = dict(scope)
        scope[GRANT_SCOPE_KEY] = grant
        if self.required:
            scope[TOKEN_SCOPE_KEY] = hashlib.sha256(given[0].partition(b" ")[2].strip()).hexdigest()
        await self.app(scope, receive, send)


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


# The names a loopback gateway answers to; a browser sends one of them only for a page on this machine.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


class HostOriginGuard:
    """ASGI middleware against DNS rebinding and cross-site pages (outside `TokenGate`).

    A web page the user visits can make the browser send requests to a loopback port: across
    origins (the request carries the page's `Origin`) or, after DNS rebinding, under the
    attacker's own host name (a foreign `Host`). Every request with an `Origin` that is not
    http(s) on a loopback name or the listen address gets 403; with `--tokens`, the `Origin`
    may also name the host the request was sent to (a browser client served from the gateway's
    own name). Without `--tokens` (loopback only), a `Host` other than a loopback name or the
    listen address, with the bound port, gets 421. With `--tokens` the gateway may be reached
    under any name (a proxy, DNS), and a rebound page cannot present a token.
    """

    def __init__(self, app: Any, listen_host: str, *, tokens: bool) -> None:
        self.app = app
        shown = f"[{listen_host}]" if ":" in listen_host else listen_host
        self.names = frozenset(name.lower() for name in (*LOOPBACK_NAMES, shown))
        self.tokens = tokens

    def host_allowed(self, host: str | None, port: int | None) -> bool:
        if host is None or port is None:
            return False
        host = host.strip().lower()
        if host in self.names:  # no port in Host: the scheme's default port
            return port == 80
        name, sep, given = host.rpartition(":")
        return bool(sep) and name in self.names and given == str(port)

    def origin_allowed(self, origin: str, host: str | None) -> bool:
        scheme, sep, rest = origin.strip().lower().partition("://")
        if not sep or scheme not in ("http", "https") or not rest or "/" in rest or "@" in rest:
            return False  # "null", file://, a path or credentials: not a page on an allowed host
        name = rest
        if not name.startswith("[") or "]:" in name:
            head, colon, port = name.rpartition(":")
            if colon and port.isdigit() and (not head.startswith("[") or head.endswith("]")):
                name = head
        if name in self.names:
            return True
        return self.tokens and host is not None and rest == host.strip().lower()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        host_raw = [v for k, v in headers if k == b"host"]
        origin_raw = [v for k, v in headers if k == b"origin"]
        host = host_raw[0].decode("latin-1") if len(host_raw) == 1 else None
        server = scope.get("server")
        port = server[1] if isinstance(server, (tuple, list)) and len(server) == 2 else None
        if not self.tokens and not self.host_allowed(host, port):
            log.debug("refused an HTTP request for host %.100r (not this gateway's address)", host)
            await _refuse(send, 421, "Misdirected Request: this gateway does not serve that host name")
            return
        if len(origin_raw) > 1 or (origin_raw and not self.origin_allowed(origin_raw[0].decode("latin-1"), host)):
            log.debug("refused an HTTP request from origin %.100r", origin_raw[0] if origin_raw else None)
            await _refuse(send, 403, "Forbidden: requests from this origin are refused")
            return
        await self.app(scope, receive, send)


async def _refuse(send: Any, status: int, message: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def head_timeout_protocol(seconds: float = HEAD_SECONDS, unproven: int = MAX_UNPROVEN) -> type:
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request head (the request line
    and the headers) has not all arrived `seconds` after the connection opened, or after
    the previous answer on it ended. uvicorn itself waits for a head for ever: its keep-alive
    timer ends at the first byte received, and nothing times the first request. A request whose
    head has arrived is not timed here (its body has BODY_SECONDS; a GET stream and a long call
    are answered as long as they last).

    It also tells the relay of framing a proxy in front may read otherwise than h11 does
    (`policytui.gateway.http_framing`): a request head with folded lines, bare LF line ends,
    a Content-Length that is not one plain number or a Transfer-Encoding in HTTP/1.0, a framing
    or session header spelled with underscores (`Content_Length`), a chunk
    size line with an extension or a size that is not plain, and trailer fields after a chunked
    body, each noted in the request's ASGI `state` (HEAD_KEY, BODY_KEY).

    At most `unproven` connections at once may be open without having shown a known token
    (`TokenGate` calls the connection's `proven()` through the request's `state`): past that,
    the one open longest is closed. Anyone who reaches the port can open connections, each a
    file descriptor for the time-out's length; once they run out, the gateway can accept no
    connection at all, a client with a token waited the whole time-out, and each refused
    accept wrote a traceback to the log. A client with a token shows it in its first request,
    sent at once."""
    import asyncio

    import h11
    from h11._readers import ChunkedReader
    from uvicorn.protocols.http.h11_impl import H11Protocol

    from policytui.gateway.http_framing import (
        BODY_KEY,
        HEAD_KEY,
        TRAILERS,
        chunk_line_problem,
        head_problem,
    )

    class FramingNotedConnection(h11.Connection):
        """h11's server side, telling `protocol` what it read leniently in each request."""

        def __init__(self, protocol: HeadTimeoutProtocol, max_incomplete_event_size: int | None) -> None:
            if max_incomplete_event_size is None:
                super().__init__(h11.SERVER)
            else:
                super().__init__(h11.SERVER, max_incomplete_event_size)
            self.protocol = protocol

        def next_event(self) -> Any:
            # The raw head is looked at before h11 parses it (unfolded, its line ends and its
            # Content-Length normalised, it no longer shows them); pipelined requests come
            # through here too, each from its first byte.
            problem = head_problem(self.trailing_data[0]) if self.their_state is h11.IDLE else None
            chunk_problem = self._chunk_line_problem() if self.their_state is h11.SEND_BODY else None
            event = super().next_event()
            if isinstance(event, h11.Request):
                self.protocol.note_head(problem)
            elif chunk_problem is not None:
                self.protocol.note_body(chunk_problem)
            elif isinstance(event, h11.EndOfMessage) and event.headers:
                self.protocol.note_body(TRAILERS)
            return event

        def _chunk_line_problem(self) -> str | None:
            # The size line of the next chunk, when h11 is about to read one: h11 (pinned to
            # 0.16 in pyproject.toml) drops the line once read, keeping only the size. Read in
            # place, never copied: the buffer may hold megabytes of body after the line.
            reader = self._reader
            if not isinstance(reader, ChunkedReader) or reader._reading_trailer or reader._bytes_in_chunk:
                return None
            # After a chunk's data h11 first drops its CRLF (`_bytes_to_discard`), then reads the line.
            return chunk_line_problem(self._receive_buffer._data, len(reader._bytes_to_discard))

    # The connections not yet proven, oldest first (a dict keeps the order they came in).
    waiting: dict[HeadTimeoutProtocol, None] = {}

    class HeadTimeoutProtocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # Each request's `state` is a copy of `app_state` (uvicorn's lifespan state) with
            # this connection's `proven` in it.
            self._shared_state = {**self.app_state, PROVEN_KEY: self.proven}
            self.app_state = self._shared_state
            self.conn = FramingNotedConnection(self, self.config.h11_max_incomplete_event_size)

        def note_head(self, problem: str | None) -> None:
            # uvicorn builds the request's scope, its `state` a copy of `app_state`, as soon as
            # h11 hands it the request: the problem goes into that copy, this request's alone.
            self.app_state = {**self._shared_state, HEAD_KEY: problem} if problem else self._shared_state

        def proven(self) -> None:
            waiting.pop(self, None)

        def note_body(self, problem: str) -> None:
            # Chunk lines and trailer fields come after the head, when the request runs: its
            # `state` is shared with the relay (middleware copies the scope, not the state in
            # it), which reads it once the whole body is in. The first problem found is told.
            if self.scope is not None:
                self.scope["state"].setdefault(BODY_KEY, problem)  # type: ignore[attr-defined]

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm_head_timer()
            waiting[self] = None
            if len(waiting) > unproven:
                oldest = next(iter(waiting))
                waiting.pop(oldest)
                log.debug("closed an HTTP connection: %d connections at once without a known token", unproven + 1)
                oldest.transport.abort()

        def connection_lost(self, exc: Exception | None) -> None:
            waiting.pop(self, None)
            self._disarm_head_timer()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            super().handle_events()
            if self.conn.their_state is not h11.IDLE:  # a whole head arrived: its request runs
                self._disarm_head_timer()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self._arm_head_timer()  # the next request's head has its own time

        def _arm_head_timer(self) -> None:
            self._disarm_head_timer()
            self._head_timer = self.loop.call_later(seconds, self._head_overdue)

        def _disarm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_overdue(self) -> None:
            self._head_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                log.debug("closed an HTTP connection: no whole request head arrived within %s s", seconds)
                self.transport.close()

    return HeadTimeoutProtocol
