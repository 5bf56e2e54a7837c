"""`faceatlas detect | analyze | verify | embed`: the face pipeline from the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from faceatlas.cli.common import DetectorOpt, EmbedderOpt, JsonOpt, analyzer_from_options
from faceatlas.cli.output import emit_json, esc, out_console, progress_bar, show_progress, warn
from faceatlas.errors import FaceAtlasError
from faceatlas.io import iter_image_files, open_image


def detect(
    paths: Annotated[list[Path], typer.Argument(help="Images or folders (walked recursively).")],
    detector: DetectorOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Find faces: boxes, scores and detector keypoints."""
    analyzer = analyzer_from_options(detector)

    def work(path: Path) -> list[dict]:
        return [
            {
                "bbox": d.bbox.to_list(),
                "score": round(d.score, 4),
                "keypoints": None if d.keypoints is None else np.round(d.keypoints, 1).tolist(),
            }
            for d in analyzer.detect(path)
        ]

    _print(_each_image(list(iter_image_files(paths)), "detect", as_json, work), as_json)


def analyze(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Images or folders (walked recursively); none: the sample faces.")
    ] = None,
    draw: Annotated[Path | None, typer.Option(help="Write annotated copies into this folder.")] = None,
    embeddings: Annotated[bool, typer.Option("--embeddings", help="Include the embedding of each face.")] = False,
    detector: DetectorOpt = "auto",
    flip_tta: Annotated[
        bool, typer.Option("--flip-tta", help="Average the embedding with the mirrored face's.")
    ] = False,
    embedder: EmbedderOpt = "dlib-resnet-onnx",
    mesh: Annotated[
        bool, typer.Option("--mesh", help="Add the 468-point 3D mesh and the irises (original-image pixels).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Faces with landmarks, head pose, quality, attributes (and embeddings, mesh)."""
    from dataclasses import replace

    from faceatlas.models.registry import availability
    from faceatlas.pipeline import FaceAnalyzer
    from faceatlas.samples import sample_images
    from faceatlas.viz import draw_faces

    analyzer = analyzer_from_options(detector, flip_tta=flip_tta, embedder=embedder)
    if mesh:
        ok, why = availability(analyzer.config.mesh_model)
        if not ok:
            if as_json:
                emit_json({"error": f"--mesh: {why}"})
            else:
                out_console.print(f"[red]error[/red] --mesh: {why}", highlight=False)
            raise typer.Exit(2)
        analyzer = FaceAnalyzer(replace(analyzer.config, mesh=True))
    if draw:
        draw.mkdir(parents=True, exist_ok=True)

    def work(path: Path) -> list[dict]:
        image = open_image(path, analyzer.limits)
        faces = analyzer.analyze(image)
        if draw:
            from PIL import Image

            Image.fromarray(draw_faces(image.full(), faces)).save(draw / f"{path.stem}.faces.jpg", quality=90)
        return [f.to_dict(embedding=embeddings) for f in faces]

    _print(_each_image(list(iter_image_files(paths or sample_images())), "analyze", as_json, work), as_json)


def verify(
    image_a: Annotated[Path, typer.Argument(help="First image (its largest face is used).")],
    image_b: Annotated[Path, typer.Argument(help="Second image.")],
    threshold: Annotated[float | None, typer.Option(help="Distance threshold (default: the embedder's).")] = None,
    detector: DetectorOpt = "auto",
    embedder: EmbedderOpt = "dlib-resnet-onnx",
    as_json: JsonOpt = False,
) -> None:
    """Same person? Exit code 0: same, 1: different, 2: error (e.g. no face)."""
    from faceatlas.identity.verify import verify_embeddings

    analyzer = analyzer_from_options(detector, embedder=embedder)
    try:
        vecs = []
        for path in (image_a, image_b):
            faces = analyzer.analyze(path, heads=False)
            if not faces:
                raise FaceAtlasError(f"{path}: no face found")
            vecs.append(faces[0].embedding)
        result = verify_embeddings(vecs[0], vecs[1], threshold)
    except FaceAtlasError as exc:
        if as_json:
            emit_json({"error": str(exc)})
        else:
            out_console.print(f"[red]error[/red] {esc(exc)}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        emit_json(result.to_dict())
    else:
        verdict = "[green]same person[/green]" if result.same else "[red]different people[/red]"
        out_console.print(
            f"{verdict}  distance {result.distance:.4f} (threshold {result.threshold})  "
            f"similarity {result.similarity:.3f}  false-match rate ~{result.false_match_rate:.2g}"
        )
    raise typer.Exit(0 if result.same else 1)


def embed(
    paths: Annotated[list[Path], typer.Argument(help="Images or folders (walked recursively).")],
    out: Annotated[Path, typer.Option("--out", help="Write embeddings to this .npz file.")] = Path("embeddings.npz"),
    detector: DetectorOpt = "auto",
    embedder: EmbedderOpt = "dlib-resnet-onnx",
    as_json: JsonOpt = False,
) -> None:
    """Embeddings of every face into an .npz (arrays: embeddings, images, boxes, quality)."""
    analyzer = analyzer_from_options(detector, embedder=embedder)
    files = list(iter_image_files(paths))
    vecs, names, boxes, quality = [], [], [], []

    def work(path: Path) -> list:
        for face in analyzer.analyze(path):
            vecs.append(face.embedding)
            names.append(str(path))
            boxes.append(face.bbox.to_list())
            quality.append(face.quality)
        return []

    errors = [
        {"image": r["image"], "error": r["error"]} for r in _each_image(files, "embed", as_json, work) if r["error"]
    ]
    dim = len(vecs[0]) if vecs else 128
    np.savez_compressed(
        out,
        embeddings=np.asarray(vecs, dtype=np.float32).reshape(-1, dim),
        images=np.asarray(names, dtype=str),
        boxes=np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
        quality=np.asarray(quality, dtype=np.float32),
        embedder=np.asarray(analyzer.embedder_name),
    )
    summary = {"out": str(out), "faces": len(vecs), "images": len(files), "errors": errors}
    if as_json:
        emit_json(summary)
    else:
        out_console.print(
            f"{len(vecs)} faces from {len(files)} images → {esc(out)}"
            + (f" ({len(errors)} unreadable)" if errors else "")
        )


def _each_image(files: list[Path], label: str, as_json: bool, work: Callable[[Path], list]) -> list[dict]:
    """``{"image", "faces": work(path), "error"}`` per file, under a progress bar; a bad file gets
    its one-line reason (also on stderr) and the rest go on."""
    results = []
    with progress_bar(len(files), label, show_progress(as_json)) as advance:
        for path in files:
            entry: dict = {"image": str(path), "faces": [], "error": None}
            try:
                entry["faces"] = work(path)
            except FaceAtlasError as exc:
                entry["error"] = str(getattr(exc, "reason", exc))
            except Exception as exc:  # one bad file never stops the others (nor breaks --json)
                entry["error"] = f"unexpected {type(exc).__name__}: {str(exc)[:160]}"
            if entry["error"] is not None:
                warn(f"{path}: {entry['error']}")
            results.append(entry)
            advance()
    return results


def _print(results: list[dict], as_json: bool) -> None:
    if as_json:
        emit_json(results)
        return
    from rich.table import Table

    from faceatlas.people.attributes import describe

    table = Table("image", "faces", "details")
    for r in results:
        if r["error"]:
            table.add_row(esc(r["image"]), "-", f"[red]{esc(r['error'])}[/red]")
            continue
        details = "; ".join(
            f"{[round(v) for v in f['bbox']]} s={f['score']:.2f}"
            + (f" q={f['quality']:.2f}" if f.get("quality") is not None else "")
            + (f" yaw={f['pose']['yaw']:.0f}" if f.get("pose") else "")
            + (f" ({describe(f['attributes'])})" if describe(f.get("attributes") or {}) else "")
            for f in r["faces"]
        )
        table.add_row(esc(r["image"]), str(len(r["faces"])), details)
    out_console.print(table)
