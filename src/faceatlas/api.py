"""The small, guessable Python API. Every function takes an image as a path, bytes, a PIL image or
a numpy array (RGB or grey), and uses one shared :class:`FaceAnalyzer` with the default models."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from faceatlas.errors import NoFaceError
from faceatlas.identity.verify import verify_embeddings
from faceatlas.io.images import ImageSource
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.types import Detection, Face, Verification


@lru_cache(maxsize=1)
def default_analyzer() -> FaceAnalyzer:
    return FaceAnalyzer()


def detect(image: ImageSource) -> list[Detection]:
    """Face boxes (original-image pixels), scores and detector keypoints."""
    return default_analyzer().detect(image)


def analyze(image: ImageSource, embed: bool = True) -> list[Face]:
    """Every face of ``image`` with box, landmarks, pose, quality and embedding, largest first."""
    return default_analyzer().analyze(image, embed=embed)


def largest_face(image: ImageSource) -> Face:
    """The largest face of ``image``; :class:`NoFaceError` if there is none."""
    faces = analyze(image)
    if not faces:
        name = image if isinstance(image, str) else type(image).__name__
        raise NoFaceError(f"no face found in {name}")
    return faces[0]


def embed(image: ImageSource) -> np.ndarray:
    """The embedding of the largest face of ``image`` (128 floats with the default embedder)."""
    face = largest_face(image)
    assert face.embedding is not None
    return face.embedding


def compare(face_a: Face | np.ndarray, face_b: Face | np.ndarray, threshold: float | None = None) -> Verification:
    """Verify two faces (or two embeddings) against each other."""
    return verify_embeddings(_vector(face_a), _vector(face_b), threshold)


def verify(image_a: ImageSource, image_b: ImageSource, threshold: float | None = None) -> Verification:
    """Are the largest faces of two images the same person?"""
    return compare(largest_face(image_a), largest_face(image_b), threshold)


def _vector(face: Face | np.ndarray) -> np.ndarray:
    if isinstance(face, Face):
        if face.embedding is None:
            raise ValueError("this Face has no embedding (analyze with embed=True)")
        return face.embedding
    return np.asarray(face, dtype=np.float32)
