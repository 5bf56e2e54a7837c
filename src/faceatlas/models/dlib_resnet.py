"""dlib's 29-layer ResNet face descriptor: 128-D, euclidean distance, 0.6 threshold (LFW 99.38%).

:data:`DLIB_SPACE` is the identity space its vectors live in; the ONNX rebuild
(:mod:`faceatlas.models.dlib_resnet_onnx`) gives the same vectors and shares it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceatlas.identity.params import PeopleParams
from faceatlas.identity.space import ChipSpec, IdentitySpace, Metric
from faceatlas.models.base import dlib_model_file
from faceatlas.models.registry import ModelKind, ModelSpec, register

WEIGHTS = dlib_model_file(
    "dlib_face_recognition_resnet_model_v1.dat", "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
)


DLIB_SPACE = IdentitySpace(
    name="dlib-resnet",
    # chips aligned on the 68 points: dlib's 5-point predictor verified no better on celeba_dev's dev half
    version="v1",
    dim=128,
    metric=Metric.EUCLIDEAN,
    threshold=0.6,
    chip=ChipSpec(size=150, padding=0.25, landmarks="68"),
    calibration_file="dlib-resnet.json",
    description="dlib ResNet-29 face descriptor (dlib's documented 0.6 euclidean operating point)",
    params=PeopleParams.load("dlib-resnet-people.json"),
)


class DlibResnetEmbedder:
    name = "dlib-resnet"
    space = DLIB_SPACE

    def __init__(self, path: Path) -> None:
        import dlib

        self._net = dlib.face_recognition_model_v1(str(path))

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        if not chips:
            return np.zeros((0, self.space.dim), dtype=np.float32)
        vecs = self._net.compute_face_descriptor([np.ascontiguousarray(c) for c in chips])
        return np.asarray([np.asarray(v) for v in vecs], dtype=np.float32)


SPEC = register(
    ModelSpec(
        name="dlib-resnet",
        kind=ModelKind.EMBEDDER,
        version=DLIB_SPACE.version,
        description="dlib ResNet-29 128-D face descriptor (reference backend)",
        runtime="dlib",
        weights=(WEIGHTS,),
        factory=lambda paths, options: DlibResnetEmbedder(paths[WEIGHTS.filename]),
        space=DLIB_SPACE,
    )
)
