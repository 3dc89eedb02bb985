"""Connecting to a live server: initialize, then every page of tools/list, kept as sent.

Requests go out raw through the SDK's JSON-RPC dispatcher, so each tool arrives exactly as the
server sent it and one malformed tool is named instead of sinking the whole list (the SDK's
typed `list_tools` raises on the first bad one). A `ClientSession` rides the same connection
for typed calls.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

from policytui import __version__
from policytui.discovery.client_capabilities import client_capabilities
from policytui.discovery.diagnostics import Diagnostics
from policytui.discovery.errors import DiscoveryError
from policytui.discovery.explain import explain, flatten
from policytui.discovery.listing import build_listing
from policytui.discovery.logs import quiet_sdk_logging
from policytui.discovery.spec import ServerSpec
from policytui.textsafe import visible
from policytui.toolinfo import ServerListing

PROTOCOL_HEADER = "mcp-protocol-version"
# A paginator that never ends must not spin forever even inside the overall deadline.
MAX_PAGES = 100_000
# After a plain listing, how long a stdio server may take to exit on EOF before it is signalled.
LIST_CLOSE_GRACE = 0.5


class WatchedDispatcher(JSONRPCDispatcher):
    """The SDK's dispatcher, with an event set when its receive loop ends: the connection is
    over (an event stream that ended, a transport torn down). The SDK only marks itself closed
    and wakes the requests waiting then; a gateway with no request waiting must hear of it too,
    or it goes on as if its server were up until the next message."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ended = anyio.Event()

    async def run(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().run(*args, **kwargs)
        finally:
            self.ended.set()


@dataclass
class Connection:
    """A live, initialized connection with the server's full tool list.

    `session` (alias `client`) is an `mcp.client.session.ClientSession` for typed calls;
    `call_tool_raw` and `request` send raw JSON-RPC and return results exactly as sent.
    """

    spec: ServerSpec
    session: ClientSession
    dispatcher: JSONRPCDispatcher
    listing: ServerListing
    initialize_result: dict[str, Any]  # the initialize answer as sent
    raw_tools: list[Any]  # every tools/list entry as sent, broken ones included
    protocol_version: str
    diagnostics: Diagnostics = field(repr=False)

    @property
    def client(self) -> ClientSession:
        return self.session

    @property
    def server_info(self) -> dict[str, Any]:
        info = self.initialize_result.get("serverInfo")
        return info if isinstance(info, dict) else {}

    @property
    def ended(self) -> anyio.Event | None:
        """Set once the connection is over by itself or torn down (`WatchedDispatcher`)."""
        return getattr(self.dispatcher, "ended", None)

    @property
    def pid(self) -> int | None:
        """The server process (stdio only), for callers that watch it."""
        return self.diagnostics.pid

    def stderr_tail(self) -> str:
        return self.diagnostics.stderr_tail()

    @property
    def broken_off(self) -> str:
        """The words of a message refused where it cannot be tied to a request, which ended
        the connection ("sent a message larger than 64 MiB (the limit)"), or "". Over the
        legacy SSE transport every answer comes on one event stream: a refusal there ends it
        (over Streamable HTTP a refusal fails its own request only)."""
        return self.diagnostics.too_large if self.spec.transport == "sse" else ""

    async def request(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Send one raw request; the result dict as sent. Raises MCPError on an error answer."""
        opts: dict[str, Any] = {"headers": {PROTOCOL_HEADER: self.protocol_version}}
        if timeout is not None:
            opts["timeout"] = timeout
        return await self.dispatcher.send_raw_request(method, params, opts)  # type: ignore[arg-type]

    async def refresh_tools(self, *, timeout: float = 30.0) -> ServerListing:
        """List every page of tools again (after `notifications/tools/list_changed`)."""
        raw_tools = await _list_all_tools(
            self.dispatcher, self.protocol_version, timeout, self.spec.name
        )
        self.raw_tools = raw_tools
        self.listing = build_listing(
            raw_tools, self.initialize_result, self.spec, transport=self.spec.transport
        )
        return self.listing

    async def call_tool_raw(
        self, name: str, arguments: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """Call a tool; the CallToolResult exactly as the server sent it."""
        return await self.request(
            "tools/call", {"name": name, "arguments": arguments or {}}, timeout=timeout
        )


@asynccontextmanager
async def open_connection(
    spec: ServerSpec,
    *,
    timeout: float = 30.0,
    call_timeout: float | None = 300.0,
    close_grace: float = 2.0,
    message_handler: Any = None,
) -> AsyncIterator[Connection]:
    """Start or reach the server, initialize, list every tool; yield the live Connection.

    `timeout` bounds everything up to the full tool list (start-up included); `call_timeout`
    bounds each later typed request on `session`; `close_grace` is how long a stdio server
    may take to exit after its stdin closes before it is signalled; `message_handler` receives
    the server's notifications and requests (as `ClientSession` passes them). Enter and leave
    in the same task. Raises DiscoveryError with one clear sentence (and the server's stderr
    tail) on any failure.
    """
    quiet_sdk_logging()
    if spec.transport == "snapshot":
        raise DiscoveryError(
            f"{spec.describe()} is a snapshot file; it has no live server to connect to."
        )
    diag = Diagnostics(spec)
    connected = False
    try:
        with anyio.CancelScope(deadline=anyio.current_time() + timeout) as deadline:
            try:
                async with AsyncExitStack() as stack:
                    streams = await stack.enter_async_context(
                        _transport(diag, timeout, close_grace)
                    )
                    dispatcher = WatchedDispatcher(streams[0], streams[1])
                    session = ClientSession(
                        dispatcher=dispatcher,
                        read_timeout_seconds=call_timeout,
                        client_info=types.Implementation(name="policytui", version=__version__),
                        message_handler=message_handler,
                    )
                    await stack.enter_async_context(session)
                    diag.stage = "initialize"
                    init = await _initialize(dispatcher, session, timeout, spec.transport)
                    version = init["protocolVersion"]
                    diag.stage = "tools/list"
                    raw_tools = await _list_all_tools(
                        dispatcher, version, timeout, spec.name, diag=diag
                    )
                    listing = build_listing(raw_tools, init, spec, transport=spec.transport)
                    diag.stage = "connected"
                    # Start-up is done: a long-lived connection must not die at the deadline.
                    deadline.deadline = math.inf
                    connected = True
                    yield Connection(
                        spec=spec,
                        session=session,
                        dispatcher=dispatcher,
                        listing=listing,
                        initialize_result=init,
                        raw_tools=raw_tools,
                        protocol_version=version,
                        diagnostics=diag,
                    )
            except BaseException as exc:
                if connected or isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                if all(_is_cancel(leaf) for leaf in flatten(exc)):
                    raise  # a cancellation (ours at the deadline, or the caller's) passes through
                if anyio.current_time() >= deadline.deadline:
                    # Whatever broke while the deadline tore things down, the cause is the wait.
                    raise explain(TimeoutError(), diag, timeout) from None
                raise explain(exc, diag, timeout) from None
        if deadline.cancelled_caught and not connected:
            raise explain(TimeoutError(), diag, timeout)
    finally:
        diag.close()


def _is_cancel(exc: BaseException) -> bool:
    return isinstance(exc, anyio.get_cancelled_exc_class())


def _transport(diag: Diagnostics, timeout: float, close_grace: float) -> Any:
    if diag.spec.transport == "stdio":
        from policytui.discovery.stdio import stdio_transport

        return stdio_transport(diag, close_grace=close_grace)
    from policytui.discovery.http import http_transport, sse_transport

    if diag.spec.transport == "sse":
        return sse_transport(diag, timeout)
    return http_transport(diag, timeout)


async def _initialize(
    dispatcher: JSONRPCDispatcher, session: ClientSession, timeout: float, transport: str
) -> dict[str, Any]:
    """The legacy handshake, raw: server info kept as sent, then adopted by the session. The
    capabilities declared are the gateway's for the transport (`client_capabilities`), so the
    tools listed are every tool an agent behind the gateway can get."""
    params = {
        "protocolVersion": LATEST_HANDSHAKE_VERSION,
        "capabilities": client_capabilities(transport),
        "clientInfo": {"name": "policytui", "version": __version__},
    }
    raw = await dispatcher.send_raw_request(
        "initialize",
        params,
        {"timeout": timeout, "cancel_on_abandon": False},  # type: ignore[typeddict-item]
    )
    try:
        result = types.InitializeResult.model_validate(raw, by_name=False)
    except ValueError as exc:
        raise DiscoveryError(
            f"The server's answer to initialize is not valid MCP ({visible(_first_problem(exc))})."
        ) from None
    if result.protocol_version not in HANDSHAKE_PROTOCOL_VERSIONS:
        raise DiscoveryError(
            f"The server speaks MCP protocol version {result.protocol_version!r}, which policytui does not know."
        )
    session.adopt(result)
    await session.send_notification(types.InitializedNotification())
    return raw


def _first_problem(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError) and exc.error_count():
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = str(first.get("msg", ""))
        return f"{where}: {message}" if where else message
    return type(exc).__name__


async def _list_all_tools(
    dispatcher: JSONRPCDispatcher,
    version: str,
    timeout: float,
    name: str,
    *,
    diag: Diagnostics | None = None,
) -> list[Any]:
    """Every page of tools/list, following nextCursor, entries untouched."""
    who = f"Server {visible(name)!r}"
    entries: list[Any] = []
    cursor: str | None = None
    seen: set[str] = set()
    for page in range(MAX_PAGES):
        params = {"cursor": cursor} if cursor is not None else None
        result = await dispatcher.send_raw_request(
            "tools/list",
            params,
            {"timeout": timeout, "headers": {PROTOCOL_HEADER: version}},  # type: ignore[typeddict-item]
        )
        tools = result.get("tools") if isinstance(result, dict) else None
        if not isinstance(tools, list):
            raise DiscoveryError(
                f"{who} answered tools/list (page {page + 1}) without a list of tools."
            )
        entries.extend(tools)
        if diag is not None:
            diag.pages, diag.tools_listed = page + 1, len(entries)
        next_cursor = result.get("nextCursor")
        if next_cursor is None:
            return entries
        if not isinstance(next_cursor, str):
            raise DiscoveryError(
                f"{who} sent a tools/list page ({page + 1}) whose nextCursor is not text."
            )
        if next_cursor in seen:
            raise DiscoveryError(
                f"{who} sent tools/list pages that go round in a circle: page {page + 1} points back to an earlier one."
            )
        seen.add(next_cursor)
        cursor = next_cursor
    raise DiscoveryError(f"{who} sent tools/list pages that did not end after {MAX_PAGES} pages.")
