"""Presentation-attack stand-ins made from genuine photos, for a liveness head when no labelled spoof
set is at hand: the photo printed and photographed again, or shown on a screen and photographed.

They imitate what a recapture does to the pixels (a print's narrower range and colour cast, its
halftone grain, a screen's sub-pixel grid and moiré, the second camera's perspective, defocus and
JPEG); they are not real attacks, and a head that separates them has passed a weak check only.
"""

from __future__ import annotations

import cv2
import numpy as np

KINDS = ("print", "screen")


def _recapture(img: np.ndarray, rng: np.random.Generator, background: tuple[int, int, int]) -> np.ndarray:
    """The picture seen by a second camera: a slightly turned, smaller quadrilateral on a background,
    defocused and JPEG-compressed."""
    h, w = img.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    margin = np.float32([w, h]) * 0.08
    dst = src * 0.84 + margin + rng.uniform(-0.04, 0.04, (4, 2)).astype(np.float32) * np.float32([w, h])
    m = cv2.getPerspectiveTransform(src, dst)
    canvas = np.empty_like(img)
    canvas[:] = background
    canvas = np.clip(canvas + rng.normal(0, 6, canvas.shape), 0, 255).astype(np.uint8)
    out = cv2.warpPerspective(img, m, (w, h), dst=canvas, borderMode=cv2.BORDER_TRANSPARENT)
    out = cv2.GaussianBlur(out, (0, 0), 1.0)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 75])
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def printed(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """The photo printed on paper (narrower range, warm cast, halftone grain) and photographed."""
    rng = np.random.default_rng(seed)
    x = rgb.astype(np.float32) * 0.72 + 38
    x *= np.float32([1.04, 1.0, 0.9])
    yy, xx = np.mgrid[: rgb.shape[0], : rgb.shape[1]]
    x += (7 * np.sin(xx * 2.1) * np.sin(yy * 2.1))[..., None]  # halftone dots
    x += rng.normal(0, 4, x.shape)
    return _recapture(np.clip(x, 0, 255).astype(np.uint8), rng, (150, 130, 110))


def screen(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """The photo shown on a screen (sub-pixel grid, gamma, glare) and photographed (moiré)."""
    rng = np.random.default_rng(seed)
    x = (rgb.astype(np.float32) / 255.0) ** 0.85 * 255
    stripes = np.zeros(rgb.shape, np.float32)
    for c in range(3):
        stripes[:, c::3, c] = 18.0  # each column lit in one colour: an RGB stripe panel
    x = x * 0.9 + stripes
    yy, xx = np.mgrid[: rgb.shape[0], : rgb.shape[1]]
    x += (10 * np.sin(0.31 * xx + 0.17 * yy))[..., None]  # moiré of the panel against the sensor
    glare = np.exp(-(((xx - rgb.shape[1] * 0.7) ** 2 + (yy - rgb.shape[0] * 0.3) ** 2) / (0.1 * rgb.size / 3)))
    x += (45 * glare)[..., None]
    return _recapture(np.clip(x, 0, 255).astype(np.uint8), rng, (25, 25, 28))


def stand_in(rgb: np.ndarray, kind: str, seed: int = 0) -> np.ndarray:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    return printed(rgb, seed) if kind == "print" else screen(rgb, seed)
