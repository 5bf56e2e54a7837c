"""Review latency at scale: build a synthetic atlas (faces with dlib-like spread, 90 % grouped into
their true people as clustering would, 10 % in no person, a tenth of the people named), then time
what one review step costs — a page of the people list, the queue (``GET /v1/review``), one answer with its incremental
identification (``POST /v1/faces/N/label``), one undo — and, with ``--full``, the whole-atlas
``identify`` the answer used to need.

    python3 benchmarks/bench_review.py --faces 100000 [--full]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from faceatlas.people import labeling  # noqa: E402
from faceatlas.store import Atlas  # noqa: E402
from synthetic import synthetic_faces  # noqa: E402


def build(db: Path, n: int, seed: int = 0) -> None:
    x, ident = synthetic_faces(n, seed=seed)
    rng = np.random.default_rng(seed)
    with Atlas(db) as atlas, atlas.transaction():
        conn = atlas.conn
        conn.executemany(
            "INSERT INTO images (id, path, status, scanned_at) VALUES (?, ?, 'done', 0)",
            ((i + 1, f"/photos/{i}.jpg") for i in range(n)),
        )
        conn.executemany(
            "INSERT INTO faces (id, image_id, x1, y1, x2, y2, score, landmarks, quality, embedding, model) "
            "VALUES (?, ?, 0, 0, 50, 50, 0.99, '[]', ?, ?, 'synthetic')",
            ((i + 1, i + 1, float(rng.uniform(0.3, 1.0)), x[i].tobytes()) for i in range(n)),
        )
        people = int(ident.max()) + 1
        conn.executemany(
            "INSERT INTO people (id, name, name_source, created_at) VALUES (?, ?, ?, 0)",
            ((p + 1, f"P{p}" if p % 10 == 0 else None, "user" if p % 10 == 0 else None) for p in range(people)),
        )
        grouped = rng.random(n) < 0.9
        conn.executemany(
            "INSERT INTO assignments (face_id, person_id, source, confidence, updated_at) VALUES (?, ?, ?, 1.0, 0)",
            ((i + 1, int(ident[i]) + 1, "user" if ident[i] % 10 == 0 else "auto") for i in range(n) if grouped[i]),
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--full", action="store_true", help="also time the whole-atlas identify")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "atlas.sqlite3"
        t = time.perf_counter()
        build(db, args.faces)
        print(f"atlas: {args.faces} faces built in {time.perf_counter() - t:.1f} s")
        with Atlas(db) as atlas:
            from faceatlas.service.people_app import people_page

            t = time.perf_counter()
            rows, total = people_page(atlas, limit=120, offset=240, sort="name")
            took = time.perf_counter() - t
            print(f"one page of people (GET /v1/people?limit=120&offset=240&sort=name, {total} people): {took:.2f} s")
            for attempt in ("first (computes every centroid, as scan / cluster end)", "again (centroids stored)"):
                t = time.perf_counter()
                qs = labeling.questions(atlas, 20)
                took = time.perf_counter() - t
                print(
                    f"review queue (20 questions), {attempt}: {took:.2f} s; first: {qs[0].text} ({qs[0].faces} faces)"
                )
            q = next(q for q in qs if q.kind == "who")
            t = time.perf_counter()
            res = labeling.answer_name(atlas, q.face_id, "Someone New")
            print(
                f"answer + incremental identification: {time.perf_counter() - t:.2f} s "
                f"({res.named_faces} faces named, {res.identified} identified)"
            )
            t = time.perf_counter()
            atlas.actions.undo()
            print(f"undo: {time.perf_counter() - t:.2f} s")
            if args.full:
                t = time.perf_counter()
                labeling.identify_people(atlas)
                print(f"whole-atlas identify (what an answer needed before): {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
