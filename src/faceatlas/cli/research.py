"""`faceatlas curate | idsim` and `faceatlas eval fairness`: tools for people who build face data
sets, evaluate face generators, or check verification error rates per demographic group."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.common import DetectorOpt, EmbedderOpt, JsonOpt, analyzer_from_options
from faceatlas.cli.output import emit_json, out_console, progress_bar, show_progress, warn


def _fail(message: str, as_json: bool) -> None:
    if as_json:
        emit_json({"error": message})
    else:
        out_console.print(f"[red]error[/red] {message}", highlight=False)
    raise typer.Exit(2)


def curate(
    folder: Annotated[Path, typer.Argument(help="A data set with one folder per identity.")],
    out: Annotated[
        Path | None, typer.Option(help="Write curate.csv, clean.txt, report.html and the resumable atlas here.")
    ] = None,
    mislabelled: Annotated[
        float | None, typer.Option(help="Distance to the identity's centre (default: measured).")
    ] = None,
    duplicate: Annotated[
        float | None, typer.Option(help="Face distance of near duplicates (default: measured).")
    ] = None,
    duplicate_picture: Annotated[
        float | None, typer.Option(help="Picture correlation near duplicates also need (default 0.9).")
    ] = None,
    looks_like: Annotated[
        float | None, typer.Option(help="Distance between identity centres (default: measured).")
    ] = None,
    small_face: Annotated[float | None, typer.Option(help="Face box side in px below which a face is small.")] = None,
    low_quality: Annotated[float | None, typer.Option(help="Quality score below which a face is poor.")] = None,
    workers: Annotated[int, typer.Option(help="Processes analysing photos (default: all cores).")] = 0,
    detector: DetectorOpt = "auto",
    embedder: EmbedderOpt = "dlib-resnet-onnx",
    as_json: JsonOpt = False,
) -> None:
    """Flag a folder-per-identity face data set: no/multiple/small faces, poor quality, extreme pose,
    exact and near duplicates, mislabelled photos, and identities that look like one person."""
    from faceatlas.identity.space import space_of
    from faceatlas.research import CurateThresholds
    from faceatlas.research import curate as run_curate
    from faceatlas.research.report import clean_files

    if not folder.is_dir():
        _fail(f"{folder}: not a folder", as_json)
    config = analyzer_from_options(detector, embedder=embedder).config
    thresholds = CurateThresholds.for_space(
        space_of(embedder),
        mislabelled=mislabelled,
        duplicate=duplicate,
        duplicate_picture=duplicate_picture,
        looks_like=looks_like,
        small_face=small_face,
        low_quality=low_quality,
    )
    with progress_bar(None, "analysing", show_progress(as_json)) as bar:
        report = run_curate(
            folder,
            out,
            thresholds,
            config,
            workers or os.cpu_count() or 1,
            progress=bar,
            on_plan=bar.set_total,
            on_error=None if as_json else lambda path, reason: warn(f"{path}: {reason}"),
        )
    if as_json:
        emit_json(report.to_dict())
        return
    from rich.table import Table

    counts = Table("flag", "files")
    for flag in ("no_face", "multiple_faces", "small_face", "low_quality", "extreme_pose", "duplicate", "mislabelled"):
        counts.add_row(flag, str(len(report.flagged(flag))))
    out_console.print(counts)
    out_console.print(
        f"{len(report.files)} files, {len(report.identities)} identities, {len(clean_files(report))} clean "
        f"({report.seconds:.1f} s, {report.embedder})",
        highlight=False,
    )
    for ident in report.identities:
        for other in ident.looks_like:
            out_console.print(
                f"{ident.identity} looks like {other.identity} (distance {other.distance:.3f})", highlight=False
            )
    if out is not None:
        out_console.print(f"→ {out / 'curate.csv'}, {out / 'clean.txt'}, {out / 'report.html'}", highlight=False)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    """Add ``curate`` and ``idsim`` to the main app and ``fairness`` to ``eval``."""
    app.command()(curate)
