"""The enforcing MCP gateway: a policy between an AI agent's client and a real MCP server.

`policytui gateway --policy FILE TARGET` runs it (see docs/gateway.md). The pieces:

- `enforcer`: decides, charges, forwards and audits each tool call (no transport);
- `store`: the state store (counters and held calls): SQLite in the state folder by default,
  Redis for replicas on many machines, memory for one process (`open_store()`);
- `approver` and `approvals`: asking a human, by MCP elicitation or the queue in the state
  store that `policytui approvals` and the TUI answer (`ApprovalQueue`);
- `audit`: the JSON-lines audit log; `policy_watch`: reloading the policy file;
- `wire`: the wire rules (framing, strict parsing, re-encoding) every client message passes;
- `relay`: the client side as a JSON-RPC relay (stdio), `http_relay`: the same over HTTP;
- `modern`: serving MCP 2026-07-28 clients; `unknown`: hidden tools answering as missing ones;
- `upstream_stdio`: a server started as a command, spoken to in raw JSON-RPC lines;
  `upstream_common`: what it shares with `upstream`, without the MCP SDK;
- `upstream`, `server`, `stdio`, `http`, `runner`: the rest of the MCP plumbing (the SDK's
  client for servers reached over HTTP, bearer tokens, starting and stopping).

Importing this package is cheap. The MCP SDK (`mcp`, with httpx, starlette and uvicorn) loads
only for a server reached over HTTP (`upstream`) or for serving HTTP: a gateway in front of a
server started as a command never loads it, and loads the protocol's types (`mcp_types`) while
that server starts (tests/test_gateway_start_imports.py).
"""

from policytui.gateway.approvals import ApprovalQueue, PendingApproval
from policytui.gateway.state import approvals_dir, default_state_dir

__all__ = ["ApprovalQueue", "PendingApproval", "approvals_dir", "default_state_dir"]
