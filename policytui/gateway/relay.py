"""The agent-facing side as a JSON-RPC relay, without the SDK's server layer.

Every stdio client is served here (through a pipe, a socket, a terminal or a file:
`policytui.gateway.stdio`), and every HTTP session through `HttpSession`
(`policytui.gateway.http_relay`), which routes the same relay's writes to HTTP; requests of
MCP 2026-07-28 clients are served per request (`policytui.gateway.modern`). Each line is framed on `\n`, parsed once and checked by the
wire rules of `policytui.gateway.wire` (a refused message gets a JSON-RPC error, a WARNING line
and, when it is or may be a tool call, a `refused` audit line: `Gateway.refused`; serving goes on); the gateway then looks only at what it polices:

- `tools/call` is decided by the `Enforcer` (a denial is answered as a tool result with
  `isError: true`; a hidden tool is answered as the server answers a tool it does not have; an
  allowed call is forwarded, counters charged and refunded as always);
- `tools/list` is forwarded and hidden tools are dropped from the result; everything else in
  the result (cursors, `_meta`, fields this gateway does not know) is kept as sent;
- `initialize` is answered by the gateway with the upstream server's name, version,
  instructions and capabilities (the upstream connection was initialized at start);
- `ping` is answered by the gateway, and so is `server/discover` (the versions served, 2026-07-28
  among them, and the server's capabilities), so 2026-07-28 clients in "auto" mode go on in
  2026-07-28 (`policytui.gateway.modern`).

The other MCP requests (resources, prompts, completions, logging: `FORWARDED`) go
upstream and their result or error is returned under the client's own id; any other method
is "Method not found" and never reaches the server. Client notifications other than
`initialized`, `cancelled` and `progress` go upstream. What goes upstream is always re-encoded
from the parsed object that was decided, never the client's bytes. Requests the gateway itself
sends the client (approval by elicitation) carry ids of the gateway's own, matched back when
the client answers.

This replaces per-message pydantic models, a task and memory streams per request and the
middleware chain of the SDK's server with one dictionary lookup; it is what brings the
gateway's added latency under a millisecond (see docs/gateway.md, Performance). A stdio
`tools/call` that is decided at once does not even get a task of its own: it is served inline
(`policytui.gateway.inline_call`), with the same decision, charge and audit line, in the
callback that read its line (`policytui.gateway.linefeed`); the lines before and after it keep
their order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import select
from collections.abc import Awaitable, Callable, Container, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import anyio

from policytui.decision import Caller, Decision
from policytui.decision.key_forms import compatibility_folded, folded
from policytui.gateway import inline_call, modern, wire
from policytui.gateway import refused as refused_mod
from policytui.gateway.audit import args_digest
from policytui.gateway.enforcer import UpstreamFailure
from policytui.gateway.jsonenc import encoder
from policytui.gateway.linefeed import LineFeed
from policytui.gateway.server import REQUESTER
from policytui.gateway.server_asks import ForeignState, InputRequired
from policytui.gateway.unexpected import log_unexpected
from policytui.gateway.upstream_common import hop_params
from policytui.gateway.upstream_stdio import StdioUpstream, refused_by_server, result_of
from policytui.redaction import RedactedMessage
from policytui.textsafe import line_holds_secrets

if TYPE_CHECKING:
    from policytui.gateway.server import Gateway

log = logging.getLogger("policytui.gateway")

# JSON-RPC 2.0 error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# What the client of a call cancelled because the gateway is stopping reads, over stdio and HTTP.
CANCELLED_BY_STOP = ("the gateway stopped before the server answered: the call was cancelled "
                     "(the server may have run it)")

_dumps = encoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)

# Client notifications that concern this hop only and are not forwarded upstream: the
# upstream connection was initialized by the gateway, cancellations name the client's own
# request ids, and progress from the client is about requests the gateway sent it.
_LOCAL_NOTIFICATIONS = frozenset(
    {"notifications/initialized", "notifications/cancelled", "notifications/progress"}
)


# Requests passed on to the server: the MCP methods a client may call. Anything else is
# answered "Method not found" by the gateway and never reaches the server, so no method name
# the gateway has not classified (a variant spelling of tools/call, a vendor extension that
# runs something) gets past the policy.
FORWARDED = frozenset(
    {
        "tools/list",
        "tools/call",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "resources/subscribe",
        "resources/unsubscribe",
        "prompts/list",
        "prompts/get",
        "completion/complete",
        "logging/setLevel",
    }
)
# The gateway offers no `tasks` capability (docs/gateway.md): every client shares the one
# server behind it, whose tasks belong to whoever created them and which the gateway cannot
# scope to a client (`tasks/list` and `tasks/result` would show one grant's results to
# another). A `tools/call` asking for a task is refused as well: a server with tasks runs an
# ordinary tool and then answers its result with a JSON-RPC error ("Invalid task creation
# result"), which reads as "the tool did not run" and would refund the call's charge.
TASK_PARAM = "task"
# The members of a `tools/call`'s params (the last two: a 2026-07-28 approval's round trip), by
# their letter case folded. A key that is one of them in another case (`Arguments`, `Task`) is
# nothing to a server that reads keys as spelled, and the member itself to one on Go's
# encoding/json, which reads keys whatever their case: the gateway would decide on no
# arguments, or no task, where that server runs the call with them. So is one that is a member
# in Unicode compatibility form (NFKC), fullwidth `\uff41\uff52\uff47\uff55\uff4d\uff45\uff4e\uff54\uff53` for
# `arguments`, to a server that normalises keys so.
CALL_MEMBERS = {compatibility_folded(member): member for member in
                ("name", "arguments", "_meta", TASK_PARAM, "inputResponses", "requestState")}
# Members of a request's params by the field names the MCP Python SDK's models read them under
# as well (they take `populate_by_name`): to such a server `meta` is `_meta`, `input_responses`
# is `inputResponses`. The gateway reads neither spelling for the member, so this hop's protocol
# envelope (`io.modelcontextprotocol/` keys of `_meta`) and a 2026-07-28 approval's answers, which
# it keeps from the server, would reach the server under them.
FIELD_NAMES = {"meta": "_meta", "input_responses": "inputResponses", "request_state": "requestState"}
# The same within a request's `_meta`: the SDK's `RequestParamsMeta` reads `progress_token` as
# `progressToken` (given both, `progressToken` counts). The gateway relays a call's progress by
# `progressToken` alone, and puts a token of its own there; a server on that SDK would read the
# client's `progress_token` (another call's token, say) where the gateway read none, and a proxy
# on it forwards that as `progressToken`. (The 2026-07-28 `io.modelcontextprotocol/` keys are read
# by those names only: the SDK reads them raw, and its generated wire models are not used there.)
META_FIELD_NAMES = {"progress_token": "progressToken"}


# Bytes waiting to be taken by the client beyond which its lines are served the ordinary way,
# which waits for the client to read before answering more.
_WRITE_BACKLOG = 1 << 16
# Once its input has ended and every request is answered, how long a client may take none of
# the answers still waiting in the gateway's buffer before they are given up (serving ends,
# and the process with it).
_FLUSH_STALL_SECONDS = 10.0

_error = wire.error
_error_of = wire.error_of
_is_mcp_error = wire.is_mcp_error


def _tool_call(method: str, params: Any, parked: Container[Any] = ()) -> tuple[str, dict[str, Any]] | None:
    """The tool and arguments of a `tools/call` that would be decided and audited as a call of
    its own (one refused as malformed has no audit line), else None. `parked`: the
    `requestState`s of the 2026-07-28 calls parked for their client's answers."""
    if method != "tools/call" or not isinstance(params, dict) or TASK_PARAM in params:
        return None
    state = params.get("requestState")
    if isinstance(state, str) and state in parked and modern.requested_version(params) is not None:
        # A 2026-07-28 call resumed: the parked call has its own line. Any other requestState
        # (a handshake-era call's, one never issued or used up) resumes nothing: a call as any.
        return None
    name, args = params.get("name"), params.get("arguments")
    if not isinstance(name, str) or not (args is None or isinstance(args, dict)):
        return None
    return name, args if args is not None else {}


# The refusal of a line over the size limit, whose bytes were not kept.
TOO_LARGE = wire.Refusal(INVALID_REQUEST, "Invalid Request: the message is too large")


@dataclass(frozen=True)
class RefusedBeforeServing:
    """How a message read without doubt is refused before any of it is served.

    `kind` says how it is answered and told:

    - "wire": as the wire rules' refusals are (`StdioRelay._refuse`): `refusal.error` answered
      under `refusal.request_id`, a debug line quoting the client's line, audited and warned
      (`Gateway.refused`);
    - "version": a protocol version in the params that does not fit, or a method removed in
      2026-07-28: `error` (with the problem's `data`) answered under `request_id`, a debug line
      naming the method, audited and warned with `refusal`;
    - "discover": a `server/discover` naming a version the gateway does not serve: `error`
      answered under `request_id`, nothing else (it is no call, and asks only what is served).
    """

    kind: Literal["wire", "version", "discover"]
    refusal: wire.Refusal
    error: dict[str, Any]
    request_id: Any


def _refusal_before_serving(message: dict[str, Any], secrets: tuple[str, ...]) -> RefusedBeforeServing | None:
    """The refusal a message read without doubt gets before serving anything of it (a request
    without an id, a protocol version that does not fit, a method no one serves), else None.
    The one place that says so: `StdioRelay.receive_message` answers by it, and
    `StdioRelay._audit_unread` audits by it the lines serving ended before reaching, so a
    message is audited alike reached or not."""
    method = message.get("method")
    if not isinstance(method, str):
        return None  # a response, never refused
    if "id" not in message:
        if method.startswith("notifications/"):
            named = None if method in _LOCAL_NOTIFICATIONS else _field_named(message.get("params"))
            if named is not None:
                # Passed on, its `meta` would be the server's `_meta`, this hop's envelope in it.
                return _wire_refusal(_field_name_refusal(*named, None))
            return None
        # A request in notification form (a tools/call without an id above all) would get no
        # answer and no audit trail: never forwarded.
        return _wire_refusal(refused_mod.needs_an_id(method, secrets))
    request_id = message["id"]
    params = message.get("params")
    if method == "server/discover":
        if modern.names_version(params) and modern.requested_version(params) not in modern.MODERN_VERSIONS:
            # A version not served is always a problem: the fallback only keeps this closed.
            unsupported = modern.check_request(params) or (INVALID_PARAMS, "Invalid params", None)
            return RefusedBeforeServing("discover", wire.Refusal(unsupported[0], unsupported[1]), _error(*unsupported),
                                        request_id)
    elif modern.names_version(params):
        problem = modern.check_request(params)
        if problem is None and method in modern.REMOVED_METHODS:
            problem = (METHOD_NOT_FOUND, "Method not found", None)
        if problem is not None:
            return RefusedBeforeServing("version", wire.Refusal(problem[0], problem[1]), _error(*problem), request_id)
    if method not in FORWARDED and method not in ("ping", "initialize", "server/discover"):
        return _wire_refusal(wire.Refusal(METHOD_NOT_FOUND, "Method not found", request_id))
    misspelt = _member_in_another_case(method, params)
    if misspelt is not None:
        key, member = misspelt
        form = ("in another letter case" if folded(key) == folded(member)
                else "in another Unicode form (NFKC: fullwidth, a ligature)")
        return _wire_refusal(wire.Refusal(
            INVALID_PARAMS, f"Invalid params: a key is `{member}` {form}, which a server "
                            "may read as that member (ambiguous)", request_id))
    named = _member_by_field_name(method, params)
    if named is not None:
        return _wire_refusal(_field_name_refusal(*named, request_id))
    return None


def _field_name_refusal(key: str, member: str, request_id: Any) -> wire.Refusal:
    return wire.Refusal(INVALID_PARAMS, f"Invalid params: a key is `{key}`, which a server may read as the member "
                                        f"`{member}` (ambiguous)", request_id)


def _member_by_field_name(method: str, params: Any) -> tuple[str, str] | None:
    """A key of a forwarded request's params, or of their `_meta`, that names a member by its
    field name (`FIELD_NAMES`, `META_FIELD_NAMES`), and that member, else None."""
    if method not in FORWARDED:
        return None
    named = _field_named(params)
    meta = params.get("_meta") if isinstance(params, dict) else None
    if named is None and isinstance(meta, dict):
        for key in meta:
            if key in META_FIELD_NAMES:
                return f"_meta.{key}", f"_meta.{META_FIELD_NAMES[key]}"
    return named


def _field_named(params: Any) -> tuple[str, str] | None:
    if not isinstance(params, dict):
        return None
    for key in params:
        if key in FIELD_NAMES:
            return key, FIELD_NAMES[key]
    return None


def _member_in_another_case(method: str, params: Any) -> tuple[str, str] | None:
    """A key of a `tools/call`'s params that spells a member in another letter case or
    compatibility form (`CALL_MEMBERS`), and the member, else None."""
    if method != "tools/call" or not isinstance(params, dict):
        return None
    for key in params:
        member = CALL_MEMBERS.get(compatibility_folded(key))
        if member is not None and key != member:
            return key, member
    return None


def too_many_in_progress(limit: int, request_id: Any) -> wire.Refusal:
    """The refusal of a request read while its client has `limit` requests in progress
    (`StdioRelay._over_limit`; over HTTP without a session, its grant's)."""
    return wire.Refusal(
        INTERNAL_ERROR, f"Too Many Requests: this client has {limit} requests in progress, the most the "
                        "gateway takes at once (--max-in-progress); send it again once one is answered",
        request_id)


def _wire_refusal(refusal: wire.Refusal) -> RefusedBeforeServing:
    return RefusedBeforeServing("wire", refusal, refusal.error, refusal.request_id)


class ClientRequestError(Exception):
    """The client answered one of the gateway's requests with a JSON-RPC error (`error`), or
    could not be asked."""

    def __init__(self, message: str, error: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error = error


class StdioRelay:
    """Serves one stdio client: reads its lines, answers or forwards each message."""

    # Whether a server started as a command answers this client directly under the client's
    # own ids and progress tokens (one client per gateway over stdio); HTTP sessions share the
    # server, so their requests travel under the gateway's ids and answers are re-encoded.
    verbatim_answers = True

    def __init__(
        self,
        gateway: Gateway,
        reader: LineFeed,
        writer: asyncio.StreamWriter,
        initialize: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        end_wait: float | None = None,
    ) -> None:
        self.gateway = gateway
        self.reader = reader
        self.writer = writer
        # The transport under `writer`, written directly on the per-call path.
        self._out: asyncio.WriteTransport | None = writer.transport if writer is not None else None  # type: ignore[assignment]
        # Builds the `initialize` result for the client's params (raises ValueError if invalid).
        self._initialize = initialize
        self.caller = Caller(grant=gateway.identity.grant, session=gateway.identity.session)
        self.client_capabilities: dict[str, Any] = {}
        # The client's request id -> the task or inline call serving it (for
        # notifications/cancelled).
        self._inflight: dict[Any, asyncio.Task[None] | inline_call.InlineCall] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Tasks serving requests that have not taken their first step yet, with the tool and
        # arguments of a `tools/call` (see `cancel_request`).
        self._unbegun: dict[asyncio.Task[None], tuple[str, dict[str, Any]] | None] = {}
        # The gateway's own requests to the client: id -> future of (result, error).
        self._outbound: dict[int, asyncio.Future[tuple[Any, Any]]] = {}
        self._next_id = 0
        self._subscribed: set[str] = set()
        # The tasks serving 2026-07-28 requests: not what `busy` means.
        self._modern: set[Any] = set()
        self._closed = False
        # How long, once the client's input ends, the requests it sent may still take to be
        # answered (None: as long as they take); those still in progress then are cancelled.
        self.end_wait = end_wait
        self._input_ended = False
        # Requests cancelled because `end_wait` ran out -> the error that answers each.
        self._cut_off: dict[Any, dict[str, Any]] = {}
        # Tasks whose request is with the server (see `stopped`).
        self._forwarding: set[asyncio.Task[Any]] = set()
        self._server_info_cache: dict[str, Any] | None = None

    # Writing ----------------------------------------------------------------------------------

    async def _write(self, message: dict[str, Any]) -> None:
        if self._send_now(message):
            try:
                await self.writer.drain()
            except (ConnectionError, OSError):
                self._closed = True  # the client is gone; reading ends too

    def _send_now(self, message: dict[str, Any]) -> bool:
        """Hand the client a message without waiting for the pipe to take it (whether
        anything was handed over)."""
        if self._closed:
            return False
        try:
            data = _dumps(message).encode("utf-8", "surrogatepass") + b"\n"
        except (TypeError, ValueError):
            log_unexpected(log, "a message for the client could not be encoded")
            if "id" not in message or "method" in message:
                return False
            data = _dumps(
                {"jsonrpc": "2.0", "id": message["id"], "error": _error(INTERNAL_ERROR, "the result could not be encoded")}
            ).encode("utf-8", "surrogatepass") + b"\n"
        return self._send_line_now(data)

    def _client_gone(self) -> bool:
        """Whether the client's end of our output is gone (then reading stops too). A pipe
        transport notices its reader closing on its own, without raising on a write."""
        if not self._closed and self._out is not None and self._out.is_closing():
            self._closed = True
        return self._closed

    def _send_line_now(self, data: bytes) -> bool:
        if self._client_gone():
            return False
        forms = self.gateway.secret_forms
        if forms and line_holds_secrets(data, forms):
            data = self._starred_line(data)
        try:
            self._out.write(data if data.endswith(b"\n") else data + b"\n")  # type: ignore[union-attr]
        except (ConnectionError, OSError, RuntimeError):
            self._closed = True
            return False
        return True

    def _starred_line(self, data: bytes) -> bytes:
        """A line for the client that quotes one of the server's credentials (a result, an
        error or a notification of the server's, passed on as sent), re-encoded with each shown
        as ***. A line that is not JSON (never written here) has the secrets' bytes replaced."""
        try:
            message = json.loads(data)
        except (ValueError, RecursionError):
            for form in self.gateway.secret_forms:
                data = data.replace(form, b"***")
            return data
        return _dumps(self.gateway.starred(message)).encode("utf-8", "surrogatepass") + b"\n"

    async def _write_room(self) -> None:
        """Wait until the client has taken enough of what was written to it."""
        try:
            await self.writer.drain()
        except (ConnectionError, OSError):
            self._closed = True

    async def _write_line(self, data: bytes) -> None:
        """Send the client a line exactly as the server sent it (its credentials starred)."""
        if self._send_line_now(data):
            try:
                await self.writer.drain()
            except (ConnectionError, OSError):
                self._closed = True

    async def _result(self, request_id: Any, result: Any) -> None:
        await self._write({"jsonrpc": "2.0", "id": request_id, "result": result})

    async def _fail(self, request_id: Any, error: dict[str, Any]) -> None:
        await self._write({"jsonrpc": "2.0", "id": request_id, "error": error})

    async def notify(self, method: str, params: dict[str, Any] | None) -> None:
        """Send the client a notification (list changes, log messages, resource updates)."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        await self._write(message)

    def subscribed(self, uri: str) -> bool:
        return uri in self._subscribed

    def followed(self) -> set[str]:
        """The resources this client subscribed to and has not unsubscribed from."""
        return set(self._subscribed)

    def busy(self) -> bool:
        """Whether a handshake-era request of this client's is in progress."""
        return any(task not in self._modern for task in self._inflight.values())

    # Reading ----------------------------------------------------------------------------------

    async def serve(self) -> None:
        """Serve until the client closes standard input and each request read before is
        answered (within `end_wait`), or until the client stops reading its answers."""
        self.gateway.attach(self)
        upstream = self.gateway.upstream
        # Progress under the client's own token comes back from a server started as a command
        # as raw lines; the SDK-backed upstream reports it through `request(progress=...)`.
        if isinstance(upstream, StdioUpstream):
            upstream.on_progress_line = self._write_line
        feed = self.reader
        feed.on_line = self._serve_now
        try:
            try:
                async for line in feed.lines():
                    if self._client_gone():
                        break  # nobody reads the answers: nothing more is forwarded or charged
                    if line.strip(b" \t\r"):
                        await self._receive(line)
                    if self._out is not None and self._out.get_write_buffer_size() > _WRITE_BACKLOG:
                        # The client is not taking its answers: nothing more is read (so
                        # nothing more forwarded or charged) until it does. The answers owed
                        # stay bounded by the calls read so far, each audited.
                        await self._write_room()
                    if self._closed:
                        break
                else:
                    await self._answer_what_was_read()
            except (ConnectionError, OSError) as exc:  # a reset
                log.error("reading from the client failed: %s", type(exc).__name__)
        finally:
            # The client left (or the gateway stops): nobody is waiting for answers.
            self._closed = True
            feed.on_line = None
            self._audit_unread(feed.take_waiting())
            unsubscribing = self.gateway.detach(self)
            if isinstance(upstream, StdioUpstream) and upstream.on_progress_line == self._write_line:
                upstream.on_progress_line = None
            for future in self._outbound.values():
                if not future.done():
                    future.cancel()
            for call in [c for c in self._inflight.values() if isinstance(c, inline_call.InlineCall)]:
                call.cancel()
            # 2026-07-28 calls parked for this client's answers to the server's requests have
            # no request of the client's in progress (it was answered `input_required`), so no
            # task above serves them: they are cancelled here, as calls in flight are (audited
            # `cancelled`, their charge kept), before the server behind is stopped, which would
            # fail them as `unavailable` and refund calls the server ran. Over stdio every
            # parked call is this one client's.
            parked = [call.task for call in self.gateway.modern_calls.parked.values() if call.task is not None]
            self.gateway.modern_calls.stop("the client went away")
            tasks = list(self._tasks)
            for task in tasks:
                self.cancel_request(task)
            tasks += parked
            if unsubscribing is not None:  # sent before the server behind is stopped
                tasks.append(unsubscribing)
            if tasks:
                with anyio.CancelScope(shield=True), anyio.move_on_after(10):
                    await asyncio.gather(*tasks, return_exceptions=True)

    def _audit_unread(self, lines: list[bytes]) -> None:
        """Lines taken from the client's pipe that serving ends before reaching (it was
        stopped, or the client left while they waited behind answers it did not take): each
        `tools/call` among them has its audit line, as a call cancelled before the gateway
        began on it (not decided, charged nor sent), and each message the wire rules would have
        refused has its `refused` line and WARNING line as had it been reached
        (`Gateway.refused`), so every call a client sends has one line, reached or not."""
        for line in lines:
            if line is not wire.OVERLONG and not line.strip(b" \t\r"):
                continue  # a blank line is no message, reached or not
            if line is wire.OVERLONG:
                self.gateway.refused(TOO_LARGE, self.caller, line=line)
                continue
            try:
                message = wire.parse(line)
            except wire.Refusal as refusal:
                self.gateway.refused(refusal, self.caller, line=line)
                continue
            before_serving = _refusal_before_serving(message, self.gateway.secrets)
            if before_serving is not None:
                if before_serving.kind != "discover":
                    self.gateway.refused(before_serving.refusal, self.caller, line=line, message=message)
                continue
            if "id" not in message or not isinstance(message.get("method"), str):
                continue
            made = _tool_call(message["method"], message.get("params"), self.gateway.modern_calls.parked)
            if made is not None:
                self.gateway.enforcer.cancelled_before_start(made[0], made[1], self.caller)

    async def _answer_what_was_read(self) -> None:
        """The input ended. Whether it was a file, a terminal or a pipe the client closed after
        its last request (what MCP's stdio shutdown and every script does), the requests are
        all read, not withdrawn: each one in progress is answered before serving ends, for as
        long as the output takes answers and within `end_wait`; the ones still in progress then
        are cancelled (audited `cancelled`) and answered with an error saying so. A client that
        stops reading its answers too has left: what it sent is cancelled at once (`serve`).
        The client can no longer answer the gateway's own requests: those fail at once (an
        approval it was to be asked goes to the approvals queue)."""
        self._input_ended = True
        if self._reader_left():
            return  # a client that exits closes both ends: what it sent is cancelled (`serve`)
        for future in self._outbound.values():
            if not future.done():
                future.set_exception(ClientRequestError("the client's input ended"))
        loop = asyncio.get_running_loop()
        deadline = None if self.end_wait is None else loop.time() + self.end_wait
        while not self._client_gone():
            tasks = set(self._tasks)
            inline = any(isinstance(call, inline_call.InlineCall) for call in self._inflight.values())
            if not tasks and not inline:
                await self._flush()
                return
            if deadline is not None and loop.time() >= deadline:
                await self._cancel_unanswered()
                await self._flush()
                return
            # An inline call has no task to wait for: it leaves `_inflight` when it is answered.
            if tasks:
                await asyncio.wait(tasks, timeout=0.01 if inline else 0.1)
            else:
                await asyncio.sleep(0.01)

    async def _flush(self, until: float | None = None) -> None:
        """The answers written leave the gateway's own buffer for the client's pipe before
        serving ends: the process exits after it, and whatever is still buffered then is lost
        (the client's input would end in the middle of a line). Waits as long as the client
        takes them, giving up after `_FLUSH_STALL_SECONDS` in which it took nothing, or at the
        loop's time `until` when given (a stop is bounded whatever the client does); what is
        given up is logged, the client being owed it."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        left, since = -1, began
        while self._out is not None and not self._client_gone():
            size = self._out.get_write_buffer_size()
            if not size:
                return
            now = loop.time()
            if size != left:
                left, since = size, now
            if now - since >= _FLUSH_STALL_SECONDS or (until is not None and now >= until):
                log.warning("the client had not taken its last answers after %.1f s (none for the last %.1f s): "
                            "the %d bytes left of them are dropped", now - began, now - since, size)
                return
            await asyncio.sleep(0.01)

    def _reader_left(self) -> bool:
        """Whether the client's end of our output is closed already, asked of the pipe itself:
        the transport learns it only in a later turn of the loop, after requests read with the
        end of the input could have begun."""
        pipe = self._out.get_extra_info("pipe") if self._out is not None else None
        try:
            fd = pipe.fileno()  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            return False  # a terminal or a file (written with blocking writes): no reader to lose
        poll = getattr(select, "poll", None)
        if poll is None:
            return self._closed  # no poll here: the transport tells, a turn later
        poller = poll()
        poller.register(fd, 0)  # errors and hang-ups are reported whatever the mask
        if any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0)):
            self._closed = True
        return self._closed

    async def _cancel_unanswered(self) -> None:
        """`end_wait` is over: cancel the requests still in progress and tell the client so,
        each under its own id (the client still reads; only its input ended)."""
        pending = len(self._inflight)
        log.warning("%d request%s still in progress %s s after the client's input ended: cancelled",
                    pending, "" if pending == 1 else "s", f"{self.end_wait:g}")
        await self.cut_off(f"no answer within {self.end_wait:g} s of the end of the client's "
                           "input: the gateway cancelled the request")

    async def cut_off(self, message: str, *, only: Callable[[Any], bool] | None = None, wait: float = 10) -> None:
        """Cancel the requests in progress (those `only` picks, given each one's task or inline
        call) and answer each under its own id with the JSON-RPC error `message`: the client
        still reads, and is owed an answer for every request it sent. A call the server was
        running is audited `cancelled`, as any cancelled call is. The tasks cancelled get `wait`
        seconds to end (a client that reads nothing keeps their answers from being written)."""
        error = _error(INTERNAL_ERROR, message)
        tasks = []
        for request_id, call in list(self._inflight.items()):
            if only is not None and not only(call):
                continue
            if isinstance(call, inline_call.InlineCall):
                call.cancel()
                # Handed over without waiting for the client to read: it may read nothing.
                self._send_now({"jsonrpc": "2.0", "id": request_id, "error": error})
            else:
                self._cut_off[request_id] = error  # the task answers it as it ends (`_handle`)
                self.cancel_request(call)
                tasks.append(call)
        if tasks:
            with anyio.CancelScope(shield=True), anyio.move_on_after(wait):
                await asyncio.gather(*tasks, return_exceptions=True)

    def forwarding(self, call: Any) -> bool:
        """Whether a request in progress (its task or inline call) is with the server."""
        return isinstance(call, inline_call.InlineCall) or call in self._forwarding

    async def stopped(self, message: str, seconds: float) -> None:
        """The gateway is stopping (`Gateway.stop` has been called): nothing goes to the server
        any more and held calls are withdrawn, each answering for itself. The requests the
        server was running are cut off and answered with `message` at once; those still
        settling their withdrawal get up to `seconds` to answer, then are cut off too. Returns
        once the answers are written to the client (or `seconds` more have passed)."""
        if self._closed:
            return
        await self.cut_off(message, only=self.forwarding, wait=seconds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=deadline - loop.time())
        await self.cut_off(message, wait=seconds)
        await self._flush(until=deadline + seconds)

    def _serve_now(self, line: bytes) -> bool:
        """Serve a client's line in the callback that read it when that settles it: a
        `tools/call` of a handshake-era client served inline (`policytui.gateway.inline_call`),
        answered at once or forwarded. Anything else, and everything while the client's output
        is backed up, is left to `serve` (False), which takes it the ordinary way."""
        if line is wire.OVERLONG or self._client_gone():
            return False
        if not line.strip(b" \t\r"):
            return True
        if self._out is None or self._out.get_write_buffer_size() > _WRITE_BACKLOG:
            return False  # the ordinary way waits for the client to read
        try:
            message = wire.parse(line)
        except wire.Refusal:
            return False
        if message.get("method") != "tools/call" or "id" not in message:
            return False
        params = message.get("params")
        request_id = message["id"]
        # A request naming a protocol version at all (2026-07-28, or a version of no known
        # kind) is checked and served the ordinary way, and so is one refused for a member
        # of its params in another letter case or under its field name.
        if (modern.names_version(params) or request_id in self._inflight or self._over_limit()
                or _member_in_another_case("tools/call", params) is not None
                or _member_by_field_name("tools/call", params) is not None):
            return False
        served = inline_call.start(self, request_id, message, params)
        if served is False:
            return False
        if isinstance(served, dict):
            self._send_now({"jsonrpc": "2.0", "id": request_id, **served})
        if self._closed:
            self.reader.stop()  # nobody reads the answers: serving ends, as in `serve`
        return True

    async def _refuse(self, refusal: wire.Refusal, line: bytes, message: dict[str, Any] | None = None) -> None:
        """Answer a message the gateway will not act on, audit it when it is or may be a tool
        call, and say so in the log (`Gateway.refused`). `message`: the message as read, when
        it was read without doubt."""
        log.debug("refused a client message (%s): %s", refusal.message,
                  RedactedMessage(b"" if line is wire.OVERLONG else line, self.gateway.secrets))
        self.gateway.refused(refusal, self.caller, line=line, message=message)
        await self._fail(refusal.request_id, refusal.error)

    async def _refuse_before_serving(self, before_serving: RefusedBeforeServing, method: str, line: bytes,
                                     message: dict[str, Any]) -> None:
        """Answer, audit and log a message refused before serving, as its kind says
        (`RefusedBeforeServing`)."""
        if before_serving.kind == "wire":
            await self._refuse(before_serving.refusal, line, message)
            return
        if before_serving.kind == "version":
            log.debug("refused a client message (%s): %s", before_serving.refusal.message, method)
            self.gateway.refused(before_serving.refusal, self.caller, message=message)
        await self._fail(before_serving.request_id, before_serving.error)

    async def _receive(self, line: bytes) -> None:
        if line is wire.OVERLONG:
            await self._refuse(TOO_LARGE, line)
            return
        try:
            message = wire.parse(line)
        except wire.BatchRefusal as batch:
            # One attempt: audited and logged once (a line for each call in it), answered for
            # each member with an id.
            log.debug("refused a client message (%s): %s", batch.message, RedactedMessage(line, self.gateway.secrets))
            self.gateway.refused(batch, self.caller, line=line)
            for each in wire.batch_refusals(line):
                await self._fail(each.request_id, each.error)
            return
        except wire.Refusal as refusal:
            await self._refuse(refusal, line)
            return
        await self.receive_message(message, line)

    async def receive_message(self, message: dict[str, Any], line: bytes = b"") -> asyncio.Task[None] | None:
        """Act on one checked message; returns the task serving it when it is a request that
        goes on in the background (answered later), else None (answered already, or nothing
        to answer)."""
        method = message.get("method")
        if method is None:
            await self._answer_from_client(message)
            return None
        params = message.get("params")
        before_serving = _refusal_before_serving(message, self.gateway.secrets)
        if before_serving is not None:
            await self._refuse_before_serving(before_serving, method, line, message)
            return None
        if "id" not in message:
            await self._notification(method, params)
            return None
        request_id = message["id"]
        version = modern.requested_version(params)
        # Every other method was refused "Method not found" above (`_refusal_before_serving`).
        if method == "ping":
            await self._result(request_id, {})
        elif method == "initialize":
            await self._answer_initialize(request_id, params)
        elif method == "server/discover":
            await self._answer_discover(request_id)
        elif request_id in self._inflight:
            await self._refuse(
                wire.Refusal(INVALID_REQUEST, "Invalid Request: the id of a request still in progress", None), line,
                message,
            )
        elif self._over_limit():
            await self._refuse(too_many_in_progress(self.gateway.max_in_progress, request_id), line, message)
        else:
            if method == "tools/call" and version is None:
                served = inline_call.start(self, request_id, message, params)
                if isinstance(served, dict):
                    await self._write({"jsonrpc": "2.0", "id": request_id, **served})
                if served is not False:
                    return None
            # A plain asyncio task per request: the cheapest way to serve requests concurrently.
            task = asyncio.get_running_loop().create_task(self._handle(request_id, method, params, message, version))
            self._tasks.add(task)
            self._unbegun[task] = _tool_call(method, params, self.gateway.modern_calls.parked)
            task.add_done_callback(lambda done: self._unbegun.pop(done, None))
            self._inflight[request_id] = task
            task.add_done_callback(self._tasks.discard)
            if version is not None:
                # The server's requests during a 2026-07-28 call go to that call (server_asks),
                # never to this connection's handshake-era side.
                self._modern.add(task)
                task.add_done_callback(self._modern.discard)
            # A task cancelled before its first step (a `notifications/cancelled` read in the same
            # chunk as its request) never runs `_handle`'s `finally`: its id would stay "in
            # progress" for good, refusing every later request under it, and each such pair
            # would leave an entry behind.
            task.add_done_callback(lambda done: self._forget(request_id, done))
            return task
        return None

    def _over_limit(self) -> bool:
        """Whether this client has as many requests in progress as the gateway takes at once
        (`Gateway.max_in_progress`): each one awaiting the server's answer, a person's approval
        or the gateway's decision counts, until it is answered, times out (`--call-timeout`) or
        its client cancels it. Pings, `initialize` and notifications (a cancellation above all)
        are never counted nor refused: a client can always cancel what it started."""
        limit = self.gateway.max_in_progress
        return len(self._inflight) >= limit

    def cancel_request(self, task: asyncio.Task[None]) -> None:
        """Cancel the task serving a request (its client cancelled it or left, or the gateway
        stops). A task that has not begun yet (its cancellation came in the same read as its
        request) never runs, so nothing of it is sent: a call it served has its audit line here, as cancelled before the
        gateway began on it (not decided, not charged, not sent), like every call a client
        makes."""
        if task not in self._unbegun:
            task.cancel()
            return
        made = self._unbegun.pop(task)
        task.cancel()
        if made is not None:
            self.gateway.enforcer.cancelled_before_start(made[0], made[1], self.caller)

    def _forget(self, request_id: Any, task: asyncio.Task[None]) -> None:
        if self._inflight.get(request_id) is task:
            del self._inflight[request_id]

    async def _answer_from_client(self, message: dict[str, Any]) -> None:
        request_id = message.get("id")
        future = self._outbound.get(request_id) if type(request_id) is int else None
        if future is None or future.done():
            log.debug("dropped a response from the client to no request of ours")
            return
        future.set_result((message.get("result"), message.get("error")))

    async def _notification(self, method: str, params: Any) -> None:
        if method == "notifications/cancelled":
            request_id = params.get("requestId") if isinstance(params, dict) else None
            # Only an id a request may carry names one: `true` is not the request 1 (Python
            # reads True == 1), nor 7.0 the request 7.
            task = self._inflight.get(request_id) if wire.valid_id(request_id) else None
            # The enforcer records "cancelled"; no answer is sent.
            if isinstance(task, inline_call.InlineCall):
                task.cancel()
            elif task is not None:
                self.cancel_request(task)
            return
        if method in _LOCAL_NOTIFICATIONS:
            return
        # As requests are: this hop's protocol envelope (`io.modelcontextprotocol/` keys of
        # `_meta`) is not the server's to read.
        self.gateway.sending_for(self.caller.grant)
        await self.gateway.upstream.notify(method, hop_params(params) if isinstance(params, dict) else params)

    async def _answer_initialize(self, request_id: Any, params: Any) -> None:
        try:
            result = self._initialize(params if isinstance(params, dict) else {})
        except ValueError:
            await self._fail(request_id, _error(INVALID_PARAMS, "Invalid request parameters", ""))
            return
        capabilities = params.get("capabilities") if isinstance(params, dict) else None
        self.client_capabilities = capabilities if isinstance(capabilities, dict) else {}
        await self._result(request_id, result)

    # Requests ---------------------------------------------------------------------------------

    async def _handle(
        self, request_id: Any, method: str, params: Any, message: dict[str, Any], version: str | None = None
    ) -> None:
        self._unbegun.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
        REQUESTER.set(self)  # this task's own context: what the server sends with its request is this client's
        exchange = _Exchange(message, version)
        try:
            try:
                result = await self._dispatch(method, params, exchange)
                if (exchange.verbatim is not None and result is exchange.response.get("result")
                        and method not in _DECIDED_RESULTS):
                    await self._write_line(exchange.verbatim)  # the server's answer, as sent
                    return
                if version is not None and isinstance(result, dict):
                    result = modern.to_modern(method, version, result, self._server_info())
                answer: dict[str, Any] = {"result": result}
            except InputRequired as needed:
                answer = {"result": needed.result}
            except UpstreamFailure as failure:
                if exchange.verbatim is not None and refused_by_server(exchange.response):
                    await self._write_line(exchange.verbatim)
                    return
                answer = {"error": _error_of(failure.error)}
            except _Refused as refused:
                log.debug("refused a client message (%s): %s", refused.error.get("message"), method)
                self.gateway.refused(wire.Refusal(refused.error["code"], refused.error["message"]), self.caller,
                                     message=message)
                answer = {"error": refused.error}
            except Exception as exc:  # noqa: BLE001 - an upstream error, or a bug: answer, never hang
                if exchange.verbatim is not None and refused_by_server(exchange.response):
                    await self._write_line(exchange.verbatim)
                    return
                if not _is_mcp_error(exc):
                    log_unexpected(log, "handling %s failed", method)
                answer = {"error": _error_of(exc)}
        except asyncio.CancelledError:
            answer = {"error": self._cut_off.pop(request_id, None)}
            if answer["error"] is None:
                return  # cancelled by the client, who expects no answer, or the gateway is stopping
        finally:
            if self._inflight.get(request_id) is asyncio.current_task():
                del self._inflight[request_id]
        await self._write({"jsonrpc": "2.0", "id": request_id, **answer})

    async def _upstream(self, method: str, params: Any, exchange: _Exchange) -> dict[str, Any]:
        """The upstream result for a client's request. A server started as a command gets the
        request re-encoded from `exchange.message` (the very object that was decided) under the
        client's id when that id is free; its answer line is then kept in `exchange` and passed
        back as sent."""
        upstream = self.gateway.upstream
        relay = getattr(upstream, "relay", None) if self.verbatim_answers and exchange.modern is None else None
        self.gateway.sending_for(self.caller.grant)
        task = asyncio.current_task()
        if task is not None:
            self._forwarding.add(task)
        try:
            if relay is None:
                return await upstream.request(method, params, progress=self._progress(params))
            exchange.response, exchange.verbatim = await relay(exchange.message)
        finally:
            self._forwarding.discard(task)  # type: ignore[arg-type]
        return result_of(exchange.response)

    async def _dispatch(self, method: str, params: Any, exchange: _Exchange) -> Any:
        if params is not None and not isinstance(params, dict):
            raise _Refused(_error(INVALID_PARAMS, "Invalid request parameters", ""))
        if method == "tools/call":
            return await self._call_tool(params or {}, exchange)
        if method == "logging/setLevel" and self.gateway.grants_share_server:
            # Several grants share the one server: none may change what it logs of the others'
            # calls. Answered here, never forwarded (docs/gateway.md, "What passes through").
            return {}
        if method == "resources/unsubscribe" and self.gateway.subscribed_elsewhere(self, _uri_of(params)):
            # Another client (of any grant) still follows it: forwarded, the server would stop
            # sending that client its updates. Answered here, as the server answers it.
            self._subscribed.discard(_uri_of(params))
            return {}
        if method == "resources/subscribe":
            return await self._subscribe(params, exchange)
        result = await self._upstream(method, params, exchange)
        if method == "tools/list":
            shown = self.gateway.visible_tools(result)
            await self.gateway.announce_drift()
            return shown
        if method == "resources/unsubscribe":
            self._subscribed.discard(_uri_of(params))
        return result

    async def _subscribe(self, params: Any, exchange: _Exchange) -> Any:
        """Forward a `resources/subscribe`, its client a follower of the resource once the
        server has answered. The server's answer is waited for in a task of its own, which the
        client's leaving (its request cancelled, once it is detached) does not cut short: a
        server that subscribes after the client left keeps a subscription nobody follows, so it
        is ended once its answer comes (`Gateway.subscribed_for_nobody`), as had the client left
        a moment later. A client that cancels its subscribe and stays cancels it upstream too."""
        uri = _uri_of(params)
        upstream = asyncio.ensure_future(self._upstream("resources/subscribe", params, exchange))

        def answered(task: asyncio.Future[Any]) -> None:
            # Before the request's own task resumes (added first), so a client told it is
            # subscribed is counted a follower already.
            if task.cancelled() or task.exception() is not None:
                return
            if self.gateway.attached(self):
                self._subscribed.add(uri)
            else:
                self.gateway.subscribed_for_nobody(uri)

        upstream.add_done_callback(answered)
        try:
            return await asyncio.shield(upstream)
        except asyncio.CancelledError:
            if self.gateway.attached(self):
                upstream.cancel()  # the client cancelled it, and stays: passed on as before
            raise

    async def _call_tool(self, params: dict[str, Any], exchange: _Exchange) -> Any:
        name = params.get("name")
        args = params.get("arguments")
        if not isinstance(name, str) or not (args is None or isinstance(args, dict)):
            raise _Refused(_error(INVALID_PARAMS, "Invalid request parameters", ""))
        if TASK_PARAM in params:
            raise _Refused(_error(INVALID_PARAMS, "Invalid params: the gateway does not offer tasks", ""))
        args = args if args is not None else {}
        unknown = self.gateway.unknown_tools
        if unknown is not None and not self.gateway.dry_run and not unknown.lists(name):
            # A tool the server does not have is answered here as the server answers it, with
            # no charge, exactly like a hidden one: forwarding it would let an agent tell the
            # two apart by the answer's bytes or by the budget it costs.
            unknown.audit_unlisted(self.gateway.enforcer, name, args, self.caller)
            return unknown.unknown(name)
        sent = params
        if exchange.modern is not None:
            # The answers of an approval round trip are for the gateway, not the server.
            sent = {k: v for k, v in params.items() if k not in ("inputResponses", "requestState")}

        async def forward() -> dict[str, Any]:
            return await self._upstream("tools/call", sent, exchange)

        async def ask(decision: Decision) -> Any:
            if exchange.modern is not None:
                return await self._ask_modern(decision, name, args, params)
            return await self.gateway.approver.ask(decision, name, args, self.caller, self._elicitor())

        def handle() -> Coroutine[Any, Any, Any]:
            return self.gateway.enforcer.handle_call(name, args, self.caller, forward, ask)

        if exchange.modern is None:
            return await handle()
        # A 2026-07-28 client's call runs as a task of its own: the server's requests during it
        # become input_required round trips (policytui.gateway.server_asks).
        try:
            return await self.gateway.modern_calls.serve(name, args_digest(args), self.caller.grant, params, handle)
        except ForeignState:
            raise _Refused(_error(INVALID_PARAMS, "Invalid params: requestState belongs to another call", "")) from None

    async def _ask_modern(self, decision: Decision, name: str, args: dict[str, Any], params: dict[str, Any]) -> Any:
        """Approval for a 2026-07-28 client: an `input_required` round trip when the client can
        show a form, else the approvals queue."""
        from policytui.decision import Approval
        from policytui.gateway.approver import approval_message
        from policytui.gateway.server import APPROVAL_SCHEMA

        states = self.gateway.approval_states
        digest = args_digest(args)
        responses = params.get("inputResponses")
        if isinstance(responses, dict) and modern.APPROVAL_KEY in responses:
            if not states.redeem(params.get("requestState"), name, digest, self.caller.grant):
                log.warning("an approval answer for %r came with a forged, used or expired requestState", name)
                return Approval.REJECTED, "input_required"
            answer = responses[modern.APPROVAL_KEY]
            content = answer.get("content") if isinstance(answer, dict) else None
            approved = isinstance(answer, dict) and answer.get("action") == "accept" and (
                isinstance(content, dict) and content.get("approve") is True
            )
            return (Approval.APPROVED if approved else Approval.REJECTED), "input_required"
        approver = self.gateway.approver
        if approver.mode == "auto" and isinstance(modern.client_capabilities(params).get("elicitation"), dict):
            message = approval_message(name, args, decision, approver.server_name, approver.secrets)
            raise InputRequired({
                "resultType": "input_required",
                "inputRequests": {modern.APPROVAL_KEY: {
                    "method": "elicitation/create",
                    "params": {"mode": "form", "message": message, "requestedSchema": APPROVAL_SCHEMA},
                }},
                "requestState": states.issue(name, digest, self.caller.grant),
            })
        return await approver.ask(decision, name, args, self.caller, None)

    def _server_info(self) -> dict[str, Any]:
        if self._server_info_cache is None:
            from mcp_types.version import LATEST_HANDSHAKE_VERSION

            opened = self._initialize({"protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {},
                                       "clientInfo": {"name": "policytui", "version": ""}})
            self._server_info_cache = opened.get("serverInfo") or {"name": "policytui-gateway", "version": ""}
        return self._server_info_cache

    async def _answer_discover(self, request_id: Any) -> None:
        """Answer a `server/discover` (one naming a version not served was refused before:
        `_refusal_before_serving`)."""
        from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

        opened = self._initialize({"protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {},
                                   "clientInfo": {"name": "policytui", "version": ""}})
        await self._result(request_id, modern.discover_result(opened, list(HANDSHAKE_PROTOCOL_VERSIONS)))

    def _progress(self, params: Any) -> Callable[[float, float | None, str | None], Awaitable[None]] | None:
        meta = params.get("_meta") if isinstance(params, dict) else None
        if not isinstance(meta, dict) or "progressToken" not in meta:
            return None
        token = meta["progressToken"]

        async def relay(progress: float, total: float | None, message: str | None) -> None:
            out: dict[str, Any] = {"progressToken": token, "progress": progress}
            if total is not None:
                out["total"] = total
            if message is not None:
                out["message"] = message
            await self.notify("notifications/progress", out)

        return relay

    # Asking the client ------------------------------------------------------------------------

    def _elicitor(self) -> Callable[[str, float], Awaitable[bool]] | None:
        """Elicitation for approvals, when the client announced it can show a form."""
        elicitation = self.client_capabilities.get("elicitation")
        if not isinstance(elicitation, dict):
            return None
        if "form" not in elicitation and "url" in elicitation:
            return None  # URL-only clients cannot show our form
        from policytui.gateway.server import APPROVAL_SCHEMA

        async def elicit(message: str, seconds: float) -> bool:
            result = await self.request("elicitation/create", {"message": message, "requestedSchema": APPROVAL_SCHEMA})
            if not isinstance(result, dict):
                raise ClientRequestError("the client's elicitation result is not an object")
            content = result.get("content")
            return result.get("action") == "accept" and isinstance(content, dict) and content.get("approve") is True

        return elicit

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """Send the client a request of the gateway's own and wait for its result."""
        if self._closed:
            raise ClientRequestError("the client is gone")
        if self._input_ended:
            raise ClientRequestError("the client's input ended: it cannot answer")
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[tuple[Any, Any]] = asyncio.get_running_loop().create_future()
        self._outbound[request_id] = future
        try:
            await self._write({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
            result, error = await future
        except BaseException:
            if not future.done() and not self._closed:
                # Given up (a time-out or a cancellation): tell the client to stop asking.
                with anyio.CancelScope(shield=True):
                    await self.notify("notifications/cancelled", {"requestId": request_id, "reason": "no longer needed"})
            raise
        finally:
            self._outbound.pop(request_id, None)
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else None
            raise ClientRequestError(
                str(message or "the client answered with an error"), error if isinstance(error, dict) else None
            )
        return result


# Results the gateway filters (hidden and drifted tools) reach the client re-encoded from the
# object it filtered, never as the server's line: a line with a key given twice (`"tools"`, a
# tool's `"name"` or `"description"`) reads as one thing here and may read as another to a
# client whose parser keeps the first copy.
_DECIDED_RESULTS = frozenset({"tools/list"})


class _Exchange:
    """One client request on its way: the message as parsed and decided, and the upstream
    response with its line when it can be passed back verbatim."""

    __slots__ = ("message", "modern", "response", "verbatim")

    def __init__(self, message: dict[str, Any], modern: str | None = None) -> None:
        self.message = message
        self.modern = modern  # the 2026-07-28 protocol version the request names, if any
        self.response: dict[str, Any] = {}
        self.verbatim: bytes | None = None


class _Refused(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.error = error


def _uri_of(params: dict[str, Any] | None) -> str:
    """The resource a `resources/subscribe` or `resources/unsubscribe` names."""
    return str(params.get("uri")) if params else ""
