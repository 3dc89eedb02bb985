"""The MCP server the agent's client talks to: policy in front, the real server behind.

`Gateway` holds what every client side shares (tools/list filtering, upstream notifications
and the server's requests routed to the right client, the `initialize` answer, the signing key
of approval round trips). Clients on stdio pipes and over HTTP are served by the relay
(`policytui.gateway.relay`, `policytui.gateway.http_relay`); the SDK server that
`Gateway.build` makes serves only a terminal or a file on standard input, and gives the
relay its `initialize` answer.

That server is built on the SDK's low-level `Server`, so results are passed on as the upstream
server sent them (raw dicts) instead of being rebuilt from typed models. What is served:

- `tools/list`: the upstream answer with hidden tools removed (nothing removed in dry-run);
- `tools/call`: decided by the `Enforcer`; allowed calls are forwarded with progress relayed;
- resources, prompts, completions and logging: forwarded unchanged, offered only when the
  upstream server offers them;
- upstream notifications (list changes, resource updates, log messages) go to every connected
  client (resource updates only to clients that subscribed to that resource).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import warnings
import weakref
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.lowlevel.server import NotificationOptions
from mcp.shared.exceptions import MCPError

from policytui.decision import Caller, Decision
from policytui.gateway.approver import Approver, Elicit
from policytui.gateway.enforcer import Enforcer, UpstreamFailure
from policytui.gateway.upstream import Upstream
from policytui.gateway.upstream_stdio import StdioUpstream
from policytui.policy.model import Policy
from policytui.textsafe import encoded_secrets, holds_secrets, without_secrets

log = logging.getLogger("policytui.gateway")

# Upstream notifications passed on to clients. Progress goes to the one caller instead, and
# notifications about upstream's own requests (elicitation, tasks) mean nothing to clients.
BROADCAST = frozenset(
    {
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "notifications/message",
    }
)
RESOURCE_UPDATED = "notifications/resources/updated"
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603
# How long the server's request relayed to a handshake-era client may wait for the answer: a
# client that never answers must not hold it, and the relay's task, for good. (Approval forms
# have their own time-out, --approval-timeout; 2026-07-28 calls, server_asks.PARK_SECONDS.)
CLIENT_ANSWER_SECONDS = 600.0

APPROVAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "approve": {
            "type": "boolean",
            "title": "Approve this call",
            "description": "Yes lets the call through to the server; no denies it.",
            "default": False,
        }
    },
    "required": ["approve"],
}


@dataclass
class Identity:
    """Who the clients of this gateway are, when the transport cannot say (stdio)."""

    grant: str = "default"
    # One id for the whole process: over stdio one client owns the gateway.
    session: str = ""

    def __post_init__(self) -> None:
        if not self.session:
            self.session = uuid.uuid4().hex[:12]


class _GatewayServer(Server):
    """A low-level Server whose default initialization options announce list changes."""

    notification_options = NotificationOptions(tools_changed=True)

    def create_initialization_options(self, notification_options=None, experimental_capabilities=None, extensions=None):  # type: ignore[no-untyped-def]
        return super().create_initialization_options(
            notification_options or self.notification_options, experimental_capabilities, extensions
        )


class Gateway:
    """Ties the upstream connection, the enforcer and the approver to one MCP `Server`."""

    def __init__(
        self,
        upstream: Upstream | StdioUpstream,
        enforcer: Enforcer,
        approver: Approver,
        policy: Any,
        *,
        identity: Identity | None = None,
        http: bool = False,
    ) -> None:
        self.upstream = upstream
        self.enforcer = enforcer
        self.approver = approver
        self._policy = policy  # callable returning the policy in force
        self.identity = identity or Identity()
        self.http = http
        self.dry_run = enforcer.dry_run
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()
        # uri -> connections subscribed to it (weak: a closed connection drops out by itself)
        self._subscribers: dict[str, weakref.WeakSet[Any]] = {}
        # Clients served by the raw stdio relay (policytui.gateway.relay), outside the SDK.
        self._relays: set[Any] = set()
        # Signs the requestState of approvals asked of 2026-07-28 clients (input_required).
        from policytui.gateway.modern import ApprovalStates
        from policytui.gateway.server_asks import ModernCalls

        self.approval_states = ApprovalStates()
        # 2026-07-28 calls in progress: the server's requests during them are round trips.
        self.modern_calls = ModernCalls()
        # The server's answer for unknown tools and the names it lists (set by the runner).
        self.unknown_tools: Any = None
        # Credentials the gateway holds for the server, shown to clients as *** (see
        # GatewayConfig.server_secrets), and how they may stand in a line of JSON.
        self._secrets: tuple[str, ...] = ()
        self.secret_forms: tuple[bytes, ...] = ()
        self._background: set[Any] = set()

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    @secrets.setter
    def secrets(self, secrets: tuple[str, ...]) -> None:
        self._secrets = tuple(secrets)
        self.secret_forms = encoded_secrets(self._secrets)

    def starred(self, value: Any) -> Any:
        """`value` (a message, a result, params) with the server's credentials shown as ***:
        whatever the server sends a client (a result, an error, a notification, a request of
        its own) may quote the token it was given, and a client, an agent, must not learn it."""
        if self._secrets and holds_secrets(value, self._secrets):
            return without_secrets(value, self._secrets)
        return value

    def starred_error(self, error: Exception) -> Exception:
        """An MCP error from the server with its credentials shown as *** in the message and
        data; the error itself when they hold none."""
        message, data = getattr(error, "message", None), getattr(error, "data", None)
        if not self._secrets or not (holds_secrets(message, self._secrets) or holds_secrets(data, self._secrets)):
            return error
        return MCPError(code=getattr(error, "code", INTERNAL_ERROR), message=str(self.starred(message or "")),
                        data=self.starred(data))

    def stop(self) -> None:
        """The gateway is being stopped (SIGINT, SIGTERM, SIGHUP): from now on no call is sent to
        the server, and every call held for a human is withdrawn at once (answered as not sent).
        Calls already sent are the transport's to end."""
        self.enforcer.stopping = True
        self.approver.stop()

    def attach(self, relay: Any) -> None:
        """A relay-served client joins: it gets upstream notifications and list changes."""
        self._relays.add(relay)

    def detach(self, relay: Any) -> None:
        self._relays.discard(relay)

    # Identity of a request ------------------------------------------------------------------

    def _remember(self, ctx: Any) -> Any:
        # The SDK keeps one Connection per client connection; its outbound channel carries
        # notifications we relay. It is reached through the per-request session object.
        connection = getattr(ctx.session, "_connection", None)
        if connection is not None:
            self._connections.add(connection)
        return connection

    def caller(self, ctx: Any) -> Caller:
        """The grant (from the bearer token over HTTP) and the session of a request."""
        request = getattr(ctx, "request", None)
        scope = getattr(request, "scope", None)
        if self.http and isinstance(scope, dict):
            grant = scope.get("policytui.grant") or self.identity.grant
            headers = getattr(request, "headers", None)
            session_id = headers.get("mcp-session-id") if headers is not None else None
            # Without a transport session there is nothing narrower than the grant to count
            # a "session" limit against; counting per grant is the stricter choice.
            return Caller(grant=grant, session=f"http:{session_id}" if session_id else f"grant:{grant}")
        return Caller(grant=self.identity.grant, session=self.identity.session)

    # Handlers -------------------------------------------------------------------------------

    async def _forward(self, ctx: Any, method: str) -> dict[str, Any]:
        self._remember(ctx)
        try:
            return self.starred(await self.upstream.request(method, ctx.params, progress=self._progress_relay(ctx)))
        except UpstreamFailure as failure:
            raise self.starred_error(failure.error) from None

    def _forwarder(self, method: str) -> Any:
        async def handler(ctx: Any, params: Any) -> dict[str, Any]:
            return await self._forward(ctx, method)

        handler.__name__ = f"forward_{method.replace('/', '_')}"
        return handler

    @staticmethod
    def _progress_relay(ctx: Any) -> Any:
        meta = (ctx.params or {}).get("_meta") if isinstance(ctx.params, dict) else None
        if not isinstance(meta, dict) or "progressToken" not in meta:
            return None

        async def relay(progress: float, total: float | None, message: str | None) -> None:
            await ctx.session.report_progress(progress, total, message)

        return relay

    async def list_tools(self, ctx: Any, params: Any) -> dict[str, Any]:
        shown = self.visible_tools(await self._forward(ctx, "tools/list"))
        await self.announce_drift()
        return shown

    async def announce_drift(self) -> None:
        """After a `tools/list` the gateway read: when what it showed changed the set of drifted
        tools (pinning), say so in the log and to every client now, not at the next call."""
        if not self.dry_run and self.enforcer.pins is not None and self.enforcer.pins.enabled():
            await self.enforcer.pins.announce_changes()

    def visible_tools(self, result: Any) -> Any:
        """A `tools/list` result without the hidden tools, and without the credentials the
        gateway holds for the server; everything else as the server sent it."""
        if not self.dry_run:
            if self.enforcer.pins is not None:  # pinning: drifted tools are left out
                result = self.enforcer.pins.visible(result)  # (on the server's own definitions)
            policy: Policy = self._policy()
            tools = result.get("tools") if isinstance(result, dict) else None
            if isinstance(tools, list) and policy.hide:
                shown = [tool for tool in tools if not (isinstance(tool, dict) and policy.is_hidden(str(tool.get("name"))))]
                if len(shown) != len(tools):  # unchanged results stay the very object (sent verbatim)
                    result = dict(result)
                    result["tools"] = shown
        if self.secrets and holds_secrets(result, self.secrets):
            result = without_secrets(result, self.secrets)
        return result

    def _without_secrets(self, text: Any) -> Any:
        """`text` with the credentials the gateway holds for the server shown as ***."""
        return without_secrets(text, self.secrets) if isinstance(text, str) else text

    async def call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> dict[str, Any]:
        self._remember(ctx)
        if isinstance(ctx.params, dict) and "task" in ctx.params:
            # No tasks are offered (see policytui.gateway.relay.TASK_PARAM): refused, never forwarded.
            raise MCPError(code=-32602, message="Invalid params: the gateway does not offer tasks")
        name = params.name
        raw_args = (ctx.params or {}).get("arguments") if isinstance(ctx.params, dict) else None
        args = raw_args if raw_args is not None else {}
        caller = self.caller(ctx)
        progress = self._progress_relay(ctx)

        async def forward() -> dict[str, Any]:
            return await self.upstream.request("tools/call", ctx.params, progress=progress)

        async def ask(decision: Decision) -> Any:
            return await self.approver.ask(decision, name, args, caller, self._elicitor(ctx))

        try:
            return self.starred(await self.enforcer.handle_call(name, args, caller, forward, ask))
        except MCPError as error:
            raise self.starred_error(error) from None

    def _elicitor(self, ctx: Any) -> Elicit | None:
        """An elicitation function for this request's client, or None if it cannot be asked."""
        session = ctx.session
        capabilities = getattr(session, "client_capabilities", None)
        elicitation = getattr(capabilities, "elicitation", None)
        if elicitation is None or not getattr(session, "can_send_request", False):
            return None
        if elicitation.form is None and elicitation.url is not None:
            return None  # URL-only clients cannot show our form

        async def elicit(message: str, seconds: float) -> bool:
            result = await session.elicit_form(message, APPROVAL_SCHEMA, related_request_id=ctx.request_id)
            content = result.content or {}
            return result.action == "accept" and content.get("approve") is True

        return elicit

    async def subscribe(self, ctx: Any, params: types.SubscribeRequestParams) -> dict[str, Any]:
        connection = self._remember(ctx)
        result = await self._forward(ctx, "resources/subscribe")
        if connection is not None:
            self._subscribers.setdefault(str(params.uri), weakref.WeakSet()).add(connection)
        return result

    async def unsubscribe(self, ctx: Any, params: types.UnsubscribeRequestParams) -> dict[str, Any]:
        connection = self._remember(ctx)
        subscribers = self._subscribers.get(str(params.uri))
        if connection is not None and subscribers is not None:
            subscribers.discard(connection)
            if len(subscribers):
                return {}  # another client still wants updates: keep the upstream subscription
        return await self._forward(ctx, "resources/unsubscribe")

    # Notifications from upstream ------------------------------------------------------------

    async def relay_notification(self, notification: Any) -> None:
        if isinstance(notification, dict):  # a raw message from the stdio upstream
            method = notification.get("method")
            raw_params = notification.get("params")
            params = raw_params if isinstance(raw_params, dict) else None
        else:  # a typed notification from the SDK's client session
            method = getattr(notification, "method", None)
            params_model = getattr(notification, "params", None)
            params = (
                params_model.model_dump(by_alias=True, mode="json", exclude_none=True)
                if params_model is not None
                else None
            )
        if method not in BROADCAST and method != RESOURCE_UPDATED:
            return
        params = self.starred(params)  # a log message may quote the server's token
        if method == "notifications/tools/list_changed" and self.enforcer.pins is not None:
            self.enforcer.pins.stale()  # pinning: check the definitions again
        if method == "notifications/tools/list_changed" and self.unknown_tools is not None:
            # The set of tools the server has changed: calls for tools it no longer lists must
            # look like calls for hidden ones, and new ones like any listed tool.
            import asyncio

            task = asyncio.get_running_loop().create_task(self.unknown_tools.relist(self.upstream))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        if method == RESOURCE_UPDATED:
            uri = str((params or {}).get("uri", ""))
            targets = list(self._subscribers.get(uri, ()))
            relays = [relay for relay in self._relays if relay.subscribed(uri)]
        else:
            targets = list(self._connections)
            relays = list(self._relays)
        await self._send(targets, method, params)
        for relay in relays:
            await relay.notify(method, params)

    async def server_request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Relay a request of the server's (sampling, elicitation, roots) to the client it
        concerns and return the response members ({"result": ...} or {"error": ...}).

        The client concerned is the one with requests in progress when exactly one has any,
        else the only client connected. When that cannot be told, or the client did not
        announce the capability, the server gets an error saying so: nothing is sent to a
        client that did not ask for it.
        """
        from policytui.gateway.relay import ClientRequestError
        from policytui.gateway.server_asks import CAPABILITY_OF

        # Who may be asked: handshake-era clients with requests in progress, and 2026-07-28
        # calls in progress (parked ones too: their client's request has been answered, but the
        # server's call goes on). The one there is, else the only handshake-era client.
        handshake = [relay for relay in self._relays if not getattr(relay, "modern_only", False)]
        modern_calls = list(self.modern_calls.running)
        candidates: list[Any] = [relay for relay in handshake if relay.busy()] + modern_calls
        if not candidates:
            candidates = handshake
        if len(candidates) != 1:
            why = ("the gateway cannot tell which client it is for" if candidates
                   else "no client is connected" if not self._relays
                   else "the client of MCP 2026-07-28 has no call in progress")
            return {"error": {"code": INVALID_REQUEST, "message": f"{method} cannot be relayed: {why}"}}
        if modern_calls:
            return await modern_calls[0].ask(method, params)
        relay = candidates[0]
        capability = CAPABILITY_OF[method]
        if not isinstance(relay.client_capabilities.get(capability), dict):
            return {"error": {"code": INVALID_REQUEST, "message": f"the client does not support {capability}"}}
        try:
            async with asyncio.timeout(CLIENT_ANSWER_SECONDS):
                return {"result": await relay.request(method, params)}
        except TimeoutError:
            return {"error": {"code": INTERNAL_ERROR, "message": f"the client did not answer {method} in time"}}
        except ClientRequestError as exc:
            return {"error": exc.error or {"code": INTERNAL_ERROR, "message": str(exc)}}

    async def tools_changed(self) -> None:
        """Tell every client to list tools again (the set of hidden tools changed)."""
        await self._send(list(self._connections), "notifications/tools/list_changed", None)
        for relay in list(self._relays):
            await relay.notify("notifications/tools/list_changed", None)

    def initialize_result(self, server: Server) -> Any:
        """A function answering a client's `initialize` params as `server` would, for the relay.

        Raises ValueError for params that are not an `initialize` request's.
        """
        from mcp.server.runner import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION
        from mcp_types import methods as spec_methods

        options = server.create_initialization_options()
        cache: dict[str, dict[str, Any]] = {}

        def answer(params: dict[str, Any]) -> dict[str, Any]:
            requested = types.InitializeRequestParams.model_validate(params, by_name=False).protocol_version
            version = requested if requested in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
            if version not in cache:
                result = types.InitializeResult(
                    protocol_version=version,
                    capabilities=options.capabilities,
                    server_info=types.Implementation(
                        name=options.server_name,
                        title=options.title,
                        description=options.description,
                        version=options.server_version,
                        website_url=options.website_url,
                        icons=options.icons,
                    ),
                    instructions=options.instructions,
                )
                dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
                cache[version] = spec_methods.serialize_server_result("initialize", version, dumped)
            return cache[version]

        return answer

    @staticmethod
    async def _send(connections: list[Any], method: str, params: dict[str, Any] | None) -> None:
        for connection in connections:
            try:
                await connection.outbound.notify(method, params)
            except Exception as exc:  # noqa: BLE001 - a client that went away must not stop the others
                log.debug("could not notify a client: %s", exc)

    # The Server -----------------------------------------------------------------------------

    def build(self) -> Server:
        """A Server offering what the upstream server offers, with the gateway's handlers."""
        caps = self.upstream.capabilities
        info = self.upstream.server_info
        handlers: dict[str, Any] = {"on_list_tools": self.list_tools, "on_call_tool": self.call_tool}
        if caps is not None and caps.prompts is not None:
            handlers["on_list_prompts"] = self._forwarder("prompts/list")
            handlers["on_get_prompt"] = self._forwarder("prompts/get")
        if caps is not None and caps.resources is not None:
            handlers["on_list_resources"] = self._forwarder("resources/list")
            handlers["on_list_resource_templates"] = self._forwarder("resources/templates/list")
            handlers["on_read_resource"] = self._forwarder("resources/read")
            if caps.resources.subscribe:
                handlers["on_subscribe_resource"] = self.subscribe
                handlers["on_unsubscribe_resource"] = self.unsubscribe
        if caps is not None and caps.completions is not None:
            handlers["on_completion"] = self._forwarder("completion/complete")
        with warnings.catch_warnings():
            # Logging is deprecated in the newest protocol revision; older clients still use it.
            warnings.simplefilter("ignore")
            if caps is not None and caps.logging is not None:
                handlers["on_set_logging_level"] = self._forwarder("logging/setLevel")
            hide = self._without_secrets
            server = _GatewayServer(
                hide(getattr(info, "name", None)) or "policytui-gateway",
                version=hide(getattr(info, "version", None)) or "",
                title=hide(getattr(info, "title", None)),
                instructions=hide(self.upstream.instructions),
                **handlers,
            )
        # The SDK wraps every request in an OpenTelemetry span; with no exporter configured it
        # records nothing but costs time on every call through the gateway.
        server.middleware = [m for m in server.middleware if type(m).__name__ != "OpenTelemetryMiddleware"]
        server.notification_options = NotificationOptions(
            tools_changed=True,
            prompts_changed=bool(caps is not None and caps.prompts is not None and caps.prompts.list_changed),
            resources_changed=bool(
                caps is not None and caps.resources is not None and caps.resources.list_changed
            ),
        )
        return server
