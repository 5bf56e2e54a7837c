"""Per-request dependencies: the atlas connection and the caller's role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from faceatlas.engines.plan import is_within
from faceatlas.service.errors import ApiError
from faceatlas.service.settings import ServiceSettings
from faceatlas.store import Atlas


def settings_of(request: Request) -> ServiceSettings:
    return request.app.state.settings


def get_atlas(request: Request) -> Iterator[Atlas]:
    """One SQLite connection per request (cheap, and safe across the server's threads)."""
    atlas = Atlas(settings_of(request).db)
    try:
        yield atlas
    finally:
        atlas.close()


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key") or request.cookies.get("faceatlas_key") or None


def caller_role(request: Request) -> str:
    """'admin' or 'read'. Without required keys every caller is admin (a loopback-only server)."""
    if not settings_of(request).keys_required:
        return "admin"
    key = presented_key(request)
    if not key:
        raise ApiError(
            401, "unauthorized", "an API key is required (header 'Authorization: Bearer KEY' or 'X-API-Key')"
        )
    with Atlas(settings_of(request).db) as atlas:
        role = atlas.keys.role_of(key)
    if role is None:
        raise ApiError(401, "unauthorized", "unknown or revoked API key")
    return role


# Declared for OpenAPI (the "Authorize" button of /docs); the key itself is read by ``presented_key``.
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (faceatlas keys create)")
_bearer = HTTPBearer(auto_error=False, description="The same key as 'Authorization: Bearer KEY'")


def require_read(
    request: Request,
    _key: str | None = Security(_api_key),
    _token: HTTPAuthorizationCredentials | None = Security(_bearer),
) -> str:
    """Any valid key (read or admin); none needed on a keyless loopback server."""
    return caller_role(request)


def require_admin(
    request: Request,
    _key: str | None = Security(_api_key),
    _token: HTTPAuthorizationCredentials | None = Security(_bearer),
) -> str:
    """An admin key; none needed on a keyless loopback server."""
    role = caller_role(request)
    if role != "admin":
        raise ApiError(403, "forbidden", "this key can only read; changing the atlas needs an admin key")
    return role


def under_roots(raw: str, roots: list[str]) -> Path:
    """``raw`` (absolute, or relative to the first of ``roots``, which are real paths); 403
    ``path_not_allowed`` unless its real location lies inside one of them."""
    candidate = Path(raw) if os.path.isabs(raw) else Path(roots[0]) / raw
    if not is_within(candidate, roots):
        raise ApiError(403, "path_not_allowed", f"{raw!r} is outside the allowed roots")
    return candidate
