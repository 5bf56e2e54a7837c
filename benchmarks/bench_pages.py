"""Page-load time of the people app on a large synthetic atlas (issue 15, item 5): faces with random
128-D embeddings written straight into the store in one transaction, 90 % of them in ``--people``
people whose sizes follow a Zipf-like law (a few people in many photos, most in few), 10 % in no
person, a tenth of the people named, four photos in five dated (2005-2024). The per-person centroids
and attributes are then computed as the scan's and ``faceatlas cluster``'s last step does (timed
apart; ``--cold`` skips it, so the first page that needs them pays). Each page is fetched through
FastAPI's TestClient once to warm up, then ``--repeat`` times; the median is printed, with the
serving process's peak RSS (the atlas is built in a child process, so its memory is not counted).
Last, the largest person's page right after a face is moved into it (``POST /v1/faces/N/move``, not
timed): the page recomputes that person's centroid.

    python3 benchmarks/bench_pages.py --faces 1000000 --people 10000 [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from faceatlas.store import Atlas

CHUNK = 100_000


def person_sizes(faces: int, people: int) -> np.ndarray:
    """Faces per person, largest first: proportional to 1/rank**0.9, at least 1, summing to ``faces``."""
    w = 1.0 / np.arange(1, people + 1) ** 0.9
    sizes = np.maximum(1, np.floor(w / w.sum() * faces)).astype(np.int64)
    sizes[0] += faces - int(sizes.sum())
    return sizes


def build(db: Path, faces: int, people: int, seed: int = 0, refresh: bool = True) -> None:
    """Write the synthetic atlas (images, faces, people, assignments) in one transaction; with
    ``refresh``, then compute every person's centroid and attributes (as a clustering pass ends)."""
    rng = np.random.default_rng(seed)
    grouped = int(faces * 0.9)
    owner = np.repeat(np.arange(1, people + 1), person_sizes(grouped, people))
    rng.shuffle(owner)  # a person's faces are spread over the whole photo library
    with Atlas(db) as atlas, atlas.transaction():
        conn = atlas.conn
        atlas.meta.set("embedder", "synthetic")  # the space of every vector, as a scan records it
        days = rng.integers(0, 20 * 365, faces)  # taken 2005-2024; a fifth of the photos undated
        dated = rng.uniform(size=faces) < 0.8
        base = np.datetime64("2005-01-01T12:00:00")
        conn.executemany(
            "INSERT INTO images (id, path, status, scanned_at, taken_at) VALUES (?, ?, 'done', 0, ?)",
            (
                (i + 1, f"/photos/{i}.jpg", str(base + np.timedelta64(int(days[i]), "D")) if dated[i] else None)
                for i in range(faces)
            ),
        )
        for start in range(0, faces, CHUNK):
            n = min(CHUNK, faces - start)
            x = rng.normal(0, 1, (n, 128)).astype(np.float32)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            quality = rng.uniform(0.3, 1.0, n)
            conn.executemany(
                "INSERT INTO faces (id, image_id, x1, y1, x2, y2, score, landmarks, quality, embedding, model) "
                "VALUES (?, ?, 0, 0, 50, 50, 0.99, '[]', ?, ?, 'synthetic')",
                ((start + i + 1, start + i + 1, float(quality[i]), x[i].tobytes()) for i in range(n)),
            )
        conn.executemany(
            "INSERT INTO people (id, name, name_source, created_at) VALUES (?, ?, ?, 0)",
            ((p, f"P{p}" if p % 10 == 0 else None, "user" if p % 10 == 0 else None) for p in range(1, people + 1)),
        )
        conn.executemany(
            "INSERT INTO assignments (face_id, person_id, source, confidence, updated_at) VALUES (?, ?, ?, 1.0, 0)",
            ((i + 1, int(p), "user" if p % 10 == 0 else "auto") for i, p in enumerate(owner)),
        )
    if refresh:
        from faceatlas.people.similar import refresh as refresh_people

        t = time.perf_counter()
        with Atlas(db) as atlas:
            refresh_people(atlas)
        print(f"centroids and attributes of every person (scan / cluster's last step): {time.perf_counter() - t:.1f} s")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_pages(db: Path, repeat: int) -> list[dict]:
    """Median seconds per page (after one warm-up fetch) through the FastAPI TestClient."""
    from fastapi.testclient import TestClient

    from faceatlas.service import ServiceSettings, create_app

    with Atlas(db) as atlas:
        largest = atlas.conn.execute(
            "SELECT person_id, COUNT(*) AS n FROM assignments GROUP BY person_id ORDER BY n DESC LIMIT 1"
        ).fetchone()
    pages = [
        ("GET / (people page, first page)", "/"),
        (
            "GET /?taken_after=2019&taken_before=2020 (people with a photo from those years)",
            "/?taken_after=2019&taken_before=2020",
        ),
        (f"GET /people/{largest[0]} (largest person, {largest[1]:,} faces)", f"/people/{largest[0]}"),
        ("GET /v1/people?limit=50&offset=5000&sort=-size", "/v1/people?limit=50&offset=5000&sort=-size"),
        ("GET /faces (faces in no person, first page)", "/faces"),
        ("GET /review (the review page, 24 questions)", "/review"),
    ]
    out = []
    app = create_app(ServiceSettings(db=db, analysis_processes=0))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for label, url in pages:
            times = []
            for i in range(repeat + 1):
                t = time.perf_counter()
                r = client.get(url)
                took = time.perf_counter() - t
                r.raise_for_status()
                if i:
                    times.append(took)
                else:
                    first = took
            row = {"page": label, "first_s": round(first, 3), "median_s": round(statistics.median(times), 3)}
            row["bytes"] = len(r.content)
            row["peak_rss_mb"] = round(peak_rss_mb())
            print(json.dumps(row), flush=True)
            out.append(row)
        times = []
        movers = client.get(f"/v1/people/{largest[0] + 1}").json()["faces"][: repeat + 1]
        for face in movers:
            client.post(f"/v1/faces/{face['id']}/move", json={"person_id": largest[0]}).raise_for_status()
            t = time.perf_counter()
            client.get(f"/people/{largest[0]}").raise_for_status()
            times.append(time.perf_counter() - t)
        row = {
            "page": f"GET /people/{largest[0]} right after a face moved into it (its centroid recomputed)",
            "first_s": round(times[0], 3),
            "median_s": round(statistics.median(times[1:]), 3),
            "peak_rss_mb": round(peak_rss_mb()),
        }
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=int, default=1_000_000)
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5, help="timed fetches per page after the warm-up")
    ap.add_argument("--json", action="store_true", help="print one JSON summary at the end")
    ap.add_argument("--cold", action="store_true", help="leave the people's centroids to the first page needing them")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "atlas.sqlite3"
        t = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(
            target=build, args=(db, args.faces, args.people, 0, not args.cold)
        )
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"building the atlas failed (exit {child.exitcode})")
        built = time.perf_counter() - t
        print(
            f"atlas: {args.faces:,} faces, {args.people:,} people built in {built:.0f} s "
            f"({db.stat().st_size / 2**20:.0f} MiB)",
            flush=True,
        )
        rows = time_pages(db, args.repeat)
        print(f"peak RSS of the serving process: {peak_rss_mb():.0f} MB")
        if args.json:
            print(
                json.dumps(
                    {
                        "faces": args.faces,
                        "people": args.people,
                        "build_s": round(built, 1),
                        "pages": rows,
                        "peak_rss_mb": round(peak_rss_mb()),
                    }
                )
            )


if __name__ == "__main__":
    main()
