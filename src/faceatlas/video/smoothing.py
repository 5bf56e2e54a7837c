"""The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) over arrays of points: a low-pass filter
whose cut-off rises with speed, so a still face stays steady and a moving one is followed without lag.

Hand-written (the algorithm is a few lines); vectorised over every coordinate of a point set.
Speeds are measured in units of ``scale`` per second (the face size), so one set of parameters
serves small and large faces alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


@dataclass
class OneEuroFilter:
    """Filter successive arrays of the same shape; ``min_cutoff`` (Hz) sets the steadiness at rest,
    ``beta`` how fast the cut-off opens with speed (face sizes per second), ``d_cutoff`` (Hz)
    smooths the speed estimate."""

    min_cutoff: float = 0.3
    beta: float = 4.0
    d_cutoff: float = 1.0
    _x: np.ndarray | None = None
    _dx: np.ndarray | None = None
    _t: float | None = None

    def reset(self) -> None:
        self._x = self._dx = self._t = None

    def __call__(self, x: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """The filtered value of ``x`` observed at time ``t`` (seconds)."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._t is None or t <= self._t or self._x.shape != x.shape:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = t - self._t
        dx = (x - self._x) / dt / max(scale, 1e-6)
        a_d = _alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        a = _alpha(self.min_cutoff + self.beta * np.abs(self._dx), dt)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x.copy()
