"""Finding MCP servers and listing their tools.

`resolve_target` turns a name, URL, command or file into a `ServerSpec`; `start_listing` /
`list_target` (in `lister`) decide where its tools come from and get them; `open_connection`
keeps a live connection for calls. Importing this package is cheap: names load from their
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
    from policytui.discovery.errors import DiscoveryError, ListingCancelled
    from policytui.discovery.lister import (
        Lister,
        has_offline_snapshot,
        list_target,
        start_listing,
    )
    from policytui.discovery.resolve import ServerRow, find_servers, resolve_target
    from policytui.discovery.snapshot import load_snapshot
    from policytui.discovery.spec import ServerSpec
    from policytui.toolinfo import ServerListing

# name -> the module that defines it
_HOMES = {
    "CATALOGUE": "policytui.discovery.catalogue",
    "Connection": "policytui.discovery.connect",
    "DiscoveryError": "policytui.discovery.errors",
    "Lister": "policytui.discovery.lister",
    "ListingCancelled": "policytui.discovery.errors",
    "ServerListing": "policytui.toolinfo",
    "ServerRow": "policytui.discovery.resolve",
    "ServerSpec": "policytui.discovery.spec",
    "find_servers": "policytui.discovery.resolve",
    "has_offline_snapshot": "policytui.discovery.lister",
    "list_target": "policytui.discovery.lister",
    "load_snapshot": "policytui.discovery.snapshot",
    "resolve_target": "policytui.discovery.resolve",
    "start_listing": "policytui.discovery.lister",
}

__all__ = [
    "CATALOGUE",
    "Connection",
    "DiscoveryError",
    "Lister",
    "ListingCancelled",
    "ServerListing",
    "ServerRow",
    "ServerSpec",
    "find_servers",
    "has_offline_snapshot",
    "list_target",
    "list_tools",
    "load_snapshot",
    "offline_listing",
    "open_connection",
    "resolve_target",
    "start_listing",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES)


async def list_tools(spec: ServerSpec, *, timeout: float = 30.0) -> ServerListing:
    """The server's tools, as `list_target` decides (see `policytui.discovery.lister`);
    cancelling the caller kills a stdio server at once."""
    import anyio

    from policytui.discovery.lister import start_listing

    lister = start_listing(spec, timeout=timeout)
    try:
        return await anyio.to_thread.run_sync(lister, abandon_on_cancel=True)
    finally:
        lister.cancel()  # a no-op once it has finished


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
