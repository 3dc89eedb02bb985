"""How much of a server's output one message may take.

A server is not trusted with the memory of the process that reads it: a buggy or hostile one
can print a line of gigabytes. Tool results may be whole files, so the bound is well above what
any client request needs (the gateway's own limit on those is `wire.MAX_MESSAGE_BYTES`, 8 MiB)
and well below what a workstation or a small container can spare.
"""

from __future__ import annotations

MEBIBYTE = 1 << 20
# One JSON-RPC message from a server, as the gateway reads a server started as a command (one
# line of its standard output). Over HTTP the MCP SDK's client reads the server instead.
MAX_SERVER_MESSAGE_BYTES = 64 * MEBIBYTE


def described(size: int) -> str:
    """A size in the words the limit is documented in ("64 MiB")."""
    return f"{size // MEBIBYTE} MiB" if size % MEBIBYTE == 0 else f"{size} bytes"
