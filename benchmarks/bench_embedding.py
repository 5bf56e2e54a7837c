"""Per-face embedding time: dlib's own ResNet vs faceatlas's ONNX rebuild of it, on real chips.

    python benchmarks/bench_embedding.py [--faces 64]

Chips come from the sample photos shipped in installed packages (and ../shared/data when present).
Prints ms per face for each backend, batch size and thread count, and the largest difference.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def chips(n: int) -> list[np.ndarray]:
    from faceatlas import FaceAnalyzer
    from faceatlas.samples import sample_images

    analyzer = FaceAnalyzer()
    found: list[np.ndarray] = []
    sources = list(sample_images())
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "deepface"
    sources += sorted(shared.glob("img*.jpg"))[:40] if shared.is_dir() else []
    for src in sources:
        found += [c for _, c in analyzer.analyze_with_chips(src, embed=False)]
        if len(found) >= n:
            break
    while len(found) < n:  # pad with mirrored copies when only the two sample faces exist
        found.append(np.ascontiguousarray(found[len(found) % 2][:, ::-1]))
    return found[:n]


def timed(fn, reps: int = 3) -> float:
    fn()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=64)
    args = ap.parse_args()
    faces = chips(args.faces)
    from faceatlas.models.dlib_resnet import WEIGHTS, DlibResnetEmbedder
    from faceatlas.models.dlib_resnet_onnx import OnnxResnetEmbedder
    from faceatlas.models.registry import get_spec, resolve

    path = resolve(get_spec("dlib-resnet"))[WEIGHTS.filename]
    dlib_net = DlibResnetEmbedder(path)
    ref = dlib_net.embed_chips(faces)
    print(f"{len(faces)} real face chips, 150x150; {os.cpu_count()} cores")
    print(f"{'backend':<28}{'batch':>6}{'threads':>8}{'ms/face':>10}")
    for batch in (1, 8):
        secs = timed(lambda b=batch: [dlib_net.embed_chips(faces[i : i + b]) for i in range(0, len(faces), b)], 1)
        print(f"{'dlib (reference)':<28}{batch:>6}{'-':>8}{1000 * secs / len(faces):>10.1f}")
    worst = 0.0
    for threads in (1, 2):
        net = OnnxResnetEmbedder(path, threads=threads)
        for batch in (1, 8, 16):
            net.batch = batch
            secs = timed(lambda n=net: n.embed_chips(faces))
            print(f"{'ONNX Runtime (faceatlas)':<28}{batch:>6}{threads:>8}{1000 * secs / len(faces):>10.1f}")
        worst = max(worst, float(np.abs(net.embed_chips(faces) - ref).max()))
    print(f"largest |ONNX - dlib| over all {len(faces)} descriptors: {worst:.2e}")


if __name__ == "__main__":
    main()
