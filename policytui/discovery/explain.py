"""Turning whatever a failed connection raised into one sentence a user can act on."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from policytui.discovery.diagnostics import Diagnostics, HttpAnswer
from policytui.discovery.errors import DiscoveryError
from policytui.discovery.limits import refused_sentence
from policytui.discovery.spec import path_ends_in_sse, safe_url
from policytui.textsafe import visible

_STAGE = {
    "starting": "the connection",
    "initialize": "initialize",
    "tools/list": "tools/list",
    "connected": "a request",
}


def flatten(exc: BaseException) -> list[BaseException]:
    """The leaves of (nested) exception groups, in order."""
    if isinstance(exc, BaseExceptionGroup):
        leaves: list[BaseException] = []
        for inner in exc.exceptions:
            leaves.extend(flatten(inner))
        return leaves
    return [exc]


def explain(exc: BaseException, diag: Diagnostics, timeout: float) -> DiscoveryError:
    """One DiscoveryError for a failed attempt, secrets removed, stderr tail attached."""
    leaves = [leaf for leaf in flatten(exc) if not _is_cancel(leaf)] or [exc]
    message = _sentence(leaves, diag, timeout)
    tail = diag.stderr_tail()
    return DiscoveryError(diag.spec.redact(message), stderr_tail=tail)


def _is_cancel(exc: BaseException) -> bool:
    import anyio

    return isinstance(exc, anyio.get_cancelled_exc_class())


def _pick(leaves: list[BaseException], kind: type | tuple[type, ...]) -> Any:
    for leaf in leaves:
        if isinstance(leaf, kind):
            return leaf
    return None


def _sentence(leaves: list[BaseException], diag: Diagnostics, timeout: float) -> str:
    # Loaded here, on a failure only: the gateway imports this module before every start, and
    # the SDK (which `import mcp...` loads whole) costs it half a second that a server started
    # as a command does not need (and the protocol's types load while such a server starts).
    import httpx2
    from mcp.shared.exceptions import MCPError
    from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT

    spec = diag.spec
    who = f"Server {visible(spec.name)!r}"
    stage = _STAGE.get(diag.stage, diag.stage)

    known = _pick(leaves, DiscoveryError)
    if known is not None:
        return known.message

    if diag.too_large:
        # Whatever the refusal became on its way (an error answer, a closed stream), it is why.
        stage_then = _STAGE.get(diag.too_large_stage, diag.too_large_stage)
        then = "it was stopped" if spec.transport == "stdio" else "the connection was closed"
        return refused_sentence(who, diag.too_large, stage_then, then)

    timed_out = _pick(leaves, TimeoutError) is not None or any(
        isinstance(leaf, MCPError) and leaf.code == REQUEST_TIMEOUT for leaf in leaves
    )
    if timed_out and diag.stage == "tools/list":
        # The server answered initialize over this transport: an HTTP refusal seen since (a
        # 405 to the GET of an event stream the server does not offer) is not why it stopped.
        return _timeout_sentence(who, stage, diag, timeout)

    http_answer = _first_http_error(diag)
    if spec.transport in ("http", "sse") and http_answer is not None:
        return _http_status_sentence(http_answer, diag)

    connect_error = _pick(leaves, httpx2.ConnectError)
    if connect_error is not None:
        return f"Could not connect to {spec.safe_url()}: {_ended(_connect_reason(connect_error))}"
    if _pick(leaves, httpx2.ConnectTimeout) is not None:
        return f"Could not connect to {spec.safe_url()} within {timeout:g} s; check the address and your network."

    sse_error = _pick(leaves, httpx2.SSEError)
    if sse_error is not None:
        return (
            f"{spec.safe_url()} did not answer with an SSE event stream; "
            "if it speaks Streamable HTTP, connect without --sse."
        )

    if timed_out:
        return _timeout_sentence(who, stage, diag, timeout)

    mcp_error = _pick(leaves, MCPError)
    if mcp_error is not None and mcp_error.code == CONNECTION_CLOSED:
        return diag.closed_sentence(who, stage)
    if mcp_error is not None and spec.transport != "stdio" and "content type" in mcp_error.message:
        kind = visible(mcp_error.message.rsplit(":", 1)[-1].strip()) or "something else"
        return (
            f"{spec.safe_url()} answered with {kind}, not MCP; check the URL "
            "(Streamable HTTP servers usually serve /mcp)."
        )
    if mcp_error is not None:
        detail = f"{visible(mcp_error.message)[:300]} (error {mcp_error.code})"
        if diag.stage == "tools/list":
            return f"{who} answered initialize but failed to list its tools: {detail}."
        if diag.stage == "initialize":
            return f"{who} rejected initialize: {detail}."
        return f"{who} answered with an error: {detail}."

    transport_error = _pick(leaves, httpx2.TransportError)
    if transport_error is not None:
        reason = visible(str(transport_error))[:200] or type(transport_error).__name__
        return f"The connection to {spec.safe_url()} failed: {_ended(reason)}"

    if _pick(leaves, ValueError) is not None and diag.stage in ("initialize", "tools/list"):
        return f"{who} sent an answer to {stage} that is not valid MCP."

    leaf = leaves[0]
    text = visible(str(leaf))[:200]
    return _ended(f"Connecting to {who[7:]} failed during {stage}: {type(leaf).__name__}{': ' + text if text else ''}")


def _ended(text: str) -> str:
    """`text` ended with exactly one full stop: an exception's own words often end with one
    ("Server disconnected without sending a response."), and the sentence built on them adds
    its own."""
    return text.rstrip().rstrip(".").rstrip() + "."


def _timeout_sentence(who: str, stage: str, diag: Diagnostics, timeout: float) -> str:
    if diag.spec.transport != "stdio" and diag.stage == "starting":
        return f"Could not reach {diag.spec.safe_url()} within {timeout:g} s."
    if diag.stage == "tools/list":
        what = f"answered initialize but not tools/list within {timeout:g} s"
    else:
        what = f"did not answer {stage} within {timeout:g} s"
    return f"{who} {what}{diag.garbage_note()}; use --timeout to wait longer."


def _first_http_error(diag: Diagnostics) -> HttpAnswer | None:
    for answer in diag.http_errors:
        if answer.status >= 400 or answer.status in (301, 302, 303, 307, 308):
            return answer
    return None


def _http_status_sentence(answer: HttpAnswer, diag: Diagnostics) -> str:
    spec = diag.spec
    url = spec.safe_url()
    status = f"HTTP {answer.status}" + (f" {visible(answer.reason)}" if answer.reason else "")
    if answer.status in (401, 403):
        if spec.headers:
            hint = f"the credentials in header(s) {', '.join(visible(k) for k in spec.header_keys)} were not accepted"
        else:
            hint = "it needs credentials: pass them with --header 'Authorization: Bearer ...' or in its config"
        return f"{url} refused the request with {status}; {hint}."
    # --sse is an option of a URL typed on the command line; a configured entry's transport is
    # its "type", changed in the file it comes from.
    configured = spec.origin not in ("", "command line")
    in_entry = f"in its entry in {spec.origin}"
    if answer.status == 404:
        hint = "check the path (Streamable HTTP servers usually serve /mcp)"
        if spec.transport == "http" and path_ends_in_sse(url):
            hint = "this looks like a legacy SSE endpoint: " + (
                f'set "type": "sse" {in_entry}' if configured else "add --sse"
            )
        return f"{url} answered {status}; {hint}."
    if answer.status in (400, 405, 406, 415):
        if spec.transport == "sse":
            hint = "it does not offer a legacy SSE stream there; if it speaks Streamable HTTP, " + (
                f'set "type": "http" {in_entry}' if configured else "connect without --sse"
            )
        else:
            hint = "it does not take Streamable HTTP requests there; if it is a legacy SSE server, " + (
                f'set "type": "sse" and its /sse URL {in_entry}' if configured else "add --sse and use its /sse URL"
            )
        return f"{url} answered {answer.method} with {status}; {hint}."
    if 300 <= answer.status < 400:
        where = _redirected_to(answer)
        hint = "check the server's address" if where == "to the same URL" else "use the final URL directly"
        return f"{url} redirected ({status}) {where}; {hint}."
    return f"{url} answered {answer.method} with {status}."


def _redirected_to(answer: HttpAnswer) -> str:
    """Where a redirect (never followed) said to go, as against the URL asked: another site,
    another scheme, port or path on the same host, with the place itself shown as a target's
    URL is (its credentials hidden)."""
    if not answer.location:
        return "without saying where"
    try:
        target = urljoin(answer.url, answer.location)
        asked, went = urlsplit(answer.url), urlsplit(target)
        same_host = asked.hostname == went.hostname
        same_port = asked.port == went.port
    except ValueError:
        return "to a place that cannot be read"
    shown = visible(safe_url(target))
    if not same_host:
        where = "to another site"
    elif asked.scheme != went.scheme:
        where = f"to {visible(went.scheme)} on the same host"
    elif not same_port:
        where = "to another port on the same host"
    elif asked.path != went.path:
        where = "to another path on the same host"
    elif asked.query != went.query:
        where = "to the same path with another query"
    else:
        return "to the same URL"
    return f"{where}, {shown}"


def _connect_reason(exc: BaseException) -> str:
    text = str(exc).lower()
    if "refused" in text or "all connection attempts failed" in text:
        return "connection refused (is the server running on that port?)"
    if (
        "name or service not known" in text
        or "nodename nor servname" in text
        or "getaddrinfo" in text
    ):
        return "the host name was not found"
    if "certificate" in text or "ssl" in text:
        return "the TLS certificate was not accepted"
    return visible(str(exc))[:200] or type(exc).__name__
