"""The people app's REST endpoints and pages: answering the review, the action log with undo,
hiding and deleting people, and where a merged person went."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from faceatlas.errors import StoreError
from faceatlas.people import corrections, labeling
from faceatlas.service.deps import get_atlas, require_admin, require_read
from faceatlas.store import Atlas

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
    seen = set()
    target = None
    current = person_id
    while current not in seen:
        seen.add(current)
        nxt = None
        for a in atlas.actions.list(limit=10_000, include_undone=False):
            if a.kind == "merge" and a.detail.get("other") == current:
                nxt = a.detail.get("keep")
                break
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
    atlas: Atlas, unnamed: bool = False, limit: int = 0, offset: int = 0, sort: str = "-size", hidden: bool = False
) -> tuple[list[dict], int]:
    """One page of the people list and the total (``sort``: size, -size, name, recent)."""
    everyone = atlas.people.all(include_hidden=hidden)
    rows = [p for p in everyone if (p.state == "hidden") == hidden and not (unnamed and p.name)]
    if sort == "size":
        rows.sort(key=lambda p: (p.face_count, p.id))
    elif sort == "name":
        rows.sort(key=lambda p: (p.name is None, (p.name or "").casefold(), p.id))
    elif sort == "recent":
        rows.sort(key=lambda p: -p.id)
    total = len(rows)
    rows = rows[offset : offset + limit] if limit else rows[offset:]
    return [
        {"id": p.id, "name": p.name, "face_count": p.face_count, "cover_face": p.cover_face_id} for p in rows
    ], total
