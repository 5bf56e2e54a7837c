"""Guards for a keyless server on loopback, which any web page in the user's browser can reach.

- **Host allow-list**: the ``Host`` header must name 127.0.0.1, localhost, [::1] or a name given with
  ``--allowed-host``; anything else is refused (a DNS-rebinding page reaches the server under its
  own host name, so it cannot read the atlas).
- **No cross-site writes**: a request that may change something (any method but GET, HEAD, OPTIONS)
  is refused when the browser says it comes from another site: ``Sec-Fetch-Site`` other than
  ``same-origin`` or ``none``, or an ``Origin`` whose host differs from ``Host``. Scripts and curl
  send neither header and are not affected.

With keys required (any non-loopback bind, or ``--require-keys``) the key is the guard instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def host_name(host_header: str) -> str:
    """``Host`` without its port, lower-cased (IPv6 keeps its brackets)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def refusal(method: str, headers: dict[str, str], allowed: frozenset[str]) -> tuple[str, str] | None:
    """(code, message) when the request must be refused, else None."""
    host = headers.get("host", "")
    if host_name(host) not in allowed:
        return "host_not_allowed", f"Host {host!r} is not allowed here (start the server with --allowed-host NAME)"
    if method.upper() in SAFE_METHODS:
        return None
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in ("same-origin", "none"):
        return "cross_site", f"a {fetch_site} request may not change the atlas"
    origin = headers.get("origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != host.strip().lower()):
        return "cross_site", f"a request from {origin!r} may not change the atlas"
    return None


class LoopbackGuard:
    def __init__(self, app: ASGIApp, allowed_hosts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.allowed = LOOPBACK_NAMES | {host_name(h) for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            refused = refusal(scope["method"], headers, self.allowed)
            if refused is not None:
                from faceatlas.service.errors import SafeJSONResponse

                code, message = refused
                response = SafeJSONResponse({"error": {"code": code, "message": message}}, status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
