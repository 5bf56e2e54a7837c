"""Request-body limit enforced while the body streams in, chunked uploads included.

A ``Content-Length`` above the limit is refused before anything is read; a body without one
(``Transfer-Encoding: chunked``) is counted as it arrives and refused with 413 as soon as it passes
the limit, so no request can make the server hold more than the limit in memory. A route may have
its own limit (``paths``: POST /v1/video takes videos far larger than photos; it streams them to disk).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int, paths: dict[str, int] | None = None) -> None:
        self.app, self.limit, self.paths = app, limit, dict(paths or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope.get("path", ""), self.limit)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit, 413 if declared.isdigit() else 400)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, _message(limit))
            return message

        await self.app(scope, counted, send)


def _message(limit: int) -> str:
    return f"request body is over the {limit / 2**20:.0f} MiB limit"


async def _refuse(send: Send, limit: int, status: int) -> None:
    from faceatlas.service.errors import SafeJSONResponse

    code, text = ("too_large", _message(limit)) if status == 413 else ("bad_request", "invalid Content-Length")
    response = SafeJSONResponse({"error": {"code": code, "message": text}}, status_code=status)
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:  # pragma: no cover - a response never reads the request
    return {"type": "http.disconnect"}
