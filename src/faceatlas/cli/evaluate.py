"""`faceatlas eval ...`: the measurements behind the README's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.common import DetectorOpt, EmbedderOpt, JsonOpt, analyzer_from_options
from faceatlas.cli.output import emit_json, out_console, progress_bar, show_progress

app = typer.Typer(help="Evaluations on labelled data.", no_args_is_help=True)


def _print_rows(rows: list[dict], as_json: bool) -> None:
    """Rows of figures as JSON or as a table."""
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table

    table = Table(*rows[0].keys())
    for r in rows:
        table.add_row(*(str(v) for v in r.values()))
    out_console.print(table)


@app.command("pairs")
def pairs(
    csv_path: Annotated[Path, typer.Argument(help="CSV with columns file_x,file_y,Decision (Yes/No).")],
    root: Annotated[
        Path | None, typer.Option(help="Folder the file names are relative to (default: the CSV's).")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Save a ROC curve PNG here.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Distance threshold (default: the embedder's).")] = None,
    detector: DetectorOpt = "auto",
    flip_tta: Annotated[bool, typer.Option("--flip-tta")] = False,
    embedder: EmbedderOpt = "dlib-resnet-onnx",
    grayscale: Annotated[
        str, typer.Option(help="none | both (grey copies of both photos) | first (grey vs colour).")
    ] = "none",
    as_json: JsonOpt = False,
) -> None:
    """Verification accuracy, best threshold, ROC AUC and TAR at FAR 1e-2 / 1e-3 on labelled pairs."""
    from faceatlas.eval.pairs import GRAYSCALE_MODES, evaluate_pairs, images_to_embed, plot_roc, read_pairs
    if grayscale not in GRAYSCALE_MODES:
        raise typer.BadParameter(f"one of {', '.join(GRAYSCALE_MODES)}", param_hint="--grayscale")
    items = read_pairs(csv_path, root)
    with progress_bar(images_to_embed(items, grayscale), "embedding", show_progress(as_json)) as advance:
        analyzer = analyzer_from_options(detector, flip_tta, embedder)
        report = evaluate_pairs(items, analyzer, threshold, advance, grayscale)
    data = report.to_dict()
    if plot:
        data["plot"] = str(plot_roc(report, plot))
    if as_json:
        emit_json(data)
        return
    for key, value in data.items():
        out_console.print(f"{key:>20}: {value}", highlight=False)


@app.command("detection")
def detection(
    data_root: Annotated[Path, typer.Argument(help="The shared data folder (holds detection/ and deepface/).")],
    configs: Annotated[list[str] | None, typer.Option("--config", help="Limit to these configurations.")] = None,
    grayscale: Annotated[bool, typer.Option(help="Detect on grey copies of the photos.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Recall, precision and speed of each detector setting on the annotated photos."""
    from faceatlas.eval.detection import run

    rows = [s.to_dict() for s in run(data_root, configs, grayscale)]
    _print_rows(rows, as_json)


@app.command("calibrate")
def calibrate(
    data_root: Annotated[Path, typer.Argument(help="The shared data folder.")],
    out: Annotated[Path | None, typer.Option(help="Where to write (default: the packaged calibration.json).")] = None,
) -> None:
    """Rebuild the impostor-distance table and quality references from labelled faces."""
    from faceatlas.eval.calibrate import build, write

    cal = build(data_root)
    path = write(cal, out)
    out_console.print(f"{cal.notes} → {path}")


@app.command("build-clusters")
def build_clusters(
    data_root: Annotated[Path, typer.Argument(help="The shared data folder.")],
    out: Annotated[Path, typer.Argument(help="Folder to create (identities/<name>/..., distractors/).")],
    degraded: Annotated[bool, typer.Option(help="Add a low-resolution copy of every labelled photo.")] = True,
    face_width: Annotated[float, typer.Option(help="Face width (px) in the low-resolution copies.")] = 32.0,
    blur: Annotated[float, typer.Option(help="Gaussian blur sigma (px) of the copies; 0: none.")] = 0.8,
    grayscale: Annotated[bool, typer.Option(help="Make the copies grayscale.")] = False,
) -> None:
    """Build the folder-per-identity clustering benchmark from ../shared/data."""
    from faceatlas.eval.clusters import Degradation, build_eval_set

    how = Degradation(face_width, blur, grayscale) if degraded else None
    out_console.print(build_eval_set(data_root, out, degradation=how))


@app.command("clusters")
def clusters(
    root: Annotated[
        Path,
        typer.Argument(help="identities/<identity>/ photos (+ optional distractors/), or one folder per identity."),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Pairwise and BCubed precision/recall/F of faceatlas's clustering vs DBSCAN and Chinese whispers."""
    from faceatlas.eval.clusters import evaluate

    rows = [s.to_dict() for s in evaluate(root)]
    _print_rows(rows, as_json)


@app.command("naming")
def naming(
    data_root: Annotated[
        Path, typer.Argument(help="The shared data folder (--set shared) or devsets / celeba_dev (--set celeba).")
    ],
    which: Annotated[str, typer.Option("--set", help="shared: ../shared/data; celeba: celeba_dev.")] = "shared",
    half: Annotated[str, typer.Option(help="celeba_dev half: dev (choose) or test (report).")] = "dev",
    captions: Annotated[str, typer.Option(help="celeba captions: news (agency style) or simple.")] = "news",
    grayscale: Annotated[bool, typer.Option("--grayscale", help="Analyse grey copies of the composites.")] = False,
    tau: Annotated[float | None, typer.Option(help="Confidence that applies a one-photo name.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write the composites (default: faceatlas-news, or the eval cache for celeba)."),
    ] = None,
    count: Annotated[int | None, typer.Option(help="Number of composites (60 shared, 300 celeba).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (7 shared, 11 celeba; deterministic).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Naming from captions on composite news photos: faces named right and precision (celeba), or
    accuracy with 0, 1 and 2 distractor names per caption (shared)."""
    import json

    if which == "celeba":
        from faceatlas.eval.news import evaluate_celeba

        if half not in ("dev", "test"):
            raise typer.BadParameter("dev or test", param_hint="--half")
        if captions not in ("news", "simple"):
            raise typer.BadParameter("news or simple", param_hint="--captions")
        from faceatlas.eval.cache import cache_root

        target = (out or cache_root() / "news") / f"celeba_{half}"  # kept: a second run reads cached faces
        seed = 11 if seed is None else seed
        report = evaluate_celeba(data_root, half, target, captions, count or 300, seed, tau, grayscale)
    elif which == "shared":
        from faceatlas.eval.naming import build_news_set, naming_accuracy

        out = out or Path("faceatlas-news")
        items = build_news_set(data_root, out, count or 60, 7 if seed is None else seed)
        names = json.loads((out / "truth.json").read_text())["names"]
        report = naming_accuracy(items, names)
    else:
        raise typer.BadParameter("shared or celeba", param_hint="--set")
    if as_json:
        emit_json(report)
    else:
        for k, v in report.items():
            out_console.print(f"{k:>36}: {v}")


@app.command("active")
def active(
    data_root: Annotated[Path, typer.Argument(help="The shared data folder.")],
    steps: Annotated[int, typer.Option(help="Answers to simulate.")] = 60,
    target: Annotated[float, typer.Option(help="Accuracy to reach.")] = 0.95,
    runs: Annotated[int, typer.Option(help="Random-question runs to average.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Identification accuracy after N answers: faceatlas's questions vs random questions."""
    from faceatlas.eval.naming import active_curve, answers_to_reach, labelled_embeddings

    x, truth = labelled_embeddings(data_root)
    curve = active_curve(x, truth, steps, runs)
    report = {
        "faces": len(x),
        "identities": int(truth.max() + 1),
        "target": target,
        "answers_active": answers_to_reach(curve["active"], target),
        "answers_random": answers_to_reach(curve["random"], target),
        "accuracy_after": {
            n: {"active": round(curve["active"][n - 1], 4), "random": round(curve["random"][n - 1], 4)}
            for n in (5, 10, 20, 30, 40, 50)
            if n <= len(curve["active"])
        },
    }
    if as_json:
        emit_json(report)
    else:
        for k, v in report.items():
            out_console.print(f"{k:>16}: {v}")
