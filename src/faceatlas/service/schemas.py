"""Request and response bodies of the REST API, so ``/docs`` shows every schema.

Requests refuse unknown fields (``{"nam": "x"}`` is a 422, never a silent no-op); ids are bounded to
SQLite's 64-bit integers. Responses declare their fields (and allow the extra ones a newer model
head may add, such as face attributes).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

MAX_ID = 2**63 - 1
PersonId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="A person id")]
FaceId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="A face id")]
JobId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="A scan job id")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RenameBody(Strict):
    name: str | None = Field(..., max_length=200, description="New name (trimmed; blank is refused); null clears it")


class MergeBody(Strict):
    other: int = Field(..., ge=1, le=MAX_ID, description="Person to fold into this one")


class MoveBody(Strict):
    person_id: int = Field(..., ge=1, le=MAX_ID)


class LabelBody(Strict):
    name: str = Field(..., min_length=1, max_length=200)
    scope: Literal["auto", "person", "face"] = Field(
        "auto", description="what the name applies to when the face's person holds faces you placed"
    )


class ScanBody(Strict):
    paths: list[str] = Field(..., min_length=1, max_length=100)


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PoseOut(Open):
    yaw: float = Field(description="degrees; > 0 turned towards the image's right")
    pitch: float = Field(description="degrees; > 0 chin up")
    roll: float = Field(description="degrees; > 0 clockwise in the image")


class DetectedFace(Open):
    bbox: list[float] = Field(description="[x1, y1, x2, y2] in image pixels")
    score: float
    landmarks5: list[list[float]] | None = Field(None, description="5 x [x, y] px: eyes, nose tip, mouth corners")


class FaceOut(DetectedFace):
    pose: PoseOut | None = None
    quality: float | None = Field(None, description="0-1")
    attributes: dict[str, Any] = Field(default_factory=dict)
    embedding: list[float] | None = Field(None, description="only with ?embeddings=true")


class DetectOut(Open):
    faces: list[DetectedFace]


class AnalyzeOut(Open):
    faces: list[FaceOut]


class VerificationOut(Open):
    same: bool
    distance: float
    threshold: float
    similarity: float = Field(description="0-1, 0.5 at the threshold")
    false_match_rate: float


class PersonHitOut(Open):
    person_id: int
    name: str | None
    distance: float
    similarity: float
    same: bool
    matching_faces: int


class FaceHitOut(Open):
    face_id: int
    distance: float
    same: bool
    person_id: int | None
    image: str
    bbox: list[float]


class SearchOut(Open):
    people: list[PersonHitOut]
    faces: list[FaceHitOut]


class PersonSummary(Open):
    id: int
    name: str | None
    face_count: int
    cover_face: int | None = None
    attributes: dict[str, Any] = Field(default_factory=dict, description="majority / median over good faces")


class StoredFace(Open):
    id: int
    image: str
    bbox: list[float]
    quality: float | None
    source: str | None = None
    frame_ms: int | None = None
    taken_at: str | None = Field(None, description="when its photo was taken (EXIF, ISO 8601); null if unknown")


class PersonOut(Open):
    id: int
    name: str | None
    face_count: int
    attributes: dict[str, Any] = Field(default_factory=dict, description="majority / median over good faces")
    faces: list[StoredFace] | None = None


class MoveOut(Open):
    face_id: int
    person_id: int


class RejectOut(Open):
    face_id: int
    rejected_from: int | None


class LabelOut(Open):
    face_id: int
    person_id: int | None


class JobOut(Open):
    """A background job: a scan (``paths``, ``summary``) or a video (``video``, ``result``: the
    ``faceatlas video --json`` document)."""

    id: int
    kind: str = Field("scan", description="scan | video")
    state: str = Field(description="queued | running | done | failed")
    paths: list[str] | None = None
    video: str | None = None
    total: int | None
    done: int
    summary: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    error: str | None


class ErrorOut(BaseModel):
    error: dict[str, str] = Field(description='{"code": ..., "message": ...}')


def upload_body(*fields: str) -> dict[str, Any]:
    """OpenAPI for an endpoint that reads images itself: multipart files, or base64 strings in JSON."""
    multipart = {name: {"type": "string", "format": "binary"} for name in fields}
    as_json = {name: {"type": "string", "contentEncoding": "base64", "description": "base64 image"} for name in fields}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": multipart, "required": list(fields)}
                },
                "application/json": {"schema": {"type": "object", "properties": as_json, "required": list(fields)}},
            },
        }
    }
