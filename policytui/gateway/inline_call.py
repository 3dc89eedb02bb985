"""A `tools/call` served without a task of its own: the stdio relay's common case.

Most calls an agent makes are decided at once (allowed, denied or hidden, no human asked),
charged in a store that answers in place and forwarded to a server started as a command. For
those, the relay does everything in the turn that read the client's line: `Enforcer.start_now`
decides and charges, `StdioUpstream.relay_now` writes the request upstream, and the server's
answer is passed back by `InlineCall.answered` from the turn that read the server's line, after
the audit line is written. No task is started and no future awaited, which takes two turns of
the event loop off every call (see docs/gateway.md, Performance).

Everything else (a dry run, pinned tools, approvals, a network store, an HTTP client, a
2026-07-28 request) goes the general way, `StdioRelay._handle`. Both take the same decision
(`policytui.decision.decide`, through the same `Enforcer`), charge the same counters and write
the same audit line; only the waiting differs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from policytui.gateway import wire
from policytui.gateway.enforcer import LOST, Started, UpstreamFailure
from policytui.gateway.unexpected import log_unexpected
from policytui.gateway.upstream_stdio import StdioUpstream, refused_by_server, result_of

if TYPE_CHECKING:
    from policytui.gateway.relay import StdioRelay

log = logging.getLogger("policytui.gateway")


class InlineCall:
    """One forwarded call on its way: settles it once, when the server answers, the
    connection fails, the time runs out or the client cancels it."""

    __slots__ = ("relay", "request_id", "started", "upstream_id")

    def __init__(self, relay: StdioRelay, request_id: Any, started: Started) -> None:
        self.relay = relay
        self.request_id = request_id
        self.started = started
        self.upstream_id: Any = None

    def answered(self, outcome: tuple[dict[str, Any], bytes | None] | BaseException) -> None:
        """The server's (response, line), or the failure that stands instead of it. The
        audit line is written before the client hears anything."""
        relay = self.relay
        if relay._inflight.get(self.request_id) is self:
            del relay._inflight[self.request_id]
        enforcer = relay.gateway.enforcer
        if isinstance(outcome, BaseException):
            self._failed(outcome if isinstance(outcome, UpstreamFailure) else _internal_failure(outcome))
            return
        response, line = outcome
        try:
            result = result_of(response)
        except UpstreamFailure as failure:  # a JSON-RPC error, or no valid result
            enforcer.finish_now(self.started, failure.kind)
            if line is not None and refused_by_server(response):
                relay._send_line_now(line)  # the server's own error, as sent
            else:
                relay._send_now({"jsonrpc": "2.0", "id": self.request_id, "error": wire.error_of(failure.error)})
            return
        except Exception as exc:  # noqa: BLE001 - the gateway failing on an answer it should read
            # (an error message nested near Python's recursion limit): never left unanswered
            # and unaudited, and failed closed, the tool having run.
            self._failed(_internal_failure(exc))
            return
        enforcer.finish_now(self.started, "error_result" if result.get("isError") else "ok")
        if line is not None:
            relay._send_line_now(line)  # the server's answer under the client's own id, as sent
        else:
            relay._send_now({"jsonrpc": "2.0", "id": self.request_id, "result": result})

    def _failed(self, failure: UpstreamFailure) -> None:
        """Settle the call as `failure` says, and tell its client the error."""
        self.relay.gateway.enforcer.finish_now(self.started, failure.kind)
        self.relay._send_now({"jsonrpc": "2.0", "id": self.request_id, "error": wire.error_of(failure.error)})

    def cancel(self) -> None:
        """The client cancelled the call (or left): the server is told to stop, the charge
        stays (the tool may have run) and the audit line says "cancelled"; no answer is sent."""
        relay = self.relay
        if relay._inflight.get(self.request_id) is self:
            del relay._inflight[self.request_id]
        upstream = relay.gateway.upstream
        if isinstance(upstream, StdioUpstream) and upstream.abandon(self.upstream_id):
            relay.gateway.enforcer.finish_now(self.started, "cancelled")


def _internal_failure(exc: BaseException) -> UpstreamFailure:
    """The failure that stands for an error of the gateway's own met after the call was written
    to the server (a bug): `lost`, its charge kept, as for an answer that never came. The
    server may have read the call and run its tool, so refunding it would let whoever can
    steer the gateway into such an error run the tool past every rate limit; the client is
    told "internal error in the gateway", without the error's details."""
    log_unexpected(log, "handling the answer to tools/call failed", error=exc)
    return UpstreamFailure(LOST, RuntimeError(type(exc).__name__))


def start(relay: StdioRelay, request_id: Any, message: dict[str, Any], params: Any) -> bool | dict[str, Any]:
    """Serve a `tools/call` inline when it can be: False when it must go the general way;
    True when it is on its way upstream (or was answered already, failing to get there);
    or the answer (a JSON-RPC response's members) for a call blocked by the policy."""
    gateway = relay.gateway
    upstream = gateway.upstream
    if not relay.verbatim_answers or not isinstance(upstream, StdioUpstream) or not upstream.relays_now:
        return False
    if not isinstance(params, dict):
        return False
    name = params.get("name")
    args = params.get("arguments")
    if not isinstance(name, str) or not (args is None or isinstance(args, dict)) or "task" in params:
        return False  # refused the general way, with the same error
    unknown = gateway.unknown_tools
    if unknown is not None and not gateway.dry_run and not unknown.lists(name):
        return False  # answered as the server answers unknown tools, the general way
    try:
        started = gateway.enforcer.start_now(name, args if args is not None else {}, relay.caller)
    except Exception as exc:  # noqa: BLE001 - a hidden tool may be answered with an MCP error
        if not wire.is_mcp_error(exc):
            log_unexpected(log, "handling tools/call failed")
        return {"error": wire.error_of(exc)}
    if started is None:
        return False
    if not isinstance(started, Started):
        return {"result": started}  # blocked: audited already
    call = InlineCall(relay, request_id, started)
    gateway.sending_for(relay.caller.grant)
    try:
        call.upstream_id = upstream.relay_now(message, call.answered)
    except UpstreamFailure as failure:
        call.answered(failure)
        return True
    relay._inflight[request_id] = call
    return True
