"""Serving the gateway over streamable HTTP, with bearer tokens as grants.

`--tokens FILE` holds `{"<token>": "<grant name>"}`. Every HTTP request must carry
`Authorization: Bearer <token>` naming a known token, or it is answered 401 before the MCP
layer sees it; the token's grant name is what per-grant rate limits count against. Tokens are
compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("policytui.gateway")

GRANT_SCOPE_KEY = "policytui.grant"


class TokensError(Exception):
    """The tokens file cannot be used; `str()` is one sentence."""


def load_tokens(path: Path) -> dict[str, str]:
    """Read `{token: grant}`; TokensError (never quoting a token) if it is not that."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TokensError(f"the tokens file {path} does not exist") from None
    except OSError as exc:
        raise TokensError(f"cannot read the tokens file {path}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError):  # RecursionError: nested thousands deep
        raise TokensError(f"the tokens file {path} is not valid JSON") from None
    if not isinstance(data, dict) or not data:
        raise TokensError(f'the tokens file {path} must be a JSON object like {{"<token>": "<grant name>"}}')
    for number, (token, grant) in enumerate(data.items(), start=1):
        if not isinstance(token, str) or len(token) < 16:
            raise TokensError(f"token number {number} in {path} is shorter than 16 characters")
        if not isinstance(grant, str) or not grant:
            raise TokensError(f"token number {number} in {path} has no grant name")
    return dict(data)


class TokenGate:
    """ASGI middleware: 401 unless the request carries a known bearer token."""

    def __init__(self, app: Any, tokens: dict[str, str] | None, default_grant: str = "default") -> None:
        self.app = app
        self.tokens = [(token.encode("utf-8"), grant) for token, grant in (tokens or {}).items()]
        self.required = tokens is not None
        self.default_grant = default_grant

    def grant_for(self, header: bytes | None) -> str | None:
        if not self.required:
            return self.default_grant
        if not header:
            return None
        scheme, _, value = header.strip().partition(b" ")
        if scheme.lower() != b"bearer" or not value:
            return None
        value = value.strip()
        found = None
        for token, grant in self.tokens:  # look at every token: timing says nothing
            if hmac.compare_digest(token, value):
                found = grant
        return found

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope.get("headers", []) if k == b"authorization"), None)
        grant = self.grant_for(header)
        if grant is None:
            body = json.dumps(
                {
                    "error": "unauthorized",
                    "error_description": "a valid bearer token is required (Authorization: Bearer <token>)",
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="policytui-gateway"'),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        scope = dict(scope)
        scope[GRANT_SCOPE_KEY] = grant
        await self.app(scope, receive, send)


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")
