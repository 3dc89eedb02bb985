"""Streamable HTTP and legacy SSE transports, with every HTTP error answer recorded.

The SDK turns a 401 or 404 into a generic JSON-RPC error; the response hook below keeps the
status so the failure can be explained ("refused with HTTP 401: check the Authorization header").
A second hook bounds each message the server sends (`http_limit`).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

import httpx2
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from policytui.discovery.diagnostics import Diagnostics, HttpAnswer
from policytui.discovery.http_limit import UNCOMPRESSED, bound_bodies

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
        return httpx2.AsyncClient(**kwargs)

    async with sse_client(
        spec.url,
        headers=dict(spec.headers),
        timeout=timeout,
        sse_read_timeout=STREAM_READ_SECONDS,
        httpx_client_factory=factory,
    ) as streams:
        yield streams
