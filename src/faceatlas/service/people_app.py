"""The people app's REST endpoints and pages: answering the review, the action log with undo,
hiding and deleting people, and where a merged person went."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from faceatlas.errors import StoreError
from faceatlas.io.images import DecodedImage, open_image
from faceatlas.people import corrections, labeling
from faceatlas.service.deps import get_atlas, require_admin, require_read
from faceatlas.store import Atlas
from faceatlas.store.records import ImageRecord

router = APIRouter()
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
AtlasDep = Annotated[Atlas, Depends(get_atlas)]


class AnswerBody(BaseModel):
    answer: Literal["name", "yes", "no", "skip"] = Field(
        "name", description='"name": the face is `name`; "yes"/"no": to "Is this `person_id`?"; "skip"'
    )
    name: str | None = Field(None, max_length=200)
    person_id: int | None = Field(None, description='The X of "Is this X?" (yes / no)')
    scope: Literal["auto", "person", "face"] = Field(
        "auto", description="When the person holds faces you placed: name the whole person or only this face"
    )


@router.post("/v1/faces/{face_id}/answer", dependencies=[Depends(require_admin)], tags=["review"])
def answer(face_id: int, body: AnswerBody, atlas: AtlasDep) -> dict:
    """Answer a review question. A name (or Yes) names the whole person the face is in; 409 asks for
    a ``scope`` when that person holds faces you placed. Identification then runs around the answer."""
    if body.answer == "skip":
        labeling.skip(atlas, face_id)
        return {"face_id": face_id, "skipped": True}
    if body.answer == "no":
        if body.person_id is None:
            raise StoreError("a 'no' answer needs person_id (the X of 'Is this X?')")
        return labeling.answer_no(atlas, face_id, body.person_id).to_dict()
    name = body.name
    if body.answer == "yes":
        if body.person_id is None:
            raise StoreError("a 'yes' answer needs person_id (the X of 'Is this X?')")
        name = atlas.people.get(body.person_id).name
        if not name:
            return _yes_unnamed(atlas, face_id, body.person_id)
    if not name or not name.strip():
        raise StoreError("a name is needed")
    return labeling.answer_name(atlas, face_id, name, body.scope).to_dict()


def _yes_unnamed(atlas: Atlas, face_id: int, person_id: int) -> dict:
    face = atlas.faces.get(face_id)
    if face is None:
        raise StoreError(f"no face with id {face_id}")
    if face.person_id is not None and face.person_id != person_id:
        corrections.merge_people(atlas, person_id, face.person_id)
    else:
        corrections.move_face(atlas, face_id, person_id)
    return {"face_id": face_id, "person_id": person_id}


@router.get("/v1/actions", dependencies=[Depends(require_read)], tags=["history"])
def actions(response: Response, atlas: AtlasDep, limit: int = 50, offset: int = 0) -> list[dict]:
    """Your corrections, newest first (``X-Total-Count``: how many there are)."""
    total = atlas.conn.execute("SELECT COUNT(*) FROM actions").fetchone()[0]
    response.headers["X-Total-Count"] = str(total)
    return [a.to_dict() for a in atlas.actions.list(max(1, min(limit, 500)), max(0, offset))]


@router.post("/v1/actions/undo", dependencies=[Depends(require_admin)], tags=["history"])
def undo_latest(atlas: AtlasDep) -> dict:
    """Undo the latest correction still in force."""
    return atlas.actions.undo().to_dict()


@router.post("/v1/actions/{action_id}/undo", dependencies=[Depends(require_admin)], tags=["history"])
def undo(action_id: int, atlas: AtlasDep) -> dict:
    """Undo one correction (409 when a later one changed the same faces: undo that first)."""
    return atlas.actions.undo(action_id).to_dict()


@router.post("/v1/people/{person_id}/hide", dependencies=[Depends(require_admin)], tags=["people"])
def hide(person_id: int, atlas: AtlasDep) -> dict:
    corrections.set_hidden(atlas, person_id, True)
    return {"id": person_id, "state": "hidden"}


@router.post("/v1/people/{person_id}/unhide", dependencies=[Depends(require_admin)], tags=["people"])
def unhide(person_id: int, atlas: AtlasDep) -> dict:
    corrections.set_hidden(atlas, person_id, False)
    return {"id": person_id, "state": "shown"}


@router.delete("/v1/people/{person_id}", dependencies=[Depends(require_admin)], tags=["people"])
def delete(person_id: int, atlas: AtlasDep) -> dict:
    """Delete a person: faces unassigned, each with a "not this person" (undo: the action log)."""
    return {"id": person_id, "state": "deleted", "faces_released": corrections.delete_person(atlas, person_id)}


def merged_into(atlas: Atlas, person_id: int) -> int | None:
    """Where a merged-away person went (following later merges), from the action log."""
    kept_for: dict = {}  # merged-away id -> the id it went into, by the newest merge in force
    for a in atlas.actions.list(limit=10_000, include_undone=False):
        if a.kind == "merge":
            kept_for.setdefault(a.detail.get("other"), a.detail.get("keep"))
    seen = set()
    target = None
    current = person_id
    while current not in seen:
        seen.add(current)
        nxt = kept_for.get(current)
        if nxt is None:
            break
        target = current = int(nxt)
    return target


@router.get("/history", response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(require_read)])
def history_page(request: Request, atlas: AtlasDep) -> HTMLResponse:
    items = atlas.actions.list(100)
    return templates.TemplateResponse(request, "history.html", {"title": "History", "items": items, "view": "history"})


@router.get("/review", response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(require_read)])
def review_page(request: Request, atlas: AtlasDep) -> HTMLResponse:
    """One card per question: "Who is this?" with name completion, or "Is this X?" with Yes / No,
    and Skip; each answer reloads the page, so the next questions reflect it."""
    items = labeling.review_queue(atlas, 24)
    names = sorted({n for n in atlas.people.names().values() if n})
    return templates.TemplateResponse(
        request, "review.html", {"title": "Review", "items": items, "names": names, "view": "review"}
    )


def people_page(
    atlas: Atlas,
    unnamed: bool = False,
    limit: int = 0,
    offset: int = 0,
    sort: str = "-size",
    hidden: bool = False,
    where: Callable[[int], bool] | None = None,
) -> tuple[list[dict], int]:
    """One page of the people list and the total (``sort``: size, -size, name, recent; ``where``:
    keep only the person ids it accepts, e.g. an attribute filter). Without ``where`` the store pages
    (one indexed query on the stored face counts); with it every person of the view is read once and
    filtered here (10,000 people: milliseconds)."""
    state = "hidden" if hidden else "shown"
    if where is None:
        rows, total = atlas.people.page(state, unnamed, sort, limit, offset)
    else:
        everyone, _ = atlas.people.page(state, unnamed, sort)
        kept = [p for p in everyone if where(p.id)]
        total = len(kept)
        rows = kept[offset : offset + limit] if limit else kept[offset:]
    return [
        {"id": p.id, "name": p.name, "face_count": p.face_count, "cover_face": p.cover_face_id} for p in rows
    ], total


def _photo_faces(atlas: Atlas, image_id: int, frame_ms: int | None = None) -> list[dict]:
    names = atlas.people.names()
    faces = [f for f in atlas.faces.of_image(image_id) if frame_ms is None or f.frame_ms == frame_ms]
    return [f.to_dict() | {"person_id": f.person_id, "name": names.get(f.person_id), "source": f.source} for f in faces]


def _image_row(atlas: Atlas, image_id: int) -> ImageRecord:
    row = atlas.images.get(image_id)
    if row is None:
        raise StoreError(f"no image with id {image_id}")
    return row


def _displayed(path: str, frame_ms: int | None) -> DecodedImage:
    """The photo at ``path``, or the frame at ``frame_ms`` when it is a video, decoded as displayed."""
    if frame_ms is None:
        return open_image(path)
    from faceatlas.io.video import read_frame

    return open_image(read_frame(path, frame_ms), name=path)


@router.get("/v1/images/{image_id}", dependencies=[Depends(require_read)], tags=["photos"])
def image(image_id: int, atlas: AtlasDep) -> dict:
    """A photo of the atlas with all its faces: boxes (pixels of the photo as displayed), people, names."""
    row = _image_row(atlas, image_id)
    return {
        "id": row.id,
        "path": row.path,
        "status": row.status,
        "taken_at": atlas.images.taken_at(image_id),
        "faces": _photo_faces(atlas, image_id),
    }


@router.get("/v1/images/{image_id}/photo.jpg", dependencies=[Depends(require_read)], tags=["photos"])
def photo_file(image_id: int, atlas: AtlasDep, max_side: int = 1600, frame_ms: int | None = None) -> Response:
    """The photo (or the video frame at ``frame_ms``) as displayed, as a JPEG of at most ``max_side`` px."""
    import io as _io

    from PIL import Image

    row = _image_row(atlas, image_id)
    pixels, _ = _displayed(row.path, frame_ms).reduced(max(64, min(max_side, 4096)))
    buf = _io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=88)
    return Response(buf.getvalue(), media_type="image/jpeg", headers={"Cache-Control": "max-age=3600"})


@router.get(
    "/photos/{image_id}", response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(require_read)]
)
def photo_page(request: Request, image_id: int, atlas: AtlasDep, frame_ms: int | None = None) -> HTMLResponse:
    """The photo with every face's box and name, each box linking to its person."""
    row = _image_row(atlas, image_id)
    width, height = _displayed(row.path, frame_ms).size
    faces = _photo_faces(atlas, image_id, frame_ms)
    for f in faces:
        x1, y1, x2, y2 = f["bbox"]
        f["box"] = {
            "left": 100 * x1 / width,
            "top": 100 * y1 / height,
            "w": 100 * (x2 - x1) / width,
            "h": 100 * (y2 - y1) / height,
        }
    src = f"/v1/images/{image_id}/photo.jpg" + (f"?frame_ms={frame_ms}" if frame_ms is not None else "")
    return templates.TemplateResponse(
        request,
        "photo.html",
        {
            "title": row.path.rsplit("/", 1)[-1],
            "image": row,
            "faces": faces,
            "src": src,
            "frame_ms": frame_ms,
            "taken_at": atlas.images.taken_at(image_id),
        },
    )


@router.get("/faces", response_class=HTMLResponse, include_in_schema=False, dependencies=[Depends(require_read)])
def loose_faces_page(request: Request, atlas: AtlasDep, offset: int = 0, limit: int = 60) -> HTMLResponse:
    """Faces in no person, best quality first, a page at a time: name one, or ignore it."""
    limit = max(1, min(limit, 500))
    page, total = atlas.faces.loose(limit, max(0, offset))
    names = sorted({n for n in atlas.people.names().values() if n})
    return templates.TemplateResponse(
        request,
        "faces.html",
        {
            "title": "Faces not in a person",
            "faces": page,
            "total": total,
            "offset": max(0, offset),
            "limit": limit,
            "names": names,
            "view": "faces",
        },
    )


@router.get("/v1/people/{person_id}/similar", dependencies=[Depends(require_read)], tags=["people"])
def similar(person_id: int, atlas: AtlasDep, limit: int = 6) -> list[dict]:
    """ "May be the same person": people whose centroid is near this one's, nearest first."""
    atlas.people.get(person_id)
    return labeling.similar_people(atlas, person_id, max(1, min(limit, 50)))
