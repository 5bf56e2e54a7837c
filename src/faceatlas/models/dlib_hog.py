"""dlib's HOG + linear SVM frontal face detector (built into dlib, no weight file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceatlas.models.registry import ModelSpec, register
from faceatlas.types import BBox, Detection


class DlibHogDetector:
    name = "dlib-hog"

    def __init__(self, upsample: int = 0, threshold: float = 0.0) -> None:
        import dlib

        self._detector = dlib.get_frontal_face_detector()
        self.upsample = upsample
        self.threshold = threshold

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        rects, scores, _ = self._detector.run(rgb, self.upsample, self.threshold)
        h, w = rgb.shape[:2]
        out = []
        for r, s in zip(rects, scores):
            box = BBox(max(0, r.left()), max(0, r.top()), min(w, r.right() + 1), min(h, r.bottom() + 1))
            # HOG margins are unbounded around 0; squash into (0, 1) for a comparable score
            out.append(Detection(box, float(1 / (1 + np.exp(-2.0 * s))), None, self.name))
        return out


def _build(_: dict[str, Path], __: object) -> DlibHogDetector:
    return DlibHogDetector()


SPEC = register(
    ModelSpec(
        name="dlib-hog",
        kind="detector",
        version="dlib-20.0",
        description="dlib HOG frontal face detector (fast, frontal faces >= ~80 px)",
        runtime="dlib",
        weights=(),
        factory=_build,
    )
)
