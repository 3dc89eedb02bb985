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
"""

from __future__ import annotations

import errno
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from policytui.gateway.enforcer import REFUND_ON, UpstreamFailure
from policytui.gateway.upstream import Upstream


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
