"""Verification with dlib-style descriptors: euclidean distance, one default threshold.

The threshold is dlib's documented operating point for its ResNet descriptor (0.6), which the
README's evaluation on ../shared/data confirms. ``similarity`` is a logistic map of the distance,
0.5 at the threshold: similarity = 1 / (1 + exp((d - threshold) / 0.05)).
"""

from __future__ import annotations

import math

import numpy as np

from faceatlas.identity.calibration import calibration
from faceatlas.types import Verification

DEFAULT_THRESHOLD = 0.6
SIMILARITY_SCALE = 0.05


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def distances(query: np.ndarray, many: np.ndarray) -> np.ndarray:
    """Euclidean distances from one embedding to each row of ``many``."""
    many = np.asarray(many, dtype=np.float64).reshape(-1, len(query))
    return np.linalg.norm(many - np.asarray(query, dtype=np.float64), axis=1)


def similarity(d: float, threshold: float = DEFAULT_THRESHOLD) -> float:
    """A [0, 1] score, 0.5 at the threshold, falling as the distance grows."""
    z = (d - threshold) / SIMILARITY_SCALE
    return 1.0 / (1.0 + math.exp(min(max(z, -60.0), 60.0)))


def verify_embeddings(a: np.ndarray, b: np.ndarray, threshold: float | None = None) -> Verification:
    """Same person? ``threshold`` defaults to :data:`DEFAULT_THRESHOLD`."""
    t = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    d = distance(a, b)
    return Verification(
        same=d <= t,
        distance=d,
        threshold=t,
        similarity=similarity(d, t),
        false_match_rate=float(f"{calibration().false_match_rate(d):.3g}"),
    )
