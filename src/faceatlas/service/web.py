"""The people web page: server-rendered templates with a little JavaScript, no build step."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from faceatlas.errors import StoreError
from faceatlas.index.search import search_embedding
from faceatlas.io.images import ImageLimits
from faceatlas.service.deps import get_atlas, require_read, settings_of
from faceatlas.service.errors import ApiError
from faceatlas.service.uploads import read_upload
from faceatlas.store import Atlas

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


def _printable(value: object) -> object:
    """A file name that is not UTF-8 is shown with its undecodable bytes as ``\\udcXX``."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


templates.env.finalize = _printable
router = APIRouter(include_in_schema=False)


PAGE_SIZE = 120
FACE_PAGE_SIZE = 240  # a person's faces per page


@router.get("/", response_class=HTMLResponse)
def people_page(
    request: Request,
    view: str = "all",
    sort: str = "-size",
    page: int = 1,
    taken_after: str = "",
    taken_before: str = "",
    atlas: Atlas = Depends(get_atlas),
) -> HTMLResponse:
    if settings_of(request).keys_required:
        try:
            require_read(request)
        except ApiError:
            return templates.TemplateResponse(request, "login.html", {"title": "Sign in"}, status_code=401)
    from urllib.parse import urlencode

    from faceatlas.errors import InvalidInputError
    from faceatlas.interop.dates import DateRange
    from faceatlas.service.people_app import people_page as one_page

    sort = sort if sort in ("size", "-size", "name", "recent") else "-size"
    page = max(1, page)
    error = None
    try:  # only people with a photo taken in the range (both ends inclusive, at the precision typed)
        taken = DateRange.parse(taken_after, taken_before, ("taken after", "taken before"))
    except InvalidInputError as exc:
        taken, error = DateRange(), str(exc)
    dated = atlas.images.people_taken_between(taken.after, taken.before) if taken else None
    rows, total = one_page(
        atlas,
        unnamed=view == "unnamed",
        hidden=view == "hidden",
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        sort=sort,
        where=None if dated is None else dated.__contains__,
    )
    cards = [{"id": r["id"], "name": r["name"], "count": r["face_count"], "cover": r["cover_face"]} for r in rows]
    counts = atlas.images.counts()
    people = total if view == "all" and not taken else atlas.people.page(limit=1)[1]  # shown people: a COUNT
    stats = {"people": people, "faces": atlas.faces.count(), "photos": counts.get("done", 0)}
    dates = {"after": taken.after or "", "before": taken.before or "", "error": error}
    query = urlencode({"view": view, "sort": sort} | {f"taken_{k}": v for k, v in dates.items() if k != "error" and v})
    pages = {"page": page, "last": max(1, -(-total // PAGE_SIZE)), "total": total, "sort": sort, "query": query}
    return templates.TemplateResponse(
        request,
        "people.html",
        {"title": "People", "cards": cards, "view": view, "stats": stats, "pages": pages, "dates": dates},
    )


@router.get("/people/{person_id}", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def person_page(request: Request, person_id: int, page: int = 1, atlas: Atlas = Depends(get_atlas)) -> Response:
    try:
        person = atlas.people.get(person_id)
    except StoreError:
        from faceatlas.service.people_app import merged_into

        target = merged_into(atlas, person_id)
        if target is None:  # a page, not raw JSON
            return templates.TemplateResponse(
                request, "gone.html", {"title": "Not found", "person_id": person_id}, status_code=404
            )
        return RedirectResponse(f"/people/{target}", status_code=303)
    from faceatlas.interop.dates import by_year
    from faceatlas.people.attributes import describe
    from faceatlas.people.labeling import similar_people
    from faceatlas.people.similar import person_summary

    others = [p for p in atlas.people.all() if p.id != person_id]
    last = max(1, -(-person.face_count // FACE_PAGE_SIZE))
    page = min(max(1, page), last)
    first = (page - 1) * FACE_PAGE_SIZE
    rows = atlas.faces.of_person_page(person_id, FACE_PAGE_SIZE, first)  # newest year first
    when = {f.id: taken for f, taken in rows if taken}
    faces = [f for f, _ in rows]
    years = by_year(faces, lambda f: when.get(f.id))  # this page's faces
    return templates.TemplateResponse(
        request,
        "person.html",
        {
            "title": person.name or f"Person {person.id}",
            "person": person,
            "faces": faces,
            "years": years,
            "taken": when,
            "pages": {"page": page, "last": last, "total": person.face_count, "first": first + 1},
            "others": others,
            "attributes": describe(person_summary(atlas, person_id)),
            "name_source": atlas.people.name_source(person_id),
            "similar": similar_people(atlas, person_id),
        },
    )


@router.get("/search", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def search_form(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "search.html", {"title": "Search", "result": None, "error": None})


@router.post("/search", response_class=HTMLResponse, dependencies=[Depends(require_read)])
async def search_page(request: Request, image: UploadFile, atlas: Atlas = Depends(get_atlas)) -> HTMLResponse:
    settings = settings_of(request)
    data = await read_upload(image, settings.max_upload_bytes)
    limits = ImageLimits(max_pixels=settings.max_pixels, max_bytes=settings.max_upload_bytes)
    error, result = None, None
    try:
        analyzer = request.app.state.analyzer
        faces = await request.app.state.gate.analyze(analyzer, data, limits, image.filename or "upload", heads=False)
        if not faces:
            error = "No face found in that photo."
        else:
            result = search_embedding(
                atlas, faces[0].embedding, 12, index=request.app.state.index_for(atlas), embedder=faces[0].embedder
            )
    except Exception as exc:  # shown on the page, not a stack trace
        error = getattr(exc, "reason", None) or str(exc)
    return templates.TemplateResponse(request, "search.html", {"title": "Search", "result": result, "error": error})
