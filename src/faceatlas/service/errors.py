"""Errors as JSON: ``{"error": {"code": ..., "message": ...}}`` with the right HTTP status."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from faceatlas.errors import (
    EmbedderMismatchError,
    FaceAtlasError,
    ImageError,
    InvalidInputError,
    NoFaceError,
    StoreError,
)

log = logging.getLogger("faceatlas.service")


class SafeJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: a file name that is not UTF-8 (``\\udcXX``
    surrogates in Python) is sent as ``"\\udcXX"`` instead of failing the response."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def _body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> SafeJSONResponse:
        return SafeJSONResponse(_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(ImageError)
    async def _image(_: Request, exc: ImageError) -> SafeJSONResponse:
        return SafeJSONResponse(_body("bad_image", exc.reason), status_code=422)

    @app.exception_handler(NoFaceError)
    async def _noface(_: Request, exc: NoFaceError) -> SafeJSONResponse:
        return SafeJSONResponse(_body("no_face", str(exc)), status_code=422)

    @app.exception_handler(InvalidInputError)
    async def _invalid(_: Request, exc: InvalidInputError) -> SafeJSONResponse:
        return SafeJSONResponse(_body("invalid_request", str(exc)), status_code=422)

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> SafeJSONResponse:
        status = 404 if str(exc).startswith("no ") else 409
        return SafeJSONResponse(_body("not_found" if status == 404 else "conflict", str(exc)), status_code=status)

    @app.exception_handler(EmbedderMismatchError)
    async def _mismatch(_: Request, exc: EmbedderMismatchError) -> SafeJSONResponse:
        return SafeJSONResponse(_body("embedder_mismatch", str(exc)), status_code=409)

    @app.exception_handler(FaceAtlasError)
    async def _other(_: Request, exc: FaceAtlasError) -> SafeJSONResponse:
        return SafeJSONResponse(_body("failed", str(exc)), status_code=500)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> SafeJSONResponse:
        log.exception("unexpected error")
        return SafeJSONResponse(_body("internal", f"unexpected {type(exc).__name__}"), status_code=500)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> SafeJSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", []))
        return SafeJSONResponse(_body("invalid_request", f"{where}: {first.get('msg', 'invalid')}"), status_code=422)

    @app.exception_handler(RecursionError)
    async def _nested(_: Request, exc: RecursionError) -> SafeJSONResponse:
        return SafeJSONResponse(_body("invalid_request", "JSON nested too deeply"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> SafeJSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):  # FastAPI: unparseable JSON
            return SafeJSONResponse(_body("invalid_request", "body is not valid JSON"), status_code=422)
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden", 413: "too_large"}
        return JSONResponse(
            _body(codes.get(exc.status_code, "http_error"), str(exc.detail)), status_code=exc.status_code
        )
