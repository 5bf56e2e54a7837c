"""A small atlas built without any model (rows written directly), for the hardening tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from faceatlas.store import Atlas
from faceatlas.types import BBox, Face, Pose


def synthetic_atlas(root: Path, photos: int = 4) -> tuple[Path, list[Path]]:
    """``root/atlas.sqlite3`` holding ``photos`` real JPEG files (root/photos/p<i>.jpg), one face each,
    the first two in person 1; returns (db path, photo paths)."""
    folder = root / "photos"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    db = root / "atlas.sqlite3"
    with Atlas(db) as atlas, atlas.transaction():
        person = atlas.people.create()
        for i in range(photos):
            path = folder / f"p{i}.jpg"
            Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(path, quality=80)
            paths.append(path)
            image_id = atlas.images.upsert(
                str(path), size=path.stat().st_size, mtime_ns=path.stat().st_mtime_ns, sha256=f"{i:064x}", status="done"
            )
            vec = rng.normal(size=128).astype(np.float32)
            face = Face(
                bbox=BBox(40, 20, 100, 90),
                score=0.9,
                landmarks5=np.zeros((5, 2)),
                pose=Pose(0, 0, 0),
                quality=0.8,
                embedding=vec / np.linalg.norm(vec),
                embedder="dlib-resnet-onnx/1",
            )
            (face_id,) = atlas.faces.replace_for_image(image_id, [face])
            if i < 2:
                atlas.people.assign(face_id, person, "auto", 0.9)
    return db, paths
