"""`faceatlas answer | history | undo | hide | unhide | delete-person`: reviewing people and taking
corrections back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.atlas import _done, _fail, _open
from faceatlas.cli.common import DbOpt, JsonOpt
from faceatlas.cli.output import emit_json, out_console
from faceatlas.errors import FaceAtlasError


def _run(db: Path | None, as_json: bool, fn, *args, **kwargs):
    try:
        with _open(db) as atlas:
            return fn(atlas, *args, **kwargs)
    except FaceAtlasError as exc:
        _fail(exc, as_json)


def answer(
    face_id: Annotated[int, typer.Argument(help="The face the question shows.")],
    name: Annotated[str | None, typer.Argument(metavar="[NAME]", help="Who it is (names its whole person).")] = None,
    no: Annotated[int | None, typer.Option("--no", help='"Is this X?" No: the person id X.')] = None,
    skip: Annotated[bool, typer.Option("--skip", help="Do not ask about this person or face again.")] = False,
    scope: Annotated[str, typer.Option(help="auto | person | face (when asked).")] = "auto",
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Answer a review question (`faceatlas review`): NAME, --no PERSON or --skip."""
    from faceatlas.people import labeling

    if skip:
        _run(db, as_json, labeling.skip, face_id)
        _done(as_json, {"face_id": face_id, "skipped": True}, f"skipped face {face_id}")
    elif no is not None:
        res = _run(db, as_json, labeling.answer_no, face_id, no)
        _done(as_json, res.to_dict(), f"face {face_id}'s person is not person {no}")
    elif name:
        res = _run(db, as_json, labeling.answer_name, face_id, name, scope)
        _done(
            as_json,
            res.to_dict(),
            f"{name}: person {res.person_id}, {res.named_faces} faces ({res.identified} identified afterwards)",
        )
    else:
        _fail(ValueError("give a NAME, --no PERSON or --skip"), as_json)


def history(
    limit: Annotated[int, typer.Option(help="How many actions, newest first.")] = 30,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The corrections you made (name, merge, move, reject, label, hide, delete), newest first."""
    actions = _run(db, as_json, lambda atlas: atlas.actions.list(limit))
    if as_json:
        emit_json([a.to_dict() for a in actions])
        return
    import datetime as dt

    from rich.table import Table

    table = Table("id", "when", "what", "state")
    for a in actions:
        when = dt.datetime.fromtimestamp(a.created_at).strftime("%Y-%m-%d %H:%M")
        table.add_row(str(a.id), when, a.summary, "undone" if a.undone_at else "")
    out_console.print(table)


def undo(
    action_id: Annotated[int | None, typer.Argument(metavar="[ID]", help="Action id (default: the latest).")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Undo a correction (the latest by default; see `faceatlas history`)."""
    action = _run(db, as_json, lambda atlas: atlas.actions.undo(action_id))
    _done(as_json, action.to_dict(), f"undone: {action.summary} (action {action.id})")


def hide(person_id: int, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Hide a person (e.g. strangers in the background) from the people lists and the review."""
    from faceatlas.people.corrections import set_hidden

    _run(db, as_json, set_hidden, person_id, True)
    _done(as_json, {"person_id": person_id, "state": "hidden"}, f"person {person_id} hidden")


def unhide(person_id: int, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Show a hidden person again."""
    from faceatlas.people.corrections import set_hidden

    _run(db, as_json, set_hidden, person_id, False)
    _done(as_json, {"person_id": person_id, "state": "shown"}, f"person {person_id} shown")


def delete_person(person_id: int, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Delete a person: their faces become unassigned and never rejoin them (undo with `faceatlas undo`)."""
    from faceatlas.people.corrections import delete_person as run

    released = _run(db, as_json, run, person_id)
    _done(
        as_json,
        {"person_id": person_id, "state": "deleted", "faces_released": released},
        f"person {person_id} deleted, {released} faces released",
    )


COMMANDS = (answer, history, undo, hide, unhide)


xmp_app = typer.Typer(
    help="People as XMP face regions (MWG), for digiKam, Lightroom, PhotoPrism...", no_args_is_help=True
)


@xmp_app.command("export")
def xmp_export(
    sidecar_style: Annotated[
        str, typer.Option("--sidecar-style", help="digikam: photo.jpg.xmp | lightroom: photo.xmp")
    ] = "digikam",
    under: Annotated[Path | None, typer.Option(help="Only photos under this folder.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write face regions and names of named people to XMP sidecars beside the photos."""
    from faceatlas.interop import export_xmp

    if sidecar_style not in ("digikam", "lightroom"):
        _fail(ValueError("--sidecar-style must be digikam or lightroom"), as_json)
    report = _run(db, as_json, export_xmp, sidecar_style, under)
    _print_xmp(report, as_json, "written")


@xmp_app.command("import")
def xmp_import(
    under: Annotated[Path | None, typer.Option(help="Only photos under this folder.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Read named face regions (sidecar or embedded XMP) of the atlas's photos as your labels."""
    from faceatlas.interop import import_xmp

    report = _run(db, as_json, import_xmp, under)
    _print_xmp(report, as_json, "read")


def _print_xmp(report, as_json: bool, verb: str) -> None:
    if as_json:
        emit_json(report.to_dict())
        return
    for err in report.errors:
        out_console.print(f"[yellow]skip[/yellow] {err}", highlight=False)
    extra = f", {report.labelled} faces labelled, {report.unmatched} regions without a face" if verb == "read" else ""
    out_console.print(f"{report.photos} photos {verb}, {report.regions} face regions{extra}")
