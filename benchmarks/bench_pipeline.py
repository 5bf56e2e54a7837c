"""End-to-end faces/s of `faceatlas.analyze` (detect + landmarks + align + embed) against
face_recognition 1.3.0 (face_locations + face_encodings, its defaults) on the same photos, in the
same run, each in its own process (one core each, as both libraries run by default).

    python benchmarks/bench_pipeline.py [DATA_ROOT] [--limit N]

Prints images/s, faces/s, ms per image, peak RSS, the ratio, and each side's verification accuracy
on deepface/master.csv (largest face per photo, threshold 0.6).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"


def photos(data: Path) -> list[Path]:
    found = sorted(p for p in data.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    return [p for p in found if "dogs" not in p.name]


def run_faceatlas(paths: list[str]) -> dict:
    import faceatlas

    analyzer = faceatlas.default_analyzer()
    analyzer.analyze(paths[0])  # load models outside the timing
    vectors, faces = {}, 0
    start = time.perf_counter()
    for p in paths:
        found = analyzer.analyze(p)
        faces += len(found)
        vectors[p] = found[0].embedding.tolist() if found else None
    return {"seconds": time.perf_counter() - start, "faces": faces, "vectors": vectors}


def run_face_recognition(paths: list[str]) -> dict:
    import face_recognition as fr

    fr.face_encodings(fr.load_image_file(paths[0]))
    vectors, faces = {}, 0
    start = time.perf_counter()
    for p in paths:
        img = fr.load_image_file(p)
        boxes = fr.face_locations(img)
        encs = fr.face_encodings(img, boxes)
        faces += len(encs)
        if encs:
            areas = [(b[2] - b[0]) * (b[1] - b[3]) for b in boxes]
            vectors[p] = encs[max(range(len(encs)), key=areas.__getitem__)].tolist()
        else:
            vectors[p] = None
    return {"seconds": time.perf_counter() - start, "faces": faces, "vectors": vectors}


def accuracy(vectors: dict, data: Path) -> float:
    import numpy as np

    rows = list(csv.DictReader((data / "deepface" / "master.csv").open()))
    right = 0
    for r in rows:
        a = vectors.get(str(data / "deepface" / r["file_x"]))
        b = vectors.get(str(data / "deepface" / r["file_y"]))
        same = a is not None and b is not None and float(np.linalg.norm(np.subtract(a, b))) <= 0.6
        right += same == (r["Decision"] == "Yes")
    return right / len(rows)


def child(which: str, paths_file: str) -> None:
    paths = json.loads(Path(paths_file).read_text())
    out = run_faceatlas(paths) if which == "faceatlas" else run_face_recognition(paths)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    paths = [str(p) for p in photos(args.data)]
    if args.limit:
        paths = paths[: args.limit]
    listing = Path("/tmp/faceatlas-bench-paths.json")
    listing.write_text(json.dumps(paths))
    results = {}
    for which in ("faceatlas", "face_recognition"):
        proc = subprocess.run(
            [sys.executable, __file__, "--child", which, str(listing)], capture_output=True, text=True, check=True
        )
        results[which] = json.loads(proc.stdout)
    print(f"{len(paths)} photos from {args.data}")
    print(
        f"{'library':<18}{'images/s':>10}{'faces':>8}{'faces/s':>10}{'ms/image':>10}"
        f"{'peak RSS MB':>13}{'master.csv acc':>16}"
    )
    for name, r in results.items():
        acc = accuracy(r["vectors"], args.data)
        print(
            f"{name:<18}{len(paths) / r['seconds']:>10.2f}{r['faces']:>8}{r['faces'] / r['seconds']:>10.2f}"
            f"{1000 * r['seconds'] / len(paths):>10.0f}{r['peak_rss_mb']:>13.0f}{acc:>16.4f}"
        )
    ratio = results["face_recognition"]["seconds"] / results["faceatlas"]["seconds"]
    print(f"speed ratio (images/s, faceatlas / face_recognition): {ratio:.2f}x")


if __name__ == "__main__":
    main()
