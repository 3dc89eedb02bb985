"""What a call to a server reached by URL is audited when the transport fails inside the send
(`Upstream.request`): the request may have left (the SDK hands it to the transport, which posts
it; a stream can end after the server read it), so the call is `lost` and keeps its charge. One
known never to have left (the connection was closed before the send) is `unavailable` and
refunded. Before, an `EndOfStream`, `OSError` or broken stream raised inside the send was
`unavailable` and refunded, whatever the server had read.

No real server makes the SDK raise these (the transports turn a failed POST into an error
answer, `RefusedPost`, covered through the installed gateway in
test_gateway_sse_refused_posts.py and test_gateway_http_upstream_refusals.py), so the SDK's
dispatcher is stood in for here by one that raises them from its send, as a transport would.

The SDK's own CONNECTION_CLOSED, raised by its real dispatcher when its write to a transport
torn down fails, is told from a server's error of the same code and words: the first is the
connection ending under the call (`lost`, the server down), the second the server's answer.
"""

from __future__ import annotations

import errno
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from audit_support import parse_records
from mcp.shared.exceptions import MCPError

from policytui.decision import Approval, Caller, Decision
from policytui.gateway.audit import AuditLog
from policytui.gateway.enforcer import REFUND_ON, Enforcer, UpstreamFailure
from policytui.gateway.upstream import Upstream, refusal_when_down
from policytui.policy.model import Policy


class _Dispatcher:
    """Raises `failure` from inside the send, after taking the request (as the SDK's
    dispatcher raises what its transport raised)."""

    def __init__(self, failure: BaseException, *, closed: bool = False) -> None:
        self.failure = failure
        self._closed = closed
        self.taken: list[str] = []

    async def send_raw_request(self, method: str, params: Any, opts: Any) -> dict[str, Any]:
        self.taken.append(method)
        raise self.failure


class _Connection:
    protocol_version = "2025-06-18"

    def __init__(self, dispatcher: _Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.session = self


async def _outcome(dispatcher: _Dispatcher) -> UpstreamFailure:
    @asynccontextmanager
    async def connect(handler: Any) -> AsyncIterator[_Connection]:
        yield _Connection(dispatcher)

    upstream = Upstream(connect)
    async with anyio.create_task_group() as tg:
        await upstream.start(tg)
        try:
            with pytest.raises(UpstreamFailure) as failed:
                await upstream.request("tools/call", {"name": "echo", "arguments": {}})
        finally:
            upstream.stop()
    return failed.value


@pytest.mark.parametrize("failure", [
    anyio.EndOfStream(), anyio.BrokenResourceError(), anyio.ClosedResourceError(),
    ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), OSError(errno.EPIPE, "Broken pipe"),
    TimeoutError(),
], ids=lambda failure: type(failure).__name__)
async def test_a_transport_failure_inside_the_send_leaves_the_call_lost_and_charged(failure: BaseException) -> None:
    dispatcher = _Dispatcher(failure)
    outcome = await _outcome(dispatcher)
    assert dispatcher.taken == ["tools/call"]
    assert outcome.kind == "lost", outcome.kind
    assert outcome.kind not in REFUND_ON
    assert "unavailable" in str(outcome.error)


async def test_a_call_to_a_connection_closed_before_the_send_is_unavailable_and_refunded() -> None:
    dispatcher = _Dispatcher(AssertionError("never sent"), closed=True)
    outcome = await _outcome(dispatcher)
    assert dispatcher.taken == []
    assert outcome.kind == "unavailable" and outcome.kind in REFUND_ON



# The SDK's own "Connection closed" against a server's error of the same code (-32000, which
# JSON-RPC leaves to servers): the SDK's real dispatcher, over the memory streams a transport
# hands it, the server's end of them played by `server`; the call made through the enforcer,
# which writes the audit log and charges a limit of one call a day.

class _SdkConnection:
    protocol_version = "2025-06-18"

    def __init__(self, dispatcher: Any) -> None:
        self.dispatcher = dispatcher
        self.session = self


async def _over_the_sdk(server: Any, audit: Path) -> tuple[Upstream, MCPError, list[tuple[str, str]], bool]:
    """A call of `echo` over the SDK's `JSONRPCDispatcher` whose transport is
    `server(requests, answers)`: the upstream after it, the error its client gets, its audit
    lines (decision, upstream) and whether a second call is still allowed (the first refunded)."""
    from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher
    from mcp.shared.message import SessionMessage

    requests_in, requests = anyio.create_memory_object_stream[SessionMessage](1)
    answers, answers_out = anyio.create_memory_object_stream[SessionMessage | Exception](1)
    dispatcher = JSONRPCDispatcher(answers_out, requests_in)

    async def ignore(*args: Any) -> None:
        return None

    @asynccontextmanager
    async def connect(handler: Any) -> AsyncIterator[_SdkConnection]:
        async with anyio.create_task_group() as tg:
            await tg.start(dispatcher.run, ignore, ignore)
            tg.start_soon(server, requests, answers)
            yield _SdkConnection(dispatcher)
            tg.cancel_scope.cancel()

    async def never_asked(decision: Decision) -> tuple[Approval, str]:
        raise AssertionError("no approval expected")

    policy = Policy.from_document({"version": "1", "default": "allow", "tools": {
        "echo": {"limits": [{"counter": "echo", "window": "day", "max": 1}]}}})
    enforcer = Enforcer(lambda: policy, audit=AuditLog(audit))
    upstream = Upstream(connect)
    enforcer.upstream_gone = lambda: refusal_when_down(upstream)
    caller = Caller("alice", "s1")
    async with anyio.create_task_group() as tg:
        await upstream.start(tg)
        try:
            with pytest.raises(MCPError) as failed:
                await enforcer.handle_call("echo", {}, caller, lambda: upstream.request(
                    "tools/call", {"name": "echo", "arguments": {}}), never_asked)
        finally:
            upstream.stop()
    lines = [(r["decision"], r.get("upstream")) for r in parse_records(audit.read_text(encoding="utf-8"))]
    again = enforcer.start_now("echo", {}, caller)
    refunded = again is not None and not isinstance(again, dict)  # a `Started` call: allowed
    return upstream, failed.value, lines, refunded


@pytest.mark.usefixtures("one_window")
async def test_the_sdks_own_connection_closed_is_a_connection_that_ended_not_the_servers_error(
    tmp_path: Path,
) -> None:
    """The transport's writer is gone while its reader is still open (a transport torn down
    before the SDK read the end): the SDK raises its own CONNECTION_CLOSED. That is the
    connection ending under the call, as over stdio: `lost` (charge kept), the client told the
    server is unavailable, the server marked down. Before, it was read as the server's -32000
    answer: `error`, refunded, the SDK's bare "Connection closed" passed to the client as the
    server's words, and the server taken as still up."""
    async def torn_down(requests: Any, answers: Any) -> None:
        await requests.aclose()  # nothing more is written to the server; its answers stay open
        await anyio.sleep_forever()

    upstream, error, lines, refunded = await _over_the_sdk(torn_down, tmp_path / "audit.jsonl")
    assert lines == [("allowed", "sent"), ("allowed", "lost")], lines
    assert error.message == "the upstream MCP server is unavailable (the connection closed)", error.message
    assert not refunded
    assert upstream.down_reason == "the connection closed"


@pytest.mark.usefixtures("one_window")
async def test_a_servers_own_connection_closed_error_answers_its_call_only(tmp_path: Path) -> None:
    """A server that answers a call with an error of code -32000 and the SDK's very words: its
    answer to that call (`error`, refunded), the server up as before."""
    import mcp_types as types
    from mcp.shared.message import SessionMessage

    async def answering(requests: Any, answers: Any) -> None:
        request = (await requests.receive()).message
        error = types.ErrorData(code=-32000, message="Connection closed")
        await answers.send(SessionMessage(types.JSONRPCError(jsonrpc="2.0", id=request.id, error=error)))
        await anyio.sleep_forever()

    upstream, error, lines, refunded = await _over_the_sdk(answering, tmp_path / "audit.jsonl")
    assert lines == [("allowed", "sent"), ("allowed", "error")], lines
    assert (error.code, error.message) == (-32000, "Connection closed")
    assert refunded
    assert upstream.down_reason == ""
