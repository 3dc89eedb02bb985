"""What every client of the gateway shares: policy in front, the real server behind.

`Gateway` holds what the relays (`policytui.gateway.relay` for standard input and output,
`policytui.gateway.http_relay` over HTTP) share: tools/list filtering, upstream notifications
and the server's requests routed to the right client, the `initialize` answer, the signing key
of approval round trips. Calls are decided by the `Enforcer`; results are passed on as the
upstream server sent them (raw JSON), never rebuilt from typed models. What is served:

- `tools/list`: the upstream answer with hidden tools removed (nothing removed in dry-run);
- `tools/call`: decided by the `Enforcer`; allowed calls are forwarded with progress relayed;
- resources, prompts, completions and logging: forwarded unchanged, offered only when the
  upstream server offers them;
- upstream notifications (list changes, resource updates, log messages) go to every connected
  client (resource updates only to clients that subscribed to that resource); when the
  clients hold several grants, a log message goes only to the client whose request it came
  with, else to none, and `logging/setLevel` is answered without being forwarded
  (`Gateway.grants_share_server`);
- the server's own requests (sampling, elicitation, roots) go to the client whose call is in
  progress; with several grants, one that comes with no call in progress goes to none, and so
  does one that comes once the server has been sent requests of another grant than that client's.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policytui.decision import Caller
from policytui.gateway import refused as refused_mod
from policytui.gateway import wire
from policytui.gateway.approver import Approver
from policytui.gateway.enforcer import Enforcer
from policytui.gateway.flood_lines import FewerInAFlood
from policytui.gateway.upstream_common import RpcError
from policytui.policy.model import Policy
from policytui.textsafe import encoded_secrets, holds_secrets, without_secrets

if TYPE_CHECKING:
    # The protocol's types load while the server starts (`policytui.gateway.upstream_stdio`),
    # not before it is started: here they are used only once it has.
    import mcp_types as types

    # The SDK's client (`Upstream`, for servers reached over HTTP) loads only when one is used.
    from policytui.gateway.upstream import Upstream
    from policytui.gateway.upstream_stdio import StdioUpstream

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
LOG_MESSAGE = "notifications/message"
# Lines a window (the refusals' window, `refused.window_from_environment`) saying a server log
# message was withheld from every client; the rest are summed up in one line.
WITHHELD_LINES_PER_WINDOW = 20


def _withheld_summed_up(untold: int, window: float) -> None:
    log.info("withheld %d more log messages of the server from every client in the last %s s, not logged "
             "one by one", untold, f"{window:g}")


def _unrelayed_summed_up(untold: int, window: float) -> None:
    log.info("refused %d more requests of the server that came with no call in progress in the last %s s, "
             "not logged one by one", untold, f"{window:g}")


# The relay whose client's request the current task serves (set by `StdioRelay._handle`). The
# SDK's Streamable HTTP client reads each message of a request's own answer stream in a
# context copied from the task that sent the request, so a log message the server sends while
# answering that request (as the SDK's servers send a tool's log) is relayed with this naming
# the client it belongs to. A message read anywhere else (the output of a server started as a
# command, the legacy SSE stream, the session's GET stream) comes with none.
REQUESTER: contextvars.ContextVar[Any] = contextvars.ContextVar("policytui_requester", default=None)
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603
# How long the server's request relayed to a handshake-era client may wait for the answer: a
# client that never answers must not hold it, and the relay's task, for good. (Approval forms
# have their own time-out, --approval-timeout; 2026-07-28 calls, server_asks.PARK_SECONDS.)
CLIENT_ANSWER_SECONDS = 600.0
# How long the server may take to answer the gateway's `resources/unsubscribe` of a resource
# the last client following it left.
UNSUBSCRIBE_SECONDS = 30.0

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


# Requests of one client (a stdio client, an HTTP session) in progress at once unless told
# otherwise (`policytui gateway --max-in-progress`): past it, a request is refused at once, so
# a client that writes calls and never waits for their answers cannot pile work up on a server
# slow to answer, nor memory up in the gateway.
MAX_IN_PROGRESS = 64


@dataclass
class Identity:
    """Who the clients of this gateway are, when the transport cannot say (stdio)."""

    grant: str = "default"
    # One id for the whole process: over stdio one client owns the gateway.
    session: str = ""

    def __post_init__(self) -> None:
        if not self.session:
            self.session = uuid.uuid4().hex[:12]


class Gateway:
    """Ties the upstream connection, the enforcer and the approver to the clients' relays."""

    def __init__(
        self,
        upstream: Upstream | StdioUpstream,
        enforcer: Enforcer,
        approver: Approver,
        policy: Any,
        *,
        identity: Identity | None = None,
    ) -> None:
        self.upstream = upstream
        self.enforcer = enforcer
        self.approver = approver
        self._policy = policy  # callable returning the policy in force
        self.identity = identity or Identity()
        self.dry_run = enforcer.dry_run
        # The clients connected, each served by a relay (policytui.gateway.relay, http_relay).
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
        # Whether the clients hold several grants (`--tokens` naming more than one): then the
        # one server's log messages and log level are not shared among them (`relay_notification`,
        # `StdioRelay._dispatch`).
        self.grants_share_server = False
        # Requests one client may have in progress at once (`StdioRelay._over_limit`).
        self.max_in_progress = MAX_IN_PROGRESS
        # The grants whose requests and notifications the server has been sent: any of them may
        # have left the server working on its behalf (a background task that asks later).
        self._grants_served: set[str] = set()
        window = refused_mod.window_from_environment()
        self._refusal_warnings = refused_mod.RefusalWarnings(window=window)
        # A server that logs without end, each message withheld (several grants): one line
        # each, in a flood, would fill the gateway's log.
        self._withheld_lines = FewerInAFlood(_withheld_summed_up, per_window=WITHHELD_LINES_PER_WINDOW, window=window)
        # Likewise a server that asks its clients things without end, each refused (several grants).
        self._unrelayed_lines = FewerInAFlood(_unrelayed_summed_up, per_window=WITHHELD_LINES_PER_WINDOW, window=window)

    def refused(self, refusal: wire.Refusal, caller: Caller, *, line: bytes | None = None,
                message: Any = None, no_message: bool = False, one_request: bool = False) -> None:
        """A client message refused before anything was decided, over any transport: one audit
        line for each tool call it is or may be (`policytui.gateway.refused`), never charged nor
        counted, and one WARNING line (fewer in a flood). `message` is the message as read
        when it was read without doubt, else `line` its bytes (`wire.OVERLONG` for a message
        over the size limit, whose bytes were not kept, or one refused before it was read);
        `no_message` for an HTTP request that carries none (a GET or DELETE), no call;
        `one_request` for an HTTP body refused for its framing: one attempt, audited for the
        first message it holds or may hold, since what follows is not messages glued on a line
        but bytes a proxy in front may read otherwise (a chunk's end, a request of its own),
        read or not as they happened to arrive."""
        if no_message:
            calls: list[refused_mod.RefusedCall] = []
        elif message is not None:
            calls = refused_mod.calls_in_message(message)
        else:
            calls = refused_mod.calls_in_line(line if line is not None else wire.OVERLONG)
            if one_request:
                calls = calls[:1]
        # The reason may quote the client's text, which may hold one of the server's credentials.
        reason = refused_mod.clipped_reason(refusal.message, self._secrets)
        for call in calls:
            tool = None if call.tool is None else str(without_secrets(call.tool, self._secrets))
            self.enforcer.refused(tool, call.arguments, caller, reason, refusal.code)
        self._refusal_warnings.warn(refusal.message, caller.grant, caller.session, calls, self._secrets)

    def close_flood_lines(self) -> None:
        """Serving has ended: the refusals, withheld log messages and refused requests of the
        server a flood left untold are told in the log now."""
        self._refusal_warnings.close()
        self._withheld_lines.close()
        self._unrelayed_lines.close()

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
        return RpcError(getattr(error, "code", INTERNAL_ERROR), str(self.starred(message or "")),
                        self.starred(data))

    def stop(self) -> None:
        """The gateway is being stopped (SIGINT, SIGTERM, SIGHUP): from now on no call is sent to
        the server, and every call held for a human is withdrawn at once (answered as not sent).
        Calls already sent are the transport's to end."""
        self.enforcer.stopping = True
        self.approver.stop()

    async def answer_stopped(self, message: str, seconds: float) -> None:
        """After `stop`: each stdio client's requests in progress are answered (`message` for
        those cut off) before the gateway exits (`StdioRelay.stopped`)."""
        for relay in list(self._relays):
            await relay.stopped(message, seconds)

    def attach(self, relay: Any) -> None:
        """A relay-served client joins: it gets upstream notifications and list changes."""
        self._relays.add(relay)

    def detach(self, relay: Any) -> asyncio.Task[None] | None:
        """A client leaves (a stdio client closed its input, an HTTP session was deleted or
        expired). The resources it followed that no other client follows are unsubscribed
        upstream, in a task whose errors are logged, never raised here: the server keeps one
        subscription for every client, which nothing else ends. The task, for a caller that
        waits for it (the stdio relay, before the server behind is stopped), or None. Not
        while the gateway stops: the server's subscriptions end with it, or with its session."""
        if relay not in self._relays:
            return None
        self._relays.discard(relay)
        return self._end_subscriptions(relay.followed())

    def attached(self, relay: Any) -> bool:
        """Whether `relay`'s client is still here (attached, not yet detached)."""
        return relay in self._relays

    def subscribed_for_nobody(self, uri: str) -> None:
        """The server answered a `resources/subscribe` of a client that has left meanwhile (its
        request cancelled with its leaving, the server's subscription made all the same): ended
        as that client's leaving would have ended it, unless another client follows `uri`."""
        self._end_subscriptions({uri})

    def _end_subscriptions(self, uris: set[str]) -> asyncio.Task[None] | None:
        left = sorted(uri for uri in uris if not any(other.subscribed(uri) for other in self._relays))
        if not left or self.enforcer.stopping or not self.upstream.alive:
            return None
        task = asyncio.get_running_loop().create_task(self._unsubscribe(left))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _unsubscribe(self, uris: list[str]) -> None:
        """Tell the server no client follows `uris` any more, each once (unless a client
        subscribed to it again meanwhile). The errors are one log line, whatever their number:
        a client that follows many resources and leaves must not fill the log."""
        failed: list[str] = []
        for uri in uris:
            if any(relay.subscribed(uri) for relay in self._relays):
                continue
            try:
                await self.upstream.request("resources/unsubscribe", {"uri": uri}, timeout=UNSUBSCRIBE_SECONDS)
            except Exception as exc:  # noqa: BLE001 - a client's leaving never fails for the server's error
                error = getattr(exc, "error", exc)
                failed.append(refused_mod.quoted(str(getattr(error, "message", None) or type(error).__name__),
                                                 self._secrets, 200))
        if failed:
            which = "a resource" if len(failed) == 1 else f"{len(failed)} resources"
            log.info("could not end the server's subscription to %s no client follows any more: %s", which, failed[0])

    # Tools ----------------------------------------------------------------------------------

    def subscribed_elsewhere(self, relay: Any, uri: str) -> bool:
        """Whether a client other than `relay`'s follows the resource `uri`: the server keeps
        one subscription for all of them, which one client's unsubscribe must not end."""
        return any(other is not relay and other.subscribed(uri) for other in self._relays)

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
            relays = [relay for relay in self._relays if relay.subscribed(uri)]
        elif method == LOG_MESSAGE and self.grants_share_server:
            # A server logs what calls did: with several grants, a message goes only to the
            # client whose request it came with, never to another grant's (fails closed).
            requester = REQUESTER.get()
            if requester is None or requester not in self._relays:
                if self._withheld_lines.tell():
                    log.info("withheld a log message of the server from every client: several grants share "
                             "the server, and the message came with no request of a client connected")
                return
            relays = [requester]
        else:
            relays = list(self._relays)
        for relay in relays:
            await relay.notify(method, params)

    def sending_for(self, grant: str) -> None:
        """A client of `grant` is sending the server a request or a notification."""
        self._grants_served.add(grant)

    async def server_request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Relay a request of the server's (sampling, elicitation, roots) to the client it
        concerns and return the response members ({"result": ...} or {"error": ...}).

        The client concerned is the one with requests in progress when exactly one has any,
        else the only client connected, unless the clients hold several grants: then a request
        that comes with no call of a client connected in progress may be on behalf of another
        grant's earlier call, or of nobody, and is relayed to none (one log line, fewer in a
        flood); so is one that comes while one client's call is in progress once the server has
        been sent requests of another grant: nothing in a server's request over stdio says which
        call it is for, and a background task of the other grant's earlier call may be asking.
        When that cannot be told, or the client did not announce the capability, the
        server gets an error saying so: nothing is sent to a client that did not ask for it.
        (`ping` never comes here: the upstream connection answers it itself.)
        """
        from policytui.gateway.relay import ClientRequestError
        from policytui.gateway.server_asks import CAPABILITY_OF

        # Counted before anything is answered: the call the server asks for has reached its
        # tool, and an error it ends with then keeps its charge (`enforcer.REFUND_ON`).
        self.enforcer.server_asked()

        # Who may be asked: handshake-era clients with requests in progress, and 2026-07-28
        # calls in progress (parked ones too: their client's request has been answered, but the
        # server's call goes on). The one there is, else the only handshake-era client.
        handshake = [relay for relay in self._relays if not getattr(relay, "modern_only", False)]
        modern_calls = list(self.modern_calls.running)
        candidates: list[Any] = [relay for relay in handshake if relay.busy()] + modern_calls
        if not candidates and self.grants_share_server:
            if self._unrelayed_lines.tell():
                log.info("refused the server's %s request: several grants share the server, and it came with no "
                         "call of a client connected in progress", method)
            why = ("no client is connected" if not self._relays
                   else "several grants share the server and no client connected has a call in progress, so the "
                        "gateway cannot tell whose request it is")
            return {"error": {"code": INVALID_REQUEST, "message": f"{method} cannot be relayed: {why}"}}
        if not candidates:
            candidates = handshake
        if len(candidates) != 1:
            why = ("the gateway cannot tell which client it is for" if candidates
                   else "no client is connected" if not self._relays
                   else "the client of MCP 2026-07-28 has no call in progress")
            return {"error": {"code": INVALID_REQUEST, "message": f"{method} cannot be relayed: {why}"}}
        grant = modern_calls[0].grant if modern_calls else candidates[0].caller.grant
        if self.grants_share_server and self._grants_served - {grant}:
            if self._unrelayed_lines.tell():
                log.info("refused the server's %s request: several grants have sent the server requests, so the "
                         "gateway cannot tell whose it is", method)
            return {"error": {"code": INVALID_REQUEST, "message": (
                f"{method} cannot be relayed: several grants have sent the server requests, and nothing in a "
                "request of a server started as a command says for which grant's call it is")}}
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
        for relay in list(self._relays):
            await relay.notify("notifications/tools/list_changed", None)

    def initialize_result(self) -> Any:
        """A function answering a client's `initialize` params for the relay: the upstream
        server's name and capabilities (what the gateway passes on), at the version asked for
        when the gateway speaks it.

        Raises ValueError for params that are not an `initialize` request's.
        """
        import mcp_types as types
        from mcp_types import methods as spec_methods
        from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

        capabilities = self._capabilities()
        info = self.upstream.server_info
        hide = self._without_secrets
        server_info = types.Implementation(
            name=hide(getattr(info, "name", None)) or "policytui-gateway",
            title=hide(getattr(info, "title", None)),
            version=hide(getattr(info, "version", None)) or "",
        )
        instructions = hide(self.upstream.instructions)
        cache: dict[str, dict[str, Any]] = {}

        def answer(params: dict[str, Any]) -> dict[str, Any]:
            requested = types.InitializeRequestParams.model_validate(params, by_name=False).protocol_version
            version = requested if requested in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
            if version not in cache:
                result = types.InitializeResult(
                    protocol_version=version, capabilities=capabilities, server_info=server_info, instructions=instructions
                )
                dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
                cache[version] = spec_methods.serialize_server_result("initialize", version, dumped)
            return cache[version]

        return answer

    def _capabilities(self) -> types.ServerCapabilities:
        """What the gateway offers its clients: tools always (it announces list changes of its
        own, when what it hides changes), and what the upstream server offers of the rest, which
        the relay forwards unchanged."""
        import mcp_types as types

        caps = self.upstream.capabilities
        prompts = caps.prompts if caps is not None else None
        resources = caps.resources if caps is not None else None
        return types.ServerCapabilities(
            tools=types.ToolsCapability(list_changed=True),
            prompts=types.PromptsCapability(list_changed=bool(prompts.list_changed)) if prompts is not None else None,
            resources=types.ResourcesCapability(subscribe=bool(resources.subscribe), list_changed=bool(resources.list_changed))
            if resources is not None else None,
            logging=types.LoggingCapability() if caps is not None and caps.logging is not None else None,
            completions=types.CompletionsCapability() if caps is not None and caps.completions is not None else None,
        )

    def _without_secrets(self, text: Any) -> Any:
        """`text` with the credentials the gateway holds for the server shown as ***."""
        return without_secrets(text, self.secrets) if isinstance(text, str) else text
