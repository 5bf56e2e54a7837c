"""dlib's ensemble-of-regression-trees shape predictors: 5 points and 68 points (iBUG 300-W)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceatlas.models.base import dlib_model_file
from faceatlas.models.registry import ModelSpec, register
from faceatlas.types import BBox

FIVE = dlib_model_file(
    "shape_predictor_5_face_landmarks.dat", "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"
)
SIXTY_EIGHT = dlib_model_file(
    "shape_predictor_68_face_landmarks.dat", "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f"
)


class DlibShapePredictor:
    def __init__(self, name: str, path: Path, num_points: int) -> None:
        import dlib

        self.name = name
        self.num_points = num_points
        self._predictor = dlib.shape_predictor(str(path))

    def landmarks(self, rgb: np.ndarray, box: BBox) -> np.ndarray:
        import dlib

        rect = dlib.rectangle(int(round(box.x1)), int(round(box.y1)), int(round(box.x2)) - 1, int(round(box.y2)) - 1)
        shape = self._predictor(rgb, rect)
        return np.array([[p.x, p.y] for p in shape.parts()], dtype=np.float32)


register(
    ModelSpec(
        name="dlib-5pt",
        kind="landmarker",
        version="1",
        description="dlib 5-point landmarks (eye corners, nose base)",
        runtime="dlib",
        weights=(FIVE,),
        factory=lambda paths, options: DlibShapePredictor("dlib-5pt", paths[FIVE.filename], 5),
    )
)
register(
    ModelSpec(
        name="dlib-68pt",
        kind="landmarker",
        version="1",
        description="dlib 68-point landmarks (iBUG 300-W layout)",
        runtime="dlib",
        weights=(SIXTY_EIGHT,),
        factory=lambda paths, options: DlibShapePredictor("dlib-68pt", paths[SIXTY_EIGHT.filename], 68),
    )
)
