"""Figures measured on real faces and shipped with the package, one JSON file per identity space
(``data/<space>.json``): the impostor-distance distribution behind false-match-rate estimates, and
the references of the quality score. Rebuilt by ``faceatlas eval calibrate`` (see
``faceatlas.eval.calibrate``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from faceatlas.identity.space import IdentitySpace


@dataclass(frozen=True)
class Calibration:
    embedder: str = "dlib-resnet/v1"
    impostor_distances: tuple[float, ...] = ()  # sorted
    impostor_mean: float = 0.85
    impostor_std: float = 0.08
    ui_centroid: np.ndarray | None = field(default=None, compare=False)
    ui_lo: float = 0.3
    ui_hi: float = 0.7
    blur_variance: float = 30.0
    notes: str = ""

    def false_match_rate(self, d: float) -> float:
        """Estimated fraction of different-person pairs at distance <= d: empirical where at least 10
        measured impostor pairs lie below d, else the tail of a normal fitted to them."""
        n = len(self.impostor_distances)
        below = int(np.searchsorted(self.impostor_distances, d, side="right")) if n else 0
        if below >= 10:
            return below / n
        z = (d - self.impostor_mean) / self.impostor_std
        return 0.5 * math.erfc(-z / math.sqrt(2))

    def recognizability(self, embedding: np.ndarray) -> float:
        if self.ui_centroid is None:
            return 1.0
        dist = float(np.linalg.norm(embedding - self.ui_centroid))
        return float(np.clip((dist - self.ui_lo) / (self.ui_hi - self.ui_lo), 0.0, 1.0))

    def to_json(self) -> dict:
        return {
            "embedder": self.embedder,
            "impostor_distances": [round(x, 5) for x in self.impostor_distances],
            "impostor_mean": self.impostor_mean,
            "impostor_std": self.impostor_std,
            "ui_centroid": None if self.ui_centroid is None else [round(float(x), 6) for x in self.ui_centroid],
            "ui_lo": self.ui_lo,
            "ui_hi": self.ui_hi,
            "blur_variance": self.blur_variance,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        centroid = data.get("ui_centroid")
        return cls(
            embedder=data["embedder"],
            impostor_distances=tuple(sorted(data["impostor_distances"])),
            impostor_mean=data["impostor_mean"],
            impostor_std=data["impostor_std"],
            ui_centroid=None if centroid is None else np.asarray(centroid, dtype=np.float32),
            ui_lo=data["ui_lo"],
            ui_hi=data["ui_hi"],
            blur_variance=data["blur_variance"],
            notes=data.get("notes", ""),
        )


def calibration(space: IdentitySpace | None = None) -> Calibration:
    """The shipped calibration of ``space`` (default: the default embedder's space)."""
    from faceatlas.identity.space import default_space

    return (space or default_space()).calibration
