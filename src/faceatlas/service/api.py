"""REST endpoints under /v1. Handlers translate HTTP to library calls; the logic lives elsewhere."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from faceatlas.engines.plan import is_within
from faceatlas.errors import NoFaceError, StoreError
from faceatlas.identity.verify import verify_embeddings
from faceatlas.index.search import search_embedding
from faceatlas.io.images import ImageLimits
from faceatlas.people import corrections
from faceatlas.service.deps import get_atlas, require_admin, require_read, settings_of
from faceatlas.service.errors import ApiError
from faceatlas.service.uploads import images_from_request
from faceatlas.store import Atlas

router = APIRouter(prefix="/v1")
AtlasDep = Annotated[Atlas, Depends(get_atlas)]


class RenameBody(BaseModel):
    name: str | None = Field(None, max_length=200, description="New name; null or empty clears it")


class MergeBody(BaseModel):
    other: int = Field(..., description="Person to fold into this one")


class MoveBody(BaseModel):
    person_id: int


class LabelBody(BaseModel):
    name: str = Field(..., min_length=1, max_length=200)
    scope: Literal["auto", "person", "face"] = "auto"


class ScanBody(BaseModel):
    paths: list[str] = Field(..., min_length=1, max_length=100)


async def _analyze(request: Request, fields: tuple[str, ...]) -> dict:
    settings = settings_of(request)
    raw = await images_from_request(request, fields, settings.max_upload_bytes)
    limits = ImageLimits(max_pixels=settings.max_pixels, max_bytes=settings.max_upload_bytes)
    gate, analyzer = request.app.state.gate, request.app.state.analyzer
    found = await asyncio.gather(*(gate.analyze(analyzer, data, limits, name) for name, data in raw.items()))
    return dict(zip(raw, found))


def _largest(faces: list, field_name: str):
    if not faces:
        raise NoFaceError(f"no face found in {field_name!r}")
    return faces[0]


@router.post("/detect", dependencies=[Depends(require_read)])
async def detect(request: Request) -> dict:
    """Faces (box, score, 5 landmarks) in the uploaded ``image``."""
    faces = (await _analyze(request, ("image",)))["image"]
    return {
        "faces": [
            {"bbox": f.bbox.to_list(), "score": round(f.score, 4), "landmarks5": f.to_dict()["landmarks5"]}
            for f in faces
        ]
    }


@router.post("/analyze", dependencies=[Depends(require_read)])
async def analyze(request: Request, embeddings: bool = False) -> dict:
    """Faces with landmarks, pose and quality (``?embeddings=true`` adds them)."""
    faces = (await _analyze(request, ("image",)))["image"]
    return {"faces": [f.to_dict(embedding=embeddings) for f in faces]}


@router.post("/verify", dependencies=[Depends(require_read)])
async def verify(request: Request, threshold: float | None = None) -> dict:
    """Same person? The largest faces of ``image_a`` and ``image_b``."""
    found = await _analyze(request, ("image_a", "image_b"))
    a, b = _largest(found["image_a"], "image_a"), _largest(found["image_b"], "image_b")
    return verify_embeddings(a.embedding, b.embedding, threshold).to_dict()


@router.post("/search", dependencies=[Depends(require_read)])
async def search(request: Request, atlas: AtlasDep, top: int = 10) -> dict:
    """Nearest people and faces in the atlas for the largest face of ``image``."""
    face = _largest((await _analyze(request, ("image",)))["image"], "image")
    return search_embedding(
        atlas, face.embedding, max(1, min(top, 100)), index=request.app.state.index_for(atlas)
    ).to_dict()


def _person_json(atlas: Atlas, person_id: int, faces: bool = True) -> dict:
    p = atlas.people.get(person_id)
    out = {"id": p.id, "name": p.name, "face_count": p.face_count}
    if faces:
        out["faces"] = [f.to_dict() | {"source": f.source} for f in atlas.faces.of_person(person_id)]
    return out


@router.get("/people", dependencies=[Depends(require_read)])
def people(
    response: Response,
    atlas: AtlasDep,
    unnamed: bool = False,
    limit: int = Query(0, ge=0, le=10_000, description="At most this many (0: all)"),
    offset: int = Query(0, ge=0),
    sort: Literal["size", "-size", "name", "recent"] = "-size",
    hidden: bool = Query(False, description="List the hidden people instead"),
) -> list[dict]:
    """Everyone, largest first (``?unnamed=true``: only people without a name; ``sort``: size
    (smallest first), -size, name, recent). The total is in ``X-Total-Count``; the body is a page."""
    from faceatlas.service.people_app import people_page

    rows, total = people_page(atlas, unnamed=unnamed, limit=limit, offset=offset, sort=sort, hidden=hidden)
    response.headers["X-Total-Count"] = str(total)
    return rows


@router.get("/people/{person_id}", dependencies=[Depends(require_read)])
def person(person_id: int, atlas: AtlasDep) -> dict:
    return _person_json(atlas, person_id)


@router.patch("/people/{person_id}", dependencies=[Depends(require_admin)])
def rename(person_id: int, body: RenameBody, atlas: AtlasDep) -> dict:
    corrections.name_person(atlas, person_id, body.name)
    return _person_json(atlas, person_id, faces=False)


@router.post("/people/{person_id}/merge", dependencies=[Depends(require_admin)])
def merge(person_id: int, body: MergeBody, atlas: AtlasDep) -> dict:
    """Fold ``other`` into this person; ``overridden``: faces whose "not this person" it overrode."""
    overridden = corrections.merge_people(atlas, person_id, body.other)
    return _person_json(atlas, person_id, faces=False) | {"overridden": overridden}


@router.post("/faces/{face_id}/move", dependencies=[Depends(require_admin)])
def move(face_id: int, body: MoveBody, atlas: AtlasDep) -> dict:
    corrections.move_face(atlas, face_id, body.person_id)
    return {"face_id": face_id, "person_id": body.person_id}


@router.post("/faces/{face_id}/reject", dependencies=[Depends(require_admin)])
def reject(face_id: int, atlas: AtlasDep) -> dict:
    left = corrections.reject_face(atlas, face_id)
    return {"face_id": face_id, "rejected_from": left}


@router.post("/faces/{face_id}/label", dependencies=[Depends(require_admin)])
def label(face_id: int, body: LabelBody, atlas: AtlasDep) -> dict:
    """Answer a review question: this face is ``name``; names the whole person the face is in
    (409 asks for a ``scope`` when that person holds faces you placed). See also ``/answer``."""
    from faceatlas.people.labeling import answer_name

    return answer_name(atlas, face_id, body.name.strip(), body.scope).to_dict()


@router.get("/review", dependencies=[Depends(require_read)])
def review(atlas: AtlasDep, limit: int = 20) -> list[dict]:
    """The questions whose answers help most (name proposals to confirm, then uncertain faces)."""
    from faceatlas.people.labeling import review_queue

    return review_queue(atlas, max(1, min(limit, 200)))


@router.get("/faces/{face_id}/thumbnail.jpg", dependencies=[Depends(require_read)])
def thumbnail(face_id: int, atlas: AtlasDep) -> FileResponse:
    face = atlas.faces.get(face_id)
    if face is None:
        raise StoreError(f"no face with id {face_id}")
    path = atlas.thumbnails().path_for(face.id, face.image_path, face.bbox, face.frame_ms)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})


@router.post("/scan", status_code=202, dependencies=[Depends(require_admin)])
def start_scan(body: ScanBody, request: Request) -> dict:
    """Scan server-side folders, only under the roots given at start (``--root``)."""
    settings = settings_of(request)
    roots = [os.path.realpath(r) for r in settings.roots]
    if not roots:
        raise ApiError(403, "forbidden", "this server was started without --root: server-side scans are disabled")
    paths = []
    for raw in body.paths:
        if "\x00" in raw:
            raise ApiError(422, "invalid_path", "path contains a NUL byte")
        candidate = Path(raw) if os.path.isabs(raw) else Path(roots[0]) / raw
        if not is_within(candidate, roots):
            raise ApiError(403, "path_not_allowed", f"{raw!r} is outside the allowed roots")
        if not candidate.exists():
            raise ApiError(404, "not_found", f"{raw!r} does not exist")
        paths.append(Path(os.path.realpath(candidate)))
    return request.app.state.jobs.submit(paths).to_dict()


@router.get("/jobs/{job_id}", dependencies=[Depends(require_read)])
def job(job_id: int, request: Request) -> dict:
    found = request.app.state.jobs.jobs.get(job_id)
    if found is None:
        raise ApiError(404, "not_found", f"no job with id {job_id}")
    return found.to_dict()
