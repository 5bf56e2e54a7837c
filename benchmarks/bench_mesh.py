"""The 468-point mesh against the 68 points on landmarks_afw (337 hand-labelled faces): five-point NME
(eye centres, nose tip, mouth corners; normalised by the outer-eye-corner distance), each labelled
face matched to the found face nearest it, on the faces of the default analyzer (evaluation cache).

    python3 benchmarks/bench_mesh.py [--json]

Mesh points used: eye centres = mean of the six contour points matching iBUG 36-41 / 42-47 (33, 160,
158, 133, 153, 144 / 362, 385, 387, 263, 373, 380), nose tip 1, mouth corners 61 / 291.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from faceatlas.eval.cache import FaceCache
from faceatlas.eval.devsets import afw_faces, nme_5
from faceatlas.eval.landmarks import _nearest
from faceatlas.io import open_image
from faceatlas.models.registry import ModelOptions, load
from faceatlas.pipeline import FaceAnalyzer

EYE_A = [33, 160, 158, 133, 153, 144]
EYE_B = [362, 385, 387, 263, 373, 380]


def mesh_five(mesh: np.ndarray) -> np.ndarray:
    return np.stack([mesh[EYE_A, :2].mean(0), mesh[EYE_B, :2].mean(0), mesh[1, :2], mesh[61, :2], mesh[291, :2]])


def summary(values: list[float | None]) -> dict:
    v = np.array([x for x in values if x is not None])
    return {
        "compared": len(v),
        "mean_nme_pct": round(float(v.mean()) * 100, 2),
        "median_nme_pct": round(float(np.median(v)) * 100, 2),
        "over_10pct": int((v > 0.10).sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cache = FaceCache(FaceAnalyzer())
    mesh_model = load("mediapipe-mesh", ModelOptions(threads=1))
    dlib, mesh, iris_eyes, ms = [], [], [], []
    faces = afw_faces()
    for labelled in faces:
        found = cache.faces(labelled.path) or []
        rgb = open_image(labelled.path).full()
        best = _nearest([f.landmarks5 for f in found], labelled)
        dlib.append(None if best is None else nme_5(best, labelled))
        if best is None:
            mesh.append(None)
            iris_eyes.append(None)
            continue
        face = next(f for f in found if f.landmarks5 is best)
        start = time.perf_counter()
        m, iris = mesh_model.get(rgb, face)
        ms.append((time.perf_counter() - start) * 1000)
        five = mesh_five(m)
        mesh.append(nme_5(five, labelled))
        with_iris = five.copy()
        with_iris[:2] = iris[[0, 5], :2]
        iris_eyes.append(nme_5(with_iris, labelled))
    out = {
        "faces": len(faces),
        "dlib_68": summary(dlib),
        "mesh_468": summary(mesh),
        "mesh_468_iris_centres_as_eyes": summary(iris_eyes),
        "mesh_ms_per_face": round(statistics.median(ms), 2),
    }
    print(json.dumps(out, indent=1) if args.json else out)


if __name__ == "__main__":
    main()
