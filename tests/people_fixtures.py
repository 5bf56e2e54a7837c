"""A synthetic people atlas for the people-app tests: embeddings drawn around identity centres (no
analysis, so it is fast), optionally over real little JPEGs so pages can show thumbnails."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from faceatlas.store import Atlas


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def near(rng, centre: np.ndarray, dist: float) -> np.ndarray:
    """A vector at euclidean distance ``dist`` from ``centre`` (in a random direction)."""
    d = rng.normal(size=centre.shape)
    return (centre + dist * d / np.linalg.norm(d)).astype(np.float32)


def add_face(atlas: Atlas, path: str, vec: np.ndarray, quality: float = 0.9) -> int:
    image = atlas.images.upsert(path, size=1, mtime_ns=1, sha256=None, status="done")
    cur = atlas.conn.execute(
        "INSERT INTO faces (image_id, x1, y1, x2, y2, score, landmarks, quality, embedding, model) "
        "VALUES (?, 10, 10, 60, 60, 0.99, '[]', ?, ?, 'test')",
        (image, quality, np.asarray(vec, dtype=np.float32).tobytes()),
    )
    return int(cur.lastrowid)


def make_people_atlas(db: Path, photos: Path | None = None) -> dict:
    """Three identities A, B, C (centres ~1.4 apart). A is split in two groups (A1: 6 faces, A2: 4
    faces 0.4 from A1's centre), B has 5, C has 3; one loose face near A1, on the side away from A2.
    People are made by hand (as clustering would), all automatic. With ``photos``, each face's photo
    is a real 80×80 JPEG there (a different colour per group)."""
    rng = np.random.default_rng(3)
    centres = {k: unit(rng.normal(size=128)) for k in "ABC"}
    away = near(rng, np.zeros(128, dtype=np.float32), 1.0)  # a unit direction
    a2_centre = centres["A"] + 0.4 * away
    colours = {"A1": (200, 80, 80), "A2": (200, 140, 80), "B": (80, 160, 80), "C": (80, 80, 200), "loose": (150,) * 3}

    def photo(key: str, i: int) -> str:
        if photos is None:
            return f"/photos/{key}_{i}.jpg"
        photos.mkdir(parents=True, exist_ok=True)
        path = photos / f"{key}_{i}.jpg"
        Image.new("RGB", (80, 80), colours[key]).save(path)
        return str(path)

    people: dict[str, int] = {}
    faces: dict[str, list[int]] = {}
    groups = (("A1", centres["A"], 6), ("A2", a2_centre, 4), ("B", centres["B"], 5), ("C", centres["C"], 3))
    with Atlas(db) as atlas, atlas.transaction():
        for key, centre, n in groups:
            people[key] = atlas.people.create()
            faces[key] = []
            for i in range(n):
                f = add_face(atlas, photo(key, i), near(rng, centre, 0.2))
                atlas.people.assign(f, people[key], "auto", 1.0)
                faces[key].append(f)
        faces["loose"] = [add_face(atlas, photo("loose", 0), centres["A"] - 0.25 * away)]
    return {"db": db, "people": people, "faces": faces}
