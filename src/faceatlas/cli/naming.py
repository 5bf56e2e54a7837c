"""`faceatlas captions | name-from-captions | identify | review | label`: naming people."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.atlas import _change, _fail, _open
from faceatlas.cli.common import DbOpt, JsonOpt
from faceatlas.cli.output import emit_json, out_console
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


def name_from_captions(
    threshold: Annotated[float, typer.Option(help="Apply proposals at least this confident.")] = 0.7,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Propose a name for each person from the captions of their photos; apply the confident ones."""
    from faceatlas.people.labeling import name_from_captions as run

    with _open(db) as atlas:
        proposals = run(atlas, threshold)
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
        out_console.print(f"{it['text']} ({where}, {size}) → {hint}", highlight=False)


def label(face_id: int, name: Annotated[str, typer.Argument(metavar="NAME")], db: DbOpt = None) -> None:
    """Answer a question: this face is NAME (a confirmed label; the person is created if new)."""
    from faceatlas.people.labeling import answer

    person = _change(db, answer, face_id, name)
    out_console.print(f"face {face_id} is {name} (person {person})")
