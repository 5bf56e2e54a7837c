"""Attribute head ``human-emotion``: expression, 7 FER2013 classes + scores, Human's 64 px grey
mini-Xception (oarriaga). A candidate beside ``fer-emotion`` (README); see :mod:`faceatlas.models.human`."""

from __future__ import annotations

from typing import Any

import numpy as np

from faceatlas.models.fer_emotion import expression_attributes
from faceatlas.models.human import HumanNet, npm_file
from faceatlas.models.registry import ModelKind, ModelSpec, register
from faceatlas.types import Face

GRAPH = npm_file("emotion", "json", "56f7e557eb0c863a8b9ab04ac7ccba756e93bf2c27dce135ef0e8712b80b7ad2")
WEIGHTS = npm_file("emotion", "bin", "927ac8224f356ab1e68c2bcfbfa07b0c8567047d1bcf817388ba6e38214c4987")


class HumanExpressionHead:
    name = "human-emotion"
    provides = ("expression", "expression_scores")

    def __init__(self, net: HumanNet) -> None:
        self.net = net

    def get(self, image: np.ndarray, face: Face) -> dict[str, Any]:
        return expression_attributes(self.net.run(image, face))


SPEC = register(
    ModelSpec(
        name="human-emotion",
        kind=ModelKind.ATTRIBUTE,
        version="3.0.4",
        description="expression, 7 classes + scores: Human's 64 px grey mini-Xception (TF.js graph from npm, as ONNX)",
        runtime="onnxruntime",
        weights=(GRAPH, WEIGHTS),
        factory=lambda paths, options: HumanExpressionHead(
            HumanNet(paths[GRAPH.filename], paths[WEIGHTS.filename], 64, options.threads, grey=True)
        ),
    )
)
