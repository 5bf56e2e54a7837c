"""REST endpoints under /v1. Handlers translate HTTP to library calls; the logic lives elsewhere."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse

from faceatlas.engines.plan import is_within
from faceatlas.errors import NoFaceError, StoreError
from faceatlas.identity.verify import verify_embeddings
from faceatlas.index.search import search_embedding
from faceatlas.interop.dates import DateRange
from faceatlas.io.images import ImageLimits
from faceatlas.people import corrections
from faceatlas.service.deps import get_atlas, require_admin, require_read, settings_of, under_roots
from faceatlas.service.errors import ApiError
from faceatlas.service.schemas import (
    AnalyzeOut,
    DetectOut,
    ErrorOut,
    FaceId,
    JobId,
    JobOut,
    LabelBody,
    LabelOut,
    MergeBody,
    MoveBody,
    MoveOut,
    PersonId,
    PersonOut,
    PersonSummary,
    RejectOut,
    RenameBody,
    ScanBody,
    SearchOut,
    VerificationOut,
    upload_body,
)
from faceatlas.service.uploads import images_from_request
from faceatlas.store import Atlas

router = APIRouter(
    prefix="/v1",
    responses={code: {"model": ErrorOut} for code in (401, 403, 404, 413, 422, 503)},
)
AtlasDep = Annotated[Atlas, Depends(get_atlas)]


async def _analyze(request: Request, fields: tuple[str, ...], heads: bool = True) -> dict:
    settings = settings_of(request)
    raw = await images_from_request(request, fields, settings.max_upload_bytes)
    limits = ImageLimits(max_pixels=settings.max_pixels, max_bytes=settings.max_upload_bytes)
    gate, analyzer = request.app.state.gate, request.app.state.analyzer
    found = await asyncio.gather(*(gate.analyze(analyzer, data, limits, name, heads) for name, data in raw.items()))
    return dict(zip(raw, found))


def _largest(faces: list, field_name: str):
    if not faces:
        raise NoFaceError(f"no face found in {field_name!r}")
    return faces[0]


@router.post(
    "/detect", dependencies=[Depends(require_read)], response_model=DetectOut, openapi_extra=upload_body("image")
)
async def detect(request: Request) -> dict:
    """Faces (box, score, 5 landmarks) in the uploaded ``image``."""
    faces = (await _analyze(request, ("image",)))["image"]
    return {
        "faces": [
            {"bbox": f.bbox.to_list(), "score": round(f.score, 4), "landmarks5": f.to_dict()["landmarks5"]}
            for f in faces
        ]
    }


@router.post(
    "/analyze", dependencies=[Depends(require_read)], response_model=AnalyzeOut, openapi_extra=upload_body("image")
)
async def analyze(request: Request, embeddings: bool = False) -> dict:
    """Faces with landmarks, pose and quality (``?embeddings=true`` adds them)."""
    faces = (await _analyze(request, ("image",)))["image"]
    return {"faces": [f.to_dict(embedding=embeddings) for f in faces]}


@router.post(
    "/verify",
    dependencies=[Depends(require_read)],
    response_model=VerificationOut,
    openapi_extra=upload_body("image_a", "image_b"),
)
async def verify(
    request: Request,
    threshold: Annotated[float | None, Query(gt=0, le=4, allow_inf_nan=False, description="distance threshold")] = None,
) -> dict:
    """Same person? The largest faces of ``image_a`` and ``image_b``."""
    found = await _analyze(request, ("image_a", "image_b"), heads=False)
    a, b = _largest(found["image_a"], "image_a"), _largest(found["image_b"], "image_b")
    return verify_embeddings(a.embedding, b.embedding, threshold).to_dict()


@router.post(
    "/search", dependencies=[Depends(require_read)], response_model=SearchOut, openapi_extra=upload_body("image")
)
async def search(request: Request, atlas: AtlasDep, top: Annotated[int, Query(ge=1, le=100)] = 10) -> dict:
    """Nearest people and faces in the atlas for the largest face of ``image``."""
    face = _largest((await _analyze(request, ("image",), heads=False))["image"], "image")
    return search_embedding(
        atlas, face.embedding, top, index=request.app.state.index_for(atlas), embedder=face.embedder
    ).to_dict()


def _person_json(atlas: Atlas, person_id: int, faces: bool = True, taken: DateRange | None = None) -> dict:
    """A person; with ``faces``, each with ``taken_at``, only those taken in ``taken`` when given."""
    p = atlas.people.get(person_id)
    from faceatlas.people.similar import person_summary

    out = {"id": p.id, "name": p.name, "face_count": p.face_count, "attributes": person_summary(atlas, person_id)}
    if faces:
        records = atlas.faces.of_person(person_id)
        when = atlas.images.taken_at_of_faces(person_id)
        taken = taken or DateRange()
        out["faces"] = [
            f.to_dict() | {"source": f.source, "taken_at": when.get(f.id)}
            for f in records
            if taken.contains(when.get(f.id))
        ]
    return out


@router.get("/people", dependencies=[Depends(require_read)], response_model=list[PersonSummary])
def people(
    request: Request,
    response: Response,
    atlas: AtlasDep,
    unnamed: bool = False,
    limit: int = Query(0, ge=0, le=10_000, description="At most this many (0: all)"),
    offset: int = Query(0, ge=0),
    sort: Literal["size", "-size", "name", "recent"] = "-size",
    hidden: bool = Query(False, description="List the hidden people instead"),
    taken_after: str | None = Query(None, description="Only people with a photo taken then or later: YYYY[-MM[-DD]]"),
    taken_before: str | None = Query(None, description="... taken then or earlier (inclusive): YYYY[-MM[-DD]]"),
) -> list[dict]:
    """Everyone, largest first, with their attributes (``?unnamed=true``: only people without a
    name; ``sort``: size (smallest first), -size, name, recent; ``taken_after`` / ``taken_before``:
    only people with a face in a photo taken in that range; any other parameter filters by
    attribute: ``?gender=female&age_max=30``). The total is in ``X-Total-Count``; the body is a page."""
    from faceatlas.errors import FaceAtlasError
    from faceatlas.people.attributes import known_keys, matches, parse_conditions, people_attributes
    from faceatlas.service.people_app import people_page

    attributes = people_attributes(atlas)
    taken = DateRange.parse(taken_after, taken_before, ("taken_after", "taken_before"))
    dated = atlas.images.people_taken_between(taken.after, taken.before) if taken else None
    listed = {"unnamed", "limit", "offset", "sort", "hidden", "taken_after", "taken_before"}
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in listed]
    try:
        conditions = parse_conditions(pairs, known_keys(attributes.values()))
    except FaceAtlasError as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    rows, total = people_page(
        atlas,
        unnamed=unnamed,
        limit=limit,
        offset=offset,
        sort=sort,
        hidden=hidden,
        where=lambda pid: (dated is None or pid in dated) and matches(attributes.get(pid, {}), conditions),
    )
    response.headers["X-Total-Count"] = str(total)
    return [r | {"attributes": attributes.get(r["id"], {})} for r in rows]


@router.get("/people/{person_id}", dependencies=[Depends(require_read)], response_model=PersonOut)
def person(
    person_id: PersonId,
    atlas: AtlasDep,
    taken_after: str | None = Query(None, description="Only faces in photos taken then or later: YYYY[-MM[-DD]]"),
    taken_before: str | None = Query(None, description="... taken then or earlier (inclusive): YYYY[-MM[-DD]]"),
) -> dict:
    """A person with their faces, each with ``taken_at`` (when its photo was taken, EXIF; null if unknown)."""
    taken = DateRange.parse(taken_after, taken_before, ("taken_after", "taken_before"))
    return _person_json(atlas, person_id, taken=taken)


@router.patch("/people/{person_id}", dependencies=[Depends(require_admin)], response_model=PersonOut)
def rename(person_id: PersonId, body: RenameBody, atlas: AtlasDep) -> dict:
    corrections.name_person(atlas, person_id, body.name)
    return _person_json(atlas, person_id, faces=False)


@router.post("/people/{person_id}/merge", dependencies=[Depends(require_admin)], response_model=PersonOut)
def merge(person_id: PersonId, body: MergeBody, atlas: AtlasDep) -> dict:
    """Fold ``other`` into this person; ``overridden``: faces whose "not this person" it overrode."""
    overridden = corrections.merge_people(atlas, person_id, body.other)
    return _person_json(atlas, person_id, faces=False) | {"overridden": overridden}


@router.post("/faces/{face_id}/move", dependencies=[Depends(require_admin)], response_model=MoveOut)
def move(face_id: FaceId, body: MoveBody, atlas: AtlasDep) -> dict:
    corrections.move_face(atlas, face_id, body.person_id)
    return {"face_id": face_id, "person_id": body.person_id}


@router.post("/faces/{face_id}/reject", dependencies=[Depends(require_admin)], response_model=RejectOut)
def reject(face_id: FaceId, atlas: AtlasDep) -> dict:
    left = corrections.reject_face(atlas, face_id)
    return {"face_id": face_id, "rejected_from": left}


@router.post("/faces/{face_id}/label", dependencies=[Depends(require_admin)], response_model=LabelOut)
def label(face_id: FaceId, body: LabelBody, atlas: AtlasDep) -> dict:
    """Answer a review question: this face is ``name``; names the whole person the face is in
    (409 asks for a ``scope`` when that person holds faces you placed). See also ``/answer``."""
    from faceatlas.people.labeling import answer_name

    return answer_name(atlas, face_id, body.name, body.scope).to_dict()


@router.get("/review", dependencies=[Depends(require_read)])
def review(atlas: AtlasDep, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[dict]:
    """The questions whose answers help most (name proposals to confirm, then uncertain faces)."""
    from faceatlas.people.labeling import review_queue

    return review_queue(atlas, limit)


@router.get("/faces/{face_id}/thumbnail.jpg", dependencies=[Depends(require_read)])
def thumbnail(face_id: FaceId, atlas: AtlasDep, request: Request) -> FileResponse:
    """The face's square crop (JPEG). 404 ``photo_missing`` when its photo is gone from disk; 403 when
    the photo's real path now leaves the allowed folders (e.g. it was replaced by a symlink)."""
    face = atlas.faces.get(face_id)
    if face is None:
        raise StoreError(f"no face with id {face_id}")
    if not os.path.lexists(face.image_path):
        raise ApiError(404, "photo_missing", f"the photo of face {face_id} is no longer on disk")
    _check_photo_location(face.image_path, settings_of(request).roots)
    path = atlas.thumbnails().path_for(face.id, face.image_path, face.bbox, face.frame_ms)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})


def _check_photo_location(image_path: str, roots: tuple) -> None:
    """A crop is cut only from a photo whose real path lies inside the server's ``--root`` folders, or,
    without roots, inside the folder it was scanned in (a photo later replaced by a symlink pointing
    elsewhere is refused). The crop itself opens the file again only after this check."""
    allowed = [os.path.realpath(r) for r in roots] or [os.path.realpath(os.path.dirname(image_path))]
    if not is_within(image_path, allowed):
        raise ApiError(403, "path_not_allowed", "the photo of this face now points outside the allowed folders")


@router.post("/scan", status_code=202, dependencies=[Depends(require_admin)], response_model=JobOut)
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
        candidate = under_roots(raw, roots)
        if not candidate.exists():
            raise ApiError(404, "not_found", f"{raw!r} does not exist")
        paths.append(Path(os.path.realpath(candidate)))
    return request.app.state.jobs.submit(paths).to_dict()


@router.get("/jobs/{job_id}", dependencies=[Depends(require_read)], response_model=JobOut)
def job(job_id: JobId, request: Request) -> dict:
    found = request.app.state.jobs.jobs.get(job_id)
    if found is None:
        raise ApiError(404, "not_found", f"no job with id {job_id}")
    return found.to_dict()
