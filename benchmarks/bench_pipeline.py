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


_LIB = ""
_ANALYZER = None


def _warm(which: str, first: str, threads: int | None = None) -> None:
    """Load ``which``'s models (outside the timing); faceatlas's with ``threads`` intra-op threads per
    model (None: the runtime's default, every core)."""
    global _LIB, _ANALYZER
    _LIB = which
    if which == "faceatlas":
        from faceatlas.pipeline import AnalyzerConfig, FaceAnalyzer

        _ANALYZER = FaceAnalyzer(AnalyzerConfig(threads=threads))  # the default pipeline, heads included
        _ANALYZER.analyze(first)
    else:
        import face_recognition as fr

        fr.face_encodings(fr.load_image_file(first))


def _one(path: str) -> tuple[str, int, list | None]:
    if _LIB == "faceatlas":
        found = _ANALYZER.analyze(path)
        return path, len(found), (found[0].embedding.tolist() if found else None)
    import face_recognition as fr

    img = fr.load_image_file(path)
    boxes = fr.face_locations(img)
    encs = fr.face_encodings(img, boxes)
    if not encs:
        return path, 0, None
    areas = [(b[2] - b[0]) * (b[1] - b[3]) for b in boxes]
    return path, len(encs), encs[max(range(len(encs)), key=areas.__getitem__)].tolist()


def run(which: str, paths: list[str], workers: int) -> dict:
    """Analyse ``paths`` with ``workers`` processes (1: in this process)."""
    import multiprocessing as mp

    _warm(which, paths[0])
    start = time.perf_counter()
    if workers <= 1:
        results = [_one(p) for p in paths]
    else:  # one thread per model in each worker process, as the scan's pool runs them
        with mp.get_context("fork").Pool(workers, initializer=_warm, initargs=(which, paths[0], 1)) as pool:
            start = time.perf_counter()  # models are loaded by the initializer before the first task
            results = pool.map(_one, paths, chunksize=1)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "faces": sum(r[1] for r in results), "vectors": {r[0]: r[2] for r in results}}


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


def child(which: str, paths_file: str, workers: str) -> None:
    paths = json.loads(Path(paths_file).read_text())
    out = run(which, paths, int(workers))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out["peak_rss_mb"] = max(own, kids)  # per process: the largest of the main process and any worker
    sys.stdout.write(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="process counts to compare")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    paths = [str(p) for p in photos(args.data)]
    if args.limit:
        paths = paths[: args.limit]
    listing = Path("/tmp/faceatlas-bench-paths.json")
    listing.write_text(json.dumps(paths))
    print(f"{len(paths)} photos from {args.data}")
    print(
        f"{'library':<18}{'workers':>8}{'images/s':>10}{'faces':>8}{'faces/s':>10}{'ms/image':>10}"
        f"{'peak RSS/proc MB':>18}{'master.csv acc':>16}"
    )
    for workers in args.workers:
        results = {}
        for which in ("faceatlas", "face_recognition"):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", which, str(listing), str(workers)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[which] = json.loads(proc.stdout)
        for name, r in results.items():
            acc = accuracy(r["vectors"], args.data)
            print(
                f"{name:<18}{workers:>8}{len(paths) / r['seconds']:>10.2f}{r['faces']:>8}"
                f"{r['faces'] / r['seconds']:>10.2f}"
                f"{1000 * r['seconds'] / len(paths):>10.0f}{r['peak_rss_mb']:>18.0f}{acc:>16.4f}"
            )
        ratio = results["face_recognition"]["seconds"] / results["faceatlas"]["seconds"]
        print(f"speed ratio with {workers} worker(s) each (faceatlas / face_recognition): {ratio:.2f}x")


if __name__ == "__main__":
    main()
