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
    data_root: Annotated[
        Path, typer.Argument(help="The shared data folder (--set shared) or the devsets folder (--set celeba).")
    ],
    out: Annotated[Path, typer.Argument(help="Folder to create (identities/<name>/..., singletons/, set.json).")],
    set_name: Annotated[str, typer.Option("--set", help="shared (../shared/data) | celeba (celeba_dev).")] = "shared",
    half: Annotated[str, typer.Option(help="celeba_dev half: dev (for choosing) | test (for reporting).")] = "dev",
    degraded: Annotated[bool, typer.Option(help="Add a low-resolution copy of every labelled photo.")] = True,
    face_width: Annotated[float, typer.Option(help="Face width (px) in the low-resolution copies (shared).")] = 32.0,
    blur: Annotated[float, typer.Option(help="Gaussian blur sigma (px) of the copies (shared); 0: none.")] = 0.8,
    grayscale: Annotated[
        bool, typer.Option(help="celeba: the whole set grey; shared: the low-resolution copies grey.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build a folder-per-identity clustering benchmark: from celeba_dev (one half, people seen once
    as singleton distractors) or from ../shared/data (79 photos, group photos as distractors)."""
    from faceatlas.eval.cluster_sets import CelebaSetSpec, build_celeba_set
    from faceatlas.eval.clusters import Degradation, build_eval_set

    if set_name == "celeba":
        if half not in ("dev", "test"):
            raise typer.BadParameter("dev or test", param_hint="--half")
        info = build_celeba_set(data_root, out, CelebaSetSpec(half, grayscale, degraded))
    elif set_name == "shared":
        how = Degradation(face_width, blur, grayscale) if degraded else None
        info = build_eval_set(data_root, out, degradation=how)
    else:
        raise typer.BadParameter("shared or celeba", param_hint="--set")
    if as_json:
        emit_json(info)
    else:
        out_console.print(info)


def _read_params(path: Path | None) -> dict | None:
    """Method parameters from a ``tune-clusters --out`` file (None: the dev-tuned defaults)."""
    import json

    if path is None:
        return None
    data = json.loads(path.read_text())
    return {row["method"]: row["params"] for row in data} if isinstance(data, list) else data


@app.command("clusters")
def clusters(
    roots: Annotated[
        list[Path],
        typer.Argument(help="Sets from build-clusters, or folders of identities/<identity>/ (or one per identity)."),
    ],
    params: Annotated[
        Path | None, typer.Option(help="Method parameters from `eval tune-clusters --out` (default: dev-tuned).")
    ] = None,
    methods: Annotated[list[str] | None, typer.Option("--method", help="Only these methods.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Pairwise and BCubed precision/recall/F of faceatlas's clustering vs Chinese whispers, DBSCAN,
    average-linkage HAC and approximate rank-order clustering, on the same embeddings."""
    from faceatlas.eval.cluster_sets import load_faces
    from faceatlas.eval.clusters import DEV_TUNED, METHODS, condition, evaluate_set

    unknown = [m for m in methods or [] if m not in METHODS]
    if unknown:
        raise typer.BadParameter(f"unknown {unknown}; one of {', '.join(METHODS)}", param_hint="--method")
    rows = []
    for root in roots:
        chosen = _read_params(params) or DEV_TUNED[condition(root)]
        try:
            faces = load_faces(root)
        except (ValueError, OSError) as exc:
            raise typer.BadParameter(str(exc), param_hint="ROOTS") from exc
        for s in evaluate_set(faces, chosen, methods):
            rows.append({"set": root.name, **s.to_dict()})
    if as_json:
        emit_json(rows)
        return
    short = {"bcubed_precision": "P", "bcubed_recall": "R", "bcubed_f": "F", "pairwise_f": "pair F"}
    keep = ["set", "method", *short, "clusters", "unassigned", "identities"]
    _print_rows([{short.get(k, k): r[k] for k in keep} for r in rows], False)


@app.command("tune-clusters")
def tune_clusters(
    roots: Annotated[list[Path], typer.Argument(help="Dev-half sets from build-clusters (tuned jointly).")],
    out: Annotated[Path | None, typer.Option(help="Write the chosen parameters here (JSON).")] = None,
    methods: Annotated[list[str] | None, typer.Option("--method", help="Only these methods.")] = None,
    precision_floor: Annotated[
        float | None, typer.Option(help="Only settings with BCubed precision >= this on every set, for all methods.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Grid-search every method's parameters on dev-half sets: best mean BCubed F (faceatlas: best
    mean F with BCubed precision >= 0.97 on every set)."""
    import json

    from faceatlas.eval.cluster_sets import load_faces
    from faceatlas.eval.clusters import tune

    try:
        sets = [load_faces(r) for r in roots]
    except (ValueError, OSError) as exc:
        raise typer.BadParameter(str(exc), param_hint="ROOTS") from exc
    results = tune(sets, methods, precision_floor)
    rows = [r.to_dict() for r in results]
    if out:
        out.write_text(json.dumps(rows, indent=1))
    if as_json:
        emit_json(rows)
    else:
        _print_rows([{**r, "params": json.dumps(r["params"])} for r in rows], False)


@app.command("naming")
def naming(
    data_root: Annotated[Path, typer.Argument(help="The shared data folder.")],
    out: Annotated[Path, typer.Option(help="Where to write the composite news photos and captions.")] = Path(
        "faceatlas-news"
    ),
    count: Annotated[int, typer.Option(help="Number of composite photos.")] = 60,
    seed: Annotated[int, typer.Option(help="Random seed (the set is deterministic).")] = 7,
    as_json: JsonOpt = False,
) -> None:
    """Naming accuracy from captions with 0, 1 and 2 distractor names per caption."""
    import json

    from faceatlas.eval.naming import build_news_set, naming_accuracy

    items = build_news_set(data_root, out, count, seed)
    names = json.loads((out / "truth.json").read_text())["names"]
    report = naming_accuracy(items, names)
    if as_json:
        emit_json(report)
    else:
        for k, v in report.items():
            out_console.print(f"{k:>26}: {v}")


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
