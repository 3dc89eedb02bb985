"""Clients of MCP 2026-07-28 ("modern"): no handshake, everything a request needs in its `_meta`.

A modern request carries `_meta["io.modelcontextprotocol/protocolVersion"]` (a modern
version) and `_meta["io.modelcontextprotocol/clientCapabilities"]`. The relay serves such
requests next to handshake-era ones, in front of handshake-era servers:

- `server/discover` is answered by the gateway (versions, the server's capabilities, name and
  instructions);
- methods the modern protocol removed (`ping`, `logging/setLevel`, `resources/subscribe`,
  `resources/unsubscribe`, `initialize` under a modern `_meta`) are "Method not found";
- results are re-shaped for the modern protocol (`resultType`, the server's identity in
  `_meta`); list results and `resources/read` carry `ttlMs: 0` and `cacheScope: "private"`:
  what a client sees depends on the policy and the grant, and the policy can change at any
  moment, so nothing may be cached or shared;
- a call that needs a human's approval is answered `input_required` with an elicitation form;
  the client retries the call with the answer and the gateway's `requestState`, an HMAC-signed,
  single-use, short-lived token bound to the tool, the arguments and the caller, so a client
  cannot forge or replay an approval;
- the server's requests during a call (sampling, elicitation, roots) reach the client in that
  call's own `input_required` round trip (`policytui.gateway.server_asks`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

PREFIX = "io.modelcontextprotocol/"
VERSION_KEY = PREFIX + "protocolVersion"
CAPABILITIES_KEY = PREFIX + "clientCapabilities"
SERVER_INFO_KEY = PREFIX + "serverInfo"
MODERN_VERSIONS = ("2026-07-28",)
REMOVED_METHODS = frozenset({"ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe", "initialize"})
CACHEABLE = frozenset({"tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read"})
HEADER_MISMATCH = -32020
UNSUPPORTED_VERSION = -32022
APPROVAL_KEY = "policytui-approval"


def requested_version(params: Any) -> str | None:
    """The protocol version a request's `_meta` names, or None for a handshake-era request."""
    meta = params.get("_meta") if isinstance(params, dict) else None
    version = meta.get(VERSION_KEY) if isinstance(meta, dict) else None
    return version if isinstance(version, str) else None


def names_version(params: Any) -> bool:
    """Whether a request's `_meta` holds the protocol version key at all, whatever its type.

    A version of another type (a number, a list, null) names no version the gateway serves,
    yet says the request is not of the handshake era: it is refused like an unsupported
    version, never served as a handshake-era request (fail closed on the ambiguous)."""
    meta = params.get("_meta") if isinstance(params, dict) else None
    return isinstance(meta, dict) and VERSION_KEY in meta


def client_capabilities(params: Any) -> dict[str, Any]:
    meta = params.get("_meta") if isinstance(params, dict) else None
    capabilities = meta.get(CAPABILITIES_KEY) if isinstance(meta, dict) else None
    return capabilities if isinstance(capabilities, dict) else {}


def check_request(params: Any) -> tuple[int, str, Any] | None:
    """An error (code, message, data) for a modern request that is not well formed, else None."""
    version = requested_version(params)
    if version not in MODERN_VERSIONS:
        meta = params.get("_meta") if isinstance(params, dict) else None
        return UNSUPPORTED_VERSION, "Unsupported protocol version", {
            "supported": list(MODERN_VERSIONS), "requested": meta.get(VERSION_KEY) if isinstance(meta, dict) else None}
    meta = params["_meta"]
    if not isinstance(meta.get(CAPABILITIES_KEY), dict):
        return -32602, f"Invalid params: _meta is missing {CAPABILITIES_KEY}", None
    return None


def discover_result(initialize_result: dict[str, Any], handshake_versions: list[str]) -> dict[str, Any]:
    """The gateway's `server/discover` answer, from what it tells handshake-era clients."""
    result: dict[str, Any] = {
        "resultType": "complete",
        "supportedVersions": [*handshake_versions, *MODERN_VERSIONS],
        "capabilities": initialize_result.get("capabilities") or {},
        "_meta": {SERVER_INFO_KEY: initialize_result.get("serverInfo") or {"name": "policytui-gateway", "version": ""}},
        "ttlMs": 0,
        "cacheScope": "private",
    }
    if initialize_result.get("instructions"):
        result["instructions"] = initialize_result["instructions"]
    return result


def to_modern(method: str, version: str, result: dict[str, Any], server_info: dict[str, Any]) -> dict[str, Any]:
    """A handshake-era result re-shaped for a modern client."""
    if result.get("resultType") == "input_required":
        return result
    shaped = dict(result)
    try:
        from mcp_types import methods

        shaped = methods.serialize_server_result(method, version, {"resultType": "complete", **shaped})
    except Exception:  # noqa: BLE001 - a method or shape the schema does not know: pass it as it is
        shaped = dict(result)
    shaped.setdefault("resultType", "complete")
    if method in CACHEABLE:
        shaped["ttlMs"] = 0
        shaped["cacheScope"] = "private"
    # A server's `_meta` that is not an object is no metadata the client could read: replaced.
    raw_meta = shaped.get("_meta")
    meta = dict(raw_meta) if isinstance(raw_meta, dict) else {}
    meta.setdefault(SERVER_INFO_KEY, server_info)
    shaped["_meta"] = meta
    return shaped


class ApprovalStates:
    """Signs and checks the `requestState` of an approval round trip (single use, 10 minutes)."""

    LIFETIME = 600.0

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._used: dict[str, float] = {}

    def _mac(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(hmac.new(self._key, payload, hashlib.sha256).digest()).decode().rstrip("=")

    def issue(self, tool: str, digest: str, grant: str) -> str:
        body = {"t": tool, "a": digest, "g": grant, "e": time.time() + self.LIFETIME, "n": secrets.token_hex(8)}
        payload = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + self._mac(payload)

    def redeem(self, state: Any, tool: str, digest: str, grant: str) -> bool:
        """True once for a genuine, unexpired state issued for this very call and caller."""
        if not isinstance(state, str) or state.count(".") != 1:
            return False
        encoded, mac = state.split(".")
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            body = json.loads(payload)
        except (ValueError, TypeError):
            return False
        if not hmac.compare_digest(self._mac(payload), mac) or not isinstance(body, dict):
            return False
        now = time.time()
        for nonce, expires in list(self._used.items()):
            if expires < now:
                del self._used[nonce]
        nonce = str(body.get("n"))
        if body.get("t") != tool or body.get("a") != digest or body.get("g") != grant:
            return False
        if not isinstance(body.get("e"), (int, float)) or body["e"] < now or nonce in self._used:
            return False
        self._used[nonce] = float(body["e"])
        return True
