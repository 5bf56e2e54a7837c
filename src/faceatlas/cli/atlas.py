"""`faceatlas scan | search | cluster | people | person | name | merge | move | reject | export | doctor`."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.common import DbOpt, DetectorOpt, JsonOpt, analyzer_from_options, db_path
from faceatlas.cli.output import emit_json, err_console, esc, out_console, progress_bar, show_progress, warn
from faceatlas.errors import FaceAtlasError
from faceatlas.interop.dates import DateRange, by_year
from faceatlas.people.attributes import describe
from faceatlas.store import Atlas

AtlasEmbedderOpt = Annotated[
    str | None,
    typer.Option("--embedder", help="Embedder model (default: the one the atlas records, else dlib-resnet-onnx)."),
]


def _open(db: Path | None) -> Atlas:
    return Atlas(db_path(db))


def _fail(exc: Exception, as_json: bool) -> None:
    """End the command with its one-line reason (on stderr; ``{"error"}`` on stdout under --json), exit 2."""
    if as_json:
        emit_json({"error": str(exc)})
    else:
        err_console.print(f"[red]error[/red] {esc(exc)}", highlight=False)
    raise typer.Exit(2)


def _people_rows(atlas: Atlas, limit_faces: int | None = None) -> list[dict]:
    from faceatlas.people.attributes import people_attributes

    attributes = people_attributes(atlas)
    rows = []
    for person in atlas.people.all():
        faces = atlas.faces.of_person(person.id)
        shown = faces if limit_faces is None else faces[:limit_faces]
        rows.append(
            {
                "id": person.id,
                "name": person.name,
                "face_count": len(faces),
                "attributes": attributes.get(person.id, {}),
                "faces": [f.to_dict() for f in shown],
            }
        )
    return rows


def _print_people(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table("person", "name", "faces", "attributes", "example photos")
    for r in rows:
        examples = ", ".join(sorted({Path(f["image"]).name for f in r["faces"]})[:3])
        table.add_row(
            str(r["id"]),
            esc(r["name"]) if r["name"] else "[dim]unnamed[/dim]",
            str(r["face_count"]),
            esc(describe(r.get("attributes", {}))),
            esc(examples),
        )
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
    embedder: AtlasEmbedderOpt = None,
    reembed: Annotated[
        bool, typer.Option("--reembed", help="Switch the atlas to --embedder: every face is embedded again.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Scan photos into the atlas (incremental, resumable), then assign new faces to people."""
    from faceatlas.engines import scan as run_scan
    from faceatlas.engines.lifetime import AtlasBusyError
    from faceatlas.index.search import atlas_embedder
    from faceatlas.samples import sample_images

    roots = list(paths) if paths else ([] if reembed else sample_images())
    if not paths and not reembed and db is None:  # the sample faces go to the demo atlas, never the user's own
        from faceatlas.paths import demo_db_path

        db = demo_db_path()
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        _fail(FaceAtlasError(f"no such file or folder: {', '.join(missing)}"), as_json)
    n_workers = workers or os.cpu_count() or 1
    run_engine = _engine(engine, address)
    with _open(db) as atlas, progress_bar(None, "scanning", show_progress(as_json)) as bar:
        try:
            config = analyzer_from_options(detector, embedder=atlas_embedder(atlas, embedder)).config
        except FaceAtlasError as exc:
            _fail(exc, as_json)

        def on_error(path: str, reason: str) -> None:
            if not as_json:
                warn(f"{path}: {reason}")

        try:
            summary = run_scan(
                atlas,
                roots,
                config,
                n_workers,
                progress=bar,
                on_plan=bar.set_total,
                on_error=on_error,
                engine=run_engine,
                reembed=reembed,
            )
        except AtlasBusyError as exc:  # another scan holds this atlas: exit 3, nothing done
            if as_json:
                emit_json({"error": str(exc), "pid": exc.pid})
            else:
                out_console.print(f"[red]error[/red] {esc(exc)}", highlight=False)
            raise typer.Exit(3) from None
        except FaceAtlasError as exc:
            _fail(exc, as_json)
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
        f"{len(summary.failed)} failed, {summary.vanished} vanished"
        + (f", {len(summary.unreadable)} folders unreadable" if summary.unreadable else "")
        + f"; {summary.faces_added} faces added; "
        f"[bold]{summary.people}[/bold] people ({summary.seconds:.1f} s) → {esc(data['db'])}"
    )
    if rows:
        _print_people(rows)
    if alone:
        out_console.print(f"{len(alone)} faces not in a person yet (a person needs two good photos):")
        for face in alone[:10]:
            line = f"  face {face.id:>6}  q={face.quality or 0:.2f}  {esc(face.image_path)}"
            out_console.print(line, highlight=False)
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
    embedder: AtlasEmbedderOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who is this? Nearest people and faces, with distances and the verification verdict."""
    from faceatlas.index.search import atlas_embedder, search_embedding

    with _open(db) as atlas:
        try:
            if face is not None:
                rec = atlas.faces.get(face)
                if rec is None:
                    raise FaceAtlasError(f"no face with id {face}")
                vec, exclude, space = rec.embedding, face, rec.embedder
            elif image is not None:
                faces = analyzer_from_options(embedder=atlas_embedder(atlas, embedder)).analyze(image, heads=False)
                if not faces:
                    raise FaceAtlasError(f"{image}: no face found")
                vec, exclude, space = faces[0].embedding, None, faces[0].embedder
            else:
                raise FaceAtlasError("give an IMAGE or --face ID")
            result = search_embedding(atlas, vec, top, exclude_face=exclude, embedder=space)
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
            esc(p.name or "-"),
            f"{p.distance:.3f}",
            f"{p.similarity:.3f}",
            "[green]same[/green]" if p.same else "different",
            str(p.matching_faces),
        )
    out_console.print(table)
    faces_table = Table("face", "distance", "same", "person", "image")
    for f in result.faces:
        faces_table.add_row(
            str(f.face_id), f"{f.distance:.3f}", "yes" if f.same else "no", str(f.person_id or "-"), esc(f.image)
        )
    out_console.print(faces_table)


def cluster(
    full: Annotated[bool, typer.Option("--full", help="Re-cluster every face (user decisions are kept).")] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Assign unassigned faces to people (incremental), or re-cluster everything with --full."""
    from faceatlas.people.assign import assign_new_faces, full_recluster
    from faceatlas.people.similar import refresh

    with _open(db) as atlas:
        report = full_recluster(atlas) if full else assign_new_faces(atlas)
        refresh(atlas)  # the changed people's centroids and attributes, so pages need not
        data = report.to_dict() | {"people": len(atlas.people.all())}
    if as_json:
        emit_json(data)
    else:
        out_console.print(", ".join(f"{k}: {v}" for k, v in data.items()))


TakenAfterOpt = Annotated[
    str | None, typer.Option("--taken-after", help="Only photos taken then or later: YYYY, YYYY-MM or YYYY-MM-DD.")
]
TakenBeforeOpt = Annotated[
    str | None, typer.Option("--taken-before", help="Only photos taken then or earlier (that day/month/year included).")
]


def _taken(after: str | None, before: str | None, as_json: bool) -> DateRange:
    try:
        return DateRange.parse(after, before, ("--taken-after", "--taken-before"))
    except FaceAtlasError as exc:
        _fail(exc, as_json)


def people(
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only people whose attribute matches: gender=female, age_max=30, age_min=20..."),
    ] = None,
    taken_after: TakenAfterOpt = None,
    taken_before: TakenBeforeOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Everyone in the atlas, largest first, with their attributes (majority / median of good faces);
    with --taken-after / --taken-before, only people with a face in a photo taken in that range."""
    from faceatlas.people.attributes import known_keys, matches, parse_where

    taken = _taken(taken_after, taken_before, as_json)
    with _open(db) as atlas:
        rows = _people_rows(atlas)
        dated = atlas.images.people_taken_between(taken.after, taken.before) if taken else None
    try:
        conditions = parse_where(where or [], known_keys(r["attributes"] for r in rows))
    except FaceAtlasError as exc:
        _fail(exc, as_json)
    rows = [r for r in rows if matches(r["attributes"], conditions) and (dated is None or r["id"] in dated)]
    if as_json:
        emit_json([{k: r[k] for k in ("id", "name", "attributes", "faces")} for r in rows])
    else:
        _print_people(rows)


def person(
    person_id: int,
    taken_after: TakenAfterOpt = None,
    taken_before: TakenBeforeOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One person and all their faces, by the year their photo was taken (newest first, undated last)."""
    taken = _taken(taken_after, taken_before, as_json)
    with _open(db) as atlas:
        try:
            rec = atlas.people.get(person_id)
        except FaceAtlasError as exc:
            _fail(exc, as_json)
        records = atlas.faces.of_person(person_id)
        when = atlas.images.taken_at_of_faces(person_id)
        faces = [
            f.to_dict() | {"source": f.source, "taken_at": when.get(f.id)}
            for f in records
            if taken.contains(when.get(f.id))
        ]
    from faceatlas.people.attributes import person_attributes

    attributes = person_attributes((f.quality, f.attributes) for f in records)
    if as_json:
        emit_json({"id": rec.id, "name": rec.name, "attributes": attributes, "faces": faces})
        return
    shown = f"{len(faces)} of {len(records)} faces taken in that range" if taken else f"{len(faces)} faces"
    out_console.print(f"[bold]person {rec.id}[/bold] {esc(rec.name or '(unnamed)')}: {shown}")
    if attributes:
        out_console.print(f"  {esc(describe(attributes))}", highlight=False)
    for year, group in by_year(faces, lambda f: f["taken_at"]):
        out_console.print(f"[bold]{year or 'undated'}[/bold] ({len(group)})", highlight=False)
        for f in group:
            at = f" at {f['frame_ms'] / 1000:.1f} s" if "frame_ms" in f else ""
            day = (f["taken_at"] or "")[:10]
            out_console.print(
                f"  face {f['id']:>6}  q={f['quality']}  {f['source']:<4}  {day:<10}  {esc(f['image'])}{at}",
                highlight=False,
            )


def _change(db: Path | None, action, *args, as_json: bool = False):
    """Run one correction on the atlas; a refused one prints its reason and exits with 2."""
    with _open(db) as atlas:
        try:
            return action(atlas, *args)
        except FaceAtlasError as exc:
            _fail(exc, as_json)


def _done(as_json: bool, data: dict, text: str) -> None:
    if as_json:
        emit_json(data)
    else:
        out_console.print(text, highlight=False)


def name(
    person_id: int, new_name: Annotated[str, typer.Argument(metavar="NAME")], db: DbOpt = None, as_json: JsonOpt = False
) -> None:
    """Name a person (kept across re-clustering and scans)."""
    from faceatlas.people.corrections import clean_name, name_person

    _change(db, name_person, person_id, new_name, as_json=as_json)
    shown = clean_name(new_name)
    _done(as_json, {"person_id": person_id, "name": shown}, f"person {person_id} is now {esc(repr(shown))}")


def merge(keep: int, other: int, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Merge person OTHER into person KEEP."""
    from faceatlas.people.corrections import merge_people

    overridden = _change(db, merge_people, keep, other, as_json=as_json)
    _done(
        as_json,
        {"kept": keep, "merged": other, "overridden": overridden},
        f"merged person {other} into {keep}",
    )
    if overridden and not as_json:
        out_console.print(
            f"[yellow]warning[/yellow] this overrode your 'not this person' for faces {overridden} "
            "(take it back: faceatlas undo)",
            highlight=False,
        )


def move(face_id: int, person_id: int, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Move a face to a person (a confirmed assignment)."""
    from faceatlas.people.corrections import move_face

    _change(db, move_face, face_id, person_id, as_json=as_json)
    _done(as_json, {"face_id": face_id, "person_id": person_id}, f"face {face_id} → person {person_id}")


def reject(face_id: int, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """ "Not this person": take the face out of its person, for good."""
    from faceatlas.people.corrections import reject_face

    left = _change(db, reject_face, face_id, as_json=as_json)
    text = f"face {face_id} is not person {left}" if left else f"face {face_id} had no person"
    _done(as_json, {"face_id": face_id, "rejected_from": left}, text)


def export(
    fmt: Annotated[str, typer.Option("--format", help="json | csv")] = "json",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every face with its image, box, person id and name, and its attributes (--json: the rows as
    JSON on stdout, or with --out a JSON summary of what was written)."""
    from faceatlas.store.export import export_rows, flat_rows

    if fmt not in ("json", "csv"):
        _fail(FaceAtlasError("--format must be json or csv"), as_json)
    with _open(db) as atlas:
        rows = export_rows(atlas)
    if out is None and (as_json or fmt == "json"):
        emit_json(rows)
        return
    if fmt == "csv":
        rows = flat_rows(rows)
    fh = out.open("w", newline="", encoding="utf-8", errors="surrogateescape") if out else sys.stdout
    try:
        if fmt == "json":
            import json

            fh.write(json.dumps(rows, indent=1) + "\n")
        else:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["image"])
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if out:
            fh.close()
    if as_json:
        emit_json({"out": str(out), "format": fmt, "rows": len(rows)})


def doctor(
    db: DbOpt = None,
    backup_to: Annotated[Path | None, typer.Option("--backup", help="Write a copy of the atlas here first.")] = None,
    rebuild_index: Annotated[
        bool, typer.Option("--rebuild-index", help="Rebuild the SQL indexes and the FAISS index.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check the atlas's integrity (read-only); optionally back it up and rebuild its indexes.
    Exit code 0: sound, 1: problems found."""
    from faceatlas.store import doctor as doc

    path = db_path(db)
    report = doc.check(path)
    if backup_to is not None and path.is_file():
        report.backup = f"{backup_to} ({doc.backup(path, backup_to)})"
    if rebuild_index:
        if not report.ok:
            _fail(FaceAtlasError(f"{path} is damaged: not rebuilding; restore a backup first"), as_json)
        report.rebuilt = doc.rebuild_indexes(path)
    if as_json:
        emit_json(report.to_dict())
    else:
        if not path.is_file():
            out_console.print(f"{esc(path)}: [red]no atlas here[/red]", highlight=False)
            raise typer.Exit(1)
        state = "[green]sound[/green]" if report.ok else "[red]damaged[/red]"
        counts = ", ".join(f"{v} {k}" for k, v in report.counts.items())
        version = "?" if report.schema_version is None else report.schema_version
        out_console.print(f"{esc(path)}: {state} (schema v{version}; {counts or 'tables unreadable'})", highlight=False)
        for problem in report.problems:
            out_console.print(f"  {esc(problem)}", highlight=False)
        if report.backup:
            out_console.print(f"backup: {esc(report.backup)}", highlight=False)
        if report.rebuilt:
            out_console.print(f"rebuilt: {', '.join(report.rebuilt)}")
    raise typer.Exit(0 if report.ok else 1)
