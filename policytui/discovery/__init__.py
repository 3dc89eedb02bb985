"""Finding MCP servers and listing their tools.

`resolve_target` turns a name, URL, command or file into a `ServerSpec`; `list_tools` and
`open_connection` talk to the server. Importing this package is cheap: names load from their
submodules on first use (PEP 562), and the MCP SDK (about a second to import) loads only when a
live server is contacted. `policytui connect` resolves its target before the editor's first
frame, so what that needs is all it loads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from policytui.lazy import lazy_names

if TYPE_CHECKING:
    from policytui.discovery.catalogue import CATALOGUE
    from policytui.discovery.connect import Connection
    from policytui.discovery.errors import DiscoveryError
    from policytui.discovery.resolve import ServerRow, find_servers, resolve_target
    from policytui.discovery.snapshot import load_snapshot
    from policytui.discovery.spec import ServerSpec
    from policytui.toolinfo import ServerListing

# name -> the module that defines it
_HOMES = {
    "CATALOGUE": "policytui.discovery.catalogue",
    "Connection": "policytui.discovery.connect",
    "DiscoveryError": "policytui.discovery.errors",
    "ServerListing": "policytui.toolinfo",
    "ServerRow": "policytui.discovery.resolve",
    "ServerSpec": "policytui.discovery.spec",
    "find_servers": "policytui.discovery.resolve",
    "load_snapshot": "policytui.discovery.snapshot",
    "resolve_target": "policytui.discovery.resolve",
}

__all__ = [
    "CATALOGUE",
    "Connection",
    "DiscoveryError",
    "ServerListing",
    "ServerRow",
    "ServerSpec",
    "find_servers",
    "list_tools",
    "load_snapshot",
    "offline_listing",
    "open_connection",
    "resolve_target",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES)


async def list_tools(spec: ServerSpec, *, timeout: float = 30.0) -> ServerListing:
    """The server's tools (see `policytui.discovery.connect.list_tools`)."""
    from policytui.discovery.connect import list_tools as _list_tools

    return await _list_tools(spec, timeout=timeout)


@asynccontextmanager
async def open_connection(
    spec: ServerSpec,
    *,
    timeout: float = 30.0,
    call_timeout: float | None = 300.0,
    close_grace: float = 2.0,
    message_handler: object = None,
) -> AsyncIterator[Connection]:
    """A live Connection (see `policytui.discovery.connect.open_connection`)."""
    from policytui.discovery.connect import open_connection as _open_connection

    async with _open_connection(
        spec,
        timeout=timeout,
        call_timeout=call_timeout,
        close_grace=close_grace,
        message_handler=message_handler,
    ) as connection:
        yield connection


def offline_listing(spec: ServerSpec, *, reason: str) -> ServerListing:
    """The shipped snapshot standing in for a catalogue server, marked offline with `reason`."""
    from policytui.discovery.snapshot import offline_listing as _offline_listing

    return _offline_listing(spec, reason=reason)
