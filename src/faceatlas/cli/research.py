"""`faceatlas curate | idsim` and `faceatlas eval fairness`: tools for people who build face data
sets, evaluate face generators, or check verification error rates per demographic group."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.common import DetectorOpt, EmbedderOpt, JsonOpt, analyzer_from_options
from faceatlas.cli.output import emit_json, out_console, progress_bar, show_progress, warn
from faceatlas.errors import FaceAtlasError


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
        float | None, typer.Option(help="Distance to the identity's centre beyond which a photo is mislabelled.")
    ] = None,
    nearer_other: Annotated[
        float | None,
        typer.Option(help="Mislabelled when this many times farther from its centre than from another's."),
    ] = None,
    second_opinion_below: Annotated[
        float | None,
        typer.Option(help="Detector score below which dlib must see the face too (0: never ask; default 0.8)."),
    ] = None,
    duplicate: Annotated[
        float | None, typer.Option(help="Face distance of near duplicates (default: measured).")
    ] = None,
    duplicate_picture: Annotated[
        float | None,
        typer.Option(help="Aligned face-crop correlation near duplicates also need (default 0.93)..."),
    ] = None,
    duplicate_box: Annotated[float | None, typer.Option(help="...or face-box crop correlation (default 0.99).")] = None,
    duplicate_image: Annotated[
        float | None, typer.Option(help="Whole-picture thumbnail correlation of near duplicates (1: off).")
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
    from faceatlas.research.records import FLAGS
    from faceatlas.research.report import clean_files

    if not folder.is_dir():
        _fail(f"{folder}: not a folder", as_json)
    config = analyzer_from_options(detector, embedder=embedder).config
    thresholds = CurateThresholds.for_space(
        space_of(embedder),
        mislabelled=mislabelled,
        nearer_other=nearer_other,
        second_opinion_below=second_opinion_below,
        duplicate=duplicate,
        duplicate_picture=duplicate_picture,
        duplicate_box=duplicate_box,
        duplicate_image=duplicate_image,
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
    for flag in FLAGS:
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


def idsim(
    references: Annotated[list[Path] | None, typer.Argument(help="Photos of the reference person.")] = None,
    generated: Annotated[Path | None, typer.Option(help="Folder of generated images to score.")] = None,
    pairs: Annotated[Path | None, typer.Option(help="CSV with columns reference,generated.")] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help="Also write the per-image scores here.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Same-person distance (default: the embedder's).")] = None,
    detector: DetectorOpt = "auto",
    embedder: EmbedderOpt = "dlib-resnet-onnx",
    as_json: JsonOpt = False,
) -> None:
    """Identity preservation of generated images: cosine similarity and distance of each generated face
    to the reference person, share verified, detection failures (compare figures within one embedder)."""
    from faceatlas.io import iter_image_files
    from faceatlas.research.idsim import analyzer_source, idsim_pairs, read_pairs
    from faceatlas.research.idsim import idsim as run_idsim

    if (generated is None) == (pairs is None):
        _fail("give REF... --generated DIR, or --pairs CSV", as_json)
    analyzer = analyzer_from_options(detector, embedder=embedder)
    try:
        if pairs is not None:
            if not pairs.is_file():
                raise FaceAtlasError(f"{pairs}: no such file")
            report = idsim_pairs(read_pairs(pairs), analyzer.space, analyzer_source(analyzer), threshold)
        else:
            if not references:
                raise FaceAtlasError("give at least one reference photo before --generated")
            if not generated.is_dir():
                raise FaceAtlasError(f"{generated}: not a folder")
            missing = [str(r) for r in references if not r.exists()]
            if missing:
                raise FaceAtlasError(f"no such file: {', '.join(missing)}")
            images = sorted(iter_image_files([generated]))
            report = run_idsim(references, images, analyzer.space, analyzer_source(analyzer), threshold)
    except FaceAtlasError as exc:
        _fail(str(exc), as_json)
    if csv_out is not None:
        report.write_csv(csv_out)
    if as_json:
        emit_json(report.to_dict())
        return
    for s in report.images:
        if s.error:
            warn(f"{s.generated}: {s.error}")
    summary = report.summary()
    for ref in summary["references_without_face"]:
        warn(f"{ref}: no face found in this reference (or it cannot be read)")
    cos = summary["cosine_mean"]
    out_console.print(
        f"{summary['images']} images, {summary['faces_found']} faces found "
        f"({summary['detection_failures']} detection failures); "
        + (f"cosine {cos:.4f} ± {summary['cosine_std']:.4f}, " if cos is not None else "")
        + f"verified as the same person: {summary['verified']} ({(summary['verified_rate'] or 0):.1%}) "
        f"at distance ≤ {summary['threshold']}",
        highlight=False,
    )
    out_console.print(f"embedder {report.embedder}: {summary['note']}", highlight=False)


def fairness(
    pairs_csv: Annotated[Path, typer.Argument(help="CSV with columns file_x,file_y,Decision (Yes/No).")],
    groups: Annotated[Path | None, typer.Option(help="CSV with columns file,group[,identity].")] = None,
    groups_from: Annotated[
        str | None, typer.Option(help="Take each photo's group from this attribute of the analyzer's heads.")
    ] = None,
    fmr: Annotated[float, typer.Option(help="The common false-match rate to set the threshold for.")] = 1e-3,
    plot: Annotated[Path | None, typer.Option(help="Save a per-group error-rate plot (PNG) here.")] = None,
    root: Annotated[Path | None, typer.Option(help="Folder the pair file names are relative to.")] = None,
    bootstrap: Annotated[int, typer.Option(help="Identity-bootstrap resamples for the intervals.")] = 1000,
    detector: DetectorOpt = "auto",
    embedder: EmbedderOpt = "dlib-resnet-onnx",
    as_json: JsonOpt = False,
) -> None:
    """FMR and FNMR per group at the default threshold and at the threshold giving --fmr overall, the
    threshold each group would need, identity-bootstrap intervals; impostor pairs across groups apart.
    A photo's person is the groups file's identity column, else its folder's name."""
    from faceatlas.eval.cache import FaceCache
    from faceatlas.eval.pairs import read_pairs
    from faceatlas.research.fairness import fairness as run_fairness
    from faceatlas.research.fairness import plot as plot_fairness
    from faceatlas.research.fairness import read_groups, score_pairs

    if (groups is None) == (groups_from is None):
        _fail("give --groups CSV or --groups-from ATTRIBUTE", as_json)
    if not pairs_csv.is_file():
        _fail(f"{pairs_csv}: no such file", as_json)
    analyzer = analyzer_from_options(detector, embedder=embedder)
    cache = FaceCache(analyzer)
    try:
        items = read_pairs(pairs_csv, root)
    except (KeyError, ValueError, StopIteration) as exc:
        _fail(f"{pairs_csv}: not a file_x,file_y,Decision CSV ({exc})", as_json)
    group_of, identity_of = read_groups(groups) if groups is not None else ({}, {})
    files = sorted({p for a, b, _ in items for p in (a, b)})
    with progress_bar(len(files), "embedding", show_progress(as_json)) as bar:
        scored = score_pairs(items, analyzer.space, cache.faces, identity_of, bar)
    source = "groups file"
    if groups_from is not None:
        source = f"attribute heads ({groups_from}), as the analyzer reads them"
        for f in files:
            faces = cache.faces(f) or []
            value = faces[0].attributes.get(groups_from) if faces else None
            if value is not None:
                group_of[str(Path(f).resolve())] = str(value.get("label", value) if isinstance(value, dict) else value)
        if not group_of:
            _fail(f"no attribute head of this analyzer gives {groups_from!r} (heads: "
                  f"{', '.join(analyzer.config.head_names) or 'none installed'})", as_json)  # fmt: skip
    report = run_fairness(scored, group_of, analyzer.space.threshold, analyzer.space.key, fmr, bootstrap)
    report.group_source = source
    data = report.to_dict()
    if plot is not None:
        data["plot"] = str(plot_fairness(report, plot))
    if as_json:
        emit_json(data)
        return
    from rich.table import Table

    rows = report.groups + ([report.cross_group] if report.cross_group else [])
    t_c = report.common_threshold
    for title, where in (
        (f"at the default threshold {report.default_threshold}", "default"),
        (
            f"at {'-' if t_c is None else f'{t_c:.4f}'}, the threshold giving FMR {fmr:g} over all impostor pairs",
            "common",
        ),
    ):
        table = Table("group", "people", "genuine", "impostor", "FNMR [95 % CI]", "FMR [95 % CI]", title=title)
        for g in rows:
            fnmr, fmr_rate = getattr(g, f"fnmr_{where}"), getattr(g, f"fmr_{where}")
            table.add_row(g.group, str(g.identities), str(g.genuine), str(g.impostor), _fmt(fnmr), _fmt(fmr_rate))
        out_console.print(table)
    for g in rows:
        if g.threshold_needed is not None:
            out_console.print(
                f"{g.group}: FMR {fmr:g} on its own impostor pairs needs threshold {g.threshold_needed:.4f}",
                highlight=False,
            )
    for note in report.notes:
        out_console.print(note, highlight=False)
    out_console.print(
        f"{report.pairs} pairs, {report.pairs_without_group} without a group; groups from the {source}; "
        f"95 % intervals: identity bootstrap ({bootstrap}) widened to the Wilson interval",
        highlight=False,
    )


def _fmt(rate) -> str:
    if rate.value is None:
        return "-"
    return f"{rate.value:.4f} [{rate.low:.4f}, {rate.high:.4f}]"


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    """Add ``curate`` and ``idsim`` to the main app and ``fairness`` to ``eval``."""
    app.command()(curate)
    app.command()(idsim)
    eval_app.command("fairness")(fairness)
