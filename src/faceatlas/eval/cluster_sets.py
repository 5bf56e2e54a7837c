"""Clustering benchmark sets: folder-per-identity sets built from ``celeba_dev`` (one half, colour or
grey, with or without low-resolution copies, with singleton distractors) and loaded through the
on-disk face cache.

Layout of a built set ``OUT``:

- ``identities/<identity>/<photo>``: symlinks to the labelled photos (the largest face of a photo is
  that identity), ``lowres_<photo>.jpg`` beside them when low-resolution copies were asked for;
- ``singletons/<identity>/<photo>``: one photo of each distractor identity (people seen once);
- ``distractors/`` (optional, the ../shared/data set): photos whose every face is a different person;
- ``set.json``: how the set was made, including ``variant`` ("colour" / "grey"): every photo is
  analysed as that variant (a grey set reads luma only, as the face cache's "grey" variant does).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from faceatlas.eval.cache import FaceCache
from faceatlas.eval.devsets import celeba_photos, paths_by_identity
from faceatlas.io import iter_image_files
from faceatlas.pipeline import FaceAnalyzer


@dataclass(frozen=True)
class Degradation:
    """How the low-resolution copies of the labelled photos are made."""

    face_width: float = 32.0  # px, the largest face of the photo after shrinking
    blur: float = 0.8  # Gaussian sigma in px after shrinking; 0: none
    grayscale: bool = False
    jpeg_quality: int = 70


@dataclass(frozen=True)
class CelebaSetSpec:
    """A clustering set from one half of ``celeba_dev``. Identities are taken in number order; every
    ``singleton_every``-th one (the 3rd, 6th, ...) contributes only its first photo, as a person
    seen once (0: none). ``max_identities`` / ``max_photos`` (0: all) take the first identities and
    each one's first photos: a small fixed subset for tests."""

    half: str = "dev"
    grayscale: bool = False
    lowres: bool = False
    singleton_every: int = 3
    max_identities: int = 0
    max_photos: int = 0


@dataclass
class FaceSet:
    """Faces to cluster with their truth: identity label per face (distractors get unique labels),
    quality, photo id (faces of one photo share it) and the file each face came from."""

    x: np.ndarray
    truth: np.ndarray
    quality: np.ndarray
    photos: np.ndarray
    files: list[str]

    def subset(self, keep: np.ndarray) -> FaceSet:
        keep = np.asarray(keep)
        return FaceSet(
            self.x[keep], self.truth[keep], self.quality[keep], self.photos[keep], [self.files[i] for i in keep]
        )


def build_celeba_set(
    devsets_root: Path | None, out: Path, spec: CelebaSetSpec, analyzer: FaceAnalyzer | None = None
) -> dict:
    """Write the set described by ``spec`` to ``out`` (symlinks, low-res copies, ``set.json``);
    returns counts."""
    analyzer = analyzer or FaceAnalyzer()
    variant = "grey" if spec.grayscale else "colour"
    photos = celeba_photos(devsets_root, spec.half)
    by_id = paths_by_identity(photos)
    ids = sorted(by_id)[: spec.max_identities or None]
    singles = {i for n, i in enumerate(ids, start=1) if spec.singleton_every and n % spec.singleton_every == 0}
    cache = FaceCache(analyzer)
    how = Degradation(grayscale=spec.grayscale)
    made = linked = 0
    for identity in ids:
        if identity in singles:
            linked += link_into(by_id[identity][0], out / "singletons" / identity)
            continue
        for src in by_id[identity][: spec.max_photos or None]:
            linked += link_into(src, out / "identities" / identity)
            if spec.lowres:
                faces = cache.faces(src, variant)
                dest = out / "identities" / identity / f"lowres_{src.stem}.jpg"
                made += bool(faces) and degraded_copy(src, dest, faces[0].bbox.width, how)
    info = {
        "set": "celeba",
        **asdict(spec),
        "variant": variant,
        "photos": linked,
        "lowres_copies": made,
        "identities": len(ids) - len(singles),
        "singletons": len(singles),
    }
    (out / "set.json").write_text(json.dumps(info, indent=1))
    return info


def degraded_copy(src: Path, dest: Path, face_width: float, how: Degradation) -> int:
    """Write a shrunk (blurred, grey) copy of ``src`` whose face of ``face_width`` px becomes
    ``how.face_width`` px wide; 1 when written (kept when it exists)."""
    import cv2
    from PIL import Image

    from faceatlas.io import open_image

    if dest.exists():
        return 1
    img = open_image(src).full()
    factor = min(1.0, how.face_width / max(face_width, 1.0))
    small = cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    if how.blur > 0:
        small = cv2.GaussianBlur(small, (0, 0), how.blur)
    dest.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(small).convert("L" if how.grayscale else "RGB").save(dest, quality=how.jpeg_quality)
    return 1


def link_into(src: Path, folder: Path) -> int:
    """Symlink ``src`` into ``folder`` (created) under its own name; 1."""
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / src.name
    if not dest.exists():
        os.symlink(src.resolve(), dest)
    return 1


def set_info(root: Path) -> dict:
    """The set's ``set.json`` (empty for a plain folder-per-identity set)."""
    path = root / "set.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def load_faces(root: Path, analyzer: FaceAnalyzer | None = None, cache: FaceCache | None = None) -> FaceSet:
    """The faces of a set (see the module docstring), analysed once through the face cache.

    ``identities/<id>/*`` and ``singletons/<id>/*`` (or ``root/<id>/*`` for a plain folder per
    identity): the largest face of each photo is that identity; ``distractors/*``: every face is a
    different, unlabelled person. Photos where no face is found are left out."""
    cache = cache or FaceCache(analyzer or FaceAnalyzer())
    variant = set_info(root).get("variant", "colour")
    labelled = [root / d for d in ("identities", "singletons") if (root / d).is_dir()] or [root]
    vecs, labels, qual, photos, files = [], [], [], [], []
    n = 0
    for folder in labelled:
        for path in iter_image_files([folder]):
            n += 1
            faces = cache.faces(path, variant)
            if faces and faces[0].embedding is not None:
                vecs.append(faces[0].embedding)
                labels.append(path.parent.name)
                qual.append(faces[0].quality)
                photos.append(n)
                files.append(str(path.relative_to(root)))
    if (root / "distractors").is_dir():
        for path in iter_image_files([root / "distractors"]):
            n += 1
            for k, face in enumerate(cache.faces(path, variant) or []):
                if face.embedding is None:
                    continue
                vecs.append(face.embedding)
                labels.append(f"distractor:{path.name}:{k}")
                qual.append(face.quality)
                photos.append(n)
                files.append(str(path.relative_to(root)))
    if not vecs:
        raise ValueError(f"no faces found in {root} (expected identities/<identity>/ photos)")
    _, truth = np.unique(np.array(labels), return_inverse=True)
    return FaceSet(np.stack(vecs).astype(np.float32), truth, np.array(qual, dtype=float), np.array(photos), files)
