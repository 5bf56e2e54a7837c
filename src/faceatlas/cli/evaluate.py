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
    csv_path: Annotated[
        Path | None, typer.Argument(help="CSV with columns file_x,file_y,Decision (Yes/No); or use --set.")
    ] = None,
    root: Annotated[
        Path | None, typer.Option(help="Folder the file names are relative to (default: the CSV's).")
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--set",
            help="celeba: pairs drawn from ../shared/devsets/celeba_dev; celeba-guard: the tests' fixed subset.",
        ),
    ] = None,
    half: Annotated[str, typer.Option(help="With --set: dev (choose) | test (report) | all.")] = "dev",
    count: Annotated[int, typer.Option("--pairs", help="With --set: same-person pairs (as many different).")] = 3000,
    per_identity: Annotated[int, typer.Option(help="With --set: the first N photos of each identity (0: all).")] = 10,
    seed: Annotated[int, typer.Option(help="With --set: the pairs' random seed.")] = 0,
    devsets: Annotated[Path | None, typer.Option(help="The devsets folder (default: ../shared/devsets).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Save a ROC curve PNG here.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Distance threshold (default: the embedder's).")] = None,
    detector: DetectorOpt = "auto",
    flip_tta: Annotated[bool, typer.Option("--flip-tta")] = False,
    embedder: EmbedderOpt = "dlib-resnet-onnx",
    grayscale: Annotated[
        str, typer.Option(help="none | both (grey copies of both photos) | first (grey vs colour).")
    ] = "none",
    peer: Annotated[bool, typer.Option(help="Also face_recognition 1.3.0 on the same pairs (threshold 0.6).")] = False,
    cache: Annotated[bool, typer.Option(help="Reuse / fill the on-disk face cache.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Verification accuracy, best threshold, ROC AUC and TAR at FAR 1e-2 / 1e-3 on labelled pairs."""
    from faceatlas.eval.pairs import (
        GRAYSCALE_MODES,
        analyzer_embeddings,
        evaluate_pairs,
        images_to_embed,
        peer_report,
        plot_roc,
        read_pairs,
    )

    if grayscale not in GRAYSCALE_MODES:
        raise typer.BadParameter(f"one of {', '.join(GRAYSCALE_MODES)}", param_hint="--grayscale")
    if dataset is not None:
        from faceatlas.eval.devsets import HALVES, celeba_fixed_pairs, celeba_pairs, celeba_root

        if dataset not in ("celeba", "celeba-guard"):
            raise typer.BadParameter("the known sets are celeba and celeba-guard", param_hint="--set")
        if half not in HALVES:
            raise typer.BadParameter(f"one of {', '.join(HALVES)}", param_hint="--half")
        if dataset == "celeba":
            items = celeba_pairs(devsets, half, count, seed, per_identity or None)
        else:
            items = celeba_fixed_pairs(celeba_root(devsets), half)
    elif csv_path is not None:
        items = read_pairs(csv_path, root)
    else:
        raise typer.BadParameter("give a pairs CSV or --set celeba", param_hint="CSV_PATH")
    todo = images_to_embed(items, grayscale) * (2 if peer else 1)
    with progress_bar(todo, "embedding", show_progress(as_json)) as advance:
        analyzer = analyzer_from_options(detector, flip_tta, embedder)
        embed_of = analyzer_embeddings(analyzer, cache)
        report = evaluate_pairs(items, analyzer, threshold, advance, grayscale, embed_of, analyzer.space.distance)
        theirs = peer_report(items, grayscale, advance) if peer else None
    data = report.to_dict()
    if plot:
        data["plot"] = str(plot_roc(report, plot))
    if theirs is not None:
        data = {"faceatlas": data, "face_recognition": theirs.to_dict()}
    if as_json:
        emit_json(data)
        return
    if theirs is not None:
        out_console.print(f"{'':>20}  {'faceatlas':>16}  {'face_recognition':>16}", highlight=False)
        for key in data["faceatlas"]:
            if key != "images_without_face":
                ours, peer_value = data["faceatlas"][key], data["face_recognition"][key]
                out_console.print(f"{key:>20}  {ours!s:>16}  {peer_value!s:>16}", highlight=False)
        return
    for key, value in data.items():
        out_console.print(f"{key:>20}: {value}", highlight=False)


@app.command("landmarks")
def landmarks(
    root: Annotated[
        Path | None, typer.Argument(help="landmarks_afw (default: ../shared/devsets/landmarks_afw).")
    ] = None,
    turns: Annotated[
        list[int] | None, typer.Option("--turn", help="Also copies turned clockwise by 90 | 180 | 270 (repeat).")
    ] = None,
    peer: Annotated[bool, typer.Option(help="Score face_recognition on the same faces.")] = True,
    detector: DetectorOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Five-point NME (outer-eye-corner normalised) on AFW's hand-labelled faces, beside face_recognition;
    the issue-17 profile faces; turned copies (faces found, fitted upright, true roll)."""
    from faceatlas.eval import peers
    from faceatlas.eval.cache import FaceCache
    from faceatlas.eval.devsets import afw_faces
    from faceatlas.eval.landmarks import ISSUE17_FILES, both_found, faceatlas_faces, peer_faces, score_faces

    for t in turns or []:
        if t not in (90, 180, 270):
            raise typer.BadParameter("90, 180 or 270", param_hint="--turn")
    faces = afw_faces(root)
    if not faces:
        raise typer.BadParameter(f"no labelled faces under {root}")
    analyzer = analyzer_from_options(detector)
    cache = FaceCache(analyzer)
    with_peer = peer and peers.available()
    todo = len(faces) * (1 + len(turns or []) + int(with_peer))
    rows: list[dict] = []
    with progress_bar(todo, "landmarks", show_progress(as_json)) as advance:
        ours = score_faces("faceatlas", faceatlas_faces(analyzer, cache), faces, 0, advance)
        rows.append(ours.summary())
        present = [f for f in ISSUE17_FILES if f in ours.nme]
        if present:
            rows.append({**ours.summary(present), "method": "faceatlas, issue-17 faces"})
        if with_peer:
            theirs = score_faces("face_recognition", peer_faces(), faces, 0, advance)
            rows.append(theirs.summary())
            both = both_found(ours, theirs)
            rows.append({**ours.summary(both), "method": "faceatlas, faces both find"})
            rows.append({**theirs.summary(both), "method": "face_recognition, faces both find"})
        for t in turns or []:
            rows.append(score_faces("faceatlas", faceatlas_faces(analyzer), faces, t, advance).summary())
    _print_rows(rows, as_json)


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
    data_root: Annotated[Path, typer.Argument(help="The shared data folder (quality references).")],
    out: Annotated[Path | None, typer.Option(help="Where to write (default: the space's packaged file).")] = None,
    impostors: Annotated[
        str, typer.Option(help="celeba: every impostor pair of a celeba_dev half | shared: ../shared/data's.")
    ] = "celeba",
    half: Annotated[str, typer.Option(help="The celeba_dev half of the impostor pairs.")] = "dev",
    devsets: Annotated[Path | None, typer.Option(help="The devsets folder (default: ../shared/devsets).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild the impostor-distance (false-match-rate) table and the quality references."""
    from faceatlas.eval.calibrate import build, write
    from faceatlas.identity.space import default_space

    if impostors not in ("celeba", "shared"):
        raise typer.BadParameter("celeba or shared", param_hint="--impostors")
    cal = build(data_root, impostors=impostors, half=half, devsets=devsets)
    path = write(cal, out)
    t = default_space().threshold
    report = {"notes": cal.notes, "path": str(path), "threshold": t, "fmr_at_threshold": cal.false_match_rate(t)}
    if as_json:
        emit_json(report)
    else:
        out_console.print(f"{cal.notes} → {path}; FMR at {t}: {report['fmr_at_threshold']:.4g}", highlight=False)


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
    data_root: Annotated[Path, typer.Argument(help="The shared data folder, or the devsets folder with --set celeba.")],
    dataset: Annotated[
        str, typer.Option("--set", help="shared (face-level curve) | celeba (the people review, simulated)")
    ] = "shared",
    half: Annotated[str, typer.Option(help="celeba_dev half: dev (choosing) | test (reporting).")] = "dev",
    budget: Annotated[float, typer.Option(help="--set celeba: answers per true identity.")] = 1.5,
    order: Annotated[str, typer.Option(help="--set celeba: review (faceatlas's order) | random.")] = "review",
    steps: Annotated[int, typer.Option(help="--set shared: answers to simulate.")] = 60,
    target: Annotated[float, typer.Option(help="--set shared: accuracy to reach.")] = 0.95,
    runs: Annotated[int, typer.Option(help="--set shared: random-question runs to average.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Naming by answering questions. --set celeba: a simulated user answers the people review
    (the page's and REST's own functions) BUDGET times per identity; faces named right after each
    answer (faces come from the evaluation cache). --set shared: face-level identification accuracy
    after N answers, faceatlas's questions vs random questions."""
    if dataset == "celeba":
        if half not in ("dev", "test", "all") or order not in ("review", "random"):
            raise typer.BadParameter("--half must be dev, test or all and --order review or random")
        from faceatlas.eval.active import review_run
        from faceatlas.eval.cache import FaceCache
        from faceatlas.eval.devsets import celeba_photos
        from faceatlas.pipeline import FaceAnalyzer

        photos = celeba_photos(data_root, half)
        run = review_run(photos, FaceCache(FaceAnalyzer()), budget=budget, order=order)
        report = run.to_dict() | {"set": "celeba_dev", "half": half, "order": order}
        if as_json:
            emit_json(report)
        else:
            for k, v in report.items():
                out_console.print(f"{k:>36}: {v}")
        return
    if dataset != "shared":
        raise typer.BadParameter("--set must be shared or celeba")
    from faceatlas.eval.active import active_curve, answers_to_reach
    from faceatlas.eval.naming import labelled_embeddings

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
