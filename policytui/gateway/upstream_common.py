"""What both upstream connections share, without the MCP SDK.

A server started as a command (`policytui.gateway.upstream_stdio`) is spoken to in raw JSON-RPC
lines, and a gateway in front of one must not pay for loading the SDK's client and server
(about half a second, on every start of every MCP client window): so the error it raises, the
failure of a call to a server that is down and the params sent upstream live here, and
`policytui.gateway.upstream`, the SDK's client for servers reached over HTTP, loads only when
such a server is used.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from policytui.gateway.enforcer import UpstreamFailure

MessageHandler = Callable[[Any], Awaitable[None]]
Connect = Callable[[MessageHandler], AbstractAsyncContextManager[Any]]
Progress = Callable[[float, float | None, str | None], Awaitable[None]]

INTERNAL_ERROR = -32603
# `_meta` keys of the 2026-07-28 envelope belong to one hop; the upstream session adds its own.
_RESERVED_META_PREFIX = "io.modelcontextprotocol/"


class RpcError(Exception):
    """A JSON-RPC error from the server (or the gateway's own about it), answered to the client
    as it stands: what the SDK's `MCPError` carries (`code`, `message`, `data`, and `str()` is
    the message), read the same way (`policytui.gateway.wire.error_of`)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(code, message, data)
        self.code = code
        self.message = message
        self.data = data

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    def __str__(self) -> str:
        return self.message


def unavailable_error(detail: str = "") -> RpcError:
    message = "the upstream MCP server is unavailable"
    if detail:
        message += f" ({detail})"
    return RpcError(INTERNAL_ERROR, message)


def refusal_when_down(upstream: Any) -> UpstreamFailure | None:
    """What a call gets instead of being sent while `upstream` (a server over HTTP or SSE, or
    started as a command) can take no request: the failure that says why, or None while it is
    up. One test for every transport, made before a call's `sent` line is written."""
    if upstream.alive:
        return None
    # Before the reason is known (a process whose output ended, or which closed its input, may
    # be exiting), what is known already.
    reason = upstream.down_reason or getattr(upstream, "ending_words", "") or "its output ended"
    return UpstreamFailure("unavailable", unavailable_error(reason))


def hop_params(params: Any) -> dict[str, Any] | None:
    """The params to send upstream: as received, minus this hop's protocol envelope."""
    if params is None:
        return None
    out = dict(params)
    meta = out.get("_meta")
    if isinstance(meta, dict):
        kept = {k: v for k, v in meta.items() if not k.startswith(_RESERVED_META_PREFIX)}
        if kept:
            out["_meta"] = kept
        else:
            out.pop("_meta")
    return out
