"""Clustering quality on a folder-per-identity set: pairwise and BCubed precision/recall/F for
faceatlas's FaceClusterer and two baselines (DBSCAN, Chinese whispers) on the same embeddings."""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faceatlas.io import iter_image_files
from faceatlas.people.cluster import FaceClusterer
from faceatlas.pipeline import FaceAnalyzer


@dataclass
class ClusterScore:
    method: str
    pairwise_precision: float
    pairwise_recall: float
    pairwise_f: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f: float
    clusters: int
    unassigned: int
    identities: int

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _singletons(pred: np.ndarray) -> np.ndarray:
    """Unassigned faces (-1) count as clusters of their own."""
    out = pred.copy()
    nxt = out.max() + 1 if len(out) else 0
    for i in np.nonzero(out < 0)[0]:
        out[i] = nxt
        nxt += 1
    return out


def _f(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(method: str, truth: np.ndarray, pred: np.ndarray) -> ClusterScore:
    p = _singletons(np.asarray(pred))
    t = np.asarray(truth)
    pair_c = Counter(zip(p.tolist(), t.tolist()))
    same_both = sum(v * (v - 1) / 2 for v in pair_c.values())
    same_pred = sum(v * (v - 1) / 2 for v in Counter(p.tolist()).values())
    same_true = sum(v * (v - 1) / 2 for v in Counter(t.tolist()).values())
    pp = same_both / same_pred if same_pred else 1.0
    pr = same_both / same_true if same_true else 1.0
    csize, tsize = Counter(p.tolist()), Counter(t.tolist())
    bp = float(np.mean([pair_c[(a, b)] / csize[a] for a, b in zip(p.tolist(), t.tolist())]))
    br = float(np.mean([pair_c[(a, b)] / tsize[b] for a, b in zip(p.tolist(), t.tolist())]))
    assigned = np.asarray(pred) >= 0
    return ClusterScore(
        method,
        pp,
        pr,
        _f(pp, pr),
        bp,
        br,
        _f(bp, br),
        clusters=len(set(np.asarray(pred)[assigned].tolist())),
        unassigned=int((~assigned).sum()),
        identities=len(tsize),
    )


def dbscan(x: np.ndarray, eps: float = 0.5, min_samples: int = 2) -> np.ndarray:
    from sklearn.cluster import DBSCAN

    return DBSCAN(eps=eps, min_samples=min_samples, metric="euclidean").fit_predict(x)


def chinese_whispers(x: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """dlib's Chinese whispers graph clustering (the threshold its face-clustering example uses);
    clusters of one face are reported as unassigned like the other methods."""
    import dlib

    labels = np.asarray(dlib.chinese_whispers_clustering([dlib.vector(v.tolist()) for v in x], threshold))
    counts = Counter(labels.tolist())
    return np.array([lab if counts[lab] > 1 else -1 for lab in labels])


@dataclass(frozen=True)
class Degradation:
    """How the low-resolution copies of the labelled photos are made."""

    face_width: float = 32.0  # px, the largest face of the photo after shrinking
    blur: float = 0.8  # Gaussian sigma in px after shrinking; 0: none
    grayscale: bool = False
    jpeg_quality: int = 70


@dataclass
class FaceSet:
    """Faces to cluster with their truth: identity label per face (distractors get unique labels)."""

    x: np.ndarray
    truth: np.ndarray
    quality: np.ndarray
    photos: np.ndarray


def load_faces(root: Path, analyzer: FaceAnalyzer | None = None) -> FaceSet:
    """``root/identities/<identity>/*``: the largest face of each photo is that identity.
    ``root/distractors/*`` (optional): every face is a different, unlabelled person."""
    analyzer = analyzer or FaceAnalyzer()
    vecs, labels, qual, photos = [], [], [], []
    ident_root = root / "identities" if (root / "identities").is_dir() else root
    for n, path in enumerate(iter_image_files([ident_root])):
        faces = analyzer.analyze(path)
        if faces:
            vecs.append(faces[0].embedding)
            labels.append(path.parent.name)
            qual.append(faces[0].quality)
            photos.append(n)
    if (root / "distractors").is_dir():
        for n, path in enumerate(iter_image_files([root / "distractors"]), start=len(photos) + 1_000_000):
            for k, face in enumerate(analyzer.analyze(path)):
                vecs.append(face.embedding)
                labels.append(f"distractor:{path.name}:{k}")
                qual.append(face.quality)
                photos.append(n)
    _, truth = np.unique(np.array(labels), return_inverse=True)
    return FaceSet(np.stack(vecs), truth, np.array(qual, dtype=float), np.array(photos))


def evaluate(root: Path, analyzer: FaceAnalyzer | None = None) -> list[ClusterScore]:
    """faceatlas (using photo and quality information, as the atlas does) against DBSCAN and
    Chinese whispers on the same embeddings."""
    fs = load_faces(root, analyzer)
    return [
        score("faceatlas", fs.truth, FaceClusterer().fit_predict(fs.x, groups=fs.photos, quality=fs.quality)),
        score("dbscan(eps=0.5)", fs.truth, dbscan(fs.x)),
        score("chinese-whispers(0.5)", fs.truth, chinese_whispers(fs.x)),
    ]


def build_eval_set(
    data_root: Path, out: Path, analyzer: FaceAnalyzer | None = None, degradation: Degradation | None = Degradation()
) -> dict:
    """Build a clustering benchmark from ../shared/data in ``out``:

    - ``identities/<identity>/``: the labelled photos (symlinks): deepface's 13 identities,
      face_recognition's 5 knn people, CompreFace's people A, B, C;
    - with a ``degradation``, beside each labelled photo a low-resolution copy (by default its face
      ~32 px wide and slightly blurred: the small faces that make real albums hard);
    - ``distractors/``: the group photos (every face a different person; dlib's collage
      ``bald_guys.jpg`` is left out because it repeats people).
    """
    analyzer = analyzer or FaceAnalyzer()
    ident = out / "identities"
    photos: list[tuple[Path, str]] = []
    with (data_root / "deepface" / "identities.csv").open() as fh:
        photos += [(data_root / "deepface" / r["file"], r["identity"]) for r in csv.DictReader(fh)]
    train = data_root / "face_recognition" / "examples" / "knn_examples" / "train"
    for person in sorted(p for p in train.iterdir() if p.is_dir()):
        photos += [(p, f"fr_{person.name}") for p in sorted(person.iterdir())]
    compreface = data_root / "detection" / "compreface"
    for p in sorted(compreface.glob("*.jpg")):
        letter = p.stem.split("_")[1]
        if letter.isalpha():
            photos.append((p, f"cf_{letter}"))
        elif letter != "0":
            _link(p, out / "distractors")
    for p in sorted((data_root / "detection" / "dlib_faces").glob("*.jpg")):
        if p.name not in {"bald_guys.jpg", "dogs.jpg"}:
            _link(p, out / "distractors")
    made = 0
    for src, identity in photos:
        _link(src, ident / identity)
        if degradation is not None:
            made += _degraded_copy(src, ident / identity / f"lowres_{src.stem}.jpg", analyzer, degradation)
    return {
        "photos": len(photos),
        "degraded_copies": made,
        "distractor_photos": len(list((out / "distractors").glob("*"))),
    }


def _degraded_copy(src: Path, dest: Path, analyzer: FaceAnalyzer, how: Degradation) -> int:
    """Write a shrunk (and blurred / grey) copy of ``src`` to ``dest``; 0 when no face is found."""
    import cv2
    from PIL import Image

    found = analyzer.analyze(src, embed=False)
    if not found:
        return 0
    img = analyzer.open(src).full()
    factor = min(1.0, how.face_width / max(found[0].bbox.width, 1.0))
    small = cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    if how.blur > 0:
        small = cv2.GaussianBlur(small, (0, 0), how.blur)
    out = Image.fromarray(small)
    out.convert("L" if how.grayscale else "RGB").save(dest, quality=how.jpeg_quality)
    return 1


def _link(src: Path, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / src.name
    if not dest.exists():
        os.symlink(src.resolve(), dest)
    return 1
