"""A folder-per-identity set with known errors, built from a labelled set for measuring curation:
photos moved to a wrong identity, exact and near duplicates (within and across identities) and
images without a face. Seeded; original photos are symlinked (the face cache follows them), copies
that differ are written as new JPEG files."""

from __future__ import annotations

import os
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from faceatlas.eval.devsets import LabelledPhoto

# scikit-image sample pictures without a human face (cat, coffee, rocket, textures, text, ...)
NO_FACE_SAMPLES = (
    "chelsea", "coffee", "rocket", "coins", "moon", "horse", "hubble_deep_field", "page", "text", "brick",
    "grass", "gravel", "immunohistochemistry", "clock", "colorwheel", "retina", "cell", "checkerboard",
)  # fmt: skip


@dataclass
class InjectedSet:
    """The built set: ``truth`` maps each injected file (relative path) to its true flags."""

    root: Path
    truth: dict[str, set[str]] = field(default_factory=dict)
    files: int = 0
    same_picture: list[tuple[str, str]] = field(default_factory=list)  # pairs of files showing one photo

    def with_flag(self, flag: str) -> set[str]:
        return {f for f, flags in self.truth.items() if flag in flags}

    def add_same_picture(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Record more pairs of files that show one photo (e.g. duplicates the source set already
        had) and recompute which files are duplicates: all of a group but its sorted-first file."""
        self.same_picture.extend(pairs)
        for flags in self.truth.values():
            flags.discard("duplicate")
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.setdefault(x, x) != x:
                x = parent[x]
            return x

        for a, b in self.same_picture:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        for f in list(parent):
            if find(f) != f:
                self.truth.setdefault(f, set()).add("duplicate")
        self.truth = {f: flags for f, flags in self.truth.items() if flags}


def _near_copy(src: Path, dst: Path, rng: random.Random) -> None:
    """A re-encoded copy that a deduplicator should still call the same photo: resized to 55–85 %,
    cropped by up to 4 % per side, brightness/contrast changed by up to 10 %, JPEG quality 60–85."""
    img = Image.open(src).convert("RGB")
    w, h = img.size
    box = tuple(int(v) for v in (rng.uniform(0, 0.04) * w, rng.uniform(0, 0.04) * h,
                                 w - rng.uniform(0, 0.04) * w, h - rng.uniform(0, 0.04) * h))  # fmt: skip
    img = img.crop(box)
    scale = rng.uniform(0.55, 0.85)
    img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))), Image.Resampling.LANCZOS)
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.9, 1.1))
    img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.9, 1.1))
    img.save(dst, format="JPEG", quality=rng.randint(60, 85))


def _no_face_image(i: int, rng: random.Random) -> Image.Image:
    from skimage import data

    name = NO_FACE_SAMPLES[i % len(NO_FACE_SAMPLES)]
    arr = np.asarray(getattr(data, name)())
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    img = Image.fromarray(arr.astype(np.uint8)).convert("RGB")
    if i >= len(NO_FACE_SAMPLES):  # later rounds: a random crop, so no two files are the same
        w, h = img.size
        cw, ch = int(w * rng.uniform(0.5, 0.9)), int(h * rng.uniform(0.5, 0.9))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        img = img.crop((x, y, x + cw, y + ch))
    return img


def build_injected(
    photos: Iterable[LabelledPhoto],
    out: Path,
    seed: int = 0,
    mislabel_rate: float = 0.05,
    duplicate_rate: float = 0.05,
    cross_identity_share: float = 0.2,
    no_face_rate: float = 0.02,
) -> InjectedSet:
    """Lay out ``photos`` as ``out/<identity>/<file>`` with ``mislabel_rate`` of them moved to
    another identity, ``duplicate_rate`` of them copied again (half byte-exact, half near copies;
    ``cross_identity_share`` of the copies land in another identity's folder) and ``no_face_rate``
    images without a face. ``truth``: of each group of files showing one photo, all but the
    sorted-first file are duplicates, as curate keeps the first path of a group."""
    rng = random.Random(seed)
    photos = sorted(photos, key=lambda p: str(p.path))
    identities = sorted({p.identity for p in photos})
    result = InjectedSet(Path(out))
    n = len(photos)
    moved = set(rng.sample(range(n), round(mislabel_rate * n)))
    copied = rng.sample(range(n), round(duplicate_rate * n))

    def place(identity: str, name: str) -> Path:
        folder = result.root / identity
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    for i, p in enumerate(photos):
        identity = p.identity
        if i in moved:
            identity = rng.choice([x for x in identities if x != p.identity])
            result.truth.setdefault(f"{identity}/{p.path.name}", set()).add("mislabelled")
        os.symlink(p.path.resolve(), place(identity, p.path.name))
    copies: list[tuple[str, str]] = []
    for k, i in enumerate(copied):
        p = photos[i]
        home = next(x.parent.name for x in result.root.glob(f"*/{p.path.name}"))
        across = rng.random() < cross_identity_share
        identity = rng.choice([x for x in identities if x != home]) if across else home
        name = f"{p.path.stem}_zcopy{k}.jpg"  # sorts after its original
        dst = place(identity, name)
        if k % 2 == 0:
            os.symlink(p.path.resolve(), dst)
        else:
            _near_copy(p.path, dst, rng)
        copy, original = f"{identity}/{name}", f"{home}/{p.path.name}"
        if identity != p.identity:
            result.truth.setdefault(copy, set()).add("mislabelled")
        copies.append((original, copy))
    for k in range(round(no_face_rate * n)):
        identity = rng.choice(identities)
        name = f"zz_noface_{k}.jpg"
        _no_face_image(k, rng).save(place(identity, name), format="JPEG", quality=90)
        result.truth[f"{identity}/{name}"] = {"no_face"}
    result.add_same_picture(copies)
    result.files = sum(1 for _ in result.root.glob("*/*"))
    return result
