"""Synthetic face embeddings with the spread of dlib's descriptors on real faces.

Identities are random centres; a face is its centre plus noise. Scales are set so that distances
match what ``faceatlas eval calibrate`` measured on ../shared/data: different people ~0.86 apart
(sd ~0.1), same person ~0.4 apart. Identity sizes follow a Zipf-like law (a few people in many
photos, most in few), as in real albums.
"""

from __future__ import annotations

import numpy as np

DIM = 128
CENTRE_SD = 0.054  # sqrt(2 * 128) * 0.054 ≈ 0.86 between centres
FACE_SD = 0.025  # sqrt(2 * 128) * 0.025 ≈ 0.40 between two faces of one person


def synthetic_faces(n: int, mean_per_id: float = 10.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(embeddings float32 (n, 128), identity label per face)."""
    rng = np.random.default_rng(seed)
    sizes = np.minimum(rng.zipf(1.8, size=int(n / mean_per_id * 2)), 200)
    sizes = sizes[np.cumsum(sizes) <= n]
    if sizes.sum() < n:
        sizes = np.append(sizes, n - sizes.sum())
    labels = np.repeat(np.arange(len(sizes)), sizes)
    x = np.empty((n, DIM), dtype=np.float32)
    chunk = 200_000
    centres = rng.normal(0, CENTRE_SD, (len(sizes), DIM)).astype(np.float32)
    for start in range(0, n, chunk):
        part = labels[start : start + chunk]
        x[start : start + chunk] = centres[part] + rng.normal(0, FACE_SD, (len(part), DIM)).astype(np.float32)
    return x, labels


POOR_PULL = 0.3  # a poor face moves this far towards the centre of all faces (dlib's "unrecognisable")
POOR_SD = 1.4 * FACE_SD  # and is noisier: ~0.48 from a good face of its own person


def degrade(x: np.ndarray, fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Make ``fraction`` of the faces poor (small, blurred): pulled towards the common centre and
    noisier (milder than the real small faces of ``faceatlas eval build-clusters``). Returns
    (embeddings, quality: 0.4 for poor faces, 0.9 for the others)."""
    rng = np.random.default_rng(seed)
    poor = rng.random(len(x)) < fraction
    out = x.copy()
    out[poor] += POOR_PULL * (x.mean(axis=0) - x[poor])
    out[poor] += rng.normal(0, np.sqrt(POOR_SD**2 - FACE_SD**2), (int(poor.sum()), x.shape[1])).astype(np.float32)
    return out, np.where(poor, 0.4, 0.9)
