"""Build the identity space's calibration file (``identity/data/<space>.json``) from labelled real faces.

- Impostor distances (the false-match-rate table): by default every pair of photos of different
  identities of one half of ``celeba_dev`` (largest face each; adults, in the wild: ~500k pairs for
  the dev half), stored as ``QUANTILES`` evenly spaced order statistics of their sorted distances
  (the same empirical curve, in a file of a few hundred kB). ``impostors="shared"`` uses the older,
  smaller source: every pair of different identities in ``deepface/identities.csv`` plus every pair of
  faces inside one group photo of ``detection/`` (except the collage ``bald_guys.jpg``, which repeats
  people): 1,878 pairs, many of them children.
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


QUANTILES = 20000


def celeba_impostors(analyzer: FaceAnalyzer, half: str = "dev", root: Path | None = None) -> np.ndarray:
    """Every different-identity pair of photos of one half of celeba_dev: their distances, sorted
    (largest face per photo, from the evaluation face cache)."""
    from faceatlas.eval.cache import FaceCache
    from faceatlas.eval.devsets import celeba_photos

    cache = FaceCache(analyzer)
    vecs, ids = [], []
    for photo in celeba_photos(root, half):
        faces = cache.faces(photo.path)
        if faces and faces[0].embedding is not None:
            vecs.append(faces[0].embedding)
            ids.append(photo.identity)
    x = np.stack(vecs).astype(np.float64)
    labels = np.asarray(ids)
    out = []
    for i in range(len(x) - 1):
        other = labels[i + 1 :] != labels[i]
        out.append(np.linalg.norm(x[i + 1 :][other] - x[i], axis=1))
    return np.sort(np.concatenate(out))


def order_statistics(sorted_values: np.ndarray, count: int = QUANTILES) -> np.ndarray:
    """``count`` evenly spaced order statistics of ``sorted_values`` (all of them when fewer): the
    fraction of the stored values at or below any distance stays the measured one (±1/count)."""
    n = len(sorted_values)
    if n <= count:
        return sorted_values
    ranks = np.round((np.arange(count) + 0.5) * n / count - 0.5).astype(int)
    return sorted_values[ranks]


def build(
    data_root: Path,
    analyzer: FaceAnalyzer | None = None,
    impostors: str = "celeba",
    half: str = "dev",
    devsets: Path | None = None,
) -> Calibration:
    """The calibration of ``analyzer``'s space: impostor distances from ``impostors`` ("celeba": one
    ``half`` of celeba_dev; "shared": ../shared/data), quality references from ../shared/data."""
    if impostors not in ("celeba", "shared"):
        raise ValueError(f"impostors must be 'celeba' or 'shared', not {impostors!r}")
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
    if impostors == "celeba":
        measured = celeba_impostors(analyzer, half, devsets)
        imp = order_statistics(measured)
        source = f"{len(measured)} impostor pairs of celeba_dev's {half} half (every different-identity pair"
        source += f", largest face per photo), stored as {len(imp)} order statistics"
    else:
        measured = np.asarray(sorted(shared_impostors(data_root, analyzer, vecs, ids)))
        imp = measured
        source = f"{len(imp)} impostor pairs ({len(vecs)} labelled portraits of {len(set(ids))} identities"
        source += " + faces sharing a group photo)"
    clean = np.stack(vecs)
    degraded = embedder.embed_chips([degrade(c) for c in chips])
    centroid = degraded.mean(axis=0)
    lo = float(np.median(np.linalg.norm(degraded - centroid, axis=1)))
    hi = float(np.median(np.linalg.norm(clean - centroid, axis=1)))
    blur_ref = float(np.median([sharpness_variance(cv2.GaussianBlur(c, (0, 0), 2.0)) for c in chips]))
    return Calibration(
        embedder=analyzer.embedder_name,
        impostor_distances=tuple(float(x) for x in imp),
        impostor_mean=float(measured.mean()),
        impostor_std=float(measured.std()),
        ui_centroid=centroid.astype(np.float32),
        ui_lo=lo,
        ui_hi=hi,
        blur_variance=blur_ref,
        notes=f"{source}; {len(chips)} chips of ../shared/data for the unrecognisable centroid",
    )


def shared_impostors(data_root: Path, analyzer: FaceAnalyzer, vecs: list[np.ndarray], ids: list[str]) -> list[float]:
    """Different-identity pairs of the deepface portraits and pairs of faces sharing a group photo."""
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
    return impostors


def write(cal: Calibration, path: Path | None = None) -> Path:
    """Write ``cal`` (default: the default space's packaged calibration file)."""
    path = path or DATA_DIR / default_space().calibration_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cal.to_json(), indent=1) + "\n")
    return path
