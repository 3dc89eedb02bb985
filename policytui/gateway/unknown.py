"""Hidden tools answer as tools that do not exist.

An agent must not be able to tell a hidden tool from one the server does not have: not from
`tools/list` (hidden tools are dropped there) and not from the answer to a call. Servers differ
in that answer (the Python SDK's FastMCP returns a tool result "Unknown tool: NAME", the
TypeScript SDK a tool result "MCP error -32602: Tool NAME not found", others a JSON-RPC
error), so at start the gateway asks its server once, with a tool name no server has, and
answers every hidden tool the same way with the name put in. That probe is the gateway's own
call and has its audit record (`decision: "probe"`), like every call that reaches the server.

A call the policy blocks for a tool the server does not list gets the same answer, so a hidden
tool cannot be told apart by a default-deny policy either.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

import anyio

from policytui.decision import Decision, Outcome
from policytui.decision.decide import UNLISTED_REASON, UNLISTED_RULE
from policytui.gateway.audit import AuditLog, args_digest, utc_now_iso
from policytui.gateway.enforcer import INVALID, UpstreamFailure, denied_result
from policytui.gateway.upstream_common import RpcError

log = logging.getLogger("policytui.gateway")

INVALID_PARAMS = -32602
PROBE_SECONDS = 10.0
MAX_LIST_PAGES = 1000
# How often the gateway asks for the tool list at start before giving up.
LIST_TRIES = 2


def _substitute(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_substitute(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, old, new) for key, item in value.items()}
    return value


class UnknownTools:
    """The server's answer for a tool it does not have, and the names it does list."""

    def __init__(self) -> None:
        self._probe_name = ""
        # ("result", result) or ("error", error object); the MCP specification's example
        # until the server has been asked.
        self._answer: tuple[str, Any] = ("error", {"code": INVALID_PARAMS, "message": "Unknown tool: {name}"})
        self._probe_name = "{name}"
        self.listed: frozenset[str] | None = None
        # Each listed tool's `inputSchema` as the server sent it (for the `Mcp-Param-*` headers
        # a 2026-07-28 client mirrors from the arguments its schema marks `x-mcp-header`).
        self.schemas: dict[str, Any] = {}
        # Each listed tool's entry as the server sent it, and who is told after each listing
        # (the tools the policy does not name: policytui.gateway.unnamed).
        self.entries: dict[str, Any] = {}
        self.on_listed: Callable[[], None] | None = None
        # Why the last listing failed (an UpstreamFailure's kind), or "" when it did not.
        self.list_failure = ""

    async def learn(self, upstream: Any, audit: AuditLog, server_name: str = "", *, timeout: float = 30.0) -> None:
        """Ask the server how it answers an unknown tool, and which tools it lists.

        These are requests of the server's start: each waits up to `timeout` (the start's
        time-out, `--timeout`), never the call time-out, which bounds the calls relayed once
        serving begins. A server whose tools cannot be listed here stops the gateway
        (DiscoveryError): without the list, a call for a name the server does not list could
        not be told from one it does.
        """
        for _ in range(LIST_TRIES):
            # Not logged: a start that cannot list stops with one sentence saying why.
            await self.relist(upstream, timeout=timeout, log_failure=False)
            # A server that let the whole start time-out pass is not asked again.
            if self.listed is not None or self.list_failure == "timeout":
                break
        if self.listed is None:
            from policytui.discovery import DiscoveryError
            from policytui.textsafe import visible

            who = f"Server {visible(server_name)!r}" if server_name else "The server"
            if self.list_failure == "timeout":
                raise DiscoveryError(
                    f"{who} started but did not answer tools/list within {timeout:g} s when the gateway "
                    "asked again; use --timeout to wait longer."
                )
            raise DiscoveryError(f"{who} started but failed to list its tools when the gateway asked again")
        name = f"policytui-probe-{secrets.token_hex(8)}"
        arguments: dict[str, Any] = {}
        record = {
            "time": utc_now_iso(),
            "server": server_name,
            "grant": "",
            "session": "",
            "tool": name,
            "decision": "probe",
            "rule": "gateway",
            "reason": "learning how the server answers a tool it does not have",
            "args_sha256": args_digest(arguments),
        }
        try:
            probe_seconds = min(PROBE_SECONDS, timeout)
            with anyio.fail_after(probe_seconds):
                result = await upstream.request(
                    "tools/call", {"name": name, "arguments": arguments}, timeout=probe_seconds
                )
            self._answer, self._probe_name = ("result", result), name
            record["upstream"] = "error_result" if isinstance(result, dict) and result.get("isError") else "ok"
        except UpstreamFailure as failure:
            error = failure.error
            record["upstream"] = failure.kind
            # An invalid result too: a call for a tool the server does not have gets the
            # same "invalid result" error from the gateway, so a hidden one must as well.
            if failure.kind in ("error", INVALID):
                code = getattr(error, "code", INVALID_PARAMS)
                message = getattr(error, "message", "") or str(error)
                data = getattr(error, "data", None)
                err: dict[str, Any] = {"code": code, "message": message}
                if data is not None:
                    err["data"] = data
                self._answer, self._probe_name = ("error", err), name
        except TimeoutError:
            record["upstream"] = "timeout"
        try:
            audit.write(record)
        except OSError as exc:
            log.error("cannot write the audit log: %s", exc)
        if self.listed is not None and name in self.listed:  # cannot happen; be safe anyway
            self._answer, self._probe_name = ("error", {"code": INVALID_PARAMS, "message": "Unknown tool: {name}"}), "{name}"

    async def relist(self, upstream: Any, *, timeout: float | None = None, log_failure: bool = True) -> None:
        """The names of every tool the server lists now (all pages), each page waited for up to
        `timeout` (None: the call time-out). A failure leaves the last listing, its kind
        ("timeout", "error"...) in `list_failure`, and is logged unless `log_failure` is off."""
        self.list_failure = ""
        names: set[str] = set()
        schemas: dict[str, Any] = {}
        entries: dict[str, Any] = {}
        cursor: Any = None
        try:
            for _ in range(MAX_LIST_PAGES):
                result = await upstream.request(
                    "tools/list", {"cursor": cursor} if cursor else None, timeout=timeout
                )
                for tool in result.get("tools") or ():
                    if isinstance(tool, dict) and isinstance(tool.get("name"), str):
                        names.add(tool["name"])
                        schemas[tool["name"]] = tool.get("inputSchema")
                        entries[tool["name"]] = tool
                cursor = result.get("nextCursor")
                if not cursor:
                    break
        except Exception as exc:  # noqa: BLE001 - a listing failure leaves the last listing
            self.list_failure = exc.kind if isinstance(exc, UpstreamFailure) else type(exc).__name__
            if log_failure:
                log.warning("could not list the server's tools (%s); the last listing stands", self.list_failure)
            return
        self.listed = frozenset(names)
        self.schemas = schemas
        self.entries = entries
        if self.on_listed is not None:
            self.on_listed()

    def lists(self, tool: str) -> bool:
        """Whether the server lists `tool` (False while its listing is not known: a name the
        gateway cannot check is not forwarded)."""
        return self.listed is not None and tool in self.listed

    def audit_unlisted(self, enforcer: Any, tool: str, args: Any, caller: Any) -> None:
        """The audit record of a call for a tool the server does not list (answered by the
        gateway, never forwarded)."""
        record = {
            "time": utc_now_iso(),
            "server": enforcer.server_name,
            "grant": caller.grant,
            "session": caller.session,
            "tool": tool,
            "decision": "denied",
            "rule": UNLISTED_RULE,
            "reason": UNLISTED_REASON,
            "args_sha256": args_digest(args),
            "ms": 0.0,
        }
        try:
            enforcer.audit.write(record)
        except OSError as exc:
            log.error("cannot write the audit log: %s", exc)
        # gateway --record: recorded like every other call, so the recording and the audit log
        # list the same calls (a replay counts it as not compared, whatever the draft).
        if enforcer.recorder is not None:
            try:
                enforcer.recorder.write(record, args)
            except OSError as exc:
                log.error("cannot write the recording: %s", exc)

    def unknown(self, tool: str) -> dict[str, Any]:
        """The server's answer for `tool` as if it did not exist (raises RpcError when the
        server answers unknown tools with a JSON-RPC error)."""
        kind, answer = self._answer
        answer = _substitute(answer, self._probe_name, tool)
        if kind == "error":
            raise RpcError(int(answer.get("code", INVALID_PARAMS)), str(answer.get("message", "")), answer.get("data"))
        return answer  # type: ignore[no-any-return]

    def blocked(self, tool: str, decision: Decision) -> dict[str, Any]:
        """What the agent gets for a call the policy blocked."""
        if decision.outcome is Outcome.HIDDEN or (self.listed is not None and tool not in self.listed):
            return self.unknown(tool)
        return denied_result(decision)
