"""The development sets of ``../shared/devsets`` (see their README): ``celeba_dev`` (100 CelebA
identities, a fixed **dev** half of even identity numbers for choosing, a **test** half of odd ones
for reporting) and ``landmarks_afw`` (337 faces with 68 hand-labelled points).

Every evaluation that touches these sets takes the half explicitly; nothing here walks a folder
beyond the files the sets' own CSVs list.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HALVES = ("dev", "test", "all")


def default_devsets_root() -> Path:
    """``$FACEATLAS_DEVSETS``, else ``../shared/devsets`` beside the working directory's repository."""
    env = os.environ.get("FACEATLAS_DEVSETS")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "devsets"
        if (parent / "pyproject.toml").is_file() and candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared" / "devsets"


def celeba_root(root: Path | None = None) -> Path:
    """The ``celeba_dev`` folder, given it or the ``devsets`` folder above it."""
    root = root or default_devsets_root()
    return root if (root / "identities.csv").is_file() else root / "celeba_dev"


@dataclass(frozen=True)
class LabelledPhoto:
    """One photo of a folder-per-identity set: its path and its identity label."""

    path: Path
    identity: str
    half: str = ""


def paths_by_identity(photos: Iterable[LabelledPhoto]) -> dict[str, list[Path]]:
    """identity → the paths of its photos, in the order given."""
    by_id: dict[str, list[Path]] = {}
    for p in photos:
        by_id.setdefault(p.identity, []).append(p.path)
    return by_id


def celeba_photos(root: Path | None = None, half: str = "dev") -> list[LabelledPhoto]:
    """The photos of one half of ``celeba_dev`` ("dev", "test" or "all"), sorted by file name."""
    if half not in HALVES:
        raise ValueError(f"half must be one of {HALVES}, not {half!r}")
    base = celeba_root(root)
    out = []
    with (base / "identities.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if half == "all" or row["half"] == half:
                out.append(LabelledPhoto(base / row["file"], f"{int(row['identity']):05d}", row["half"]))
    return sorted(out, key=lambda p: str(p.path))


def celeba_attributes(root: Path | None = None) -> dict[str, dict[str, int]]:
    """file (relative, as in the CSV) → CelebA attribute → +1 / -1, for the photos that have them."""
    base = celeba_root(root)
    with (base / "attributes.csv").open(newline="") as fh:
        return {r.pop("file"): {k: int(v) for k, v in r.items()} for r in csv.DictReader(fh)}


def celeba_gender(root: Path | None = None) -> dict[str, str]:
    """identity (five digits) → "male" / "female", the majority of CelebA's ``Male`` over its photos."""
    base = celeba_root(root)
    with (base / "identity_gender.csv").open(newline="") as fh:
        return {f"{int(r['identity']):05d}": r["gender"] for r in csv.DictReader(fh)}


@dataclass(frozen=True)
class LandmarkFace:
    """One AFW face: its crop and its 68 labelled points (0-based pixels in the crop)."""

    path: Path
    points68: np.ndarray

    @property
    def points5(self) -> np.ndarray:
        """Eye centres (mean of 36–41 and 42–47), nose tip 30, mouth corners 48 and 54."""
        p = self.points68
        return np.stack([p[36:42].mean(0), p[42:48].mean(0), p[30], p[48], p[54]])

    @property
    def normaliser(self) -> float:
        """Outer-eye-corner distance (points 36–45), as 300-W normalises errors."""
        return float(np.linalg.norm(self.points68[36] - self.points68[45]))


def afw_faces(root: Path | None = None) -> list[LandmarkFace]:
    """Every labelled face of ``landmarks_afw`` (from ``landmarks.csv``; 1-based → 0-based pixels)."""
    root = root or default_devsets_root()
    base = root if (root / "landmarks.csv").is_file() else root / "landmarks_afw"
    out = []
    with (base / "landmarks.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            xs = [float(row[f"x{i}"]) for i in range(68)]
            ys = [float(row[f"y{i}"]) for i in range(68)]
            out.append(LandmarkFace(base / row["file"], np.stack([xs, ys], axis=1) - 1.0))
    return sorted(out, key=lambda f: str(f.path))


def nme_5(predicted5: np.ndarray, face: LandmarkFace) -> float:
    """Mean five-point error normalised by the outer-eye-corner distance (a fraction, not %)."""
    return float(np.linalg.norm(np.asarray(predicted5) - face.points5, axis=1).mean() / face.normaliser)


def celeba_pairs(
    root: Path | None = None, half: str = "dev", pairs: int = 3000, seed: int = 0, per_identity: int | None = None
) -> list[tuple[Path, Path, bool]]:
    """Verification pairs of one half: ``pairs`` same-person pairs and as many different-person
    pairs, drawn without replacement (seeded) from all possible ones, among the first
    ``per_identity`` photos (by file name) of each identity when given. Deterministic for a seed."""
    import random

    by_id = paths_by_identity(celeba_photos(root, half))
    if per_identity is not None:
        by_id = {k: v[:per_identity] for k, v in by_id.items()}
    rng = random.Random(seed)
    genuine = [(a, b) for paths in by_id.values() for i, a in enumerate(paths) for b in paths[i + 1 :]]
    chosen = rng.sample(genuine, min(pairs, len(genuine)))
    ids = sorted(by_id)
    impostor: set[tuple[Path, Path]] = set()
    while len(impostor) < len(chosen):
        ia, ib = rng.sample(ids, 2)
        a, b = rng.choice(by_id[ia]), rng.choice(by_id[ib])
        impostor.add((min(a, b), max(a, b)))
    return [(a, b, True) for a, b in chosen] + [(a, b, False) for a, b in sorted(impostor)]


def celeba_fixed_pairs(
    root: Path | None = None, half: str = "test", identities: int = 8, per_identity: int = 5
) -> list[tuple[Path, Path, bool]]:
    """A small fixed set for guard tests: the first ``per_identity`` photos (by file name) of the first
    ``identities`` identities of a half that have that many, and every pair among them (8 × 5: 40
    photos, 80 same-person and 700 different-person pairs)."""
    by_id = paths_by_identity(celeba_photos(root, half))
    chosen = [(i, paths[:per_identity]) for i, paths in sorted(by_id.items()) if len(paths) >= per_identity]
    photos = [(i, p) for i, paths in chosen[:identities] for p in paths]
    return [(a, b, ia == ib) for k, (ia, a) in enumerate(photos) for ib, b in photos[k + 1 :]]
