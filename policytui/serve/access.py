"""The access token every request to `policytui serve` must carry.

The printed URL carries the token once (`/?token=...`); the first request with it gets an
HttpOnly, SameSite=Strict cookie and is sent on to the same page without the token, so it leaves
the address bar and the browser history. Every later request (static files, the websocket,
downloads) is checked against the cookie. Anything else is refused with 403 before any handler
runs, so a route added later cannot forget the check.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from html import escape

from aiohttp import web
from yarl import URL

TOKEN_PARAMETER = "token"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# On every response: the page is never cached, framed by another site, or named in a Referer.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def new_token() -> str:
    """A fresh random token (256 bits), safe in a URL."""
    return secrets.token_urlsafe(32)


def cookie_name(port: int) -> str:
    # Browsers share cookies between ports of one host: the port keeps two servers apart.
    return f"policytui_serve_{port}"


def matches(supplied: str | None, token: str) -> bool:
    if not supplied:
        return False
    return hmac.compare_digest(supplied.encode("utf-8"), token.encode("utf-8"))


def page(title: str, message: str, *, status: int) -> web.Response:
    """A small HTML page with one message; both are escaped here."""
    body = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>"
        "<style>body{background:#0c181f;color:#eee;font-family:monospace;"
        "display:flex;align-items:center;justify-content:center;height:90vh}"
        "main{max-width:40em;background:#12232d;padding:2em}</style></head>"
        f"<body><main><h1>{escape(title)}</h1><p>{escape(message)}</p></main></body></html>"
    )
    return web.Response(
        text=body, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )


def refused() -> web.Response:
    return page(
        "Access token needed",
        "This address needs the access token: open the full URL that `policytui serve` printed.",
        status=403,
    )


def token_middleware(token: str, port: Callable[[], int]) -> Callable[..., Awaitable[web.StreamResponse]]:
    """aiohttp middleware: refuse every request without the token; trade a URL token for a cookie.

    `port` gives the bound port (known only once the socket is open) for the cookie's name.
    """

    @web.middleware
    async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
        name = cookie_name(port())
        from_url = request.query.get(TOKEN_PARAMETER)
        if from_url is not None:
            if not matches(from_url, token):
                return refused()
            # The same address without the token: it stays out of history and Referer headers.
            # Always a path on this server: "//host/..." would send the browser to another site.
            path = "/" + request.path.lstrip("/")
            query = {k: v for k, v in request.query.items() if k != TOKEN_PARAMETER}
            clean = URL.build(path=path, query=query) if query else URL.build(path=path)
            redirect = web.HTTPSeeOther(location=str(clean), headers=SECURITY_HEADERS)
            redirect.set_cookie(name, token, httponly=True, samesite="Strict", path="/")
            return redirect
        if not matches(request.cookies.get(name), token):
            return refused()
        if not same_origin(request):
            return page(
                "Refused",
                "This request came from another site's page and was refused.",
                status=403,
            )
        response = await handler(request)
        if not response.prepared:
            for key, value in SECURITY_HEADERS.items():
                response.headers.setdefault(key, value)
        return response

    return require_token


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
