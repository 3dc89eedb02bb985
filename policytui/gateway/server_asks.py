"""Requests a server makes during a 2026-07-28 client's call (sampling, elicitation, roots).

A 2026-07-28 client takes no requests from the server: a call that needs the client's input is
answered `input_required`, with the requests in `inputRequests` and an opaque `requestState`,
and the client retries the call with `inputResponses` and that state. The servers behind the
gateway speak the handshake-era protocol and ask by sending a request while the call runs. So a
2026-07-28 client's `tools/call` runs as a task of its own (`ModernCall`); when the server asks,
the client's request is answered `input_required` while the server's call goes on waiting, the
call is parked under a fresh, unguessable `requestState`, and the retry that brings the answers
resumes it: the answers go to the server, and the retry gets the call's result (or the next
`input_required`, when the server asks again).

The call is decided, charged and audited once, by the task, as any other call. A retry must
come from the same grant for the same tool and arguments; a parked call nobody resumes within
`PARK_SECONDS` is cancelled (the server's requests get an error, the call is audited as
cancelled).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from policytui.gateway import modern
from policytui.gateway.wire import INVALID_REQUEST

log = logging.getLogger("policytui.gateway")

# How long a parked call waits for the client's retry before it is cancelled.
PARK_SECONDS = 300.0
# The requests a server may make of its client, and the client capability each needs.
CAPABILITY_OF = {"sampling/createMessage": "sampling", "elicitation/create": "elicitation", "roots/list": "roots"}


class InputRequired(Exception):
    """The client's request is answered with this `input_required` result."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__("input required")
        self.result = result


class ForeignState(Exception):
    """A retry's `requestState` names a parked call of another grant, tool or arguments."""


class ModernCall:
    """One 2026-07-28 client's `tools/call` in progress, and the server's requests during it."""

    def __init__(self, grant: str, tool: str, digest: str, capabilities: dict[str, Any]) -> None:
        self.grant, self.tool, self.digest = grant, tool, digest
        self.capabilities = capabilities
        self.task: asyncio.Task[Any] | None = None
        # The server's requests not yet put to the client: (method, params, future of the answer).
        self.asks: asyncio.Queue[tuple[str, Any, asyncio.Future[dict[str, Any]]]] = asyncio.Queue()
        # Those put to the client in the last `input_required`, by their key there.
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.expiry: asyncio.TimerHandle | None = None
        self._keys = 0

    async def ask(self, method: str, params: Any) -> dict[str, Any]:
        """The server's request, answered by the client through a round trip: the response
        members ({"result": ...} or {"error": ...})."""
        capability = CAPABILITY_OF[method]
        if not isinstance(self.capabilities.get(capability), dict):
            return {"error": {"code": INVALID_REQUEST, "message": f"the client does not support {capability}"}}
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.asks.put_nowait((method, params, future))
        return await future

    def next_key(self) -> str:
        self._keys += 1
        return f"server-request-{self._keys}"

    def answer(self, responses: Any) -> None:
        """The client's answers (`inputResponses`) to the requests it was given."""
        if self.expiry is not None:
            self.expiry.cancel()
            self.expiry = None
        for key, future in self.waiting.items():
            response = responses.get(key) if isinstance(responses, dict) else None
            if future.done():
                continue
            if isinstance(response, dict):
                future.set_result({"result": response})
            else:
                future.set_result({"error": {"code": INVALID_REQUEST, "message": "the client gave no answer"}})
        self.waiting.clear()

    def give_up(self, why: str) -> None:
        for future in self.waiting.values():
            if not future.done():
                future.set_result({"error": {"code": INVALID_REQUEST, "message": why}})
        self.waiting.clear()
        if self.task is not None:
            self.task.cancel()


class ModernCalls:
    """The gateway's 2026-07-28 calls in progress, and those parked for the client's answers."""

    def __init__(self) -> None:
        self.running: set[ModernCall] = set()
        self.parked: dict[str, ModernCall] = {}

    def only(self) -> ModernCall | None:
        """The one call in progress, when there is exactly one."""
        running = [call for call in self.running if call.task is not None and not call.task.done()]
        return running[0] if len(running) == 1 else None

    async def serve(self, tool: str, digest: str, grant: str, params: dict[str, Any],
                    start: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        """The result of a 2026-07-28 `tools/call`: started anew with `start`, or the parked
        call its `requestState` names resumed. Raises InputRequired when the server asks."""
        state = params.get("requestState")
        call = self.parked.get(state) if isinstance(state, str) else None
        if call is not None and isinstance(state, str):
            if (call.grant, call.tool, call.digest) != (grant, tool, digest):
                raise ForeignState("requestState belongs to another call")
            del self.parked[state]
            call.answer(params.get("inputResponses"))
        else:
            call = ModernCall(grant, tool, digest, modern.client_capabilities(params))
            call.task = asyncio.get_running_loop().create_task(start())
            self.running.add(call)
            call.task.add_done_callback(lambda task: self._ended(call, task))
        return await self._follow(call)

    def _ended(self, call: ModernCall, task: asyncio.Task[Any]) -> None:
        self.running.discard(call)
        if not task.cancelled():
            task.exception()  # retrieved: a call given up on after it failed is no loose end

    async def _follow(self, call: ModernCall) -> Any:
        assert call.task is not None
        getter = asyncio.ensure_future(call.asks.get())
        try:
            done, _ = await asyncio.wait({call.task, getter}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            getter.cancel()
            call.give_up("the client cancelled the call")  # gone before the server asked
            raise
        if call.task in done:
            getter.cancel()
            return call.task.result()
        asks = [getter.result()]
        while not call.asks.empty():
            asks.append(call.asks.get_nowait())
        requests: dict[str, Any] = {}
        for method, params, future in asks:
            key = call.next_key()
            call.waiting[key] = future
            requests[key] = {"method": method, "params": params}
        token = secrets.token_urlsafe(24)
        self.parked[token] = call
        call.expiry = asyncio.get_running_loop().call_later(PARK_SECONDS, self._expire, token)
        raise InputRequired({"resultType": "input_required", "inputRequests": requests, "requestState": token})

    def stop(self, why: str) -> None:
        """Cancel every parked call (the gateway stops): the server's requests get `why` as
        their error, and each call is audited as cancelled."""
        for token in list(self.parked):
            self.parked.pop(token).give_up(why)

    def _expire(self, token: str) -> None:
        call = self.parked.pop(token, None)
        if call is not None:
            log.warning("a call to %r waited %.0f s for its client's answers to the server's requests; "
                        "it is cancelled", call.tool, PARK_SECONDS)
            call.give_up("the client did not answer in time")

