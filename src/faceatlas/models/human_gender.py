"""Attribute head ``human-gender``: gender and P(male), Human's 64 px grey CNN (oarriaga; outputs
[female, male]). A candidate beside ``cydral-gender`` (README); see :mod:`faceatlas.models.human`."""

from __future__ import annotations

from typing import Any

import numpy as np

from faceatlas.models.human import HumanNet, npm_file
from faceatlas.models.registry import ModelKind, ModelSpec, register
from faceatlas.types import Face

GRAPH = npm_file("gender", "json", "630b7041bc424803fb1bbc1a88c7d20368a36a77f33cb38e7823091aafa0ca7c")
WEIGHTS = npm_file("gender", "bin", "c4fc03f3f6dd2d5aecb23b0e17259741718ad891f35ac6a75338f52f8305d05d")


class HumanGenderHead:
    name = "human-gender"
    provides = ("gender", "gender_score")

    def __init__(self, net: HumanNet) -> None:
        self.net = net

    def get(self, image: np.ndarray, face: Face) -> dict[str, Any]:
        p_male = float(self.net.run(image, face)[1])
        return {"gender": "male" if p_male >= 0.5 else "female", "gender_score": p_male}


SPEC = register(
    ModelSpec(
        name="human-gender",
        kind=ModelKind.ATTRIBUTE,
        version="3.0.4",
        description="gender + P(male): Human's 64 px grey CNN (TF.js graph from npm, converted to ONNX at load)",
        runtime="onnxruntime",
        weights=(GRAPH, WEIGHTS),
        factory=lambda paths, options: HumanGenderHead(
            HumanNet(paths[GRAPH.filename], paths[WEIGHTS.filename], 64, options.threads, grey=True)
        ),
    )
)
