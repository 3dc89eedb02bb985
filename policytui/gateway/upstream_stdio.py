"""The upstream connection to a server started as a child process, as raw JSON-RPC lines.

For a server given as a command (stdio), the gateway speaks to it without the SDK's client
layers: each request is one `json` line written to the child's standard input, each line it
prints is parsed once and routed by id to the waiting request. Start-up, the environment,
error sentences (with the server's stderr tail) and stopping the whole process group are the
same as everywhere else in policytui: they come from `policytui.discovery`.

It offers the interface of `policytui.gateway.upstream.Upstream` (start, stop, request,
notify, capabilities, server_info, instructions, alive), so the rest of the gateway does not
know which one it has. Requests the server makes of its client (sampling, elicitation, roots)
go to `on_request` (the gateway relays them to the client concerned); pings are answered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.abc

from policytui.discovery.client_capabilities import client_capabilities
from policytui.discovery.limits import (
    MAX_SERVER_MESSAGE_BYTES,
    broken_off_reason,
    refused_sentence,
    too_large_words,
)
from policytui.discovery.shallow import shallow_read
from policytui.discovery.unmatched import lone_request, matched_id
from policytui.gateway.enforcer import INVALID, UpstreamFailure
from policytui.gateway.linefeed import LineFeed, tap_stdout
from policytui.gateway.unexpected import log_unexpected
from policytui.gateway.upstream_common import (
    MessageHandler,
    Progress,
    RpcError,
    hop_params,
    unavailable_error,
)
from policytui.gateway.wire import OVERLONG, Refusal, decoder, encode, valid_id
from policytui.output_file import os_reason
from policytui.redaction import without_credential_lines
from policytui.textsafe import visible

log = logging.getLogger("policytui.gateway")


# The protocol version the gateway asks its server for: `mcp_types.version.LATEST_HANDSHAKE_VERSION`,
# written out so that the initialize request goes before the protocol's types are loaded
# (`load_while_the_server_starts`; tests/test_gateway_start_imports.py keeps the two equal).
LATEST_HANDSHAKE_VERSION = "2025-11-25"
# How the SDK's client answers requests it has no callback for.
_NOT_SUPPORTED = {
    "sampling/createMessage": "Sampling not supported",
    "elicitation/create": "Elicitation not supported",
    "roots/list": "List roots not supported",
}
MAX_RETIRED = 100_000
# Ids of requests answered that are remembered (`_answered_last`).
MAX_ANSWERED = 4096
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603
CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001
# How long the end of a server's output waits for the process to exit, so that the requests
# waiting learn how it ended. A server that closes its output and lives on is down all the same.
EXIT_AFTER_OUTPUT_SECONDS = 0.5


# The server's answers are read with the C scanner called directly (see `wire.decoder`).
_loads = decoder(json.JSONDecoder())
# What a client is told of a call the server answered with no valid result.
INVALID_RESULT = "the upstream MCP server sent an invalid result"


def load_while_the_server_starts() -> None:
    """Load what the rest of the start needs (the protocol's types, to read the server's answer
    to initialize and to make the client's; the relay) once the server has been started and
    sent its initialize: the server takes a while to start, and the gateway would only wait
    for it. Loaded before the server was started, these held up its start by about a quarter
    of a second."""
    import mcp_types.methods  # noqa: F401 - loaded for later
    import mcp_types.version  # noqa: F401

    import policytui.gateway.relay  # noqa: F401
    import policytui.gateway.stdio  # noqa: F401


def _mcp_error(code: int, message: str, data: Any = None) -> Exception:
    return RpcError(code, message, data)


def _to_explain(error: BaseException) -> BaseException:
    """A start that failed on an error: as the SDK's `MCPError`, the form `explain` reads (the
    SDK is loaded only now, on the way out, not on every start)."""
    if not isinstance(error, RpcError):
        return error
    from mcp.shared.exceptions import MCPError

    return MCPError(code=error.code, message=error.message, data=error.data)


class _Unwritable(anyio.BrokenResourceError):
    """The server's input was known closed before a byte of a message was written (a broken
    resource to the writers of notifications and answers, who drop theirs)."""


class StdioUpstream:
    """One server child process, spoken to in raw JSON-RPC lines."""

    def __init__(
        self,
        spec: Any,
        *,
        timeout: float = 30.0,
        call_timeout: float | None = None,
        on_notification: MessageHandler | None = None,
        close_grace: float = 2.0,
        max_message: int = MAX_SERVER_MESSAGE_BYTES,
    ) -> None:
        self.spec = spec
        # A line from the server longer than this breaks the connection off (`_refuse_overlong`).
        self.max_message = max_message
        self.broken_off = ""  # why the gateway stopped the server itself, when it did
        self.timeout = timeout
        self.call_timeout = call_timeout
        self.close_grace = close_grace
        # Where server notifications go (raw dicts with "method" and "params").
        self.on_notification = on_notification
        # Where progress for requests relayed under a client's own token goes, as raw lines.
        self.on_progress_line: Callable[[bytes], Awaitable[None]] | None = None
        # Where the server's own requests (sampling, elicitation, roots) go: returns the
        # response members, {"result": ...} or {"error": ...}. None: refused "not supported".
        self.on_request: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]] | None = None
        self._server_requests: set[asyncio.Task[None]] = set()
        self._alive = False
        self._output_ended = False
        self._connected = False
        self.down_reason = ""
        self._ended = False  # the process ended (`_died`)
        self._told_down = False
        # Called once, with `down_reason`, when the server process ends while serving (not
        # stopped by the gateway): an HTTP gateway then stops (`policytui.gateway.runner`).
        self.on_down: Callable[[str], None] | None = None
        self.initialize_result: dict[str, Any] = {}
        self._init_model: Any = None
        self._process: anyio.abc.Process | None = None
        self._stdin: tuple[anyio.abc.Process | None, asyncio.StreamWriter | None] = (None, None)
        self._pending: dict[Any, Any] = {}  # request id -> future of (response message, line)
        # Ids of requests given up on that the server has not answered yet (insertion order).
        self._retired: dict[Any, None] = {}
        # Ids of the requests answered last (insertion order): an answer that names one again
        # is a repeat, not the answer of the one request waiting.
        self._answered_last: dict[Any, None] = {}
        self._progress: dict[Any, Progress] = {}
        # Requests sent by `relay_now` that wait under a time limit, oldest first (one limit for
        # all, so also soonest due first), and the one timer for the soonest: a timer per call
        # would cost more than the rest of the waiting.
        self._due: dict[Any, _Waiter] = {}
        self._sweeper: asyncio.TimerHandle | None = None
        self._next_id = 0
        self._stop = anyio.Event()
        self._hurry = anyio.Event()
        self.stopped = anyio.Event()
        self._starting: anyio.CancelScope | None = None

    # Life cycle -------------------------------------------------------------------------------

    async def start(self, tg: anyio.abc.TaskGroup) -> None:
        """Start the server, initialize it and list its tools (raising DiscoveryError)."""
        await tg.start(self._hold)

    async def _hold(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        from policytui.discovery.diagnostics import Diagnostics
        from policytui.discovery.errors import DiscoveryError
        from policytui.discovery.explain import explain
        from policytui.discovery.stdio import (
            check_can_spawn,
            child_environment,
            not_found_message,
            stop_process,
        )

        spec = self.spec
        diag = Diagnostics(spec)
        env = child_environment(spec.env)
        process: anyio.abc.Process | None = None
        try:
            check_can_spawn(spec.command, spec.cwd, env, diag)
            try:
                process = await anyio.open_process(
                    [spec.command, *spec.args], env=env, cwd=spec.cwd, stderr=diag.open_stderr_file(),
                    start_new_session=True,
                )
            except FileNotFoundError:
                raise DiscoveryError(not_found_message(spec.command, diag)) from None
            except PermissionError:
                raise DiscoveryError(f"The server command {visible(spec.command)!r} is not executable.") from None
            except OSError as exc:
                raise DiscoveryError(
                    f"The server command {visible(spec.command)!r} could not be started: {os_reason(exc)}."
                ) from None
            diag.pid = process.pid
            self._process = process
            async with anyio.create_task_group() as tg:
                # stop() while the server is still starting ends the start (a signal then).
                self._starting = tg.cancel_scope
                if self._stop.is_set():
                    tg.cancel_scope.cancel()
                tg.start_soon(self._read, process, diag)
                tg.start_soon(self._watch_exit, process, diag)
                tg.start_soon(self._watch_input, process, diag)
                self.alive = True
                try:
                    # The start (initialize, tools/list) is bounded by --timeout alone, never
                    # by the call time-out: each of its requests waits as long as the start
                    # may (`_handshake`), so what runs out is this limit, the one its sentence names.
                    with anyio.fail_after(self.timeout):
                        await self._handshake(diag)
                except TimeoutError:
                    raise explain(TimeoutError(), diag, self.timeout) from None
                except UpstreamFailure as failure:
                    if self.broken_off:
                        raise explain(DiscoveryError(refused_sentence(
                            f"Server {visible(spec.name)!r}", too_large_words(self.max_message), diag.stage,
                            "it was stopped",
                        )), diag, self.timeout) from None
                    if process.returncode is None:
                        await _wait_briefly(process)
                    diag.returncode = process.returncode
                    cause = failure.error
                    if failure.kind in ("unavailable", "lost"):
                        cause = _mcp_error(CONNECTION_CLOSED, "Connection closed")
                    raise explain(_to_explain(cause), diag, self.timeout) from None
                diag.stage = "connected"
                self._connected = True
                task_status.started()
                await self._stop.wait()
                self.alive = False
                tg.cancel_scope.cancel()
        finally:
            self.alive = False
            self._fail_pending("the connection closed")
            with anyio.CancelScope(shield=True):
                if process is not None:
                    graceful = self._stop.is_set() and not self.broken_off
                    await stop_process(process, graceful=graceful, grace=self.close_grace, hurry=self._hurry)
            diag.close()
            self.stopped.set()

    async def _handshake(self, diag: Any) -> None:
        from policytui import __version__
        from policytui.discovery.errors import DiscoveryError
        from policytui.textsafe import visible

        diag.stage = "initialize"
        raw = await self.request(
            "initialize",
            {
                "protocolVersion": LATEST_HANDSHAKE_VERSION,
                # Announced so that the server may ask; each request is relayed to the client
                # it concerns, or refused with a clear error when that client cannot answer.
                # Listing declares the same, so the user sees every tool an agent can get.
                "capabilities": client_capabilities("stdio"),
                "clientInfo": {"name": "policytui", "version": __version__},
            },
            meanwhile=load_while_the_server_starts,
            timeout=self.timeout,
        )
        import mcp_types as types
        from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

        try:
            model = types.InitializeResult.model_validate(raw, by_name=False)
        except ValueError:
            raise DiscoveryError("The server's answer to initialize is not valid MCP.") from None
        if model.protocol_version not in HANDSHAKE_PROTOCOL_VERSIONS:
            raise DiscoveryError(
                f"The server speaks MCP protocol version {visible(str(model.protocol_version))!r}, which policytui does not know."
            )
        self.initialize_result, self._init_model = raw, model
        await self.notify("notifications/initialized", None)
        diag.stage = "tools/list"
        await self.request("tools/list", None, timeout=self.timeout)  # the server is ready to serve tools

    def stop(self) -> None:
        self._stop.set()
        if not self._connected and self._starting is not None:
            self._starting.cancel()

    def hurry(self) -> None:
        """A further stop signal: the server, stopped or to be stopped, is not waited for to
        exit on its own (its input closed) but gets SIGTERM at once."""
        self._hurry.set()

    @property
    def alive(self) -> bool:
        """Whether a request can be written to the server now: it is up and its input is
        open. An input the server closed is seen here the moment the pipe says so, before the
        call's `sent` line (`refusal_when_down`), so such a call has one line, `unavailable`."""
        return self._alive and not self._input_closed()

    @alive.setter
    def alive(self, value: bool) -> None:
        self._alive = value

    def _input_closed(self) -> bool:
        writer = self._stdin_writer() if self._process is not None else None
        return writer is not None and writer.is_closing()

    @property
    def ending_words(self) -> str:
        """What is known of why no request can be written while the reason is not yet known
        (the process may be exiting): "" while the server can take requests."""
        if self._output_ended:
            return "its output ended"
        return "it closed its input" if self._input_closed() else ""

    def mark_down(self, reason: str, *, quiet: bool = False) -> None:
        # Said once, for the first reason, while serving (`alive` may be off already: the end
        # of the server's output stops requests before its reason is known).
        if self._connected and not quiet and not self.down_reason and not self._stop.is_set():
            log.error("upstream server is unavailable: %s", reason)
        self.alive = False
        # The first reason stands (a write that fails as the server dies says less than how it
        # died, which `_died` puts first).
        self.down_reason = self.down_reason or reason
        self._fail_pending(self.down_reason)

    def _fail_pending(self, reason: str, kind: str = "lost") -> None:
        """Fail every request waiting for an answer. Each was written to the server, which may
        have read it and run its tool before it died (or closed its output, or was stopped):
        `lost` by default, its charge kept, as over HTTP."""
        for future in list(self._pending.values()):
            if not future.done():
                future.set_exception(UpstreamFailure(kind, unavailable_error(reason)))
        self._pending.clear()

    # Properties of the server -----------------------------------------------------------------

    @property
    def capabilities(self) -> Any:
        return getattr(self._init_model, "capabilities", None)

    @property
    def server_info(self) -> Any:
        return getattr(self._init_model, "server_info", None)

    @property
    def instructions(self) -> str | None:
        return getattr(self._init_model, "instructions", None)

    # Reading ----------------------------------------------------------------------------------

    async def _read(self, process: anyio.abc.Process, diag: Any) -> None:
        assert process.stdout is not None
        # Answers to waiting requests are settled in the callback that read them
        # (policytui.gateway.linefeed); the rest (the server's requests and notifications) are
        # handled here, in order.
        # A line over the limit is dropped as it is read and stands as OVERLONG, once.
        feed = tap_stdout(process, self._answer_now, limit=self.max_message, overlong=OVERLONG)
        try:
            async with anyio.create_task_group() as tg:
                if feed is None:  # a process the tap cannot reach: fed from anyio's stream
                    feed = LineFeed(limit=self.max_message, overlong=OVERLONG)
                    feed.on_line = self._answer_now
                    tg.start_soon(_pump, process, feed)
                async for line in feed.lines():
                    if line is OVERLONG:
                        self._refuse_overlong()
                    elif line.strip():
                        await self._receive(line, diag)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError):
            pass
        finally:
            diag.stdout_closed = True
            self._output_ended = True
            # Nothing the server says can be read any more: no request is written to it from
            # now on (each is refused unsent), also while its exit is waited for below.
            self.alive = False
            if self._connected and not self._stop.is_set() and process.returncode is None:
                # Its output ends as it exits: the requests waiting are failed with how it
                # ended (its exit code, the signal that killed it), not a vaguer sentence.
                with anyio.CancelScope(shield=True), anyio.move_on_after(EXIT_AFTER_OUTPUT_SECONDS):
                    await process.wait()
            if process.returncode is not None:
                self._died(process, diag)
            elif self._connected and not self._stop.is_set():
                # Alive and mute: nothing it does can be read any more.
                self.mark_down("it closed its output")
                self._tell_down()
            else:
                self.mark_down("the connection closed")

    async def _watch_exit(self, process: anyio.abc.Process, diag: Any) -> None:
        """A server that exited while something it started holds its stdout open: give the
        reader a moment for what was written, then fail closed all the same."""
        await process.wait()
        await anyio.sleep(0.2)
        self._died(process, diag)

    async def _watch_input(self, process: anyio.abc.Process, diag: Any) -> None:
        """A server that closes its input while serving can take no request any more: from
        the moment the pipe says so, none is written (`alive`). If the process does not exit
        within a moment (an exit says more), the server is down for good, "it closed its
        input", and the requests it was running are `lost`: it may have run them, and nothing
        tells whether it will ever answer."""
        writer = self._stdin_writer()
        # The pipe's own future, set when it closes (what `wait_closed` awaits). Waited for
        # through a shield: cancelling this task (the gateway stopping) must not cancel it, or
        # the pipe's closing would later fail to set it, with a traceback in the log.
        close_waiter = getattr(getattr(writer, "_protocol", None), "_get_close_waiter", None)
        if writer is None or close_waiter is None:
            return
        try:
            await asyncio.shield(close_waiter(writer))
        except Exception:  # noqa: BLE001 - closed by an error (a broken pipe): closed all the same
            pass
        if not self._connected or self._stop.is_set():
            return  # stopped by the gateway
        if process.returncode is None:
            with anyio.move_on_after(EXIT_AFTER_OUTPUT_SECONDS):
                await process.wait()
        if process.returncode is not None:
            self._died(process, diag)
        elif not self._stop.is_set():
            self.mark_down("it closed its input")  # the first reason stands (its output's end)
            self._tell_down()

    def _died(self, process: anyio.abc.Process, diag: Any) -> None:
        """The server process ended (whichever of its output's end and its exit is seen
        first; the second finds it done): every request waiting, and every later one, fails
        with how it ended, and the log says so in one line, with what it last wrote."""
        if self._ended:
            return
        self._ended = True
        diag.returncode = process.returncode
        how = ended_words(process.returncode)
        serving = self._connected and not self._stop.is_set()
        if not self.broken_off:  # stopped by the gateway for what it sent: that is why
            self.down_reason = how
        self.mark_down(how, quiet=True)
        if serving:
            # Each of the server's lines is marked as its own: with the log and `--audit -` both on
            # standard error, a line the server wrote must never read as a record of the gateway.
            tail = "\n".join(f"  | {line}" for line in diag.stderr_tail().splitlines())
            log.error("the upstream server %s while serving%s", how.removeprefix("it "),
                      f"; the last lines it wrote to stderr:\n{tail}" if tail else " (nothing on stderr)")
            self._tell_down()

    def _tell_down(self) -> None:
        if self.on_down is not None and not self._told_down:
            self._told_down = True
            self.on_down(self.down_reason)

    async def _receive(self, line: bytes, diag: Any) -> None:
        try:
            message = json.loads(line)
        except RecursionError:  # nested too deep to parse: an answer still names its call
            await self._settle_nested(line, diag)
            return
        except ValueError:
            self._skip(line, diag)  # banners and log lines on stdout: skipped, remembered
            return
        if not isinstance(message, dict):
            self._skip(line, diag)
            return
        method = message.get("method")
        if method is None:
            if _names_an_answer(message):
                self._settle(message, line)
            else:
                self._skip(line, diag)  # `{"level": "info", ...}`: a log line, though JSON
            return
        if "id" in message:
            await self._answer_server_request(message["id"], method, message.get("params"))
            return
        if method == "notifications/progress":
            raw_params = message.get("params")
            params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
            token = params.get("progressToken")
            relay = self._progress.get(token) if type(token) in (int, str) else None
            progress = params.get("progress")
            try:
                if relay is not None:
                    # Without a numeric progress the notification is malformed: not passed on.
                    if isinstance(progress, (int, float)):
                        await relay(progress, params.get("total"), params.get("message"))
                elif self.on_progress_line is not None:
                    # Progress of a request relayed with the client's own token: as sent.
                    await self.on_progress_line(line)
            except Exception:  # noqa: BLE001 - a client that went away must not stop reading
                log.debug("relaying progress failed", exc_info=True)
            return
        if self.on_notification is not None:
            try:
                await self.on_notification(message)
            except Exception:
                log_unexpected(log, "relaying an upstream notification failed")

    def _answer_now(self, line: bytes) -> bool:
        """Settle the server's answer to a waiting request in the callback that read it (True);
        anything else is left for `_receive` (False)."""
        if line is OVERLONG:
            self._refuse_overlong()
            return True
        if not line.strip():
            return True
        try:
            message = _loads(line.decode("utf-8"))
        except (ValueError, RecursionError):
            return False  # `_receive` reads it as json.loads does, or skips it
        if not isinstance(message, dict) or "method" in message or not _names_an_answer(message):
            return False
        self._settle(message, line)
        return True

    def _settle(self, message: dict[str, Any], line: bytes) -> None:
        """Route a response to the request waiting under its id (`_answered`)."""
        future = self._answered(message.get("id"))
        if future is not None and not future.done():
            future.set_result((message, line))  # a _Waiter passes None for a remapped id

    async def _settle_nested(self, line: bytes, diag: Any) -> None:
        """A line nested too deep for the parser (976 levels and more), read by its outer
        object alone (`shallow_read`). If it is an answer, the call it names (`_answered`)
        fails at once as `invalid`, its charge kept: the server answered, so the tool ran;
        skipped, the call would wait for the call time-out. A request or notification of the
        server's is skipped, as a line that is not JSON."""
        # Off the event loop: tens of megabytes of brackets take the scan seconds, in which the
        # gateway would answer its client nothing (the server's next lines wait meanwhile).
        read = await anyio.to_thread.run_sync(shallow_read, line.decode("utf-8", "replace"))
        if read is None or not read.answer:
            self._skip(line, diag)
            return
        future = self._answered(read.request_id)
        if future is not None and not future.done():
            future.set_exception(UpstreamFailure(INVALID, _mcp_error(INTERNAL_ERROR, INVALID_RESULT)))

    def _answered(self, request_id: Any) -> Any:
        """The request an answer naming `request_id` answers, taken out of `_pending`: the one
        waiting under that very id (its type included: `"7"` does not answer 7), or None.

        The late answer of a request given up on is dropped quietly, an answer naming a
        request answered already is logged and dropped. An answer whose id is of
        no use otherwise (none, null, of another type, no request's) cannot be refused: the
        server answered, so a tool may have run. By the rule of every transport
        (`policytui.discovery.unmatched`) it fails the one request waiting, when only one is,
        as answered with an invalid result (`invalid`, its charge kept); with several it is
        logged and dropped, and they wait for their answers or their time-out."""
        key = matched_id(request_id)
        if key is not None:
            future = self._pending.pop(key, None)
            if future is not None:
                self._note_answered(key)
                return future
            if key in self._retired:
                del self._retired[key]  # the late answer of a request given up on: dropped
                return None
            if key in self._answered_last:
                # A repeat: taken for the answer of the one request waiting, it would fail
                # that request.
                log.warning("the upstream server answered a request it had answered already: dropped")
                return None
        only = lone_request(request_id, self._pending)
        if only is None:
            return None
        future = self._pending.pop(only)
        # Failed by an answer that may not be its own: its own answer, should it come, is
        # dropped as a late one, never taken for the next call's.
        self._retire(only)
        if not future.done():
            future.set_exception(UpstreamFailure(INVALID, _mcp_error(INTERNAL_ERROR, INVALID_RESULT)))
        return None

    def _note_answered(self, request_id: Any) -> None:
        if len(self._answered_last) >= MAX_ANSWERED:
            self._answered_last.pop(next(iter(self._answered_last)))  # the oldest
        self._answered_last[request_id] = None

    def _refuse_overlong(self) -> None:
        """A message from the server over the limit: the gateway breaks the connection off, as
        if the server had died.

        The message cannot be tied to a request safely: its id may come anywhere in the object,
        beyond the part that was read (the line is dropped, unparsed, as soon as it passes the
        limit), and a server that sends more than the limit is broken or hostile, so nothing
        more it says is trusted. Every waiting request gets the error of an unavailable server,
        each call audited `too_large`, as over HTTP: it was sent, and the message may be its
        answer, so its tool may have run and its rate-limit charge stays. The server is
        stopped, the log says so once, and later requests are refused as after a server's
        death (never sent: refunded): nothing waits for an answer that will never come, and
        the gateway never holds more than the limit of the line.
        """
        if self.broken_off:
            return
        self.broken_off = broken_off_reason(too_large_words(self.max_message), "was stopped", self.max_message)
        self._fail_pending(self.broken_off, "too_large")
        self.mark_down(self.broken_off)
        if self._connected:
            self._tell_down()  # as dead as a server that exited: an HTTP gateway stops
        self._stop.set()

    def _skip(self, line: bytes, diag: Any) -> None:
        diag.note_garbage(line)
        if self._connected:
            # Said at start-up when the server fails; while serving, only the debug log tells.
            shown = visible(without_credential_lines(diag.spec.redact(line[:400].decode("utf-8", "replace"))))
            log.debug("skipped a line from the server that is not a JSON-RPC message: %s", shown[:160])

    async def _answer_server_request(self, request_id: Any, method: str, params: Any) -> None:
        if method == "ping":
            await self._write({"jsonrpc": "2.0", "id": request_id, "result": {}})
            return
        if method in _NOT_SUPPORTED and self.on_request is not None:
            # Answered in a task of its own: the client may take minutes (a human, a model),
            # and this reader must go on routing the server's other messages meanwhile.
            task = asyncio.get_running_loop().create_task(self._relay_server_request(request_id, method, params))
            self._server_requests.add(task)
            task.add_done_callback(self._server_requests.discard)
            return
        if method in _NOT_SUPPORTED:
            error = {"code": INVALID_REQUEST, "message": _NOT_SUPPORTED[method]}
        else:
            error = {"code": METHOD_NOT_FOUND, "message": "Method not found", "data": method}
        await self._write({"jsonrpc": "2.0", "id": request_id, "error": error})

    async def _relay_server_request(self, request_id: Any, method: str, params: Any) -> None:
        assert self.on_request is not None
        try:
            answer = await self.on_request(method, params if isinstance(params, dict) else {})
        except Exception:  # noqa: BLE001 - the server must get an answer whatever happened
            log_unexpected(log, "relaying the server's %s request failed", method)
            answer = {"error": {"code": INTERNAL_ERROR, "message": f"the gateway could not relay {method}"}}
        try:
            await self._write({"jsonrpc": "2.0", "id": request_id, **answer})
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError, ValueError) as exc:
            log.debug("could not answer the server's request: %s", type(exc).__name__)

    # Writing ----------------------------------------------------------------------------------

    async def _write(self, message: dict[str, Any]) -> None:
        try:
            data = encode(message)
        except Refusal as refusal:
            raise ValueError(refusal.message) from None
        await self._send_bytes(data)

    async def _send_bytes(self, data: bytes) -> None:
        """Write `data` to the server's input. Raises _Unwritable when the input was known
        closed before a byte was written; any other error comes once the write began (some of
        the bytes may have gone)."""
        process = self._process
        if process is None or process.stdin is None:
            raise _Unwritable
        writer = self._stdin_writer()
        if writer is not None:
            # Straight to the asyncio transport; drain waits only when its buffer is full.
            if writer.is_closing():
                raise _Unwritable
            writer.write(data)
            try:
                await writer.drain()
            except (ConnectionResetError, BrokenPipeError) as exc:
                raise anyio.BrokenResourceError from exc
            return
        await process.stdin.send(data)

    async def notify(self, method: str, params: Any) -> None:
        """Pass a notification on to the server; dropped when the server is gone."""
        if not self.alive:
            return
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if isinstance(params, dict):
            message["params"] = params
        try:
            await self._write(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError, ValueError, TypeError) as exc:
            log.debug("could not pass a notification upstream: %s", type(exc).__name__)

    def _own_id(self) -> str:
        # The gateway's own requests use ids of this shape, so that a client's ids can travel
        # upstream unchanged; a client id that collides with a pending one is remapped.
        while True:
            self._next_id += 1
            request_id = f"policytui-{self._next_id}"
            if request_id not in self._pending and request_id not in self._retired:  # a client may use this shape too
                return request_id

    async def request(
        self,
        method: str,
        params: Any,
        *,
        progress: Progress | None = None,
        timeout: float | None = None,
        meanwhile: Callable[[], object] | None = None,
    ) -> dict[str, Any]:
        """Send one request of the gateway's own upstream and return its raw result;
        `meanwhile`, when given, is called once the request is written, before its answer is
        waited for.

        Raises UpstreamFailure."""
        request_id = self._own_id()
        out = hop_params(params)
        if progress is not None:
            # The request id doubles as the progress token, as in the SDK; the caller's
            # callback tells its own client under that client's token.
            out = dict(out or {})
            out["_meta"] = {**(out.get("_meta") or {}), "progressToken": request_id}
            self._progress[request_id] = progress
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if out is not None:
            message["params"] = out
        try:
            data = encode(message)
        except Refusal:
            raise UpstreamFailure("error", _mcp_error(INTERNAL_ERROR, "the request could not be encoded")) from None
        try:
            response, _ = await self._roundtrip(request_id, data, method, timeout, meanwhile)
        finally:
            self._progress.pop(request_id, None)
        return result_of(response)

    async def relay(self, message: dict[str, Any], *, timeout: float | None = None) -> tuple[dict[str, Any], bytes | None]:
        """Pass a client's request upstream, re-encoded from the parsed `message` (the object
        the gateway decided on: the client's bytes never reach the server).

        The client's id travels unchanged when no request of ours is waiting under it; the
        response line is then returned exactly as the server sent it, for the client. Otherwise
        the id is the gateway's own and the line is None (the caller answers under the client's
        id). Returns the response message; raises UpstreamFailure when no response came
        (unavailable, timeout); a JSON-RPC error response is returned.
        """
        out, remapped, data = self._outgoing(message)
        response, line = await self._roundtrip(out["id"], data, out["method"], timeout)
        return response, (None if remapped else line)

    def _outgoing(self, message: dict[str, Any]) -> tuple[dict[str, Any], bool, bytes]:
        """A client's request as it goes upstream: (message, whether its id is the gateway's
        own, encoded line). Raises UpstreamFailure when it cannot be encoded."""
        client_id = message.get("id")
        method = str(message.get("method"))
        out: dict[str, Any] = {"jsonrpc": "2.0", "id": client_id, "method": method}
        params = message.get("params")
        if params is not None:
            if "_meta" in params:
                params = hop_params(params)
            out["params"] = params
        # An id the server may still answer (a request given up on: cancelled, timed out) is
        # never sent again: the late answer would be taken for the new request's.
        remapped = client_id in self._pending or client_id in self._retired or not valid_id(client_id)
        if remapped:
            out["id"] = self._own_id()
        try:
            data = encode(out)
        except Refusal:
            raise UpstreamFailure("error", _mcp_error(INVALID_REQUEST, "the request could not be encoded")) from None
        return out, remapped, data

    # Relaying without waiting -----------------------------------------------------------------

    def _stdin_writer(self) -> asyncio.StreamWriter | None:
        """The asyncio writer under anyio's stream for the server's input: written directly,
        it saves a wrapper and a checkpoint per message (found once per process)."""
        process = self._process
        known_process, writer = self._stdin
        if known_process is not process:
            found = getattr(process.stdin, "_stream", None) if process is not None else None
            writer = found if isinstance(found, asyncio.StreamWriter) else None
            self._stdin = (process, writer)
        return writer

    @property
    def relays_now(self) -> bool:
        """Whether `relay_now` can be used: the server is up and its input is an asyncio pipe."""
        return self.alive and self._stdin_writer() is not None

    def relay_now(self, message: dict[str, Any], on_answer: Callable[[Any], None]) -> Any:
        """`relay` without a task waiting: the request is written upstream now, and
        `on_answer` is called once, from this connection's reader, with (response, line or
        None) as `relay` returns them, or with the UpstreamFailure that stands instead (the
        connection closed, no answer in time). Returns the id the request travels under (for
        `abandon`). Raises UpstreamFailure when it could not be sent at all.
        """
        if not self.alive:
            raise UpstreamFailure("unavailable", unavailable_error(self.down_reason))
        out, remapped, data = self._outgoing(message)
        request_id = out["id"]
        writer = self._stdin_writer()
        if writer is None or writer.is_closing():
            self.mark_down("the connection closed")
            raise UpstreamFailure("unavailable", unavailable_error("the connection closed"))
        waiter = _Waiter(on_answer, remapped, out["method"])
        self._pending[request_id] = waiter
        try:
            # No drain: the server reads its input as fast as it serves, and a request is small.
            writer.transport.write(data)
        except (ConnectionError, OSError, RuntimeError) as exc:
            # The write began (part of the request may have gone): `lost`, as in `_roundtrip`.
            # A pipe that breaks inside the transport raises nothing: the input's watcher then
            # fails the request `lost` with every other one waiting (`_watch_input`).
            del self._pending[request_id]
            log.debug("writing to the server failed: %s", type(exc).__name__)
            self.mark_down("it closed its input")
            raise UpstreamFailure("lost", unavailable_error(self.down_reason)) from None
        if self.call_timeout:
            loop = asyncio.get_running_loop()
            waiter.due = loop.time() + self.call_timeout
            waiter.timed = (self._due, request_id)
            self._due[request_id] = waiter
            if self._sweeper is None:
                self._sweeper = loop.call_at(waiter.due, self._sweep)
        return request_id

    def _sweep(self) -> None:
        """Time out the requests now due, and set the timer for the next one."""
        self._sweeper = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._due:
            request_id, waiter = next(iter(self._due.items()))
            if waiter.due > now:
                self._sweeper = loop.call_at(waiter.due, self._sweep)
                return
            del self._due[request_id]
            self._time_out(request_id, waiter, waiter.method)

    def _time_out(self, request_id: Any, waiter: _Waiter, method: str) -> None:
        if self._pending.get(request_id) is not waiter:
            return
        self._give_up(request_id, f"timed out after {self.call_timeout}s")
        waiter.set_exception(
            UpstreamFailure("timeout", _mcp_error(REQUEST_TIMEOUT, f"Request {method!r} timed out"))
        )

    def abandon(self, request_id: Any) -> bool:
        """Stop waiting for a request sent by `relay_now` (its client cancelled it): the server
        is told, and `on_answer` is never called. False when it was answered already."""
        waiter = self._pending.get(request_id)
        if not isinstance(waiter, _Waiter) or waiter.done():
            return False
        waiter.discard()
        self._give_up(request_id, "caller cancelled")
        return True

    def _give_up(self, request_id: Any, reason: str) -> None:
        """Forget a request nobody waits for; its id stays retired until the server answers."""
        self._pending.pop(request_id, None)
        self._retire(request_id)
        if self.alive:
            task = asyncio.get_running_loop().create_task(self._cancel(request_id, reason))
            self._server_requests.add(task)
            task.add_done_callback(self._server_requests.discard)

    async def _roundtrip(
        self, request_id: Any, data: bytes, method: str, timeout: float | None,
        meanwhile: Callable[[], object] | None = None,
    ) -> tuple[dict[str, Any], bytes]:
        if not self.alive:
            raise UpstreamFailure("unavailable", unavailable_error(self.down_reason))
        future: asyncio.Future[tuple[dict[str, Any], bytes]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        seconds = timeout if timeout is not None else self.call_timeout
        written = False
        try:
            try:
                await self._send_bytes(data)
            except _Unwritable:
                # Known closed before a byte went: never sent (the call has no `sent` line
                # either, `alive` having said so first).
                self.mark_down("the connection closed")
                raise UpstreamFailure("unavailable", unavailable_error(self.down_reason)) from None
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
                # The write began and failed (a broken pipe): part of the request may have
                # reached the server, which may have read and run it. Fail closed: `lost`, its
                # charge kept, never `unavailable` after a `sent` line.
                log.debug("writing to the server failed: %s", type(exc).__name__)
                self.mark_down("it closed its input")
                raise UpstreamFailure("lost", unavailable_error(self.down_reason)) from None
            written = True
            # A timer instead of a cancel scope: cheaper, and the future is all that waits.
            timer = asyncio.get_running_loop().call_later(seconds, _expire, future) if seconds else None
            try:
                if meanwhile is not None:
                    meanwhile()
                return await future
            finally:
                if timer is not None:
                    timer.cancel()
        except TimeoutError:
            self._retire(request_id)
            await self._cancel(request_id, f"timed out after {seconds}s")
            raise UpstreamFailure("timeout", _mcp_error(REQUEST_TIMEOUT, f"Request {method!r} timed out")) from None
        except anyio.get_cancelled_exc_class():
            if written:
                self._retire(request_id)
                with anyio.CancelScope(shield=True):
                    await self._cancel(request_id, "caller cancelled")
            raise
        finally:
            if self._pending.get(request_id) is future:
                del self._pending[request_id]
            if future.done() and not future.cancelled():
                # Failed while nobody awaited it (the write failed and the connection was
                # marked down): retrieved here, so asyncio does not log it at exit.
                future.exception()

    def _retire(self, request_id: Any) -> None:
        """Keep an abandoned request's id out of use until the server answers it."""
        if len(self._retired) >= MAX_RETIRED:
            self._retired.pop(next(iter(self._retired)))  # the oldest; its answer is long overdue
        self._retired[request_id] = None

    async def _cancel(self, request_id: Any, reason: str) -> None:
        """Tell the server to stop working on a request nobody waits for any more."""
        with anyio.move_on_after(2):
            await self.notify("notifications/cancelled", {"requestId": request_id, "reason": reason})


def ended_words(returncode: int | None) -> str:
    """How a server process ended, for a sentence: "it exited with code 3", "it was killed by
    signal 9 (SIGKILL)" (a negative return code is the signal that ended it)."""
    if returncode is None or returncode >= 0:
        return f"it exited with code {returncode}"
    number = -returncode
    try:
        name = f" ({signal.Signals(number).name})"
    except ValueError:
        name = ""
    return f"it was killed by signal {number}{name}"


def refused_by_server(response: dict[str, Any]) -> bool:
    """Whether a response message is a JSON-RPC error: an error and no member `result`. The
    server refused the request: its tool did not run. A result beside the error, whatever its
    value (null included), makes the answer invalid, not a refusal: the server may have run the
    tool, so the call fails closed and keeps its charge, as over Streamable HTTP and legacy
    SSE. An error that is null counts as absent (a result beside it is read as the result)."""
    return response.get("error") is not None and "result" not in response


def result_of(response: dict[str, Any]) -> dict[str, Any]:
    """The result of a response message. A JSON-RPC error (`refused_by_server`) is
    UpstreamFailure("error"), refunded: the tool did not run. Anything else that is not a
    result object (a number, null, no result and no error, a result beside an error) is
    UpstreamFailure(INVALID), its charge kept: the server answered, so the tool ran. A result
    beside an error is such an answer whatever the result's value, null included."""
    if refused_by_server(response):
        error = response["error"]
        if not isinstance(error, dict):
            error = {}
        code = error.get("code")
        raise UpstreamFailure(
            "error",
            _mcp_error(
                code if type(code) is int else INTERNAL_ERROR,
                str(error.get("message") or "the upstream MCP server answered with an error"),
                error.get("data"),
            ),
        )
    result = response.get("result")
    if not isinstance(result, dict) or response.get("error") is not None:
        raise UpstreamFailure(INVALID, _mcp_error(INTERNAL_ERROR, INVALID_RESULT))
    return result


class _Waiter:
    """Stands in `_pending` for a request sent by `relay_now`: what the reader or a failure
    sets on it goes straight to `on_answer`, with no task to wake."""

    __slots__ = ("on_answer", "remapped", "method", "due", "timed", "finished")

    def __init__(self, on_answer: Callable[[Any], None], remapped: bool, method: str) -> None:
        self.on_answer = on_answer
        self.remapped = remapped
        self.method = method
        self.due = 0.0  # when it times out (the event loop's clock), if it is in `timed`
        self.timed: tuple[dict[Any, _Waiter], Any] | None = None  # (the upstream's `_due`, id)
        self.finished = False

    def done(self) -> bool:
        return self.finished

    def cancelled(self) -> bool:
        return False

    def discard(self) -> None:
        self._finish()

    def set_result(self, value: tuple[dict[str, Any], bytes]) -> None:
        if self.finished:
            return
        self._finish()
        response, line = value
        self._answer((response, None if self.remapped else line))

    def set_exception(self, exc: BaseException) -> None:
        if self._finish():
            self._answer(exc)

    def _finish(self) -> bool:
        if self.finished:
            return False
        self.finished = True
        if self.timed is not None:
            due, request_id = self.timed
            if due.get(request_id) is self:
                del due[request_id]
        return True

    def _answer(self, outcome: Any) -> None:
        try:
            self.on_answer(outcome)
        except Exception:  # noqa: BLE001 - the connection's reader must go on whatever happens
            log_unexpected(log, "answering a relayed request failed")


def _names_an_answer(message: dict[str, Any]) -> bool:
    """Whether a message naming no method is an answer: it names an id, a result or an error.
    An object naming none of them is no message of JSON-RPC (a log line some servers write
    as JSON): skipped, never taken for the answer of a call."""
    return not message.keys().isdisjoint(("id", "result", "error"))


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


async def _pump(process: anyio.abc.Process, feed: LineFeed) -> None:
    """Feed a server's stdout, read through anyio's stream, to `feed`."""
    assert process.stdout is not None
    try:
        async for chunk in process.stdout:
            feed.feed_data(chunk)
    except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError) as exc:
        feed.set_exception(exc)
        return
    feed.feed_eof()


async def _wait_briefly(process: anyio.abc.Process) -> None:
    with anyio.move_on_after(0.5):
        await process.wait()

