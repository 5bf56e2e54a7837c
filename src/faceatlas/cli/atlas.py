"""`faceatlas scan | search | cluster | people | person | name | merge | move | reject | export`."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.common import DbOpt, DetectorOpt, EmbedderOpt, JsonOpt, analyzer_from_options, db_path
from faceatlas.cli.output import emit_json, out_console, progress_bar, show_progress, warn
from faceatlas.errors import FaceAtlasError
from faceatlas.store import Atlas


def _open(db: Path | None) -> Atlas:
    return Atlas(db_path(db))


def _fail(exc: Exception, as_json: bool) -> None:
    if as_json:
        emit_json({"error": str(exc)})
    else:
        out_console.print(f"[red]error[/red] {exc}", highlight=False)
    raise typer.Exit(2)


def _people_rows(atlas: Atlas, limit_faces: int | None = None) -> list[dict]:
    rows = []
    for person in atlas.people.all():
        faces = atlas.faces.of_person(person.id)
        shown = faces if limit_faces is None else faces[:limit_faces]
        rows.append(
            {"id": person.id, "name": person.name, "face_count": len(faces), "faces": [f.to_dict() for f in shown]}
        )
    return rows


def _print_people(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table("person", "name", "faces", "example photos")
    for r in rows:
        examples = ", ".join(sorted({Path(f["image"]).name for f in r["faces"]})[:3])
        table.add_row(str(r["id"]), r["name"] or "[dim]unnamed[/dim]", str(r["face_count"]), examples)
    out_console.print(table)


def scan(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Folders or images; none: the sample faces, into the demo atlas.")
    ] = None,
    db: DbOpt = None,
    workers: Annotated[int, typer.Option(help="Processes analysing photos (default: all cores).")] = 0,
    engine: Annotated[str, typer.Option(help="local | ray")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (with --engine ray).")] = None,
    detector: DetectorOpt = "auto",
    embedder: EmbedderOpt = "dlib-resnet-onnx",
    as_json: JsonOpt = False,
) -> None:
    """Scan photos into the atlas (incremental, resumable), then assign new faces to people."""
    from faceatlas.engines import scan as run_scan
    from faceatlas.samples import sample_images

    roots = list(paths) if paths else sample_images()
    if not paths and db is None:  # the sample faces go to the demo atlas, never the user's own
        from faceatlas.paths import demo_db_path

        db = demo_db_path()
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        _fail(FaceAtlasError(f"no such file or folder: {', '.join(missing)}"), as_json)
    config = analyzer_from_options(detector, embedder=embedder).config
    n_workers = workers or os.cpu_count() or 1
    run_engine = _engine(engine, address)
    with _open(db) as atlas, progress_bar(None, "scanning", show_progress(as_json)) as bar:

        def on_error(path: str, reason: str) -> None:
            if not as_json:
                warn(f"{path}: {reason}")

        summary = run_scan(
            atlas, roots, config, n_workers, progress=bar, on_plan=bar.set_total, on_error=on_error, engine=run_engine
        )
        rows = _people_rows(atlas, limit_faces=None if as_json else 3)
        alone = [f for f in atlas.faces.live() if f.person_id is None]
    data = summary.to_dict()
    data["db"] = str(db_path(db))
    if as_json:
        data["people_found"] = [{"id": r["id"], "name": r["name"], "faces": r["face_count"]} for r in rows]
        emit_json(data)
        return
    out_console.print(
        f"[bold]{summary.images_seen}[/bold] images: {summary.analyzed} analysed, "
        f"{summary.skipped_unchanged} unchanged, "
        f"{len(summary.failed)} failed, {summary.vanished} vanished; {summary.faces_added} faces added; "
        f"[bold]{summary.people}[/bold] people ({summary.seconds:.1f} s) → {data['db']}"
    )
    if rows:
        _print_people(rows)
    if alone:
        out_console.print(f"{len(alone)} faces not in a person yet (a person needs two good photos):")
        for face in alone[:10]:
            out_console.print(f"  face {face.id:>6}  q={face.quality or 0:.2f}  {face.image_path}", highlight=False)
        if len(alone) > 10:
            out_console.print(f"  … and {len(alone) - 10} more (faceatlas review)")


def _engine(name: str, address: str | None):
    if name == "local":
        from faceatlas.engines.scan import run_items

        return run_items
    if name == "ray":
        from faceatlas.engines.ray_engine import ray_runner

        return ray_runner(address)
    raise typer.BadParameter(f"unknown engine {name!r} (local or ray)")


def search(
    image: Annotated[Path | None, typer.Argument(help="A photo; its largest face is searched.")] = None,
    face: Annotated[int | None, typer.Option("--face", help="Search with a stored face instead.")] = None,
    top: Annotated[int, typer.Option(help="How many nearest faces.")] = 10,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who is this? Nearest people and faces, with distances and the verification verdict."""
    from faceatlas.index.search import search_embedding

    with _open(db) as atlas:
        try:
            if face is not None:
                rec = atlas.faces.get(face)
                if rec is None:
                    raise FaceAtlasError(f"no face with id {face}")
                vec, exclude = rec.embedding, face
            elif image is not None:
                faces = analyzer_from_options().analyze(image)
                if not faces:
                    raise FaceAtlasError(f"{image}: no face found")
                vec, exclude = faces[0].embedding, None
            else:
                raise FaceAtlasError("give an IMAGE or --face ID")
            result = search_embedding(atlas, vec, top, exclude_face=exclude)
        except FaceAtlasError as exc:
            _fail(exc, as_json)
    if as_json:
        emit_json(result.to_dict())
        return
    from rich.table import Table

    table = Table("person", "name", "distance", "similarity", "verdict", "faces matched")
    for p in result.people:
        table.add_row(
            str(p.person_id),
            p.name or "-",
            f"{p.distance:.3f}",
            f"{p.similarity:.3f}",
            "[green]same[/green]" if p.same else "different",
            str(p.matching_faces),
        )
    out_console.print(table)
    faces_table = Table("face", "distance", "same", "person", "image")
    for f in result.faces:
        faces_table.add_row(
            str(f.face_id), f"{f.distance:.3f}", "yes" if f.same else "no", str(f.person_id or "-"), f.image
        )
    out_console.print(faces_table)


def cluster(
    full: Annotated[bool, typer.Option("--full", help="Re-cluster every face (user decisions are kept).")] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Assign unassigned faces to people (incremental), or re-cluster everything with --full."""
    from faceatlas.people.assign import assign_new_faces, full_recluster

    with _open(db) as atlas:
        report = full_recluster(atlas) if full else assign_new_faces(atlas)
        data = report.to_dict() | {"people": len(atlas.people.all())}
    if as_json:
        emit_json(data)
    else:
        out_console.print(", ".join(f"{k}: {v}" for k, v in data.items()))


def people(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Everyone in the atlas, largest first."""
    with _open(db) as atlas:
        rows = _people_rows(atlas)
    if as_json:
        emit_json([{"id": r["id"], "name": r["name"], "faces": r["faces"]} for r in rows])
    else:
        _print_people(rows)


def person(person_id: int, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """One person and all their faces."""
    with _open(db) as atlas:
        try:
            rec = atlas.people.get(person_id)
        except FaceAtlasError as exc:
            _fail(exc, as_json)
        faces = [f.to_dict() | {"source": f.source} for f in atlas.faces.of_person(person_id)]
    if as_json:
        emit_json({"id": rec.id, "name": rec.name, "faces": faces})
        return
    out_console.print(f"[bold]person {rec.id}[/bold] {rec.name or '(unnamed)'}: {len(faces)} faces")
    for f in faces:
        at = f" at {f['frame_ms'] / 1000:.1f} s" if "frame_ms" in f else ""
        out_console.print(f"  face {f['id']:>6}  q={f['quality']}  {f['source']:<4}  {f['image']}{at}", highlight=False)


def _change(db: Path | None, action, *args):
    """Run one correction on the atlas; a refused one prints its reason and exits with 2."""
    with _open(db) as atlas:
        try:
            return action(atlas, *args)
        except FaceAtlasError as exc:
            _fail(exc, False)


def name(person_id: int, new_name: Annotated[str, typer.Argument(metavar="NAME")], db: DbOpt = None) -> None:
    """Name a person (kept across re-clustering and scans)."""
    from faceatlas.people.corrections import name_person

    _change(db, name_person, person_id, new_name)
    out_console.print(f"person {person_id} is now {new_name!r}")


def merge(keep: int, other: int, db: DbOpt = None) -> None:
    """Merge person OTHER into person KEEP."""
    from faceatlas.people.corrections import merge_people

    overridden = _change(db, merge_people, keep, other)
    out_console.print(f"merged person {other} into {keep}")
    if overridden:
        out_console.print(
            f"[yellow]warning[/yellow] this overrode your 'not this person' for faces {overridden} "
            "(take it back: faceatlas undo)",
            highlight=False,
        )


def move(face_id: int, person_id: int, db: DbOpt = None) -> None:
    """Move a face to a person (a confirmed assignment)."""
    from faceatlas.people.corrections import move_face

    _change(db, move_face, face_id, person_id)
    out_console.print(f"face {face_id} → person {person_id}")


def reject(face_id: int, db: DbOpt = None) -> None:
    """ "Not this person": take the face out of its person, for good."""
    from faceatlas.people.corrections import reject_face

    left = _change(db, reject_face, face_id)
    out_console.print(f"face {face_id} is not person {left}" if left else f"face {face_id} had no person")


def export(
    fmt: Annotated[str, typer.Option("--format", help="json | csv")] = "json",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    db: DbOpt = None,
) -> None:
    """Every face with its image, box, person id and name."""
    from faceatlas.store.export import export_rows

    with _open(db) as atlas:
        rows = export_rows(atlas)
    fh = out.open("w", newline="") if out else sys.stdout
    try:
        if fmt == "json":
            import json

            fh.write(json.dumps(rows, indent=1) + "\n")
        elif fmt == "csv":
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["image"])
            writer.writeheader()
            writer.writerows(rows)
        else:
            raise typer.BadParameter("--format must be json or csv")
    finally:
        if out:
            fh.close()
