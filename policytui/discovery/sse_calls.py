"""Which requests of a legacy SSE connection wait for their answer, and which request an answer
on the event stream settles.

Over the legacy SSE transport every answer comes on the one event stream, tied to its request
by the id it names alone. An answer whose id is of no use (none, null, of another type than
the request's, a request's that is not waiting) would be dropped by the MCP SDK and its
request left waiting for the call time-out, though the server answered and so may have run
the tool. Here it settles what `policytui.discovery.unmatched` says, as over stdio: the one
request waiting when only one is; with several it is logged and dropped. An id is matched
exactly: `"7"` does not answer the request 7 (the SDK would take it for it). The late answer
of a request given up on (its `notifications/cancelled` posted) is dropped without a word; an
answer repeated, naming a request answered already, is logged and dropped (the SDK never uses
an id twice on a connection): taken for the answer of the one request waiting, it would fail
that request.
"""

from __future__ import annotations

import logging
from typing import Any

from policytui.discovery.unmatched import lone_request, shown_id

log = logging.getLogger("policytui.discovery")

# Requests given up on whose ids are remembered, so that their late answers are dropped
# quietly (and never taken for the answer of another request); as many of the requests
# answered last, so that an answer repeated is dropped too.
MAX_GIVEN_UP = 4096
MAX_ANSWERED = 4096

_Key = tuple[bool, int | str]


def _key(request_id: Any) -> _Key | None:
    """An id as matched: its type is part of it (`"7"` is not 7; `true` and `7.0` are no id)."""
    if type(request_id) is int or type(request_id) is str:
        return (type(request_id) is str, request_id)
    return None


class WaitingCalls:
    """The requests posted on one legacy SSE connection and not yet answered, by id."""

    def __init__(self) -> None:
        self._waiting: dict[_Key, int | str] = {}
        self._given_up: dict[_Key, None] = {}
        self._answered: dict[_Key, None] = {}

    def posting(self, message: Any) -> None:
        """A client message about to be posted: a request waits from now on; a
        `notifications/cancelled` gives up on the request it names."""
        if not isinstance(message, dict) or not isinstance(message.get("method"), str):
            return
        if "id" in message:
            key = _key(message["id"])
            if key is not None:
                self._waiting[key] = key[1]
        elif message["method"] == "notifications/cancelled":
            params = message.get("params")
            key = _key(params.get("requestId")) if isinstance(params, dict) else None
            if key is not None and self._waiting.pop(key, None) is not None:
                self._give_up(key)

    def answered(self, request_id: Any) -> None:
        """The request was answered otherwise (its POST failed): an answer the server may
        still send on the stream (it may have run the tool) is dropped as a late one."""
        key = _key(request_id)
        if key is not None and self._waiting.pop(key, None) is not None:
            self._give_up(key)

    def _give_up(self, key: _Key) -> None:
        if len(self._given_up) >= MAX_GIVEN_UP:
            self._given_up.pop(next(iter(self._given_up)))
        self._given_up[key] = None

    def settled_by(self, request_id: Any) -> tuple[int | str, bool] | None:
        """The request an answer naming `request_id` settles, and whether it names that very
        request (False: the one request waiting, the answer naming none); None when the
        answer is dropped."""
        key = _key(request_id)
        if key is not None and key in self._waiting:
            if len(self._answered) >= MAX_ANSWERED:
                self._answered.pop(next(iter(self._answered)))
            self._answered[key] = None
            return self._waiting.pop(key), True
        if key is not None and key in self._given_up:
            del self._given_up[key]  # the late answer of a request given up on
            return None
        if key is not None and key in self._answered:
            log.warning("the upstream server answered a request it had answered already (id %s): dropped",
                        shown_id(request_id))
            return None
        only_key = lone_request(request_id, self._waiting)
        if only_key is None:
            return None
        only = self._waiting.pop(only_key)
        self._give_up(only_key)  # its own answer, should it still come, is dropped as late
        return only, False
