"""Errors as JSON: ``{"error": {"code": ..., "message": ...}}`` with the right HTTP status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from faceatlas.errors import EmbedderMismatchError, FaceAtlasError, ImageError, NoFaceError, StoreError


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def _body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(ImageError)
    async def _image(_: Request, exc: ImageError) -> JSONResponse:
        return JSONResponse(_body("bad_image", exc.reason), status_code=422)

    @app.exception_handler(NoFaceError)
    async def _noface(_: Request, exc: NoFaceError) -> JSONResponse:
        return JSONResponse(_body("no_face", str(exc)), status_code=422)

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        status = 404 if str(exc).startswith("no ") else 409
        return JSONResponse(_body("not_found" if status == 404 else "conflict", str(exc)), status_code=status)

    @app.exception_handler(EmbedderMismatchError)
    async def _mismatch(_: Request, exc: EmbedderMismatchError) -> JSONResponse:
        return JSONResponse(_body("embedder_mismatch", str(exc)), status_code=409)

    @app.exception_handler(FaceAtlasError)
    async def _other(_: Request, exc: FaceAtlasError) -> JSONResponse:
        return JSONResponse(_body("failed", str(exc)), status_code=500)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", []))
        return JSONResponse(_body("invalid_request", f"{where}: {first.get('msg', 'invalid')}"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}
        return JSONResponse(
            _body(codes.get(exc.status_code, "http_error"), str(exc.detail)), status_code=exc.status_code
        )
