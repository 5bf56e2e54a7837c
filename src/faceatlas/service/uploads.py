"""Images arriving over HTTP: multipart file fields or base64 strings in a JSON body, size-limited."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request, UploadFile

from faceatlas.service.errors import ApiError


async def read_upload(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "too_large", f"upload is over the {limit // (1024 * 1024)} MiB limit")
    return data


def decode_base64(text: str, limit: int) -> bytes:
    if "," in text[:100] and text.startswith("data:"):
        text = text.split(",", 1)[1]
    if len(text) > limit * 4 // 3 + 8:
        raise ApiError(413, "too_large", f"image is over the {limit // (1024 * 1024)} MiB limit")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "bad_image", "image is not valid base64") from None


async def images_from_request(request: Request, fields: tuple[str, ...], limit: int) -> dict[str, bytes]:
    """The named image fields, from a multipart form or a JSON object of base64 strings."""
    ctype = request.headers.get("content-type", "")
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit * len(fields) * 4 // 3 + 65536:
        raise ApiError(413, "too_large", f"request is over the {limit // (1024 * 1024)} MiB per image limit")
    out: dict[str, bytes] = {}
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        for name in fields:
            item = form.get(name)
            if item is None or isinstance(item, str):
                raise ApiError(422, "missing_image", f"multipart field {name!r} with an image file is required")
            out[name] = await read_upload(item, limit)
    elif ctype.startswith("application/json"):
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            raise ApiError(422, "invalid_request", "body is not valid JSON (or nested too deeply)") from None
        for name in fields:
            value = body.get(name) if isinstance(body, dict) else None
            if not isinstance(value, str):
                raise ApiError(422, "missing_image", f"JSON field {name!r} with a base64 image is required")
            out[name] = decode_base64(value, limit)
    else:
        raise ApiError(415, "unsupported_media_type", "send multipart/form-data or application/json")
    return out
