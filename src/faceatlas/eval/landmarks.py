"""Landmark accuracy on ``landmarks_afw`` (337 hand-labelled faces, many in profile): five-point NME
normalised by the outer-eye-corner distance, each labelled face matched to the detected face whose
five points lie nearest its own. ``turn`` evaluates copies of the photos turned clockwise by 90, 180
or 270 degrees (labels turned with them): the faces must still be found and fitted upright."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from faceatlas.eval.devsets import LandmarkFace, afw_faces, nme_5
from faceatlas.io import open_image
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.pipeline.geometry import rotate_array, rotate_points


@dataclass
class LandmarkScore:
    method: str
    turn: int
    faces: int
    found: int
    nme: dict[str, float | None] = field(default_factory=dict)  # file → NME (None: not found)

    def summary(self, only: Sequence[str] | None = None) -> dict:
        """Mean / median NME (in %) over the found faces, or over ``only`` those files."""
        keys = [k for k in (only if only is not None else self.nme) if self.nme.get(k) is not None]
        v = np.array([self.nme[k] for k in keys], dtype=float)
        return {
            "method": self.method,
            "turn": self.turn,
            "faces": self.faces,
            "found": self.found,
            "compared": len(v),
            "mean_nme_pct": round(float(v.mean()) * 100, 2) if len(v) else None,
            "median_nme_pct": round(float(np.median(v)) * 100, 2) if len(v) else None,
            "over_10pct": int((v > 0.10).sum()),
        }


def _nearest(candidates: list[np.ndarray], labels: LandmarkFace) -> np.ndarray | None:
    """The found face that is the labelled one: five-point centre nearest the labels' and within one
    outer-eye-corner distance of it (else the labelled face counts as not found)."""
    centre = labels.points5.mean(0)
    near = [p for p in candidates if np.linalg.norm(p.mean(0) - centre) <= labels.normaliser]
    return min(near, key=lambda p: float(np.linalg.norm(p.mean(0) - centre)), default=None)


def score_faces(
    method: str,
    five_points_of: Callable[[np.ndarray], list[np.ndarray]],
    faces: list[LandmarkFace] | None = None,
    turn: int = 0,
    progress: Callable[[], None] | None = None,
) -> LandmarkScore:
    """``five_points_of(rgb)`` → the (5, 2) points of every face a method finds in an image."""
    faces = faces if faces is not None else afw_faces()
    out = LandmarkScore(method, turn, len(faces), 0)
    for face in faces:
        rgb = open_image(face.path).full()
        labels = face
        if turn:
            size = (rgb.shape[1], rgb.shape[0])
            rgb = rotate_array(rgb, turn)
            labels = LandmarkFace(face.path, rotate_points(face.points68, turn, size))
        best = _nearest(five_points_of(rgb), labels)
        out.nme[face.path.name] = None if best is None else nme_5(best, labels)
        out.found += best is not None
        if progress:
            progress()
    return out


def faceatlas_points(analyzer: FaceAnalyzer | None = None) -> Callable[[np.ndarray], list[np.ndarray]]:
    analyzer = analyzer or FaceAnalyzer()
    return lambda rgb: [f.landmarks5 for f in analyzer.analyze(rgb, embed=False) if f.landmarks5 is not None]
