"""`faceatlas captions | name-from-captions | identify | review | label`: naming people."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.atlas import _change, _fail, _open
from faceatlas.cli.common import DbOpt, JsonOpt
from faceatlas.cli.output import emit_json, esc, out_console
from faceatlas.errors import FaceAtlasError

captions_app = typer.Typer(help="Photo captions.", no_args_is_help=True)


@captions_app.command("import")
def import_captions(
    manifest: Annotated[Path, typer.Argument(help='JSON lines: {"image": path, "caption": text}.')],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Attach captions from a manifest to photos already scanned (sidecar .txt files and captions
    embedded in IPTC/XMP/EXIF are read by `faceatlas scan` itself)."""
    from faceatlas.people.labeling import import_manifest

    with _open(db) as atlas:
        try:
            result = import_manifest(atlas, manifest)
        except (ValueError, OSError) as exc:
            _fail(FaceAtlasError(str(exc)), as_json)
    if as_json:
        emit_json(result)
    else:
        out_console.print(
            f"{result['captions']} captions stored; {len(result['images_not_in_atlas'])} images not in the atlas"
        )


@captions_app.command("sources")
def caption_sources(
    person: Annotated[int | None, typer.Option(help="Only this person's faces.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Where caption names came from: per face, the photo whose caption named it, the confidence, the
    evidence (photos), whether it was applied and the person the face was in before."""
    from faceatlas.people.caption_naming import caption_name_sources

    with _open(db) as atlas:
        rows = [r.to_dict() | {"image": atlas.images.get(r.image_id).path} for r in caption_name_sources(atlas, person)]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        state = "applied" if r["applied"] else "to review"
        out_console.print(
            f"face {r['face_id']:>6}: {r['name']!r} from the caption of {r['image']} "
            f"(confidence {r['confidence']:.2f}, {r['photos']} photos, {state})"
            f" → faceatlas captions undo {r['face_id']}",
            highlight=False,
        )


@captions_app.command("undo")
def caption_undo(face_id: int, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Take back the caption name of a face (it returns where it was; the name is not applied again)."""
    from faceatlas.people.caption_naming import undo_caption_name

    with _open(db) as atlas:
        done = undo_caption_name(atlas, face_id)
    if not done:
        _fail(FaceAtlasError(f"face {face_id} has no caption name"), as_json)
    if as_json:
        emit_json({"face_id": face_id, "undone": True})
    else:
        out_console.print(f"caption name of face {face_id} undone")


def name_from_captions(
    threshold: Annotated[
        float | None,
        typer.Option(help="τ: apply a name seen in one photo at least this sure (default: chosen on dev)."),
    ] = None,
    min_photos: Annotated[int, typer.Option(help="Apply a name whose faces agree over this many photos.")] = 2,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Name faces from the captions of their photos, face by face; apply the strong names (an impure
    person is split by name), leave the rest as review questions."""
    from faceatlas.people.labeling import name_from_captions as run
    from faceatlas.people.naming import AUTO_CONFIDENCE

    with _open(db) as atlas:
        proposals = run(atlas, AUTO_CONFIDENCE if threshold is None else threshold, min_photos)
    if as_json:
        emit_json([p.to_dict() for p in proposals])
        return
    for p in proposals:
        state = "[green]applied[/green]" if p.applied else "[yellow]to review[/yellow]"
        out_console.print(
            f"person {p.person_id:>5}: {p.name!r} confidence {p.confidence:.2f} over {p.faces} faces  {state}"
        )


def identify(
    accept: Annotated[float, typer.Option(help="Confidence needed to assign a face.")] = 0.9,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Few labels → everyone: faces you confirmed identify the rest, most confident first."""
    from faceatlas.people.labeling import identify_people

    with _open(db) as atlas:
        result = identify_people(atlas, accept)
    if as_json:
        emit_json(result)
    else:
        out_console.print(f"{result['labelled']} confirmed faces → {result['assigned']} faces assigned")


def review(
    limit: Annotated[int, typer.Option(help="How many questions.")] = 20,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The questions whose answers help most; answer with `faceatlas label FACE_ID NAME` or `name`."""
    from faceatlas.people.labeling import review_queue

    with _open(db) as atlas:
        items = review_queue(atlas, limit)
    if as_json:
        emit_json(items)
        return
    for it in items:
        size = f"{it['faces']} faces" if it.get("faces", 1) > 1 else "1 face"
        if it["kind"] == "name":
            hint = f"faceatlas name {it['person_id']} NAME"
        elif it.get("suggested_person"):
            hint = f"faceatlas answer {it['face_id']} NAME | --no {it['suggested_person']} | --skip"
        else:
            hint = f"faceatlas answer {it['face_id']} NAME | --skip"
        where = f"person {it['person_id']}" if it.get("person_id") else f"face {it['face_id']} in {it['image']}"
        out_console.print(f"{esc(it['text'])} ({esc(where)}, {size}) → {hint}", highlight=False)


def label(
    face_id: int, name: Annotated[str, typer.Argument(metavar="NAME")], db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Answer a question: this face is NAME (names the whole person the face is in; see `answer`)."""
    from faceatlas.people.labeling import answer

    person = _change(db, answer, face_id, name, as_json=as_json)
    if as_json:
        emit_json({"face_id": face_id, "name": name.strip(), "person_id": person})
    else:
        out_console.print(f"face {face_id} is {esc(name.strip())} (person {person})", highlight=False)
