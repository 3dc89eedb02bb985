"""The access token every request to `policytui serve` must carry.

The printed URL carries the token once (`/?token=...`); the first request with it gets an
HttpOnly, SameSite=Strict cookie and is sent on, without the token, to the editor's own path:
a random folder-like path (`/<secret>/`) made when the server starts. The cookie is scoped to
that path. Browsers keep cookies per host, not per port: a cookie for 127.0.0.1 with the path
`/` would be sent to every other program listening on 127.0.0.1 that the browser visits (another
user's server, a page a hostile site sends the browser to), and so would give it the token. With
its path scoped to a secret path, the browser sends the cookie only to addresses under that path.

Every request is checked before any handler runs, so a route added later cannot forget the
check: its Host header must name this server (an IP address, `localhost`, or the name it was
started with; another name is a DNS rebinding page), and, but for the first request with the
token, it must be under the secret path and carry the cookie. Anything else is refused with 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, Collection
from html import escape

from aiohttp import web
from yarl import URL

TOKEN_PARAMETER = "token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# On every response: the page is never cached, framed by another site, named in a Referer, or
# readable by another origin's page.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# A file the editor delivers (a screenshot's SVG) opens in the browser as a document of its
# own, on this origin: whatever text the editor put in it, it runs nothing, loads nothing and
# is sandboxed (an SVG can hold a script as a page can). Its own inline style still applies.
DOWNLOAD_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; "
                   "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
DOWNLOAD_ROUTE = "download"


def new_token() -> str:
    """A fresh random token (256 bits), safe in a URL."""
    return secrets.token_urlsafe(32)


def new_session_path() -> str:
    """A fresh random path (128 bits) under which every page of the editor is served."""
    return f"/{secrets.token_urlsafe(16)}/"


def cookie_name(port: int) -> str:
    # Two servers on one host keep their cookies apart by name (the port) and by path.
    return f"policytui_serve_{port}"


def matches(supplied: str | None, token: str) -> bool:
    if not supplied:
        return False
    return hmac.compare_digest(supplied.encode("utf-8"), token.encode("utf-8"))


def page_html(title: str, message: str) -> str:
    """A small HTML page with one message; both are escaped here."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>"
        "<style>body{background:#0c181f;color:#eee;font-family:monospace;"
        "display:flex;align-items:center;justify-content:center;height:90vh}"
        "main{max-width:40em;background:#12232d;padding:2em}</style></head>"
        f"<body><main><h1>{escape(title)}</h1><p>{escape(message)}</p></main></body></html>"
    )


def page(title: str, message: str, *, status: int) -> web.Response:
    """A small HTML page with one message, as a response."""
    return web.Response(
        text=page_html(title, message), status=status, content_type="text/html",
        headers=SECURITY_HEADERS,
    )


def too_large_response() -> bytes:
    """The whole HTTP response to a request whose head is larger than serve reads, written
    before the connection is closed. Browsers keep cookies per host, not per port: a page of
    any program on this host can set enough of them, for every path, to make each request the
    browser sends to serve that large; its user is told what to do about it."""
    body = page_html(
        "Request too large",
        "This browser sent policytui serve more than it reads of a request, most likely "
        "cookies that a page of another program on this host set for all its ports: delete "
        "this site's cookies in the browser's settings, then open the address serve printed "
        "again.",
    ).encode("utf-8")
    headers = {
        **SECURITY_HEADERS,
        "Content-Type": "text/html; charset=utf-8",
        "Content-Length": str(len(body)),
        "Connection": "close",
    }
    head = "HTTP/1.1 431 Request Header Fields Too Large\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    return head.encode("ascii") + b"\r\n" + body


def refused(*, the_editor: bool = False) -> web.Response:
    """403 "Access token needed". `the_editor`: the request is for the editor's own address,
    where the printed URL sends a browser with the cookie; one that comes without it may be
    that browser, refusing cookies, and is told so as well."""
    message = "This address needs the access token: open the full URL that `policytui serve` printed"
    if the_editor:
        message += (
            "; if that is the URL you opened, this browser did not keep serve's cookie, which "
            "holds the token, so allow cookies for this address and open it again"
        )
    return page("Access token needed", message + ".", status=403)


def token_middleware(
    token: str,
    port: Callable[[], int],
    *,
    session_path: str,
    host_names: Collection[str] = (),
    proven: Callable[[web.Request], None] = lambda request: None,
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """aiohttp middleware: refuse every request without the token; trade a URL token for a cookie.

    `port` gives the bound port (known only once the socket is open) for the cookie's name and
    the Host check; `session_path` ("/<secret>/") is where the pages are and what the cookie is
    scoped to; `host_names` are the names, besides IP addresses and "localhost", that a Host
    header may give; `proven` is told of each request that showed the token or its cookie.
    """
    names = {"localhost", *(name.lower().rstrip(".") for name in host_names)}

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not host_is_ours(request, port(), names):
            named = port_named(request)
            if named is not None and named != port() and host_is_ours(request, named, names):
                # This machine's address at another port: a port forwarded to serve's (ssh -L
                # 8080:127.0.0.1:PORT), or a port mistyped; no page elsewhere sends that.
                return page(
                    "Refused",
                    f"This address names port {named}, and policytui serve listens on port "
                    f"{port()}: open the address it printed (a port forwarded to it, as by "
                    "ssh -L, must keep that number).",
                    status=403,
                )
            return page(
                "Refused",
                "This request names another host than the one `policytui serve` listens on "
                "(a page elsewhere may be pointing its own name at this machine).",
                status=403,
            )
        name = cookie_name(port())
        from_url = request.query.get(TOKEN_PARAMETER)
        if from_url is not None:
            if not matches(from_url, token):
                return refused()
            proven(request)
            # The editor's own address, without the token: the address bar and Referer headers
            # no longer show it, and the cookie's path is that address.
            query = {k: v for k, v in request.query.items() if k != TOKEN_PARAMETER}
            clean = URL.build(path=session_path, query=query)
            # A plain 303 response: aiohttp deprecates returning its HTTPSeeOther exception.
            redirect = web.Response(status=303, headers={**SECURITY_HEADERS, "Location": str(clean)})
            redirect.set_cookie(
                name, token, httponly=True, samesite="Strict", path=session_path
            )
            return redirect
        if not request.rel_url.raw_path.startswith(session_path):
            return refused()
        if not any(matches(value, token) for value in cookie_values(request, name)):
            return refused(the_editor=request.rel_url.raw_path == session_path)
        proven(request)
        if not same_origin(request):
            return page(
                "Refused",
                "This request came from another site's page and was refused.",
                status=403,
            )
        return await handler(request)

    return require_token


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """aiohttp's on_response_prepare signal: SECURITY_HEADERS on every response as it is sent,
    the streamed ones (a file the editor delivers) and aiohttp's own errors (404) included."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    route = request.match_info.route
    if route is not None and route.name == DOWNLOAD_ROUTE:
        response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY


def cookie_values(request: web.Request, name: str) -> list[str]:
    """Every value the browser sent for the cookie `name`, not only the last one.

    Any page served from this host, on any port (another local user's server), may set a
    cookie of the same name with the path `/`; the browser sends it too, after ours, and
    aiohttp's `request.cookies` keeps only the last: that page could lock the browser out.
    """
    values = []
    for header in request.headers.getall("Cookie", []):
        for pair in header.split(";"):
            key, sign, value = pair.strip().partition("=")
            if sign and key == name:
                values.append(value.strip().strip('"'))
    return values


def host_is_ours(request: web.Request, port: int, names: Collection[str]) -> bool:
    """True when the Host header names this server: its port, and an IP address, "localhost"
    or one of `names`. A page on another name that resolves to this machine (DNS rebinding)
    sends that name, and is refused; so is a request without a Host header."""
    host = request.headers.get("Host")
    if not host:
        return False
    try:
        parsed = URL(f"http://{host}")
    except ValueError:
        return False
    if parsed.host is None or parsed.port != port or parsed.raw_path not in ("", "/"):
        return False
    if parsed.user is not None or parsed.password is not None:
        return False
    hostname = parsed.host.lower().rstrip(".")
    try:
        ipaddress.ip_address(hostname.split("%", 1)[0])
    except ValueError:
        return hostname in names
    return True


def port_named(request: web.Request) -> int | None:
    """The port the Host header names, or None (no header, none named, or no address)."""
    try:
        return URL(f"http://{request.headers.get('Host', '')}").explicit_port
    except ValueError:
        return None


def same_origin(request: web.Request) -> bool:
    """False for a request whose Origin header names another site (a page elsewhere
    opening our websocket with the browser's cookie). No Origin header: not a cross-site page."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    try:
        parsed = URL(origin)
    except ValueError:
        return False
    host = request.host
    return parsed.host is not None and f"{parsed.host}:{parsed.port}" == _with_port(host, request)


def _with_port(host: str, request: web.Request) -> str:
    parsed = URL(f"{request.scheme}://{host}")
    return f"{parsed.host}:{parsed.port}"
