"""Curation measured on celeba_dev with injected errors (README, "Research tools").

    python benchmarks/bench_curate.py --half dev --sweep     # choose the threshold multiples
    python benchmarks/bench_curate.py --half test            # report with the defaults

Faces come from the evaluation face cache (``faceatlas.eval.cache``); the injected set is built in a
temporary folder (seeded). Time per 1,000 photos is measured separately with ``--time N``, which runs
the real ``curate`` (scan into its own atlas, flags, report) on N photos of the half.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from faceatlas.eval.cache import FaceCache
from faceatlas.eval.devsets import celeba_photos
from faceatlas.identity.space import default_space
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.research.inject import build_injected
from faceatlas.research.judge import judge
from faceatlas.research.scoring import score_flags
from faceatlas.research.sources import from_cache, list_dataset
from faceatlas.research.thresholds import CurateThresholds

FLAGS = ("mislabelled", "duplicate", "no_face")
judge_module = sys.modules["faceatlas.research.judge"]  # (the package re-exports a function of that name)


SAME_PICTURE = Path(__file__).with_name("data") / "celeba_same_picture.csv"


def natural_pairs(half: str) -> list[tuple[str, str]]:
    """Pairs of the half's photos that already showed one picture (audited by eye, see the CSV)."""
    import csv

    lines = [x for x in SAME_PICTURE.read_text().splitlines() if x and not x.startswith("#")]
    return [(r["file_a"], r["file_b"]) for r in csv.DictReader(lines) if r["half"] == half]


def remembered(fn):
    """``fn(item, face)`` computed once per (file, face): the sweeps judge the same files many times."""
    memo = {}

    def call(item, face):
        key = (item.file, face)
        if key not in memo:
            memo[key] = fn(item, face)
        return memo[key]

    return call


# picture signatures and second detector opinions, read once per run
SIGNATURE = remembered(judge_module._file_signature)
FACE_CHECK = remembered(judge_module._file_face_check)
THUMBNAIL = remembered(lambda item, _: judge_module._file_thumbnail(item))


def run_judge(files, thresholds: CurateThresholds):
    return judge(
        files,
        thresholds,
        default_space().key,
        signature=SIGNATURE,
        face_check=FACE_CHECK,
        thumbnail=lambda item: THUMBNAIL(item, None),
    )


def injected_report(half: str, seed: int, tmp: Path, thresholds: CurateThresholds):
    injected = build_injected(celeba_photos(half=half), tmp / "set", seed=seed)
    where = {p.name: f"{p.parent.name}/{p.name}" for p in injected.root.glob("*/*")}
    injected.add_same_picture([(where[Path(a).name], where[Path(b).name]) for a, b in natural_pairs(half)])
    files = from_cache(list_dataset(injected.root), FaceCache(FaceAnalyzer()))
    return injected, files, run_judge(files, thresholds)


def use_baseline() -> None:
    """Swap the robust centre for the plain mean of every photo (what the issue warns against)."""
    from faceatlas.research.consensus import Consensus

    def plain_mean(vectors: np.ndarray, agree: float) -> Consensus:
        x = np.asarray(vectors, dtype=np.float64)
        if len(x) < 2:
            return Consensus(None, np.zeros(0, dtype=np.int64), None)
        return Consensus(x.mean(axis=0), np.arange(len(x)), 0)

    judge_module.identity_consensus = plain_mean


def timing(half: str, n: int, tmp: Path) -> dict:
    import os

    from faceatlas.research.curate import curate

    root = tmp / "timed"
    for p in celeba_photos(half=half)[:n]:
        (root / p.identity).mkdir(parents=True, exist_ok=True)
        os.symlink(p.path.resolve(), root / p.identity / p.path.name)
    start = time.perf_counter()
    report = curate(root, tmp / "out", workers=1)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    curate(root, tmp / "out", workers=1)
    again = time.perf_counter() - start
    return {
        "photos": len(report.files),
        "seconds": round(seconds, 1),
        "seconds_per_1000": round(1000 * seconds / len(report.files), 1),
        "rerun_seconds": round(again, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--half", default="dev", choices=["dev", "test"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sweep", action="store_true", help="P/R over threshold multiples (dev half)")
    ap.add_argument("--time", type=int, default=0, help="time the real curate on this many photos")
    ap.add_argument(
        "--baseline",
        action="store_true",
        help="the naive method: plain mean of all an identity's photos as its centre, mislabelled by distance "
        "to it alone, duplicates by face distance alone, no second detector (give its --mislabelled/--duplicate "
        "multiples, chosen with --sweep on dev)",
    )
    ap.add_argument("--mislabelled", type=float, default=None, help="multiple of the space threshold")
    ap.add_argument("--duplicate", type=float, default=None, help="multiple of the space threshold")
    args = ap.parse_args()
    space = default_space()
    base = CurateThresholds.for_space(space)
    if args.mislabelled is not None:
        base = replace(base, mislabelled=args.mislabelled * space.threshold)
    if args.duplicate is not None:
        base = replace(base, duplicate=args.duplicate * space.threshold)
    if args.baseline:
        use_baseline()
        base = replace(
            base,
            duplicate_picture=-1.0,
            duplicate_box=-1.0,
            duplicate_image=1.0,
            nearer_other=np.inf,
            second_opinion_below=0.0,
        )
    with tempfile.TemporaryDirectory() as tmp:
        if args.time:
            print(json.dumps({"timing": timing(args.half, args.time, Path(tmp))}))
            return
        injected, files, report = injected_report(args.half, args.seed, Path(tmp), base)
        print(f"{args.half}: {injected.files} files, truth counts", {f: len(injected.with_flag(f)) for f in FLAGS})
        print(json.dumps({"half": args.half, "thresholds": base.to_dict()}))
        for s in score_flags(report, injected.truth, FLAGS):
            print(json.dumps(s.to_dict()))
        if args.sweep:
            for factor in (1.0, 1.2, 1.3, 1.4, 9.0):
                for ratio in (np.inf,) if args.baseline else (1.2, 1.25, 1.3, 1.35, 1.4):
                    t = replace(base, mislabelled=factor * space.threshold, nearer_other=ratio)
                    s = score_flags(run_judge(files, t), injected.truth, ("mislabelled",))[0]
                    print(
                        f"mislabelled x{factor:.2f} nearer-other {ratio}: P {s.precision:.3f} R {s.recall:.3f} "
                        f"({s.flagged} flagged)"
                    )
            if args.baseline:
                for factor in np.arange(0.7, 1.31, 0.05):
                    t = replace(base, mislabelled=factor * space.threshold)
                    s = score_flags(run_judge(files, t), injected.truth, ("mislabelled",))[0]
                    print(f"mislabelled x{factor:.2f}: P {s.precision:.3f} R {s.recall:.3f} ({s.flagged} flagged)")
            pictures = [(-1.0, -1.0, 1.0)] if args.baseline else [
                (a, b, c) for a in (0.93, 0.95, 0.97) for b in (0.99, 1.01) for c in (0.95, 0.96, 0.97, 1.0)
            ]  # fmt: skip
            for factor in np.arange(0.1, 0.81, 0.1):
                for aligned, box, image in pictures:
                    t = replace(
                        base,
                        duplicate=factor * space.threshold,
                        duplicate_picture=aligned,
                        duplicate_box=box,
                        duplicate_image=image,
                    )
                    s = score_flags(run_judge(files, t), injected.truth, ("duplicate",))[0]
                    print(
                        f"duplicate x{factor:.2f} aligned {aligned} box {box} image {image}: P {s.precision:.3f} "
                        f"R {s.recall:.3f} ({s.flagged} flagged)"
                    )
        if args.sweep and not args.baseline:
            for factor in (0.8, 1.0, 1.2, 1.5, np.inf):
                t = replace(base, duplicate_image_faces=factor * space.threshold)
                s = score_flags(run_judge(files, t), injected.truth, ("duplicate",))[0]
                print(f"whole-picture duplicates, faces within x{factor}: P {s.precision:.3f} R {s.recall:.3f}")
        wrong = [f for f in report.files if set(f.flags) & set(FLAGS) - injected.truth.get(f.file, set())]
        for f in wrong[:40]:
            print("false flag:", f.file, f.flags, f.distance_to_identity, f.duplicate_of)


if __name__ == "__main__":
    main()
