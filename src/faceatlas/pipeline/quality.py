"""Face quality in [0, 1] from four parts, each in [0, 1]:

- ``size``: inter-ocular distance d (full-resolution px): clip((d - 8) / (40 - 8)). At d >= 40 px
  the 150 px chip the embedder sees is made from at least native resolution.
- ``sharpness``: variance v of the Laplacian of the grey 150 px aligned chip: v / (v + V0), V0 the
  median variance of the chips of ../shared/data heavily blurred (see ``calibration.json``).
- ``pose``: cos(yaw) * cos(pitch), clipped at 0.
- ``recognizability``: how far the embedding sits from the mean embedding of unrecognisable faces
  (faces of ../shared/data blurred and shrunk beyond recognition; the idea of the
  recognizability-index / ERS paper): clip((dist - lo) / (hi - lo)) with lo, hi the median distances
  of unrecognisable and of clean faces.

quality = exp(sum_i w_i * log(max(part_i, 0.01))), a weighted geometric mean with weights
recognizability 0.4, size 0.2, sharpness 0.2, pose 0.2: any one bad part pulls the whole down.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from faceatlas.identity.calibration import Calibration
from faceatlas.types import Pose

WEIGHTS = {"recognizability": 0.4, "size": 0.2, "sharpness": 0.2, "pose": 0.2}


def sharpness_variance(chip: np.ndarray) -> float:
    grey = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def quality_parts(
    landmarks5: np.ndarray, chip: np.ndarray, pose: Pose | None, embedding: np.ndarray | None, cal: Calibration
) -> dict[str, float]:
    """The four parts (recognizability only when an embedding is given)."""
    iod = float(np.linalg.norm(landmarks5[1] - landmarks5[0]))
    parts = {"size": float(np.clip((iod - 8.0) / 32.0, 0.0, 1.0))}
    v = sharpness_variance(chip)
    parts["sharpness"] = v / (v + cal.blur_variance)
    if pose is not None:
        parts["pose"] = max(0.0, math.cos(math.radians(pose.yaw)) * math.cos(math.radians(pose.pitch)))
    if embedding is not None:
        parts["recognizability"] = cal.recognizability(embedding)
    return {k: round(v, 4) for k, v in parts.items()}


def combine(parts: dict[str, float]) -> float:
    """Weighted geometric mean of the parts present (weights renormalised)."""
    total = sum(WEIGHTS[k] for k in parts)
    return float(math.exp(sum(WEIGHTS[k] * math.log(max(v, 0.01)) for k, v in parts.items()) / total))
