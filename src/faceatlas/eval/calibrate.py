"""Build ``identity/data/calibration.json`` from the labelled real faces of ../shared/data.

- Impostor distances: every pair of photos of different identities in ``deepface/identities.csv``
  (largest face each), plus every pair of faces inside one group photo (different people by
  construction) of ``detection/`` (except the
  collage ``bald_guys.jpg``, which repeats people).
- Unrecognisable-identity centroid: each clean chip shrunk to 8 px, blown back up and blurred
  (sigma 3), then embedded; the centroid is their mean. lo / hi are the median distances to it of
  those degraded and of the clean embeddings.
- Sharpness reference: median Laplacian variance of the clean chips blurred with sigma 2.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import cv2
import numpy as np

from faceatlas.identity.calibration import Calibration
from faceatlas.identity.space import DATA_DIR, default_space
from faceatlas.models import load
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.pipeline.quality import sharpness_variance


def degrade(chip: np.ndarray, side: int = 8, sigma: float = 3.0) -> np.ndarray:
    size = chip.shape[0]
    tiny = cv2.resize(chip, (side, side), interpolation=cv2.INTER_AREA)
    big = cv2.resize(tiny, (size, size), interpolation=cv2.INTER_LINEAR)
    return cv2.GaussianBlur(big, (0, 0), sigma)


def build(data_root: Path, analyzer: FaceAnalyzer | None = None) -> Calibration:
    analyzer = analyzer or FaceAnalyzer()
    embedder = load(analyzer.config.embedder)
    ids: list[str] = []
    vecs: list[np.ndarray] = []
    chips: list[np.ndarray] = []
    with (data_root / "deepface" / "identities.csv").open() as fh:
        for row in csv.DictReader(fh):
            found = analyzer.analyze_with_chips(data_root / "deepface" / row["file"])
            if found:
                face, chip = found[0]
                ids.append(row["identity"])
                vecs.append(face.embedding)
                chips.append(chip)
    impostors = [
        float(np.linalg.norm(vecs[i] - vecs[j]))
        for i, j in itertools.combinations(range(len(vecs)), 2)
        if ids[i] != ids[j]
    ]
    # bald_guys.jpg is a collage of a few men each shown several times: not different people.
    group_photos = [p for p in sorted((data_root / "detection").glob("*/*.jpg")) if p.name != "bald_guys.jpg"]
    for photo in group_photos:
        faces = [f.embedding for f in analyzer.analyze(photo)]
        impostors += [float(np.linalg.norm(a - b)) for a, b in itertools.combinations(faces, 2)]
    clean = np.stack(vecs)
    degraded = embedder.embed_chips([degrade(c) for c in chips])
    centroid = degraded.mean(axis=0)
    lo = float(np.median(np.linalg.norm(degraded - centroid, axis=1)))
    hi = float(np.median(np.linalg.norm(clean - centroid, axis=1)))
    blur_ref = float(np.median([sharpness_variance(cv2.GaussianBlur(c, (0, 0), 2.0)) for c in chips]))
    imp = np.asarray(sorted(impostors))
    return Calibration(
        embedder=analyzer.embedder_name,
        impostor_distances=tuple(float(x) for x in imp),
        impostor_mean=float(imp.mean()),
        impostor_std=float(imp.std()),
        ui_centroid=centroid.astype(np.float32),
        ui_lo=lo,
        ui_hi=hi,
        blur_variance=blur_ref,
        notes=(
            f"{len(imp)} impostor pairs ({len(vecs)} labelled portraits of "
            f"{len(set(ids))} identities + faces sharing a group photo); "
            f"{len(chips)} chips for the unrecognisable centroid"
        ),
    )


def write(cal: Calibration, path: Path | None = None) -> Path:
    """Write ``cal`` (default: the default space's packaged calibration file)."""
    path = path or DATA_DIR / default_space().calibration_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cal.to_json(), indent=1) + "\n")
    return path
