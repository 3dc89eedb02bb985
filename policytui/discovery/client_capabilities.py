"""What policytui tells a server its client can do, in one place for the gateway and for listing.

A server may offer tools only to clients that declare a capability: server-everything lists
`trigger-sampling-request`, `trigger-elicitation-request` and `get-roots-list` only to a client
that declares sampling, elicitation or roots. The gateway declares these three to a server it
starts as a command (it relays such requests to its clients), so a listing that declared less
would show the user fewer tools than an agent behind the gateway gets, and the tools not shown
would be decided by `default` without anyone having seen them. Every listing (`tools`,
`connect`, `snapshot`, the editor) therefore declares what the gateway declares to a server of
the same transport. Standard library only: the stdio lister sends it before anything heavy loads.
"""

from __future__ import annotations

import copy
from typing import Any

# Declared to a server started as a command: its requests for these are relayed by the gateway
# to the client whose call is in progress, or refused with a clear error.
RELAYED_CAPABILITIES: dict[str, Any] = {"sampling": {}, "elicitation": {"form": {}}, "roots": {"listChanged": True}}


def client_capabilities(transport: str) -> dict[str, Any]:
    """The capabilities the gateway declares to a server reached over `transport`, a copy the
    caller may send. A server reached over HTTP or SSE is declared none: the gateway answers its
    requests "not supported" (docs/gateway.md)."""
    return copy.deepcopy(RELAYED_CAPABILITIES) if transport == "stdio" else {}
