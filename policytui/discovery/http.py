"""Streamable HTTP and legacy SSE transports, with every HTTP error answer recorded.

The SDK turns a 401 or 404 into a generic JSON-RPC error; the response hook below keeps the
status so the failure can be explained ("refused with HTTP 401: check the Authorization header").
A second hook bounds each message the server sends (`http_limit`).

The legacy SSE transport carries every answer on one event stream, so an event refused there
cannot be tied to a request: the connection ends (the diagnostics' `too_large` says why), as a
server started as a command is stopped at a line over the limit.
"""

from __future__ import annotations

import ssl
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import anyio
import httpx2
import mcp.client.sse
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import sse_within_origin

from policytui.discovery.diagnostics import Diagnostics, HttpAnswer
from policytui.discovery.explain import flatten
from policytui.discovery.http_limit import UNCOMPRESSED, MessageTooLarge, bound_bodies

# A long-lived connection (the gateway's upstream) may sit idle: keep the event stream open.
STREAM_READ_SECONDS = 3600.0


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the system CA store costs about 0.15 s; httpx would do it again for every
    # connection. One verified context, shared, is what every connection needs.
    import httpcore2

    return httpcore2.default_ssl_context()


def _recorder(diag: Diagnostics) -> Any:
    async def on_response(response: httpx2.Response) -> None:
        if response.status_code >= 300:
            diag.note_http(
                HttpAnswer(
                    method=response.request.method,
                    url=str(response.request.url),
                    status=response.status_code,
                    reason=response.reason_phrase,
                    content_type=response.headers.get("content-type", ""),
                    authenticate="www-authenticate" in response.headers,
                )
            )

    return on_response


def _hooks(diag: Diagnostics) -> dict[str, list[Any]]:
    return {"response": [_recorder(diag), bound_bodies(on_refused=diag.note_too_large)]}


def _headers(headers: Any) -> httpx2.Headers:
    """The headers of every request: the given ones, answers asked for uncompressed (so the
    size counted is the size held), whatever they say."""
    out = httpx2.Headers(headers)
    out.update(UNCOMPRESSED)
    return out


@asynccontextmanager
async def http_transport(diag: Diagnostics, timeout: float) -> AsyncIterator[Any]:
    spec = diag.spec
    assert spec.url is not None
    client = httpx2.AsyncClient(
        headers=_headers(spec.headers),
        timeout=httpx2.Timeout(timeout, read=STREAM_READ_SECONDS),
        event_hooks=_hooks(diag),
        verify=_tls_context(),
    )
    # Events are bounded by the hook, at the size of any other message (tool results up to the
    # limit pass as they do over stdio), and refused with its words: the SDK's own bound (1 MiB,
    # and counted on the text, where a byte that is not UTF-8 counts three) is left off.
    async with client, streamable_http_client(
        spec.url, http_client=client, max_sse_event_size=None
    ) as streams:
        yield streams


# The clients of `sse_transport`, whose response hook bounds every event.
_BOUNDED_CLIENTS: weakref.WeakSet[httpx2.AsyncClient] = weakref.WeakSet()


@asynccontextmanager
async def _event_source(
    client: httpx2.AsyncClient,
    url: httpx2.URL | str,
    *,
    headers: dict[str, str] | None = None,
    max_event_size: int | None = 1 << 20,
) -> AsyncIterator[httpx2.EventSource]:
    """The SDK's event source for the legacy SSE transport, without the SDK's own bound on an
    event (httpx's default of 1 MiB, counted on the text, which `sse_client` offers no setting
    for) when the client is one of ours: its response hook bounds each event at the limit of
    any other message instead. Any other client keeps the SDK's bound."""
    if client in _BOUNDED_CLIENTS:
        max_event_size = None
    async with sse_within_origin(client, url, headers=headers, max_event_size=max_event_size) as source:
        yield source


# `sse_client` opens its event stream through this name of its module, looked up at each call.
mcp.client.sse.sse_within_origin = _event_source


@asynccontextmanager
async def sse_transport(diag: Diagnostics, timeout: float) -> AsyncIterator[Any]:
    spec = diag.spec
    assert spec.url is not None
    hooks = _hooks(diag)

    def factory(
        headers: dict[str, str] | None = None,
        timeout: httpx2.Timeout | None = None,
        auth: httpx2.Auth | None = None,
    ) -> httpx2.AsyncClient:
        kwargs: dict[str, Any] = {
            "headers": _headers(headers),
            "timeout": timeout,
            "event_hooks": hooks,
            "verify": _tls_context(),
        }
        if auth is not None:
            kwargs["auth"] = auth
        client = httpx2.AsyncClient(**kwargs)
        _BOUNDED_CLIENTS.add(client)
        return client

    try:
        async with sse_client(
            spec.url,
            headers=dict(spec.headers),
            timeout=timeout,
            sse_read_timeout=STREAM_READ_SECONDS,
            httpx_client_factory=factory,
        ) as streams:
            yield streams
    except BaseException as exc:
        # The SDK's reader of the event stream raises the refusal, which ends the connection
        # (its requests waiting are answered "connection closed"); once connected that is an
        # end like a server's going away, not an error of the gateway's. At start-up it is the
        # cause of the start failure.
        leaves = flatten(exc)
        refused = any(isinstance(leaf, MessageTooLarge) for leaf in leaves)
        if diag.stage != "connected" or not refused or not all(
            isinstance(leaf, (MessageTooLarge, anyio.get_cancelled_exc_class())) for leaf in leaves
        ):
            raise
