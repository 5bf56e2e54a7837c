"""Liveness candidates on genuine celeba_dev photos and on printed / on-screen stand-ins made from
the same photos (faceatlas.eval.spoof; no labelled spoof set is at hand, so this is a weak check).

    python3 benchmarks/bench_liveness.py --half dev [--json]

Per candidate: median score on genuine faces and on each kind of stand-in, the share of genuine faces
scored >= 0.5 and of stand-ins scored < 0.5, the AUC of genuine vs stand-ins, and ms per face.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from faceatlas.eval.attributes import attribute_photos
from faceatlas.eval.cache import FaceCache
from faceatlas.eval.spoof import KINDS, stand_in
from faceatlas.io import open_image
from faceatlas.models.registry import ModelOptions, load
from faceatlas.pipeline import AnalyzerConfig, FaceAnalyzer

CANDIDATES = ("human-liveness", "human-antispoof")


def auc(pos: list[float], neg: list[float]) -> float:
    p, n = np.asarray(pos)[:, None], np.asarray(neg)[None, :]
    return float(((p > n) + 0.5 * (p == n)).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--half", default="dev", choices=("dev", "test"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cache = FaceCache(FaceAnalyzer())
    finder = FaceAnalyzer(AnalyzerConfig(stages=("landmarks",)))  # boxes and landmarks are enough here
    heads = {name: load(name, ModelOptions(threads=1)) for name in CANDIDATES}
    scores: dict[str, dict[str, list[float]]] = {n: {k: [] for k in ("genuine", *KINDS)} for n in heads}
    ms: dict[str, list[float]] = {n: [] for n in heads}
    photos = [p for p in attribute_photos(half=args.half) if p.smiling is not None]
    missed = dict.fromkeys(KINDS, 0)
    for i, photo in enumerate(photos):
        faces = cache.faces(photo.path)
        if not faces:
            continue
        rgb = open_image(photo.path).full()
        views = [("genuine", rgb, faces[0])]
        for kind in KINDS:
            fake = stand_in(rgb, kind, seed=i)
            found = finder.analyze(fake, embed=False)
            if found:
                views.append((kind, fake, found[0]))
            else:
                missed[kind] += 1
        for name, head in heads.items():
            for kind, image, face in views:
                start = time.perf_counter()
                scores[name][kind].append(head.get(image, face)["liveness"])
                ms[name].append((time.perf_counter() - start) * 1000)
    out = {"half": args.half, "photos": len(photos), "stand_ins_without_a_face": missed, "candidates": {}}
    for name, s in scores.items():
        fakes = [v for k in KINDS for v in s[k]]
        out["candidates"][name] = {
            "median": {k: round(statistics.median(v), 3) for k, v in s.items()},
            "genuine_live": round(float(np.mean(np.asarray(s["genuine"]) >= 0.5)), 3),
            "stand_ins_caught": {k: round(float(np.mean(np.asarray(s[k]) < 0.5)), 3) for k in KINDS},
            "auc_genuine_vs_stand_ins": round(auc(s["genuine"], fakes), 3),
            "ms_per_face": round(statistics.median(ms[name]), 2),
        }
    print(json.dumps(out, indent=1) if args.json else out)


if __name__ == "__main__":
    main()
