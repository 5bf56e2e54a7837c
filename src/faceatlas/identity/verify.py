"""Verification: distance, threshold, similarity and false-match rate, all read from the identity
space the vectors live in (:mod:`faceatlas.identity.space`); the default embedder's space when none
is given.

``similarity`` is a logistic map of the distance, 0.5 at the threshold:
similarity = 1 / (1 + exp((d - threshold) / space.similarity_scale)).
"""

from __future__ import annotations

import numpy as np

from faceatlas.identity.space import IdentitySpace, default_space
from faceatlas.types import Verification


def default_threshold(space: IdentitySpace | None = None) -> float:
    """The space's verification threshold (the default embedder's when ``space`` is None)."""
    return (space or default_space()).threshold


def distance(a: np.ndarray, b: np.ndarray, space: IdentitySpace | None = None) -> float:
    """Distance between two embeddings of one space."""
    return (space or default_space()).distance(a, b)


def distances(query: np.ndarray, many: np.ndarray, space: IdentitySpace | None = None) -> np.ndarray:
    """Distances from one embedding to each row of ``many``."""
    return (space or default_space()).distances(query, many)


def similarity(d: float, threshold: float | None = None, space: IdentitySpace | None = None) -> float:
    """A [0, 1] score, 0.5 at the threshold, falling as the distance grows."""
    return (space or default_space()).similarity(d, threshold)


def verify_embeddings(
    a: np.ndarray, b: np.ndarray, threshold: float | None = None, space: IdentitySpace | None = None
) -> Verification:
    """Same person? ``threshold`` defaults to the space's."""
    space = space or default_space()
    if threshold is not None and not (np.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be a finite distance >= 0, not {threshold}")
    t = space.threshold if threshold is None else float(threshold)
    d = space.distance(a, b)
    return Verification(
        same=d <= t,
        distance=d,
        threshold=t,
        similarity=space.similarity(d, t),
        false_match_rate=float(f"{space.calibration.false_match_rate(d):.3g}"),
    )
